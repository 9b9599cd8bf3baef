//! Evidence packages (F3): everything an auditor needs about one release in one
//! deterministic zip, verifiable offline by `signoff verify-package` or by hand
//! (docs/evidence-package.md).

use signoff_core::entry::EventKind;
use signoff_core::{Digest, ReleaseRef};
use signoff_ledger::{Envelope, NoteVerifier, merkle};
use signoff_package::{CertificateEnvelope, EvidenceBlob, IncludedEntry, PackageContents, VerifyOptions, VerifyReport};
use signoff_store::RecordQuery;
use time::OffsetDateTime;

use crate::audit::trace;
use crate::certify::certificates;
use crate::error::{AppError, Missing};
use crate::home::Signoff;

/// Builds the evidence package of a release. The same store state gives the same
/// bytes: entries are sorted, timestamps fixed, and the package's time is that of
/// its latest entry.
///
/// # Errors
/// An unknown release, an empty ledger, or a store failure.
pub async fn export(signoff: &Signoff, release: &ReleaseRef) -> Result<Vec<u8>, AppError> {
    let row = signoff.release_row(release).await?;
    let record = &row.record;
    let (project, version) = (record.project.as_str(), record.version.as_str());
    let checkpoint = signoff.store.latest_checkpoint().await?.ok_or(Missing::EmptyLedger)?;

    // Every entry about the release.
    let mut indexes = vec![row.seq];
    let evidence = signoff.store.release_evidence(record).await?;
    indexes.extend(evidence.iter().map(|item| item.seq));
    for kind in [
        EventKind::ApprovalRecorded,
        EventKind::CertificateIssued,
        EventKind::CertificateRevoked,
        EventKind::DeploymentRecorded,
    ] {
        let query = RecordQuery { project: Some(project), version: Some(version), ..RecordQuery::default() };
        let rows = signoff.store.find_records(kind, &query).await?;
        indexes.extend(rows.iter().map(|row| row.seq));
    }
    indexes.retain(|index| *index < checkpoint.size);
    indexes.sort_unstable();
    indexes.dedup();

    let mut leaves = Vec::with_capacity(usize::try_from(checkpoint.size).unwrap_or(0));
    while (leaves.len() as u64) < checkpoint.size {
        let from = leaves.len() as u64;
        let batch = signoff.store.leaf_hashes(from, 100_000.min(checkpoint.size - from)).await?;
        if batch.is_empty() {
            return Err(AppError::Inconsistent("the ledger is shorter than its checkpoint".into()));
        }
        leaves.extend(batch.into_iter().map(Digest::from_bytes));
    }
    let mut entries = Vec::new();
    let mut last_time = None;
    for index in &indexes {
        let stored = signoff
            .store
            .entries(*index, 1)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| AppError::Inconsistent(format!("entry {index} is missing")))?;
        let proof = merkle::inclusion_proof(&leaves, *index, checkpoint.size)?;
        if let Ok(entry) = serde_json::from_slice::<signoff_core::entry::Entry>(&stored.body) {
            last_time = Some(entry.at);
        }
        entries.push(IncludedEntry { index: *index, body: stored.body, proof });
    }
    let mut blobs = Vec::new();
    for item in &evidence {
        if item.seq >= checkpoint.size {
            continue;
        }
        if let Some(bytes) = signoff.blobs.get(&item.record.digest).await? {
            blobs.push(EvidenceBlob { entry: item.seq, bytes });
        }
    }
    let mut envelopes = Vec::new();
    for certificate in certificates(signoff, Some(project), Some(version)).await? {
        if certificate.entry < checkpoint.size {
            let envelope = Envelope::from_json(certificate.record.envelope.as_bytes()).map_err(|source| {
                AppError::Unverifiable {
                    what: format!("certificate {} (ledger entry {})", certificate.record.id, certificate.entry),
                    source: Box::new(source),
                }
            })?;
            envelopes.push(CertificateEnvelope { id: certificate.record.id, envelope });
        }
    }
    // B4: what the latest certificate was decided on (exactly the digests it
    // names) and what was captured after it.
    let latest = certificates(signoff, Some(project), Some(version))
        .await?
        .into_iter()
        .rfind(|certificate| certificate.entry < checkpoint.size);
    let certification = match &latest {
        Some(certificate) => {
            let named = crate::certify::sealed_evidence(signoff, certificate)?;
            let (mut at, mut after) = (Vec::new(), Vec::new());
            for item in evidence.iter().filter(|item| item.seq < checkpoint.size) {
                let facts = signoff_package::EvidenceFacts { entry: item.seq, digest: item.record.digest };
                if named.contains(&item.record.digest) { at.push(facts) } else { after.push(facts) }
            }
            Some(signoff_package::CertifiedEvidence {
                certificate: certificate.record.id.clone(),
                at_certification: at,
                captured_after: after,
            })
        }
        None => None,
    };
    let created_at = last_time.unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let mut page = trace(signoff, release).await?;
    page.generated_at = crate::request::rfc3339(created_at);
    let index_html = signoff_report::render_trace_html(&page)?;
    let contents = PackageContents {
        release: signoff_package::Release {
            project: record.project.clone(),
            version: record.version.clone(),
            commit: record.commit.clone(),
            artifacts: record.artifacts.clone(),
        },
        created_at,
        ledger_key: signoff.verifier()?,
        checkpoint: checkpoint.note,
        entries,
        evidence: blobs,
        certificates: envelopes,
        index_html: Some(index_html.into_bytes()),
        certification,
    };
    Ok(signoff_package::build(&contents)?)
}

/// Reads a package file to verify, refused by its size before it is read when
/// it is larger than a package may be
/// ([`signoff_package::Limits::max_archive_size`]), and never read past that.
///
/// # Errors
/// A special file (a device or FIFO, which may never end), a package over the
/// limit, or a read error; each names the file.
pub fn read_package(path: &std::path::Path) -> Result<Vec<u8>, AppError> {
    let display = path.display().to_string();
    let metadata = std::fs::metadata(path).map_err(AppError::io(path))?;
    if let Some(what) = signoff_ingest::special_file(&metadata) {
        return Err(AppError::Invalid(format!(
            "{display}: not a regular file but {what}: verify a package file, or pipe it to standard input (`signoff verify-package -`)"
        )));
    }
    let limit = signoff_package::Limits::default().max_archive_size;
    if metadata.len() > limit {
        return Err(too_large(&display, metadata.len()));
    }
    let file = std::fs::File::open(path).map_err(AppError::io(path))?;
    read_package_from(file, &display, metadata.len())
}

/// Reads a package from a stream (standard input, a request's body) that
/// `display` names, never past the limit a package may have
/// ([`signoff_package::Limits::max_archive_size`]); `expected` bytes are
/// reserved up front (0 when the size is unknown).
///
/// # Errors
/// A package over the limit, or a read error; each names the source.
pub fn read_package_from(source: impl std::io::Read, display: &str, expected: u64) -> Result<Vec<u8>, AppError> {
    use std::io::Read;
    let limit = signoff_package::Limits::default().max_archive_size;
    let mut bytes = Vec::with_capacity(usize::try_from(expected.min(limit)).unwrap_or(0));
    source
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| AppError::Invalid(format!("{display}: cannot read: {error}")))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(display, bytes.len() as u64));
    }
    Ok(bytes)
}

fn too_large(display: &str, size: u64) -> AppError {
    let limit = signoff_package::Limits::default().max_archive_size;
    AppError::Invalid(format!(
        "{display}: {size} bytes or more, over the limit of {limit} bytes for a package: it is not read"
    ))
}

/// Verifies a package offline. With `trusted_key` (a C2SP verifier key such as
/// `signoff key public --format note` prints) the package must be signed by that
/// key; without it, only its internal consistency is shown.
///
/// # Errors
/// A malformed trusted key.
pub fn verify(bytes: &[u8], trusted_key: Option<&str>) -> Result<VerifyReport, AppError> {
    verify_watched(bytes, trusted_key, None)
}

/// [`verify`], with counters a progress bar can follow.
///
/// # Errors
/// A malformed trusted key.
pub fn verify_watched(
    bytes: &[u8],
    trusted_key: Option<&str>,
    progress: Option<std::sync::Arc<signoff_package::VerifyProgress>>,
) -> Result<VerifyReport, AppError> {
    let trusted: Option<NoteVerifier> =
        trusted_key.map(|text| signoff_ledger::checkpoint::parse_verifier_key(text.trim())).transpose()?;
    Ok(signoff_package::verify(bytes, &VerifyOptions { trusted_key: trusted, progress, ..VerifyOptions::default() }))
}
