//! Every kind of member altered, one at a time: verification fails and names the member
//! and the kind of problem. Each case is tried twice where it matters: a naive edit
//! (the manifest still records the old hashes) and a tamperer who also rewrites the
//! manifest's member list, so that only the cryptographic checks stand in the way.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use signoff_ledger::checkpoint::NoteError;
use signoff_ledger::dsse::Envelope;
use signoff_package::{Failure, KeySource, VerifyOptions, build, verify};

use crate::util::*;

struct Case {
    zip: Vec<u8>,
    fixture: Fixture,
}

fn case() -> Case {
    let fixture = fixture();
    Case { zip: build(&fixture.contents).unwrap(), fixture }
}

impl Case {
    /// The package with `alter` applied to its members; `relisted` also rewrites the
    /// manifest's member list to match.
    fn altered(&self, relisted: bool, alter: impl FnOnce(&mut BTreeMap<String, Vec<u8>>)) -> Vec<u8> {
        let mut members = unpack(&self.zip);
        alter(&mut members);
        if relisted {
            relist(&mut members);
        }
        pack(&members)
    }

    fn options(&self) -> VerifyOptions {
        trusted(&self.fixture.key)
    }

    fn evidence_path(&self) -> String {
        format!("evidence/{}-junit.xml", self.fixture.evidence_entries[1])
    }
}

#[test]
fn repacking_unchanged_members_still_verifies() {
    // The helpers themselves do not break a package (other zip options, same members).
    let case = case();
    for relisted in [false, true] {
        let zip = case.altered(relisted, |_| {});
        assert!(verify(&zip, &case.options()).is_ok(), "{}", verify(&zip, &case.options()));
    }
}

#[test]
fn a_flipped_byte_in_an_evidence_file() {
    let case = case();
    let path = case.evidence_path();
    for relisted in [false, true] {
        let zip = case.altered(relisted, |members| flip(members.get_mut(&path).unwrap(), 100));
        let report = verify(&zip, &case.options());
        assert_fails(&report, &path, |failure| matches!(failure, Failure::EvidenceDigestMismatch { .. }));
        if !relisted {
            assert_fails(&report, &path, |failure| matches!(failure, Failure::DigestMismatch { .. }));
        }
        assert_eq!(failed_members(&report), [path.clone()].into(), "{report}");
    }
}

#[test]
fn a_flipped_byte_in_a_ledger_entry() {
    let case = case();
    let index = case.fixture.evidence_entries[0];
    let entry = format!("ledger/entries/{index}.json");
    let proof = format!("ledger/proofs/{index}.tlog-proof");
    // `"at":"2026-11-20T09:01:00Z"` → `...09:00:00Z`: still a valid entry.
    let at = String::from_utf8(unpack(&case.zip)[&entry].clone()).unwrap().find("T09:01").unwrap() as isize;
    for relisted in [false, true] {
        let zip = case.altered(relisted, |members| flip(members.get_mut(&entry).unwrap(), at + 5));
        let report = verify(&zip, &case.options());
        assert_fails(&report, &entry, |failure| matches!(failure, Failure::LeafHashMismatch { .. }));
        assert_fails(&report, &proof, |failure| matches!(failure, Failure::NotIncluded(_)));
        if !relisted {
            assert_fails(&report, &entry, |failure| matches!(failure, Failure::DigestMismatch { .. }));
        }
    }

    // A tamperer who also rewrites the manifest's leaf hash meets the proof.
    let zip = case.altered(true, |members| {
        flip(members.get_mut(&entry).unwrap(), at + 5);
        let leaf = signoff_ledger::merkle::leaf_hash(&members[&entry]).to_hex();
        edit_manifest(members, |manifest| {
            for facts in manifest["ledger"]["entries"].as_array_mut().unwrap() {
                if facts["index"] == index {
                    facts["leaf_hash"] = leaf.clone().into();
                }
            }
        });
    });
    let report = verify(&zip, &case.options());
    assert_fails(&report, &proof, |failure| matches!(failure, Failure::NotIncluded(_)));
    assert_eq!(failed_members(&report), [proof].into(), "{report}");

    // An entry moved to another index names a position its bytes deny.
    let moved = case.altered(true, |members| {
        let body = members.remove(&entry).unwrap();
        members.insert(format!("ledger/entries/{}.json", index + 1000), body);
        let proof_text = members.remove(&format!("ledger/proofs/{index}.tlog-proof")).unwrap();
        members.insert(format!("ledger/proofs/{}.tlog-proof", index + 1000), proof_text);
    });
    let report = verify(&moved, &case.options());
    let moved_entry = format!("ledger/entries/{}.json", index + 1000);
    assert_fails(&report, &moved_entry, |failure| matches!(failure, Failure::EntryPosition { .. }));
    assert_fails(&report, &moved_entry, |failure| matches!(failure, Failure::UnlistedEntry { .. }));
}

#[test]
fn a_flipped_bit_in_a_proof_hash() {
    let case = case();
    let index = case.fixture.evidence_entries[2];
    let proof = format!("ledger/proofs/{index}.tlog-proof");
    for relisted in [false, true] {
        let zip = case.altered(relisted, |members| {
            let text = String::from_utf8(members[&proof].clone()).unwrap();
            let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
            // Line 2 is the first hash: change one base64 digit (keeps it valid base64).
            let mut hash = STANDARD.decode(&lines[2]).unwrap();
            hash[0] ^= 0x80;
            lines[2] = STANDARD.encode(hash);
            members.insert(proof.clone(), lines.join("\n").into_bytes());
        });
        let report = verify(&zip, &case.options());
        assert_fails(&report, &proof, |failure| matches!(failure, Failure::NotIncluded(_)));
    }
    // A proof claiming another index, or garbage.
    let zip = case.altered(true, |members| {
        let text = String::from_utf8(members[&proof].clone()).unwrap();
        members.insert(proof.clone(), text.replacen(&format!("index {index}\n"), "index 0\n", 1).into_bytes());
    });
    assert_fails(&verify(&zip, &case.options()), &proof, |failure| matches!(failure, Failure::ProofIndex { .. }));
    let zip = case.altered(true, |members| {
        members.insert(proof.clone(), b"c2sp.org/tlog-proof@v1\nindex x\n".to_vec());
    });
    assert_fails(&verify(&zip, &case.options()), &proof, |failure| matches!(failure, Failure::MalformedProof(_)));
}

#[test]
fn a_changed_checkpoint() {
    let case = case();
    let note = case.fixture.contents.checkpoint.clone();
    // The signature (last base64 character before the newline), the root, the size.
    let signature_at = note.len() as isize - 4;
    let size: u64 = note.lines().nth(1).unwrap().parse().unwrap();
    let root_line = note.lines().nth(2).unwrap().to_owned();
    let mut other_root = STANDARD.decode(&root_line).unwrap();
    other_root[31] ^= 1;
    type Edit = Box<dyn Fn(&str) -> String>;
    let edits: [(&str, Edit); 3] = [
        (
            "signature",
            Box::new(move |note: &str| {
                let mut bytes = note.as_bytes().to_vec();
                flip(&mut bytes, signature_at);
                String::from_utf8(bytes).unwrap()
            }),
        ),
        ("root", Box::new(move |note: &str| note.replacen(&root_line, &STANDARD.encode(&other_root), 1))),
        ("size", Box::new(move |note: &str| note.replacen(&format!("\n{size}\n"), &format!("\n{}\n", size + 1), 1))),
    ];
    for (what, edit) in edits {
        let changed = edit(&note);
        assert_ne!(changed, note, "{what}");
        for with_proofs in [false, true] {
            let zip = case.altered(true, |members| {
                members.insert("ledger/checkpoint".into(), changed.clone().into_bytes());
                if with_proofs {
                    // A thorough tamperer updates the checkpoint embedded in every proof.
                    for (path, bytes) in members.iter_mut() {
                        if path.starts_with("ledger/proofs/") {
                            let text = String::from_utf8(bytes.clone()).unwrap();
                            *bytes = text.replace(&note, &changed).into_bytes();
                        }
                    }
                }
            });
            let report = verify(&zip, &case.options());
            assert_fails(&report, "ledger/checkpoint", |failure| {
                matches!(
                    failure,
                    Failure::Checkpoint(NoteError::BadSignature { .. } | NoteError::MalformedSignatureLine { .. })
                )
            });
            let proof = format!("ledger/proofs/{}.tlog-proof", case.fixture.release_entry);
            if with_proofs {
                assert_fails(&report, &proof, |failure| matches!(failure, Failure::NoCheckpoint));
            } else {
                assert_fails(&report, &proof, |failure| matches!(failure, Failure::ProofCheckpoint));
            }
        }
    }
}

fn edit_envelope(members: &mut BTreeMap<String, Vec<u8>>, edit: impl FnOnce(&mut Envelope)) {
    let path = format!("certificates/{CERTIFICATE_ID}.dsse.json");
    let mut envelope = Envelope::from_json(&members[&path]).unwrap();
    edit(&mut envelope);
    members.insert(path, envelope.to_json().into_bytes());
}

#[test]
fn a_changed_certificate() {
    let case = case();
    let path = format!("certificates/{CERTIFICATE_ID}.dsse.json");
    for relisted in [false, true] {
        // The payload: "certified" → "rejected"... any change breaks the signature.
        let zip = case.altered(relisted, |members| {
            edit_envelope(members, |envelope| {
                let text = String::from_utf8(envelope.payload.clone()).unwrap();
                envelope.payload = text.replace("certified", "certifieD").into_bytes();
            });
        });
        let report = verify(&zip, &case.options());
        assert_fails(&report, &path, |failure| matches!(failure, Failure::BadSignature(_)));
        if !relisted {
            assert_fails(&report, &path, |failure| matches!(failure, Failure::DigestMismatch { .. }));
        }

        // The signature.
        let zip =
            case.altered(relisted, |members| edit_envelope(members, |envelope| envelope.signatures[0].sig[5] ^= 1));
        assert_fails(&verify(&zip, &case.options()), &path, |failure| matches!(failure, Failure::BadSignature(_)));

        // The payload type (covered by the signature through PAE).
        let zip = case.altered(relisted, |members| {
            edit_envelope(members, |envelope| envelope.payload_type = "application/json".into());
        });
        assert_fails(&verify(&zip, &case.options()), &path, |failure| matches!(failure, Failure::BadSignature(_)));
    }

    // Raw garbage in the member.
    let zip = case.altered(true, |members| {
        members.insert(path.clone(), b"{\"payloadType\": 1}".to_vec());
    });
    assert_fails(&verify(&zip, &case.options()), &path, |failure| matches!(failure, Failure::MalformedEnvelope(_)));

    // A validly signed statement about another release does not certify this one.
    let other = {
        let statement = signoff_ledger::statement::Statement::new(
            vec![signoff_ledger::statement::ResourceDescriptor::sha256(None, &signoff_core::Digest::of(b"other"))],
            PREDICATE,
            serde_json::json!({}),
        )
        .unwrap();
        statement.to_envelope(&case.fixture.key).unwrap()
    };
    let zip = case.altered(true, |members| {
        members.insert(path.clone(), other.to_json().into_bytes());
    });
    let report = verify(&zip, &case.options());
    assert_fails(&report, &path, |failure| matches!(failure, Failure::ReleaseNotNamed { .. }));
    assert_fails(&report, &path, |failure| matches!(failure, Failure::StatementDigestMismatch { .. }));
}

#[test]
fn a_changed_manifest() {
    let case = case();
    // A byte that breaks the JSON.
    let zip = case.altered(false, |members| flip(members.get_mut("manifest.json").unwrap(), 0));
    let report = verify(&zip, &case.options());
    assert_fails(&report, "manifest.json", |failure| matches!(failure, Failure::MalformedManifest(_)));

    // A recorded member digest.
    let path = case.evidence_path();
    let zip = case.altered(false, |members| {
        edit_manifest(members, |manifest| {
            for member in manifest["members"].as_array_mut().unwrap() {
                if member["path"] == path.as_str() {
                    member["sha256"] = signoff_core::Digest::of(b"else").to_string().into();
                }
            }
        });
    });
    assert_fails(&verify(&zip, &case.options()), &path, |failure| matches!(failure, Failure::DigestMismatch { .. }));

    // The checkpoint facts.
    let zip = case.altered(false, |members| {
        edit_manifest(members, |manifest| manifest["ledger"]["root"] = "00".repeat(32).into());
    });
    let report = verify(&zip, &case.options());
    assert_fails(&report, "manifest.json", |failure| {
        matches!(failure, Failure::ManifestMismatch { field: "ledger.root", .. })
    });
    let zip = case.altered(false, |members| edit_manifest(members, |manifest| manifest["ledger"]["size"] = 3.into()));
    let report = verify(&zip, &case.options());
    assert_fails(&report, "manifest.json", |failure| {
        matches!(failure, Failure::ManifestMismatch { field: "ledger.size", .. })
    });

    // The release it claims to be about.
    let zip = case.altered(false, |members| {
        edit_manifest(members, |manifest| manifest["release"]["commit"] = "ab".repeat(20).into());
    });
    let report = verify(&zip, &case.options());
    assert_fails(&report, "manifest.json", |failure| {
        matches!(failure, Failure::ReleaseMismatch { field: "commit", .. })
    });
    let certificate = format!("certificates/{CERTIFICATE_ID}.dsse.json");
    assert_fails(&report, &certificate, |failure| matches!(failure, Failure::ReleaseNotNamed { .. }));
    let zip = case.altered(false, |members| {
        edit_manifest(members, |manifest| {
            manifest["release"]["artifacts"].as_array_mut().unwrap().pop();
        });
    });
    let report = verify(&zip, &case.options());
    assert_fails(&report, "manifest.json", |failure| {
        matches!(failure, Failure::ReleaseMismatch { field: "artifacts", .. })
    });
    // Another version: no entry or certificate in the package confirms it.
    let zip = case.altered(false, |members| {
        edit_manifest(members, |manifest| manifest["release"]["version"] = "9.9.9".into());
    });
    let report = verify(&zip, &case.options());
    assert_fails(&report, "manifest.json", |failure| matches!(failure, Failure::ReleaseUnconfirmed { .. }));

    // A leaf hash, and an entry's kind.
    let index = case.fixture.release_entry;
    let entry = format!("ledger/entries/{index}.json");
    let zip = case.altered(false, |members| {
        edit_manifest(members, |manifest| {
            for facts in manifest["ledger"]["entries"].as_array_mut().unwrap() {
                if facts["index"] == index {
                    facts["kind"] = "evidence_captured".into();
                }
            }
        });
    });
    let report = verify(&zip, &case.options());
    assert_fails(&report, &entry, |failure| matches!(failure, Failure::ManifestMismatch { field: "kind", .. }));

    // Listing the manifest itself, or a member twice.
    let zip = case.altered(false, |members| {
        edit_manifest(members, |manifest| {
            let members = manifest["members"].as_array_mut().unwrap();
            let first = members[0].clone();
            members.push(first);
        });
    });
    let report = verify(&zip, &case.options());
    assert_fails(&report, "manifest.json", |failure| {
        matches!(failure, Failure::InvalidRecord { reason: "lists a path twice", .. })
    });
}

#[test]
fn a_deleted_member() {
    let case = case();
    let index = case.fixture.evidence_entries[3];
    let deletable = [
        case.evidence_path(),
        format!("ledger/entries/{index}.json"),
        format!("ledger/proofs/{index}.tlog-proof"),
        format!("certificates/{CERTIFICATE_ID}.dsse.json"),
        "ledger/checkpoint".to_owned(),
        "keys/ledger.pub".to_owned(),
        "keys/ledger.vkey".to_owned(),
        "index.html".to_owned(),
        "manifest.json".to_owned(),
    ];
    for path in deletable {
        let zip = case.altered(false, |members| {
            members.remove(&path).unwrap();
        });
        let report = verify(&zip, &case.options());
        assert_fails(&report, &path, |failure| matches!(failure, Failure::MissingMember { .. }));
    }

    // Deleting an entry and its proof, even from the manifest, strands its evidence.
    let evidence = format!("evidence/{index}-trivy results #1.json");
    let zip = case.altered(true, |members| {
        members.remove(&format!("ledger/entries/{index}.json"));
        members.remove(&format!("ledger/proofs/{index}.tlog-proof"));
        edit_manifest(members, |manifest| {
            manifest["ledger"]["entries"].as_array_mut().unwrap().retain(|facts| facts["index"] != index);
        });
    });
    let report = verify(&zip, &case.options());
    assert_fails(&report, &evidence, |failure| matches!(failure, Failure::EvidenceEntryMissing { .. }));
    assert_eq!(failed_members(&report), [evidence].into(), "{report}");

    // Deleting the only confirmations of the release leaves it unconfirmed.
    let zip = case.altered(true, |members| {
        for index in [case.fixture.release_entry, case.fixture.certificate_entry] {
            members.remove(&format!("ledger/entries/{index}.json"));
            members.remove(&format!("ledger/proofs/{index}.tlog-proof"));
        }
        members.remove(&format!("certificates/{CERTIFICATE_ID}.dsse.json"));
        let removed = [case.fixture.release_entry, case.fixture.certificate_entry];
        edit_manifest(members, |manifest| {
            manifest["ledger"]["entries"]
                .as_array_mut()
                .unwrap()
                .retain(|facts| !removed.iter().any(|index| facts["index"] == *index));
        });
    });
    let report = verify(&zip, &case.options());
    assert_fails(&report, "manifest.json", |failure| matches!(failure, Failure::ReleaseUnconfirmed { .. }));
}

#[test]
fn an_unexpected_member() {
    let case = case();
    for relisted in [false, true] {
        let zip = case.altered(relisted, |members| {
            members.insert("notes.txt".into(), b"trust me".to_vec());
        });
        let report = verify(&zip, &case.options());
        assert_fails(&report, "notes.txt", |failure| matches!(failure, Failure::NotInLayout));
        if !relisted {
            assert_fails(&report, "notes.txt", |failure| matches!(failure, Failure::UnexpectedMember));
        }

        // In the layout, but recorded by no entry of the package.
        let zip = case.altered(relisted, |members| {
            members.insert("evidence/9999-extra.sarif".into(), b"{}".to_vec());
        });
        let report = verify(&zip, &case.options());
        assert_fails(&report, "evidence/9999-extra.sarif", |failure| {
            matches!(failure, Failure::EvidenceEntryMissing { .. })
        });
        if !relisted {
            assert_fails(&report, "evidence/9999-extra.sarif", |failure| matches!(failure, Failure::UnexpectedMember));
        }

        // A second copy of a blob under another name of its entry.
        let index = case.fixture.evidence_entries[0];
        let copy = format!("evidence/{index}-renamed.sarif");
        let zip = case.altered(relisted, |members| {
            let bytes = members[&format!("evidence/{index}-bandit.sarif")].clone();
            members.insert(copy.clone(), bytes);
        });
        let report = verify(&zip, &case.options());
        assert_fails(&report, &copy, |failure| matches!(failure, Failure::EvidenceName { .. }));
    }
}

#[test]
fn a_replaced_key() {
    let case = case();
    let other = other_key();

    // Only the PEM key: the two key files disagree (and the PEM is not the trusted key).
    let zip = case.altered(true, |members| {
        members.insert("keys/ledger.pub".into(), other.public().to_spki_pem().into_bytes());
    });
    let report = verify(&zip, &VerifyOptions::default());
    assert_fails(&report, "keys/ledger.pub", |failure| matches!(failure, Failure::KeysDisagree { .. }));
    let report = verify(&zip, &case.options());
    assert_fails(&report, "keys/ledger.pub", |failure| matches!(failure, Failure::UntrustedKey { .. }));

    // Both key files: nothing the ledger signed verifies under the new key.
    let zip = case.altered(true, |members| {
        let verifier = signoff_ledger::checkpoint::NoteVerifier::new(ORIGIN, other.public()).unwrap();
        members.insert("keys/ledger.pub".into(), other.public().to_spki_pem().into_bytes());
        members.insert("keys/ledger.vkey".into(), format!("{}\n", verifier.to_text()).into_bytes());
    });
    let report = verify(&zip, &VerifyOptions::default());
    assert_fails(&report, "ledger/checkpoint", |failure| {
        matches!(failure, Failure::Checkpoint(NoteError::NotSignedByKey { .. }))
    });
    let certificate = format!("certificates/{CERTIFICATE_ID}.dsse.json");
    assert_fails(&report, &certificate, |failure| matches!(failure, Failure::BadSignature(_)));
    let report = verify(&zip, &case.options());
    assert_fails(&report, "keys/ledger.vkey", |failure| matches!(failure, Failure::UntrustedKey { .. }));

    // A malformed key file.
    let zip = case.altered(true, |members| {
        members.insert("keys/ledger.vkey".into(), b"signoff+zzzz+AAAA\n".to_vec());
    });
    let report = verify(&zip, &VerifyOptions::default());
    assert_fails(&report, "keys/ledger.vkey", |failure| matches!(failure, Failure::MalformedVerifierKey(_)));
    assert_fails(&report, "ledger/checkpoint", |failure| matches!(failure, Failure::NoKey));
    assert_eq!(report.key_source, KeySource::Missing);
}

#[test]
fn a_package_re_signed_with_another_key_needs_the_trusted_key_to_be_caught() {
    // Whoever holds a key can make a consistent package of made-up history. Only the
    // auditor's own copy of the ledger key tells it apart: this is what
    // `VerifyOptions::trusted_key` is for.
    let forged = fixture_with_key(other_key(), 5, 4096);
    let zip = build(&forged.contents).unwrap();
    let report = verify(&zip, &VerifyOptions::default());
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.key_source, KeySource::Package);

    let report = verify(&zip, &trusted(&ledger_key()));
    assert_eq!(report.key_source, KeySource::Trusted);
    assert_fails(&report, "keys/ledger.vkey", |failure| matches!(failure, Failure::UntrustedKey { .. }));
    assert_fails(&report, "keys/ledger.pub", |failure| matches!(failure, Failure::UntrustedKey { .. }));
    assert_fails(&report, "ledger/checkpoint", |failure| matches!(failure, Failure::Checkpoint(_)));
    let certificate = format!("certificates/{CERTIFICATE_ID}.dsse.json");
    assert_fails(&report, &certificate, |failure| matches!(failure, Failure::BadSignature(_)));
}
