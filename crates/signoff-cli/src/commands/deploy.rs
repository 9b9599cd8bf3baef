//! `signoff deploy record` and `signoff env snapshot` (B3).

use std::path::Path;

use signoff_app::deploy::RecordDeployment;
use signoff_app::{Environment, Signoff};

use crate::Outcome;
use crate::cli::{DeployCommand, EnvCommand};
use crate::render::{count, done, json, outln};

pub(crate) async fn deploy(store: &Path, command: DeployCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let DeployCommand::Record(args) = command;
    let request = RecordDeployment {
        release: super::subject(args.release.as_deref(), args.legacy_release.as_deref(), "deploy record")?,
        environment: args.environment.clone(),
        actor: super::actor(&signoff, args.actor.as_deref())?,
        context: Environment::from_process().ci_context(),
    };
    let deployed = signoff_app::deploy::record(&signoff, request).await?;
    if args.output.json || crate::render::jq_set() {
        json(&deployed)?;
    } else {
        let record = &deployed.record;
        match &record.certificate {
            Some(certificate) => done!(
                "recorded: {}@{} deployed to {} by {} under certificate {certificate} (ledger entry {})",
                record.project,
                record.version,
                record.environment,
                record.actor.id,
                deployed.entry
            )?,
            None => outln!(
                "recorded: {}@{} deployed to {} by {} WITHOUT a valid certificate (ledger entry {})",
                record.project,
                record.version,
                record.environment,
                record.actor.id,
                deployed.entry
            )?,
        }
        for problem in &record.problems {
            outln!("  problem: {problem}")?;
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
    if args.output.json || crate::render::jq_set() {
        json(&snapshot)?;
    } else {
        for running in &snapshot.artifacts {
            let mark = if running.certified { "certified  " } else { "UNCERTIFIED" };
            outln!("{mark} {}: {}", running.artifact, running.reason)?;
        }
        outln!(
            "{} of {} running in {} were never certified for it (ledger entry {})",
            snapshot.record.uncertified.len(),
            count(snapshot.record.artifacts.len() as u64, "artifact", "artifacts"),
            snapshot.record.environment,
            snapshot.entry
        )?;
    }
    Ok(if snapshot.record.uncertified.is_empty() { Outcome::Success } else { Outcome::No })
}
