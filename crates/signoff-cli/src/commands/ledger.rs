//! `signoff ledger verify|checkpoint|prove`.

use std::path::Path;

use signoff_app::Signoff;
use signoff_app::verify::VerifyOptions;

use crate::Outcome;
use crate::cli::{LedgerCommand, ProofFormat};
use crate::render::{Progress, done, json, out, outln, warning};

pub(crate) async fn run(store: &Path, command: LedgerCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    match command {
        LedgerCommand::Verify(args) => {
            let trusted_checkpoint = match &args.checkpoint {
                Some(path) => Some(
                    std::fs::read_to_string(path).map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?,
                ),
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
                outln!("checked before the failure: {} entries, {} checkpoints", report.entries, report.checkpoints)?;
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
                match format {
                    ProofFormat::Json => json(&proof)?,
                    ProofFormat::TlogProof => anyhow::bail!("--format tlog-proof is for inclusion proofs"),
                    ProofFormat::Text => {
                        outln!("consistency of size {} with size {}", proof.old_size, proof.new_size)?;
                        outln!("old root {}", proof.old_root)?;
                        outln!("new root {}", proof.new_root)?;
                        for hash in &proof.proof {
                            outln!("  {hash}")?;
                        }
                        outln!("verified against both signed checkpoints")?;
                    }
                }
            } else if let Some(entry) = args.entry {
                let proof = signoff_app::proof::inclusion_proof(&signoff, entry, args.size).await?;
                match format {
                    ProofFormat::Json => json(&proof)?,
                    ProofFormat::TlogProof => out!("{}", proof.tlog_proof)?,
                    ProofFormat::Text => {
                        outln!("entry {} in the tree of size {}", proof.entry, proof.size)?;
                        outln!("leaf hash {}", proof.leaf_hash)?;
                        outln!("audit path ({} hashes):", proof.proof.len())?;
                        for hash in &proof.proof {
                            outln!("  {hash}")?;
                        }
                        outln!("root {}", proof.root)?;
                        outln!("verified against the signed checkpoint:")?;
                        out!("{}", proof.checkpoint)?;
                    }
                }
            }
            Ok(Outcome::Success)
        }
    }
}
