//! The controls pages (E2): a grid of each framework's controls by month, as
//! `GET /api/v1/controls/coverage?from=&to=`, each cell linking to one
//! control's month — the evidence behind it, linked to the release and the raw
//! bytes, and what is missing.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use minijinja::value::{Serde, Value};
use serde::{Deserialize, Serialize};
use signoff_app::audit::CoverageScope;
use signoff_app::request::Period;
use signoff_controls::coverage::{EvidenceRef, Source};
use time::OffsetDateTime;

use super::pages::{app_error, bad_request, common, not_found, read_project};
use super::session::Viewer;
use crate::AppState;

/// Months the grid shows, the current one last.
const MONTHS: u8 = 3;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ControlsParams {
    project: Option<String>,
}

#[derive(Serialize)]
struct Cell {
    status: signoff_controls::Status,
    /// How many pieces of evidence stand behind it.
    evidence: usize,
    /// The month, `YYYY-MM`: the drill-down's period.
    period: String,
}

#[derive(Serialize)]
struct Row {
    id: String,
    title: String,
    cells: Vec<Cell>,
}

#[derive(Serialize)]
struct Framework {
    framework: String,
    name: String,
    rows: Vec<Row>,
}

/// The first instant of the month `back` months before `now`'s.
fn month_start(now: OffsetDateTime, back: u8) -> OffsetDateTime {
    let mut year = now.year();
    let mut month = u8::from(now.month());
    for _ in 0..back {
        if month == 1 {
            month = 12;
            year -= 1;
        } else {
            month -= 1;
        }
    }
    let month = time::Month::try_from(month).unwrap_or(time::Month::January);
    time::Date::from_calendar_date(year, month, 1).map_or(now, |date| date.midnight().assume_utc())
}

fn month_name(start: OffsetDateTime) -> String {
    format!("{}-{:02}", start.year(), u8::from(start.month()))
}

/// The month `YYYY-MM` names: its first instant and the next month's.
fn month(text: &str) -> Option<(OffsetDateTime, OffsetDateTime)> {
    let (year, month) = text.split_once('-')?;
    let (year, month): (i32, u8) = (year.parse().ok()?, month.parse().ok()?);
    let from = time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, 1).ok()?;
    let next = if month == 12 {
        time::Date::from_calendar_date(year + 1, time::Month::January, 1)
    } else {
        time::Date::from_calendar_date(year, time::Month::try_from(month + 1).ok()?, 1)
    };
    Some((from.midnight().assume_utc(), next.ok()?.midnight().assume_utc()))
}

/// `GET /ui/controls`: control coverage per framework, one column per month
/// (the last three), as `GET /api/v1/controls/coverage?from=&to=`.
pub(crate) async fn controls(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ControlsParams>,
) -> Response {
    let project = match read_project(&state, &viewer, query.project.as_deref()).await {
        Ok(project) => project,
        Err(page) => return page,
    };
    let now = OffsetDateTime::now_utc();
    let mut periods = Vec::new();
    let mut frameworks: Vec<Framework> = Vec::new();
    for back in (0..MONTHS).rev() {
        let from = month_start(now, back);
        let to = if back == 0 { None } else { Some(month_start(now, back - 1)) };
        let period = month_name(from);
        periods.push(period.clone());
        let scope = CoverageScope { release: None, period: Period { from: Some(from), to }, project: project.clone() };
        let coverage = match signoff_app::audit::coverage(state.signoff(), &[], &scope).await {
            Ok(coverage) => coverage,
            Err(error) => return app_error(&state, &viewer, error),
        };
        for framework in coverage {
            let index = match frameworks.iter().position(|known| known.framework == framework.framework) {
                Some(index) => index,
                None => {
                    frameworks.push(Framework {
                        framework: framework.framework.clone(),
                        name: framework.name.clone(),
                        rows: Vec::new(),
                    });
                    frameworks.len() - 1
                }
            };
            let rows = &mut frameworks[index].rows;
            for control in framework.controls {
                let cell = Cell { status: control.status, evidence: control.evidence.len(), period: period.clone() };
                match rows.iter_mut().find(|row| row.id == control.id) {
                    Some(row) => row.cells.push(cell),
                    None => rows.push(Row { id: control.id, title: control.title, cells: vec![cell] }),
                }
            }
        }
    }
    let base = common(&viewer, "controls");
    let filters = context! { project => project.map(|project| project.to_string()).unwrap_or_default() };
    state.dashboard().page(
        StatusCode::OK,
        "controls.html",
        context! { frameworks => Value::from(Serde(&frameworks)), periods => periods, filters => filters, ..base },
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct ControlPath {
    framework: String,
    control: String,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ControlParams {
    project: Option<String>,
    period: Option<String>,
}

/// `GET /ui/controls/{framework}/{control}?period=YYYY-MM`: one control in one
/// month — its status, the evidence behind it (each linked to its release and,
/// for captured files, to the raw bytes) and its gaps with what to do.
pub(crate) async fn control(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(path): Path<ControlPath>,
    Query(query): Query<ControlParams>,
) -> Response {
    let project = match read_project(&state, &viewer, query.project.as_deref()).await {
        Ok(project) => project,
        Err(page) => return page,
    };
    let period = query.period.unwrap_or_else(|| month_name(month_start(OffsetDateTime::now_utc(), 0)));
    let Some((from, to)) = month(&period) else {
        return bad_request(&state, &viewer, format!("period {period:?}: expected a month, YYYY-MM"));
    };
    let scope =
        CoverageScope { release: None, period: Period { from: Some(from), to: Some(to) }, project: project.clone() };
    let coverage =
        match signoff_app::audit::coverage(state.signoff(), std::slice::from_ref(&path.framework), &scope).await {
            Ok(coverage) => coverage,
            Err(error) => return app_error(&state, &viewer, error),
        };
    let found = coverage.iter().find_map(|framework| {
        let control = framework.controls.iter().find(|control| control.id == path.control)?;
        Some((framework, control))
    });
    let Some((framework, control)) = found else {
        return not_found(&state, &viewer, format!("no control {} in framework {}", path.control, path.framework));
    };
    let items: Vec<Item<'_>> = control.evidence.iter().map(Item::of).collect();
    let base = common(&viewer, "controls");
    state.dashboard().page(
        StatusCode::OK,
        "control.html",
        context! {
            framework => Value::from(Serde(&framework.framework)),
            framework_name => Value::from(Serde(&framework.name)),
            control => Value::from(Serde(control)),
            items => Value::from(Serde(&items)),
            period => period,
            from => from.date().to_string(),
            to => to.date().to_string(),
            project => project.map(|project| project.to_string()).unwrap_or_default(),
            ..base
        },
    )
}

/// One piece of evidence behind a control, with the release it belongs to
/// (the page links to it and, for a captured file, to its raw bytes).
#[derive(Serialize)]
struct Item<'a> {
    reference: &'a EvidenceRef,
    project: Option<&'a str>,
    version: Option<&'a str>,
    captured: bool,
}

impl<'a> Item<'a> {
    fn of(reference: &'a EvidenceRef) -> Item<'a> {
        let release = reference.release.as_deref().and_then(|release| release.split_once('@'));
        Item {
            reference,
            project: release.map(|(project, _)| project),
            version: release.map(|(_, version)| version),
            captured: reference.source == Source::Captured,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_is_its_first_instant_to_the_next_months() {
        let (from, to) = month("2026-12").unwrap();
        assert_eq!((from.year(), u8::from(from.month()), from.day()), (2026, 12, 1));
        assert_eq!((to.year(), u8::from(to.month()), to.day()), (2027, 1, 1));
        assert_eq!(month_name(from), "2026-12");
        for bad in ["2026", "2026-13", "2026-00", "x-01", ""] {
            assert!(month(bad).is_none(), "{bad}");
        }
        let march = time::macros::datetime!(2026-03-15 10:00 UTC);
        assert_eq!(month_name(month_start(march, 3)), "2025-12");
    }
}
