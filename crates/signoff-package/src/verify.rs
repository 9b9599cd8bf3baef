//! Offline verification of a package: no store, no network, no clock.
//!
//! [`verify`] runs every check it can and reports each one, passed or failed, naming
//! the member it concerns; one failure never hides another. In order:
//!
//! 1. **Archive**: readable within [`Limits`](crate::Limits), consistent headers, safe member names.
//! 2. **Manifest**: `manifest.json` is a version-1 manifest.
//! 3. **Layout**: every member has a place in the layout; every required member, every
//!    member the manifest lists, and the proof of every entry (and the entry of every
//!    proof) is present.
//! 4. **Listing**: each member's size and SHA-256 are the ones the manifest records,
//!    and every member is listed.
//! 5. **Key**: `keys/ledger.vkey` and `keys/ledger.pub` parse and are the same key; if
//!    the auditor passed a trusted key, the package's key must be it, and signatures are
//!    checked with the trusted key only.
//! 6. **Checkpoint**: `ledger/checkpoint` is signed by the key; the manifest's origin,
//!    size and root are the checkpoint's.
//! 7. **Entries**: each entry names its own index (`seq`); its leaf hash
//!    `SHA-256(0x00 ‖ bytes)` and kind are the ones the manifest records.
//! 8. **Inclusion**: each proof is a `tlog-proof@v1` for that index, embeds exactly
//!    `ledger/checkpoint`, and its audit path leads from the entry's leaf hash to the
//!    checkpoint's root (RFC 9162 §2.1.3.2).
//! 9. **Evidence**: each blob's SHA-256 and size are those its `evidence_captured`
//!    entry records, and its name is the entry's file name.
//! 10. **Certificates**: each DSSE envelope verifies under the key, carries an in-toto
//!     statement whose subjects name the release (every artifact digest as `sha256`,
//!     the commit as `gitCommit`), and, when the package includes its
//!     `certificate_issued` entry, is the statement that entry records.
//! 11. **Release**: the manifest's release (project, version, commit, artifacts) agrees
//!     with every included `release_created` and `certificate_issued` entry of that
//!     project and version, and there is at least one such entry: the manifest is not
//!     signed, so the ledger must confirm what it says the package is about.
//!
//! Architecture Invariant: trust comes from the key. Without
//! [`VerifyOptions::trusted_key`], the key is read from the package itself, which proves
//! only that the package is internally consistent: whoever can write a package can sign
//! one with a key of their own. [`VerifyReport::key_source`] says which it was.

use std::collections::{BTreeMap, BTreeSet};

use signoff_core::Digest;
use signoff_ledger::checkpoint::{self, Checkpoint, NoteVerifier};
use signoff_ledger::dsse::Envelope;
use signoff_ledger::keys::PublicKey;
use signoff_ledger::merkle;
use signoff_ledger::statement::{PAYLOAD_TYPE, Statement};

use crate::archive;
use crate::layout::{self, Member};
use crate::manifest::{EntryFacts, Manifest, Release};
use crate::tlog_proof::TlogProof;

mod report;

pub use report::*;

/// Verifies a package offline; see the module documentation for the checks.
///
/// Never fails: every problem, including an archive that cannot be read at all, is a
/// failed check in the report.
pub fn verify(zip_bytes: &[u8], options: &VerifyOptions) -> VerifyReport {
    let mut report = VerifyReport { checks: Vec::new(), manifest: None, key_source: KeySource::Missing };
    let contents = match archive::read(zip_bytes, &options.limits) {
        Ok(contents) => contents,
        Err(failure) => {
            report.record(ARCHIVE, CheckKind::Archive, "archive is a readable zip within the limits", Err(failure));
            return report;
        }
    };
    report.record(
        ARCHIVE,
        CheckKind::Archive,
        format!("archive is a readable zip within the limits ({} members)", contents.members.len()),
        Ok(()),
    );
    for (name, failure) in contents.refused {
        report.record(name, CheckKind::Archive, "member can be read safely", Err(failure));
    }
    let progress = options.progress.as_deref();
    if let Some(progress) = progress {
        let total = contents.members.values().map(|bytes| bytes.len() as u64).sum();
        progress.total.store(total, std::sync::atomic::Ordering::Relaxed);
    }
    let mut run = Run { members: &contents.members, report, manifest: None, progress };
    run.manifest();
    run.layout();
    run.listing();
    let verifier = run.key(options.trusted_key.as_ref());
    let checkpoint = run.checkpoint(verifier.as_ref());
    let entries = run.entries(checkpoint.as_ref());
    run.evidence(&entries);
    run.certificates(verifier.as_ref(), &entries);
    run.release(&entries);
    let Run { mut report, manifest, .. } = run;
    report.manifest = manifest;
    report
}

/// The state of one verification.
struct Run<'a> {
    members: &'a BTreeMap<String, Vec<u8>>,
    report: VerifyReport,
    manifest: Option<Manifest>,
    progress: Option<&'a VerifyProgress>,
}

/// The fields of an entry the package checks, read without the entry types so that a
/// kind added after this verifier was built still reads. Entries are kept by index as
/// `Option<EntryView>`: `None` when the bytes are not a ledger entry (already reported).
struct EntryView {
    kind: String,
    data: serde_json::Map<String, serde_json::Value>,
}

impl EntryView {
    fn parse(bytes: &[u8], index: u64) -> Result<EntryView, Failure> {
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(Failure::MalformedEntry)?;
        let seq = value.get("seq").and_then(serde_json::Value::as_u64);
        let kind = value.get("kind").and_then(serde_json::Value::as_str);
        let data = value.get("data").and_then(serde_json::Value::as_object);
        let (Some(seq), Some(kind), Some(data)) = (seq, kind, data) else {
            return Err(Failure::NotAnEntry { reason: "seq, kind or data is missing" });
        };
        if seq != index {
            return Err(Failure::EntryPosition { seq, index });
        }
        Ok(EntryView { kind: kind.to_owned(), data: data.clone() })
    }

    fn text(&self, field: &str) -> Option<&str> {
        self.data.get(field).and_then(serde_json::Value::as_str)
    }

    /// `data.artifacts` as a sorted set of digests; `None` when malformed.
    fn artifacts(&self) -> Option<BTreeSet<Digest>> {
        match self.data.get("artifacts") {
            None => Some(BTreeSet::new()),
            Some(serde_json::Value::Array(values)) => values
                .iter()
                .map(|value| value.as_str().and_then(|text| text.parse().ok()))
                .collect::<Option<BTreeSet<Digest>>>(),
            Some(_) => None,
        }
    }
}

const REQUIRED: [&str; 5] =
    [layout::MANIFEST, layout::INDEX, layout::PUBLIC_KEY, layout::VERIFIER_KEY, layout::CHECKPOINT];

impl<'a> Run<'a> {
    fn record(&mut self, member: impl Into<String>, kind: CheckKind, description: impl Into<String>, outcome: Outcome) {
        self.report.record(member, kind, description, outcome);
    }

    fn text(&mut self, path: &str, kind: CheckKind, description: &str) -> Option<&'a str> {
        let members = self.members;
        let bytes = members.get(path)?;
        match std::str::from_utf8(bytes) {
            Ok(text) => Some(text),
            Err(_) => {
                self.report.record(path, kind, description, Err(Failure::NotText));
                None
            }
        }
    }

    fn manifest(&mut self) {
        let Some(bytes) = self.members.get(layout::MANIFEST) else { return };
        let description = "manifest.json is a version-1 package manifest";
        match Manifest::from_bytes(bytes) {
            Ok(manifest) => {
                self.record(layout::MANIFEST, CheckKind::Manifest, description, Ok(()));
                self.manifest = Some(manifest);
            }
            Err(error) => {
                self.record(layout::MANIFEST, CheckKind::Manifest, description, Err(Failure::MalformedManifest(error)))
            }
        }
    }

    fn layout(&mut self) {
        let mut expected: BTreeMap<String, &'static str> =
            REQUIRED.iter().map(|path| ((*path).to_owned(), "every package has it")).collect();
        if let Some(manifest) = &self.manifest {
            for record in &manifest.members {
                expected.entry(record.path.clone()).or_insert("manifest.json lists it");
            }
            for facts in &manifest.ledger.entries {
                expected.entry(layout::entry_path(facts.index)).or_insert("manifest.json lists the entry");
                expected.entry(layout::proof_path(facts.index)).or_insert("manifest.json lists the entry");
            }
        }
        let mut outside = Vec::new();
        for path in self.members.keys() {
            match Member::parse(path) {
                Some(Member::Entry(index)) => {
                    expected.entry(layout::proof_path(index)).or_insert("every entry has a proof");
                }
                Some(Member::Proof(index)) => {
                    expected.entry(layout::entry_path(index)).or_insert("every proof has an entry");
                }
                Some(_) => {}
                None => outside.push(path.clone()),
            }
        }
        for path in outside {
            self.record(path, CheckKind::Layout, "member has a place in the package layout", Err(Failure::NotInLayout));
        }
        for (path, reason) in expected {
            if !self.members.contains_key(&path) {
                self.record(path, CheckKind::Layout, "member is present", Err(Failure::MissingMember { reason }));
            }
        }
    }

    fn listing(&mut self) {
        let Some(manifest) = &self.manifest else { return };
        let mut listed = BTreeSet::new();
        let mut outcomes = Vec::new();
        for record in &manifest.members {
            if record.path == layout::MANIFEST {
                let failure = Failure::InvalidRecord { reason: "lists itself", what: record.path.clone() };
                outcomes.push((layout::MANIFEST.to_owned(), "manifest.json lists each member once", Err(failure)));
                continue;
            }
            if !listed.insert(record.path.as_str()) {
                let failure = Failure::InvalidRecord { reason: "lists a path twice", what: record.path.clone() };
                outcomes.push((layout::MANIFEST.to_owned(), "manifest.json lists each member once", Err(failure)));
                continue;
            }
            let Some(bytes) = self.members.get(&record.path) else { continue };
            let actual_size = bytes.len() as u64;
            let actual = Digest::of(bytes);
            if let Some(progress) = self.progress {
                progress.hashed.fetch_add(actual_size, std::sync::atomic::Ordering::Relaxed);
            }
            let outcome = if actual_size != record.size {
                Err(Failure::SizeMismatch { recorded: record.size, actual: actual_size })
            } else if actual != record.sha256 {
                Err(Failure::DigestMismatch { recorded: record.sha256, actual })
            } else {
                Ok(())
            };
            outcomes.push((record.path.clone(), "size and sha-256 are the ones manifest.json records", outcome));
        }
        let mut seen = BTreeSet::new();
        for facts in &manifest.ledger.entries {
            if !seen.insert(facts.index) {
                let failure =
                    Failure::InvalidRecord { reason: "lists a ledger entry twice", what: facts.index.to_string() };
                outcomes.push((layout::MANIFEST.to_owned(), "manifest.json lists each entry once", Err(failure)));
            }
        }
        for path in self.members.keys() {
            if path != layout::MANIFEST && !listed.contains(path.as_str()) {
                outcomes.push((path.clone(), "member is listed in manifest.json", Err(Failure::UnexpectedMember)));
            }
        }
        for (member, description, outcome) in outcomes {
            self.record(member, CheckKind::Listing, description, outcome);
        }
    }

    /// The key to check signatures with, after checking the key files.
    fn key(&mut self, trusted: Option<&NoteVerifier>) -> Option<NoteVerifier> {
        let verifier = self.text(layout::VERIFIER_KEY, CheckKind::Key, "verifier key is text").map(|text| {
            checkpoint::parse_verifier_key(text.trim_end_matches('\n')).map_err(Failure::MalformedVerifierKey)
        });
        let public = self
            .text(layout::PUBLIC_KEY, CheckKind::Key, "public key is text")
            .map(|text| PublicKey::from_spki_pem(text).map_err(Failure::MalformedPublicKey));

        let verifier = match verifier {
            Some(Ok(verifier)) => {
                self.record(
                    layout::VERIFIER_KEY,
                    CheckKind::Key,
                    format!("is a verifier key ({})", verifier.to_text()),
                    Ok(()),
                );
                Some(verifier)
            }
            Some(Err(failure)) => {
                self.record(layout::VERIFIER_KEY, CheckKind::Key, "is a c2sp verifier key", Err(failure));
                None
            }
            None => None,
        };
        let public = match public {
            Some(Ok(public)) => {
                let outcome = match &verifier {
                    Some(verifier) if verifier.key() != &public => {
                        Err(Failure::KeysDisagree { public: public.keyid(), verifier: verifier.key().keyid() })
                    }
                    _ => Ok(()),
                };
                self.record(layout::PUBLIC_KEY, CheckKind::Key, "is the ed25519 key of keys/ledger.vkey", outcome);
                Some(public)
            }
            Some(Err(failure)) => {
                self.record(layout::PUBLIC_KEY, CheckKind::Key, "is an ed25519 spki pem key", Err(failure));
                None
            }
            None => None,
        };

        let Some(trusted) = trusted else {
            self.report.key_source = if verifier.is_some() { KeySource::Package } else { KeySource::Missing };
            return verifier;
        };
        self.report.key_source = KeySource::Trusted;
        let description = format!("is the trusted key {}", trusted.to_text());
        if let Some(verifier) = &verifier {
            let outcome = if verifier == trusted {
                Ok(())
            } else {
                Err(Failure::UntrustedKey { package: verifier.to_text(), trusted: trusted.to_text() })
            };
            self.record(layout::VERIFIER_KEY, CheckKind::Key, description.clone(), outcome);
        }
        if let Some(public) = public
            && public != *trusted.key()
        {
            let failure = Failure::UntrustedKey { package: public.keyid(), trusted: trusted.to_text() };
            self.record(layout::PUBLIC_KEY, CheckKind::Key, description, Err(failure));
        }
        Some(trusted.clone())
    }

    fn checkpoint(&mut self, verifier: Option<&NoteVerifier>) -> Option<Checkpoint> {
        let description = "checkpoint is signed by the ledger key";
        let note = self.text(layout::CHECKPOINT, CheckKind::Checkpoint, description)?;
        let Some(verifier) = verifier else {
            self.record(layout::CHECKPOINT, CheckKind::Checkpoint, description, Err(Failure::NoKey));
            return None;
        };
        let checkpoint = match checkpoint::open(note, verifier) {
            Ok(checkpoint) => checkpoint,
            Err(error) => {
                self.record(layout::CHECKPOINT, CheckKind::Checkpoint, description, Err(Failure::Checkpoint(error)));
                return None;
            }
        };
        self.record(
            layout::CHECKPOINT,
            CheckKind::Checkpoint,
            format!("{description} (size {}, root {})", checkpoint.size(), checkpoint.root().to_hex()),
            Ok(()),
        );
        if let Some(manifest) = &self.manifest {
            let facts = &manifest.ledger;
            let outcome = if facts.origin != checkpoint.origin() {
                Err(Failure::ManifestMismatch {
                    field: "ledger.origin",
                    recorded: facts.origin.clone(),
                    actual: checkpoint.origin().to_owned(),
                })
            } else if facts.size != checkpoint.size() {
                Err(Failure::ManifestMismatch {
                    field: "ledger.size",
                    recorded: facts.size.to_string(),
                    actual: checkpoint.size().to_string(),
                })
            } else if facts.root != checkpoint.root() {
                Err(Failure::ManifestMismatch {
                    field: "ledger.root",
                    recorded: facts.root.to_hex(),
                    actual: checkpoint.root().to_hex(),
                })
            } else {
                Ok(())
            };
            self.record(
                layout::MANIFEST,
                CheckKind::Manifest,
                "ledger origin, size and root are the checkpoint's",
                outcome,
            );
        }
        Some(checkpoint)
    }

    fn entries(&mut self, checkpoint: Option<&Checkpoint>) -> BTreeMap<u64, Option<EntryView>> {
        let recorded: BTreeMap<u64, &EntryFacts> = self
            .manifest
            .as_ref()
            .map(|manifest| manifest.ledger.entries.iter().map(|facts| (facts.index, facts)).collect())
            .unwrap_or_default();
        let mut entries = BTreeMap::new();
        let mut outcomes: Vec<(String, CheckKind, String, Outcome)> = Vec::new();
        for (path, bytes) in self.members {
            let Some(Member::Entry(index)) = Member::parse(path) else { continue };
            let leaf = merkle::leaf_hash(bytes);
            let view = EntryView::parse(bytes, index);
            let description = format!("is ledger entry {index}");
            let view = match view {
                Ok(view) => {
                    outcomes.push((path.clone(), CheckKind::Entry, format!("{description} ({})", view.kind), Ok(())));
                    Some(view)
                }
                Err(failure) => {
                    outcomes.push((path.clone(), CheckKind::Entry, description, Err(failure)));
                    None
                }
            };
            if self.manifest.is_some() {
                let description = "leaf hash and kind are the ones manifest.json records".to_owned();
                let outcome = match recorded.get(&index) {
                    None => Err(Failure::UnlistedEntry { index }),
                    Some(facts) if facts.leaf_hash != leaf => {
                        Err(Failure::LeafHashMismatch { recorded: facts.leaf_hash.to_hex(), actual: leaf.to_hex() })
                    }
                    Some(facts) => match &view {
                        Some(view) if view.kind != facts.kind => Err(Failure::ManifestMismatch {
                            field: "kind",
                            recorded: facts.kind.clone(),
                            actual: view.kind.clone(),
                        }),
                        _ => Ok(()),
                    },
                };
                outcomes.push((path.clone(), CheckKind::Entry, description, outcome));
            }
            let proof_path = layout::proof_path(index);
            if let Some(proof) = self.members.get(&proof_path) {
                let outcome = check_proof(proof, index, &leaf, self.members.get(layout::CHECKPOINT), checkpoint);
                let description = format!("proves entry {index} is in the checkpoint's tree");
                outcomes.push((proof_path, CheckKind::Inclusion, description, outcome));
            }
            entries.insert(index, view);
        }
        for (member, kind, description, outcome) in outcomes {
            self.record(member, kind, description, outcome);
        }
        entries
    }

    fn evidence(&mut self, entries: &BTreeMap<u64, Option<EntryView>>) {
        let mut outcomes = Vec::new();
        for (path, bytes) in self.members {
            let Some(Member::Evidence { entry, file_name }) = Member::parse(path) else { continue };
            let outcome = check_evidence(bytes, entry, &file_name, entries.get(&entry).and_then(Option::as_ref));
            outcomes.push((path.clone(), format!("is the blob ledger entry {entry} records"), outcome));
        }
        for (member, description, outcome) in outcomes {
            self.record(member, CheckKind::Evidence, description, outcome);
        }
    }

    fn certificates(&mut self, verifier: Option<&NoteVerifier>, entries: &BTreeMap<u64, Option<EntryView>>) {
        let mut outcomes = Vec::new();
        for (path, bytes) in self.members {
            let Some(Member::Certificate(id)) = Member::parse(path) else { continue };
            let description = "is a dsse envelope of an in-toto statement signed by the ledger key".to_owned();
            let (statement, payload) = match open_certificate(bytes, verifier) {
                Ok(opened) => {
                    outcomes.push((path.clone(), description, Ok(())));
                    opened
                }
                Err(failure) => {
                    outcomes.push((path.clone(), description, Err(failure)));
                    continue;
                }
            };
            if let Some(manifest) = &self.manifest {
                let release = &manifest.release;
                let outcome = names_release(&statement, release);
                let description = format!("statement names release {}@{}", release.project, release.version);
                outcomes.push((path.clone(), description, outcome));
            }
            for (index, view) in entries {
                let Some(view) = view else { continue };
                if view.kind != "certificate_issued" || view.text("id") != Some(id.as_str()) {
                    continue;
                }
                let actual = Digest::of(&payload);
                let recorded = view.text("statement_digest").unwrap_or_default();
                let outcome = if recorded.parse::<Digest>().ok() == Some(actual) {
                    Ok(())
                } else {
                    Err(Failure::StatementDigestMismatch { entry: *index, recorded: recorded.to_owned(), actual })
                };
                outcomes.push((path.clone(), format!("is the statement ledger entry {index} records"), outcome));
            }
        }
        for (member, description, outcome) in outcomes {
            self.record(member, CheckKind::Certificate, description, outcome);
        }
    }

    fn release(&mut self, entries: &BTreeMap<u64, Option<EntryView>>) {
        let mut confirmations = 0;
        let Some(manifest) = &self.manifest else { return };
        let release = &manifest.release;
        let name = format!("{}@{}", release.project, release.version);
        let mut outcomes = Vec::new();
        for (index, view) in entries {
            let Some(view) = view else { continue };
            if !matches!(view.kind.as_str(), "release_created" | "certificate_issued")
                || view.text("project") != Some(release.project.as_str())
                || view.text("version") != Some(release.version.as_str())
            {
                continue;
            }
            let outcome = compare_release(*index, view, release);
            confirmations += usize::from(outcome.is_ok());
            outcomes.push((format!("release agrees with ledger entry {index} ({})", view.kind), outcome));
        }
        for (description, outcome) in outcomes {
            self.record(layout::MANIFEST, CheckKind::Release, description, outcome);
        }
        let outcome =
            if confirmations > 0 { Ok(()) } else { Err(Failure::ReleaseUnconfirmed { release: name.clone() }) };
        self.record(layout::MANIFEST, CheckKind::Release, format!("release {name} is confirmed"), outcome);
    }
}

type Outcome = Result<(), Failure>;

/// A tlog-proof for `index`, embedding `ledger/checkpoint`, leading from `leaf` to the
/// verified checkpoint's root.
fn check_proof(
    proof: &[u8],
    index: u64,
    leaf: &Digest,
    note: Option<&Vec<u8>>,
    checkpoint: Option<&Checkpoint>,
) -> Outcome {
    let text = std::str::from_utf8(proof).map_err(|_| Failure::NotText)?;
    let proof = TlogProof::parse(text).map_err(Failure::MalformedProof)?;
    if proof.index != index {
        return Err(Failure::ProofIndex { proof: proof.index, path: index });
    }
    if note.map(Vec::as_slice) != Some(proof.checkpoint.as_bytes()) {
        return Err(Failure::ProofCheckpoint);
    }
    let checkpoint = checkpoint.ok_or(Failure::NoCheckpoint)?;
    merkle::verify_inclusion(leaf, index, checkpoint.size(), &proof.hashes, &checkpoint.root())
        .map_err(Failure::NotIncluded)
}

fn check_evidence(bytes: &[u8], entry: u64, file_name: &str, view: Option<&EntryView>) -> Outcome {
    let view = view.ok_or(Failure::EvidenceEntryMissing { entry })?;
    if view.kind != "evidence_captured" {
        return Err(Failure::NotEvidenceEntry { entry, kind: view.kind.clone() });
    }
    let recorded: Digest = view
        .text("digest")
        .and_then(|text| text.parse().ok())
        .ok_or(Failure::EvidenceField { entry, field: "digest" })?;
    let actual = Digest::of(bytes);
    if actual != recorded {
        return Err(Failure::EvidenceDigestMismatch { entry, recorded, actual });
    }
    let size = view
        .data
        .get("size")
        .and_then(serde_json::Value::as_u64)
        .ok_or(Failure::EvidenceField { entry, field: "size" })?;
    if size != bytes.len() as u64 {
        return Err(Failure::EvidenceSizeMismatch { entry, recorded: size, actual: bytes.len() as u64 });
    }
    let name = view.text("file_name").ok_or(Failure::EvidenceField { entry, field: "file_name" })?;
    if layout::sanitize_file_name(name) != file_name {
        return Err(Failure::EvidenceName { entry, expected: layout::evidence_path(entry, name) });
    }
    Ok(())
}

/// Verifies the envelope (before parsing its payload) and reads the statement.
fn open_certificate(bytes: &[u8], verifier: Option<&NoteVerifier>) -> Result<(Statement, Vec<u8>), Failure> {
    let envelope = Envelope::from_json(bytes).map_err(Failure::MalformedEnvelope)?;
    let verifier = verifier.ok_or(Failure::NoKey)?;
    let payload = envelope.verify(verifier.key()).map_err(Failure::BadSignature)?;
    if envelope.payload_type != PAYLOAD_TYPE {
        return Err(Failure::WrongPayloadType { actual: envelope.payload_type.clone() });
    }
    let statement = serde_json::from_slice(payload).map_err(Failure::MalformedStatement)?;
    Ok((statement, payload.to_vec()))
}

/// Every artifact digest is a `sha256` subject and the commit a `gitCommit` subject.
fn names_release(statement: &Statement, release: &Release) -> Outcome {
    let has = |algorithm: &str, value: &str| {
        statement.subject().iter().any(|subject| subject.digest.get(algorithm).is_some_and(|found| found == value))
    };
    let name = || format!("{}@{}", release.project, release.version);
    for artifact in &release.artifacts {
        if !has("sha256", &artifact.to_hex()) {
            return Err(Failure::ReleaseNotNamed { missing: artifact.to_string(), release: name() });
        }
    }
    if !has("gitCommit", release.commit.as_str()) {
        return Err(Failure::ReleaseNotNamed { missing: format!("gitCommit:{}", release.commit), release: name() });
    }
    Ok(())
}

/// The commit and artifact set of a release entry are the manifest's.
fn compare_release(index: u64, view: &EntryView, release: &Release) -> Outcome {
    let commit = view.text("commit").unwrap_or_default();
    if !commit.eq_ignore_ascii_case(release.commit.as_str()) {
        return Err(Failure::ReleaseMismatch {
            entry: index,
            field: "commit",
            recorded: release.commit.to_string(),
            actual: commit.to_owned(),
        });
    }
    let recorded: BTreeSet<Digest> = release.artifacts.iter().copied().collect();
    let actual = view.artifacts();
    if actual.as_ref() != Some(&recorded) {
        let show = |set: &BTreeSet<Digest>| set.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        return Err(Failure::ReleaseMismatch {
            entry: index,
            field: "artifacts",
            recorded: format!("[{}]", show(&recorded)),
            actual: actual.map_or_else(|| "malformed artifacts".to_owned(), |set| format!("[{}]", show(&set))),
        });
    }
    Ok(())
}
