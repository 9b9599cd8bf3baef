//! `signoff report` (F2) and `signoff metrics` (I1).

use std::path::Path;

use signoff_app::Signoff;
use signoff_core::ProjectName;

use crate::Outcome;
use crate::cli::{DocumentFormat, MetricsArgs, ReportArgs};
use crate::render::{choose_format, json, outln, write_out};

pub(crate) async fn report(store: &Path, args: ReportArgs) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let format =
        choose_format(args.format, args.json, args.output.as_deref(), DocumentFormat::Json, DocumentFormat::Html)?;
    if let Some(release) = &args.release {
        let trace = signoff_app::audit::trace(&signoff, &super::release(release)?).await?;
        let text = match format {
            DocumentFormat::Html => signoff_report::render_trace_html(&trace)?,
            DocumentFormat::Json => crate::render::json_text(&trace)?,
            DocumentFormat::Csv => anyhow::bail!("a release trace has no CSV form; use --format html or json"),
        };
        write_out(args.output.as_deref(), &text)?;
        return Ok(Outcome::Success);
    }
    let period = super::period(args.from.as_deref(), args.to.as_deref())?;
    let project = args.project.as_deref().map(ProjectName::new).transpose()?;
    let report = signoff_app::insights::period_report(&signoff, period, project.as_ref(), &args.frameworks).await?;
    if format == DocumentFormat::Json && args.output.is_none() {
        json(&report)?;
        return Ok(Outcome::Success);
    }
    let text = match format {
        DocumentFormat::Html => signoff_report::render_period_html(&report)?,
        DocumentFormat::Json => crate::render::json_text(&report)?,
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
