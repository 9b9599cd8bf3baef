//! Metrics over time (I1), for the dashboard's charts: the period cut into
//! calendar months, and per month the first-attempt certification pass rate, the
//! mean evidence completeness, the median time to fix of findings fixed in it and
//! the exceptions open at its end. The same definitions as [`super::metrics`],
//! with each read made once for the whole period.

use serde::Serialize;
use signoff_core::ProjectName;
use signoff_core::records::Decision;
use time::OffsetDateTime;

use super::{percentile, required_kinds};
use crate::decide::exceptions;
use crate::error::AppError;
use crate::findings::fixed_between;
use crate::home::Signoff;
use crate::request::{Period, rfc3339};

/// At most this many months are drawn.
pub const MAX_MONTHS: usize = 36;

/// The metrics month by month.
#[derive(Debug, Clone, Serialize)]
pub struct Trend {
    /// The project, when one.
    pub project: Option<ProjectName>,
    /// One point per month, oldest first.
    pub months: Vec<Month>,
}

/// One month's metrics.
#[derive(Debug, Clone, Serialize)]
pub struct Month {
    /// `YYYY-MM`.
    pub month: String,
    /// Its first instant.
    #[serde(with = "time::serde::rfc3339")]
    pub from: OffsetDateTime,
    /// The first instant after it.
    #[serde(with = "time::serde::rfc3339")]
    pub to: OffsetDateTime,
    /// Releases created in it.
    pub releases: u64,
    /// Of those certified at least once, the share whose first certification passed.
    pub first_attempt_pass_rate: Option<f64>,
    /// The mean share of required evidence kinds its releases hold.
    pub evidence_completeness: Option<f64>,
    /// Median days from first seen to fixed, over findings fixed in it.
    pub time_to_fix_days: Option<f64>,
    /// Findings fixed in it.
    pub findings_fixed: u64,
    /// Approved exceptions in force at its end (or now, for the current month).
    pub exceptions_open: u64,
}

/// The first instant of the month of `at`.
fn month_of(at: OffsetDateTime) -> OffsetDateTime {
    at.replace_day(1).map_or(at, |day| day.date().midnight().assume_utc())
}

/// The first instant of the month after the one starting at `start`.
fn next_month(start: OffsetDateTime) -> OffsetDateTime {
    let (year, month) = match start.month() {
        time::Month::December => (start.year() + 1, time::Month::January),
        month => (start.year(), month.next()),
    };
    time::Date::from_calendar_date(year, month, 1).map_or(start, |date| date.midnight().assume_utc())
}

/// The months of `[from, to)`, at most [`MAX_MONTHS`] (the latest).
fn months(from: OffsetDateTime, to: OffsetDateTime) -> Vec<(OffsetDateTime, OffsetDateTime)> {
    let mut cuts = Vec::new();
    let mut start = month_of(from);
    while start < to {
        let end = next_month(start);
        if end <= start {
            break;
        }
        cuts.push((start, end));
        start = end;
    }
    let skip = cuts.len().saturating_sub(MAX_MONTHS);
    cuts.into_iter().skip(skip).collect()
}

/// The metrics of one project (every project when `None`) month by month over
/// `[from, to)`.
///
/// # Errors
/// A store failure, or a policy or catalog that does not load.
pub async fn trend(
    signoff: &Signoff,
    project: Option<&ProjectName>,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Trend, AppError> {
    trend_of(signoff, project, from, to, true).await
}

/// [`trend`], with the findings fixed (and their time to fix) only when
/// `count_fixes`: finding them groups every project's finding history, the
/// costly part of an every-project trend; without, each month's
/// `time_to_fix_days` is `None` and `findings_fixed` 0.
///
/// # Errors
/// As [`trend`].
pub async fn trend_of(
    signoff: &Signoff,
    project: Option<&ProjectName>,
    from: OffsetDateTime,
    to: OffsetDateTime,
    count_fixes: bool,
) -> Result<Trend, AppError> {
    let cuts = months(from, to);
    let (Some(first), Some(last)) = (cuts.first(), cuts.last()) else {
        return Ok(Trend { project: project.cloned(), months: Vec::new() });
    };
    let (start, end) = (rfc3339(first.0), rfc3339(last.1));
    let name = project.map(ProjectName::as_str);
    let required = required_kinds(signoff).await?;
    let kinds: Vec<&str> = required.iter().map(|kind| kind.as_str()).collect();
    // Per release, read at once for the whole period: did its first certificate
    // pass (the first attempt), and how many required kinds does it hold.
    let metrics = async {
        let releases = signoff.store.release_metrics_between(name, Some(start.as_str()), Some(end.as_str()), &kinds);
        releases.await.map_err(AppError::from)
    };
    // One project's fixes are read at the same time as its releases (two of
    // the pool's connections); every project's wait for the projects found.
    let (releases, mut read_ahead) = match project {
        Some(project) if count_fixes => {
            let (releases, fixed) = tokio::try_join!(metrics, fixed_between(signoff, project, first.0, last.1))?;
            (releases, Some((project, fixed)))
        }
        _ => (metrics.await?, None),
    };
    let mut per_release = Vec::with_capacity(releases.len());
    let mut projects: Vec<ProjectName> = Vec::new();
    for release in &releases {
        let first = release.first_decision.as_deref().map(|decision| decision == Decision::Certified.as_str());
        let share = (!required.is_empty()).then(|| release.kinds_held as f64 / required.len() as f64);
        per_release.push((release.created_at, first, share));
        if count_fixes && !projects.iter().any(|known| known.as_str() == release.project) {
            projects.push(release.project.parse::<ProjectName>().map_err(|error| {
                AppError::Inconsistent(format!("release {}@{}: {error}", release.project, release.version))
            })?);
        }
    }
    let mut fixes = Vec::new();
    for project in &projects {
        let views = match read_ahead.take() {
            Some((read, views)) if read == project => views,
            _ => fixed_between(signoff, project, first.0, last.1).await?,
        };
        for view in views {
            if let Some(fixed) = &view.fixed_in {
                fixes.push((
                    fixed.captured_at,
                    (fixed.captured_at - view.first_seen.captured_at).as_seconds_f64() / 86_400.0,
                ));
            }
        }
    }
    let views: Vec<_> = exceptions(signoff)
        .await?
        .into_iter()
        .filter(|view| project.is_none_or(|project| view.covers(project)))
        .collect();
    let now = crate::ledger::now();
    let mut months = Vec::new();
    for (from, to) in cuts {
        let inside = |at: OffsetDateTime| at >= from && at < to;
        let mine: Vec<_> = per_release.iter().filter(|(at, _, _)| inside(*at)).collect();
        let decided: Vec<bool> = mine.iter().filter_map(|(_, first, _)| *first).collect();
        let shares: Vec<f64> = mine.iter().filter_map(|(_, _, share)| *share).collect();
        let mut days: Vec<f64> = fixes.iter().filter(|(at, _)| inside(*at)).map(|(_, days)| *days).collect();
        days.sort_by(f64::total_cmp);
        let end = to.min(now);
        let open = views
            .iter()
            .filter(|view| view.approved_at.is_some_and(|at| at < end) && view.record.expires_at > end)
            .count();
        months.push(Month {
            month: format!("{}-{:02}", from.year(), u8::from(from.month())),
            from,
            to,
            releases: mine.len() as u64,
            first_attempt_pass_rate: (!decided.is_empty())
                .then(|| decided.iter().filter(|passed| **passed).count() as f64 / decided.len() as f64),
            evidence_completeness: (!shares.is_empty()).then(|| shares.iter().sum::<f64>() / shares.len() as f64),
            time_to_fix_days: percentile(&days, 0.5),
            findings_fixed: days.len() as u64,
            exceptions_open: open as u64,
        });
    }
    Ok(Trend { project: project.cloned(), months })
}

/// The period the dashboard draws by default: the last `months` calendar months,
/// this one included.
pub fn last_months(now: OffsetDateTime, months: u8) -> Period {
    let mut from = month_of(now);
    for _ in 1..months.max(1) {
        let previous = from - time::Duration::days(1);
        from = month_of(previous);
    }
    Period { from: Some(from), to: Some(next_month(month_of(now))) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_calendar_months_across_a_year_end() {
        let from = time::macros::datetime!(2025-11-17 10:00 UTC);
        let to = time::macros::datetime!(2026-02-01 00:00 UTC);
        let cut: Vec<String> = months(from, to).iter().map(|(start, _)| start.date().to_string()).collect();
        assert_eq!(cut, ["2025-11-01", "2025-12-01", "2026-01-01"]);
        let period = last_months(time::macros::datetime!(2026-01-15 08:00 UTC), 3);
        assert_eq!(period.from, Some(time::macros::datetime!(2025-11-01 00:00 UTC)));
        assert_eq!(period.to, Some(time::macros::datetime!(2026-02-01 00:00 UTC)));
    }
}
