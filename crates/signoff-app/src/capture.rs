//! Capture (A1–A3): parse each file, keep its bytes, record findings and a ledger
//! entry; and inspect, which parses without keeping anything.
//!
//! A capture of several files is one batch: either every file is recorded under one
//! checkpoint, or (on any error) nothing is, and the error names the file.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use signoff_core::context::CiContext;
use signoff_core::entry::{Delivery, Event, EvidenceRecord};
use signoff_core::{CommitSha, Digest, EvidenceKind, Format, ProjectName, ReleaseVersion};
use signoff_ingest::{IngestErrorKind, Limits, Options, parse_path};
use signoff_store::StagedBlob;

use crate::error::{AppError, Refusal};
use crate::home::Signoff;
use crate::report::EvidenceReport;

mod group;
mod input;
mod read;

pub use group::Committer;
use group::{Delivered, Failed};
/// How the names of the scratch copies of piped input begin, in the store's
/// staging folder (`blobs/tmp`), where the blobs being staged lie beside them.
pub use signoff_store::SCRATCH_PREFIX as PIPE_COPY_PREFIX;

/// A file to read, and how to name it in messages.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// Where it is; for a file held in memory, only its name.
    pub path: PathBuf,
    /// How the user named it.
    pub display: String,
    /// Its bytes, when they are in memory already (a small upload to a server):
    /// nothing is then read from `path`.
    pub contents: Option<Arc<[u8]>>,
}

impl InputFile {
    /// A file named as its path.
    pub fn new(path: impl Into<PathBuf>) -> InputFile {
        let path = path.into();
        InputFile { display: path.display().to_string(), path, contents: None }
    }

    /// A file at `path`, named `display` in messages.
    pub fn named(path: impl Into<PathBuf>, display: impl Into<String>) -> InputFile {
        InputFile { path: path.into(), display: display.into(), contents: None }
    }

    /// A file held in memory, named `name` (a plain file name, no folders).
    pub fn in_memory(name: impl Into<String>, contents: impl Into<Arc<[u8]>>) -> InputFile {
        let name = name.into();
        InputFile { path: PathBuf::from(&name), display: name, contents: Some(contents.into()) }
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

/// Captures every file of `request` in one batch.
///
/// # Errors
/// The first file that cannot be read as evidence, or a store failure; nothing is
/// recorded then.
pub async fn capture(signoff: &Signoff, request: CaptureRequest) -> Result<Vec<EvidenceReport>, AppError> {
    let mut prepared = Prepared::new(signoff, request).await?;
    let outcome = group::commit(signoff, std::slice::from_mut(&mut prepared)).await.pop();
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
    let outcomes = group::commit(signoff, &mut prepared).await;
    let mut written = prepared.iter().zip(outcomes);
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
/// regular files (pipes copied to scratch files, removed when this is dropped)
/// or bytes in memory.
pub(crate) struct Prepared {
    request: CaptureRequest,
    /// Scratch copies of pipes, kept until the capture is written.
    _readables: Vec<input::Readable>,
    /// The request's files as they are read: in memory (small ones held so
    /// already), else regular files.
    inputs: Vec<InputFile>,
    /// Every file read already, when all are small (P5): the group then only
    /// inserts what was read. `None` when the files stream in under the lock.
    ahead: Option<Vec<read::Ahead>>,
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
    /// here), copies pipes to scratch files and reads small files ahead, without
    /// the ledger's lock: a file that is not evidence is refused here.
    pub(crate) async fn new(signoff: &Signoff, request: CaptureRequest) -> Result<Prepared, AppError> {
        if request.files.is_empty() {
            return Err(AppError::Invalid("nothing to capture: name at least one file".into()));
        }
        if request.delivery.is_some() && request.files.len() != 1 {
            return Err(AppError::Invalid("a delivery with an idempotency key carries exactly one file".into()));
        }
        refuse_if_sealed(signoff, &request.target).await?;
        let small = request
            .files
            .iter()
            .all(|input| input.contents.as_ref().is_some_and(|contents| contents.len() as u64 <= read::READ_AHEAD_MAX));
        let scratch = signoff.home().join("blobs/tmp");
        let mut readables = Vec::new();
        let mut inputs = Vec::with_capacity(request.files.len());
        if small {
            // Held in memory and small: read ahead with nothing to open or check.
            inputs.clone_from(&request.files);
        } else {
            // Pipes are copied to scratch files first (bounded in size and time), before
            // the ledger's write lock is taken; so are bytes held in memory, when the
            // capture is read under the lock.
            let files = request.files.clone();
            let limits = request.limits;
            let (found, all_small) = tokio::task::spawn_blocking(move || {
                let mut found = Vec::with_capacity(files.len());
                let mut small = true;
                for input in files {
                    let readable = input::readable(&input, &limits, &scratch)?;
                    let size = fs::metadata(&readable.path).map_err(AppError::io(&readable.path))?.len();
                    small &= size <= read::READ_AHEAD_MAX;
                    found.push((InputFile::named(readable.path.clone(), input.display), readable));
                }
                Ok::<_, AppError>((found, small))
            })
            .await
            .map_err(AppError::stopped("reading the input"))??;
            for (input, readable) in found {
                inputs.push(input);
                readables.push(readable);
            }
            if !all_small {
                return Ok(Prepared { request, _readables: readables, inputs, ahead: None });
            }
        }
        let mut ahead = Vec::with_capacity(inputs.len());
        for input in &inputs {
            ahead.push(read::read_ahead(signoff, input, &request).await?);
        }
        Ok(Prepared { request, _readables: readables, inputs, ahead: Some(ahead) })
    }

    /// The idempotency key it was delivered under, if any.
    fn delivery_key(&self) -> Option<&str> {
        self.request.delivery.as_ref().map(|delivery| delivery.idempotency_key.as_str())
    }

    /// The answer for a written capture: a redelivery checked against what was
    /// stored first, evidence for a release certified already marked as such.
    pub(crate) async fn finish(&self, signoff: &Signoff, member: Member) -> Result<Vec<EvidenceReport>, AppError> {
        let request = &self.request;
        let mut reports = match (member, &request.delivery) {
            (Member::Redelivered(stored), Some(delivery)) => {
                return redelivered(request, &self.inputs[0], delivery, *stored).await;
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
    ///
    /// Files read ahead are only inserted, which fails only when the store does:
    /// they take no savepoint, and a failure fails the group. Files read now may
    /// not be evidence: their capture is marked, and undone alone on an error. A
    /// SARIF log whose secret scanner's run comes after a run that mentions its
    /// secrets is read twice: the first try is undone, the second redacts first.
    /// On an error, this capture's blobs are discarded.
    pub(crate) async fn append(
        &mut self,
        signoff: &Signoff,
        batch: &mut crate::ledger::Batch,
        staged: &mut Vec<StagedBlob>,
        delivered: &mut Delivered,
    ) -> Result<Member, Failed> {
        if let Some(ahead) = self.ahead.take() {
            let mut mine = Vec::new();
            return match self.append_ahead(batch, ahead, delivered, &mut mine).await {
                Ok(member) => {
                    staged.append(&mut mine);
                    Ok(member)
                }
                Err(error) => {
                    for blob in mine {
                        signoff.blobs.discard(blob);
                    }
                    Err(Failed::Group(error))
                }
            };
        }
        let mut redact_first = vec![false; self.request.files.len()];
        loop {
            let mark = batch.mark().await.map_err(Failed::Group)?;
            let mut mine = Vec::new();
            let mut reread = None;
            match self.append_once(signoff, batch, delivered, &redact_first, &mut reread, &mut mine).await {
                Ok(member) => {
                    batch.keep(mark);
                    staged.append(&mut mine);
                    return Ok(member);
                }
                Err(error) => {
                    for blob in mine {
                        signoff.blobs.discard(blob);
                    }
                    // A store that failed under one member cannot be trusted with the next.
                    if let AppError::Store(_) = error {
                        return Err(Failed::Group(error));
                    }
                    batch.undo(mark).await.map_err(Failed::Group)?;
                    match reread {
                        Some(index) if !redact_first[index] => redact_first[index] = true,
                        _ => return Err(Failed::Alone(error)),
                    }
                }
            }
        }
    }

    /// Appends the files read ahead: their held findings, then their entries. Their
    /// blobs go to `staged` (or are discarded by the caller on an error).
    async fn append_ahead(
        &self,
        batch: &mut crate::ledger::Batch,
        ahead: Vec<read::Ahead>,
        delivered: &mut Delivered,
        staged: &mut Vec<StagedBlob>,
    ) -> Result<Member, AppError> {
        if let Some(stored) = self.delivered_before(batch, delivered).await? {
            // Its blobs drop with `ahead`: the evidence stored first stands.
            return Ok(stored);
        }
        let mut reports = Vec::with_capacity(ahead.len());
        for (input, read::Ahead { read, findings }) in self.request.files.iter().zip(ahead) {
            let seq = batch.next_seq();
            let mut ordinal = 0u64;
            for chunk in findings {
                let count = chunk.len() as u64;
                batch.tx().insert_findings(seq, ordinal, chunk).await?;
                ordinal += count;
            }
            reports.push(self.append_entry(batch, input, read, staged).await?);
        }
        Ok(Member::Stored(reports))
    }

    /// The evidence stored before under this request's idempotency key, if any.
    async fn delivered_before(
        &self,
        batch: &mut crate::ledger::Batch,
        delivered: &mut Delivered,
    ) -> Result<Option<Member>, AppError> {
        let Some(delivery) = &self.request.delivery else { return Ok(None) };
        let stored = delivered.before(batch, &delivery.idempotency_key).await?;
        Ok(stored.map(|stored| Member::Redelivered(Box::new(stored))))
    }

    async fn append_once(
        &self,
        signoff: &Signoff,
        batch: &mut crate::ledger::Batch,
        delivered: &mut Delivered,
        redact_first: &[bool],
        reread: &mut Option<usize>,
        staged: &mut Vec<StagedBlob>,
    ) -> Result<Member, AppError> {
        if let Some(stored) = self.delivered_before(batch, delivered).await? {
            return Ok(stored);
        }
        let request = &self.request;
        let mut reports = Vec::with_capacity(request.files.len());
        for (index, input) in request.files.iter().enumerate() {
            let seq = batch.next_seq();
            let read =
                match read::read_one(signoff, &self.inputs[index], request, redact_first[index], batch, seq).await {
                    Ok(read) => read,
                    Err(AppError::Ingest(error)) if matches!(error.kind, IngestErrorKind::Reread) => {
                        *reread = Some(index);
                        return Err(AppError::Ingest(error));
                    }
                    Err(error) => return Err(error),
                };
            reports.push(self.append_entry(batch, input, read, staged).await?);
        }
        Ok(Member::Stored(reports))
    }

    /// Appends the entry of one file read (its findings inserted already) and
    /// moves its blob to `staged`.
    async fn append_entry(
        &self,
        batch: &mut crate::ledger::Batch,
        input: &InputFile,
        read: read::ReadFile,
        staged: &mut Vec<StagedBlob>,
    ) -> Result<EvidenceReport, AppError> {
        let resolved = &self.request.target;
        let read::ReadFile { parsed, commitment, blob, original_digest } = read;
        let record = EvidenceRecord {
            id: uuid::Uuid::now_v7().to_string(),
            project: resolved.project.clone(),
            commit: resolved.commit.clone(),
            release: resolved.release.clone(),
            kind: parsed.kind,
            format: parsed.format,
            tool: parsed.tool,
            file_name: file_name(&input.path),
            digest: blob.digest,
            size: blob.size,
            original_digest,
            redacted: parsed.redacted,
            summary: parsed.summary,
            findings: commitment,
            context: resolved.context.clone(),
            produced_at: parsed.produced_at,
            delivery: self.request.delivery.clone(),
            // A4: what was scanned, as the report names it, else the CI repository.
            target: parsed
                .target
                .or_else(|| resolved.context.repository.as_ref().map(|repository| format!("repository:{repository}"))),
        };
        // The blob is staged before the entry is appended, so an error below
        // still finds it with the others of this capture, to be discarded.
        staged.push(blob);
        let entry = batch.append(Event::EvidenceCaptured(Box::new(record.clone()))).await?;
        Ok(EvidenceReport::from_record(input.display.clone(), entry.seq, &record))
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
    input: &InputFile,
    delivery: &Delivery,
    stored: signoff_store::EvidenceRow,
) -> Result<Vec<EvidenceReport>, AppError> {
    let held = input.clone();
    let digest = tokio::task::spawn_blocking(move || read::input_digest(&held))
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
            // Bytes held in memory are copied to a scratch file, as a pipe is.
            let readable = input::readable(&input, &limits, &std::env::temp_dir())?;
            let path = &readable.path;
            let parsed = parse_path(path, &input.display, &options, &mut signoff_ingest::Discard)?;
            let (digest, size, original_digest) = match &parsed.stored {
                Some(bytes) => (Digest::of(bytes), bytes.len() as u64, Some(read::hash_file(path)?)),
                None => (read::hash_file(path)?, fs::metadata(path).map_err(AppError::io(path))?.len(), None),
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
