//! `signoff findings`.

use std::path::Path;

use signoff_app::Signoff;
use signoff_app::findings::{FindingStatus, FindingView, FindingsQuery, Sighting};
use signoff_core::ProjectName;

use crate::Outcome;
use crate::cli::{FindingsArgs, StatusArg};
use crate::remote::Remote;
use crate::render::{cell, count, json_line, outln, severity_cell, table};

fn sighting(sighting: &Sighting) -> String {
    match (&sighting.release, &sighting.commit) {
        (Some(release), _) => release.clone(),
        (None, Some(commit)) => commit.chars().take(12).collect(),
        (None, None) => format!("entry {}", sighting.entry),
    }
}

pub(crate) async fn run(store: &Path, args: FindingsArgs) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let (project, query) = query(&args)?;
    signoff_app::release::known_project(&signoff, &project).await?;
    if args.json || crate::render::jq_set() {
        // One line per finding as it is read: a million findings stream in bounded memory.
        signoff_app::findings::each(&signoff, &query, &mut |view| json_line(&view).map_err(super::printing_error))
            .await?;
        return Ok(Outcome::Success);
    }
    let views: Vec<FindingView> = signoff_app::findings::findings(&signoff, &query).await?;
    print_findings(&project, &views)
}

/// `signoff findings` against a server.
pub(crate) async fn run_remote(remote: &Remote, args: FindingsArgs) -> anyhow::Result<Outcome> {
    let (project, query) = query(&args)?;
    let mut parameters = Vec::new();
    if let Some(release) = &query.release {
        parameters.push(("release", release.to_string()));
    }
    if let Some(status) = query.status {
        parameters.push(("status", if status == FindingStatus::Open { "open" } else { "fixed" }.to_owned()));
    }
    let path = format!("/api/v1/projects/{project}/findings");
    let views: Vec<FindingView> = remote.call(reqwest::Method::GET, &path, &parameters, None).await?;
    if args.json || crate::render::jq_set() {
        for view in &views {
            json_line(view)?;
        }
        return Ok(Outcome::Success);
    }
    print_findings(&project, &views)
}

/// The project and the query the flags ask for.
fn query(args: &FindingsArgs) -> anyhow::Result<(ProjectName, FindingsQuery)> {
    let status = args.status.map(|status| match status {
        StatusArg::Open => FindingStatus::Open,
        StatusArg::Fixed => FindingStatus::Fixed,
    });
    let release = args
        .release
        .as_deref()
        .map(|text| super::qualifying_release(text, args.project.as_deref(), "findings"))
        .transpose()?;
    let project = match (&args.project, &release) {
        (Some(project), _) => ProjectName::new(project)?,
        (None, Some(release)) => release.project.clone(),
        (None, None) => anyhow::bail!("name the project: --project NAME (or --release PROJECT@VERSION)"),
    };
    let query = FindingsQuery { project: project.clone(), release: release.map(|release| release.version), status };
    Ok((project, query))
}

fn print_findings(project: &ProjectName, views: &[FindingView]) -> anyhow::Result<Outcome> {
    if views.is_empty() {
        outln!("no findings for {project}")?;
        return Ok(Outcome::Success);
    }
    let mut rows = table();
    rows.set_header([
        "finding",
        "status",
        "severity",
        "tool",
        "rule",
        "where",
        "title",
        "first seen",
        "fixed in",
        "triage",
    ]);
    for view in views {
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
        rows.add_row([
            cell(&super::triage::short(&finding.fingerprint.to_string())),
            cell(status),
            severity_cell(finding.severity),
            cell(&view.tool),
            cell(&finding.rule_id),
            cell(&place),
            cell(&title),
            cell(&sighting(&view.first_seen)),
            cell(&view.fixed_in.as_ref().map(sighting).unwrap_or_default()),
            cell(&view.triage.as_ref().map(|mark| mark.label()).unwrap_or_default()),
        ]);
    }
    crate::render::print_table(&rows)?;
    let open = views.iter().filter(|view| view.status == FindingStatus::Open).count() as u64;
    let triaged = views.iter().filter(|view| view.triage.is_some()).count();
    outln!(
        "{}: {open} open, {} fixed, {triaged} triaged (signoff triage FINDING --project {project} --as ...)",
        count(views.len() as u64, "finding", "findings"),
        views.len() as u64 - open
    )?;
    Ok(Outcome::Success)
}
