//! `signoff retention apply` and `signoff hold` (E3).

use std::path::Path;

use signoff_app::Signoff;
use signoff_app::retention::{Hold, Retention};
use signoff_core::ProjectName;

use crate::Outcome;
use crate::cli::{HoldCommand, RetentionCommand};
use crate::render::{count, done, json, outln};

pub(crate) async fn retention(store: &Path, command: RetentionCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let RetentionCommand::Apply(args) = command;
    let actor = match super::actor(&signoff, args.actor.as_deref()) {
        Ok(actor) => actor,
        Err(_) if args.dry_run => super::dry_run_actor(),
        Err(error) => return Err(error),
    };
    let request = Retention { dry_run: args.dry_run, only: args.evidence, actor };
    let run = signoff_app::retention::apply(&signoff, request).await?;
    if args.output.json || crate::render::jq_set() {
        json(&run)?;
    } else {
        let frameworks = if run.frameworks.is_empty() { "default".to_owned() } else { run.frameworks.join(", ") };
        outln!(
            "retention {} days ({frameworks}): evidence captured before {} is past it",
            run.retention_days,
            crate::render::time(run.cutoff)
        )?;
        let verb = if run.dry_run { "would purge" } else { "purged" };
        let bytes: u64 = run.purged.iter().map(|blob| blob.size).sum();
        outln!(
            "{verb} {}, {bytes} bytes{}",
            count(run.purged.len() as u64, "blob", "blobs"),
            run.entry.map(|entry| format!(" (ledger entry {entry})")).unwrap_or_default()
        )?;
        for held in &run.held {
            outln!("  kept entry {}: under legal hold {}", held.entry, held.hold)?;
        }
    }
    Ok(Outcome::Success)
}

pub(crate) async fn hold(store: &Path, command: HoldCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let json_out;
    let request = match command {
        HoldCommand::Place(args) => {
            json_out = args.output.json;
            let release = args
                .release
                .as_deref()
                .map(|text| super::qualifying_release(text, args.project.as_deref(), "hold place"))
                .transpose()?;
            let project = match (&args.project, &release) {
                (Some(project), _) => super::known(&signoff, project).await?,
                (None, Some(release)) => release.project.clone(),
                (None, None) => anyhow::bail!("name what to hold: --project NAME or --release PROJECT@VERSION"),
            };
            Hold {
                project,
                version: release.map(|release| release.version),
                reason: args.reason,
                lift: None,
                actor: super::actor(&signoff, args.actor.as_deref())?,
            }
        }
        HoldCommand::Lift(args) => {
            json_out = args.output.json;
            Hold {
                project: ProjectName::new(&args.project)?,
                version: None,
                reason: args.reason,
                lift: Some(args.id),
                actor: super::actor(&signoff, args.actor.as_deref())?,
            }
        }
    };
    let record = signoff_app::retention::hold(&signoff, request).await?;
    if json_out || crate::render::jq_set() {
        json(&record)?;
        return Ok(Outcome::Success);
    }
    let scope = match &record.version {
        Some(version) => format!("{}@{version}", record.project),
        None => record.project.to_string(),
    };
    done!("{} {} on {scope}: {}", record.id, if record.lifted { "lifted" } else { "placed" }, record.reason)?;
    Ok(Outcome::Success)
}
