//! Inline SVG charts, drawn here rather than by a script so a report is one file
//! that prints the same everywhere (no JavaScript, no fonts or CDNs).
//!
//! Every chart is an `<svg>` with a `<title>`, a `viewBox` and `width="100%"`, so it
//! scales with the page. Colours are picked so that the series stay apart in
//! greyscale print (each is a distinct lightness, stacked in lightness order) and
//! every series is named in a legend. With no data a chart says so in place of the
//! plot; with one point it draws the point alone; with many it thins the axis
//! labels and shrinks the marks.
//!
//! The line charts are public (`line`, with `pass_rate` its first use), for the
//! dashboard's metrics page, which draws with them rather than a renderer of its own.
//!
//! Marks carry classes tests count: `point` (one per rate point), `bar` (one per
//! date of the stacked chart), `framework` (one per coverage row).

use std::fmt::Write as _;

use crate::model::{FrameworkCoverage, RatePoint, SeverityPoint};

/// The five severities, bottom of the stack first, with their fill colours (dark to
/// light, so a greyscale print keeps the order).
const SEVERITIES: [(&str, &str); 5] =
    [("critical", "#6b1111"), ("high", "#dc2626"), ("medium", "#ea7a0c"), ("low", "#93c5fd"), ("info", "#e5e7eb")];

/// Coverage status colours: satisfied dark, partial mid (and hatched), missing light.
const SATISFIED: &str = "#15803d";
const PARTIAL: &str = "#f2c14e";
const MISSING: &str = "#eceff3";

const WIDTH: f64 = 720.0;
const FONT: &str = "font-family=\"Helvetica Neue, Arial, Liberation Sans, DejaVu Sans, sans-serif\"";
/// At most this many labels on an x axis.
const MAX_X_LABELS: usize = 8;

/// Escapes text for SVG (XML) content and attribute values (quick-xml's escaping,
/// shared with the JUnit report).
pub(crate) fn escape(text: &str) -> String {
    crate::text::xml(text)
}

/// A coordinate with one decimal, never `-0.0`.
fn n(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded == 0.0 { "0".to_owned() } else { format!("{rounded}") }
}

fn open_svg(out: &mut String, class: &str, height: f64, title: &str) {
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart {class}\" viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" {FONT} font-size=\"11\"><title>{title}</title>",
        w = n(WIDTH),
        h = n(height),
        title = escape(title),
    );
}

/// The chart that says there is nothing to draw.
fn empty_chart(class: &str, title: &str, message: &str) -> String {
    let mut out = String::new();
    let height = 80.0;
    open_svg(&mut out, class, height, title);
    let _ = write!(
        out,
        "<rect class=\"empty\" x=\"0.5\" y=\"0.5\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#9ca3af\" stroke-dasharray=\"4 3\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#4b5563\" font-size=\"13\">{}</text></svg>",
        n(WIDTH - 1.0),
        n(height - 1.0),
        n(WIDTH / 2.0),
        n(height / 2.0 + 4.0),
        escape(message)
    );
    out
}

/// Which of `count` x positions get a label: at most [`MAX_X_LABELS`], evenly
/// spaced, always the first and the last.
fn labelled(count: usize) -> Vec<bool> {
    let mut marks = vec![false; count];
    if count == 0 {
        return marks;
    }
    let step = count.div_ceil(MAX_X_LABELS).max(1);
    let mut index = 0;
    while index < count {
        marks[index] = true;
        index += step;
    }
    // The last point is labelled, unless that would crowd the one before it.
    let last = count - 1;
    if !marks[last] {
        let previous = (0..last).rev().find(|&i| marks[i]).unwrap_or(0);
        if last - previous >= step.div_ceil(2).max(1) {
            marks[last] = true;
        } else {
            marks[previous] = false;
            marks[last] = true;
        }
    }
    marks[0] = true;
    marks
}

/// An x-axis label under `x`: centred, but kept inside the chart at both ends.
fn x_label(out: &mut String, x: f64, y: f64, text: &str) {
    // About 6 px per character at font-size 11.
    let half = 3.0 * text.chars().count() as f64;
    let anchor = if x + half > WIDTH - 2.0 {
        "end"
    } else if x - half < 2.0 {
        "start"
    } else {
        "middle"
    };
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\" fill=\"#374151\">{}</text>",
        n(x),
        n(y),
        escape(text)
    );
}

/// A round upper bound for a count axis and its tick step: 7 → (8, 2), 130 → (150, 50).
fn nice_axis(max: u64) -> (u64, u64) {
    if max == 0 {
        return (4, 1);
    }
    // About five gridlines, on whole numbers: counts are integers.
    let rough = (max as f64 / 5.0).max(1.0);
    let magnitude = 10f64.powi(rough.log10().floor() as i32);
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|factor| factor * magnitude)
        .filter(|step| step.fract() == 0.0)
        .find(|step| *step >= rough)
        .unwrap_or(10.0 * magnitude)
        .max(1.0)
        .round() as u64;
    let top = max.div_ceil(step) * step;
    (top, step)
}

/// What a line chart shows on its y axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unit {
    /// A share, `0.0..=1.0`, drawn from 0 to 100 %.
    Share,
    /// A quantity from 0 up (days, counts), with this word after each value.
    Amount(&'static str),
}

/// A line chart over time: what it is called and shows.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    /// The chart's title (its `<title>`).
    pub title: &'a str,
    /// Its CSS class (`chart-<name>`).
    pub class: &'a str,
    /// What it says with no points.
    pub empty: &'a str,
    /// The y axis's label.
    pub axis: &'a str,
    /// What the values are.
    pub unit: Unit,
}

/// Certification pass rate over time: a line with a marker per point, y from 0 to
/// 100 %.
pub fn pass_rate(points: &[RatePoint]) -> String {
    line(
        &Line {
            title: "First-attempt certification pass rate over time",
            class: "chart-pass-rate",
            empty: "No certifications in this period",
            axis: "pass rate",
            unit: Unit::Share,
        },
        points,
    )
}

/// A value over time as a line with a marker per point (`RatePoint::rate` holds
/// the value): shares from 0 to 100 %, amounts from 0 to a round maximum.
pub fn line(spec: &Line<'_>, points: &[RatePoint]) -> String {
    let title = spec.title;
    if points.is_empty() {
        return empty_chart(spec.class, title, spec.empty);
    }
    let height = 240.0;
    let (left, right, top, bottom) = (48.0, 20.0, 18.0, 42.0);
    let plot_w = WIDTH - left - right;
    let plot_h = height - top - bottom;
    let mut out = String::new();
    open_svg(&mut out, spec.class, height, title);
    let finite = |value: f64| if value.is_finite() { value.max(0.0) } else { 0.0 };
    // The axis's top and its gridlines, in the values' own terms.
    let (top_value, ticks): (f64, Vec<f64>) = match spec.unit {
        Unit::Share => (1.0, vec![0.0, 0.25, 0.5, 0.75, 1.0]),
        Unit::Amount(_) => {
            let max = points.iter().map(|point| finite(point.rate)).fold(0.0, f64::max).ceil() as u64;
            let (axis_max, step) = nice_axis(max);
            (axis_max as f64, (0..=axis_max / step).map(|index| (index * step) as f64).collect())
        }
    };
    let label = |value: f64| match spec.unit {
        Unit::Share => format!("{:.0} %", value * 100.0),
        Unit::Amount(_) if value.fract() == 0.0 => format!("{value:.0}"),
        Unit::Amount(_) => format!("{value:.1}"),
    };
    let value_of = |point: &RatePoint| match spec.unit {
        Unit::Share => finite(point.rate).min(1.0),
        Unit::Amount(_) => finite(point.rate),
    };
    let y_at = |value: f64| top + plot_h * (1.0 - value / top_value);

    // Grid and y axis.
    for tick in &ticks {
        let y = y_at(*tick);
        let _ = write!(
            out,
            "<line x1=\"{l}\" y1=\"{y}\" x2=\"{r}\" y2=\"{y}\" stroke=\"{color}\" stroke-width=\"1\"/><text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" fill=\"#374151\">{text}</text>",
            l = n(left),
            r = n(left + plot_w),
            y = n(y),
            color = if *tick == 0.0 { "#6b7280" } else { "#e5e7eb" },
            lx = n(left - 6.0),
            ty = n(y + 4.0),
            text = label(*tick),
        );
    }
    let _ = write!(
        out,
        "<text x=\"12\" y=\"{}\" transform=\"rotate(-90 12 {})\" text-anchor=\"middle\" fill=\"#374151\">{}</text>",
        n(top + plot_h / 2.0),
        n(top + plot_h / 2.0),
        escape(spec.axis)
    );

    let count = points.len();
    let x_at = |index: usize| {
        if count == 1 { left + plot_w / 2.0 } else { left + plot_w * index as f64 / (count - 1) as f64 }
    };

    if count > 1 {
        let mut area = format!("M{} {}", n(x_at(0)), n(y_at(0.0)));
        let mut line = String::new();
        for (index, point) in points.iter().enumerate() {
            let (x, y) = (n(x_at(index)), n(y_at(value_of(point))));
            let _ = write!(area, " L{x} {y}");
            let _ = write!(line, "{}{x} {y}", if index == 0 { "M" } else { " L" });
        }
        let _ = write!(area, " L{} {} Z", n(x_at(count - 1)), n(y_at(0.0)));
        let _ = write!(
            out,
            "<path d=\"{area}\" fill=\"#1d4ed8\" fill-opacity=\"0.08\" stroke=\"none\"/><path class=\"line\" d=\"{line}\" fill=\"none\" stroke=\"#1d4ed8\" stroke-width=\"2\" stroke-linejoin=\"round\"/>"
        );
    }
    let radius = if count > 60 {
        1.6
    } else if count > 24 {
        2.5
    } else {
        3.5
    };
    let show_values = count <= 12;
    let labels = labelled(count);
    for (index, point) in points.iter().enumerate() {
        let (x, y) = (x_at(index), y_at(value_of(point)));
        let text = match spec.unit {
            Unit::Share => label(value_of(point)),
            Unit::Amount(word) => format!("{} {word}", label(value_of(point))),
        };
        let _ = write!(
            out,
            "<circle class=\"point\" cx=\"{}\" cy=\"{}\" r=\"{radius}\" fill=\"#ffffff\" stroke=\"#1d4ed8\" stroke-width=\"2\"><title>{}: {}</title></circle>",
            n(x),
            n(y),
            escape(&point.date),
            escape(&text)
        );
        if show_values {
            let _ = write!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#1e3a8a\" font-size=\"10\">{}</text>",
                n(x),
                n((y - 8.0).max(10.0)),
                escape(&label(value_of(point)))
            );
        }
        if labels[index] {
            x_label(&mut out, x, top + plot_h + 16.0, &point.date);
        }
    }
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#374151\">date</text></svg>",
        n(left + plot_w / 2.0),
        n(height - 6.0)
    );
    out
}

/// Findings by severity over time: one stacked bar per date, critical at the
/// bottom, with a legend and a count axis.
pub(crate) fn findings(points: &[SeverityPoint]) -> String {
    let title = "Findings by severity over time";
    if points.is_empty() {
        return empty_chart("chart-findings", title, "No scans in this period");
    }
    let height = 270.0;
    let (left, right, top, bottom) = (48.0, 20.0, 40.0, 42.0);
    let plot_w = WIDTH - left - right;
    let plot_h = height - top - bottom;
    let mut out = String::new();
    open_svg(&mut out, "chart-findings", height, title);

    // Legend, in stack order.
    let mut x = left;
    for (name, color) in SEVERITIES {
        let _ = write!(
            out,
            "<g class=\"legend\"><rect x=\"{}\" y=\"10\" width=\"12\" height=\"12\" fill=\"{color}\" stroke=\"#374151\" stroke-width=\"0.6\"/><text x=\"{}\" y=\"20\" fill=\"#111827\">{name}</text></g>",
            n(x),
            n(x + 17.0)
        );
        x += 17.0 + 7.0 * name.len() as f64 + 22.0;
    }

    let max_total = points.iter().map(|point| point.counts.total()).max().unwrap_or(0);
    let (axis_max, step) = nice_axis(max_total);
    let y_at = |value: f64| top + plot_h * (1.0 - value / axis_max as f64);
    let mut tick = 0;
    while tick <= axis_max {
        let y = y_at(tick as f64);
        let _ = write!(
            out,
            "<line x1=\"{l}\" y1=\"{y}\" x2=\"{r}\" y2=\"{y}\" stroke=\"{color}\" stroke-width=\"1\"/><text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" fill=\"#374151\">{tick}</text>",
            l = n(left),
            r = n(left + plot_w),
            y = n(y),
            color = if tick == 0 { "#6b7280" } else { "#e5e7eb" },
            lx = n(left - 6.0),
            ty = n(y + 4.0),
        );
        tick += step;
    }
    let _ = write!(
        out,
        "<text x=\"12\" y=\"{}\" transform=\"rotate(-90 12 {})\" text-anchor=\"middle\" fill=\"#374151\">findings</text>",
        n(top + plot_h / 2.0),
        n(top + plot_h / 2.0)
    );

    let count = points.len();
    let slot = plot_w / count as f64;
    let bar_w = (slot * 0.7).clamp(1.0, 56.0);
    let labels = labelled(count);
    let show_totals = count <= 16;
    for (index, point) in points.iter().enumerate() {
        let center = left + slot * (index as f64 + 0.5);
        let bar_x = center - bar_w / 2.0;
        let counts = &point.counts;
        let values = [counts.critical, counts.high, counts.medium, counts.low, counts.info];
        let _ = write!(
            out,
            "<g class=\"bar\"><title>{}: {} critical, {} high, {} medium, {} low, {} info</title>",
            escape(&point.date),
            values[0],
            values[1],
            values[2],
            values[3],
            values[4]
        );
        let mut base = 0u64;
        for ((name, color), value) in SEVERITIES.iter().zip(values) {
            if value == 0 {
                continue;
            }
            let y_top = y_at((base + value) as f64);
            let y_bottom = y_at(base as f64);
            let _ = write!(
                out,
                "<rect class=\"segment {name}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{color}\" stroke=\"#ffffff\" stroke-width=\"{}\"/>",
                n(bar_x),
                n(y_top),
                n(bar_w),
                n(y_bottom - y_top),
                if bar_w > 4.0 { "0.8" } else { "0" }
            );
            base += value;
        }
        out.push_str("</g>");
        if show_totals {
            let _ = write!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#111827\" font-size=\"10\">{}</text>",
                n(center),
                n(y_at(base as f64) - 4.0),
                base
            );
        }
        if labels[index] {
            x_label(&mut out, center, top + plot_h + 16.0, &point.date);
        }
    }
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#374151\">date</text></svg>",
        n(left + plot_w / 2.0),
        n(height - 6.0)
    );
    out
}

/// Control coverage: one 100 % bar per framework split into satisfied, partial
/// (hatched) and missing, with the counts.
pub(crate) fn coverage(frameworks: &[FrameworkCoverage]) -> String {
    let title = "Control coverage by framework";
    if frameworks.is_empty() {
        return empty_chart("chart-coverage", title, "No frameworks enabled");
    }
    let row = 34.0;
    let (label_w, right, top) = (150.0, 150.0, 38.0);
    let bar_w = WIDTH - label_w - right;
    let height = top + row * frameworks.len() as f64 + 8.0;
    let mut out = String::new();
    open_svg(&mut out, "chart-coverage", height, title);
    let _ = write!(
        out,
        "<defs><pattern id=\"coverage-hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"{PARTIAL}\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#8a6a12\" stroke-width=\"1.6\"/></pattern></defs>"
    );
    // Legend.
    let legend = [
        ("satisfied", SATISFIED.to_owned()),
        ("partial", "url(#coverage-hatch)".to_owned()),
        ("missing", MISSING.to_owned()),
    ];
    let mut x = label_w;
    for (name, fill) in &legend {
        let _ = write!(
            out,
            "<g class=\"legend\"><rect x=\"{}\" y=\"10\" width=\"12\" height=\"12\" fill=\"{fill}\" stroke=\"#374151\" stroke-width=\"0.6\"/><text x=\"{}\" y=\"20\" fill=\"#111827\">{name}</text></g>",
            n(x),
            n(x + 17.0)
        );
        x += 17.0 + 7.0 * name.len() as f64 + 24.0;
    }
    for (index, framework) in frameworks.iter().enumerate() {
        let y = top + row * index as f64;
        let bar_h = row - 12.0;
        let total = framework.satisfied + framework.partial + framework.missing;
        let _ = write!(
            out,
            "<g class=\"framework\"><title>{}: {} satisfied, {} partial, {} missing of {}</title><text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#111827\" font-weight=\"bold\">{}</text>",
            escape(&framework.name),
            framework.satisfied,
            framework.partial,
            framework.missing,
            total,
            n(label_w - 8.0),
            n(y + bar_h / 2.0 + 4.0),
            escape(&framework.framework)
        );
        if total == 0 {
            let _ = write!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#9ca3af\" stroke-dasharray=\"4 3\"/><text x=\"{}\" y=\"{}\" fill=\"#4b5563\">no controls</text></g>",
                n(label_w),
                n(y),
                n(bar_w),
                n(bar_h),
                n(label_w + 8.0),
                n(y + bar_h / 2.0 + 4.0)
            );
            continue;
        }
        let mut offset = 0.0;
        for (name, value, fill, text_fill) in [
            ("satisfied", framework.satisfied, SATISFIED.to_owned(), "#ffffff"),
            ("partial", framework.partial, "url(#coverage-hatch)".to_owned(), "#111827"),
            ("missing", framework.missing, MISSING.to_owned(), "#111827"),
        ] {
            if value == 0 {
                continue;
            }
            let width = bar_w * value as f64 / total as f64;
            let _ = write!(
                out,
                "<rect class=\"segment {name}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\" stroke=\"#374151\" stroke-width=\"0.6\"/>",
                n(label_w + offset),
                n(y),
                n(width),
                n(bar_h)
            );
            if width >= 22.0 {
                let _ = write!(
                    out,
                    "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{text_fill}\" font-weight=\"bold\"{halo}>{value}</text>",
                    n(label_w + offset + width / 2.0),
                    n(y + bar_h / 2.0 + 4.0),
                    halo = if name == "partial" {
                        " stroke=\"#fff7e0\" stroke-width=\"3\" paint-order=\"stroke\""
                    } else {
                        ""
                    }
                );
            }
            offset += width;
        }
        let percent = framework.satisfied as f64 * 100.0 / total as f64;
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" fill=\"#111827\">{} / {} satisfied ({:.0} %)</text></g>",
            n(label_w + bar_w + 8.0),
            n(y + bar_h / 2.0 + 4.0),
            framework.satisfied,
            total,
            percent
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SeverityCounts;

    fn rate(date: &str, rate: f64) -> RatePoint {
        RatePoint { date: date.to_owned(), rate }
    }

    fn severity(date: &str, critical: u64, high: u64, medium: u64, low: u64, info: u64) -> SeverityPoint {
        SeverityPoint { date: date.to_owned(), counts: SeverityCounts { critical, high, medium, low, info } }
    }

    fn count(svg: &str, needle: &str) -> usize {
        svg.matches(needle).count()
    }

    #[test]
    fn no_data_says_so() {
        assert!(pass_rate(&[]).contains("No certifications in this period"));
        assert!(findings(&[]).contains("No scans in this period"));
        assert!(coverage(&[]).contains("No frameworks enabled"));
        for svg in [pass_rate(&[]), findings(&[]), coverage(&[])] {
            assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        }
    }

    #[test]
    fn one_point_is_drawn_alone() {
        let svg = pass_rate(&[rate("2026-07-01", 0.5)]);
        assert_eq!(count(&svg, "class=\"point\""), 1);
        assert!(!svg.contains("class=\"line\""));
        assert!(svg.contains("cx=\"374\""), "centred: {svg}");
        assert!(svg.contains(">50 %<"));
        let svg = findings(&[severity("2026-07-01", 0, 1, 2, 0, 0)]);
        assert_eq!(count(&svg, "class=\"bar\""), 1);
        assert_eq!(count(&svg, "class=\"segment"), 2);
    }

    #[test]
    fn many_points_thin_their_labels() {
        let points: Vec<RatePoint> =
            (0..200).map(|day| rate(&format!("day-{day:06}"), f64::from(day % 10) / 10.0)).collect();
        let svg = pass_rate(&points);
        assert_eq!(count(&svg, "class=\"point\""), 200);
        let labels = labelled(200);
        assert!(labels.iter().filter(|&&label| label).count() <= MAX_X_LABELS + 1);
        assert!(labels[0] && labels[199]);
        assert!(svg.contains(">day-000000<") && svg.contains(">day-000199<"));
        // The last label ends at its point rather than running off the chart.
        assert!(svg.contains("text-anchor=\"end\" fill=\"#374151\">day-000199<"));
        // Value labels only for few points.
        assert!(!svg.contains(">90 %<"));
        let bars: Vec<SeverityPoint> = (0..120).map(|day| severity(&format!("d{day}"), 1, 2, 3, 4, 5)).collect();
        let svg = findings(&bars);
        assert_eq!(count(&svg, "class=\"bar\""), 120);
        assert_eq!(count(&svg, "class=\"segment"), 600);
    }

    #[test]
    fn labels_cover_first_and_last() {
        for total in 1..40 {
            let marks = labelled(total);
            assert!(marks[0] && marks[total - 1], "{total}");
            assert!(marks.iter().filter(|&&mark| mark).count() <= MAX_X_LABELS + 1, "{total}");
        }
    }

    #[test]
    fn axis_bounds_are_round() {
        assert_eq!(nice_axis(0), (4, 1));
        assert_eq!(nice_axis(1), (1, 1));
        assert_eq!(nice_axis(7), (8, 2));
        assert_eq!(nice_axis(10), (10, 2));
        assert_eq!(nice_axis(12), (15, 5));
        assert_eq!(nice_axis(130), (150, 50));
        assert_eq!(nice_axis(1001), (1250, 250));
    }

    #[test]
    fn odd_rates_are_clamped() {
        let svg = pass_rate(&[rate("a", -1.0), rate("b", 7.0), rate("c", f64::NAN)]);
        assert_eq!(count(&svg, "class=\"point\""), 3);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn text_is_escaped() {
        let svg = pass_rate(&[rate("<script>&", 1.0)]);
        assert!(svg.contains("&lt;script&gt;&amp;") && !svg.contains("<script>"));
        let frameworks = [FrameworkCoverage {
            framework: "x\"y".into(),
            name: "<b>".into(),
            satisfied: 1,
            partial: 1,
            missing: 0,
            controls: Vec::new(),
        }];
        let svg = coverage(&frameworks);
        assert!(svg.contains("x&quot;y") && svg.contains("&lt;b&gt;"));
    }

    #[test]
    fn coverage_rows() {
        let row = |framework: &str, satisfied, partial, missing| FrameworkCoverage {
            framework: framework.into(),
            name: framework.into(),
            satisfied,
            partial,
            missing,
            controls: Vec::new(),
        };
        let svg = coverage(&[row("soc2", 3, 2, 2), row("empty", 0, 0, 0), row("pci-dss", 20, 0, 0)]);
        assert_eq!(count(&svg, "class=\"framework\""), 3);
        assert!(svg.contains("no controls"));
        assert!(svg.contains("3 / 7 satisfied (43 %)"));
        assert!(svg.contains("20 / 20 satisfied (100 %)"));
    }
}
