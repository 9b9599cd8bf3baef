//! `signoff ledger verify|checkpoint|prove`.

use std::path::Path;

use signoff_app::Signoff;
use signoff_app::proof::{ConsistencyProof, InclusionProof};
use signoff_app::verify::VerifyOptions;
use signoff_core::Digest;

use crate::Outcome;
use crate::cli::{LedgerCommand, ProofFormat};
use crate::remote::Remote;
use crate::render::{Progress, done, json, out, outln, warning};
use crate::schemas::CheckpointJson;

pub(crate) async fn run(store: &Path, command: LedgerCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    match command {
        LedgerCommand::Verify(args) => {
            let trusted_checkpoint = match &args.checkpoint {
                Some(path) => Some(crate::render::read_input_text(path)?.0),
                None => None,
            };
            let size = signoff_app::proof::ledger_size(&signoff).await?;
            let checked = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
            let mut progress = Progress::start_if(size > 0, size, "verifying the ledger", false);
            let counter = checked.clone();
            progress.follow(move || counter.load(std::sync::atomic::Ordering::Relaxed));
            let options = VerifyOptions { trusted_checkpoint, progress: Some(checked) };
            let report = signoff_app::verify::verify(&signoff, &options).await?;
            drop(progress);
            for warning in &report.warnings {
                warning!("{warning}");
            }
            for stale in &report.stale_temporary_files {
                let what = if stale.removed { "removed" } else { "left (the store cannot be written)" };
                warning!(
                    "{} ({} bytes) was left by a capture that was killed: {what}; it is not evidence",
                    stale.path,
                    stale.size
                );
            }
            if args.output.json || crate::render::jq_set() {
                json(&report)?;
            } else if let Some(failure) = &report.failure {
                let place = match (failure.entry, failure.checkpoint) {
                    (Some(entry), _) => format!("entry {entry}"),
                    (None, Some(size)) => format!("checkpoint {size}"),
                    (None, None) => "ledger".to_owned(),
                };
                outln!("FAILED at {place}: {} — {}", failure.problem, failure.detail)?;
                outln!(
                    "checked before the failure: {}, {}",
                    crate::render::count(report.entries, "entry", "entries"),
                    crate::render::count(report.checkpoints, "checkpoint", "checkpoints")
                )?;
            } else {
                done!(
                    "ok: {}, {}, {}, {}, {}, {} re-hashed",
                    crate::render::count(report.entries, "entry", "entries"),
                    crate::render::count(report.checkpoints, "signed checkpoint", "signed checkpoints"),
                    crate::render::count(report.evidence, "evidence row", "evidence rows"),
                    crate::render::count(report.findings, "finding", "findings"),
                    crate::render::count(report.releases, "release", "releases"),
                    crate::render::count(report.blobs, "blob", "blobs")
                )?;
                if let Some(root) = &report.root {
                    outln!("tree: size {root}")?;
                }
            }
            Ok(if report.ok { Outcome::Success } else { Outcome::No })
        }
        LedgerCommand::Checkpoint(args) => {
            let Some(note) = signoff_app::proof::latest_checkpoint(&signoff).await? else {
                anyhow::bail!("the ledger is empty: no checkpoint has been signed yet");
            };
            if args.output.json || crate::render::jq_set() {
                json(&crate::schemas::CheckpointJson {
                    checkpoint: note,
                    verifier_key: signoff.verifier()?.to_text(),
                })?;
            } else {
                out!("{note}")?;
            }
            Ok(Outcome::Success)
        }
        LedgerCommand::Prove(args) => {
            let format = if args.json || crate::render::jq_set() { ProofFormat::Json } else { args.format };
            if let Some(old_size) = args.consistency {
                let proof = signoff_app::proof::consistency_proof(&signoff, old_size, args.size).await?;
                print_consistency(&proof, format, "verified against both signed checkpoints")?;
            } else if let Some(entry) = args.entry {
                let proof = signoff_app::proof::inclusion_proof(&signoff, entry, args.size).await?;
                print_inclusion(&proof, format, "verified against the signed checkpoint:")?;
            }
            Ok(Outcome::Success)
        }
    }
}

fn print_inclusion(proof: &InclusionProof, format: ProofFormat, verified: &str) -> anyhow::Result<()> {
    match format {
        ProofFormat::Json => json(proof)?,
        ProofFormat::TlogProof => out!("{}", proof.tlog_proof)?,
        ProofFormat::Text => {
            outln!("entry {} in the tree of size {}", proof.entry, proof.size)?;
            outln!("leaf hash {}", proof.leaf_hash)?;
            outln!("audit path ({}):", crate::render::count(proof.proof.len() as u64, "hash", "hashes"))?;
            for hash in &proof.proof {
                outln!("  {hash}")?;
            }
            outln!("root {}", proof.root)?;
            outln!("{verified}")?;
            out!("{}", proof.checkpoint)?;
        }
    }
    Ok(())
}

fn print_consistency(proof: &ConsistencyProof, format: ProofFormat, verified: &str) -> anyhow::Result<()> {
    match format {
        ProofFormat::Json => json(proof)?,
        ProofFormat::TlogProof => anyhow::bail!("--format tlog-proof is for inclusion proofs"),
        ProofFormat::Text => {
            outln!("consistency of size {} with size {}", proof.old_size, proof.new_size)?;
            outln!("old root {}", proof.old_root)?;
            outln!("new root {}", proof.new_root)?;
            for hash in &proof.proof {
                outln!("  {hash}")?;
            }
            outln!("{verified}")?;
        }
    }
    Ok(())
}

/// The server's public key, as `GET /api/v1/public-key` answers.
#[derive(Debug, serde::Deserialize)]
struct ServedKey {
    verifier_key: String,
}

/// `signoff ledger checkpoint|prove` against a server. Nothing the server says
/// about its ledger is taken on trust: every checkpoint's signature is checked
/// under the server's key (or `SIGNOFF_LEDGER_KEY`, a key the user holds from
/// elsewhere), and every proof is recomputed here. (`signoff key public` prints
/// the key of the store where it runs, server or not.)
pub(crate) async fn run_remote(remote: &Remote, command: LedgerCommand) -> anyhow::Result<Outcome> {
    let get = reqwest::Method::GET;
    let served: ServedKey = remote.call(get.clone(), "/api/v1/public-key", &[], None).await?;
    let (trusted, source) = match std::env::var("SIGNOFF_LEDGER_KEY") {
        Ok(text) if !text.trim().is_empty() => (text, "the key in SIGNOFF_LEDGER_KEY"),
        _ => (served.verifier_key.clone(), "the server's own key (set SIGNOFF_LEDGER_KEY to a key you hold)"),
    };
    let verifier = signoff_ledger::checkpoint::parse_verifier_key(trusted.trim())
        .map_err(|error| anyhow::anyhow!("the ledger key: {error}"))?;
    let open = |note: &str| {
        signoff_ledger::checkpoint::open(note, &verifier)
            .map_err(|error| anyhow::anyhow!("the server's checkpoint does not verify under {source}: {error}"))
    };
    let hex = |text: &str| Digest::from_hex(text).map_err(|error| anyhow::anyhow!("the server's proof: {error}"));
    match command {
        LedgerCommand::Checkpoint(args) => {
            let answer: CheckpointJson = remote.call(get, "/api/v1/ledger/checkpoint", &[], None).await?;
            open(&answer.checkpoint)?;
            if args.output.json || crate::render::jq_set() {
                json(&answer)?;
            } else {
                out!("{}", answer.checkpoint)?;
            }
        }
        LedgerCommand::Prove(args) => {
            let format = if args.json || crate::render::jq_set() { ProofFormat::Json } else { args.format };
            if let Some(old_size) = args.consistency {
                let query = crate::commands::present([
                    ("from", Some(old_size.to_string())),
                    ("to", args.size.map(|size| size.to_string())),
                ]);
                let proof: ConsistencyProof =
                    remote.call(get, "/api/v1/ledger/proofs/consistency", &query, None).await?;
                let (old, new) = (open(&proof.old_checkpoint)?, open(&proof.new_checkpoint)?);
                let path = proof.proof.iter().map(|hash| hex(hash)).collect::<anyhow::Result<Vec<Digest>>>()?;
                if old.size() != proof.old_size || new.size() != proof.new_size {
                    anyhow::bail!("the server's checkpoints are not of the sizes its proof names");
                }
                if old.size() != new.size() {
                    signoff_ledger::merkle::verify_consistency(old.size(), new.size(), &old.root(), &new.root(), &path)
                        .map_err(|error| anyhow::anyhow!("the server's consistency proof does not verify: {error}"))?;
                }
                print_consistency(
                    &proof,
                    format,
                    &format!("verified here against both signed checkpoints, under {source}"),
                )?;
            } else if let Some(entry) = args.entry {
                let query = crate::commands::present([
                    ("entry", Some(entry.to_string())),
                    ("size", args.size.map(|size| size.to_string())),
                ]);
                let proof: InclusionProof = remote.call(get, "/api/v1/ledger/proofs/inclusion", &query, None).await?;
                let checkpoint = open(&proof.checkpoint)?;
                let leaf = signoff_ledger::merkle::leaf_hash(proof.entry_body.as_bytes());
                if leaf != hex(&proof.leaf_hash)? || proof.entry != entry || checkpoint.size() != proof.size {
                    anyhow::bail!("the server's proof is not of entry {entry}'s bytes in its checkpoint's tree");
                }
                let path = proof.proof.iter().map(|hash| hex(hash)).collect::<anyhow::Result<Vec<Digest>>>()?;
                signoff_ledger::merkle::verify_inclusion(&leaf, entry, checkpoint.size(), &path, &checkpoint.root())
                    .map_err(|error| anyhow::anyhow!("the server's inclusion proof does not verify: {error}"))?;
                print_inclusion(
                    &proof,
                    format,
                    &format!("verified here against the signed checkpoint, under {source}:"),
                )?;
            }
        }
        LedgerCommand::Verify(_) => anyhow::bail!(
            "`signoff ledger verify` reads every row of the store: run it where the store is (a server's ledger is checked from outside with `ledger checkpoint` and `ledger prove`)"
        ),
    }
    Ok(Outcome::Success)
}
