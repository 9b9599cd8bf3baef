//! Realistic package contents made with the real ledger code (entries, tree, proofs,
//! checkpoint, DSSE), and helpers that unpack, alter and repack an archive the way a
//! tamperer would.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read as _, Write as _};

use signoff_core::context::CiContext;
use signoff_core::entry::{Entry, Event, EvidenceRecord, FindingsCommitment, ReleaseRecord};
use signoff_core::records::{Actor, ActorKind, CertificateRecord, PolicyReference};
use signoff_core::summary::Summary;
use signoff_core::{CommitSha, Digest, EvidenceKind, Format, ProjectName, ReleaseVersion, Tool};
use signoff_ledger::checkpoint::{self, Checkpoint, NoteVerifier};
use signoff_ledger::keys::LedgerKey;
use signoff_ledger::merkle;
use signoff_ledger::statement::{ResourceDescriptor, Statement};
use signoff_package::manifest::Manifest;
use signoff_package::{
    CertificateEnvelope, Check, CheckKind, EvidenceBlob, Failure, IncludedEntry, PackageContents, Release,
    VerifyOptions, VerifyReport,
};
use time::OffsetDateTime;
use time::macros::datetime;

/// The log's origin and key name.
pub(crate) const ORIGIN: &str = "signoff.example.com/ledger";
/// The certificate of the release.
pub(crate) const CERTIFICATE_ID: &str = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
/// Predicate type of our certification statements (the fixture's stand-in).
pub(crate) const PREDICATE: &str = "https://signoff.dev/attestation/certification/v1";

/// A package's contents and what made them.
pub(crate) struct Fixture {
    pub(crate) key: LedgerKey,
    pub(crate) verifier: NoteVerifier,
    pub(crate) contents: PackageContents,
    /// Index of the release_created entry.
    pub(crate) release_entry: u64,
    /// Indexes of the evidence_captured entries that have blobs, in order.
    pub(crate) evidence_entries: Vec<u64>,
    /// Index of the certificate_issued entry.
    pub(crate) certificate_entry: u64,
}

/// The ledger key of the fixtures (seed 7s).
pub(crate) fn ledger_key() -> LedgerKey {
    LedgerKey::from_seed([7; 32])
}

/// Another key, for the tamperer.
pub(crate) fn other_key() -> LedgerKey {
    LedgerKey::from_seed([13; 32])
}

pub(crate) fn trusted(key: &LedgerKey) -> VerifyOptions {
    VerifyOptions { trusted_key: Some(NoteVerifier::new(ORIGIN, key.public()).unwrap()), ..VerifyOptions::default() }
}

const TOOLS: [(EvidenceKind, Format, &str, &str); 6] = [
    (EvidenceKind::Sast, Format::Sarif, "Bandit", "bandit.sarif"),
    (EvidenceKind::TestResults, Format::Junit, "pytest", "junit.xml"),
    (EvidenceKind::Sbom, Format::Cyclonedx, "cyclonedx-py", "sbom.cdx.json"),
    (EvidenceKind::Sca, Format::Trivy, "Trivy", "trivy results #1.json"),
    (EvidenceKind::Coverage, Format::Cobertura, "coverage.py", "coverage.xml"),
    (EvidenceKind::SecretsScan, Format::Gitleaks, "gitleaks", "gitleaks.json"),
];

/// An append-only list of canonical entry bytes, chained by `prev`.
#[derive(Default)]
struct Log {
    bodies: Vec<Vec<u8>>,
}

impl Log {
    fn push(&mut self, at: OffsetDateTime, event: Event) -> u64 {
        let seq = self.bodies.len() as u64;
        let prev = self.bodies.last().map(|body| Entry::hash_of(body));
        let entry = Entry { seq, prev, at, event };
        self.bodies.push(entry.to_canonical_bytes().unwrap());
        seq
    }
}

/// Deterministic text that compresses like real tool output (repetitive structure,
/// varying values).
pub(crate) fn blob(seed: usize, size: usize) -> Vec<u8> {
    let mut state = (seed as u64).wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut next = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        state >> 33
    };
    let mut text = String::from("{\"results\": [\n");
    while text.len() < size {
        text.push_str(&format!(
            "  {{\"rule\": \"R{:04}\", \"path\": \"src/module_{}.py\", \"line\": {}, \"message\": \"value {:x} flagged\"}},\n",
            next() % 500,
            next() % 120,
            next() % 4000,
            next()
        ));
    }
    text.truncate(size);
    text.into_bytes()
}

fn evidence_record(
    project: &ProjectName,
    commit: &CommitSha,
    number: usize,
    tool: (EvidenceKind, Format, &str, &str),
    bytes: &[u8],
) -> Event {
    let (kind, format, tool_name, file_name) = tool;
    Event::EvidenceCaptured(Box::new(EvidenceRecord {
        id: format!("0193a1b2-0000-7000-8000-{number:012}"),
        project: project.clone(),
        commit: Some(commit.clone()),
        release: None,
        kind,
        format,
        tool: Tool::new(tool_name, Some("1.0".into())),
        file_name: file_name.to_owned(),
        digest: Digest::of(bytes),
        size: bytes.len() as u64,
        original_digest: None,
        redacted: 0,
        summary: Summary::default(),
        findings: FindingsCommitment { count: 0, digest: Digest::of(b"") },
        context: CiContext { system: Some("github-actions".into()), ..CiContext::default() },
        produced_at: None,
        delivery: None,
        target: None,
    }))
}

/// A release of `payments-api` with `evidence_files` blobs of `blob_size` bytes, a
/// release entry and a certificate, among entries of another project, in a ledger
/// signed by `key`.
pub(crate) fn fixture_with_key(key: LedgerKey, evidence_files: usize, blob_size: usize) -> Fixture {
    let verifier = NoteVerifier::new(ORIGIN, key.public()).unwrap();
    let project = ProjectName::new("payments-api").unwrap();
    let other = ProjectName::new("billing").unwrap();
    let version = ReleaseVersion::new("2.4.0").unwrap();
    let commit = CommitSha::new("3f786850e387550fdab836ed7e6dc881de23001b").unwrap();
    let artifacts = vec![Digest::of(b"payments-api-2.4.0.tar.gz"), Digest::of(b"payments-api-2.4.0 image")];
    let at = datetime!(2026-11-20 09:00:00 UTC);

    let mut log = Log::default();
    let mut included = Vec::new();
    let mut evidence = Vec::new();
    let mut evidence_entries = Vec::new();
    log.push(at, evidence_record(&other, &commit, 900, TOOLS[0], b"other project"));
    let release_entry = log.push(
        at,
        Event::ReleaseCreated(Box::new(ReleaseRecord {
            id: "0193a1b2-0000-7000-8000-release00001".into(),
            project: project.clone(),
            version: version.clone(),
            commit: commit.clone(),
            artifacts: artifacts.clone(),
            previous: Some(ReleaseVersion::new("2.3.1").unwrap()),
            actor: Some("ci-bot".into()),
            context: CiContext::default(),
            changes: vec![],
            changes_note: None,
        })),
    );
    included.push(release_entry);
    for number in 0..evidence_files {
        let bytes = blob(number, blob_size);
        let tool = TOOLS[number % TOOLS.len()];
        let minute = time::Duration::minutes(number as i64 + 1);
        let index = log.push(at + minute, evidence_record(&project, &commit, number, tool, &bytes));
        included.push(index);
        evidence_entries.push(index);
        evidence.push(EvidenceBlob { entry: index, bytes });
        if number % 3 == 0 {
            log.push(at + minute, evidence_record(&other, &commit, 1000 + number, tool, b"noise"));
        }
    }

    let mut subject: Vec<ResourceDescriptor> = artifacts
        .iter()
        .enumerate()
        .map(|(position, digest)| ResourceDescriptor::sha256(Some(format!("artifact-{position}")), digest))
        .collect();
    subject.push(ResourceDescriptor {
        name: Some("commit".into()),
        digest: BTreeMap::from([("gitCommit".to_owned(), commit.to_string())]),
    });
    let statement = Statement::new(
        subject,
        PREDICATE,
        serde_json::json!({"project": "payments-api", "version": "2.4.0", "decision": "certified"}),
    )
    .unwrap();
    let envelope = statement.to_envelope(&key).unwrap();
    let certificate_entry = log.push(
        at + time::Duration::hours(1),
        Event::CertificateIssued(Box::new(CertificateRecord {
            id: CERTIFICATE_ID.into(),
            project: project.clone(),
            version: version.clone(),
            commit: commit.to_string(),
            artifacts: artifacts.clone(),
            decision: signoff_core::records::Decision::Certified,
            environments: BTreeMap::new(),
            policy: PolicyReference {
                name: "release-gate".into(),
                version: Some(3),
                digest: Digest::of(b"policy"),
                source: signoff_core::records::PolicySource::Published,
            },
            envelope: envelope.to_json(),
            statement_digest: Digest::of(&statement.to_payload().unwrap()),
            evaluated_at: time::macros::datetime!(2026-11-20 10:00:00 UTC),
            certifier: Actor { id: "release-manager".into(), kind: ActorKind::Human, on_behalf_of: None, source: None },
        })),
    );
    included.push(certificate_entry);
    log.push(at + time::Duration::hours(2), evidence_record(&other, &commit, 2000, TOOLS[1], b"later"));

    let leaves: Vec<Digest> = log.bodies.iter().map(|body| merkle::leaf_hash(body)).collect();
    let size = leaves.len() as u64;
    let checkpoint = checkpoint::sign(&Checkpoint::new(ORIGIN, size, merkle::root(&leaves)).unwrap(), &key);
    let entries = included
        .iter()
        .map(|&index| IncludedEntry {
            index,
            body: log.bodies[index as usize].clone(),
            proof: merkle::inclusion_proof(&leaves, index, size).unwrap(),
        })
        .collect();

    let contents = PackageContents {
        release: Release { project, version, commit, artifacts },
        created_at: datetime!(2026-11-21 08:30:00 UTC),
        ledger_key: verifier.clone(),
        checkpoint,
        entries,
        evidence,
        certificates: vec![CertificateEnvelope { id: CERTIFICATE_ID.into(), envelope }],
        index_html: None,
        certification: None,
    };
    Fixture { key, verifier, contents, release_entry, evidence_entries, certificate_entry }
}

/// The standard fixture: five evidence files of a few KB.
pub(crate) fn fixture() -> Fixture {
    fixture_with_key(ledger_key(), 5, 4096)
}

/// The members of an archive, read without any of the verifier's defences.
pub(crate) fn unpack(zip: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
    let mut members = BTreeMap::new();
    for position in 0..archive.len() {
        let mut file = archive.by_index(position).unwrap();
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        members.insert(file.name().unwrap().into_owned(), bytes);
    }
    members
}

/// Zips members as given, in order, with no checks on their names.
pub(crate) fn pack(members: &BTreeMap<String, Vec<u8>>) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().last_modified_time(zip::DateTime::default());
    for (path, bytes) in members {
        writer.start_file(path.as_str(), options).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// Rewrites `manifest.json`'s member list to match the members, as a tamperer who
/// knows the format would.
pub(crate) fn relist(members: &mut BTreeMap<String, Vec<u8>>) {
    let mut manifest = Manifest::from_bytes(&members["manifest.json"]).unwrap();
    manifest.members = members
        .iter()
        .filter(|(path, _)| path.as_str() != "manifest.json")
        .map(|(path, bytes)| signoff_package::manifest::MemberRecord {
            path: path.clone(),
            size: bytes.len() as u64,
            sha256: Digest::of(bytes),
        })
        .collect();
    members.insert("manifest.json".into(), manifest.to_bytes().unwrap());
}

/// Edits the manifest as JSON, then leaves it as edited.
pub(crate) fn edit_manifest(members: &mut BTreeMap<String, Vec<u8>>, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut value: serde_json::Value = serde_json::from_slice(&members["manifest.json"]).unwrap();
    edit(&mut value);
    members.insert("manifest.json".into(), serde_json::to_vec_pretty(&value).unwrap());
}

/// Flips the lowest bit of the byte at `position` (negative counts from the end).
pub(crate) fn flip(bytes: &mut [u8], position: isize) {
    let index = if position < 0 { bytes.len() - position.unsigned_abs() } else { position as usize };
    bytes[index] ^= 1;
}

/// Asserts that the report failed with a check naming `member` whose failure matches.
#[track_caller]
pub(crate) fn assert_fails(report: &VerifyReport, member: &str, matches: impl Fn(&Failure) -> bool) {
    assert!(!report.is_ok(), "verification passed:\n{report}");
    let found = report.failures().any(|check| check.member == member && check.failure().is_some_and(&matches));
    assert!(found, "no matching failure naming {member}:\n{report}");
}

/// The members named by failed checks.
pub(crate) fn failed_members(report: &VerifyReport) -> BTreeSet<String> {
    report.failures().map(|check| check.member.clone()).collect()
}

/// The checks of one kind.
pub(crate) fn checks_of(report: &VerifyReport, kind: CheckKind) -> Vec<&Check> {
    report.checks.iter().filter(|check| check.kind == kind).collect()
}
