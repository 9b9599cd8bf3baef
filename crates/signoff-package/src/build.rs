//! Building a package from data the caller has read from the store.
//!
//! [`build`] lays out the members (see [`crate::layout`]), writes `manifest.json` and
//! the default `index.html` when none is given, zips them deterministically, and then
//! runs [`crate::verify()`] on the result with the ledger key as the trusted key: a
//! package that would not verify is never returned.
//!
//! Architecture Invariant: the output depends only on [`PackageContents`], not on
//! the order of its lists, the clock or the machine: the same contents give the same
//! bytes.

use std::collections::{BTreeMap, BTreeSet};

use signoff_core::Digest;
use signoff_ledger::checkpoint::NoteVerifier;
use signoff_ledger::dsse::Envelope;
use signoff_ledger::merkle;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zip::result::ZipError;

use crate::archive;
use crate::layout;
use crate::manifest::{self, EntryFacts, LedgerFacts, Manifest, MemberRecord, Release};
use crate::tlog_proof::TlogProof;
use crate::verify::{self, Check, VerifyOptions};

/// Everything a package holds, as data: the caller reads the store, this crate only
/// lays it out.
#[derive(Debug, Clone)]
pub struct PackageContents {
    /// The release the package is about.
    pub release: Release,
    /// When the package is made (the caller's clock; written to the manifest).
    pub created_at: OffsetDateTime,
    /// The ledger's key under the log's name (its origin).
    pub ledger_key: NoteVerifier,
    /// The signed checkpoint note every proof is relative to.
    pub checkpoint: String,
    /// The included ledger entries, in any order.
    pub entries: Vec<IncludedEntry>,
    /// Evidence blobs, in any order; each names the `evidence_captured` entry that
    /// records it.
    pub evidence: Vec<EvidenceBlob>,
    /// Certificates (DSSE envelopes of certification records), in any order.
    pub certificates: Vec<CertificateEnvelope>,
    /// A human-readable index page; `None` renders a plain default listing.
    pub index_html: Option<Vec<u8>>,
    /// The evidence at certification and captured after it, when the release
    /// has a certificate (written to the manifest, sorted).
    pub certification: Option<manifest::CertifiedEvidence>,
}

/// A ledger entry and its proof of inclusion in the checkpoint's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncludedEntry {
    /// Its index (`seq`).
    pub index: u64,
    /// Its canonical bytes, exactly as stored and hashed.
    pub body: Vec<u8>,
    /// `merkle::inclusion_proof(leaves, index, checkpoint size)`.
    pub proof: Vec<Digest>,
}

/// Raw evidence as captured (the stored blob).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceBlob {
    /// The index of the `evidence_captured` entry that records it.
    pub entry: u64,
    /// The blob.
    pub bytes: Vec<u8>,
}

/// A certification record's signed statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateEnvelope {
    /// The certificate id (a UUID), which names the member.
    pub id: String,
    /// The DSSE envelope.
    pub envelope: Envelope,
}

/// Why a package could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackageError {
    /// Two entries have the same index.
    #[error("entry {index} is included twice")]
    DuplicateEntry {
        /// The index.
        index: u64,
    },
    /// An entry body is not a ledger entry.
    #[error("entry {index} is not a ledger entry with seq, kind and data")]
    InvalidEntry {
        /// The index.
        index: u64,
    },
    /// Evidence names an entry that is not included.
    #[error("evidence for entry {entry}, which is not included")]
    EvidenceWithoutEntry {
        /// The entry index.
        entry: u64,
    },
    /// Evidence names an entry that does not record a capture.
    #[error("evidence for entry {entry}, which is a {kind} entry")]
    NotEvidenceEntry {
        /// The entry index.
        entry: u64,
        /// Its kind.
        kind: String,
    },
    /// Two blobs for one entry.
    #[error("evidence for entry {entry} is given twice")]
    DuplicateEvidence {
        /// The entry index.
        entry: u64,
    },
    /// A certificate id cannot name a member.
    #[error("certificate id {id:?} {rule}")]
    InvalidCertificateId {
        /// The id.
        id: String,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// Two certificates with one id.
    #[error("certificate {id} is given twice")]
    DuplicateCertificate {
        /// The id.
        id: String,
    },
    /// The manifest could not be serialized (not expected).
    #[error("cannot write manifest.json")]
    Manifest(#[source] serde_json::Error),
    /// The creation time has no RFC 3339 form in UTC (a year outside 0..=9999).
    #[error("creation time cannot be written as an rfc 3339 utc time")]
    CreatedAt {
        /// The formatting error, when it came to formatting.
        #[source]
        source: Option<time::error::Format>,
    },
    /// The zip writer failed (not expected in memory).
    #[error("cannot write the zip archive")]
    Zip(#[source] ZipError),
    /// The package does not pass its own verification: the contents are inconsistent
    /// (a blob that is not the one its entry records, a proof that does not lead to the
    /// checkpoint, a certificate not signed by the key, ...).
    #[error("the package does not verify: {}", summary(.failures))]
    DoesNotVerify {
        /// The failed checks.
        failures: Vec<Check>,
    },
}

fn summary(failures: &[Check]) -> String {
    failures.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// Builds the package: a zip whose bytes depend only on `contents`.
///
/// # Errors
/// A [`PackageError`] when the contents cannot be laid out (duplicates, evidence
/// without its entry, a bad certificate id) or the result does not verify under
/// `contents.ledger_key` with the default [`crate::Limits`].
pub fn build(contents: &PackageContents) -> Result<Vec<u8>, PackageError> {
    let mut members: BTreeMap<String, Vec<u8>> = BTreeMap::new();

    let mut entries: BTreeMap<u64, &IncludedEntry> = BTreeMap::new();
    for entry in &contents.entries {
        if entries.insert(entry.index, entry).is_some() {
            return Err(PackageError::DuplicateEntry { index: entry.index });
        }
    }
    let mut facts = Vec::with_capacity(entries.len());
    let mut kinds: BTreeMap<u64, (String, Option<String>)> = BTreeMap::new();
    for (index, entry) in &entries {
        let (kind, file_name) = entry_kind(entry)?;
        kinds.insert(*index, (kind.clone(), file_name));
        facts.push(EntryFacts { index: *index, kind, leaf_hash: merkle::leaf_hash(&entry.body) });
        members.insert(layout::entry_path(*index), entry.body.clone());
        let proof = TlogProof {
            extra: None,
            index: *index,
            hashes: entry.proof.clone(),
            checkpoint: contents.checkpoint.clone(),
        };
        members.insert(layout::proof_path(*index), proof.to_text().into_bytes());
    }

    let mut seen_evidence = BTreeSet::new();
    for blob in &contents.evidence {
        let file_name = match kinds.get(&blob.entry) {
            None => return Err(PackageError::EvidenceWithoutEntry { entry: blob.entry }),
            Some((_, Some(file_name))) => file_name,
            Some((kind, None)) => return Err(PackageError::NotEvidenceEntry { entry: blob.entry, kind: kind.clone() }),
        };
        if !seen_evidence.insert(blob.entry) {
            return Err(PackageError::DuplicateEvidence { entry: blob.entry });
        }
        members.insert(layout::evidence_path(blob.entry, file_name), blob.bytes.clone());
    }

    for certificate in &contents.certificates {
        layout::check_certificate_id(&certificate.id)
            .map_err(|rule| PackageError::InvalidCertificateId { id: certificate.id.clone(), rule })?;
        let path = layout::certificate_path(&certificate.id);
        if members.insert(path, certificate.envelope.to_json().into_bytes()).is_some() {
            return Err(PackageError::DuplicateCertificate { id: certificate.id.clone() });
        }
    }

    members.insert(layout::CHECKPOINT.to_owned(), contents.checkpoint.clone().into_bytes());
    members.insert(layout::PUBLIC_KEY.to_owned(), contents.ledger_key.key().to_spki_pem().into_bytes());
    members.insert(layout::VERIFIER_KEY.to_owned(), format!("{}\n", contents.ledger_key.to_text()).into_bytes());

    let mut release = contents.release.clone();
    release.artifacts.sort();
    release.artifacts.dedup();
    let created_at =
        contents.created_at.checked_to_offset(time::UtcOffset::UTC).ok_or(PackageError::CreatedAt { source: None })?;
    let created = created_at.format(&Rfc3339).map_err(|error| PackageError::CreatedAt { source: Some(error) })?;
    let ledger = ledger_facts(&contents.checkpoint, &contents.ledger_key, facts);

    let index = match &contents.index_html {
        Some(page) => page.clone(),
        None => crate::html::render(&release, &created, &ledger, &records(&members)).into_bytes(),
    };
    members.insert(layout::INDEX.to_owned(), index);

    let manifest = Manifest {
        format: manifest::FORMAT.to_owned(),
        version: manifest::VERSION,
        release,
        created_at,
        ledger,
        members: records(&members),
        certification: contents.certification.clone().map(|mut split| {
            split.at_certification.sort();
            split.captured_after.sort();
            split
        }),
    };
    members.insert(layout::MANIFEST.to_owned(), manifest.to_bytes().map_err(PackageError::Manifest)?);

    let bytes = archive::write(&members).map_err(PackageError::Zip)?;
    let options = VerifyOptions { trusted_key: Some(contents.ledger_key.clone()), ..VerifyOptions::default() };
    let report = verify::verify(&bytes, &options);
    if !report.is_ok() {
        return Err(PackageError::DoesNotVerify {
            failures: report.checks.into_iter().filter(|c| !c.passed()).collect(),
        });
    }
    Ok(bytes)
}

/// The entry's kind, and its file name when it records a capture.
fn entry_kind(entry: &IncludedEntry) -> Result<(String, Option<String>), PackageError> {
    let invalid = || PackageError::InvalidEntry { index: entry.index };
    let value: serde_json::Value = serde_json::from_slice(&entry.body).map_err(|_| invalid())?;
    let kind = value.get("kind").and_then(serde_json::Value::as_str).ok_or_else(invalid)?;
    let data = value.get("data").and_then(serde_json::Value::as_object).ok_or_else(invalid)?;
    let file_name = if kind == "evidence_captured" {
        Some(data.get("file_name").and_then(serde_json::Value::as_str).ok_or_else(invalid)?.to_owned())
    } else {
        None
    };
    Ok((kind.to_owned(), file_name))
}

/// The manifest's ledger facts: size and root of the checkpoint when it verifies under
/// the key. When it does not, placeholders are written and the self-verification at the
/// end of [`build`] reports the checkpoint.
fn ledger_facts(note: &str, key: &NoteVerifier, entries: Vec<EntryFacts>) -> LedgerFacts {
    let (size, root) = signoff_ledger::checkpoint::open(note, key)
        .map(|checkpoint| (checkpoint.size(), checkpoint.root()))
        .unwrap_or((0, merkle::empty_root()));
    LedgerFacts { origin: key.name().to_owned(), size, root, entries }
}

fn records(members: &BTreeMap<String, Vec<u8>>) -> Vec<MemberRecord> {
    members
        .iter()
        .map(|(path, bytes)| MemberRecord { path: path.clone(), size: bytes.len() as u64, sha256: Digest::of(bytes) })
        .collect()
}
