//! Everything the commands print goes through here.
//!
//! - Text lines ([`outln!`], [`done!`]) have their control characters shown
//!   escaped (`\x1b`, `\r`): a scanner's output cannot move the cursor, clear the
//!   screen or retitle the terminal of the person reading it. Colour is added after,
//!   and only on a terminal (`--color`, `NO_COLOR`).
//! - Notes and warnings go to stderr ([`note!`], [`warning!`]); `--quiet` silences
//!   notes and success lines ([`done!`]), never what was asked for.
//! - JSON ([`json`], [`json_line`]) goes through the `--jq` filter when one is set.
//! - A write to a closed pipe is an error of kind `BrokenPipe`, which `main` turns
//!   into a quiet exit 0 (`signoff findings | head` ends cleanly).

use std::borrow::Cow;
use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::sync::OnceLock;
use std::time::Duration;

use anstyle::{AnsiColor, Effects, Style};
use serde::Serialize;
use signoff_app::report::EvidenceReport;
use signoff_core::{Severity, Summary};

/// How output is rendered, set once from the global flags.
#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    pub(crate) quiet: bool,
    pub(crate) color: bool,
    pub(crate) jq: Option<String>,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// Sets the output settings (once, before any output).
pub(crate) fn init(settings: Settings) {
    let _ = SETTINGS.set(settings);
}

fn settings() -> &'static Settings {
    static DEFAULT: OnceLock<Settings> = OnceLock::new();
    SETTINGS.get().unwrap_or_else(|| DEFAULT.get_or_init(Settings::default))
}

/// Whether `--quiet` was given.
pub(crate) fn quiet() -> bool {
    settings().quiet
}

/// Whether JSON output was asked for through `--jq`.
pub(crate) fn jq_set() -> bool {
    settings().jq.is_some()
}

/// Whether colour is on (for tables that style their own cells).
pub(crate) fn color() -> bool {
    settings().color
}

/// Whether colour should be on for `choice`, given the terminal and `NO_COLOR`.
pub(crate) fn color_for(choice: crate::cli::ColorChoice) -> bool {
    match choice {
        crate::cli::ColorChoice::Always => true,
        crate::cli::ColorChoice::Never => false,
        crate::cli::ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty()) && std::io::stdout().is_terminal()
        }
    }
}

/// Text with every control character (C0, DEL, C1) except newline and tab, and
/// the bidirectional overrides, shown escaped.
pub(crate) fn neutralize(text: &str) -> Cow<'_, str> {
    let unsafe_char = |character: char| {
        (character.is_control() && character != '\n' && character != '\t')
            || matches!(character, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for character in text.chars() {
        if !unsafe_char(character) {
            escaped.push(character);
        } else if (character as u32) < 0x100 {
            escaped.push_str(&format!("\\x{:02x}", character as u32));
        } else {
            escaped.push_str(&format!("\\u{{{:04x}}}", character as u32));
        }
    }
    Cow::Owned(escaped)
}

/// The style of a status word, when it is one.
fn status_style(word: &str) -> Option<Style> {
    let bold = Effects::BOLD;
    Some(match word {
        "PASS" | "CERTIFIED" | "ok:" | "open:" => Style::new().fg_color(Some(AnsiColor::Green.into())),
        "FAIL" | "FAILED" | "REJECTED" | "UNCERTIFIED" | "closed:" => {
            Style::new().fg_color(Some(AnsiColor::Red.into())).effects(bold)
        }
        "WARN" | "warning:" => Style::new().fg_color(Some(AnsiColor::Yellow.into())),
        "WAIVED" => Style::new().fg_color(Some(AnsiColor::Cyan.into())),
        _ => return None,
    })
}

/// Colours the status words of a line (already neutralized).
fn colorize(line: &str) -> Cow<'_, str> {
    if !line.split(' ').any(|word| status_style(word).is_some()) {
        return Cow::Borrowed(line);
    }
    let mut painted = String::with_capacity(line.len() + 16);
    for (index, word) in line.split(' ').enumerate() {
        if index > 0 {
            painted.push(' ');
        }
        match status_style(word) {
            Some(style) => painted.push_str(&format!("{style}{word}{style:#}")),
            None => painted.push_str(word),
        }
    }
    Cow::Owned(painted)
}

/// Writes text to stdout: neutralized, coloured on a terminal.
pub(crate) fn write_text(text: &str) -> anyhow::Result<()> {
    let safe = neutralize(text);
    let mut out = std::io::stdout().lock();
    if settings().color {
        for (index, line) in safe.split('\n').enumerate() {
            if index > 0 {
                out.write_all(b"\n")?;
            }
            out.write_all(colorize(line).as_bytes())?;
        }
    } else {
        out.write_all(safe.as_bytes())?;
    }
    Ok(())
}

/// A line of output.
macro_rules! outln {
    () => { $crate::render::write_text("\n") };
    ($($arg:tt)*) => { $crate::render::write_text(&format!("{}\n", format_args!($($arg)*))) };
}

/// Output without a newline.
macro_rules! out {
    ($($arg:tt)*) => { $crate::render::write_text(&format!($($arg)*)) };
}

/// A success line, silenced by `--quiet`.
macro_rules! done {
    ($($arg:tt)*) => {
        if $crate::render::quiet() { Ok(()) } else { $crate::render::write_text(&format!("{}\n", format_args!($($arg)*))) }
    };
}

/// A note on stderr, silenced by `--quiet`.
macro_rules! note {
    ($($arg:tt)*) => {
        if !$crate::render::quiet() {
            eprintln!("note: {}", $crate::render::neutralize(&format!($($arg)*)));
        }
    };
}

/// A warning on stderr.
macro_rules! warning {
    ($($arg:tt)*) => {
        eprintln!("warning: {}", $crate::render::neutralize(&format!($($arg)*)))
    };
}

pub(crate) use {done, note, out, outln, warning};

thread_local! {
    static JQ: RefCell<Option<Jq>> = const { RefCell::new(None) };
}

/// A compiled `--jq` filter.
struct Jq {
    filter: jaq_core::Filter<jaq_core::data::JustLut<jaq_json::Val>>,
}

impl Jq {
    fn compile(code: &str) -> anyhow::Result<Jq> {
        use jaq_core::load::{Arena, File, Loader};
        let defs = jaq_core::defs().chain(jaq_std::defs()).chain(jaq_json::defs());
        let funs = jaq_core::funs().chain(jaq_std::funs()).chain(jaq_json::funs());
        let loader = Loader::new(defs);
        let arena = Arena::default();
        let modules = loader
            .load(&arena, File { code, path: () })
            .map_err(|errors| anyhow::anyhow!("--jq {code:?} does not parse: {errors:?}"))?;
        let filter = jaq_core::Compiler::default()
            .with_funs(funs)
            .compile(modules)
            .map_err(|errors| anyhow::anyhow!("--jq {code:?} does not compile: {errors:?}"))?;
        Ok(Jq { filter })
    }

    /// Runs the filter on one document: each output on a line, strings raw.
    fn run(&self, document: &[u8], out: &mut dyn Write) -> anyhow::Result<()> {
        use jaq_core::{Ctx, Vars, data, unwrap_valr};
        let input = jaq_json::read::parse_single(document)
            .map_err(|error| anyhow::anyhow!("--jq: the output is not JSON: {error}"))?;
        let ctx = Ctx::<data::JustLut<jaq_json::Val>>::new(&self.filter.lut, Vars::new([]));
        for value in self.filter.id.run((ctx, input)).map(unwrap_valr) {
            let value = value.map_err(|error| anyhow::anyhow!("--jq: {error}"))?;
            match &value {
                jaq_json::Val::TStr(text) => out.write_all(text)?,
                other => write!(out, "{other}")?,
            }
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}

fn write_json(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match &settings().jq {
        None => {
            out.write_all(bytes)?;
            out.write_all(b"\n")?;
        }
        Some(code) => JQ.with(|cell| -> anyhow::Result<()> {
            let mut jq = cell.borrow_mut();
            if jq.is_none() {
                *jq = Some(Jq::compile(code)?);
            }
            if let Some(jq) = jq.as_ref() {
                jq.run(bytes, &mut out)?;
            }
            Ok(())
        })?,
    }
    Ok(())
}

/// The version of the shape of every JSON document and line signoff prints
/// (`schema_version`, first key of each). It goes up when a field is removed or
/// changes meaning; new fields do not change it. The shapes are in docs/schemas/.
pub(crate) const SCHEMA_VERSION: u64 = 1;

/// A value as printed: an object that starts with `schema_version` (anything else
/// is wrapped as `{"schema_version": 1, "items": …}`), with DSSE envelopes, which
/// records keep as the exact JSON text that was signed, shown as JSON objects
/// rather than as a JSON string inside JSON, and the pairs records keep
/// (`trailers`, `rego`) shown as objects rather than positional arrays.
pub(crate) fn versioned<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<serde_json::Value> {
    let mut value = serde_json::to_value(value)?;
    embed_envelopes(&mut value);
    Ok(match value {
        serde_json::Value::Object(mut map) => {
            map.shift_insert(0, "schema_version".to_owned(), SCHEMA_VERSION.into());
            serde_json::Value::Object(map)
        }
        other => serde_json::json!({"schema_version": SCHEMA_VERSION, "items": other}),
    })
}

/// Replaces each `"envelope": "<DSSE JSON text>"` with the parsed object.
fn embed_envelopes(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, field) in map.iter_mut() {
                if key == "envelope"
                    && let serde_json::Value::String(text) = field
                    && let Ok(parsed @ serde_json::Value::Object(_)) = serde_json::from_str(text)
                {
                    *field = parsed;
                } else if let Some(names) = PAIRS.iter().find(|(name, _)| name == key).map(|(_, names)| names) {
                    pairs_as_objects(field, names);
                } else {
                    embed_envelopes(field);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(embed_envelopes),
        _ => {}
    }
}

/// The fields records keep as lists of pairs, with the names of the two halves
/// (`signoff_core::records::Trailer`, `RegoModule`).
const PAIRS: [(&str, [&str; 2]); 2] = [("trailers", ["key", "value"]), ("rego", ["file", "source"])];

/// Replaces `[[a, b], …]` with `[{names[0]: a, names[1]: b}, …]`; anything else
/// stays as it is.
fn pairs_as_objects(value: &mut serde_json::Value, names: &[&str; 2]) {
    let serde_json::Value::Array(items) = value else { return };
    for item in items.iter_mut() {
        if let serde_json::Value::Array(pair) = item
            && let [first, second] = pair.as_mut_slice()
        {
            let mut object = serde_json::Map::new();
            object.insert(names[0].to_owned(), first.take());
            object.insert(names[1].to_owned(), second.take());
            *item = serde_json::Value::Object(object);
        }
    }
}

/// Prints pretty JSON (through `--jq` when set), versioned.
pub(crate) fn json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    write_json(&serde_json::to_vec_pretty(&versioned(value)?)?)
}

/// Prints one compact JSON line (through `--jq` when set), versioned.
pub(crate) fn json_line<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    write_json(&serde_json::to_vec(&versioned(value)?)?)
}

/// Prints a JSON document as it is, not versioned (a DSSE envelope, a JSON
/// Schema: documents with a shape of their own), through `--jq` when set.
pub(crate) fn json_raw(bytes: &[u8]) -> anyhow::Result<()> {
    write_json(bytes.trim_ascii_end())
}

/// A JSON document for a file (`-o FILE`), versioned like printed JSON.
pub(crate) fn json_text<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(&versioned(value)?)?)
}

/// Writes a document to a file (saying so on stderr), or to stdout for `-` or none.
pub(crate) fn write_out(output: Option<&std::path::Path>, text: &str) -> anyhow::Result<()> {
    write_bytes(output, text.as_bytes())
}

/// Writes bytes to a file (saying so on stderr), or to stdout for `-` or none.
pub(crate) fn write_bytes(output: Option<&std::path::Path>, bytes: &[u8]) -> anyhow::Result<()> {
    match output.filter(|path| path.as_os_str() != "-") {
        Some(path) => {
            std::fs::write(path, bytes).map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
            note!("wrote {}", path.display());
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()?;
        }
    }
    Ok(())
}

/// A named file's bytes and the name to report it by; `-` reads standard input
/// (reported as `standard input`).
pub(crate) fn read_input(path: &std::path::Path) -> anyhow::Result<(Vec<u8>, String)> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)
            .map_err(|error| anyhow::anyhow!("standard input: {error}"))?;
        return Ok((bytes, "standard input".to_owned()));
    }
    let bytes = std::fs::read(path).map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
    Ok((bytes, path.display().to_string()))
}

/// [`read_input`] as UTF-8 text.
pub(crate) fn read_input_text(path: &std::path::Path) -> anyhow::Result<(String, String)> {
    let (bytes, name) = read_input(path)?;
    let text = String::from_utf8(bytes)
        .map_err(|error| anyhow::anyhow!("{name}: not UTF-8 text (byte {})", error.utf8_error().valid_up_to()))?;
    Ok((text, name))
}

/// The form a document is written in: `--format` (or `--json`), else the
/// extension of the `-o` file, else `default`. A `--format` that contradicts the
/// file's extension is an error (`report -o q4.csv --format html`).
pub(crate) fn choose_format<F: clap::ValueEnum + Copy + PartialEq>(
    format: Option<F>,
    json: bool,
    output: Option<&std::path::Path>,
    json_form: F,
    default: F,
) -> anyhow::Result<F> {
    let from_extension = output
        .filter(|path| path.as_os_str() != "-")
        .and_then(|path| path.extension())
        .and_then(|extension| extension.to_str())
        .and_then(|extension| F::from_str(&extension.to_ascii_lowercase(), true).ok());
    let asked = if json || jq_set() { Some(json_form) } else { format };
    match (asked, from_extension) {
        (Some(asked), Some(implied)) if asked != implied => {
            let name = |form: F| form.to_possible_value().map(|value| value.get_name().to_owned()).unwrap_or_default();
            anyhow::bail!(
                "--format {} contradicts the file name {} (which says {}); drop one of them",
                name(asked),
                output.map(|path| path.display().to_string()).unwrap_or_default(),
                name(implied)
            )
        }
        (Some(asked), _) => Ok(asked),
        (None, Some(implied)) => Ok(implied),
        (None, None) => Ok(default),
    }
}

/// A time as RFC 3339, the way entries carry it.
pub(crate) fn time(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

pub(crate) use signoff_core::text::count;

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
        let mut text = count(findings.total, "finding", "findings");
        if !by_severity.is_empty() {
            text.push_str(&format!(" ({})", by_severity.join(", ")));
        }
        if findings.suppressed > 0 {
            text.push_str(&format!(", {} suppressed", findings.suppressed));
        }
        parts.push(text);
    }
    if let Some(tests) = &summary.tests {
        let mut text = format!("{}: {} passed", count(tests.total, "test", "tests"), tests.passed);
        for (name, number) in [("failed", tests.failed), ("errored", tests.errored), ("skipped", tests.skipped)] {
            if number > 0 {
                text.push_str(&format!(", {number} {name}"));
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
        let mut text = count(reviews.approved, "approval", "approvals");
        if reviews.changes_requested > 0 {
            text.push_str(&format!(", {}", count(reviews.changes_requested, "change request", "change requests")));
        }
        if let Some(number) = reviews.number {
            text = format!("#{number}: {text}");
        }
        parts.push(text);
    }
    if let Some(components) = summary.components {
        parts.push(count(components, "component", "components"));
    }
    if parts.is_empty() { "no summary".to_owned() } else { parts.join("; ") }
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
        line.push_str(&format!("  [{} redacted]", count(report.redacted, "secret value", "secret values")));
    }
    if let Some(captured) = &report.captured {
        line.push_str(&format!("  → entry {}", captured.entry));
    }
    line
}

/// A table for terminals: neutralized cells, coloured only when colour is on.
pub(crate) fn table() -> comfy_table::Table {
    let mut table = comfy_table::Table::new();
    table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    if !color() {
        table.force_no_tty();
    }
    table
}

/// A table cell of untrusted text.
pub(crate) fn cell(text: &str) -> comfy_table::Cell {
    comfy_table::Cell::new(neutralize(text))
}

/// A severity cell, coloured.
pub(crate) fn severity_cell(severity: Severity) -> comfy_table::Cell {
    let cell = comfy_table::Cell::new(severity.to_string());
    match severity {
        Severity::Critical => cell.fg(comfy_table::Color::Magenta).add_attribute(comfy_table::Attribute::Bold),
        Severity::High => cell.fg(comfy_table::Color::Red),
        Severity::Medium => cell.fg(comfy_table::Color::Yellow),
        Severity::Low => cell.fg(comfy_table::Color::Blue),
        Severity::Info => cell,
    }
}

/// Prints a table.
pub(crate) fn print_table(table: &comfy_table::Table) -> anyhow::Result<()> {
    // Cells were neutralized as they were added; the table's own styling stays.
    let mut out = std::io::stdout().lock();
    writeln!(out, "{table}")?;
    Ok(())
}

/// A progress bar on stderr for long work: bytes (or items), percent, rate and
/// time left. Only for a person watching: both stdout and stderr are terminals
/// (never with output piped to a script, `--json | jq` included) and not `--quiet`.
/// It appears after a second, so short work never flashes one.
pub(crate) struct Progress(Option<indicatif::ProgressBar>, Option<tokio::task::JoinHandle<()>>);

impl Progress {
    /// Progress over `total` bytes (or items), shown only when `worth_it`.
    pub(crate) fn start_if(worth_it: bool, total: u64, message: &str, bytes: bool) -> Progress {
        let template = if bytes {
            "{msg} {wide_bar} {bytes}/{total_bytes} {percent}% {bytes_per_sec} eta {eta}"
        } else {
            "{msg} {wide_bar} {human_pos}/{human_len} {percent}% {per_sec} eta {eta}"
        };
        Progress::start(worth_it, indicatif::ProgressBar::new(total), template, message)
    }

    /// Progress over bytes of a size not known ahead (standard input): bytes so
    /// far and rate, no percent.
    pub(crate) fn start_unsized(message: &str) -> Progress {
        let template = "{spinner} {msg} {bytes} {bytes_per_sec} {elapsed}";
        Progress::start(true, indicatif::ProgressBar::no_length(), template, message)
    }

    fn start(worth_it: bool, bar: indicatif::ProgressBar, template: &str, message: &str) -> Progress {
        if !worth_it || quiet() || !std::io::stderr().is_terminal() || !std::io::stdout().is_terminal() {
            return Progress(None, None);
        }
        bar.set_style(
            indicatif::ProgressStyle::with_template(template)
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message(message.to_owned());
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        let task = tokio::spawn(reveal(bar.clone(), None));
        Progress(Some(bar), Some(task))
    }

    /// Moves the bar to `read()` four times a second until it is dropped (for work
    /// that reports how far it is through a counter or the file system).
    pub(crate) fn follow(&mut self, read: impl Fn() -> u64 + Send + 'static) {
        self.follow_sized(move || (read(), None));
    }

    /// [`Progress::follow`] for work that learns its total as it goes: `read()`
    /// answers the position and, once known, the total.
    pub(crate) fn follow_sized(&mut self, read: impl Fn() -> (u64, Option<u64>) + Send + 'static) {
        let Some(bar) = self.0.clone() else { return };
        if let Some(task) = self.1.take() {
            task.abort();
        }
        self.1 = Some(tokio::spawn(reveal(bar, Some(Box::new(read)))));
    }
}

/// What a bar follows: its position and, when it has changed, its total.
type Reader = Box<dyn Fn() -> (u64, Option<u64>) + Send>;

/// Shows `bar` after a second, then moves it to `read()` four times a second.
async fn reveal(bar: indicatif::ProgressBar, read: Option<Reader>) {
    tokio::time::sleep(Duration::from_secs(1)).await;
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    bar.enable_steady_tick(Duration::from_millis(200));
    let Some(read) = read else { return };
    loop {
        let (position, total) = read();
        if let Some(total) = total {
            bar.set_length(total);
        }
        bar.set_position(position);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(task) = self.1.take() {
            task.abort();
        }
        if let Some(bar) = self.0.take() {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(neutralize("plain\ttext\n"), "plain\ttext\n");
        assert_eq!(neutralize("\u{1b}[2J\u{1b}]0;owned\u{7}"), "\\x1b[2J\\x1b]0;owned\\x07");
        assert_eq!(neutralize("a\rb\u{7f}c\u{9b}d"), "a\\x0db\\x7fc\\x9bd");
        assert_eq!(neutralize("admin\u{202E}txt.exe"), "admin\\u{202e}txt.exe");
    }

    #[test]
    fn status_words_are_coloured_and_nothing_else() {
        let painted = colorize("  PASS   tests-pass  FAILED to PASSWORD");
        assert!(painted.contains("\u{1b}[32mPASS\u{1b}[0m"), "{painted}");
        assert!(painted.contains("PASSWORD") && !painted.contains("\u{1b}[32mPASSWORD"), "{painted}");
        assert_eq!(colorize("no status here"), "no status here");
    }

    #[test]
    fn pairs_are_printed_as_objects() {
        let printed = versioned(&serde_json::json!({
            "changes": [{"commit": "c1", "trailers": [["Signed-off-by", "Ann <ann@example.com>"]]}],
            "rego": [["rules/extra.rego", "package extra"]],
            "other": [["left", "right"]],
        }))
        .unwrap();
        assert_eq!(
            printed["changes"][0]["trailers"],
            serde_json::json!([{"key": "Signed-off-by", "value": "Ann <ann@example.com>"}])
        );
        assert_eq!(printed["rego"], serde_json::json!([{"file": "rules/extra.rego", "source": "package extra"}]));
        assert_eq!(printed["other"], serde_json::json!([["left", "right"]]));
    }

    #[test]
    fn counts_say_one_and_many() {
        assert_eq!(count(1, "file", "files"), "1 file");
        assert_eq!(count(0, "file", "files"), "0 files");
        assert_eq!(count(2, "entry", "entries"), "2 entries");
    }
}
