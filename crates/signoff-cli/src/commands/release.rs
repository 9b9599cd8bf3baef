//! `signoff release create|show|list`.

use std::path::Path;

use signoff_app::audit::ReleaseStatus;
use signoff_app::release::{CreateRelease, ReleaseList, ReleaseView};
use signoff_app::{Environment, Signoff};

use crate::Outcome;
use crate::cli::{ReleaseCommand, ReleaseStatusArg};
use crate::remote::Remote;
use crate::render::{cell, count, done, json, json_line, outln, summary_text, table, time};

fn print_created(view: &ReleaseView, as_json: bool) -> anyhow::Result<()> {
    if as_json || crate::render::jq_set() {
        json(view)
    } else {
        done!(
            "created release {}@{} at {} (ledger entry {}), {} attached",
            view.release.project,
            view.release.version,
            view.release.commit,
            view.entry,
            count(view.totals.evidence, "piece of evidence", "pieces of evidence")
        )
    }
}

/// `signoff release create` against a server (artifact files are hashed here).
pub(crate) async fn run_remote(remote: &Remote, command: ReleaseCommand) -> anyhow::Result<Outcome> {
    let ReleaseCommand::Create(args) = command else {
        anyhow::bail!(
            "`signoff release show` and `release list` work on a local store only for now; the server answers GET /api/v1/releases"
        );
    };
    let release = super::release_or_pair(&args.release, args.legacy_version.as_deref(), "release create")?;
    let context = Environment::from_process().ci_context();
    let commit =
        crate::store::commit(args.commit.as_deref(), context.commit.as_deref(), repo(&args))?.ok_or_else(|| {
            anyhow::anyhow!(
                "no commit: pass --commit SHA (in CI it is taken from the pipeline; in a git work tree, HEAD)"
            )
        })?;
    let artifacts: Vec<String> = super::digests(&args.artifacts)?.iter().map(ToString::to_string).collect();
    let body =
        serde_json::json!({ "release": release.to_string(), "commit": commit.to_string(), "artifacts": artifacts });
    let view: ReleaseView = remote.call(reqwest::Method::POST, "/api/v1/releases", &[], Some(&body)).await?;
    print_created(&view, args.output.json)?;
    Ok(Outcome::Success)
}

/// The git repository a release's commit and changes are read from: `--repo`,
/// else here.
fn repo(args: &crate::cli::ReleaseCreateArgs) -> &Path {
    args.repo.as_deref().unwrap_or(Path::new("."))
}

pub(crate) async fn run(store: &Path, command: ReleaseCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    match command {
        ReleaseCommand::Create(args) => {
            let release = super::release_or_pair(&args.release, args.legacy_version.as_deref(), "release create")?;
            let environment = Environment::from_process();
            let context = environment.ci_context();
            let commit = crate::store::commit(args.commit.as_deref(), context.commit.as_deref(), repo(&args))?
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "no commit: pass --commit SHA (in CI it is taken from the pipeline; in a git work tree, HEAD)"
                    )
                })?;
            let request = CreateRelease {
                release,
                commit,
                artifacts: super::digests(&args.artifacts)?,
                actor: super::actor(&signoff, None)?,
                context,
                repo: Some(repo(&args).to_owned()),
            };
            let view = signoff_app::release::create(&signoff, request).await?;
            print_created(&view, args.output.json)?;
        }
        ReleaseCommand::Show(args) => {
            let release = super::release_or_pair(&args.release, args.legacy_version.as_deref(), "release show")?;
            let view = signoff_app::release::show(&signoff, &release).await?;
            if args.output.json || crate::render::jq_set() {
                json(&view)?;
            } else {
                print_release(&view)?;
            }
            for line in signoff_app::certify::ahead(&signoff, &release).await? {
                crate::render::warning!("{line}");
            }
        }
        ReleaseCommand::List(args) => {
            let query = ReleaseList {
                project: super::known_project(&signoff, args.project.as_deref()).await?,
                status: args.status.map(|status| match status {
                    ReleaseStatusArg::Certified => ReleaseStatus::Certified,
                    ReleaseStatusArg::Rejected => ReleaseStatus::Rejected,
                    ReleaseStatusArg::Uncertified => ReleaseStatus::Uncertified,
                }),
                limit: args.limit,
                ..ReleaseList::default()
            };
            let listed = signoff_app::release::list(&signoff, &query).await?;
            if args.output.json || crate::render::jq_set() {
                for line in &listed.releases {
                    json_line(line)?;
                }
                return Ok(Outcome::Success);
            }
            if listed.releases.is_empty() {
                outln!("no releases")?;
                return Ok(Outcome::Success);
            }
            let mut rows = table();
            rows.set_header(["release", "commit", "created", "verdict", "deployed to"]);
            for line in &listed.releases {
                rows.add_row([
                    cell(&line.release.to_string()),
                    cell(line.commit.as_str().get(..12).unwrap_or_default()),
                    cell(&time(line.created_at)),
                    cell(line.decision.map_or("not certified", |decision| decision.as_str())),
                    cell(&line.deployed_to.join(", ")),
                ]);
            }
            crate::render::print_table(&rows)?;
            let more = match (listed.more, listed.more_is_lower_bound) {
                (0, _) => String::new(),
                (more, false) => format!(" ({more} more; --limit shows more)"),
                (more, true) => format!(" ({more} or more after these; --limit shows more)"),
            };
            outln!("{}{more}", count(listed.releases.len() as u64, "release", "releases"))?;
        }
    }
    Ok(Outcome::Success)
}

fn print_release(view: &ReleaseView) -> anyhow::Result<()> {
    let release = &view.release;
    outln!("release  {}@{}", release.project, release.version)?;
    outln!("commit   {}", release.commit)?;
    if let Some(previous) = &release.previous {
        outln!("previous {}@{previous}", release.project)?;
    }
    for artifact in &release.artifacts {
        outln!("artifact {artifact}")?;
    }
    outln!("created  {} (ledger entry {})", time(view.created_at), view.entry)?;
    match &view.certificate {
        Some(verdict) => {
            let word = match verdict.decision {
                signoff_core::records::Decision::Certified => "CERTIFIED",
                signoff_core::records::Decision::Rejected => "REJECTED",
            };
            outln!("verdict  {word} (certificate at ledger entry {})", verdict.entry)?
        }
        None => outln!("verdict  not certified yet (signoff certify {}@{})", release.project, release.version)?,
    }
    if !release.changes.is_empty() {
        outln!("changes  {} since the previous release", count(release.changes.len() as u64, "commit", "commits"))?;
        for change in release.changes.iter().take(10) {
            let agents = if change.agents.is_empty() {
                String::new()
            } else {
                format!("  [agents: {}]", change.agents.join(", "))
            };
            let pr = change.pr.map(|pr| format!(" (#{pr})")).unwrap_or_default();
            outln!(
                "  {} {}{pr} — {} <{}>, {}{agents}",
                change.commit.get(..12).unwrap_or(&change.commit),
                change.summary,
                change.author.name,
                change.author.email,
                change.signature
            )?;
        }
    }
    if let Some(note) = &release.changes_note {
        outln!("changes  {note}")?;
    }
    outln!()?;
    if view.evidence.is_empty() {
        return outln!(
            "no evidence yet: capture files with --commit {} (or --release {}@{})",
            release.commit,
            release.project,
            release.version
        );
    }
    let mut rows = table();
    rows.set_header(["entry", "kind", "tool", "file", "summary", "digest"]);
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
        rows.add_row([
            cell(&entry),
            cell(&evidence.kind.to_string()),
            cell(&tool),
            cell(&evidence.file),
            cell(&summary_text(&evidence.summary)),
            cell(&digest[..19]),
        ]);
    }
    crate::render::print_table(&rows)?;
    let totals = &view.totals;
    outln!(
        "{} ({}); findings: {} critical, {} high, {} medium, {} low, {} info; tests: {} passed, {} failed",
        count(totals.evidence, "piece of evidence", "pieces of evidence"),
        totals.kinds.join(", "),
        totals.findings.critical,
        totals.findings.high,
        totals.findings.medium,
        totals.findings.low,
        totals.findings.info,
        totals.tests.passed,
        totals.tests.failed + totals.tests.errored
    )
}
