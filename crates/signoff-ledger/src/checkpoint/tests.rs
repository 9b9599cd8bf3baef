//! Tests of checkpoints and signed notes: the spec note's example byte for byte, Go's
//! `sumdb/note` reference note, and malformed or mis-signed notes that must be refused.

use proptest::prelude::*;

use super::*;
use crate::merkle;

const ORIGIN: &str = "log.example.com/release-evidence";

/// The example of the research note, section (d): TEST key, leaves `a`, `b`, `c`.
const SPEC_NOTE: &str = "log.example.com/release-evidence\n3\nNmQuc8JUCrEh46a/lUWwokmCzYMOsT080Z3jzmwCHsE=\n\n\
\u{2014} log.example.com/release-evidence MKIwwtvhGaBhy3lfO7myS24QCTJkbBG8hdDwZzXCEJP+lOCzmgr06ozaGTRlBvv2f/Lo7yuMvZg2E5VXDVfhbYzajQY=\n";
const SPEC_VKEY: &str = "log.example.com/release-evidence+30a230c2+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";

/// golang.org/x/mod/sumdb/note's documented example: signer key, verifier key, text and
/// the note Go produces. The signer key's base64 is 0x01 ‖ the Ed25519 seed.
const GO_SIGNER_SEED_BASE64: &str = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const GO_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const GO_TEXT: &str =
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_NOTE: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\
\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

fn test_key() -> LedgerKey {
    LedgerKey::from_seed(std::array::from_fn(|i| i as u8))
}

fn verifier() -> NoteVerifier {
    NoteVerifier::new(ORIGIN, test_key().public()).unwrap()
}

fn abc_root() -> Digest {
    merkle::root(&[merkle::leaf_hash(b"a"), merkle::leaf_hash(b"b"), merkle::leaf_hash(b"c")])
}

/// Signs arbitrary text under the test key and ORIGIN, for malformed checkpoint bodies.
fn signed(text: &str) -> String {
    sign_note(text, ORIGIN, &test_key()).unwrap()
}

#[test]
fn reproduces_the_spec_example_byte_for_byte() {
    let checkpoint = Checkpoint::new(ORIGIN, 3, abc_root()).unwrap();
    assert_eq!(
        checkpoint.body(),
        "log.example.com/release-evidence\n3\nNmQuc8JUCrEh46a/lUWwokmCzYMOsT080Z3jzmwCHsE=\n"
    );
    assert_eq!(sign(&checkpoint, &test_key()), SPEC_NOTE);
    assert_eq!(verifier_key_text(ORIGIN, &test_key().public()).unwrap(), SPEC_VKEY);
    assert_eq!(hex::encode(key_id(ORIGIN, &test_key().public())), "30a230c2");

    let trusted = parse_verifier_key(SPEC_VKEY).unwrap();
    assert_eq!(trusted, verifier());
    assert_eq!(open(SPEC_NOTE, &trusted).unwrap(), checkpoint);
}

#[test]
fn interoperates_with_go_sumdb_note() {
    let seed_with_type = STANDARD.decode(GO_SIGNER_SEED_BASE64).unwrap();
    assert_eq!(seed_with_type[0], ED25519_TYPE);
    let go_key = LedgerKey::from_seed(seed_with_type[1..].try_into().unwrap());
    assert_eq!(verifier_key_text("PeterNeumann", &go_key.public()).unwrap(), GO_VKEY);
    assert_eq!(sign_note(GO_TEXT, "PeterNeumann", &go_key).unwrap(), GO_NOTE);

    let go_verifier = parse_verifier_key(GO_VKEY).unwrap();
    assert_eq!(open_note(GO_NOTE, &go_verifier).unwrap(), GO_TEXT);
    let tampered = GO_NOTE.replace("cryptography", "cryptographY");
    assert_eq!(open_note(&tampered, &go_verifier), Err(NoteError::BadSignature { name: "PeterNeumann".into() }));
    // Not a checkpoint, so `open` refuses it after the signature checks out.
    let go_as_origin = NoteVerifier::new("PeterNeumann", go_key.public()).unwrap();
    assert_eq!(open(GO_NOTE, &go_as_origin), Err(NoteError::WrongLineCount { lines: 2 }));
}

#[test]
fn parses_verifier_keys_of_other_implementations() {
    // From golang.org/x/mod (EnochRoot) and transparency-dev/formats (TEST, whose
    // base64 contains '+'): the key IDs they carry must match ours.
    for text in [
        GO_VKEY,
        "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop",
        "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6",
    ] {
        let parsed = parse_verifier_key(text).unwrap();
        assert_eq!(parsed.to_text(), text);
        assert_eq!(format!("{parsed:?}"), text);
    }
}

#[test]
fn rejects_malformed_verifier_keys() {
    let malformed = [
        "",
        "log.example.com/release-evidence",
        "log.example.com/release-evidence+30a230c2",
        // Wrong key ID, short key ID, non-hex key ID.
        "log.example.com/release-evidence+30a230c3+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4",
        "log.example.com/release-evidence+30a230c+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4",
        "log.example.com/release-evidence+30a230cg+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4",
        // Wrong algorithm byte (0x02 = ECDSA), truncated key, bad base64, another name.
        "log.example.com/release-evidence+30a230c2+AgOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4",
        "log.example.com/release-evidence+30a230c2+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVQ==",
        "log.example.com/release-evidence+30a230c2+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG",
        "log.example.com/release-evidencX+30a230c2+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4",
        "log example+30a230c2+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4",
        "+30a230c2+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4",
    ];
    for text in malformed {
        assert!(parse_verifier_key(text).is_err(), "{text:?} parsed");
    }
}

#[test]
fn origins_must_be_key_names() {
    for origin in ["", "a b", "a+b", "a\tb", "a\nb", "a\u{3000}b", "a\u{a0}b", "a\u{1}b"] {
        assert_eq!(
            Checkpoint::new(origin, 1, abc_root()),
            Err(NoteError::InvalidKeyName { name: origin.into() }),
            "{origin:?}"
        );
    }
    assert!(Checkpoint::new("rekor.sigstore.dev/log-1193050959916656506", 0, merkle::empty_root()).is_ok());
    assert!(NoteVerifier::new("a b", test_key().public()).is_err());
    assert!(sign_note("text\n", "a+b", &test_key()).is_err());
    assert_eq!(sign_note("text", ORIGIN, &test_key()), Err(NoteError::UnterminatedText));
    assert_eq!(sign_note("", ORIGIN, &test_key()), Err(NoteError::UnterminatedText));
    assert_eq!(sign_note("a\rb\n", ORIGIN, &test_key()), Err(NoteError::ControlCharacter { character: '\r' }));
}

#[test]
fn tampered_notes_fail() {
    let bad = Err(NoteError::BadSignature { name: ORIGIN.into() });
    assert_eq!(open(&SPEC_NOTE.replacen("\n3\n", "\n4\n", 1), &verifier()), bad);
    assert_eq!(open(&SPEC_NOTE.replacen("NmQuc8", "NmQuc9", 1), &verifier()), bad);
    assert_eq!(
        open(
            &SPEC_NOTE.replacen("log.example.com/release-evidence\n", "log.example.com/release-evidencf\n", 1),
            &verifier()
        ),
        bad
    );
    // A different signature under the right key ID.
    assert_eq!(open(&SPEC_NOTE.replacen("MKIwwtvh", "MKIwwtvi", 1), &verifier()), bad);
}

#[test]
fn malformed_notes_are_refused() {
    let cases: Vec<(String, NoteError)> = vec![
        (SPEC_NOTE.replacen("\n\n", "\n", 1), NoteError::MissingSeparator),
        (String::new(), NoteError::MissingSeparator),
        (SPEC_NOTE.trim_end_matches('\n').to_owned(), NoteError::NoSignatureLines),
        (format!("{SPEC_NOTE}\n"), NoteError::NoSignatureLines),
        (SPEC_NOTE.replace('\n', "\r\n"), NoteError::ControlCharacter { character: '\r' }),
        (SPEC_NOTE.replacen("3", "\t3", 1), NoteError::ControlCharacter { character: '\t' }),
    ];
    for (note, expected) in cases {
        assert_eq!(open(&note, &verifier()), Err(expected), "{note:?}");
    }

    let signature_line = SPEC_NOTE.split("\n\n").nth(1).unwrap().trim_end();
    let body = SPEC_NOTE.split("\n\n").next().unwrap();
    for line in [
        signature_line.replacen('\u{2014}', "-", 1),
        signature_line.replacen("\u{2014} ", "\u{2014}", 1),
        signature_line.replacen(' ', "  ", 1),
        signature_line.replacen("MKIw", "MKI*", 1),
        signature_line.replacen("jQY=", "jQY", 1),
        signature_line.replacen("jQY=", "jQY=AAAA", 1),
        format!("\u{2014} {ORIGIN} AAAAAA=="),
        format!("\u{2014} {ORIGIN}"),
        format!("\u{2014}  {}", &signature_line[4..]),
    ] {
        let note = format!("{body}\n\n{line}\n");
        assert!(
            matches!(open(&note, &verifier()), Err(NoteError::MalformedSignatureLine { .. })),
            "{note:?}: {:?}",
            open(&note, &verifier())
        );
    }
}

#[test]
fn unknown_keys_are_ignored_and_a_trusted_signature_is_required() {
    let text = Checkpoint::new(ORIGIN, 3, abc_root()).unwrap().body();
    let witness = LedgerKey::from_seed([7; 32]);
    let cosigned = sign_note(&text, "witness.example/w1", &witness).unwrap();
    let cosignature = cosigned.split("\n\n").nth(1).unwrap();
    // Same name as the log but another key (so another key ID): also unknown.
    let impostor = sign_note(&text, ORIGIN, &witness).unwrap();
    let impostor_line = impostor.split("\n\n").nth(1).unwrap();

    let with_witness = format!("{SPEC_NOTE}{cosignature}");
    assert_eq!(open(&with_witness, &verifier()).unwrap().size(), 3);
    let witness_first = format!("{text}\n{cosignature}{impostor_line}{}", SPEC_NOTE.split("\n\n").nth(1).unwrap());
    assert_eq!(open(&witness_first, &verifier()).unwrap().size(), 3);

    let not_ours = format!("{text}\n{cosignature}{impostor_line}");
    assert_eq!(
        open(&not_ours, &verifier()),
        Err(NoteError::NotSignedByKey { name: ORIGIN.into(), key_id: "30a230c2".into() })
    );
    // The witness key can open the note too, but the origin is not its name.
    let witness_verifier = NoteVerifier::new("witness.example/w1", witness.public()).unwrap();
    assert_eq!(
        open(&with_witness, &witness_verifier),
        Err(NoteError::OriginMismatch { expected: "witness.example/w1".into(), actual: ORIGIN.into() })
    );
}

#[test]
fn accepts_sixteen_signatures_and_caps_the_count() {
    let text = Checkpoint::new(ORIGIN, 3, abc_root()).unwrap().body();
    let witness_lines: Vec<String> = (0u8..120)
        .map(|i| {
            let note = sign_note(&text, &format!("witness.example/{i}"), &LedgerKey::from_seed([i; 32])).unwrap();
            note.split("\n\n").nth(1).unwrap().to_owned()
        })
        .collect();
    let ours = SPEC_NOTE.split("\n\n").nth(1).unwrap();
    let note = format!("{text}\n{}{ours}", witness_lines[..15].concat());
    assert!(open(&note, &verifier()).is_ok());
    let note = format!("{text}\n{}{ours}", witness_lines[..MAX_SIGNATURES - 1].concat());
    assert!(open(&note, &verifier()).is_ok());
    let note = format!("{text}\n{}{ours}", witness_lines[..MAX_SIGNATURES].concat());
    assert_eq!(
        open(&note, &verifier()),
        Err(NoteError::TooManySignatures { count: MAX_SIGNATURES + 1, max: MAX_SIGNATURES })
    );
}

#[test]
fn checkpoint_bodies_are_strict() {
    let root = STANDARD.encode(abc_root().as_bytes());
    for size in ["03", "00", "+3", "-3", "", " 3", "3 ", "0x3", "3.0", "18446744073709551616", "\u{663}"] {
        assert_eq!(
            open(&signed(&format!("{ORIGIN}\n{size}\n{root}\n")), &verifier()),
            Err(NoteError::InvalidSize { text: size.into() }),
            "{size:?}"
        );
    }
    for good in ["0", "1", "18446744073709551615"] {
        assert_eq!(
            open(&signed(&format!("{ORIGIN}\n{good}\n{root}\n")), &verifier()).unwrap().size(),
            good.parse::<u64>().unwrap()
        );
    }

    let url_safe = base64::engine::general_purpose::URL_SAFE.encode([0xfb; 32]);
    let unpadded = root.trim_end_matches('=').to_owned();
    let non_canonical = root.replacen("E=", "F=", 1);
    let short = STANDARD.encode([1u8; 31]);
    let long = STANDARD.encode([1u8; 33]);
    for bad_root in [url_safe, unpadded, non_canonical, short, long, "".into(), "not base64".into()] {
        assert_eq!(
            open(&signed(&format!("{ORIGIN}\n3\n{bad_root}\n")), &verifier()),
            Err(NoteError::InvalidRoot { text: bad_root.clone() }),
            "{bad_root:?}"
        );
    }

    for (text, lines) in [
        (format!("{ORIGIN}\n3\n{root}\nextension line\n"), 4),
        (format!("{ORIGIN}\n3\n"), 2),
        (format!("{ORIGIN}\n"), 1),
    ] {
        assert_eq!(open(&signed(&text), &verifier()), Err(NoteError::WrongLineCount { lines }), "{text:?}");
    }
    assert_eq!(
        open(&signed(&format!("other.example/log\n3\n{root}\n")), &verifier()),
        Err(NoteError::OriginMismatch { expected: ORIGIN.into(), actual: "other.example/log".into() })
    );
    // An empty origin line cannot come from our log.
    assert_eq!(
        open(&signed(&format!("\n3\n{root}\n")), &verifier()),
        Err(NoteError::InvalidKeyName { name: String::new() })
    );
}

proptest! {
    #[test]
    fn sign_then_open_round_trips(
        origin in "[a-z0-9.]{1,20}(/[a-z0-9._-]{1,20}){0,3}",
        size in any::<u64>(),
        root in any::<[u8; 32]>(),
        seed in any::<[u8; 32]>(),
    ) {
        let key = LedgerKey::from_seed(seed);
        let checkpoint = Checkpoint::new(origin.clone(), size, Digest::from_bytes(root)).unwrap();
        let note = sign(&checkpoint, &key);
        let trusted = parse_verifier_key(&verifier_key_text(&origin, &key.public()).unwrap()).unwrap();
        prop_assert_eq!(open(&note, &trusted), Ok(checkpoint));
        let other = NoteVerifier::new(origin, LedgerKey::from_seed([!seed[0]; 32]).public()).unwrap();
        prop_assert!(open(&note, &other).is_err());
    }
}
