//! `signoff controls coverage` (E2).

use std::path::Path;

use signoff_app::Signoff;
use signoff_app::audit::CoverageScope;
use signoff_controls::Coverage;

use crate::schemas::Items;

use crate::Outcome;
use crate::cli::{ControlsCommand, CoverageArgs, TableFormat};
use crate::remote::Remote;
use crate::render::{cell, choose_format, json, outln, table, write_out};

pub(crate) async fn run(store: &Path, command: ControlsCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let ControlsCommand::Coverage(args) = command;
    let release = args
        .release
        .as_deref()
        .map(|text| super::qualifying_release(text, args.project.as_deref(), "controls coverage"))
        .transpose()?;
    let scope = CoverageScope {
        release,
        period: super::period(args.from.as_deref(), args.to.as_deref())?,
        project: super::known_project(&signoff, args.project.as_deref()).await?,
    };
    let coverage = signoff_app::audit::coverage(&signoff, &args.frameworks, &scope).await?;
    print_coverage(&coverage, &args)
}

/// `signoff controls coverage` against a server (a `read` token): its
/// `/api/v1/controls/coverage` route, printed as locally.
pub(crate) async fn run_remote(remote: &Remote, command: ControlsCommand) -> anyhow::Result<Outcome> {
    let ControlsCommand::Coverage(args) = command;
    let release = args
        .release
        .as_deref()
        .map(|text| super::qualifying_release(text, args.project.as_deref(), "controls coverage"))
        .transpose()?;
    let mut query = super::present([
        ("project", args.project.clone()),
        ("release", release.map(|release| release.to_string())),
        ("from", args.from.clone()),
        ("to", args.to.clone()),
    ]);
    if !args.frameworks.is_empty() {
        query.push(("frameworks", args.frameworks.join(",")));
    }
    let coverage: Vec<Coverage> = remote.call(reqwest::Method::GET, "/api/v1/controls/coverage", &query, None).await?;
    print_coverage(&coverage, &args)
}

fn print_coverage(coverage: &[Coverage], args: &CoverageArgs) -> anyhow::Result<Outcome> {
    let frameworks: Vec<signoff_report::model::FrameworkCoverage> = coverage.iter().map(Into::into).collect();
    let output = args.output.output.as_deref();
    match choose_format(args.output.format, args.output.json, output, TableFormat::Json, TableFormat::Table)? {
        TableFormat::Json if output.is_some() => {
            write_out(output, &crate::render::json_text(&Items { items: coverage.to_vec() })?)?
        }
        TableFormat::Json => json(&Items { items: coverage.to_vec() })?,
        TableFormat::Csv => write_out(output, &signoff_report::coverage_to_csv(&frameworks)?)?,
        TableFormat::Table => {
            for framework in coverage {
                outln!(
                    "{} — {} satisfied, {} partial, {} missing",
                    framework.name,
                    framework.totals.satisfied,
                    framework.totals.partial,
                    framework.totals.missing
                )?;
                let mut rows = table();
                rows.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
                rows.set_header(["control", "status", "evidence", "gaps"]);
                for control in &framework.controls {
                    let evidence: Vec<String> = control
                        .evidence
                        .iter()
                        .map(|reference| {
                            format!("{} ({})", reference.kind, reference.tool.as_deref().unwrap_or("signoff"))
                        })
                        .collect();
                    let gaps: Vec<String> = control.gaps.iter().map(|gap| gap.hint.clone()).collect();
                    rows.add_row([
                        cell(&format!("{} {}", control.id, control.title)),
                        cell(control.status.as_str()),
                        cell(&evidence.join(", ")),
                        cell(&gaps.join("; ")),
                    ]);
                }
                crate::render::print_table(&rows)?;
                outln!()?;
            }
        }
    }
    Ok(Outcome::Success)
}
