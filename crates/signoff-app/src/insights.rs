//! Metrics (I1) and period reports (F2): how certification goes over time, how
//! complete the evidence is, how fast findings get fixed, what exceptions are open,
//! and how long the standard audit questions take.

mod trend;

use std::collections::BTreeMap;

use serde::Serialize;
use signoff_core::records::{ApprovalRecord, Decision, DeploymentRecord};
use signoff_core::{EvidenceKind, ProjectName, ReleaseRef};
use signoff_policy::Check;
use signoff_report::model as report;
use time::OffsetDateTime;

use crate::audit::{CoverageScope, Question, ask, coverage};
use crate::certify::certificates;
use crate::decide::{ExceptionState, exceptions};
use crate::error::AppError;
use crate::findings::{FindingStatus, FindingsQuery, findings};
use crate::home::Signoff;
use crate::ledger::now;
use crate::policy::latest_policy;
use crate::request::{Period, rfc3339};

pub use trend::{MAX_MONTHS, Month, Trend, last_months, trend, trend_of};

/// Metrics over a period.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Metrics {
    /// Start of the period (absent = open).
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<String>", extend("format" = "date-time"))]
    pub from: Option<OffsetDateTime>,
    /// End of the period, exclusive (absent = open).
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<String>", extend("format" = "date-time"))]
    pub to: Option<OffsetDateTime>,
    /// Releases created in the period.
    pub releases: u64,
    /// Of the certified-at-least-once releases, the share whose first certification
    /// passed.
    pub first_attempt_pass_rate: Option<f64>,
    /// Per release: the share of required evidence kinds present (the policy's
    /// required kinds plus those the frameworks in force map to).
    pub evidence_completeness: Vec<Completeness>,
    /// Mean of `evidence_completeness`.
    pub evidence_completeness_mean: Option<f64>,
    /// Days from first seen to the scan that no longer reports it, over fixed
    /// findings.
    pub time_to_fix_days: Spread,
    /// Fixed findings measured.
    pub findings_fixed: u64,
    /// Approved exceptions in force.
    pub exceptions_open: u64,
    /// Of those, expiring within 14 days.
    pub exceptions_expiring: u64,
    /// How long each standard audit question took on this store, in milliseconds.
    pub question_ms: BTreeMap<String, f64>,
}

/// How complete one release's evidence is.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Completeness {
    /// The release (`project@version`).
    pub release: String,
    /// The share of required evidence kinds present, `0.0..=1.0`.
    pub share: f64,
}

/// The median and 90th percentile of a measure, when there is anything to measure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Spread {
    /// The median.
    pub median: Option<f64>,
    /// The 90th percentile.
    pub p90: Option<f64>,
}

pub(crate) fn percentile(sorted: &[f64], fraction: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let index = ((sorted.len() - 1) as f64 * fraction).round() as usize;
    sorted.get(index).copied()
}

/// The evidence kinds a release is expected to have.
pub(crate) async fn required_kinds(signoff: &Signoff) -> Result<Vec<EvidenceKind>, AppError> {
    let mut kinds: Vec<EvidenceKind> = Vec::new();
    let chosen = latest_policy(signoff).await?;
    for criterion in chosen.policy.for_project("").criteria {
        match criterion.check {
            Check::EvidencePresent { kinds: listed } => kinds.extend(listed),
            Check::SbomAndProvenance => kinds.extend([EvidenceKind::Sbom, EvidenceKind::Provenance]),
            Check::TestsPass => kinds.push(EvidenceKind::TestResults),
            Check::CoverageMin { .. } => kinds.push(EvidenceKind::Coverage),
            _ => {}
        }
    }
    let catalog = signoff.catalog()?;
    let frameworks = signoff.frameworks()?;
    for kind in catalog.required_evidence(&frameworks)? {
        // Only what a pipeline can capture; approvals and reviews are other records.
        if let Some(kind) = kind.to_kind()
            && kind.is_scan() | matches!(kind, EvidenceKind::Sbom | EvidenceKind::TestResults | EvidenceKind::Coverage)
        {
            kinds.push(kind);
        }
    }
    kinds.sort();
    kinds.dedup();
    Ok(kinds)
}

/// Computes the metrics for a period.
///
/// # Errors
/// A store failure.
pub async fn metrics(signoff: &Signoff, period: Period) -> Result<Metrics, AppError> {
    metrics_of(signoff, period, None, true).await
}

/// The metrics of one project (every project when `None`) over a period; with
/// `time_questions` false the standard audit questions are not run and timed
/// (`question_ms` is empty), for a page that draws the others over time.
///
/// # Errors
/// A store failure.
pub async fn metrics_of(
    signoff: &Signoff,
    period: Period,
    project: Option<&ProjectName>,
    time_questions: bool,
) -> Result<Metrics, AppError> {
    let (from, to) = period.bounds();
    let project_name = project.map(ProjectName::as_str);
    let releases = signoff.store.releases_between(project_name, from.as_deref(), to.as_deref()).await?;
    let required = required_kinds(signoff).await?;
    let all_certificates = certificates(signoff, project_name, None).await?;
    let (mut certified_first, mut certified_any) = (0u64, 0u64);
    let mut completeness = Vec::new();
    let mut projects: Vec<ProjectName> = Vec::new();
    for release in &releases {
        let name = format!("{}@{}", release.record.project, release.record.version);
        let first = all_certificates.iter().find(|view| {
            view.record.project == release.record.project && view.record.version == release.record.version
        });
        if let Some(first) = first {
            certified_any += 1;
            if first.record.decision == Decision::Certified {
                certified_first += 1;
            }
        }
        let present: Vec<EvidenceKind> =
            signoff.store.release_evidence(&release.record).await?.iter().map(|row| row.record.kind).collect();
        if !required.is_empty() {
            let have = required.iter().filter(|kind| present.contains(kind)).count();
            completeness.push(Completeness { release: name, share: have as f64 / required.len() as f64 });
        }
        if !projects.contains(&release.record.project) {
            projects.push(release.record.project.clone());
        }
    }
    let mut fix_days = Vec::new();
    for project in &projects {
        let query = FindingsQuery { project: project.clone(), release: None, status: Some(FindingStatus::Fixed) };
        for view in findings(signoff, &query).await? {
            if let Some(fixed) = &view.fixed_in {
                fix_days.push((fixed.captured_at - view.first_seen.captured_at).as_seconds_f64() / 86_400.0);
            }
        }
    }
    fix_days.sort_by(f64::total_cmp);
    let now = now();
    let mut open = 0;
    let mut expiring = 0;
    for view in exceptions(signoff).await? {
        if view.state == ExceptionState::Approved && project.is_none_or(|project| view.covers(project)) {
            open += 1;
            if view.record.expires_at - now < time::Duration::days(14) {
                expiring += 1;
            }
        }
    }
    let mut question_ms = BTreeMap::new();
    let latest = releases.last().filter(|_| time_questions);
    let mut questions = if !time_questions {
        Vec::new()
    } else {
        vec![
            Question::DeployedWithoutCertification { environment: "prod".into(), period },
            Question::ScansForPeriod { period, project: None },
            Question::Population { environment: "prod".into(), period },
        ]
    };
    if let Some(latest) = latest {
        let release = ReleaseRef::new(latest.record.project.clone(), latest.record.version.clone());
        questions.push(Question::WhoApproved { release });
    }
    for question in &questions {
        let answer = ask(signoff, question).await?;
        question_ms.insert(question.name().to_owned(), answer.elapsed_ms);
    }
    let mean = (!completeness.is_empty())
        .then(|| completeness.iter().map(|release| release.share).sum::<f64>() / completeness.len() as f64);
    Ok(Metrics {
        from: period.from,
        to: period.to,
        releases: releases.len() as u64,
        first_attempt_pass_rate: (certified_any > 0).then(|| certified_first as f64 / certified_any as f64),
        evidence_completeness: completeness,
        evidence_completeness_mean: mean,
        time_to_fix_days: Spread { median: percentile(&fix_days, 0.5), p90: percentile(&fix_days, 0.9) },
        findings_fixed: fix_days.len() as u64,
        exceptions_open: open,
        exceptions_expiring: expiring,
        question_ms,
    })
}

/// A period report (F2): every release of the period with its verdict, findings,
/// tests and evidence, the trends, the control coverage and the metrics.
///
/// # Errors
/// An unknown framework, or a store failure.
pub async fn period_report(
    signoff: &Signoff,
    period: Period,
    project: Option<&ProjectName>,
    frameworks: &[String],
) -> Result<report::PeriodReport, AppError> {
    let (from_bound, to_bound) = period.bounds();
    let project_name = project.map(ProjectName::as_str);
    let releases = signoff.store.releases_between(project_name, from_bound.as_deref(), to_bound.as_deref()).await?;
    let all_certificates = certificates(signoff, project_name, None).await?;
    let mut lines = Vec::new();
    let mut pass_by_day: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut findings_by_day: BTreeMap<String, report::SeverityCounts> = BTreeMap::new();
    for release in &releases {
        let record = &release.record;
        let mine: Vec<_> = all_certificates
            .iter()
            .filter(|view| view.record.project == record.project && view.record.version == record.version)
            .collect();
        let decision = match mine.last().map(|view| view.record.decision) {
            Some(Decision::Certified) => report::Decision::Certified,
            Some(Decision::Rejected) => report::Decision::Rejected,
            None => report::Decision::NotCertified,
        };
        let first_attempt_pass = mine.first().map(|view| view.record.decision == Decision::Certified);
        let evidence = signoff.store.release_evidence(record).await?;
        // Evidence the last certification was not decided on (B4): captured after it.
        let named = mine.last().map(|view| crate::certify::sealed_evidence(signoff, view)).transpose()?;
        let captured_after =
            named.map_or(0, |named| evidence.iter().filter(|row| !named.contains(&row.record.digest)).count());
        let mut counts = report::SeverityCounts::default();
        let mut tests: Option<report::TestCounts> = None;
        let mut line_rate = None;
        let mut kinds: Vec<String> = Vec::new();
        for row in &evidence {
            let summary = &row.record.summary;
            if let Some(findings) = &summary.findings {
                counts.critical += findings.critical;
                counts.high += findings.high;
                counts.medium += findings.medium;
                counts.low += findings.low;
                counts.info += findings.info;
            }
            if let Some(test) = &summary.tests {
                let entry = tests.get_or_insert_with(report::TestCounts::default);
                entry.passed += test.passed;
                entry.failed += test.failed + test.errored;
                entry.skipped += test.skipped;
            }
            if let Some(rate) = summary.coverage.and_then(|coverage| coverage.line_rate) {
                line_rate = Some(rate);
            }
            let kind = row.record.kind.to_string();
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        let (project_text, version_text) = (Some(record.project.as_str()), Some(record.version.as_str()));
        let approvals = signoff
            .store
            .records_of::<ApprovalRecord>(project_text, version_text)
            .await?
            .into_iter()
            .map(|approval| format!("{} ({})", approval.record.actor.id, approval.record.role))
            .collect();
        let mut deployed_to = Vec::new();
        for deployment in signoff.store.records_of::<DeploymentRecord>(project_text, version_text).await? {
            if !deployed_to.contains(&deployment.record.environment) {
                deployed_to.push(deployment.record.environment);
            }
        }
        let created_at = rfc3339(release.created_at);
        let day = created_at.get(..10).unwrap_or_default().to_owned();
        if let Some(passed) = first_attempt_pass {
            let entry = pass_by_day.entry(day.clone()).or_default();
            entry.1 += 1;
            if passed {
                entry.0 += 1;
            }
        }
        let day_counts = findings_by_day.entry(day).or_default();
        day_counts.critical += counts.critical;
        day_counts.high += counts.high;
        day_counts.medium += counts.medium;
        day_counts.low += counts.low;
        day_counts.info += counts.info;
        lines.push(report::ReleaseLine {
            project: record.project.to_string(),
            version: record.version.to_string(),
            commit: record.commit.to_string(),
            created_at,
            decision,
            first_attempt_pass,
            findings: counts,
            tests,
            line_rate,
            evidence_kinds: kinds,
            evidence_after_certification: captured_after as u64,
            approvals,
            deployed_to,
        });
    }
    let coverage_list =
        coverage(signoff, frameworks, &CoverageScope { release: None, period, project: project.cloned() }).await?;
    // The project's own metrics: a project's report mixes in no other's figures.
    let metrics = metrics_of(signoff, period, project, true).await?;
    let checkpoint = signoff.store.latest_checkpoint().await?;
    let mut projects: Vec<String> = lines.iter().map(|line| line.project.clone()).collect();
    projects.sort();
    projects.dedup();
    Ok(report::PeriodReport {
        title: match project {
            Some(project) => format!("Release compliance report: {project}"),
            None => "Release compliance report".to_owned(),
        },
        generated_at: rfc3339(now()),
        period: {
            let (from, to) = period.labels();
            report::Period {
                from: from.or_else(|| lines.first().map(|line| line.created_at.clone())).unwrap_or_default(),
                to: to.or_else(|| lines.last().map(|line| line.created_at.clone())).unwrap_or_default(),
            }
        },
        projects,
        releases: lines,
        series: report::Series {
            pass_rate: pass_by_day
                .into_iter()
                .map(|(date, (passed, total))| report::RatePoint { date, rate: passed as f64 / total.max(1) as f64 })
                .collect(),
            findings: findings_by_day
                .into_iter()
                .map(|(date, counts)| report::SeverityPoint { date, counts })
                .collect(),
        },
        coverage: coverage_list.iter().map(report::FrameworkCoverage::from).collect(),
        metrics: report::Metrics {
            first_attempt_pass_rate: metrics.first_attempt_pass_rate,
            evidence_completeness: metrics.evidence_completeness_mean,
            time_to_fix_days: report::TimeToFix {
                median: metrics.time_to_fix_days.median,
                p90: metrics.time_to_fix_days.p90,
            },
            exceptions_open: metrics.exceptions_open,
            exceptions_expiring: metrics.exceptions_expiring,
        },
        ledger: report::Ledger {
            size: checkpoint.as_ref().map_or(0, |checkpoint| checkpoint.size),
            root: checkpoint
                .as_ref()
                .map(|checkpoint| signoff_core::Digest::from_bytes(checkpoint.root).to_string())
                .unwrap_or_default(),
            checkpoint: checkpoint.map(|checkpoint| checkpoint.note).unwrap_or_default(),
            public_key: signoff.verifier().ok().map(|verifier| verifier.to_text()),
            entries: Vec::new(),
        },
    })
}
