//! Inclusion and consistency proofs, checked with ct-merkle (an independent RFC 6962
//! implementation) and checkpoint signatures checked with ed25519-dalek directly.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::util::{TestStore, commit, example};

fn unhex(text: &str) -> Vec<u8> {
    hex::decode(text).unwrap()
}

fn digest(text: &str) -> ct_merkle::digest::Output<sha2::Sha256> {
    let bytes: [u8; 32] = unhex(text).try_into().unwrap();
    bytes.into()
}

fn store_with_entries() -> TestStore {
    let store = TestStore::new();
    for round in 0..3 {
        let sha = commit(&format!("proofs {round}"));
        store.ok(&[
            "capture",
            &example("v1/bandit.sarif"),
            &example("v2/junit.xml"),
            "--project",
            "shop",
            "--commit",
            &sha,
        ]);
        store.ok(&["capture", &example("v1/semgrep.sarif"), "--project", "shop", "--commit", &sha]);
        store.ok(&["release", "create", "shop", &format!("1.{round}.0"), "--commit", &sha]);
    }
    store
}

#[test]
fn inclusion_proofs_verify_with_an_independent_implementation() {
    let store = store_with_entries();
    for entry in [0u64, 3, 7, 11] {
        let proof: Value = serde_json::from_str(&store.ok(&["ledger", "prove", &entry.to_string(), "--json"])).unwrap();
        let size = proof["size"].as_u64().unwrap();
        assert_eq!(size, 12);
        let root = ct_merkle::RootHash::<sha2::Sha256>::new(digest(proof["root"].as_str().unwrap()), size);
        let path: Vec<u8> =
            proof["proof"].as_array().unwrap().iter().flat_map(|hash| unhex(hash.as_str().unwrap())).collect();
        let body = proof["entry_body"].as_str().unwrap().as_bytes().to_vec();
        root.verify_inclusion(&body, entry, &ct_merkle::InclusionProof::from_bytes(path.clone())).unwrap();
        // The wrong index or a changed body does not verify.
        assert!(
            root.verify_inclusion(&body, (entry + 1) % size, &ct_merkle::InclusionProof::from_bytes(path.clone()))
                .is_err()
        );
        let mut altered = body.clone();
        altered[10] ^= 1;
        assert!(root.verify_inclusion(&altered, entry, &ct_merkle::InclusionProof::from_bytes(path)).is_err());
        // The body is the entry, and says so.
        let parsed: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(parsed["seq"], entry);
    }
    // A proof against an earlier checkpoint size.
    let proof: Value = serde_json::from_str(&store.ok(&["ledger", "prove", "1", "--size", "4", "--json"])).unwrap();
    assert_eq!(proof["size"], 4);
    // A size with no checkpoint is refused with the nearest ones.
    let output = store.run(&["ledger", "prove", "1", "--size", "5"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("nearest: 4, 6"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_tree_root_matches_an_independent_tree_of_the_entries() {
    let store = store_with_entries();
    let mut tree = ct_merkle::mem_backed_tree::MemoryBackedTree::<sha2::Sha256, Vec<u8>>::new();
    for entry in 0..12 {
        let proof: Value = serde_json::from_str(&store.ok(&["ledger", "prove", &entry.to_string(), "--json"])).unwrap();
        tree.push(proof["entry_body"].as_str().unwrap().as_bytes().to_vec());
    }
    let checkpoint = store.ok(&["ledger", "checkpoint"]);
    let lines: Vec<&str> = checkpoint.lines().collect();
    assert_eq!(lines[1], "12");
    assert_eq!(STANDARD.decode(lines[2]).unwrap(), tree.root().as_bytes().to_vec());
}

#[test]
fn consistency_proofs_verify_with_an_independent_implementation() {
    let store = store_with_entries();
    for old in [2u64, 4, 7, 8] {
        let proof: Value =
            serde_json::from_str(&store.ok(&["ledger", "prove", "--consistency", &old.to_string(), "--json"])).unwrap();
        let new_size = proof["new_size"].as_u64().unwrap();
        let old_root = ct_merkle::RootHash::<sha2::Sha256>::new(digest(proof["old_root"].as_str().unwrap()), old);
        let new_root = ct_merkle::RootHash::<sha2::Sha256>::new(digest(proof["new_root"].as_str().unwrap()), new_size);
        let hashes: Vec<u8> =
            proof["proof"].as_array().unwrap().iter().flat_map(|hash| unhex(hash.as_str().unwrap())).collect();
        new_root.verify_consistency(&old_root, &ct_merkle::ConsistencyProof::try_from_bytes(hashes).unwrap()).unwrap();
    }
}

#[test]
fn checkpoints_are_c2sp_signed_notes_under_the_published_key() {
    use ed25519_dalek::Verifier;
    let store = store_with_entries();
    let note = store.ok(&["ledger", "checkpoint"]);
    let (body, signatures) = note.split_once("\n\n").unwrap();
    let body = format!("{body}\n");
    let origin = body.lines().next().unwrap();
    let line = signatures.lines().next().unwrap();
    let rest = line.strip_prefix("\u{2014} ").expect("signature lines start with an em dash");
    let (name, signature) = rest.split_once(' ').unwrap();
    assert_eq!(name, origin);
    let signature = STANDARD.decode(signature).unwrap();
    // The verifier key: name+hex(key id)+base64(0x01 || key).
    let verifier = store.ok(&["key", "public", "--format", "note"]);
    let parts: Vec<&str> = verifier.trim().splitn(3, '+').collect();
    assert_eq!(parts[0], origin);
    let key_bytes = STANDARD.decode(parts[2]).unwrap();
    assert_eq!(key_bytes[0], 0x01);
    let key = ed25519_dalek::VerifyingKey::from_bytes(&key_bytes[1..].try_into().unwrap()).unwrap();
    // Key id = SHA-256(name || 0x0A || 0x01 || key)[:4].
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    hasher.update(origin.as_bytes());
    hasher.update([0x0a, 0x01]);
    hasher.update(&key_bytes[1..]);
    let key_id = &hasher.finalize()[..4];
    assert_eq!(&signature[..4], key_id);
    assert_eq!(parts[1], hex::encode(key_id));
    let signature = ed25519_dalek::Signature::from_slice(&signature[4..]).unwrap();
    key.verify(body.as_bytes(), &signature).unwrap();
    // The PEM form is the same key.
    let pem = store.ok(&["key", "public"]);
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    // The tlog-proof form carries the same checkpoint.
    let tlog = store.ok(&["ledger", "prove", "5", "--format", "tlog-proof"]);
    assert!(tlog.starts_with("c2sp.org/tlog-proof@v1\nindex 5\n"), "{tlog}");
    assert!(tlog.ends_with(&note), "{tlog}");
}
