//! `signoff controls coverage` (E2).

use std::path::Path;

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use signoff_app::Signoff;
use signoff_app::audit::CoverageScope;
use signoff_core::ProjectName;

use crate::Outcome;
use crate::cli::{ControlsCommand, TableFormat};
use crate::render::print_json;

pub(crate) async fn run(store: &Path, command: ControlsCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let ControlsCommand::Coverage(args) = command;
    let scope = CoverageScope {
        release: args.release.as_deref().map(super::release).transpose()?,
        period: super::period(args.from.as_deref(), args.to.as_deref())?,
        project: args.project.as_deref().map(ProjectName::new).transpose()?,
    };
    let coverage = signoff_app::audit::coverage(&signoff, &args.frameworks, &scope).await?;
    let frameworks: Vec<signoff_report::model::FrameworkCoverage> = coverage.iter().map(Into::into).collect();
    match if args.json { TableFormat::Json } else { args.format } {
        TableFormat::Json => print_json(&coverage)?,
        TableFormat::Csv => print!("{}", signoff_report::coverage_to_csv(&frameworks)?),
        TableFormat::Table => {
            for framework in &coverage {
                println!(
                    "{} — {} satisfied, {} partial, {} missing",
                    framework.name, framework.totals.satisfied, framework.totals.partial, framework.totals.missing
                );
                let mut table = Table::new();
                table.load_style(UTF8_FULL_CONDENSED);
                table.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
                table.set_header(["control", "status", "evidence", "gaps"]);
                for control in &framework.controls {
                    let evidence: Vec<String> = control
                        .evidence
                        .iter()
                        .map(|reference| {
                            format!("{} ({})", reference.kind, reference.tool.as_deref().unwrap_or("signoff"))
                        })
                        .collect();
                    let gaps: Vec<String> = control.gaps.iter().map(|gap| gap.hint.clone()).collect();
                    table.add_row([
                        format!("{} {}", control.id, control.title),
                        control.status.as_str().to_owned(),
                        evidence.join(", "),
                        gaps.join("; "),
                    ]);
                }
                println!("{table}\n");
            }
        }
    }
    Ok(Outcome::Success)
}
