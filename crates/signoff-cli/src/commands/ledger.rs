//! `signoff ledger verify|checkpoint|prove`.

use std::path::Path;

use signoff_app::Signoff;
use signoff_app::verify::VerifyOptions;

use crate::Outcome;
use crate::cli::{LedgerCommand, ProofFormat};
use crate::render::{Spinner, print_json};

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
            let spinner = Spinner::start_if(true, "verifying the ledger".into());
            let report = signoff_app::verify::verify(&signoff, &VerifyOptions { trusted_checkpoint }).await?;
            drop(spinner);
            if args.json {
                print_json(&report)?;
            } else if let Some(failure) = &report.failure {
                let place = match (failure.entry, failure.checkpoint) {
                    (Some(entry), _) => format!("entry {entry}"),
                    (None, Some(size)) => format!("checkpoint {size}"),
                    (None, None) => "ledger".to_owned(),
                };
                println!("FAILED at {place}: {} — {}", failure.problem, failure.detail);
                println!("checked before the failure: {} entries, {} checkpoints", report.entries, report.checkpoints);
            } else {
                println!(
                    "ok: {} entries, {} signed checkpoints, {} evidence rows, {} findings, {} releases, {} blobs re-hashed",
                    report.entries, report.checkpoints, report.evidence, report.findings, report.releases, report.blobs
                );
                if let Some(root) = &report.root {
                    println!("tree: size {root}");
                }
            }
            Ok(if report.ok { Outcome::Success } else { Outcome::No })
        }
        LedgerCommand::Checkpoint(args) => {
            let Some(note) = signoff_app::proof::latest_checkpoint(&signoff).await? else {
                anyhow::bail!("the ledger is empty: no checkpoint has been signed yet");
            };
            if args.json {
                print_json(&serde_json::json!({ "checkpoint": note, "verifier_key": signoff.verifier()?.to_text() }))?;
            } else {
                print!("{note}");
            }
            Ok(Outcome::Success)
        }
        LedgerCommand::Prove(args) => {
            let format = if args.json { ProofFormat::Json } else { args.format };
            if let Some(old_size) = args.consistency {
                let proof = signoff_app::proof::consistency_proof(&signoff, old_size, args.size).await?;
                match format {
                    ProofFormat::Json => print_json(&proof)?,
                    ProofFormat::TlogProof => anyhow::bail!("--format tlog-proof is for inclusion proofs"),
                    ProofFormat::Text => {
                        println!("consistency of size {} with size {}", proof.old_size, proof.new_size);
                        println!("old root {}", proof.old_root);
                        println!("new root {}", proof.new_root);
                        for hash in &proof.proof {
                            println!("  {hash}");
                        }
                        println!("verified against both signed checkpoints");
                    }
                }
            } else if let Some(entry) = args.entry {
                let proof = signoff_app::proof::inclusion_proof(&signoff, entry, args.size).await?;
                match format {
                    ProofFormat::Json => print_json(&proof)?,
                    ProofFormat::TlogProof => print!("{}", proof.tlog_proof),
                    ProofFormat::Text => {
                        println!("entry {} in the tree of size {}", proof.entry, proof.size);
                        println!("leaf hash {}", proof.leaf_hash);
                        println!("audit path ({} hashes):", proof.proof.len());
                        for hash in &proof.proof {
                            println!("  {hash}");
                        }
                        println!("root {}", proof.root);
                        println!("verified against the signed checkpoint:");
                        print!("{}", proof.checkpoint);
                    }
                }
            }
            Ok(Outcome::Success)
        }
    }
}
