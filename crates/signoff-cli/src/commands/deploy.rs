//! `signoff deploy record` and `signoff env snapshot` (B3).

use std::path::Path;

use signoff_app::deploy::RecordDeployment;
use signoff_app::{Environment, Signoff};

use crate::Outcome;
use crate::cli::{DeployCommand, EnvCommand};
use crate::render::print_json;

pub(crate) async fn deploy(store: &Path, command: DeployCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let DeployCommand::Record(args) = command;
    let request = RecordDeployment {
        release: super::release(&args.release)?,
        environment: args.environment.clone(),
        actor: super::actor(&signoff, args.actor.as_deref())?,
        context: Environment::from_process().ci_context(),
    };
    let deployed = signoff_app::deploy::record(&signoff, request).await?;
    if args.json {
        print_json(&deployed)?;
    } else {
        let record = &deployed.record;
        match &record.certificate {
            Some(certificate) => println!(
                "recorded: {}@{} deployed to {} by {} under certificate {certificate} (ledger entry {})",
                record.project, record.version, record.environment, record.actor.id, deployed.entry
            ),
            None => println!(
                "recorded: {}@{} deployed to {} by {} WITHOUT a valid certificate (ledger entry {})",
                record.project, record.version, record.environment, record.actor.id, deployed.entry
            ),
        }
        for problem in &record.problems {
            println!("  problem: {problem}");
        }
    }
    Ok(if deployed.record.problems.is_empty() { Outcome::Success } else { Outcome::No })
}

pub(crate) async fn env(store: &Path, command: EnvCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let EnvCommand::Snapshot(args) = command;
    let actor = super::actor(&signoff, args.actor.as_deref())?;
    let artifacts = super::digests(&args.artifacts)?;
    let snapshot = signoff_app::deploy::snapshot(&signoff, &args.environment, &artifacts, actor).await?;
    if args.json {
        print_json(&snapshot)?;
    } else {
        for (digest, reason) in &snapshot.reasons {
            let mark = if snapshot.record.uncertified.contains(digest) { "UNCERTIFIED" } else { "certified  " };
            println!("{mark} {digest}: {reason}");
        }
        println!(
            "{} of {} artifact(s) running in {} were never certified for it (ledger entry {})",
            snapshot.record.uncertified.len(),
            snapshot.record.artifacts.len(),
            snapshot.record.environment,
            snapshot.entry
        );
    }
    Ok(if snapshot.record.uncertified.is_empty() { Outcome::Success } else { Outcome::No })
}
