//! Tests of DSSE: the spec's PAE vector, the research note's envelope reproduced byte for
//! byte from a Statement, tampering anywhere, and the independent `dsse` crate (0.1.6)
//! verifying our envelopes and producing ones we verify.

use proptest::prelude::*;

use super::*;
use crate::statement::{PAYLOAD_TYPE, ResourceDescriptor, Statement};

/// The envelope of the research note, section (c), signed with the TEST key and checked
/// there with securesystemslib 1.6.0.
const SPEC_ENVELOPE: &str = r#"{
 "payloadType": "application/vnd.in-toto+json",
 "payload": "eyJfdHlwZSI6Imh0dHBzOi8vaW4tdG90by5pby9TdGF0ZW1lbnQvdjEiLCJwcmVkaWNhdGUiOnsicHJvcGVydGllcyI6WyJFWEFNUExFX1NBU1RfUEFTU0VEIiwiRVhBTVBMRV9DT0RFX1JFVklFV0VEIiwiRVhBTVBMRV9SRUxFQVNFX0FQUFJPVkVEIl0sInRpbWVDcmVhdGVkIjoiMjAyNS0wNi0wMlQxMDoxNDozMFoiLCJ2ZXJpZmllciI6eyJpZCI6Imh0dHBzOi8vY2VydGlmaWVyLmV4YW1wbGUuY29tL3JlbGVhc2UtZ2F0ZS92MSIsInBvbGljaWVzIjpbXX19LCJwcmVkaWNhdGVUeXBlIjoiaHR0cHM6Ly9pbi10b3RvLmlvL2F0dGVzdGF0aW9uL3N2ci92MC4yIiwic3ViamVjdCI6W3siZGlnZXN0Ijp7InNoYTI1NiI6IjdmMDJlMWNhZThjZGJiODVlMDFjMjA2ZWI2MWMwZjRmZjJiMjk3ZjgwM2RkMTRkNjE3MTRiNmRlNzRmYWRjMDIifSwibmFtZSI6InBheW1lbnRzLWFwaS0yLjQuMC50YXIuZ3oifV19",
 "signatures": [
  {
   "keyid": "a050837d85070582ccf7394b0988847cc312cb88259b894899f6f239cf1791a5",
   "sig": "vxDUpYmAvsCimZPXL/XCaMEhI9lKyWucRKBIocMpp9syBuB7c4ZQY+W1CKh0j4gAMgxpS7MLi0hQlU1oj3fhBA=="
  }
 ]
}"#;

fn test_key() -> LedgerKey {
    LedgerKey::from_seed(std::array::from_fn(|i| i as u8))
}

/// The SVR statement inside [`SPEC_ENVELOPE`], built from its parts.
fn spec_statement() -> Statement {
    let artifact =
        signoff_core::Digest::from_hex("7f02e1cae8cdbb85e01c206eb61c0f4ff2b297f803dd14d61714b6de74fadc02").unwrap();
    Statement::new(
        vec![ResourceDescriptor::sha256(Some("payments-api-2.4.0.tar.gz".into()), &artifact)],
        "https://in-toto.io/attestation/svr/v0.2",
        serde_json::json!({
            "verifier": {"id": "https://certifier.example.com/release-gate/v1", "policies": []},
            "timeCreated": "2025-06-02T10:14:30Z",
            "properties": ["EXAMPLE_SAST_PASSED", "EXAMPLE_CODE_REVIEWED", "EXAMPLE_RELEASE_APPROVED"],
        }),
    )
    .unwrap()
}

#[test]
fn pae_matches_the_spec_vector() {
    assert_eq!(
        pae("http://example.com/HelloWorld", b"hello world"),
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    );
    assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
    // Lengths count bytes, not characters.
    assert_eq!(pae("t\u{e9}", "\u{2014}".as_bytes()), "DSSEv1 3 t\u{e9} 3 \u{2014}".as_bytes());
}

#[test]
fn reproduces_the_spec_envelope_from_a_statement() {
    let spec = Envelope::from_json(SPEC_ENVELOPE.as_bytes()).unwrap();

    let statement = spec_statement();
    assert_eq!(statement.to_payload().unwrap(), spec.payload, "canonical statement bytes");
    let ours = statement.to_envelope(&test_key()).unwrap();
    assert_eq!(ours, spec);
    assert_eq!(ours.signatures[0].keyid, test_key().public().keyid());

    // Same JSON members and values; ours is compact.
    let ours_json: serde_json::Value = serde_json::from_str(&ours.to_json()).unwrap();
    let spec_json: serde_json::Value = serde_json::from_str(SPEC_ENVELOPE).unwrap();
    assert_eq!(ours_json, spec_json);
    assert_eq!(ours.to_json(), serde_json::to_string(&ours).unwrap());
    assert!(ours.to_json().starts_with(r#"{"payloadType":"application/vnd.in-toto+json","payload":"eyJf"#));

    assert_eq!(spec.verify(&test_key().public()).unwrap(), spec.payload.as_slice());
    assert_eq!(Statement::from_envelope(&spec, &test_key().public()).unwrap(), statement);
}

#[test]
fn any_one_byte_change_fails() {
    let spec = Envelope::from_json(SPEC_ENVELOPE.as_bytes()).unwrap();
    let key = test_key().public();
    for i in 0..spec.payload.len() {
        let mut altered = spec.clone();
        altered.payload[i] ^= 0x01;
        assert!(altered.verify(&key).is_err(), "payload byte {i}");
    }
    for i in 0..spec.payload_type.len() {
        let mut bytes = spec.payload_type.clone().into_bytes();
        bytes[i] ^= 0x01;
        let altered = Envelope { payload_type: String::from_utf8(bytes).unwrap(), ..spec.clone() };
        assert!(altered.verify(&key).is_err(), "payloadType byte {i}");
    }
    for i in 0..spec.signatures[0].sig.len() {
        let mut altered = spec.clone();
        altered.signatures[0].sig[i] ^= 0x01;
        assert!(altered.verify(&key).is_err(), "sig byte {i}");
    }
    let mut truncated = spec.clone();
    truncated.payload.pop();
    assert!(truncated.verify(&key).is_err());
    let mut extended = spec.clone();
    extended.payload.push(b' ');
    assert!(extended.verify(&key).is_err());
    assert!(spec.verify(&LedgerKey::from_seed([1; 32]).public()).is_err());
}

#[test]
fn accepts_url_safe_base64_and_ignores_keyid() {
    let spec = Envelope::from_json(SPEC_ENVELOPE.as_bytes()).unwrap();
    let url_safe = SPEC_ENVELOPE.replace(
        "vxDUpYmAvsCimZPXL/XCaMEhI9lKyWucRKBIocMpp9syBuB7c4ZQY+W1CKh0j4gAMgxpS7MLi0hQlU1oj3fhBA==",
        &URL_SAFE.encode(&spec.signatures[0].sig),
    );
    assert!(url_safe.contains("vxDUpYmAvsCimZPXL_XCaMEhI9lKyWucRKBIocMpp9syBuB7c4ZQY-W1"));
    let parsed = Envelope::from_json(url_safe.as_bytes()).unwrap();
    assert_eq!(parsed, spec);
    assert!(parsed.verify(&test_key().public()).is_ok());

    // keyid is a hint: wrong or absent, the signature still counts.
    let mut hinted = spec.clone();
    hinted.signatures[0].keyid = "someone-else".into();
    assert!(hinted.verify(&test_key().public()).is_ok());
    let no_keyid =
        SPEC_ENVELOPE.replace(r#""keyid": "a050837d85070582ccf7394b0988847cc312cb88259b894899f6f239cf1791a5","#, "");
    assert!(Envelope::from_json(no_keyid.as_bytes()).unwrap().verify(&test_key().public()).is_ok());
}

#[test]
fn rejects_malformed_envelopes() {
    let spec = Envelope::from_json(SPEC_ENVELOPE.as_bytes()).unwrap();
    // Unpadded, non-zero trailing bits, not base64, missing members.
    for (from, to) in [
        ("BA==", "BA="),
        ("BA==", "BB=="),
        ("BA==", "B*=="),
        (r#""payloadType""#, r#""payload_type""#),
        (r#""signatures": ["#, r#""sigs": ["#),
    ] {
        let text = SPEC_ENVELOPE.replacen(from, to, 1);
        assert!(matches!(Envelope::from_json(text.as_bytes()), Err(DsseError::Json(_))), "{from} -> {to}");
    }

    let no_signatures = Envelope { signatures: vec![], ..spec.clone() };
    assert!(matches!(no_signatures.verify(&test_key().public()), Err(DsseError::NoSignatures)));
    let many = Envelope { signatures: vec![spec.signatures[0].clone(); MAX_SIGNATURES + 1], ..spec.clone() };
    assert!(matches!(many.verify(&test_key().public()), Err(DsseError::TooManySignatures { count: 65, max: 64 })));
    let wrong_length = Envelope { signatures: vec![Signature { keyid: String::new(), sig: vec![0; 63] }], ..spec };
    assert!(matches!(wrong_length.verify(&test_key().public()), Err(DsseError::NoValidSignature { count: 1, .. })));
}

#[test]
fn any_valid_signature_suffices() {
    let other = LedgerKey::from_seed([5; 32]);
    let mut envelope = Envelope::sign("application/example", b"payload", &other);
    envelope.add_signature(&test_key());
    assert_eq!(envelope.signatures.len(), 2);
    assert_eq!(envelope.verify(&test_key().public()).unwrap(), b"payload");
    assert_eq!(envelope.verify(&other.public()).unwrap(), b"payload");
    assert!(envelope.verify(&LedgerKey::from_seed([6; 32]).public()).is_err());
}

#[test]
fn statement_envelopes_must_carry_the_in_toto_type() {
    let payload = spec_statement().to_payload().unwrap();
    let envelope = Envelope::sign("application/json", &payload, &test_key());
    assert!(envelope.verify(&test_key().public()).is_ok());
    assert!(Statement::from_envelope(&envelope, &test_key().public()).is_err());
    let not_a_statement = Envelope::sign(PAYLOAD_TYPE, br#"{"_type":"x"}"#, &test_key());
    assert!(Statement::from_envelope(&not_a_statement, &test_key().public()).is_err());
}

// --- The `dsse` crate as an independent implementation ----------------------------------

fn dsse_verifier(key: &PublicKey) -> dsse::Ed25519Verifier {
    dsse::Ed25519Verifier::from_bytes(&key.to_bytes()).unwrap().with_key_id(key.keyid())
}

#[test]
fn dsse_crate_verifies_our_envelopes() {
    let ours = spec_statement().to_envelope(&test_key()).unwrap();
    let theirs = dsse::Envelope::from_json(ours.to_json().as_bytes()).unwrap();
    let verified = dsse::verify(&theirs, &[&dsse_verifier(&test_key().public())], 1).unwrap();
    assert_eq!(verified.payload, ours.payload);
    assert_eq!(verified.payload_type, PAYLOAD_TYPE);

    let mut tampered = ours.clone();
    tampered.payload_type = "application/vnd.in-toto+jsoN".into();
    let theirs = dsse::Envelope::from_json(tampered.to_json().as_bytes()).unwrap();
    assert!(dsse::verify(&theirs, &[&dsse_verifier(&test_key().public())], 1).is_err());
}

#[test]
fn we_verify_the_dsse_crates_envelopes() {
    let seed: [u8; 32] = std::array::from_fn(|i| i as u8);
    let signer = dsse::Ed25519Signer::from_bytes(&seed).unwrap().with_key_id(test_key().public().keyid());
    let payload = spec_statement().to_payload().unwrap();
    let theirs = dsse::sign(PAYLOAD_TYPE, &payload, &signer).unwrap();
    let ours = Envelope::from_json(&theirs.to_json().unwrap()).unwrap();
    assert_eq!(ours.verify(&test_key().public()).unwrap(), payload.as_slice());
    // Ed25519 is deterministic, so both implementations write the same envelope.
    assert_eq!(ours, Envelope::sign(PAYLOAD_TYPE, &payload, &test_key()));
    assert_eq!(ours, Envelope::from_json(SPEC_ENVELOPE.as_bytes()).unwrap());
}

proptest! {
    #[test]
    fn pae_agrees_with_the_dsse_crate(payload_type in ".{0,40}", payload in prop::collection::vec(any::<u8>(), 0..300)) {
        prop_assert_eq!(pae(&payload_type, &payload), dsse::pae(&payload_type, &payload));
    }

    #[test]
    fn sign_then_verify_round_trips(payload_type in "[ -~]{1,40}", payload in prop::collection::vec(any::<u8>(), 0..300), seed in any::<[u8; 32]>()) {
        let key = LedgerKey::from_seed(seed);
        let envelope = Envelope::sign(&payload_type, &payload, &key);
        let read = Envelope::from_json(envelope.to_json().as_bytes()).unwrap();
        prop_assert_eq!(read.verify(&key.public()).unwrap(), payload.as_slice());
        let theirs = dsse::Envelope::from_json(envelope.to_json().as_bytes()).unwrap();
        prop_assert!(dsse::verify(&theirs, &[&dsse_verifier(&key.public())], 1).is_ok());
    }
}
