//! Inclusion and consistency proofs (C3), anchored in signed checkpoints.
//!
//! An inclusion proof is also written in the C2SP `tlog-proof@v1` text form
//! (`c2sp.org/tlog-proof`): the index, the RFC 6962 audit path in base64 and the
//! signed checkpoint, verifiable offline by tools that know the log's key.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use signoff_core::Digest;
use signoff_ledger::merkle;
use signoff_store::{Store, StoredCheckpoint};
use std::collections::{BTreeMap, BTreeSet};

use crate::error::{AppError, Missing};
use crate::home::Signoff;

const LEAF_BATCH: u64 = 100_000;

/// Proof that an entry is in the tree a checkpoint signs.
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct InclusionProof {
    /// The entry.
    pub entry: u64,
    /// The tree size.
    pub size: u64,
    /// The entry's canonical bytes, as UTF-8 JSON.
    pub entry_body: String,
    /// RFC 6962 leaf hash of the entry, hex.
    pub leaf_hash: String,
    /// Audit path, leaf to root, hex.
    pub proof: Vec<String>,
    /// Root at `size`, hex.
    pub root: String,
    /// The signed checkpoint at `size`.
    pub checkpoint: String,
    /// The same proof as a C2SP tlog-proof text.
    pub tlog_proof: String,
}

/// Proof that a smaller tree is a prefix of a larger one.
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct ConsistencyProof {
    /// Smaller size.
    pub old_size: u64,
    /// Larger size.
    pub new_size: u64,
    /// Root at the smaller size, hex.
    pub old_root: String,
    /// Root at the larger size, hex.
    pub new_root: String,
    /// The RFC 6962 consistency proof, hex.
    pub proof: Vec<String>,
    /// Signed checkpoint at the smaller size.
    pub old_checkpoint: String,
    /// Signed checkpoint at the larger size.
    pub new_checkpoint: String,
}

/// How many entries the ledger holds.
///
/// # Errors
/// When the store cannot be read.
pub async fn ledger_size(signoff: &Signoff) -> Result<u64, AppError> {
    Ok(signoff.store.ledger_size().await?)
}

/// The latest signed checkpoint, if any entry has been written.
///
/// # Errors
/// When the store cannot be read.
pub async fn latest_checkpoint(signoff: &Signoff) -> Result<Option<String>, AppError> {
    Ok(signoff.store.latest_checkpoint().await?.map(|checkpoint| checkpoint.note))
}

async fn checkpoint_at(signoff: &Signoff, size: Option<u64>) -> Result<StoredCheckpoint, AppError> {
    let checkpoints = signoff.store.checkpoints().await?;
    let Some(latest) = checkpoints.last() else {
        return Err(Missing::EmptyLedger.into());
    };
    match size {
        None => Ok(latest.clone()),
        Some(size) => checkpoints.iter().find(|checkpoint| checkpoint.size == size).cloned().ok_or_else(|| {
            let below =
                checkpoints.iter().rev().find(|checkpoint| checkpoint.size < size).map(|checkpoint| checkpoint.size);
            let above = checkpoints.iter().find(|checkpoint| checkpoint.size > size).map(|checkpoint| checkpoint.size);
            let near: Vec<String> = below.into_iter().chain(above).map(|size| size.to_string()).collect();
            Missing::Checkpoint { size, nearest: if near.is_empty() { "none".to_owned() } else { near.join(", ") } }
                .into()
        }),
    }
}

async fn leaves(store: &dyn Store, size: u64) -> Result<Vec<Digest>, AppError> {
    let mut leaves = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    while (leaves.len() as u64) < size {
        let from = leaves.len() as u64;
        let batch = store.leaf_hashes(from, LEAF_BATCH.min(size - from)).await?;
        if batch.is_empty() {
            return Err(AppError::Inconsistent(format!("the ledger has only {from} entries, fewer than {size}")));
        }
        leaves.extend(batch.into_iter().map(Digest::from_bytes));
    }
    Ok(leaves)
}

fn hex_all(hashes: &[Digest]) -> Vec<String> {
    hashes.iter().map(Digest::to_hex).collect()
}

/// Proves entry `entry` is in the tree of the checkpoint at `size` (default: the
/// latest).
///
/// # Errors
/// When the entry or checkpoint does not exist, or the stored tree does not match
/// its checkpoint.
pub async fn inclusion_proof(signoff: &Signoff, entry: u64, size: Option<u64>) -> Result<InclusionProof, AppError> {
    let checkpoint = checkpoint_at(signoff, size).await?;
    if entry >= checkpoint.size {
        return Err(Missing::NotInTree { entry, size: checkpoint.size }.into());
    }
    let leaves = leaves(signoff.store.as_ref(), checkpoint.size).await?;
    let path = merkle::inclusion_proof(&leaves, entry, checkpoint.size)?;
    let root = Digest::from_bytes(checkpoint.root);
    let leaf = leaves[usize::try_from(entry).unwrap_or(usize::MAX).min(leaves.len() - 1)];
    merkle::verify_inclusion(&leaf, entry, checkpoint.size, &path, &root)
        .map_err(|error| AppError::Inconsistent(format!("the stored tree does not match its checkpoint ({error})")))?;
    let body = signoff.store.entries(entry, 1).await?.into_iter().next().map(|stored| stored.body).unwrap_or_default();
    let tlog_proof = tlog_proof_text(entry, &path, &checkpoint.note);
    Ok(InclusionProof {
        entry,
        size: checkpoint.size,
        entry_body: String::from_utf8_lossy(&body).into_owned(),
        leaf_hash: leaf.to_hex(),
        proof: hex_all(&path),
        root: root.to_hex(),
        checkpoint: checkpoint.note,
        tlog_proof,
    })
}

/// The C2SP `tlog-proof@v1` text of an audit path: header, index, the hashes in
/// base64, an empty line, the signed checkpoint.
fn tlog_proof_text(entry: u64, path: &[Digest], note: &str) -> String {
    let mut text = format!("c2sp.org/tlog-proof@v1\nindex {entry}\n");
    for hash in path {
        text.push_str(&STANDARD.encode(hash.as_bytes()));
        text.push('\n');
    }
    text.push('\n');
    text.push_str(note);
    text
}

/// The tlog-proof texts of `entries` against the first checkpoint that covers
/// `anchor` (`Store::checkpoint_covering`), the ledger's leaves read once: proofs
/// that stay the same however long the ledger grows, for artifacts that must be
/// rebuilt byte for byte (`sync`). Each path is checked against the checkpoint's
/// root before it is given out.
///
/// # Errors
/// No checkpoint covers `anchor`, an entry lies beyond that checkpoint, or the
/// stored tree does not match it.
pub(crate) async fn anchored_tlog_proofs(
    store: &dyn Store,
    anchor: u64,
    entries: &BTreeSet<u64>,
) -> Result<BTreeMap<u64, String>, AppError> {
    let Some(checkpoint) = store.checkpoint_covering(anchor).await? else {
        return Err(AppError::Inconsistent(format!("no signed checkpoint covers ledger entry {anchor}")));
    };
    if let Some(beyond) = entries.iter().find(|entry| **entry >= checkpoint.size) {
        return Err(Missing::NotInTree { entry: *beyond, size: checkpoint.size }.into());
    }
    let leaves = leaves(store, checkpoint.size).await?;
    let root = Digest::from_bytes(checkpoint.root);
    let mut proofs = BTreeMap::new();
    for &entry in entries {
        let path = merkle::inclusion_proof(&leaves, entry, checkpoint.size)?;
        let leaf = leaves[usize::try_from(entry).unwrap_or(usize::MAX).min(leaves.len() - 1)];
        merkle::verify_inclusion(&leaf, entry, checkpoint.size, &path, &root).map_err(|error| {
            AppError::Inconsistent(format!("the stored tree does not match its checkpoint ({error})"))
        })?;
        proofs.insert(entry, tlog_proof_text(entry, &path, &checkpoint.note));
    }
    Ok(proofs)
}

/// Proves the checkpoint at `old_size` is a prefix of the one at `new_size`
/// (default: the latest).
///
/// # Errors
/// When a checkpoint does not exist or the sizes are out of order.
pub async fn consistency_proof(
    signoff: &Signoff,
    old_size: u64,
    new_size: Option<u64>,
) -> Result<ConsistencyProof, AppError> {
    let new = checkpoint_at(signoff, new_size).await?;
    let old = checkpoint_at(signoff, Some(old_size)).await?;
    if old.size > new.size {
        return Err(AppError::Invalid(format!("size {} is larger than size {}", old.size, new.size)));
    }
    let leaves = leaves(signoff.store.as_ref(), new.size).await?;
    let proof = merkle::consistency_proof(&leaves, old.size, new.size)?;
    let (old_root, new_root) = (Digest::from_bytes(old.root), Digest::from_bytes(new.root));
    if old.size != new.size {
        merkle::verify_consistency(old.size, new.size, &old_root, &new_root, &proof).map_err(|error| {
            AppError::Inconsistent(format!("the stored tree does not match its checkpoints ({error})"))
        })?;
    }
    Ok(ConsistencyProof {
        old_size: old.size,
        new_size: new.size,
        old_root: old_root.to_hex(),
        new_root: new_root.to_hex(),
        proof: hex_all(&proof),
        old_checkpoint: old.note,
        new_checkpoint: new.note,
    })
}
