//! `signoff deploy record` and `signoff env snapshot` (B3).

use std::path::Path;

use clap::ValueEnum as _;
use signoff_app::deploy::{Deployed, RecordDeployment, Snapshot};
use signoff_app::{Environment, Signoff};

use crate::Outcome;
use crate::cli::{DeployCommand, EnvCommand, RuntimeArg, SnapshotArgs};
use crate::remote::Remote;
use crate::render::{count, done, json, note, outln, warning};

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
    print_deployment(&deployed, args.output.json)
}

/// `signoff deploy record` against a server, as the token's identity.
pub(crate) async fn deploy_remote(remote: &Remote, command: DeployCommand) -> anyhow::Result<Outcome> {
    let DeployCommand::Record(args) = command;
    super::no_actor(args.actor.as_deref())?;
    let release = super::subject(args.release.as_deref(), args.legacy_release.as_deref(), "deploy record")?;
    let body = serde_json::json!({ "environment": args.environment });
    let path = format!("{}/deployments", super::remote_release_path(&release));
    let deployed: Deployed = remote.call(reqwest::Method::POST, &path, &[], Some(&body)).await?;
    print_deployment(&deployed, args.output.json)
}

fn print_deployment(deployed: &Deployed, as_json: bool) -> anyhow::Result<Outcome> {
    if as_json || crate::render::jq_set() {
        json(deployed)?;
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
    let artifacts = running(&args)?;
    let snapshot = signoff_app::deploy::snapshot(&signoff, &args.environment, &artifacts, actor).await?;
    print_snapshot(&snapshot, args.output.json)
}

/// `signoff env snapshot` against a server (artifact files are hashed here), as
/// the token's identity.
pub(crate) async fn env_remote(remote: &Remote, command: EnvCommand) -> anyhow::Result<Outcome> {
    let EnvCommand::Snapshot(args) = command;
    super::no_actor(args.actor.as_deref())?;
    let artifacts: Vec<String> = running(&args)?.iter().map(ToString::to_string).collect();
    let body = serde_json::json!({ "artifacts": artifacts });
    let path = format!("/api/v1/environments/{}/snapshots", args.environment);
    let snapshot: Snapshot = remote.call(reqwest::Method::POST, &path, &[], Some(&body)).await?;
    print_snapshot(&snapshot, args.output.json)
}

/// The digests of what runs: `--artifact`s and the images in a runtime's output.
fn running(args: &SnapshotArgs) -> anyhow::Result<Vec<signoff_core::Digest>> {
    use signoff_app::artifact::Runtime;
    let mut digests = super::digests(&args.artifacts)?;
    if let Some(from) = args.legacy_from {
        let name = from.to_possible_value().map(|value| value.get_name().to_owned()).unwrap_or_default();
        warning!(
            "`signoff env snapshot --from` is deprecated: the input format is `--input-format {name}` (`--from` is a date elsewhere)"
        );
    }
    let Some(input) = &args.input else {
        if args.input_format.or(args.legacy_from).is_some() {
            anyhow::bail!("--input-format names what FILE is: give the file (or `-` for standard input)");
        }
        return Ok(digests);
    };
    let runtime = args.input_format.or(args.legacy_from).map(|format| match format {
        RuntimeArg::Kubectl => Runtime::Kubectl,
        RuntimeArg::Docker => Runtime::Docker,
        RuntimeArg::Ecs => Runtime::Ecs,
    });
    let (bytes, source) = crate::render::read_input(input)?;
    let containers = signoff_app::artifact::running(runtime, &bytes, &source)?;
    if containers.is_empty() {
        anyhow::bail!("{source}: no containers in it");
    }
    for container in &containers {
        match container.digest {
            Some(digest) if !digests.contains(&digest) => digests.push(digest),
            Some(_) => {}
            None => {
                warning!("{}: {} reports no image digest; it is not in the snapshot", container.place, container.image)
            }
        }
    }
    note!(
        "{source}: {} with {}",
        count(containers.len() as u64, "container", "containers"),
        count(digests.len() as u64, "image digest", "image digests")
    );
    Ok(digests)
}

fn print_snapshot(snapshot: &Snapshot, as_json: bool) -> anyhow::Result<Outcome> {
    if as_json || crate::render::jq_set() {
        json(snapshot)?;
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
