//! Reading one input file for a capture, in one of two ways.
//!
//! A file of any size is read under the ledger's lock ([`read_one`]): the parser,
//! the hashing of its findings into the entry's commitment and the copy of its
//! bytes into the blob store run at once, so a large file keeps both cores busy,
//! and its findings stream into the capture's transaction in bounded memory (A7).
//!
//! A small file is read ahead of its group ([`read_ahead`], P5), start to end on
//! one thread, its findings held in memory, so the single writer only inserts
//! them while the parsers of waiting captures run.

use std::fs::{self, File};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use signoff_core::entry::{FindingsCommitment, FindingsHasher};
use signoff_core::{Digest, Finding, Sha256};
use signoff_ingest::{
    Clearance, Cleared, FindingSink, IngestError, IngestErrorKind, Options, Parsed, parse_bytes, parse_path,
};
use signoff_store::{BlobStore, StagedBlob};
use tokio::sync::mpsc;

use super::{CaptureRequest, InputFile};
use crate::error::AppError;
use crate::home::Signoff;
use crate::ledger::Batch;

/// Findings per batch handed from the parser thread to the store.
const FINDINGS_PER_BATCH: usize = 4096;

/// Files up to this size are read before their capture's group takes the
/// ledger's lock, their findings held in memory (at most a few megabytes);
/// larger files stream into the transaction.
pub(super) const READ_AHEAD_MAX: u64 = 256 * 1024;

/// A file read: what the parser found, the commitment to its findings, its bytes
/// staged in the blob store (the redacted document where redaction replaced
/// secrets, whose input's digest is then `original_digest`).
pub(super) struct ReadFile {
    pub(super) parsed: Parsed,
    pub(super) commitment: FindingsCommitment,
    pub(super) blob: StagedBlob,
    pub(super) original_digest: Option<Digest>,
}

/// A small file read ahead of its group, with its findings.
pub(super) struct Ahead {
    pub(super) read: ReadFile,
    pub(super) findings: Vec<Vec<Finding>>,
}

/// Reads `input` with its findings held in memory. A SARIF log whose secret
/// scanner's run comes after a run that mentions its secrets is read again,
/// redacting first.
///
/// A small file is read start to end on one blocking thread (parse, then hash
/// its findings, then stage its bytes): at a few kilobytes, handing it between
/// the three threads a large file uses costs more than the work (P5).
pub(super) async fn read_ahead(
    signoff: &Signoff,
    input: &InputFile,
    request: &CaptureRequest,
) -> Result<Ahead, AppError> {
    let _permit = readers().acquire().await.map_err(|_| AppError::Inconsistent("the readers' limit closed".into()))?;
    let blobs = Arc::clone(&signoff.blobs);
    let input = input.clone();
    let options = Options {
        format: request.format,
        kind: request.kind,
        limits: request.limits,
        redaction_key: signoff.redaction_key,
        clearance: None,
        redact_first: false,
    };
    tokio::task::spawn_blocking(move || match read_held(blobs.as_ref(), &input, &options) {
        Err(AppError::Ingest(error)) if matches!(error.kind, IngestErrorKind::Reread) => {
            read_held(blobs.as_ref(), &input, &Options { redact_first: true, ..options })
        }
        read => read,
    })
    .await
    .map_err(AppError::stopped("reading the input"))?
}

/// Reads `input` on this thread: its findings held in batches and hashed into
/// their commitment as they come, then its bytes (or the redacted document)
/// staged. On an error nothing stays staged.
fn read_held(blobs: &dyn BlobStore, input: &InputFile, options: &Options) -> Result<Ahead, AppError> {
    // Bytes in memory cannot change while they are read; a file can.
    let before = input.contents.is_none().then(|| stamp(&input.path));
    let mut sink = HeldSink { hasher: FindingsHasher::new(), held: Vec::new(), refused: None };
    let parsed = match &input.contents {
        Some(contents) => parse_bytes(contents, &input.display, options, &mut sink),
        None => parse_path(&input.path, &input.display, options, &mut sink),
    };
    if let Some(refused) = sink.refused {
        return Err(refused);
    }
    let mut parsed = parsed?;
    let (blob, original_digest) = match (parsed.stored.take(), &input.contents) {
        (Some(redacted), _) => {
            let original = input_digest(input)?;
            (blobs.stage(&mut redacted.as_slice())?, Some(original))
        }
        (None, Some(contents)) => (blobs.stage(&mut &contents[..])?, None),
        (None, None) => {
            let mut file = File::open(&input.path).map_err(AppError::io(&input.path))?;
            (blobs.stage(&mut file)?, None)
        }
    };
    if let Some(before) = before
        && stamp(&input.path) != before
    {
        blobs.discard(blob);
        return Err(changed(input));
    }
    let read = ReadFile { parsed, commitment: sink.hasher.finish(), blob, original_digest };
    Ok(Ahead { read, findings: sink.held })
}

/// Holds findings in batches of [`FINDINGS_PER_BATCH`], hashing each into the
/// commitment as it comes.
struct HeldSink {
    hasher: FindingsHasher,
    held: Vec<Vec<Finding>>,
    /// Why a finding was refused, reported as it is rather than as the parser's.
    refused: Option<AppError>,
}

impl FindingSink for HeldSink {
    fn push(&mut self, finding: Finding) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if let Err(error) = self.hasher.add(&finding) {
            let message = format!("a finding has no canonical form: {error}");
            self.refused = Some(AppError::Invalid(message.clone()));
            return Err(message.into());
        }
        match self.held.last_mut() {
            Some(batch) if batch.len() < FINDINGS_PER_BATCH => batch.push(finding),
            _ => {
                self.held.push(vec![finding]);
            }
        }
        Ok(())
    }
}

/// The error for a file that changed while it was captured.
fn changed(input: &InputFile) -> AppError {
    AppError::Invalid(format!("{}: the file changed while it was being captured; capture it again", input.display))
}

/// How many files are read ahead at once: four times the cores. Sixty-four
/// pipelines posting at once would otherwise start sixty-four parsers, each with
/// its threads and buffers, on a machine with a few cores; the others
/// wait here, as they would for the lock, and take no memory meanwhile.
fn readers() -> &'static tokio::sync::Semaphore {
    static READERS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    READERS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        tokio::sync::Semaphore::new(cores * 4)
    })
}

/// Size and modification time, to notice a file that changes while it is read.
fn stamp(path: &Path) -> Option<(u64, SystemTime)> {
    let metadata = fs::metadata(path).ok()?;
    Some((metadata.len(), metadata.modified().ok()?))
}

/// Reads `input`: parses it, inserts its findings into `batch` as those of entry
/// `seq`, and stages its bytes. On an error nothing stays staged.
pub(super) async fn read_one(
    signoff: &Signoff,
    input: &InputFile,
    request: &CaptureRequest,
    redact_first: bool,
    batch: &mut Batch,
    seq: u64,
) -> Result<ReadFile, AppError> {
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
        inserted = batch.tx().insert_findings(seq, ordinal, chunk).await.map_err(AppError::from);
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
        (_, Err(error)) => Err(error),
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
    if stamp(&input.path) != before {
        signoff.blobs.discard(blob);
        return Err(changed(input));
    }
    Ok(ReadFile { parsed, commitment, blob, original_digest })
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

/// The digest of the input's bytes: those held in memory, else the file's.
pub(super) fn input_digest(input: &InputFile) -> Result<Digest, AppError> {
    match &input.contents {
        Some(contents) => Ok(Digest::of(contents)),
        None => hash_file(&input.path),
    }
}

pub(super) fn hash_file(path: &Path) -> Result<Digest, AppError> {
    let mut file = File::open(path).map_err(AppError::io(path))?;
    let mut sha = Sha256::new();
    // A megabyte at a time, or the whole of a smaller file (without zeroing a
    // megabyte for a few kilobytes).
    let size = file.metadata().map_err(AppError::io(path))?.len();
    let mut buffer = vec![0u8; usize::try_from(size.saturating_add(1)).unwrap_or(usize::MAX).clamp(8 << 10, 1 << 20)];
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
