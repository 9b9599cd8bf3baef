//! The metrics page (I1): first-attempt pass rate, evidence completeness, time to
//! fix and exceptions open, month by month, as server-drawn SVG (the period
//! report's charts, `signoff_report::chart`): readable printed and without
//! JavaScript. The data is `GET /api/v1/insights/trend`'s.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use minijinja::value::{Serde, Value};
use serde::Deserialize;
use signoff_app::insights::{Month, Trend};
use signoff_app::request::Period;
use signoff_report::chart::{self, Line, Unit};
use signoff_report::model::RatePoint;

use super::pages::{app_error, bad_request, common, read_project};
use super::session::Viewer;
use crate::AppState;

/// Months drawn unless the filter says.
pub(crate) const DEFAULT_MONTHS: u8 = 6;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct MetricsParams {
    project: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// The period asked for, or the last six months.
pub(crate) fn period(
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(time::OffsetDateTime, time::OffsetDateTime), String> {
    let blank = |text: Option<&str>| text.map(str::trim).filter(|text| !text.is_empty()).map(str::to_owned);
    let (from, to) = (blank(from), blank(to));
    let asked = Period::parse(from.as_deref(), to.as_deref()).map_err(|error| error.to_string())?;
    let now = time::OffsetDateTime::now_utc();
    let default = signoff_app::insights::last_months(now, DEFAULT_MONTHS);
    let end = asked.to.or(default.to).unwrap_or(now);
    let start = asked.from.unwrap_or_else(|| {
        signoff_app::insights::last_months(end - time::Duration::SECOND, DEFAULT_MONTHS).from.unwrap_or(end)
    });
    if start >= end {
        return Err("the period is empty: from must come before to".to_owned());
    }
    Ok((start, end))
}

fn points(months: &[Month], value: impl Fn(&Month) -> Option<f64>) -> Vec<RatePoint> {
    months.iter().filter_map(|month| Some(RatePoint { date: month.month.clone(), rate: value(month)? })).collect()
}

/// The four charts of a trend, as SVG.
fn charts(trend: &Trend, fixes: bool) -> Vec<Value> {
    let months = &trend.months;
    let specs: [(Line<'_>, Vec<RatePoint>); 4] = [
        (
            Line {
                title: "First-attempt certification pass rate by month",
                class: "chart-pass-rate",
                empty: "No certifications in this period",
                axis: "pass rate",
                unit: Unit::Share,
            },
            points(months, |month| month.first_attempt_pass_rate),
        ),
        (
            Line {
                title: "Evidence completeness by month (mean share of required kinds)",
                class: "chart-completeness",
                empty: "No releases in this period",
                axis: "completeness",
                unit: Unit::Share,
            },
            points(months, |month| month.evidence_completeness),
        ),
        (
            Line {
                title: "Finding time to fix by month (median days, findings fixed that month)",
                class: "chart-time-to-fix",
                empty: "No finding was fixed in this period",
                axis: "days",
                unit: Unit::Amount("days"),
            },
            points(months, |month| month.time_to_fix_days),
        ),
        (
            Line {
                title: "Exceptions open at each month's end",
                class: "chart-exceptions",
                empty: "No months in this period",
                axis: "exceptions",
                unit: Unit::Amount("open"),
            },
            points(months, |month| Some(month.exceptions_open as f64)),
        ),
    ];
    specs
        .iter()
        .filter(|(spec, _)| fixes || spec.class != "chart-time-to-fix")
        .map(|(spec, points)| {
            context! { title => spec.title, svg => Value::from_safe_string(chart::line(spec, points)) }
        })
        .collect()
}

/// `GET /ui/metrics`: the metrics month by month (as `GET /api/v1/insights/trend`).
pub(crate) async fn metrics(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<MetricsParams>,
) -> Response {
    let project = match read_project(&state, &viewer, params.project.as_deref()).await {
        Ok(project) => project,
        Err(page) => return page,
    };
    let (from, to) = match period(params.from.as_deref(), params.to.as_deref()) {
        Ok(period) => period,
        Err(error) => return bad_request(&state, &viewer, error),
    };
    // Time to fix groups each project's finding history: one project's at a
    // time (the page asks for a project to show it).
    let fixes = project.is_some();
    let trend = match signoff_app::insights::trend_of(state.signoff(), project.as_ref(), from, to, fixes).await {
        Ok(trend) => trend,
        Err(error) => return app_error(&state, &viewer, error),
    };
    let filters = context! {
        project => project.as_ref().map(ToString::to_string).unwrap_or_default(),
        from => from.date().to_string(),
        to => (to - time::Duration::days(1)).date().to_string(),
    };
    let base = common(&viewer, "metrics");
    state.dashboard().page(
        StatusCode::OK,
        "metrics.html",
        context! { trend => Value::from(Serde(&trend)), charts => charts(&trend, fixes), fixes => fixes, filters => filters, ..base },
    )
}
