//! Building a realistic package, verifying it, and its determinism.

use signoff_core::Digest;
use signoff_ledger::checkpoint::NoteVerifier;
use signoff_package::manifest::Manifest;
use signoff_package::{CheckKind, Failure, KeySource, PackageError, VerifyOptions, build, verify};

use crate::util::*;

#[test]
fn a_realistic_package_verifies() {
    let fixture = fixture();
    let zip = build(&fixture.contents).unwrap();

    let report = verify(&zip, &trusted(&fixture.key));
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.key_source, KeySource::Trusted);

    // Every entry got its inclusion check, every blob its ledger check, the
    // certificate its signature, subject and ledger checks.
    let entries = fixture.contents.entries.len();
    assert_eq!(checks_of(&report, CheckKind::Inclusion).len(), entries, "{report}");
    assert_eq!(checks_of(&report, CheckKind::Evidence).len(), fixture.evidence_entries.len(), "{report}");
    assert_eq!(checks_of(&report, CheckKind::Certificate).len(), 3, "{report}");
    assert_eq!(checks_of(&report, CheckKind::Release).len(), 3, "release entry, certificate entry, confirmed");
    let manifest = report.manifest.as_ref().unwrap();
    assert_eq!(manifest.release.project.as_str(), "payments-api");
    assert_eq!(manifest.ledger.entries.len(), entries);

    // Without a trusted key the package is checked against its own key.
    let report = verify(&zip, &VerifyOptions::default());
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.key_source, KeySource::Package);
}

#[test]
fn layout_is_the_documented_one() {
    let fixture = fixture();
    let zip = build(&fixture.contents).unwrap();
    let members = unpack(&zip);
    let names: Vec<&str> = members.keys().map(String::as_str).collect();

    let mut expected = vec![
        format!("certificates/{CERTIFICATE_ID}.dsse.json"),
        "index.html".to_owned(),
        "keys/ledger.pub".to_owned(),
        "keys/ledger.vkey".to_owned(),
        "ledger/checkpoint".to_owned(),
        "manifest.json".to_owned(),
    ];
    for entry in &fixture.contents.entries {
        expected.push(format!("ledger/entries/{}.json", entry.index));
        expected.push(format!("ledger/proofs/{}.tlog-proof", entry.index));
    }
    let file_names = ["bandit.sarif", "junit.xml", "sbom.cdx.json", "trivy results #1.json", "coverage.xml"];
    for (index, file_name) in fixture.evidence_entries.iter().zip(file_names) {
        expected.push(format!("evidence/{index}-{file_name}"));
    }
    expected.sort();
    assert_eq!(names, expected);

    // The archive's own order is sorted too.
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&zip)).unwrap();
    let order: Vec<String> =
        (0..archive.len()).map(|i| archive.by_index(i).unwrap().name().unwrap().into_owned()).collect();
    assert_eq!(order, expected);

    // Members hold what they are documented to hold.
    let entry = &fixture.contents.entries[0];
    assert_eq!(members[&format!("ledger/entries/{}.json", entry.index)], entry.body);
    assert_eq!(members["ledger/checkpoint"], fixture.contents.checkpoint.as_bytes());
    assert_eq!(members["keys/ledger.pub"], fixture.key.public().to_spki_pem().as_bytes());
    assert_eq!(members["keys/ledger.vkey"], format!("{}\n", fixture.verifier.to_text()).as_bytes());
    let proof = String::from_utf8(members[&format!("ledger/proofs/{}.tlog-proof", entry.index)].clone()).unwrap();
    assert!(proof.starts_with(&format!("c2sp.org/tlog-proof@v1\nindex {}\n", entry.index)), "{proof}");
    assert!(proof.ends_with(&format!("\n\n{}", fixture.contents.checkpoint)), "{proof}");
    let blob = &fixture.contents.evidence[0];
    assert_eq!(members[&format!("evidence/{}-bandit.sarif", blob.entry)], blob.bytes);

    // The manifest lists every other member with its size and digest, and the ledger facts.
    let manifest = Manifest::from_bytes(&members["manifest.json"]).unwrap();
    let listed: Vec<&str> = manifest.members.iter().map(|member| member.path.as_str()).collect();
    let others: Vec<&str> = names.iter().copied().filter(|name| *name != "manifest.json").collect();
    assert_eq!(listed, others);
    for record in &manifest.members {
        assert_eq!(record.size, members[&record.path].len() as u64);
        assert_eq!(record.sha256, Digest::of(&members[&record.path]));
    }
    assert_eq!(manifest.ledger.origin, ORIGIN);
    assert_eq!(manifest.ledger.entries[0].leaf_hash, signoff_ledger::merkle::leaf_hash(&entry.body));
    assert_eq!(manifest.created_at, fixture.contents.created_at);
    let page = String::from_utf8(members["index.html"].clone()).unwrap();
    assert!(page.contains("payments-api 2.4.0") && page.contains("trivy%20results%20%231.json"), "{page}");
}

#[test]
fn same_contents_give_the_same_bytes() {
    let fixture = fixture();
    let first = build(&fixture.contents).unwrap();
    let second = build(&fixture.contents).unwrap();
    assert_eq!(Digest::of(&first), Digest::of(&second));

    let mut reordered = fixture.contents.clone();
    reordered.entries.reverse();
    reordered.evidence.rotate_left(2);
    reordered.release.artifacts.reverse();
    assert_eq!(Digest::of(&build(&reordered).unwrap()), Digest::of(&first));

    // Two certificates, given in either order.
    let mut another = fixture.contents.certificates[0].clone();
    another.id = "0193a1b2-ffff-7e5f-8a9b-0c1d2e3f4a5b".into();
    let mut one_way = fixture.contents.clone();
    one_way.certificates.push(another.clone());
    let mut other_way = fixture.contents.clone();
    other_way.certificates.insert(0, another);
    assert_eq!(Digest::of(&build(&one_way).unwrap()), Digest::of(&build(&other_way).unwrap()));

    // The creation time is the one input that is not evidence, and it shows.
    let mut later = fixture.contents.clone();
    later.created_at += time::Duration::seconds(1);
    assert_ne!(Digest::of(&build(&later).unwrap()), Digest::of(&first));
}

#[test]
fn members_are_dated_1980_with_mode_0644() {
    let zip = build(&fixture().contents).unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&zip)).unwrap();
    for position in 0..archive.len() {
        let file = archive.by_index(position).unwrap();
        assert_eq!(file.last_modified(), Some(zip::DateTime::default()), "{}", file.name().unwrap());
        assert_eq!(file.unix_mode(), Some(0o100_644), "{}", file.name().unwrap());
        assert_eq!(file.compression(), zip::CompressionMethod::Deflated);
    }
}

#[test]
fn a_given_index_page_is_used() {
    let mut contents = fixture().contents;
    contents.index_html = Some(b"<!DOCTYPE html><title>Release report</title>".to_vec());
    let zip = build(&contents).unwrap();
    assert_eq!(unpack(&zip)["index.html"], b"<!DOCTYPE html><title>Release report</title>");
    assert!(verify(&zip, &VerifyOptions::default()).is_ok());
}

#[test]
fn build_refuses_inconsistent_contents() {
    let fixture = fixture();

    let mut wrong_blob = fixture.contents.clone();
    wrong_blob.evidence[1].bytes.push(b'\n');
    let entry = wrong_blob.evidence[1].entry;
    match build(&wrong_blob) {
        Err(PackageError::DoesNotVerify { failures }) => {
            assert!(
                failures.iter().any(|check| check.member == format!("evidence/{entry}-junit.xml")
                    && matches!(
                        check.failure(),
                        Some(Failure::EvidenceSizeMismatch { .. } | Failure::EvidenceDigestMismatch { .. })
                    )),
                "{failures:#?}"
            );
        }
        other => panic!("{other:?}"),
    }

    let mut orphan = fixture.contents.clone();
    orphan.evidence[0].entry = fixture.release_entry;
    assert!(matches!(build(&orphan), Err(PackageError::NotEvidenceEntry { kind, .. }) if kind == "release_created"));
    orphan.evidence[0].entry = 999;
    assert!(matches!(build(&orphan), Err(PackageError::EvidenceWithoutEntry { entry: 999 })));

    let mut twice = fixture.contents.clone();
    twice.entries.push(twice.entries[0].clone());
    assert!(matches!(build(&twice), Err(PackageError::DuplicateEntry { .. })));
    let mut twice = fixture.contents.clone();
    twice.evidence.push(twice.evidence[0].clone());
    assert!(matches!(build(&twice), Err(PackageError::DuplicateEvidence { .. })));
    let mut twice = fixture.contents.clone();
    twice.certificates.push(twice.certificates[0].clone());
    assert!(matches!(build(&twice), Err(PackageError::DuplicateCertificate { .. })));

    let mut bad_id = fixture.contents.clone();
    bad_id.certificates[0].id = "../../etc/passwd".into();
    assert!(matches!(build(&bad_id), Err(PackageError::InvalidCertificateId { .. })));

    let mut not_an_entry = fixture.contents.clone();
    not_an_entry.entries[0].body = b"not json".to_vec();
    assert!(matches!(build(&not_an_entry), Err(PackageError::InvalidEntry { .. })));

    let mut wrong_proof = fixture.contents.clone();
    wrong_proof.entries[2].proof[0] = Digest::of(b"wrong");
    let index = wrong_proof.entries[2].index;
    match build(&wrong_proof) {
        Err(PackageError::DoesNotVerify { failures }) => assert!(
            failures.iter().any(|check| check.member == format!("ledger/proofs/{index}.tlog-proof")
                && matches!(check.failure(), Some(Failure::NotIncluded(_)))),
            "{failures:#?}"
        ),
        other => panic!("{other:?}"),
    }

    // A checkpoint signed by another key than the one the package names.
    let mut other_signer = fixture.contents.clone();
    other_signer.ledger_key = NoteVerifier::new(ORIGIN, other_key().public()).unwrap();
    let error = build(&other_signer).unwrap_err();
    assert!(error.to_string().starts_with("the package does not verify: FAILED ledger/checkpoint"), "{error}");
}
