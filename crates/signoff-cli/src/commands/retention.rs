//! `signoff retention apply` and `signoff hold` (E3).

use std::path::Path;

use signoff_app::Signoff;
use signoff_app::retention::{Hold, Retention};
use signoff_core::{ProjectName, ReleaseVersion};

use crate::Outcome;
use crate::cli::{HoldCommand, RetentionCommand};
use crate::render::print_json;

pub(crate) async fn retention(store: &Path, command: RetentionCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let RetentionCommand::Apply(args) = command;
    let request =
        Retention { dry_run: args.dry_run, only: args.evidence, actor: super::actor(&signoff, args.actor.as_deref())? };
    let run = signoff_app::retention::apply(&signoff, request).await?;
    if args.json {
        print_json(&run)?;
    } else {
        let frameworks = if run.frameworks.is_empty() { "default".to_owned() } else { run.frameworks.join(", ") };
        println!(
            "retention {} days ({frameworks}): evidence captured before {} is past it",
            run.retention_days,
            crate::render::time(run.cutoff)
        );
        let verb = if run.dry_run { "would purge" } else { "purged" };
        let bytes: u64 = run.purged.iter().map(|blob| blob.size).sum();
        println!(
            "{verb} {} blob(s), {bytes} bytes{}",
            run.purged.len(),
            run.entry.map(|entry| format!(" (ledger entry {entry})")).unwrap_or_default()
        );
        for held in &run.held {
            println!("  kept entry {}: under legal hold {}", held.entry, held.hold);
        }
    }
    Ok(Outcome::Success)
}

pub(crate) async fn hold(store: &Path, command: HoldCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let request = match command {
        HoldCommand::Place(args) => Hold {
            project: ProjectName::new(&args.project)?,
            version: args.version.as_deref().map(ReleaseVersion::new).transpose()?,
            reason: args.reason,
            lift: None,
            actor: super::actor(&signoff, args.actor.as_deref())?,
        },
        HoldCommand::Lift(args) => Hold {
            project: ProjectName::new(&args.project)?,
            version: None,
            reason: args.reason,
            lift: Some(args.id),
            actor: super::actor(&signoff, args.actor.as_deref())?,
        },
    };
    let record = signoff_app::retention::hold(&signoff, request).await?;
    let scope = match &record.version {
        Some(version) => format!("{}@{version}", record.project),
        None => record.project.to_string(),
    };
    println!("{} {} on {scope}: {}", record.id, if record.lifted { "lifted" } else { "placed" }, record.reason);
    Ok(Outcome::Success)
}
