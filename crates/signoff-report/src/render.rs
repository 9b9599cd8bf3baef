//! Rendering: minijinja templates (embedded with `include_str!`, HTML autoescaped)
//! fed with the report data, a few figures computed here, and the SVG charts.
//!
//! The output depends only on the input: no clock, no random ids, no map with an
//! unstable order. The same report renders to the same bytes.

use minijinja::value::{Serde, Value};
use minijinja::{Environment, HtmlEscape, UndefinedBehavior, context};
use serde::Serialize;

use crate::chart;
use crate::error::ReportError;
use crate::model::{ControlStatus, Decision, FrameworkCoverage, GapReason, PeriodReport, TraceReport};

/// The built-in templates: (name, source). A name ending in `.html.j2` is
/// autoescaped for HTML.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("report.css", include_str!("../templates/report.css")),
    ("macros.html.j2", include_str!("../templates/macros.html.j2")),
    ("period.html.j2", include_str!("../templates/period.html.j2")),
    ("trace.html.j2", include_str!("../templates/trace.html.j2")),
];

/// The template a period report renders with.
pub const PERIOD_TEMPLATE: &str = "period.html.j2";
/// The template a release trace renders with.
pub const TRACE_TEMPLATE: &str = "trace.html.j2";

/// Renders reports. Holds the compiled templates; build it once and reuse it.
#[derive(Debug)]
pub struct Renderer {
    env: Environment<'static>,
}

impl Renderer {
    /// A renderer with the built-in templates.
    ///
    /// # Errors
    ///
    /// [`ReportError::Template`] if a built-in template does not compile (the tests
    /// compile them all, so it does not).
    pub fn new() -> Result<Renderer, ReportError> {
        let mut env = Environment::new();
        // A misspelt field in a template is an error, not an empty cell.
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.add_filter("pct", pct);
        env.add_filter("days", days);
        env.add_filter("short", short);
        env.add_filter("when", when);
        env.add_filter("num", num);
        env.add_filter("date", date);
        env.add_filter("ticks", ticks);
        for (name, source) in TEMPLATES {
            env.add_template(name, source).map_err(|error| ReportError::template(name, error))?;
        }
        Ok(Renderer { env })
    }

    /// Replaces a built-in template (or adds one a replacement includes), so an
    /// organisation can restyle reports without rebuilding signoff. The caller reads
    /// the file; this crate does no I/O.
    ///
    /// # Errors
    ///
    /// [`ReportError::Template`] if it does not compile.
    pub fn set_template(&mut self, name: &str, source: String) -> Result<(), ReportError> {
        self.env.add_template_owned(name.to_owned(), source).map_err(|error| ReportError::template(name, error))
    }

    /// A period report as one self-contained HTML page.
    ///
    /// # Errors
    ///
    /// [`ReportError::Template`] if the template fails (only a replaced one can).
    pub fn period_html(&self, report: &PeriodReport) -> Result<String, ReportError> {
        let charts = context! {
            pass_rate => Value::from_safe_string(chart::pass_rate(&report.series.pass_rate)),
            findings => Value::from_safe_string(chart::findings(&report.series.findings)),
            coverage => Value::from_safe_string(chart::coverage(&report.coverage)),
        };
        self.render(
            PERIOD_TEMPLATE,
            context! {
                report => Serde(report),
                figures => Serde(PeriodFigures::of(report)),
                coverage => Serde(coverage_view(&report.coverage)),
                hints => Serde(gap_hints(&report.coverage)),
                charts,
            },
        )
    }

    /// A release trace as one self-contained HTML page.
    ///
    /// # Errors
    ///
    /// [`ReportError::Template`] if the template fails (only a replaced one can).
    pub fn trace_html(&self, report: &TraceReport) -> Result<String, ReportError> {
        let charts = context! {
            coverage => Value::from_safe_string(chart::coverage(&report.controls)),
        };
        self.render(
            TRACE_TEMPLATE,
            context! {
                report => Serde(report),
                figures => Serde(TraceFigures::of(report)),
                coverage => Serde(coverage_view(&report.controls)),
                hints => Serde(gap_hints(&report.controls)),
                charts,
            },
        )
    }

    fn render(&self, name: &str, context: Value) -> Result<String, ReportError> {
        self.env
            .get_template(name)
            .and_then(|template| template.render(context))
            .map_err(|error| ReportError::template(name, error))
    }
}

/// Renders a period report with the built-in templates.
///
/// # Errors
///
/// See [`Renderer::period_html`].
pub fn render_period_html(report: &PeriodReport) -> Result<String, ReportError> {
    Renderer::new()?.period_html(report)
}

/// Renders a release trace with the built-in templates.
///
/// # Errors
///
/// See [`Renderer::trace_html`].
pub fn render_trace_html(report: &TraceReport) -> Result<String, ReportError> {
    Renderer::new()?.trace_html(report)
}

/// A framework's coverage as the tables show it: each control's evidence grouped
/// by type, its gaps as short labels (the hints are listed once, in [`gap_hints`]).
#[derive(Debug, Serialize)]
struct FrameworkView<'a> {
    framework: &'a str,
    name: &'a str,
    satisfied: u64,
    partial: u64,
    missing: u64,
    controls: Vec<ControlView<'a>>,
}

#[derive(Debug, Serialize)]
struct ControlView<'a> {
    id: &'a str,
    title: &'a str,
    status: ControlStatus,
    evidence: Vec<KindView<'a>>,
    missing: Vec<&'a str>,
    failing: Vec<&'a str>,
    outside_pipeline: bool,
}

/// The evidence of one type behind a control.
#[derive(Debug, Serialize)]
struct KindView<'a> {
    kind: &'a str,
    /// How many pieces of evidence.
    count: usize,
    /// Their tools, deduplicated, in order.
    tools: Vec<&'a str>,
    /// Their references (digests, record ids), in order.
    references: Vec<&'a str>,
}

fn coverage_view(frameworks: &[FrameworkCoverage]) -> Vec<FrameworkView<'_>> {
    frameworks
        .iter()
        .map(|framework| FrameworkView {
            framework: &framework.framework,
            name: &framework.name,
            satisfied: framework.satisfied,
            partial: framework.partial,
            missing: framework.missing,
            controls: framework
                .controls
                .iter()
                .map(|control| {
                    let mut evidence: Vec<KindView<'_>> = Vec::new();
                    for item in &control.evidence {
                        let index = match evidence.iter().position(|view| view.kind == item.kind) {
                            Some(index) => index,
                            None => {
                                evidence.push(KindView {
                                    kind: &item.kind,
                                    count: 0,
                                    tools: Vec::new(),
                                    references: Vec::new(),
                                });
                                evidence.len() - 1
                            }
                        };
                        let view = &mut evidence[index];
                        view.count += 1;
                        view.references.push(&item.reference);
                        if let Some(tool) = item.tool.as_deref()
                            && !view.tools.contains(&tool)
                        {
                            view.tools.push(tool);
                        }
                    }
                    let kinds = |reason: GapReason| {
                        control
                            .gaps
                            .iter()
                            .filter(|gap| gap.reason == reason)
                            .filter_map(|gap| gap.kind.as_deref())
                            .collect::<Vec<_>>()
                    };
                    ControlView {
                        id: &control.id,
                        title: &control.title,
                        status: control.status,
                        evidence,
                        missing: kinds(GapReason::Missing),
                        failing: kinds(GapReason::Failing),
                        outside_pipeline: control.gaps.iter().any(|gap| gap.reason == GapReason::OutsidePipeline),
                    }
                })
                .collect(),
        })
        .collect()
}

/// One way to close gaps, with the controls it would help.
#[derive(Debug, Serialize)]
struct HintView<'a> {
    kind: Option<&'a str>,
    reason: GapReason,
    hint: &'a str,
    /// `framework control`, in report order.
    controls: Vec<String>,
}

/// Every distinct gap of the coverage (by evidence type and reason), once, with
/// its hint and the controls it affects; those affecting most controls first.
fn gap_hints(frameworks: &[FrameworkCoverage]) -> Vec<HintView<'_>> {
    let mut hints: Vec<HintView<'_>> = Vec::new();
    for framework in frameworks {
        for control in &framework.controls {
            for gap in &control.gaps {
                let label = format!("{} {}", framework.framework, control.id);
                match hints.iter_mut().find(|hint| hint.kind == gap.kind.as_deref() && hint.reason == gap.reason) {
                    Some(hint) => hint.controls.push(label),
                    None => hints.push(HintView {
                        kind: gap.kind.as_deref(),
                        reason: gap.reason,
                        hint: &gap.hint,
                        controls: vec![label],
                    }),
                }
            }
        }
    }
    // Stable: ties keep their first-seen order.
    hints.sort_by(|left, right| {
        (left.reason == GapReason::OutsidePipeline)
            .cmp(&(right.reason == GapReason::OutsidePipeline))
            .then(right.controls.len().cmp(&left.controls.len()))
    });
    hints
}

/// The key figures at the top of a period report.
#[derive(Debug, Serialize)]
struct PeriodFigures {
    releases: usize,
    certified: usize,
    rejected: usize,
    not_certified: usize,
    controls: u64,
    controls_satisfied: u64,
    controls_partial: u64,
    controls_missing: u64,
    findings: u64,
    critical_high: u64,
    deployed: usize,
    deployed_uncertified: usize,
    pass_rate_points: usize,
}

impl PeriodFigures {
    fn of(report: &PeriodReport) -> PeriodFigures {
        let decided =
            |decision: Decision| report.releases.iter().filter(|release| release.decision == decision).count();
        let deployed: Vec<_> = report.releases.iter().filter(|release| !release.deployed_to.is_empty()).collect();
        let satisfied: u64 = report.coverage.iter().map(|framework| framework.satisfied).sum();
        let partial: u64 = report.coverage.iter().map(|framework| framework.partial).sum();
        let missing: u64 = report.coverage.iter().map(|framework| framework.missing).sum();
        PeriodFigures {
            releases: report.releases.len(),
            certified: decided(Decision::Certified),
            rejected: decided(Decision::Rejected),
            not_certified: decided(Decision::NotCertified),
            controls: satisfied + partial + missing,
            controls_satisfied: satisfied,
            controls_partial: partial,
            controls_missing: missing,
            findings: report.releases.iter().map(|release| release.findings.total()).sum(),
            critical_high: report
                .releases
                .iter()
                .map(|release| release.findings.critical + release.findings.high)
                .sum(),
            deployed: deployed.len(),
            deployed_uncertified: deployed.iter().filter(|release| release.decision != Decision::Certified).count(),
            pass_rate_points: report.series.pass_rate.len(),
        }
    }
}

/// The key figures at the top of a release trace.
#[derive(Debug, Serialize)]
struct TraceFigures {
    changes: usize,
    reviewed: usize,
    unreviewed: usize,
    signed: usize,
    agent_changes: usize,
    findings: u64,
    critical_high: u64,
    tests_passed: u64,
    tests_failed: u64,
    tests_total: u64,
    line_rate: Option<f64>,
    criteria: usize,
    criteria_passed: usize,
    criteria_failed: usize,
    criteria_waived: usize,
}

impl TraceFigures {
    fn of(report: &TraceReport) -> TraceFigures {
        use crate::model::CriterionStatus;
        use signoff_core::records::ActorKind;
        let reviewed = report
            .changes
            .iter()
            .filter(|change| change.reviewers.iter().any(|reviewer| reviewer.state == "approved"))
            .count();
        let criteria = report.certificate.as_ref().map(|certificate| certificate.criteria.as_slice()).unwrap_or(&[]);
        let with_status =
            |status: CriterionStatus| criteria.iter().filter(|criterion| criterion.status == status).count();
        let tests_passed = report.tests.iter().map(|run| run.counts.passed).sum();
        let tests_failed = report.tests.iter().map(|run| run.counts.failed).sum();
        let skipped: u64 = report.tests.iter().map(|run| run.counts.skipped).sum();
        TraceFigures {
            changes: report.changes.len(),
            reviewed,
            unreviewed: report.changes.len() - reviewed,
            signed: report.changes.iter().filter(|change| change.signature == "verified").count(),
            agent_changes: report
                .changes
                .iter()
                .filter(|change| {
                    change.author.kind == ActorKind::AiAgent
                        || change.co_authors.iter().any(|actor| actor.kind == ActorKind::AiAgent)
                })
                .count(),
            findings: report.scans.iter().map(|scan| scan.summary.total()).sum(),
            critical_high: report.scans.iter().map(|scan| scan.summary.critical + scan.summary.high).sum(),
            tests_passed,
            tests_failed,
            tests_total: tests_passed + tests_failed + skipped,
            line_rate: report.coverage.iter().find_map(|run| run.line_rate),
            criteria: criteria.len(),
            criteria_passed: with_status(CriterionStatus::Pass),
            criteria_failed: with_status(CriterionStatus::Fail),
            criteria_waived: with_status(CriterionStatus::Waived),
        }
    }
}

/// `0.875` → `88 %`; `pct(1)` → `87.5 %`; none → `—`.
fn pct(value: Value, digits: Option<u32>) -> String {
    match f64::try_from(value.clone()).ok().filter(|rate| rate.is_finite()) {
        Some(rate) if !value.is_none() => {
            let digits = digits.unwrap_or(0).min(3) as usize;
            format!("{:.digits$} %", rate * 100.0)
        }
        _ => "—".to_owned(),
    }
}

/// `4.5` → `4.5 days`; none → `—`.
fn days(value: Value) -> String {
    match f64::try_from(value.clone()).ok().filter(|days| days.is_finite()) {
        Some(days) if !value.is_none() => {
            let unit = if (days - 1.0).abs() < f64::EPSILON { "day" } else { "days" };
            format!("{days:.1} {unit}")
        }
        _ => "—".to_owned(),
    }
}

/// Shortens a digest (`sha256:<hex>`) or a commit id (hex) for a table cell to
/// its first `length` (default 12) hex digits and `…`; anything else (a record id,
/// a sentence) is left whole. The full value is printed elsewhere.
fn short(value: String, length: Option<usize>) -> String {
    let length = length.unwrap_or(12);
    let (prefix, hex) = match value.split_once(':') {
        Some((algorithm, hex)) if !algorithm.is_empty() && algorithm.len() <= 8 => (&value[..=algorithm.len()], hex),
        _ => ("", value.as_str()),
    };
    let is_hex = hex.len() > length && hex.chars().all(|c| c.is_ascii_hexdigit());
    if is_hex { format!("{prefix}{}…", &hex[..length]) } else { value }
}

/// An RFC 3339 time for people: `2026-07-03T09:14:03Z` → `2026-07-03 09:14 UTC`,
/// an offset kept as written; anything else unchanged.
fn when(value: String) -> String {
    let bytes = value.as_bytes();
    let looks_like_time = bytes.len() >= 16
        && bytes.get(4) == Some(&b'-')
        && bytes.get(10).is_some_and(|&b| b == b'T' || b == b't' || b == b' ')
        && bytes.get(13) == Some(&b':');
    if !looks_like_time {
        return value;
    }
    let (date, time) = (&value[..10], &value[11..16]);
    let zone = value[16..].trim_start_matches(|c: char| c == ':' || c == '.' || c.is_ascii_digit());
    let zone = match zone {
        "Z" | "z" | "+00:00" => " UTC".to_owned(),
        "" => String::new(),
        other => format!(" {other}"),
    };
    format!("{date} {time}{zone}")
}

/// The date of an RFC 3339 time: `2026-07-03T09:14:03Z` → `2026-07-03`.
fn date(value: String) -> String {
    let bytes = value.as_bytes();
    if bytes.len() > 10 && bytes.get(4) == Some(&b'-') && bytes.get(7) == Some(&b'-') && value.is_char_boundary(10) {
        value[..10].to_owned()
    } else {
        value
    }
}

/// Escapes text for HTML (minijinja's escaping, as the templates') and sets `` `code` `` spans (as the policy's fix lines and
/// the coverage hints write commands) in `<code>`.
fn ticks(value: String) -> Value {
    let mut out = String::with_capacity(value.len() + 16);
    let mut parts = value.split('`').peekable();
    let mut inside = false;
    while let Some(part) = parts.next() {
        if inside && parts.peek().is_some() {
            out.push_str("<code>");
            out.push_str(&HtmlEscape(part).to_string());
            out.push_str("</code>");
        } else if inside {
            // An unpaired backtick: print it as written.
            out.push('`');
            out.push_str(&HtmlEscape(part).to_string());
        } else {
            out.push_str(&HtmlEscape(part).to_string());
        }
        inside = !inside;
    }
    Value::from_safe_string(out)
}

/// `1234567` → `1,234,567`.
fn num(value: Value) -> String {
    match u64::try_from(value.clone()) {
        Ok(number) => {
            let digits = number.to_string();
            let mut out = String::with_capacity(digits.len() + digits.len() / 3);
            for (index, digit) in digits.chars().enumerate() {
                if index > 0 && (digits.len() - index) % 3 == 0 {
                    out.push(',');
                }
                out.push(digit);
            }
            out
        }
        Err(_) if value.is_none() || value.is_undefined() => "—".to_owned(),
        Err(_) => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        assert_eq!(pct(Value::from(0.875), None), "88 %");
        assert_eq!(pct(Value::from(0.875), Some(1)), "87.5 %");
        assert_eq!(pct(Value::from(()), None), "—");
        assert_eq!(pct(Value::from(f64::NAN), None), "—");
        assert_eq!(days(Value::from(4.25)), "4.2 days");
        assert_eq!(days(Value::from(1.0)), "1.0 day");
        assert_eq!(days(Value::from(())), "—");
        assert_eq!(short(format!("sha256:{}", "ab".repeat(32)), None), "sha256:abababababab…");
        assert_eq!(short("9f1c2e7d4b5a69788".into(), Some(10)), "9f1c2e7d4b…");
        assert_eq!(short("9f1c".into(), Some(10)), "9f1c");
        assert_eq!(short("PR #318 approved by bob".into(), Some(8)), "PR #318 approved by bob");
        assert_eq!(short("EXC-3".into(), Some(2)), "EXC-3");
        assert_eq!(when("2026-07-03T09:14:03Z".into()), "2026-07-03 09:14 UTC");
        assert_eq!(when("2026-07-03T09:14:03.123+02:00".into()), "2026-07-03 09:14 +02:00");
        assert_eq!(when("2026-07-03".into()), "2026-07-03");
        assert_eq!(when("last week".into()), "last week");
        assert_eq!(num(Value::from(1_234_567u64)), "1,234,567");
        assert_eq!(num(Value::from(999u64)), "999");
        assert_eq!(num(Value::from(0u64)), "0");
        assert_eq!(date("2026-07-03T09:14:03Z".into()), "2026-07-03");
        assert_eq!(date("soon".into()), "soon");
        assert_eq!(
            ticks("run `a <b>` then `c`".into()).to_string(),
            "run <code>a &lt;b&gt;</code> then <code>c</code>"
        );
        assert_eq!(ticks("odd ` tick".into()).to_string(), "odd ` tick");
        assert_eq!(ticks("<i>".into()).to_string(), "&lt;i&gt;");
    }

    #[test]
    fn built_in_templates_compile() {
        Renderer::new().unwrap();
    }

    #[test]
    fn replaced_templates_are_used_and_checked() {
        let mut renderer = Renderer::new().unwrap();
        let error = renderer.set_template(TRACE_TEMPLATE, "{% if %}".to_owned()).unwrap_err();
        assert!(error.to_string().starts_with("template trace.html.j2: line 1: syntax error"), "{error}");
        renderer.set_template(TRACE_TEMPLATE, "<p>{{ report.release.project }}</p>".to_owned()).unwrap();
        let report: TraceReport = serde_json::from_str(include_str!("../tests/data/trace.json")).unwrap();
        assert_eq!(renderer.trace_html(&report).unwrap(), "<p>payments-api</p>");
        // Escaped, since the name ends in .html.j2.
        renderer.set_template(TRACE_TEMPLATE, "{{ '<b>' }}".to_owned()).unwrap();
        assert_eq!(renderer.trace_html(&report).unwrap(), "&lt;b&gt;");
        // A misspelt field fails rather than printing nothing.
        renderer.set_template(TRACE_TEMPLATE, "{{ report.relase.project }}".to_owned()).unwrap();
        assert!(renderer.trace_html(&report).is_err());
    }
}
