//! `signoff release create|show`.

use std::path::Path;

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use signoff_app::release::{CreateRelease, ReleaseView};
use signoff_app::{Environment, Signoff};
use signoff_core::{CommitSha, ProjectName, ReleaseRef, ReleaseVersion};

use crate::Outcome;
use crate::cli::ReleaseCommand;
use crate::render::{print_json, summary_text};

pub(crate) async fn run(store: &Path, command: ReleaseCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    match command {
        ReleaseCommand::Create(args) => {
            let environment = Environment::from_process();
            let context = environment.ci_context();
            let commit =
                args.commit.clone().or_else(|| context.commit.clone()).ok_or_else(|| {
                    anyhow::anyhow!("no commit: pass --commit SHA (in CI it is taken from the pipeline)")
                })?;
            let request = CreateRelease {
                release: ReleaseRef::new(ProjectName::new(&args.project)?, ReleaseVersion::new(&args.version)?),
                commit: CommitSha::new(&commit)?,
                artifacts: super::digests(&args.artifacts)?,
                actor: super::actor(&signoff, None)?,
                context,
                repo: Some(args.repo.clone().unwrap_or_else(|| std::path::PathBuf::from("."))),
            };
            let view = signoff_app::release::create(&signoff, request).await?;
            if args.json {
                print_json(&view)?;
            } else {
                println!(
                    "created release {}@{} at {} (ledger entry {}), {} piece(s) of evidence attached",
                    view.release.project, view.release.version, view.release.commit, view.entry, view.totals.evidence
                );
            }
        }
        ReleaseCommand::Show(args) => {
            let (project, version) = match (args.project.split_once('@'), args.version) {
                (_, Some(version)) => (args.project.clone(), version),
                (Some((project, version)), None) => (project.to_owned(), version.to_owned()),
                (None, None) => {
                    anyhow::bail!("name the version: `signoff release show PROJECT VERSION` or PROJECT@VERSION")
                }
            };
            let release = ReleaseRef::new(ProjectName::new(&project)?, ReleaseVersion::new(&version)?);
            let view = signoff_app::release::show(&signoff, &release).await?;
            if args.json {
                print_json(&view)?;
            } else {
                print_release(&view);
            }
        }
    }
    Ok(Outcome::Success)
}

fn print_release(view: &ReleaseView) {
    let release = &view.release;
    println!("release  {}@{}", release.project, release.version);
    println!("commit   {}", release.commit);
    if let Some(previous) = &release.previous {
        println!("previous {}@{previous}", release.project);
    }
    for artifact in &release.artifacts {
        println!("artifact {artifact}");
    }
    println!("created  {} (ledger entry {})", crate::render::time(view.created_at), view.entry);
    match &view.certificate {
        Some(verdict) => {
            println!("verdict  {} (certificate at ledger entry {})", verdict.decision, verdict.entry)
        }
        None => {
            println!("verdict  not certified yet (signoff certify --release {}@{})", release.project, release.version)
        }
    }
    if !release.changes.is_empty() {
        println!("changes  {} commit(s) since the previous release", release.changes.len());
        for change in release.changes.iter().take(10) {
            let agents = if change.agents.is_empty() {
                String::new()
            } else {
                format!("  [agents: {}]", change.agents.join(", "))
            };
            let pr = change.pr.map(|pr| format!(" (#{pr})")).unwrap_or_default();
            println!(
                "  {} {}{pr} — {} <{}>, {}{agents}",
                &change.commit[..12],
                change.summary,
                change.author.name,
                change.author.email,
                change.signature
            );
        }
    }
    if let Some(note) = &release.changes_note {
        println!("changes  {note}");
    }
    println!();
    if view.evidence.is_empty() {
        println!("no evidence yet: capture files with --commit {} (or --release {})", release.commit, release.version);
        return;
    }
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.set_header(["entry", "kind", "tool", "file", "summary", "digest"]);
    for evidence in &view.evidence {
        let tool = match &evidence.tool.version {
            Some(version) => format!("{} {version}", evidence.tool.name),
            None => evidence.tool.name.clone(),
        };
        let entry = evidence
            .captured
            .as_ref()
            .map(|captured| {
                if captured.post_certification {
                    format!("{} (after cert.)", captured.entry)
                } else {
                    captured.entry.to_string()
                }
            })
            .unwrap_or_default();
        let digest = evidence.digest.to_string();
        table.add_row([
            entry,
            evidence.kind.to_string(),
            tool,
            evidence.file.clone(),
            summary_text(&evidence.summary),
            digest[..19].to_owned(),
        ]);
    }
    println!("{table}");
    let totals = &view.totals;
    println!(
        "{} piece(s) of evidence ({}); findings: {} critical, {} high, {} medium, {} low; tests: {} passed, {} failed",
        totals.evidence,
        totals.kinds.join(", "),
        totals.findings.critical,
        totals.findings.high,
        totals.findings.medium,
        totals.findings.low,
        totals.tests.passed,
        totals.tests.failed + totals.tests.errored
    );
}
