//! `signoff report` (F2) and `signoff metrics` (I1).

use std::path::Path;

use signoff_app::Signoff;

use signoff_report::TraceReport;
use signoff_report::model::PeriodReport;

use crate::Outcome;
use crate::cli::{DocumentFormat, MetricsArgs, ReportArgs};
use crate::remote::Remote;
use crate::render::{choose_format, json, outln, write_out};

pub(crate) async fn report(store: &Path, args: ReportArgs) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let format = format_of(&args)?;
    if let Some(release) = &args.release {
        let trace = signoff_app::audit::trace(&signoff, &super::release(release)?).await?;
        return write_trace(&trace, format, &args);
    }
    let period = super::period(args.from.as_deref(), args.to.as_deref())?;
    let project = super::known_project(&signoff, args.project.as_deref()).await?;
    let report = signoff_app::insights::period_report(&signoff, period, project.as_ref(), &args.frameworks).await?;
    write_report(&report, format, &args)
}

/// `signoff report` against a server: the server builds the report (within the
/// token's projects), this side renders it alike.
pub(crate) async fn report_remote(remote: &Remote, args: ReportArgs) -> anyhow::Result<Outcome> {
    let format = format_of(&args)?;
    if let Some(release) = &args.release {
        let path = format!("{}/trace", super::remote_release_path(&super::release(release)?));
        let trace: TraceReport = remote.call(reqwest::Method::GET, &path, &[], None).await?;
        return write_trace(&trace, format, &args);
    }
    // Checked here as locally, so a bad date is named before anything is sent.
    super::period(args.from.as_deref(), args.to.as_deref())?;
    let frameworks = (!args.frameworks.is_empty()).then(|| args.frameworks.join(","));
    let query = super::present([
        ("from", args.from.clone()),
        ("to", args.to.clone()),
        ("project", args.project.clone()),
        ("frameworks", frameworks),
    ]);
    let report: PeriodReport = remote.call(reqwest::Method::GET, "/api/v1/reports", &query, None).await?;
    write_report(&report, format, &args)
}

fn format_of(args: &ReportArgs) -> anyhow::Result<DocumentFormat> {
    choose_format(args.format, args.json, args.output.as_deref(), DocumentFormat::Json, DocumentFormat::Html)
}

fn write_trace(trace: &TraceReport, format: DocumentFormat, args: &ReportArgs) -> anyhow::Result<Outcome> {
    if format == DocumentFormat::Json && args.output.is_none() {
        json(trace)?;
        return Ok(Outcome::Success);
    }
    let text = match format {
        DocumentFormat::Html => signoff_report::render_trace_html(trace)?,
        DocumentFormat::Json => crate::render::json_text(trace)?,
        DocumentFormat::Csv => anyhow::bail!("a release trace has no CSV form; use --format html or json"),
    };
    write_out(args.output.as_deref(), &text)?;
    Ok(Outcome::Success)
}

fn write_report(report: &PeriodReport, format: DocumentFormat, args: &ReportArgs) -> anyhow::Result<Outcome> {
    if format == DocumentFormat::Json && args.output.is_none() {
        json(report)?;
        return Ok(Outcome::Success);
    }
    let text = match format {
        DocumentFormat::Html => signoff_report::render_period_html(report)?,
        DocumentFormat::Json => crate::render::json_text(report)?,
        DocumentFormat::Csv => signoff_report::releases_to_csv(&report.releases)?,
    };
    write_out(args.output.as_deref(), &text)?;
    Ok(Outcome::Success)
}

pub(crate) async fn metrics(store: &Path, args: MetricsArgs) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let period = super::period(args.from.as_deref(), args.to.as_deref())?;
    let metrics = signoff_app::insights::metrics(&signoff, period).await?;
    if args.output.json || crate::render::jq_set() {
        json(&metrics)?;
        return Ok(Outcome::Success);
    }
    let percent = |value: Option<f64>| value.map_or("n/a".to_owned(), |value| format!("{:.0}%", value * 100.0));
    let days = |value: Option<f64>| value.map_or("n/a".to_owned(), |value| format!("{value:.1} days"));
    outln!("releases                  {}", metrics.releases)?;
    outln!("first-attempt pass rate   {}", percent(metrics.first_attempt_pass_rate))?;
    outln!("evidence completeness     {} (mean over releases)", percent(metrics.evidence_completeness_mean))?;
    outln!(
        "time to fix findings      median {}, p90 {} ({} fixed)",
        days(metrics.time_to_fix_days.median),
        days(metrics.time_to_fix_days.p90),
        metrics.findings_fixed
    )?;
    outln!(
        "exceptions                {} open, {} expiring within 14 days",
        metrics.exceptions_open,
        metrics.exceptions_expiring
    )?;
    for (question, ms) in &metrics.question_ms {
        outln!("audit question {question:<28} {ms:.1} ms")?;
    }
    Ok(Outcome::Success)
}
