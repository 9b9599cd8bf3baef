//! The write path: every change to the store is a batch of ledger entries, closed
//! by a signed checkpoint over the new tree, in one store transaction.

use std::sync::OnceLock;
use std::time::Duration;

use signoff_core::Digest;
use signoff_core::entry::{Entry, Event};
use signoff_ledger::merkle::leaf_hash;
use signoff_ledger::{Checkpoint, TreeBuilder, checkpoint};
use signoff_store::{StoredCheckpoint, WriteTx};
use time::OffsetDateTime;

use crate::error::{AppError, Refusal};
use crate::home::Signoff;

/// An open write batch holding the ledger lock.
pub(crate) struct Batch {
    tx: Box<dyn WriteTx>,
    /// The ledger's size when the batch began (every entry checkpointed then).
    start: u64,
    tree: TreeBuilder,
    last_hash: Option<Digest>,
    /// A member's savepoint kept but not yet released: the next mark releases
    /// it as it begins (one round trip instead of two), the commit with the rest.
    kept: bool,
}

/// Where a member of a group commit began: the tree and chain as they were.
pub(crate) struct Mark {
    tree: TreeBuilder,
    last_hash: Option<Digest>,
}

/// The current time, to the millisecond (entries carry it as RFC 3339).
pub(crate) fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000_000 * 1_000_000).unwrap_or(now)
}

/// How long a writer waits for the ledger's lock before [`on_lock_wait`]'s notice.
const LOCK_NOTICE_AFTER: Duration = Duration::from_secs(1);

static LOCK_WAIT_NOTICE: OnceLock<fn(Duration)> = OnceLock::new();

/// Sets what a writer does when it has waited a second for another writer's lock
/// (a front end that talks to a person says so: a stopped writer would otherwise
/// make it wait in silence until the lock timeout). `notice` is given how long the
/// writer waits in all. Set once per process; later calls are ignored.
pub fn on_lock_wait(notice: fn(Duration)) {
    let _ = LOCK_WAIT_NOTICE.set(notice);
}

impl Signoff {
    /// Takes the ledger lock and reads the ledger's end.
    pub(crate) async fn begin_batch(&self) -> Result<Batch, AppError> {
        let begin = self.store.begin();
        tokio::pin!(begin);
        let mut tx = tokio::select! {
            tx = &mut begin => tx?,
            () = tokio::time::sleep(LOCK_NOTICE_AFTER) => {
                if let Some(notice) = LOCK_WAIT_NOTICE.get() {
                    notice(self.lock_timeout);
                }
                begin.await?
            }
        };
        let head = tx.head().await?;
        if head.frontier_size != head.size {
            return Err(Refusal::Uncheckpointed { size: head.size, covered: head.frontier_size }.into());
        }
        let subtrees = head.frontier.iter().map(|hash| Digest::from_bytes(*hash)).collect();
        let tree = TreeBuilder::from_parts(head.size, subtrees)?;
        Ok(Batch { tx, start: head.size, tree, last_hash: head.last_hash, kept: false })
    }
}

impl Batch {
    /// The position the next entry will take.
    pub(crate) fn next_seq(&self) -> u64 {
        self.tree.size()
    }

    /// The transaction, for rows written ahead of their entry (findings).
    pub(crate) fn tx(&mut self) -> &mut dyn WriteTx {
        self.tx.as_mut()
    }

    /// Appends one entry.
    pub(crate) async fn append(&mut self, event: Event) -> Result<Entry, AppError> {
        self.append_at(event, now()).await
    }

    /// Appends one entry with a given time. Only the synthetic-store generator uses
    /// another time than now, to spread a benchmark store over months of history.
    pub(crate) async fn append_at(&mut self, event: Event, at: OffsetDateTime) -> Result<Entry, AppError> {
        let entry = Entry { seq: self.tree.size(), prev: self.last_hash, at, event };
        let canonical = entry
            .to_canonical_bytes()
            .map_err(|error| AppError::Invalid(format!("entry {} has no canonical form: {error}", entry.seq)))?;
        let leaf = leaf_hash(&canonical);
        self.tx.append(&entry, &canonical, leaf.as_bytes()).await?;
        self.tree.push(leaf);
        self.last_hash = Some(Entry::hash_of(&canonical));
        Ok(entry)
    }

    /// Marks where one member of a group commit begins, so that member can be
    /// undone alone ([`Batch::undo`]) or kept ([`Batch::keep`]).
    pub(crate) async fn mark(&mut self) -> Result<Mark, AppError> {
        if std::mem::take(&mut self.kept) {
            self.tx.renew_savepoint().await?;
        } else {
            self.tx.savepoint().await?;
        }
        Ok(Mark { tree: self.tree.clone(), last_hash: self.last_hash })
    }

    /// Undoes every entry and row written since `mark`: the ledger's end is
    /// where it was then.
    pub(crate) async fn undo(&mut self, mark: Mark) -> Result<(), AppError> {
        self.tx.rollback_to_savepoint().await?;
        self.tree = mark.tree;
        self.last_hash = mark.last_hash;
        Ok(())
    }

    /// Keeps what was written since `mark`. Its savepoint is released by the
    /// next mark or the commit (which ends every savepoint), saving a round trip
    /// per member; writes made meanwhile are kept with it.
    pub(crate) fn keep(&mut self, _mark: Mark) {
        self.kept = true;
    }

    /// Signs a checkpoint over the new tree and commits. An empty batch commits
    /// nothing.
    pub(crate) async fn commit(mut self, signoff: &Signoff) -> Result<Option<u64>, AppError> {
        // The lock is held from the start: nobody else wrote meanwhile.
        let size = self.tree.size();
        if size == self.start {
            return Ok(None);
        }
        let root = self.tree.root();
        let note = checkpoint::sign(&Checkpoint::new(signoff.origin.clone(), size, root)?, &signoff.key);
        let stored = StoredCheckpoint {
            size,
            root: *root.as_bytes(),
            note,
            frontier: self.tree.subtrees().iter().map(|hash| *hash.as_bytes()).collect(),
            previous_size: Some(self.start),
        };
        self.tx.add_checkpoint(&stored).await?;
        self.tx.commit().await?;
        Ok(Some(size))
    }
}
