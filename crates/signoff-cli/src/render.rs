//! Text and JSON rendering shared by the commands.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use serde::Serialize;
use signoff_app::report::EvidenceReport;
use signoff_core::Summary;

/// Prints pretty JSON.
pub(crate) fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Prints one compact JSON line.
pub(crate) fn print_json_line<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Writes a document to a file (saying so on stderr), or to stdout.
pub(crate) fn write_out(output: Option<&std::path::Path>, text: &str) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            std::fs::write(path, text).map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}

/// A time as RFC 3339, the way entries carry it.
pub(crate) fn time(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// `1.5 MB` style sizes.
pub(crate) fn bytes(size: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = size as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 { format!("{size} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// The headline numbers of a summary: `3 findings (1 high, 2 low)`, `28 tests: 27 passed, 1 failed`.
pub(crate) fn summary_text(summary: &Summary) -> String {
    let mut parts = Vec::new();
    if let Some(findings) = &summary.findings {
        let by_severity: Vec<String> = [
            ("critical", findings.critical),
            ("high", findings.high),
            ("medium", findings.medium),
            ("low", findings.low),
            ("info", findings.info),
        ]
        .iter()
        .filter(|(_, count)| *count > 0)
        .map(|(name, count)| format!("{count} {name}"))
        .collect();
        let mut text = format!("{} finding{}", findings.total, plural(findings.total));
        if !by_severity.is_empty() {
            text.push_str(&format!(" ({})", by_severity.join(", ")));
        }
        if findings.suppressed > 0 {
            text.push_str(&format!(", {} suppressed", findings.suppressed));
        }
        parts.push(text);
    }
    if let Some(tests) = &summary.tests {
        let mut text = format!("{} test{}: {} passed", tests.total, plural(tests.total), tests.passed);
        for (name, count) in [("failed", tests.failed), ("errored", tests.errored), ("skipped", tests.skipped)] {
            if count > 0 {
                text.push_str(&format!(", {count} {name}"));
            }
        }
        parts.push(text);
    }
    if let Some(coverage) = &summary.coverage {
        let mut text = match coverage.line_rate {
            Some(rate) => format!("{:.1}% lines", rate * 100.0),
            None => "no lines".to_owned(),
        };
        if let Some(rate) = coverage.branch_rate {
            text.push_str(&format!(", {:.1}% branches", rate * 100.0));
        }
        parts.push(text);
    }
    if let Some(reviews) = &summary.reviews {
        let mut text = format!("{} approval{}", reviews.approved, plural(reviews.approved));
        if reviews.changes_requested > 0 {
            text.push_str(&format!(", {} change request(s)", reviews.changes_requested));
        }
        if let Some(number) = reviews.number {
            text = format!("#{number}: {text}");
        }
        parts.push(text);
    }
    if let Some(components) = summary.components {
        parts.push(format!("{components} component{}", plural(components)));
    }
    if parts.is_empty() { "no summary".to_owned() } else { parts.join("; ") }
}

fn plural(count: u64) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// One line per evidence file.
pub(crate) fn evidence_line(report: &EvidenceReport) -> String {
    let tool = match &report.tool.version {
        Some(version) => format!("{} {version}", report.tool.name),
        None => report.tool.name.clone(),
    };
    let mut line =
        format!("{}  {} · {} · {}  {}", report.file, report.format, report.kind, tool, summary_text(&report.summary));
    if report.redacted > 0 {
        line.push_str(&format!("  [{} secret value(s) redacted]", report.redacted));
    }
    if let Some(captured) = &report.captured {
        line.push_str(&format!("  → entry {}", captured.entry));
    }
    line
}

/// A spinner on stderr while long work runs, when stderr is a terminal.
pub(crate) struct Spinner(Option<indicatif::ProgressBar>);

impl Spinner {
    pub(crate) fn start_if(condition: bool, message: String) -> Spinner {
        if !condition || !std::io::stderr().is_terminal() {
            return Spinner(None);
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(message);
        bar.enable_steady_tick(Duration::from_millis(100));
        Spinner(Some(bar))
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(bar) = self.0.take() {
            bar.finish_and_clear();
        }
    }
}
