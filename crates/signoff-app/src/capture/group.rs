//! Group commit (P5): captures that arrive together are written in one store
//! transaction under one signed checkpoint, so a server taking many small
//! captures at once pays for one commit (one fsync of the database, one
//! signature) per group instead of one per capture.
//!
//! Nothing about the ledger changes: every capture is still its own entries in
//! order, every checkpoint still covers the whole tree, and a capture that fails
//! (bad input read under the lock) is undone alone to a savepoint while the
//! others of its group are kept. A capture read ahead was found to be evidence
//! already and needs no savepoint. A capture is answered only after its group
//! committed. The group looks its idempotency keys up once.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use signoff_store::EvidenceRow;
use tokio::sync::{mpsc, oneshot};

use super::{Member, Prepared};
use crate::error::AppError;
use crate::home::Signoff;
use crate::ledger::Batch;
use crate::report::EvidenceReport;

/// Writes the captures of `members` in one batch. Each gets its own outcome:
/// its failure undoes only its own writes. A failure of the batch itself
/// (the lock, a blob that cannot be made durable, the commit) fails them all.
pub(crate) async fn commit(signoff: &Signoff, members: &mut [Prepared]) -> Vec<Result<Member, AppError>> {
    match commit_all(signoff, members).await {
        Ok(outcomes) => outcomes,
        Err(error) if members.len() == 1 => vec![Err(error)],
        Err(error) => {
            let error = Arc::new(error);
            members.iter().map(|_| Err(AppError::Group(Arc::clone(&error)))).collect()
        }
    }
}

async fn commit_all(signoff: &Signoff, members: &mut [Prepared]) -> Result<Vec<Result<Member, AppError>>, AppError> {
    let mut batch = signoff.begin_batch().await?;
    let mut staged = Vec::new();
    let mut outcomes = Vec::with_capacity(members.len());
    let written = async {
        let mut delivered = Delivered::of(&mut batch, members).await?;
        for member in members.iter_mut() {
            match member.append(signoff, &mut batch, &mut staged, &mut delivered).await {
                Ok(member) => outcomes.push(Ok(member)),
                Err(Failed::Alone(error)) => outcomes.push(Err(error)),
                Err(Failed::Group(error)) => return Err(error),
            }
        }
        // Blobs are durable before the transaction that names them commits.
        signoff.blobs.commit_many(std::mem::take(&mut staged)).await?;
        batch.commit(signoff).await?;
        Ok(())
    }
    .await;
    if let Err(error) = written {
        for blob in staged {
            signoff.blobs.discard(blob);
        }
        return Err(error);
    }
    Ok(outcomes)
}

/// How one member of a group failed.
pub(crate) enum Failed {
    /// Its writes were undone: the group goes on without it.
    Alone(AppError),
    /// The group's transaction cannot go on: the store failed, or a member
    /// written without a savepoint (read ahead) failed halfway.
    Group(AppError),
}

/// The idempotency keys of a group's captures that were delivered before: one
/// lookup for the group instead of one per capture.
pub(crate) struct Delivered {
    /// Evidence stored before the group, by its key.
    before: HashMap<String, EvidenceRow>,
    /// Keys of the group's members looked up so far.
    seen: HashSet<String>,
}

impl Delivered {
    /// Looks up the keys of `members` in `batch`.
    async fn of(batch: &mut Batch, members: &[Prepared]) -> Result<Delivered, AppError> {
        let keys: Vec<&str> = members.iter().filter_map(Prepared::delivery_key).collect();
        let mut before = HashMap::with_capacity(keys.len());
        if !keys.is_empty() {
            for row in batch.tx().evidence_by_delivery_keys(&keys).await? {
                if let Some(delivery) = &row.record.delivery {
                    before.insert(delivery.idempotency_key.clone(), row);
                }
            }
        }
        Ok(Delivered { before, seen: HashSet::new() })
    }

    /// The evidence stored under `key` before this member: before the group,
    /// or by an earlier member of it (the same delivery sent twice at once).
    pub(crate) async fn before(&mut self, batch: &mut Batch, key: &str) -> Result<Option<EvidenceRow>, AppError> {
        if self.seen.insert(key.to_owned()) {
            return Ok(self.before.remove(key));
        }
        // An earlier member carried this key; it may have been written or undone.
        Ok(batch.tx().evidence_by_delivery_keys(&[key]).await?.pop())
    }
}

/// One capture waiting for its group.
struct Job {
    prepared: Prepared,
    reply: oneshot::Sender<(Prepared, Result<Member, AppError>)>,
}

/// The server's capture queue: one task writes the captures waiting at the time
/// in one group of at most `max_group`, then the next group. A request whose
/// client goes away still has its capture written or not as a whole; it is the
/// answer that is lost, which the sender's idempotency key covers.
#[derive(Clone)]
pub struct Committer {
    sender: mpsc::Sender<Job>,
}

impl Committer {
    /// Starts the writing task over `signoff`. It ends when every handle to
    /// this committer is dropped and the captures queued before are written.
    /// `max_group` 1 writes each capture in its own transaction. `on_group` is
    /// told the size of every group written (a server's metrics count them).
    pub fn start(signoff: Arc<Signoff>, max_group: usize, on_group: impl Fn(usize) + Send + 'static) -> Committer {
        let max_group = max_group.max(1);
        let (sender, mut queue) = mpsc::channel::<Job>(max_group * 4);
        tokio::spawn(async move {
            let mut jobs = Vec::with_capacity(max_group);
            while queue.recv_many(&mut jobs, max_group).await > 0 {
                let (mut members, replies): (Vec<Prepared>, Vec<_>) =
                    jobs.drain(..).map(|job| (job.prepared, job.reply)).unzip();
                let outcomes = commit(&signoff, &mut members).await;
                on_group(members.len());
                for ((prepared, outcome), reply) in members.into_iter().zip(outcomes).zip(replies) {
                    // The requester may have gone; its capture is written all the same.
                    let _ = reply.send((prepared, outcome));
                }
            }
        });
        Committer { sender }
    }

    /// Captures `request` in the next group, as [`super::capture`] does.
    ///
    /// # Errors
    /// As [`super::capture`]; [`AppError::Group`] when the group's transaction failed.
    pub async fn capture(
        &self,
        signoff: &Signoff,
        request: super::CaptureRequest,
    ) -> Result<Vec<EvidenceReport>, AppError> {
        let prepared = Prepared::new(signoff, request).await?;
        let (reply, answer) = oneshot::channel();
        let stopped = || AppError::Inconsistent("the capture queue stopped (the server is shutting down)".into());
        self.sender.send(Job { prepared, reply }).await.map_err(|_| stopped())?;
        let (prepared, outcome) = answer.await.map_err(|_| stopped())?;
        prepared.finish(signoff, outcome?).await
    }
}
