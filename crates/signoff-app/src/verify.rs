//! `ledger verify` (C2, R1): recompute everything and name the first entry that is
//! not as it was written.
//!
//! One pass over the ledger in order. For each entry: the row is where it should be
//! (no gap, no swap), its content matches its stored hash, it links to the entry
//! before it, the rows derived from it (evidence, findings, release) match it field
//! by field, and its blob still hashes to the digest it names. At every checkpoint
//! size the recomputed Merkle root must equal the signed one. Rows with no entry
//! behind them, entries no checkpoint covers, and checkpoints beyond the ledger's
//! end are reported too. The first problem in ledger order is the one reported.
//!
//! Blobs dominate the cost, so they are re-hashed in chunks on blocking threads
//! while the scan checks later entries (`BlobChecks`); their verdicts are taken in
//! ledger order and a bad blob wins over any problem the scan found after it.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::Arc;

use serde::Serialize;
use signoff_core::Digest;
use signoff_core::entry::{Entry, Event, FindingsHasher};
use signoff_ledger::merkle::leaf_hash;
use signoff_ledger::{TreeBuilder, checkpoint};
use signoff_store::{BlobStore, EvidenceRow, FindingRow, RecordRow, ReleaseRow, Store, StoreError, StoreResult};
use time::format_description::well_known::Rfc3339;

use crate::error::AppError;
use crate::home::Signoff;

/// Rows read per query.
const BATCH: u64 = 5_000;

/// A file a killed capture left in the staging folder.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct StaleTemporary {
    /// Its path.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// Whether it was removed.
    pub removed: bool,
}

/// The outcome of a verification.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct VerifyReport {
    /// True when nothing is wrong.
    pub ok: bool,
    /// Entries checked.
    pub entries: u64,
    /// Signed checkpoints checked.
    pub checkpoints: u64,
    /// Evidence rows checked.
    pub evidence: u64,
    /// Finding rows checked.
    pub findings: u64,
    /// Release rows checked.
    pub releases: u64,
    /// Other derived rows checked (policies, approvals, exceptions, certificates).
    pub records: u64,
    /// Blobs re-hashed.
    pub blobs: u64,
    /// Blobs absent because a recorded retention purge removed them.
    pub purged: u64,
    /// The latest checkpoint's size and root, when it verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root: Option<TreeRoot>,
    /// Temporary files of killed captures found in `blobs/tmp` when the store was
    /// opened (removed then, unless the store cannot be written). They are not
    /// evidence and do not fail the verification.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stale_temporary_files: Vec<StaleTemporary>,
    /// What is wrong with the store's own files but is not a verification failure:
    /// permissions looser than private, a public key file that is not the key's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The first problem found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
}

/// A signed tree head: the Merkle tree's size and root hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct TreeRoot {
    /// Entries in the tree.
    pub size: u64,
    /// The RFC 6962 root hash.
    pub root: Digest,
}

impl std::fmt::Display for TreeRoot {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{} {}", self.size, self.root)
    }
}

/// The first problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Failure {
    /// The ledger entry concerned.
    pub entry: Option<u64>,
    /// The checkpoint concerned, by size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<u64>,
    /// What is wrong.
    pub problem: FailureKind,
    /// Details for a person.
    pub detail: String,
}

/// Kinds of problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// Content differs from what was written.
    Modified,
    /// Something written is gone.
    Missing,
    /// Something is there that was never written through the ledger.
    Inserted,
    /// Entries are out of order.
    Reordered,
    /// A blob's bytes differ from its digest.
    BlobModified,
    /// A blob is gone.
    BlobMissing,
    /// A checkpoint's signature does not verify.
    BadSignature,
}

impl std::fmt::Display for FailureKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            FailureKind::Modified => "modified",
            FailureKind::Missing => "missing",
            FailureKind::Inserted => "inserted",
            FailureKind::Reordered => "reordered",
            FailureKind::BlobModified => "blob modified",
            FailureKind::BlobMissing => "blob missing",
            FailureKind::BadSignature => "bad signature",
        };
        f.write_str(text)
    }
}

fn fail(entry: u64, problem: FailureKind, detail: impl Into<String>) -> Failure {
    Failure { entry: Some(entry), checkpoint: None, problem, detail: detail.into() }
}

/// Rows of one derived table, read in key order a batch at a time.
struct Cursor<T, K> {
    buffer: VecDeque<T>,
    after: Option<K>,
    exhausted: bool,
}

impl<T, K: Copy> Cursor<T, K> {
    fn new() -> Cursor<T, K> {
        Cursor { buffer: VecDeque::new(), after: None, exhausted: false }
    }

    async fn peek<F, Fut>(&mut self, fetch: F, key: fn(&T) -> K) -> Result<Option<&T>, AppError>
    where
        F: FnOnce(Option<K>) -> Fut,
        Fut: Future<Output = StoreResult<Vec<T>>>,
    {
        if self.buffer.is_empty() && !self.exhausted {
            let rows = fetch(self.after).await?;
            self.exhausted = (rows.len() as u64) < BATCH;
            if let Some(last) = rows.last() {
                self.after = Some(key(last));
            }
            self.buffer.extend(rows);
        }
        Ok(self.buffer.front())
    }

    fn pop(&mut self) -> Option<T> {
        self.buffer.pop_front()
    }
}

async fn peek_evidence<'c>(
    cursor: &'c mut Cursor<EvidenceRow, u64>,
    store: &dyn Store,
) -> Result<Option<&'c EvidenceRow>, AppError> {
    cursor.peek(|after| store.evidence_rows(after.map_or(0, |seq| seq + 1), BATCH), |row| row.seq).await
}

async fn peek_release<'c>(
    cursor: &'c mut Cursor<ReleaseRow, u64>,
    store: &dyn Store,
) -> Result<Option<&'c ReleaseRow>, AppError> {
    cursor.peek(|after| store.release_rows(after.map_or(0, |seq| seq + 1), BATCH), |row| row.seq).await
}

async fn peek_record<'c>(
    cursor: &'c mut Cursor<RecordRow, u64>,
    store: &dyn Store,
) -> Result<Option<&'c RecordRow>, AppError> {
    cursor.peek(|after| store.record_rows(after.map_or(0, |seq| seq + 1), BATCH), |row| row.seq).await
}

async fn peek_finding<'c>(
    cursor: &'c mut Cursor<FindingRow, (u64, u64)>,
    store: &dyn Store,
) -> Result<Option<&'c FindingRow>, AppError> {
    cursor.peek(|after| store.finding_rows(after, BATCH), |row| (row.evidence_seq, row.ordinal)).await
}

/// Blobs re-hashed by one blocking task.
const BLOBS_PER_CHUNK: usize = 256;
/// Chunks hashing while the scan goes on.
const CHUNKS_IN_FLIGHT: usize = 2;

/// A blob an entry names, waiting to be re-hashed.
struct PendingBlob {
    seq: u64,
    digest: Digest,
    size: u64,
}

/// A chunk of blobs being re-hashed on a blocking thread.
struct Chunk {
    blobs: Vec<PendingBlob>,
    task: tokio::task::JoinHandle<StoreResult<Vec<Rehashed>>>,
}

/// A blob's actual digest and size, or `None` when it is gone.
type Rehashed = Option<(Digest, u64)>;

/// Blob checks run beside the entry scan: blobs are gathered in ledger order and
/// re-hashed a chunk at a time on blocking threads while later entries are
/// checked, then judged in ledger order, so the first problem reported is still
/// the first in the ledger.
struct BlobChecks {
    blobs: Arc<dyn BlobStore>,
    gathering: Vec<PendingBlob>,
    in_flight: VecDeque<Chunk>,
    /// A bad blob was already reported; nothing more to judge.
    reported: bool,
}

impl BlobChecks {
    fn new(blobs: Arc<dyn BlobStore>) -> BlobChecks {
        BlobChecks { blobs, gathering: Vec::new(), in_flight: VecDeque::new(), reported: false }
    }

    /// Queues a blob; answers the first bad blob of a chunk that finished.
    async fn push(
        &mut self,
        blob: PendingBlob,
        purged: &HashMap<Digest, u64>,
        counts: &mut VerifyReport,
    ) -> Result<Option<Failure>, AppError> {
        self.gathering.push(blob);
        if self.gathering.len() < BLOBS_PER_CHUNK {
            return Ok(None);
        }
        let blobs = std::mem::take(&mut self.gathering);
        let store = self.blobs.clone();
        let digests: Vec<Digest> = blobs.iter().map(|blob| blob.digest).collect();
        let task = tokio::spawn(async move { store.rehash_many(digests).await });
        self.in_flight.push_back(Chunk { blobs, task });
        if self.in_flight.len() > CHUNKS_IN_FLIGHT
            && let Some(chunk) = self.in_flight.pop_front()
        {
            let failure = judge_chunk(chunk, purged, counts).await?;
            self.reported = failure.is_some();
            return Ok(failure);
        }
        Ok(None)
    }

    /// Judges every queued blob, in ledger order; answers the first bad one.
    async fn settle(
        &mut self,
        purged: &HashMap<Digest, u64>,
        counts: &mut VerifyReport,
    ) -> Result<Option<Failure>, AppError> {
        if self.reported {
            return Ok(None);
        }
        while let Some(chunk) = self.in_flight.pop_front() {
            if let Some(failure) = judge_chunk(chunk, purged, counts).await? {
                return Ok(Some(failure));
            }
        }
        let blobs = std::mem::take(&mut self.gathering);
        let answers = self.blobs.rehash_many(blobs.iter().map(|blob| blob.digest).collect()).await?;
        Ok(judge(&blobs, answers, purged, counts))
    }
}

async fn judge_chunk(
    chunk: Chunk,
    purged: &HashMap<Digest, u64>,
    counts: &mut VerifyReport,
) -> Result<Option<Failure>, AppError> {
    let answers = chunk.task.await.map_err(AppError::stopped("re-hashing blobs"))??;
    Ok(judge(&chunk.blobs, answers, purged, counts))
}

/// The first blob whose bytes are not what its entry recorded.
fn judge(
    blobs: &[PendingBlob],
    answers: Vec<Rehashed>,
    purged: &HashMap<Digest, u64>,
    counts: &mut VerifyReport,
) -> Option<Failure> {
    for (blob, answer) in blobs.iter().zip(answers) {
        let seq = blob.seq;
        match answer {
            // Purged after its retention ended, by a purge the ledger records.
            None if purged.contains_key(&blob.digest) => counts.purged += 1,
            None => {
                return Some(fail(
                    seq,
                    FailureKind::BlobMissing,
                    format!("the blob {} of entry {seq} is gone", blob.digest),
                ));
            }
            Some((digest, size)) if digest != blob.digest || size != blob.size => {
                return Some(fail(
                    seq,
                    FailureKind::BlobModified,
                    format!(
                        "the blob {} of entry {seq} now hashes to {digest} ({size} bytes, {} recorded)",
                        blob.digest, blob.size
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    None
}

/// What verification was asked to trust besides the store's own checkpoints.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// A checkpoint kept outside the store (signed note text); the ledger must
    /// still contain the tree it describes.
    pub trusted_checkpoint: Option<String>,
    /// Counts the ledger entries checked so far, for a progress bar (of
    /// [`signoff_store::Store::ledger_size`] entries) that reads it from elsewhere.
    pub progress: Option<Arc<std::sync::atomic::AtomicU64>>,
}

/// Verifies the whole store.
///
/// # Errors
/// Only when the store cannot be read at all; problems found are in the report.
pub async fn verify(signoff: &Signoff, options: &VerifyOptions) -> Result<VerifyReport, AppError> {
    let mut run = Run::new(signoff);
    run.purged = crate::retention::purged(signoff).await?;
    run.failure = run.scan(options).await?;
    Ok(run.report())
}

struct Run<'a> {
    signoff: &'a Signoff,
    counts: VerifyReport,
    failure: Option<Failure>,
    /// Blobs the ledger records as purged after retention.
    purged: HashMap<Digest, u64>,
}

/// A checkpoint whose signature was checked: its size, its signed root, or why it
/// cannot be trusted.
struct Checked {
    size: u64,
    root: Result<Digest, String>,
    external: bool,
    /// Why its link to the checkpoint before it is broken (a checkpoint row was
    /// deleted), if it is.
    broken_link: Option<String>,
}

impl<'a> Run<'a> {
    fn new(signoff: &'a Signoff) -> Run<'a> {
        let counts = VerifyReport {
            ok: false,
            entries: 0,
            checkpoints: 0,
            evidence: 0,
            findings: 0,
            releases: 0,
            records: 0,
            blobs: 0,
            purged: 0,
            root: None,
            stale_temporary_files: signoff
                .stale
                .iter()
                .map(|file| StaleTemporary {
                    path: signoff.home().join("blobs/tmp").join(&file.name).display().to_string(),
                    size: file.size,
                    removed: file.removed,
                })
                .collect(),
            warnings: signoff.warnings().to_vec(),
            failure: None,
        };
        Run { signoff, counts, failure: None, purged: HashMap::new() }
    }

    fn report(mut self) -> VerifyReport {
        self.counts.ok = self.failure.is_none();
        self.counts.failure = self.failure;
        self.counts
    }

    /// The store's checkpoints, checked, with the trusted one; or the failure of a
    /// trusted checkpoint the store's key does not verify.
    async fn checked_checkpoints(&self, options: &VerifyOptions) -> Result<Result<Vec<Checked>, Failure>, AppError> {
        let verifier = self.signoff.verifier()?;
        let mut checked = Vec::new();
        // Each checkpoint names the one signed before it; rows from before the
        // chain have no link, but after the first link every row has one.
        let mut previous = 0u64;
        let mut chained = false;
        for stored in self.signoff.store.checkpoints().await? {
            let broken_link = match stored.previous_size {
                Some(link) if link == previous => None,
                Some(link) if link < previous => Some(format!(
                    "a checkpoint is missing: the checkpoint at size {} was signed after one at size {link}, which is not in the store",
                    stored.size
                )),
                Some(link) => Some(format!(
                    "a checkpoint is missing: the checkpoint at size {} was signed after one at size {link}, which is not in the store (the store goes from size {previous} to size {})",
                    stored.size, stored.size
                )),
                None if chained => Some(format!(
                    "the checkpoint at size {} has no link to the checkpoint before it, as every checkpoint after the first linked one has",
                    stored.size
                )),
                None => None,
            };
            chained |= stored.previous_size.is_some();
            previous = stored.size;
            let root = match checkpoint::open(&stored.note, &verifier) {
                Ok(note) if note.size() == stored.size && note.root().as_bytes() == &stored.root => Ok(note.root()),
                Ok(note) => {
                    Err(format!("its note says size {} root {} but the row says otherwise", note.size(), note.root()))
                }
                Err(error) => Err(error.to_string()),
            };
            checked.push(Checked { size: stored.size, root, external: false, broken_link });
        }
        if let Some(text) = &options.trusted_checkpoint {
            // A trusted checkpoint the store's key does not verify (the store was
            // re-signed with another key) is a failed verification, not an error.
            match checkpoint::open(text, &verifier) {
                Ok(note) => {
                    checked.push(Checked {
                        size: note.size(),
                        root: Ok(note.root()),
                        external: true,
                        broken_link: None,
                    });
                }
                Err(error) => {
                    return Ok(Err(Failure {
                        entry: None,
                        checkpoint: None,
                        problem: FailureKind::BadSignature,
                        detail: format!(
                            "the trusted checkpoint does not verify with this store's key ({error}): the store was re-signed with another key, or the checkpoint is from another ledger"
                        ),
                    }));
                }
            }
        }
        checked.sort_by_key(|checkpoint| checkpoint.size);
        Ok(Ok(checked))
    }

    async fn scan(&mut self, options: &VerifyOptions) -> Result<Option<Failure>, AppError> {
        let mut blobs = BlobChecks::new(self.signoff.blobs.clone());
        let found = match self.scan_entries(options, &mut blobs).await {
            // A derived row that no longer decodes was altered: a failed
            // verification naming it, not an error.
            Err(AppError::Store(StoreError::Corrupt { table, key, message })) => Some(fail(
                key.parse().unwrap_or_default(),
                FailureKind::Modified,
                format!("the {table} row of entry {key} is unreadable: {message}"),
            )),
            other => other?,
        };
        // Blobs still hashing belong to entries before the problem found (if any),
        // so a bad one among them is the first problem in ledger order.
        let earlier = blobs.settle(&self.purged, &mut self.counts).await?;
        Ok(earlier.or(found))
    }

    async fn scan_entries(
        &mut self,
        options: &VerifyOptions,
        blobs: &mut BlobChecks,
    ) -> Result<Option<Failure>, AppError> {
        let checkpoints = match self.checked_checkpoints(options).await? {
            Ok(checkpoints) => checkpoints,
            Err(failure) => return Ok(Some(failure)),
        };
        let mut next_checkpoint = 0usize;
        let mut previous_checkpoint_size = 0u64;
        let mut tree = TreeBuilder::new();
        let mut last_hash: Option<Digest> = None;
        let mut evidence: Cursor<EvidenceRow, u64> = Cursor::new();
        let mut releases: Cursor<ReleaseRow, u64> = Cursor::new();
        let mut findings: Cursor<FindingRow, (u64, u64)> = Cursor::new();
        let mut records: Cursor<RecordRow, u64> = Cursor::new();
        let store = self.signoff.store.clone();
        let mut expected = 0u64;

        loop {
            let batch = store.entries(expected, BATCH).await?;
            let done = (batch.len() as u64) < BATCH;
            for stored in batch {
                if stored.seq != expected {
                    return Ok(Some(fail(
                        expected,
                        FailureKind::Missing,
                        format!(
                            "entry {expected} is missing: the ledger goes from entry {} to entry {}",
                            expected.saturating_sub(1),
                            stored.seq
                        ),
                    )));
                }
                let seq = stored.seq;
                let entry_hash = Digest::of(&stored.body);
                if entry_hash.as_bytes().as_slice() != stored.entry_hash.as_slice() {
                    return Ok(Some(fail(
                        seq,
                        FailureKind::Modified,
                        format!("entry {seq} no longer matches its stored hash"),
                    )));
                }
                let entry: Entry = match serde_json::from_slice(&stored.body) {
                    Ok(entry) => entry,
                    Err(error) => {
                        return Ok(Some(fail(
                            seq,
                            FailureKind::Modified,
                            format!("entry {seq} is unreadable: {error}"),
                        )));
                    }
                };
                if entry.seq != seq {
                    return Ok(Some(fail(
                        seq,
                        FailureKind::Reordered,
                        format!("row {seq} holds entry {}: entries were moved", entry.seq),
                    )));
                }
                if entry.prev != last_hash {
                    let before = seq.saturating_sub(1);
                    return Ok(Some(fail(
                        before,
                        FailureKind::Modified,
                        format!(
                            "entry {before} was rewritten: entry {seq} was written after a different entry {before}"
                        ),
                    )));
                }
                last_hash = Some(entry_hash);
                tree.push(leaf_hash(&stored.body));
                self.counts.entries += 1;
                if let Some(progress) = &options.progress {
                    progress.store(self.counts.entries, std::sync::atomic::Ordering::Relaxed);
                }

                if let Some(failure) =
                    self.check_derived(&entry, &mut evidence, &mut releases, &mut findings, &mut records, blobs).await?
                {
                    return Ok(Some(failure));
                }

                while let Some(checkpoint) =
                    checkpoints.get(next_checkpoint).filter(|checkpoint| checkpoint.size == tree.size())
                {
                    next_checkpoint += 1;
                    let label = if checkpoint.external { "trusted checkpoint" } else { "checkpoint" };
                    if let Some(problem) = &checkpoint.broken_link {
                        return Ok(Some(Failure {
                            entry: None,
                            checkpoint: Some(checkpoint.size),
                            problem: FailureKind::Missing,
                            detail: problem.clone(),
                        }));
                    }
                    match &checkpoint.root {
                        Err(reason) => {
                            return Ok(Some(Failure {
                                entry: None,
                                checkpoint: Some(checkpoint.size),
                                problem: FailureKind::BadSignature,
                                detail: format!("the {label} at size {} does not verify: {reason}", checkpoint.size),
                            }));
                        }
                        Ok(root) if *root != tree.root() => {
                            let last = checkpoint.size - 1;
                            let detail = if previous_checkpoint_size <= last {
                                format!(
                                    "entries {previous_checkpoint_size}..={last} do not hash to the root signed in the {label} at size {}: entry {last} (or a rewritten run of entries ending there) was altered",
                                    checkpoint.size
                                )
                            } else {
                                // The store's own checkpoint at this size matched:
                                // the whole ledger was rebuilt or re-signed since.
                                format!(
                                    "the first {} entries do not hash to the root signed in the {label} at size {}, although the store's own checkpoint at that size matches them: the ledger was rebuilt or re-signed since the {label} was taken",
                                    checkpoint.size, checkpoint.size
                                )
                            };
                            return Ok(Some(Failure {
                                entry: Some(last),
                                checkpoint: Some(checkpoint.size),
                                problem: FailureKind::Modified,
                                detail,
                            }));
                        }
                        Ok(root) => {
                            if !checkpoint.external {
                                self.counts.checkpoints += 1;
                                self.counts.root = Some(TreeRoot { size: checkpoint.size, root: *root });
                            }
                            previous_checkpoint_size = checkpoint.size;
                        }
                    }
                }
                expected += 1;
            }
            if done {
                break;
            }
        }

        if let Some(checkpoint) = checkpoints.get(next_checkpoint) {
            return Ok(Some(fail(
                expected,
                FailureKind::Missing,
                format!(
                    "entry {expected} is missing: a signed checkpoint covers {} entries but the ledger ends after {expected}",
                    checkpoint.size
                ),
            )));
        }
        if expected > previous_checkpoint_size {
            return Ok(Some(fail(
                previous_checkpoint_size,
                FailureKind::Inserted,
                format!(
                    "entries {previous_checkpoint_size}..{expected} are not covered by any signed checkpoint: they were not written by signoff"
                ),
            )));
        }
        let store = &self.signoff.store;
        if let Some(row) = peek_evidence(&mut evidence, store.as_ref()).await? {
            return Ok(Some(fail(
                row.seq,
                FailureKind::Inserted,
                format!("evidence row {} has no ledger entry", row.seq),
            )));
        }
        if let Some(row) = peek_release(&mut releases, store.as_ref()).await? {
            return Ok(Some(fail(
                row.seq,
                FailureKind::Inserted,
                format!("release row {} has no ledger entry", row.seq),
            )));
        }
        if let Some(row) = peek_record(&mut records, store.as_ref()).await? {
            return Ok(Some(fail(
                row.seq,
                FailureKind::Inserted,
                format!("{} row {} has no ledger entry", row.kind, row.seq),
            )));
        }
        if let Some(row) = peek_finding(&mut findings, store.as_ref()).await? {
            return Ok(Some(fail(
                row.evidence_seq,
                FailureKind::Inserted,
                format!("finding row {}/{} belongs to no evidence entry", row.evidence_seq, row.ordinal),
            )));
        }
        Ok(None)
    }

    async fn check_derived(
        &mut self,
        entry: &Entry,
        evidence: &mut Cursor<EvidenceRow, u64>,
        releases: &mut Cursor<ReleaseRow, u64>,
        findings: &mut Cursor<FindingRow, (u64, u64)>,
        records: &mut Cursor<RecordRow, u64>,
        blobs: &mut BlobChecks,
    ) -> Result<Option<Failure>, AppError> {
        let seq = entry.seq;
        let store = self.signoff.store.clone();
        let at = entry.at.format(&Rfc3339).unwrap_or_default();
        // A derived row keyed below this entry belongs to no entry of its kind.
        if let Some(row) = peek_evidence(evidence, store.as_ref()).await?
            && row.seq < seq
        {
            return Ok(Some(fail(
                row.seq,
                FailureKind::Inserted,
                format!("evidence row {} has no evidence entry", row.seq),
            )));
        }
        if let Some(row) = peek_record(records, store.as_ref()).await?
            && row.seq < seq
        {
            return Ok(Some(fail(
                row.seq,
                FailureKind::Inserted,
                format!("{} row {} has no entry of its kind", row.kind, row.seq),
            )));
        }
        if let Some(row) = peek_release(releases, store.as_ref()).await?
            && row.seq < seq
        {
            return Ok(Some(fail(
                row.seq,
                FailureKind::Inserted,
                format!("release row {} has no release entry", row.seq),
            )));
        }
        match &entry.event {
            Event::EvidenceCaptured(record) => {
                let row = peek_evidence(evidence, store.as_ref()).await?;
                let row = match row {
                    Some(row) if row.seq == seq => evidence.pop(),
                    _ => None,
                };
                let Some(row) = row else {
                    return Ok(Some(fail(
                        seq,
                        FailureKind::Missing,
                        format!("the evidence row of entry {seq} is gone"),
                    )));
                };
                self.counts.evidence += 1;
                if row.record != **record || row.captured_at != entry.at {
                    return Ok(Some(fail(
                        seq,
                        FailureKind::Modified,
                        format!("the evidence row of entry {seq} differs from the entry"),
                    )));
                }
                let mut hasher = FindingsHasher::new();
                let mut ordinal = 0u64;
                loop {
                    let next = peek_finding(findings, store.as_ref()).await?;
                    match next {
                        Some(row) if row.evidence_seq < seq => {
                            return Ok(Some(fail(
                                row.evidence_seq,
                                FailureKind::Inserted,
                                format!(
                                    "finding row {}/{} belongs to no evidence entry",
                                    row.evidence_seq, row.ordinal
                                ),
                            )));
                        }
                        Some(row) if row.evidence_seq == seq => {
                            if row.ordinal != ordinal {
                                let problem =
                                    if row.ordinal > ordinal { FailureKind::Missing } else { FailureKind::Inserted };
                                return Ok(Some(fail(
                                    seq,
                                    problem,
                                    format!("finding {ordinal} of entry {seq} is not in its place"),
                                )));
                            }
                            if let Err(error) = hasher.add(&row.finding) {
                                return Ok(Some(fail(
                                    seq,
                                    FailureKind::Modified,
                                    format!("finding {ordinal} of entry {seq} has no canonical form: {error}"),
                                )));
                            }
                            ordinal += 1;
                            self.counts.findings += 1;
                            findings.pop();
                        }
                        _ => break,
                    }
                }
                let commitment = hasher.finish();
                if commitment != record.findings {
                    let problem = if commitment.count < record.findings.count {
                        FailureKind::Missing
                    } else if commitment.count > record.findings.count {
                        FailureKind::Inserted
                    } else {
                        FailureKind::Modified
                    };
                    return Ok(Some(fail(
                        seq,
                        problem,
                        format!(
                            "the findings of entry {seq} differ from those recorded ({} stored, {} recorded)",
                            commitment.count, record.findings.count
                        ),
                    )));
                }
                self.counts.blobs += 1;
                if let Some(failure) = blobs
                    .push(PendingBlob { seq, digest: record.digest, size: record.size }, &self.purged, &mut self.counts)
                    .await?
                {
                    return Ok(Some(failure));
                }
            }
            Event::ReleaseCreated(record) => {
                let row = peek_release(releases, store.as_ref()).await?;
                let row = match row {
                    Some(row) if row.seq == seq => releases.pop(),
                    _ => None,
                };
                let Some(row) = row else {
                    return Ok(Some(fail(
                        seq,
                        FailureKind::Missing,
                        format!("the release row of entry {seq} is gone"),
                    )));
                };
                self.counts.releases += 1;
                if row.record != **record || row.created_at != entry.at {
                    return Ok(Some(fail(
                        seq,
                        FailureKind::Modified,
                        format!("the release row of entry {seq} differs from the entry"),
                    )));
                }
            }
            other => {
                let row = match peek_record(records, store.as_ref()).await? {
                    Some(row) if row.seq == seq => records.pop(),
                    _ => None,
                };
                let Some(row) = row else {
                    return Ok(Some(fail(
                        seq,
                        FailureKind::Missing,
                        format!("the {} row of entry {seq} is gone", other.kind()),
                    )));
                };
                self.counts.records += 1;
                let expected = serde_json::to_value(other).ok().and_then(|value| value.get("data").cloned());
                let stored = serde_json::from_str::<serde_json::Value>(&row.record).ok();
                let (id, project, version) = other.index_keys();
                let (subject, status) = other.lookup_keys();
                if row.kind != other.kind()
                    || row.at.as_deref() != Some(at.as_str())
                    || row.subject != subject
                    || row.status != status
                    || stored.is_none()
                    || stored != expected
                    || row.id != id
                    || row.project != project
                    || row.version != version
                {
                    return Ok(Some(fail(
                        seq,
                        FailureKind::Modified,
                        format!("the {} row of entry {seq} differs from the entry", other.kind()),
                    )));
                }
            }
        }
        Ok(None)
    }
}
