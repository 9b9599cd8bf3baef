//! Capture (A1–A3): parse each file, keep its bytes, record findings and a ledger
//! entry; and inspect, which parses without keeping anything.
//!
//! A capture of several files is one batch: either every file is recorded under one
//! checkpoint, or (on any error) nothing is, and the error names the file.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use signoff_core::context::CiContext;
use signoff_core::entry::{Delivery, Event, EvidenceRecord, FindingsCommitment, FindingsHasher};
use signoff_core::{CommitSha, Digest, EvidenceKind, Finding, Format, ProjectName, ReleaseVersion, Sha256};
use signoff_ingest::{
    Clearance, Cleared, FindingSink, IngestError, IngestErrorKind, Limits, Options, Parsed, parse_path,
};
use signoff_store::StagedBlob;
use tokio::sync::mpsc;

use crate::error::{AppError, Refusal};
use crate::home::Signoff;
use crate::report::EvidenceReport;

mod group;
mod input;

pub use group::Committer;

/// A file to read, and how to name it in messages.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// Where it is.
    pub path: PathBuf,
    /// How the user named it.
    pub display: String,
}

impl InputFile {
    /// A file named as its path.
    pub fn new(path: impl Into<PathBuf>) -> InputFile {
        let path = path.into();
        InputFile { display: path.display().to_string(), path }
    }
}

/// What evidence is captured for: the project, commit and release it belongs to,
/// and the pipeline that produced it.
#[derive(Debug, Clone)]
pub struct CaptureContext {
    /// Project.
    pub project: ProjectName,
    /// The commit the evidence was produced for; evidence without one attaches to
    /// no release unless `release` names it.
    pub commit: Option<CommitSha>,
    /// The release the evidence is for, when known already.
    pub release: Option<ReleaseVersion>,
    /// The pipeline: CI system, run, job, actor.
    pub context: CiContext,
}

/// A capture request.
#[derive(Debug, Clone)]
pub struct CaptureRequest {
    /// The files.
    pub files: Vec<InputFile>,
    /// What they are evidence for.
    pub target: CaptureContext,
    /// Format, when the user names it.
    pub format: Option<Format>,
    /// Evidence kind, when the user names it.
    pub kind: Option<EvidenceKind>,
    /// Size limits.
    pub limits: Limits,
    /// How it reached a server, for a capture delivered to one (one file): the
    /// same idempotency key delivered again answers with the evidence stored the
    /// first time and stores nothing.
    pub delivery: Option<Delivery>,
}

/// Findings per batch handed from the parser thread to the store.
const FINDINGS_PER_BATCH: usize = 4096;

/// Captures every file of `request` in one batch.
///
/// # Errors
/// The first file that cannot be read as evidence, or a store failure; nothing is
/// recorded then.
pub async fn capture(signoff: &Signoff, request: CaptureRequest) -> Result<Vec<EvidenceReport>, AppError> {
    let prepared = Prepared::new(signoff, request).await?;
    let outcome = group::commit(signoff, std::slice::from_ref(&prepared)).await.pop();
    let outcome = outcome.unwrap_or_else(|| Err(AppError::Inconsistent("a capture's group had no answer".into())));
    prepared.finish(signoff, outcome?).await
}

/// Captures each of `requests` as [`capture`] does, all in one transaction under
/// one checkpoint (group commit): a request that fails is undone alone and
/// answered with its error; the others are written. Answers are in the order of
/// `requests`.
pub async fn capture_all(
    signoff: &Signoff,
    requests: Vec<CaptureRequest>,
) -> Vec<Result<Vec<EvidenceReport>, AppError>> {
    let mut answers = Vec::with_capacity(requests.len());
    let mut prepared = Vec::with_capacity(requests.len());
    for request in requests {
        match Prepared::new(signoff, request).await {
            Ok(ready) => {
                answers.push(None);
                prepared.push(ready);
            }
            Err(error) => answers.push(Some(Err(error))),
        }
    }
    let mut written = prepared.iter().zip(group::commit(signoff, &prepared).await);
    for answer in &mut answers {
        if answer.is_none()
            && let Some((ready, outcome)) = written.next()
        {
            *answer = Some(match outcome {
                Ok(member) => ready.finish(signoff, member).await,
                Err(error) => Err(error),
            });
        }
    }
    answers
        .into_iter()
        .map(|answer| {
            answer.unwrap_or_else(|| Err(AppError::Inconsistent("a capture of the group had no answer".into())))
        })
        .collect()
}

/// A capture checked and ready to be written: its request, and its inputs as
/// regular files (pipes copied to scratch files, removed when this is dropped).
pub(crate) struct Prepared {
    request: CaptureRequest,
    /// Scratch copies of pipes, kept until the capture is written.
    _readables: Vec<input::Readable>,
    paths: Vec<PathBuf>,
}

/// What a group commit did with one capture.
pub(crate) enum Member {
    /// Written: the evidence reports.
    Stored(Vec<EvidenceReport>),
    /// Delivered before under the same idempotency key: the evidence stored then.
    Redelivered(Box<signoff_store::EvidenceRow>),
}

impl Prepared {
    /// Checks `request` before anything is written (a sealed release refuses it
    /// here) and copies pipes to scratch files, without the ledger's lock.
    pub(crate) async fn new(signoff: &Signoff, request: CaptureRequest) -> Result<Prepared, AppError> {
        if request.files.is_empty() {
            return Err(AppError::Invalid("nothing to capture: name at least one file".into()));
        }
        if request.delivery.is_some() && request.files.len() != 1 {
            return Err(AppError::Invalid("a delivery with an idempotency key carries exactly one file".into()));
        }
        refuse_if_sealed(signoff, &request.target).await?;
        // Pipes are copied to scratch files first (bounded in size and time), before
        // the ledger's write lock is taken.
        let mut readables = Vec::with_capacity(request.files.len());
        for input in &request.files {
            let (path, display, limits) = (input.path.clone(), input.display.clone(), request.limits);
            let scratch = signoff.home().join("blobs/tmp");
            readables.push(
                tokio::task::spawn_blocking(move || input::readable(&path, &display, &limits, &scratch))
                    .await
                    .map_err(AppError::stopped("reading the input"))??,
            );
        }
        let paths = readables.iter().map(|readable| readable.path.clone()).collect();
        Ok(Prepared { request, _readables: readables, paths })
    }

    /// The answer for a written capture: a redelivery checked against what was
    /// stored first, evidence for a release certified already marked as such.
    pub(crate) async fn finish(&self, signoff: &Signoff, member: Member) -> Result<Vec<EvidenceReport>, AppError> {
        let request = &self.request;
        let mut reports = match (member, &request.delivery) {
            (Member::Redelivered(stored), Some(delivery)) => {
                return redelivered(request, &self.paths[0], delivery, *stored).await;
            }
            (Member::Redelivered(_), None) => {
                return Err(AppError::Inconsistent("a capture without a delivery key was redelivered".into()));
            }
            (Member::Stored(reports), _) => reports,
        };
        // B4: evidence that attaches to a release already certified is captured
        // after its certification; the certificate does not cover it.
        let resolved = &request.target;
        let release = resolved.release.as_ref().map(ToString::to_string);
        let certified =
            crate::certify::certificates(signoff, Some(resolved.project.as_str()), release.as_deref()).await?;
        let late = match (&resolved.release, &resolved.commit) {
            (Some(_), _) => !certified.is_empty(),
            (None, Some(commit)) => certified.iter().any(|certificate| certificate.record.commit == commit.as_str()),
            (None, None) => false,
        };
        if late {
            for captured in reports.iter_mut().filter_map(|report| report.captured.as_mut()) {
                captured.post_certification = true;
            }
        }
        Ok(reports)
    }

    /// Appends this capture's entries (and findings, and staged blobs) to `batch`.
    /// A SARIF log whose secret scanner's run comes after a run that mentions its
    /// secrets is read twice: the first try is undone, the second redacts first.
    /// On an error, everything this capture wrote is undone and its blobs discarded.
    pub(crate) async fn append(
        &self,
        signoff: &Signoff,
        batch: &mut crate::ledger::Batch,
        staged: &mut Vec<StagedBlob>,
    ) -> Result<Member, AppError> {
        let mut redact_first = vec![false; self.request.files.len()];
        loop {
            let mark = batch.mark().await?;
            let mut mine = Vec::new();
            let mut reread = None;
            match self.append_once(signoff, batch, &redact_first, &mut reread, &mut mine).await {
                Ok(member) => {
                    batch.keep(mark).await?;
                    staged.append(&mut mine);
                    return Ok(member);
                }
                Err(error) => {
                    for blob in mine {
                        signoff.blobs.discard(blob);
                    }
                    batch.undo(mark).await?;
                    match reread {
                        Some(index) if !redact_first[index] => redact_first[index] = true,
                        _ => return Err(error),
                    }
                }
            }
        }
    }

    async fn append_once(
        &self,
        signoff: &Signoff,
        batch: &mut crate::ledger::Batch,
        redact_first: &[bool],
        reread: &mut Option<usize>,
        staged: &mut Vec<StagedBlob>,
    ) -> Result<Member, AppError> {
        let request = &self.request;
        let resolved = &request.target;
        if let Some(delivery) = &request.delivery
            && let Some(stored) = batch.tx().evidence_by_delivery_key(&delivery.idempotency_key).await?
        {
            return Ok(Member::Redelivered(Box::new(stored)));
        }
        let mut reports = Vec::new();
        for (index, input) in request.files.iter().enumerate() {
            let seq = batch.next_seq();
            let readable = InputFile { path: self.paths[index].clone(), display: input.display.clone() };
            let (parsed, commitment, blob, original_digest) =
                match read_one(signoff, &readable, request, redact_first[index], seq, batch, staged).await {
                    Ok(read) => read,
                    Err(AppError::Ingest(error)) if matches!(error.kind, IngestErrorKind::Reread) => {
                        *reread = Some(index);
                        return Err(AppError::Ingest(error));
                    }
                    Err(error) => return Err(error),
                };
            let record = EvidenceRecord {
                id: uuid::Uuid::now_v7().to_string(),
                project: resolved.project.clone(),
                commit: resolved.commit.clone(),
                release: resolved.release.clone(),
                kind: parsed.kind,
                format: parsed.format,
                tool: parsed.tool,
                file_name: file_name(&input.path),
                digest: blob.0,
                size: blob.1,
                original_digest,
                redacted: parsed.redacted,
                summary: parsed.summary,
                findings: commitment,
                context: resolved.context.clone(),
                produced_at: parsed.produced_at,
                delivery: request.delivery.clone(),
                // A4: what was scanned, as the report names it, else the CI repository.
                target: parsed.target.or_else(|| {
                    resolved.context.repository.as_ref().map(|repository| format!("repository:{repository}"))
                }),
            };
            let entry = batch.append(Event::EvidenceCaptured(Box::new(record.clone()))).await?;
            reports.push(EvidenceReport::from_record(input.display.clone(), entry.seq, &record));
        }
        Ok(Member::Stored(reports))
    }
}

/// B4: where the policy in force says `release: {late_evidence: refuse}`, evidence
/// for a release whose latest certificate certified it (named, or the release at
/// the evidence's commit) is refused before anything is read or stored.
async fn refuse_if_sealed(signoff: &Signoff, target: &CaptureContext) -> Result<(), AppError> {
    let chosen = crate::policy::policy_in_force(signoff, &target.project).await?;
    if !chosen.policy.for_project(target.project.as_str()).release.refuse_late_evidence {
        return Ok(());
    }
    let release = target.release.as_ref().map(ToString::to_string);
    let certificates = crate::certify::certificates(signoff, Some(target.project.as_str()), release.as_deref()).await?;
    // The latest certificate of each release concerned decides whether it is sealed.
    let mut latest: std::collections::BTreeMap<String, &crate::certify::CertificateView> = Default::default();
    for certificate in &certificates {
        let concerned = match (&target.release, &target.commit) {
            (Some(_), _) => true,
            (None, Some(commit)) => certificate.record.commit == commit.as_str(),
            (None, None) => false,
        };
        if concerned {
            latest.insert(certificate.record.version.to_string(), certificate);
        }
    }
    let revoked: std::collections::HashSet<String> = signoff
        .store
        .records_of::<signoff_core::records::RevocationRecord>(Some(target.project.as_str()), release.as_deref())
        .await?
        .into_iter()
        .map(|row| row.record.certificate)
        .collect();
    let sealed = latest.values().find(|certificate| {
        certificate.record.decision == signoff_core::records::Decision::Certified
            && !revoked.contains(&certificate.record.id)
    });
    match sealed {
        Some(certificate) => Err(Refusal::LateEvidence {
            release: format!("{}@{}", certificate.record.project, certificate.record.version),
            policy: chosen.reference.name.clone(),
        }
        .into()),
        None => Ok(()),
    }
}

/// A delivery that arrived before (a retry after a lost answer): the evidence
/// stored then, provided the bytes are the same.
async fn redelivered(
    request: &CaptureRequest,
    path: &Path,
    delivery: &Delivery,
    stored: signoff_store::EvidenceRow,
) -> Result<Vec<EvidenceReport>, AppError> {
    let file = path.to_owned();
    let digest = tokio::task::spawn_blocking(move || -> Result<Digest, AppError> {
        let mut reader = File::open(&file).map_err(AppError::io(&file))?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 1 << 16];
        loop {
            let read = reader.read(&mut buffer).map_err(AppError::io(&file))?;
            if read == 0 {
                return Ok(hasher.finish());
            }
            hasher.update(&buffer[..read]);
        }
    })
    .await
    .map_err(AppError::stopped("reading the input"))??;
    let record = &stored.record;
    let target = &request.target;
    let same_target =
        record.project == target.project && record.commit == target.commit && record.release == target.release;
    if !same_target || record.original_digest.unwrap_or(record.digest) != digest {
        return Err(crate::error::Refusal::Exists {
            what: format!(
                "a capture with idempotency key {} but other content (entry {})",
                delivery.idempotency_key, stored.seq
            ),
        }
        .into());
    }
    let mut report = EvidenceReport::from_record(request.files[0].display.clone(), stored.seq, record);
    if let Some(captured) = report.captured.as_mut() {
        captured.redelivered = true;
    }
    Ok(vec![report])
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_else(|| "-".into())
}

/// Size and modification time, to notice a file that changes while it is read.
fn stamp(path: &Path) -> Option<(u64, SystemTime)> {
    let metadata = fs::metadata(path).ok()?;
    Some((metadata.len(), metadata.modified().ok()?))
}

type ReadOne = (Parsed, FindingsCommitment, (Digest, u64), Option<Digest>);

async fn read_one(
    signoff: &Signoff,
    input: &InputFile,
    request: &CaptureRequest,
    redact_first: bool,
    seq: u64,
    batch: &mut crate::ledger::Batch,
    staged: &mut Vec<StagedBlob>,
) -> Result<ReadOne, AppError> {
    let before = stamp(&input.path);
    // The file's bytes are copied into the blob store while it is parsed, as far
    // as the parser has cleared them (never a byte a redaction would replace).
    let clearance = Arc::new(Clearance::new());
    let _withdraw_on_exit = WithdrawOnDrop(Arc::clone(&clearance));
    let options = Options {
        format: request.format,
        kind: request.kind,
        limits: request.limits,
        redaction_key: signoff.redaction_key,
        clearance: Some(Arc::clone(&clearance)),
        redact_first,
    };
    let copy = {
        let blobs = signoff.blobs.clone();
        let path = input.path.clone();
        let clearance = Arc::clone(&clearance);
        tokio::task::spawn_blocking(move || -> Result<Option<StagedBlob>, AppError> {
            let file = File::open(&path).map_err(AppError::io(&path))?;
            let mut reader = ClearedReader { file, clearance: &clearance, position: 0 };
            match blobs.stage(&mut reader) {
                Ok(blob) => Ok(Some(blob)),
                Err(_) if clearance.cleared() == Cleared::Withdrawn => Ok(None),
                Err(error) => Err(error.into()),
            }
        })
    };

    // With the copy above, four things run at once so a large file keeps both
    // cores busy: the parser thread reads findings, a second thread hashes them
    // into the entry's commitment, and this task inserts them into the capture's
    // transaction (SQLite works on its own thread).
    let (sender, parsed_findings) = mpsc::channel::<Vec<Finding>>(4);
    let (hashed_sender, mut hashed_findings) = mpsc::channel::<Vec<Finding>>(4);
    let path = input.path.clone();
    let display = input.display.clone();
    let parse = tokio::task::spawn_blocking(move || {
        let mut sink = ChannelSink { sender, pending: Vec::with_capacity(FINDINGS_PER_BATCH) };
        let parsed = parse_path(&path, &display, &options, &mut sink)?;
        sink.flush().map_err(|error| IngestError::new(&display, Some(parsed.format), IngestErrorKind::Sink(error)))?;
        Ok::<_, IngestError>(parsed)
    });
    let hashing = tokio::task::spawn_blocking(move || commit_findings(parsed_findings, hashed_sender));
    let mut ordinal = 0u64;
    let mut inserted = Ok(());
    while let Some(chunk) = hashed_findings.recv().await {
        let count = chunk.len() as u64;
        inserted = batch.tx().insert_findings(seq, ordinal, chunk).await;
        if inserted.is_err() {
            break;
        }
        ordinal += count;
    }
    drop(hashed_findings);
    let parsed = parse.await.map_err(AppError::stopped("the parser"));
    match &parsed {
        Ok(Ok(parsed)) if parsed.stored.is_none() && inserted.is_ok() => clearance.clear_all(),
        _ => clearance.withdraw(),
    }
    // A store error is the cause when there is one (the parser then only saw the
    // store stop taking findings).
    let outcome = match (parsed, inserted) {
        (_, Err(error)) => Err(AppError::from(error)),
        (Ok(Ok(parsed)), Ok(())) => Ok(parsed),
        (Ok(Err(error)), Ok(())) => Err(AppError::from(error)),
        (Err(error), Ok(())) => Err(error),
    };
    let copied = copy.await.map_err(AppError::stopped("blob staging"))?;
    let mut parsed = match outcome {
        Ok(parsed) => parsed,
        Err(error) => {
            if let Ok(Some(copy)) = copied {
                signoff.blobs.discard(copy);
            }
            return Err(error);
        }
    };
    let commitment = hashing.await.map_err(AppError::stopped("findings hashing"))??;

    // The redacted document moves to the blob store: a copy of it would hold twice
    // its size at the end of the capture.
    let (blob, original_digest) = match (parsed.stored.take(), copied?) {
        (None, Some(blob)) => (blob, None),
        (stored, copy) => {
            // A redacted document is stored in place of the input (the copier was
            // told to stop before any of it), or the copy did not happen.
            let blobs = signoff.blobs.clone();
            let path = input.path.clone();
            if let Some(copy) = copy {
                signoff.blobs.discard(copy);
            }
            tokio::task::spawn_blocking(move || -> Result<_, AppError> {
                match stored {
                    Some(bytes) => {
                        let original = hash_file(&path)?;
                        let blob = blobs.stage(&mut bytes.as_slice())?;
                        Ok((blob, Some(original)))
                    }
                    None => {
                        let mut file = File::open(&path).map_err(AppError::io(&path))?;
                        Ok((blobs.stage(&mut file)?, None))
                    }
                }
            })
            .await
            .map_err(AppError::stopped("blob staging"))??
        }
    };
    let digest_and_size = (blob.digest, blob.size);
    staged.push(blob);
    if stamp(&input.path) != before {
        return Err(AppError::Invalid(format!(
            "{}: the file changed while it was being captured; capture it again",
            input.display
        )));
    }
    Ok((parsed, commitment, digest_and_size, original_digest))
}

/// Withdraws the clearance when capture of a file ends, however it ends, so a
/// copier waiting on it always stops.
struct WithdrawOnDrop(Arc<Clearance>);

impl Drop for WithdrawOnDrop {
    fn drop(&mut self) {
        self.0.withdraw();
    }
}

/// Reads a file only as far as its clearance allows, waiting for the parser; a
/// withdrawn clearance is an error, which stops the copy.
struct ClearedReader<'a> {
    file: File,
    clearance: &'a Clearance,
    position: u64,
}

impl Read for ClearedReader<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let limit = match self.clearance.wait_past(self.position) {
            Cleared::UpTo(offset) => usize::try_from(offset - self.position).unwrap_or(usize::MAX).min(buffer.len()),
            Cleared::All => buffer.len(),
            Cleared::Withdrawn => return Err(std::io::Error::other("the copy was withdrawn")),
        };
        let read = self.file.read(&mut buffer[..limit])?;
        self.position += read as u64;
        Ok(read)
    }
}

fn hash_file(path: &Path) -> Result<Digest, AppError> {
    let mut file = File::open(path).map_err(AppError::io(path))?;
    let mut sha = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = file.read(&mut buffer).map_err(AppError::io(path))?;
        if read == 0 {
            return Ok(sha.finish());
        }
        sha.update(&buffer[..read]);
    }
}

/// Hashes each batch of findings into the entry's commitment, in file order, and
/// passes it on to the store.
fn commit_findings(
    mut findings: mpsc::Receiver<Vec<Finding>>,
    store: mpsc::Sender<Vec<Finding>>,
) -> Result<FindingsCommitment, AppError> {
    let mut hasher = FindingsHasher::new();
    while let Some(chunk) = findings.blocking_recv() {
        for finding in &chunk {
            hasher
                .add(finding)
                .map_err(|error| AppError::Invalid(format!("a finding has no canonical form: {error}")))?;
        }
        if store.blocking_send(chunk).is_err() {
            // The store stopped (its error is the one reported); stop reading so the
            // parser stops too.
            break;
        }
    }
    Ok(hasher.finish())
}

/// Hands findings to the commitment stage in batches.
struct ChannelSink {
    sender: mpsc::Sender<Vec<Finding>>,
    pending: Vec<Finding>,
}

impl ChannelSink {
    fn flush(&mut self) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.pending, Vec::with_capacity(FINDINGS_PER_BATCH));
        self.sender.blocking_send(chunk).map_err(|_| "the store stopped taking findings".into())
    }
}

impl FindingSink for ChannelSink {
    fn push(&mut self, finding: Finding) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.pending.push(finding);
        if self.pending.len() >= FINDINGS_PER_BATCH {
            self.flush()?;
        }
        Ok(())
    }
}

/// Parses each file without storing anything: what capture would record.
pub async fn inspect(
    files: &[InputFile],
    format: Option<Format>,
    kind: Option<EvidenceKind>,
    limits: Limits,
) -> Vec<Result<EvidenceReport, AppError>> {
    let mut reports = Vec::new();
    for input in files {
        let input = input.clone();
        // Inspect keeps nothing, so a throwaway key is as good as the store's.
        let mut redaction_key = [0u8; 32];
        if let Err(error) = getrandom::fill(&mut redaction_key) {
            reports.push(Err(AppError::Invalid(format!("no randomness for redaction: {error}"))));
            continue;
        }
        let options = Options { format, kind, limits, redaction_key, clearance: None, redact_first: false };
        let result = tokio::task::spawn_blocking(move || -> Result<EvidenceReport, AppError> {
            let readable = input::readable(&input.path, &input.display, &limits, &std::env::temp_dir())?;
            let input = InputFile { path: readable.path.clone(), display: input.display };
            let parsed = parse_path(&input.path, &input.display, &options, &mut signoff_ingest::Discard)?;
            let (digest, size, original_digest) = match &parsed.stored {
                Some(bytes) => (Digest::of(bytes), bytes.len() as u64, Some(hash_file(&input.path)?)),
                None => {
                    let size = fs::metadata(&input.path).map_err(AppError::io(&input.path))?.len();
                    (hash_file(&input.path)?, size, None)
                }
            };
            Ok(EvidenceReport {
                file: input.display.clone(),
                format: parsed.format,
                kind: parsed.kind,
                tool: parsed.tool,
                digest,
                size,
                summary: parsed.summary,
                original_digest,
                redacted: parsed.redacted,
                produced_at: parsed.produced_at,
                target: parsed.target,
                captured: None,
            })
        })
        .await
        .unwrap_or_else(|error| Err(AppError::stopped("inspect")(error)));
        reports.push(result);
    }
    reports
}
