//! `signoff inventory` (E4, I2): every source of evidence per project, when it
//! last reported, the recent releases lacking it, silent sources and evidence
//! missing who, when, what or its release.

use std::path::Path;

use signoff_app::Signoff;
use signoff_app::inventory::InventoryQuery;

use crate::Outcome;
use crate::cli::InventoryArgs;
use crate::render::{cell, json, outln, print_table, table, time};

pub(crate) async fn run(store: &Path, args: InventoryArgs) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let query = InventoryQuery {
        project: super::known_project(&signoff, args.project.as_deref()).await?,
        silent_after: args.silent_after,
    };
    let inventory = signoff_app::inventory::inventory(&signoff, &query).await?;
    let outcome = if inventory.silent().next().is_some() { Outcome::No } else { Outcome::Success };
    if args.output.json || crate::render::jq_set() {
        json(&inventory)?;
        return Ok(outcome);
    }
    if inventory.projects.is_empty() {
        outln!("No evidence captured yet.")?;
    }
    for project in &inventory.projects {
        outln!("{} (recent releases: {})", project.project, recent(&project.recent_releases))?;
        let mut sources = table();
        sources.set_header(["Tool", "Kind", "Format", "Version", "Captures", "Last reported", "Lacking", "Status"]);
        for source in &project.sources {
            sources.add_row([
                cell(&source.tool),
                cell(&source.kind.to_string()),
                cell(&source.format),
                cell(source.version.as_deref().unwrap_or("")),
                cell(&source.captures.to_string()),
                cell(&time(source.last_reported_at)),
                cell(&source.lacking.join(", ")),
                cell(if source.silent { "SILENT" } else { "reporting" }),
            ]);
        }
        print_table(&sources)?;
        if !project.missing_required.is_empty() {
            let kinds: Vec<String> = project.missing_required.iter().map(ToString::to_string).collect();
            outln!("required kinds no source supplies: {}", kinds.join(", "))?;
        }
        outln!(
            "evidence quality: {} of the newest {} miss who, when, what or their release",
            project.quality_gaps,
            project.quality_checked
        )?;
        for gap in &project.gaps {
            let line = format!(
                "  entry {} {} ({} {}): missing {}",
                gap.entry,
                gap.file,
                gap.tool,
                gap.kind,
                gap.missing.join(", ")
            );
            outln!("{line}")?;
        }
        outln!()?;
    }
    for (project, source) in inventory.silent() {
        let line = format!(
            "silent: {project}: {} ({}) is absent from the last {}; last reported {}",
            source.tool,
            source.kind,
            crate::render::count(inventory.silent_after, "release", "releases"),
            time(source.last_reported_at)
        );
        outln!("{line}")?;
    }
    Ok(outcome)
}

fn recent(versions: &[String]) -> String {
    if versions.is_empty() { "none".to_owned() } else { versions.join(", ") }
}
