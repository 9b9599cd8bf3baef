//! The auditor's commands: deployments, snapshots, coverage, trace, search, the
//! standard questions, reports, metrics, evidence packages, retention and holds.

use std::path::Path;

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use signoff_app::{Answer, CoverageScope, Environment, Question, Search, Signoff};

use crate::Outcome;
use crate::cli::{
    AskCommand, AuditCommand, ControlsCommand, DeployCommand, DocumentFormat, EnvCommand, ExportArgs, HoldCommand,
    MetricsArgs, ReportArgs, RetentionCommand, TableFormat, VerifyPackageArgs,
};
use crate::render::print_json;

fn write_out(output: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            std::fs::write(path, text).map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}

fn print_answer(answer: &Answer, format: TableFormat, json: bool) -> anyhow::Result<()> {
    match if json { TableFormat::Json } else { format } {
        TableFormat::Json => print_json(answer)?,
        TableFormat::Csv => print!("{}", answer.to_csv()?),
        TableFormat::Table => {
            if answer.rows.is_empty() {
                println!("no rows ({}, {:.1} ms)", answer.question, answer.elapsed_ms);
                return Ok(());
            }
            let mut table = Table::new();
            table.load_style(UTF8_FULL_CONDENSED);
            table.set_header(answer.columns.clone());
            for row in &answer.rows {
                table.add_row(row.iter().map(|cell| {
                    if cell.len() > 70 {
                        format!("{}…", &cell[..cell.char_indices().nth(69).map_or(cell.len(), |(at, _)| at)])
                    } else {
                        cell.clone()
                    }
                }));
            }
            println!("{table}");
            let more = if answer.more > 0 {
                format!(" (and {} more; narrow the filters or use --format csv)", answer.more)
            } else {
                String::new()
            };
            println!("{} row(s){more}, answered in {:.1} ms", answer.rows.len(), answer.elapsed_ms);
        }
    }
    Ok(())
}

pub(crate) async fn deploy(store: &Path, command: DeployCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let DeployCommand::Record(args) = command;
    let deployed = signoff_app::record_deployment(
        &signoff,
        &args.release,
        &args.environment,
        args.actor.as_deref(),
        &Environment::from_process(),
    )
    .await?;
    if args.json {
        print_json(&deployed)?;
    } else {
        let record = &deployed.record;
        match &record.certificate {
            Some(certificate) => println!(
                "recorded: {}@{} deployed to {} by {} under certificate {certificate} (ledger entry {})",
                record.project, record.version, record.environment, record.actor.id, deployed.entry
            ),
            None => println!(
                "recorded: {}@{} deployed to {} by {} WITHOUT a valid certificate (ledger entry {})",
                record.project, record.version, record.environment, record.actor.id, deployed.entry
            ),
        }
        for problem in &record.problems {
            println!("  problem: {problem}");
        }
    }
    Ok(if deployed.record.problems.is_empty() { Outcome::Success } else { Outcome::No })
}

pub(crate) async fn env(store: &Path, command: EnvCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let EnvCommand::Snapshot(args) = command;
    let snapshot = signoff_app::snapshot(
        &signoff,
        &args.environment,
        &args.artifacts,
        args.actor.as_deref(),
        &Environment::from_process(),
    )
    .await?;
    if args.json {
        print_json(&snapshot)?;
    } else {
        for (digest, reason) in &snapshot.reasons {
            let mark = if snapshot.record.uncertified.contains(digest) { "UNCERTIFIED" } else { "certified  " };
            println!("{mark} {digest}: {reason}");
        }
        println!(
            "{} of {} artifact(s) running in {} were never certified for it (ledger entry {})",
            snapshot.record.uncertified.len(),
            snapshot.record.artifacts.len(),
            snapshot.record.environment,
            snapshot.entry
        );
    }
    Ok(if snapshot.record.uncertified.is_empty() { Outcome::Success } else { Outcome::No })
}

pub(crate) async fn controls(store: &Path, command: ControlsCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let ControlsCommand::Coverage(args) = command;
    let scope = CoverageScope {
        release: args.release.clone(),
        from: args.from.clone(),
        to: args.to.clone(),
        project: args.project.clone(),
    };
    let coverage = signoff_app::coverage(&signoff, &args.frameworks, &scope).await?;
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
                        format!("{:?}", control.status).to_lowercase(),
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

pub(crate) async fn audit(store: &Path, command: AuditCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    match command {
        AuditCommand::Trace(args) => {
            let trace = signoff_app::trace(&signoff, &args.release).await?;
            if args.json {
                print_json(&trace)?;
            } else if let Some(path) = &args.html {
                write_out(Some(path), &signoff_report::render_trace_html(&trace)?)?;
            } else {
                print_trace(&trace);
            }
        }
        AuditCommand::Search(args) => {
            let answer = signoff_app::search(
                &signoff,
                &Search {
                    project: args.project,
                    kind: args.kind,
                    tool: args.tool,
                    severity: args.severity,
                    status: args.status,
                    approver: args.approver,
                    environment: args.environment,
                    from: args.from,
                    to: args.to,
                    limit: Some(args.limit),
                },
            )
            .await?;
            print_answer(&answer, args.format, args.json)?;
        }
        AuditCommand::Ask(question) => {
            let (question, format, json) = match question {
                AskCommand::DeployedWithoutCertification(args) => (
                    Question::DeployedWithoutCertification {
                        environment: args.environment,
                        from: args.from,
                        to: args.to,
                    },
                    args.format,
                    args.json,
                ),
                AskCommand::ScansForPeriod(args) => (
                    Question::ScansForPeriod { from: args.from, to: args.to, project: args.project },
                    args.format,
                    args.json,
                ),
                AskCommand::WhoApproved(args) => {
                    (Question::WhoApproved { release: args.release }, args.format, args.json)
                }
                AskCommand::Population(args) => (
                    Question::Population { environment: args.environment, from: args.from, to: args.to },
                    args.format,
                    args.json,
                ),
            };
            let answer = signoff_app::ask(&signoff, &question).await?;
            print_answer(&answer, format, json)?;
        }
    }
    Ok(Outcome::Success)
}

fn print_trace(trace: &signoff_report::TraceReport) {
    let release = &trace.release;
    println!("{}@{} at {} — {}", release.project, release.version, release.commit, release.decision.label());
    if let Some(previous) = &release.previous {
        println!("previous release {previous}; created {}", release.created_at);
    }
    for artifact in &release.artifacts {
        println!("artifact {}", artifact.digest);
    }
    println!("\nchanges ({})", trace.changes.len());
    for change in &trace.changes {
        let reviewers: Vec<String> =
            change.reviewers.iter().map(|reviewer| format!("{} ({})", reviewer.id, reviewer.kind)).collect();
        let pr = change.pr.map(|pr| format!(" #{pr}")).unwrap_or_default();
        println!(
            "  {}{pr} {} — {} ({}); reviewed by: {}",
            &change.commit[..12.min(change.commit.len())],
            change.summary,
            change.author.id,
            change.author.kind,
            if reviewers.is_empty() { "nobody on record".to_owned() } else { reviewers.join(", ") }
        );
    }
    println!("\nscans ({})", trace.scans.len());
    for scan in &trace.scans {
        let counts = &scan.summary;
        println!(
            "  {} ({}): {} critical, {} high, {} medium, {} low — {} at {}",
            scan.tool,
            scan.kind,
            counts.critical,
            counts.high,
            counts.medium,
            counts.low,
            &scan.digest[..19],
            scan.captured_at
        );
    }
    for test in &trace.tests {
        println!(
            "tests {}: {} passed, {} failed, {} skipped",
            test.tool, test.counts.passed, test.counts.failed, test.counts.skipped
        );
    }
    for coverage in &trace.coverage {
        if let Some(rate) = coverage.line_rate {
            println!("coverage {}: {:.1}% lines", coverage.tool, rate * 100.0);
        }
    }
    println!("\nexceptions ({})", trace.exceptions.len());
    for exception in &trace.exceptions {
        println!(
            "  {} {} — {} (by {}, approved by {}, until {})",
            exception.id,
            exception.status,
            exception.target,
            exception.requested_by,
            exception.approved_by.as_deref().unwrap_or("-"),
            exception.expires_at
        );
    }
    println!("\napprovals ({})", trace.approvals.len());
    for approval in &trace.approvals {
        println!(
            "  {} ({}) {} as {} at {}",
            approval.actor.id, approval.actor.kind, approval.decision, approval.role, approval.at
        );
    }
    match &trace.certificate {
        Some(certificate) => {
            println!(
                "\ncertification: {} under {} ({}) at {}",
                certificate.decision.label(),
                certificate.policy.name,
                certificate.policy.digest,
                certificate.evaluated_at
            );
            for criterion in &certificate.criteria {
                println!("  {:?} {} — {}", criterion.status, criterion.id, criterion.actual);
            }
        }
        None => println!("\ncertification: none"),
    }
    println!("\ndeployments ({})", trace.deployments.len());
    for deployment in &trace.deployments {
        println!(
            "  {} at {} by {} — {}",
            deployment.environment,
            deployment.at,
            deployment.actor.id,
            deployment.certificate.as_deref().unwrap_or("NO valid certificate")
        );
    }
    println!(
        "\nledger: {} entries about this release; checkpoint size {}, root {}",
        trace.ledger.entries.len(),
        trace.ledger.size,
        trace.ledger.root
    );
}

pub(crate) async fn report(store: &Path, args: ReportArgs) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    if let Some(release) = &args.release {
        let trace = signoff_app::trace(&signoff, release).await?;
        let text = match args.format {
            DocumentFormat::Html => signoff_report::render_trace_html(&trace)?,
            DocumentFormat::Json => serde_json::to_string_pretty(&trace)?,
            DocumentFormat::Csv => anyhow::bail!("a release trace has no CSV form; use --format html or json"),
        };
        write_out(args.output.as_deref(), &text)?;
        return Ok(Outcome::Success);
    }
    let report = signoff_app::period_report(
        &signoff,
        args.from.as_deref(),
        args.to.as_deref(),
        args.project.as_deref(),
        &args.frameworks,
    )
    .await?;
    let text = match args.format {
        DocumentFormat::Html => signoff_report::render_period_html(&report)?,
        DocumentFormat::Json => serde_json::to_string_pretty(&report)?,
        DocumentFormat::Csv => signoff_report::releases_to_csv(&report.releases)?,
    };
    write_out(args.output.as_deref(), &text)?;
    Ok(Outcome::Success)
}

pub(crate) async fn metrics(store: &Path, args: MetricsArgs) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let metrics = signoff_app::metrics(&signoff, args.from.as_deref(), args.to.as_deref()).await?;
    if args.json {
        print_json(&metrics)?;
        return Ok(Outcome::Success);
    }
    let percent = |value: Option<f64>| value.map_or("n/a".to_owned(), |value| format!("{:.0}%", value * 100.0));
    let days = |value: Option<f64>| value.map_or("n/a".to_owned(), |value| format!("{value:.1} days"));
    println!("releases                  {}", metrics.releases);
    println!("first-attempt pass rate   {}", percent(metrics.first_attempt_pass_rate));
    println!("evidence completeness     {} (mean over releases)", percent(metrics.evidence_completeness_mean));
    println!(
        "time to fix findings      median {}, p90 {} ({} fixed)",
        days(metrics.time_to_fix_days.0),
        days(metrics.time_to_fix_days.1),
        metrics.findings_fixed
    );
    println!(
        "exceptions                {} open, {} expiring within 14 days",
        metrics.exceptions_open, metrics.exceptions_expiring
    );
    for (question, ms) in &metrics.question_ms {
        println!("audit question {question:<28} {ms:.1} ms");
    }
    Ok(Outcome::Success)
}

pub(crate) async fn export(store: &Path, args: ExportArgs) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let bytes = signoff_app::export(&signoff, &args.release).await?;
    std::fs::write(&args.output, &bytes).map_err(|error| anyhow::anyhow!("{}: {error}", args.output.display()))?;
    println!(
        "wrote {} ({} bytes, {}); verify it anywhere with `signoff verify-package {} --key \"$(signoff key public --format note)\"`",
        args.output.display(),
        bytes.len(),
        signoff_core::Digest::of(&bytes),
        args.output.display()
    );
    Ok(Outcome::Success)
}

pub(crate) fn verify_package(args: VerifyPackageArgs) -> anyhow::Result<Outcome> {
    let bytes = std::fs::read(&args.package).map_err(|error| anyhow::anyhow!("{}: {error}", args.package.display()))?;
    let key = match &args.key {
        Some(text) if Path::new(text).is_file() => Some(std::fs::read_to_string(text)?),
        Some(text) => Some(text.clone()),
        None => None,
    };
    let report = signoff_app::verify_package(&bytes, key.as_deref())?;
    if args.json {
        let checks: Vec<serde_json::Value> = report
            .checks
            .iter()
            .map(|check| serde_json::json!({ "member": check.member, "check": check.description, "ok": check.passed(), "detail": check.to_string() }))
            .collect();
        print_json(
            &serde_json::json!({ "ok": report.is_ok(), "key": format!("{:?}", report.key_source), "checks": checks }),
        )?;
    } else {
        for failure in report.failures() {
            println!("FAILED {failure}");
        }
        println!(
            "{}",
            if report.is_ok() {
                format!("ok: {} checks passed ({:?} key)", report.checks.len(), report.key_source)
            } else {
                format!(
                    "the package does not verify: {} of {} checks failed",
                    report.failures().count(),
                    report.checks.len()
                )
            }
        );
    }
    Ok(if report.is_ok() { Outcome::Success } else { Outcome::No })
}

pub(crate) async fn retention(store: &Path, command: RetentionCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let RetentionCommand::Apply(args) = command;
    let run = signoff_app::retention_apply(
        &signoff,
        args.dry_run,
        args.evidence,
        args.actor.as_deref(),
        &Environment::from_process(),
    )
    .await?;
    if args.json {
        print_json(&run)?;
    } else {
        let frameworks = if run.frameworks.is_empty() { "default".to_owned() } else { run.frameworks.join(", ") };
        println!(
            "retention {} days ({frameworks}): evidence captured before {} is past it",
            run.retention_days, run.cutoff
        );
        let verb = if run.dry_run { "would purge" } else { "purged" };
        let bytes: u64 = run.purged.iter().map(|blob| blob.size).sum();
        println!(
            "{verb} {} blob(s), {bytes} bytes{}",
            run.purged.len(),
            run.entry.map(|entry| format!(" (ledger entry {entry})")).unwrap_or_default()
        );
        for (entry, hold) in &run.held {
            println!("  kept entry {entry}: under legal hold {hold}");
        }
    }
    Ok(Outcome::Success)
}

pub(crate) async fn hold(store: &Path, command: HoldCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let environment = Environment::from_process();
    let record = match command {
        HoldCommand::Place(args) => {
            signoff_app::hold(
                &signoff,
                &args.project,
                args.version.as_deref(),
                &args.reason,
                None,
                args.actor.as_deref(),
                &environment,
            )
            .await?
        }
        HoldCommand::Lift(args) => {
            signoff_app::hold(
                &signoff,
                &args.project,
                None,
                &args.reason,
                Some(&args.id),
                args.actor.as_deref(),
                &environment,
            )
            .await?
        }
    };
    let scope = match &record.version {
        Some(version) => format!("{}@{version}", record.project),
        None => record.project.to_string(),
    };
    println!("{} {} on {scope}: {}", record.id, if record.lifted { "lifted" } else { "placed" }, record.reason);
    Ok(Outcome::Success)
}
