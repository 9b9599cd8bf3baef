//! `signoff findings`.

use std::path::Path;

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use signoff_app::Signoff;
use signoff_app::findings::{FindingStatus, FindingsQuery, Sighting};
use signoff_core::{ProjectName, ReleaseVersion};

use crate::Outcome;
use crate::cli::{FindingsArgs, StatusArg};
use crate::render::print_json_line;

fn sighting(sighting: &Sighting) -> String {
    match (&sighting.release, &sighting.commit) {
        (Some(release), _) => release.clone(),
        (None, Some(commit)) => commit.chars().take(12).collect(),
        (None, None) => format!("entry {}", sighting.entry),
    }
}

pub(crate) async fn run(store: &Path, args: FindingsArgs) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let status = args.status.map(|status| match status {
        StatusArg::Open => FindingStatus::Open,
        StatusArg::Fixed => FindingStatus::Fixed,
    });
    let query = FindingsQuery {
        project: ProjectName::new(&args.project)?,
        release: args.release.as_deref().map(ReleaseVersion::new).transpose()?,
        status,
    };
    let views = signoff_app::findings::findings(&signoff, &query).await?;
    if args.json {
        for view in &views {
            print_json_line(view)?;
        }
        return Ok(Outcome::Success);
    }
    if views.is_empty() {
        println!("no findings for {}", args.project);
        return Ok(Outcome::Success);
    }
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.set_header(["status", "severity", "tool", "rule", "where", "title", "first seen", "fixed in"]);
    for view in &views {
        let finding = &view.finding;
        let place = match (&finding.location.path, finding.location.start_line) {
            (Some(path), Some(line)) => format!("{path}:{line}"),
            (Some(path), None) => path.clone(),
            _ => finding.package.clone().unwrap_or_default(),
        };
        let status = match view.status {
            FindingStatus::Open => "open",
            FindingStatus::Fixed => "fixed",
        };
        let title: String = finding.title.chars().take(60).collect();
        table.add_row([
            status.to_owned(),
            finding.severity.to_string(),
            view.tool.clone(),
            finding.rule_id.clone(),
            place,
            title,
            sighting(&view.first_seen),
            view.fixed_in.as_ref().map(sighting).unwrap_or_default(),
        ]);
    }
    println!("{table}");
    let open = views.iter().filter(|view| view.status == FindingStatus::Open).count();
    println!("{} finding(s): {open} open, {} fixed", views.len(), views.len() - open);
    Ok(Outcome::Success)
}
