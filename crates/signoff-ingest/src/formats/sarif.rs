//! SARIF 2.1.0 (and 2.0.0 where it reads the same), streamed.
//!
//! # Counting
//! Every `result` object of every run is one finding, whatever its `kind`. A result
//! with a suppression whose `status` is not `rejected` (or with a 2.0.0
//! `suppressionStates` entry) counts as suppressed, and still counts in `total`.
//!
//! # Severity
//! 1. A numeric `security-severity` property (a number, or a string holding one) on
//!    the result, else on its rule, wins: ≥ 9.0 critical, ≥ 7.0 high, ≥ 4.0 medium,
//!    > 0 low, otherwise info (the CVSS bands GitHub code scanning uses).
//! 2. Otherwise the SARIF `level`: `error` → high, `warning` → medium, `note` → low,
//!    `none` → info. An absent level is the rule's
//!    `defaultConfiguration.level`, or `warning` (SARIF 2.1.0 §3.27.10); but when the
//!    result has a `kind` other than `fail`, an absent level is `none`, as the same
//!    section says. A level word SARIF does not define is read as the severity word
//!    it is (`critical`, `high`, ...) or else as `warning`.
//!
//! # Identity
//! A finding's fingerprint (see `signoff_core::finding::Fingerprinter`) is built
//! from the rule id and path plus the result's `fingerprints`, else its
//! `partialFingerprints` (placeholders such as Semgrep's `requires login` ignored),
//! else the text of its region's `snippet` with whitespace normalised (so the
//! identity survives a line move), else its rule, first location, region and
//! message.
//!
//! # Streaming
//! The document is walked with [`JsonScanner`]; each result's bytes are parsed on
//! their own and dropped, so memory does not grow with the number of results. A run
//! whose `results` come before its `tool` (the SARIF multitool writes them so) is
//! read in a second pass, once its rules are known.
//!
//! # Secrets
//! A log from a secret scanner (see [`kind_for_tool`]; or any log captured with
//! `--kind secrets_scan`) is not streamed: it is read into memory (these logs are
//! small; at most `Limits::max_document`), the secret values of the runs of secret
//! scanners are redacted (see `crate::redact`), and the redacted log is parsed and
//! returned as the bytes to store. The streaming pass notices a secret scanner when
//! it reads the run's `tool`, before any of that run's results has reached the sink
//! (results before the tool are deferred), and starts over in memory, skipping the
//! findings of earlier runs that the sink already has when redaction left those runs
//! as they were. When it changed them (a message of another tool mentions a secret
//! the scanner reports), the sink is asked to take back what it has
//! ([`crate::FindingSink::retract`]) and gets every finding again; a sink that
//! cannot ends the parse with [`IngestErrorKind::Reread`], and the caller parses
//! again with [`crate::Options::redact_first`].

use std::collections::HashMap;
use std::io::Read;

use serde::Deserialize;
use serde_json::Value;
use signoff_core::finding::Fingerprinter;
use signoff_core::summary::FindingCounts;
use signoff_core::{EvidenceKind, Finding, Format, Location, Severity, Summary, Tool};

use self::raw::{Pairs, Properties, RawComponent, RawResources, RawResult, RawRule, RawTool, Scalar, Text};
use super::sarif_redact::{CountingSink, parse_redacted};
use crate::error::{IngestError, IngestErrorKind, Place};
use crate::json_scan::{self, Decoded, JsonScanner, ScanError};
use crate::json_walk::strip_position;
use crate::source::Source;
use crate::{Clearance, FindingSink, Options, Parsed, ids};

mod raw;

type Scanner<'a> = JsonScanner<Box<dyn Read + 'a>>;

/// Parses the SARIF log in `source`.
pub(crate) fn parse(
    source: &Source<'_>,
    display: &str,
    options: &Options,
    sink: &mut dyn FindingSink,
) -> Result<Parsed, IngestError> {
    if options.kind == Some(EvidenceKind::SecretsScan) || options.redact_first {
        return parse_redacted(source, display, options, sink, 0);
    }
    let mut counting = CountingSink::new(sink);
    match parse_streaming(source, display, options, &mut counting, true) {
        Err(Walk::NeedsRedaction) => {
            let (inner, already) = counting.into_parts();
            parse_redacted(source, display, options, inner, already)
        }
        Err(Walk::Scan(_)) => Err(IngestError::new(
            display,
            Some(Format::Sarif),
            IngestErrorKind::Shape { message: "internal: an unplaced scanner error".into() },
        )),
        Err(Walk::Ingest(error)) => Err(*error),
        Ok(parsed) => Ok(parsed),
    }
}

pub(super) fn parse_streaming(
    source: &Source<'_>,
    display: &str,
    options: &Options,
    sink: &mut dyn FindingSink,
    watch_for_secrets: bool,
) -> Result<Parsed, Walk> {
    let mut reader = SarifReader {
        source: *source,
        display,
        options,
        runs: Vec::new(),
        version: None,
        counts: FindingCounts::default(),
        produced_at: None,
        target: None,
        watch_for_secrets,
        // Only the pass over the input itself says what of it is clear, and only
        // when it watches for secret scanners (otherwise it reads redacted bytes).
        clearance: if watch_for_secrets { options.clearance.as_deref() } else { None },
        cleared: 0,
    };
    reader.pass(Pass::First, sink)?;
    if reader.runs.iter().any(|run| run.deferred) {
        reader.pass(Pass::Deferred, sink)?;
    }
    Ok(reader.finish()?)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    First,
    Deferred,
}

struct SarifReader<'a> {
    source: Source<'a>,
    display: &'a str,
    options: &'a Options,
    runs: Vec<RunState>,
    version: Option<String>,
    counts: FindingCounts,
    produced_at: Option<String>,
    /// What was scanned: the first run's `versionControlProvenance` repository,
    /// else its `originalUriBaseIds` root.
    target: Option<String>,
    /// Stop with [`Walk::NeedsRedaction`] on meeting a secret scanner's run.
    watch_for_secrets: bool,
    /// Told how far the input is clear: up to where the first run not yet known
    /// to come from a scanner other than a secret scanner begins.
    clearance: Option<&'a Clearance>,
    /// The offset last cleared.
    cleared: u64,
}

#[derive(Default)]
struct RunState {
    tool: Option<Tool>,
    rules: RuleTable,
    /// URIs of `run.artifacts`, for locations that give only an index.
    artifacts: Vec<Option<String>>,
    /// Results came before the tool: read them in the second pass.
    deferred: bool,
    fingerprinter: Fingerprinter,
}

impl SarifReader<'_> {
    fn error(&self, kind: IngestErrorKind) -> IngestError {
        IngestError::new(self.display, Some(Format::Sarif), kind)
    }

    fn scan_error(&self, error: ScanError) -> IngestError {
        match error {
            ScanError::Io(error) => self.error(IngestErrorKind::Io(error)),
            ScanError::Syntax { offset, message } => {
                let error = self.error(IngestErrorKind::Syntax { message });
                match self.source.line_column(offset) {
                    Some((line, column)) => error.at(Place::LineColumn { line, column }),
                    None => error,
                }
            }
        }
    }

    fn shape_error(&self, path: String, message: String, offset: Option<u64>) -> IngestError {
        let line_column = offset.and_then(|offset| self.source.line_column(offset));
        self.error(IngestErrorKind::Shape { message }).at(Place::JsonPath { path, line_column })
    }

    fn decode_error(&self, (path, message): (String, String), offset: u64) -> IngestError {
        self.shape_error(path, message, Some(offset))
    }

    /// Clears the input before `offset` (see [`Clearance`]); unless `now`, only
    /// once it is well past the last offset cleared, to keep the hot loop cheap.
    fn clear(&mut self, pass: Pass, offset: u64, now: bool) {
        const STEP: u64 = 256 * 1024;
        if let Some(clearance) = self.clearance
            && pass == Pass::First
            && (now || offset >= self.cleared + STEP)
        {
            clearance.clear_to(offset);
            self.cleared = offset;
        }
    }

    fn pass(&mut self, pass: Pass, sink: &mut dyn FindingSink) -> Result<(), Walk> {
        let input = self.source.unbuffered().map_err(|error| self.error(IngestErrorKind::Io(error)))?;
        let mut scanner = JsonScanner::sized(input, self.options.limits.max_value, self.source.size().ok());
        self.walk(pass, &mut scanner, sink).map_err(|error| match error {
            Walk::Scan(error) => Walk::from(self.scan_error(error)),
            other => other,
        })
    }

    fn walk(&mut self, pass: Pass, scanner: &mut Scanner<'_>, sink: &mut dyn FindingSink) -> Result<(), Walk> {
        scanner.skip_bom()?;
        match scanner.peek_value()? {
            Some(b'{') => {}
            _ => {
                return Err(Walk::from(self.shape_error(
                    "$".into(),
                    "a SARIF log must be a JSON object".into(),
                    Some(scanner.offset()),
                )));
            }
        }
        scanner.begin_object()?;
        let mut saw_runs = false;
        while let Some(key) = scanner.next_key()? {
            match key.as_str() {
                "version" if pass == Pass::First => {
                    let offset = scanner.offset();
                    let version: Value =
                        scanner.capture_value(|bytes| serde_json::from_slice(bytes).unwrap_or(Value::Null))?;
                    match version.as_str() {
                        Some(text) if text.starts_with("2.") => self.version = Some(text.to_owned()),
                        _ => {
                            return Err(Walk::from(self.shape_error(
                                "$.version".into(),
                                format!("unsupported SARIF version {version} (signoff reads 2.1.0 and 2.0.0)"),
                                Some(offset),
                            )));
                        }
                    }
                }
                "runs" => {
                    saw_runs = true;
                    if scanner.peek_value()? != Some(b'[') {
                        let offset = scanner.offset();
                        return Err(Walk::from(self.shape_error(
                            "$.runs".into(),
                            "`runs` must be an array".into(),
                            Some(offset),
                        )));
                    }
                    scanner.begin_array()?;
                    let mut index = 0usize;
                    while scanner.next_element()? {
                        if pass == Pass::First {
                            self.runs.push(RunState::default());
                        }
                        self.walk_run(pass, index, scanner, sink)?;
                        index += 1;
                    }
                }
                _ => scanner.skip_value()?,
            }
            // Outside the runs nothing is redacted; every run so far is cleared.
            self.clear(pass, scanner.offset(), true);
        }
        scanner.finish()?;
        self.clear(pass, scanner.offset(), true);
        if !saw_runs {
            return Err(Walk::from(self.shape_error(
                "$.runs".into(),
                "missing `runs`: this is not a SARIF log".into(),
                None,
            )));
        }
        Ok(())
    }

    fn walk_run(
        &mut self,
        pass: Pass,
        index: usize,
        scanner: &mut Scanner<'_>,
        sink: &mut dyn FindingSink,
    ) -> Result<(), Walk> {
        let run_path = format!("$.runs[{index}]");
        if scanner.peek_value()? != Some(b'{') {
            let offset = scanner.offset();
            return Err(Walk::from(self.shape_error(run_path, "a run must be an object".into(), Some(offset))));
        }
        scanner.begin_object()?;
        while let Some(key) = scanner.next_key()? {
            let offset = scanner.offset();
            match (key.as_str(), pass) {
                ("tool", Pass::First) => {
                    let decoded = scanner.capture_value(|bytes| {
                        decode::<RawTool<'_>>(bytes, || format!("{run_path}.tool"))
                            .map(|raw| (raw.tool(), ToolRules::from_raw(&raw)))
                    })?;
                    let (tool, rules) = decoded.map_err(|error| self.decode_error(error, offset))?;
                    if self.watch_for_secrets && kind_for_tool(&tool.name) == EvidenceKind::SecretsScan {
                        return Err(Walk::NeedsRedaction);
                    }
                    let run = &mut self.runs[index];
                    run.tool = Some(tool);
                    run.rules.add_tool(rules);
                    // Not a secret scanner's run: nothing in it will be redacted.
                    self.clear(pass, scanner.offset(), true);
                }
                ("resources", Pass::First) => {
                    // SARIF 2.0.0 keeps rules in `run.resources.rules`, a map keyed by id.
                    let decoded = scanner.capture_value(|bytes| {
                        decode::<RawResources<'_>>(bytes, || format!("{run_path}.resources")).map(|raw| {
                            raw.rules
                                .into_iter()
                                .flatten()
                                .map(|(id, rule)| (id.as_str().to_owned(), RuleInfo::from_raw(&rule)))
                                .collect::<Vec<_>>()
                        })
                    })?;
                    let rules = decoded.map_err(|error| self.decode_error(error, offset))?;
                    self.runs[index].rules.add_resources(rules);
                }
                ("artifacts" | "files", Pass::First) => {
                    let raw: Value = scanner
                        .capture_value(|bytes| decode(bytes, || format!("{run_path}.{key}")))?
                        .map_err(|error| self.decode_error(error, offset))?;
                    self.runs[index].artifacts = artifact_uris(&raw);
                }
                ("versionControlProvenance" | "originalUriBaseIds", Pass::First) => {
                    let raw: Value = scanner
                        .capture_value(|bytes| decode(bytes, || format!("{run_path}.{key}")))?
                        .map_err(|error| self.decode_error(error, offset))?;
                    // The first run's repository wins over any base URI.
                    let from_repository =
                        self.target.as_deref().is_some_and(|target| target.starts_with("repository:"));
                    if key == "versionControlProvenance" && !from_repository {
                        self.target = repository(&raw).or(self.target.take());
                    } else if self.target.is_none() {
                        self.target = uri_base(&raw);
                    }
                }
                ("invocations", Pass::First) => {
                    let raw: Value = scanner
                        .capture_value(|bytes| decode(bytes, || format!("{run_path}.invocations")))?
                        .map_err(|error| self.decode_error(error, offset))?;
                    if self.produced_at.is_none() {
                        self.produced_at = invocation_time(&raw);
                    }
                }
                ("results", _) => {
                    let run = &mut self.runs[index];
                    let ready = match pass {
                        Pass::First => run.tool.is_some(),
                        Pass::Deferred => run.deferred,
                    };
                    if !ready {
                        run.deferred |= pass == Pass::First;
                        scanner.skip_value()?;
                        continue;
                    }
                    match scanner.peek_value()? {
                        Some(b'[') => {}
                        Some(b'n') => {
                            // `"results": null` means the tool did not run; nothing to count.
                            scanner.skip_value()?;
                            continue;
                        }
                        _ => {
                            return Err(Walk::from(self.shape_error(
                                format!("{run_path}.results"),
                                "`results` must be an array".into(),
                                Some(offset),
                            )));
                        }
                    }
                    scanner.begin_array()?;
                    let mut result_index = 0usize;
                    while scanner.next_element()? {
                        let offset = scanner.offset();
                        let run = &mut self.runs[index];
                        // One pass over the result's bytes; only a result that does not
                        // decode is read again, to name what is wrong with it.
                        let finding = match scanner.decode_next(|bytes| decode_result(bytes, run))? {
                            Some(finding) => finding,
                            None => scanner
                                .capture_value(|bytes| {
                                    decode::<RawResult<'_>>(bytes, || format!("{run_path}.results[{result_index}]"))
                                        .map(|raw| run.normalize(&raw))
                                })?
                                .map_err(|error| self.decode_error(error, offset))?,
                        };
                        self.counts.add(&finding);
                        sink.push(finding).map_err(|error| Walk::from(self.error(IngestErrorKind::Sink(error))))?;
                        result_index += 1;
                        self.clear(pass, scanner.offset(), false);
                    }
                }
                _ => scanner.skip_value()?,
            }
            if self.runs[index].tool.is_some() {
                self.clear(pass, scanner.offset(), true);
            }
        }
        if pass == Pass::First && self.runs[index].tool.is_none() {
            return Err(Walk::from(self.shape_error(
                format!("{run_path}.tool"),
                "missing `tool`: every run names its tool".into(),
                None,
            )));
        }
        Ok(())
    }

    fn finish(self) -> Result<Parsed, IngestError> {
        let mut tools: Vec<Tool> = Vec::new();
        for run in &self.runs {
            if let Some(tool) = &run.tool
                && !tools.iter().any(|seen| seen.name == tool.name)
            {
                tools.push(tool.clone());
            }
        }
        let tool = match tools.len() {
            0 => Tool::new("unknown", None),
            1 => tools.remove(0),
            _ => Tool::new(tools.iter().map(|tool| tool.name.as_str()).collect::<Vec<_>>().join(" + "), None),
        };
        let kind = self.options.kind.unwrap_or_else(|| kind_for_tool(&tool.name));
        Ok(Parsed {
            target: self.target,
            format: Format::Sarif,
            kind,
            tool,
            summary: Summary { findings: Some(self.counts), ..Summary::default() },
            produced_at: self.produced_at,
            stored: None,
            redacted: 0,
        })
    }
}

/// `versionControlProvenance[0]`: `repository:<repositoryUri>`.
fn repository(raw: &Value) -> Option<String> {
    let first = raw.as_array()?.first()?;
    let uri = first.get("repositoryUri")?.as_str()?.trim();
    (!uri.is_empty()).then(|| format!("repository:{uri}"))
}

/// `originalUriBaseIds`: the `SRCROOT` (else `%SRCROOT%`, else the only) base's
/// URI, `path:<uri>`.
fn uri_base(raw: &Value) -> Option<String> {
    let bases = raw.as_object()?;
    let base = bases
        .get("SRCROOT")
        .or_else(|| bases.get("%SRCROOT%"))
        .or_else(|| if bases.len() == 1 { bases.values().next() } else { None })?;
    let uri = base.get("uri")?.as_str()?.trim();
    (!uri.is_empty()).then(|| format!("path:{uri}"))
}

/// Errors while walking: scanner errors get their place later.
pub(super) enum Walk {
    Scan(ScanError),
    Ingest(Box<IngestError>),
    /// A secret scanner's run: start over in memory, redacting.
    NeedsRedaction,
}

impl From<ScanError> for Walk {
    fn from(error: ScanError) -> Walk {
        Walk::Scan(error)
    }
}

impl From<IngestError> for Walk {
    fn from(error: IngestError) -> Walk {
        Walk::Ingest(Box::new(error))
    }
}

/// Decodes the result at the start of `bytes` and normalizes it.
fn decode_result(bytes: &[u8], run: &mut RunState) -> Decoded<Finding> {
    let mut results = serde_json::Deserializer::from_slice(bytes).into_iter::<RawResult<'_>>();
    match results.next() {
        // A result sits four levels down (`$.runs[i].results[j]`); one nested deeper
        // than the limit allows is read again by the scanner, which names the place.
        Some(Ok(_)) if !json_scan::nesting_within(&bytes[..results.byte_offset()], json_scan::MAX_DEPTH - 4) => {
            Decoded::Rejected
        }
        Some(Ok(raw)) => Decoded::Value(run.normalize(&raw), results.byte_offset()),
        Some(Err(error)) if error.is_eof() => Decoded::Incomplete,
        None => Decoded::Incomplete,
        Some(Err(_)) => Decoded::Rejected,
    }
}

/// Parses a captured value into `T`; a failure names the JSON path (below the
/// value's own path, `path`) and what was wrong.
///
/// The common case takes the fast path; only a value that fails is parsed again
/// with path tracking, so the hot loop builds no path strings.
fn decode<'b, T: Deserialize<'b>>(bytes: &'b [u8], path: impl FnOnce() -> String) -> Result<T, (String, String)> {
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let path = path();
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Ok(value) => Ok(value),
        Err(error) => {
            let inner = error.path().to_string();
            let full = if inner == "." || inner.is_empty() { path } else { format!("{path}.{inner}") };
            Err((full, strip_position(&error.inner().to_string())))
        }
    }
}

/// The evidence kind a SARIF producer's name implies; `--kind` overrides.
pub(crate) fn kind_for_tool(name: &str) -> EvidenceKind {
    let name = name.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|needle| name.contains(needle));
    if has(&["gitleaks", "trufflehog", "detect-secrets", "secretlint", "ggshield", "gitguardian", "secret"]) {
        EvidenceKind::SecretsScan
    } else if has(&["checkov", "tfsec", "kics", "terrascan", "hadolint", "kube-linter", "kubesec", "cfn", "tflint"]) {
        EvidenceKind::IacScan
    } else if has(&["zap", "burp", "nuclei", "nikto", "arachni"]) {
        EvidenceKind::Dast
    } else if has(&["dockle", "clair", "anchore"]) {
        EvidenceKind::ContainerScan
    } else if has(&[
        "grype",
        "trivy",
        "dependency-check",
        "snyk open source",
        "osv",
        "npm audit",
        "retire",
        "dependabot",
        "ossindex",
        "pip-audit",
        "cargo-audit",
    ]) {
        EvidenceKind::Sca
    } else {
        EvidenceKind::Sast
    }
}

impl RawTool<'_> {
    fn tool(&self) -> Tool {
        let (name, full_name, version, semantic) = match &self.driver {
            Some(driver) => (&driver.name, &driver.full_name, &driver.version, &driver.semantic_version),
            None => (&self.name, &self.full_name, &self.version, &self.semantic_version),
        };
        let name =
            name.as_ref().or(full_name.as_ref()).map_or_else(|| "unknown".into(), |name| name.as_str().to_owned());
        let version = version.as_ref().and_then(Scalar::text).or_else(|| semantic.as_ref().and_then(Scalar::text));
        Tool::new(name, version)
    }
}

/// What we keep of a rule.
#[derive(Default, Clone)]
struct RuleInfo {
    default_level: Option<String>,
    security_severity: Option<f64>,
    title: Option<String>,
    cwe: Vec<String>,
    /// Advisory ids in the title, for results whose rule id names none.
    title_advisories: Vec<String>,
}

impl RuleInfo {
    fn from_raw(raw: &RawRule<'_>) -> RuleInfo {
        let title = raw
            .short_description
            .as_ref()
            .and_then(|message| message.text.as_ref())
            .map(|text| text.as_str().to_owned())
            .or_else(|| match &raw.name {
                Some(Scalar::Text(name)) => Some(name.to_string()),
                _ => None,
            });
        RuleInfo {
            default_level: raw
                .default_configuration
                .as_ref()
                .and_then(|config| config.level.as_ref())
                .map(|level| level.as_str().to_owned()),
            security_severity: raw.properties.as_ref().and_then(Properties::security_severity),
            title_advisories: title.as_deref().map(ids::advisory_ids).unwrap_or_default(),
            title,
            cwe: raw.properties.as_ref().map(cwe_from_properties).unwrap_or_default(),
        }
    }
}

/// The rules a run's `tool` declares, with their ids: the driver's, then each
/// extension's.
struct ToolRules {
    driver: Vec<(Option<String>, RuleInfo)>,
    extensions: Vec<Vec<(Option<String>, RuleInfo)>>,
}

impl ToolRules {
    fn from_raw(tool: &RawTool<'_>) -> ToolRules {
        let infos = |component: &RawComponent<'_>| -> Vec<(Option<String>, RuleInfo)> {
            component
                .rules
                .iter()
                .flatten()
                .map(|rule| (rule.id.as_ref().map(|id| id.as_str().to_owned()), RuleInfo::from_raw(rule)))
                .collect()
        };
        ToolRules {
            driver: tool.driver.as_ref().map(infos).unwrap_or_default(),
            extensions: tool.extensions.iter().map(infos).collect(),
        }
    }
}

/// Rules of a run: the driver's by index, each extension's by index, and all by id.
#[derive(Default)]
struct RuleTable {
    driver: Vec<RuleInfo>,
    extensions: Vec<Vec<RuleInfo>>,
    by_id: HashMap<String, RuleInfo>,
}

impl RuleTable {
    fn add_tool(&mut self, tool: ToolRules) {
        for (id, info) in tool.driver {
            if let Some(id) = id {
                self.by_id.entry(id).or_insert_with(|| info.clone());
            }
            self.driver.push(info);
        }
        for extension in tool.extensions {
            let mut rules = Vec::new();
            for (id, info) in extension {
                if let Some(id) = id {
                    self.by_id.entry(id).or_insert_with(|| info.clone());
                }
                rules.push(info);
            }
            self.extensions.push(rules);
        }
    }

    fn add_resources(&mut self, rules: Vec<(String, RuleInfo)>) {
        for (id, info) in rules {
            self.by_id.insert(id, info);
        }
    }

    fn lookup(&self, result: &RawResult<'_>, rule_id: &str) -> Option<&RuleInfo> {
        let reference = result.rule.as_ref();
        let index =
            reference.and_then(|rule| rule.index).or(result.rule_index).and_then(|index| usize::try_from(index).ok());
        let component = reference.and_then(|rule| rule.tool_component.as_ref());
        let by_index = match (component, index) {
            (Some(component), Some(index)) => match component.index.and_then(|index| usize::try_from(index).ok()) {
                Some(extension) => self.extensions.get(extension).and_then(|rules| rules.get(index)),
                None if component.name.is_some() => None,
                None => self.driver.get(index),
            },
            (None, Some(index)) => self.driver.get(index),
            _ => None,
        };
        by_index.or_else(|| self.by_id.get(rule_id))
    }
}

impl RunState {
    fn normalize(&mut self, raw: &RawResult<'_>) -> Finding {
        let rule_id = raw
            .rule_id
            .as_ref()
            .or_else(|| raw.rule.as_ref().and_then(|rule| rule.id.as_ref()))
            .map_or_else(String::new, |id| id.as_str().to_owned());
        let no_rule = RuleInfo::default();
        let rule = self.rules.lookup(raw, &rule_id).unwrap_or(&no_rule);
        let severity = severity_of(raw, rule);

        let physical = raw
            .locations
            .as_ref()
            .and_then(|locations| locations.first())
            .and_then(|location| location.physical_location.as_ref());
        let artifact =
            physical.and_then(|physical| physical.artifact_location.as_ref().or(physical.file_location.as_ref()));
        let uri: Option<&str> = artifact.and_then(|artifact| match &artifact.uri {
            Some(uri) => Some(uri.as_str()),
            None => {
                let index = usize::try_from(artifact.index?).ok()?;
                self.artifacts.get(index)?.as_deref()
            }
        });
        let region = physical.and_then(|physical| physical.region.as_ref());
        let start_line = region.and_then(|region| region.start_line.as_ref()).and_then(Scalar::unsigned);
        let end_line = region.and_then(|region| region.end_line.as_ref()).and_then(Scalar::unsigned).or(start_line);
        let start_column = region.and_then(|region| region.start_column.as_ref()).and_then(Scalar::unsigned);
        let snippet = region
            .and_then(|region| region.snippet.as_ref())
            .and_then(|snippet| snippet.text.as_ref())
            .map(|text| text.as_str().split_whitespace().collect::<Vec<&str>>().join(" "))
            .filter(|text| !text.is_empty());
        let location = Location { path: uri.map(Location::normalize_path), start_line, end_line };

        let message: Option<&str> = raw
            .message
            .as_ref()
            .and_then(|message| message.text.as_ref().or(message.markdown.as_ref()))
            .map(Text::as_str);
        let title = message
            .or(rule.title.as_deref())
            .map(first_line)
            .unwrap_or_else(|| if rule_id.is_empty() { "(no message)".to_owned() } else { rule_id.clone() });

        let tool_name = self.tool.as_ref().map_or("", |tool| tool.name.as_str());
        let stable = stable_fingerprints(raw.fingerprints.as_ref())
            .or_else(|| stable_fingerprints(raw.partial_fingerprints.as_ref()));
        let fingerprint = match stable {
            Some(pairs) => {
                // The path stays in the identity: some producers' hashes cover only the
                // line's text, which repeats across files.
                let mut parts = vec![rule_id.as_str(), location.path.as_deref().unwrap_or("")];
                parts.extend(pairs.iter().map(String::as_str));
                self.fingerprinter.fingerprint(tool_name, &parts)
            }
            None if snippet.is_some() => {
                // The flagged code itself, whitespace normalised: the identity
                // survives the code moving to another line (A4).
                let snippet = snippet.unwrap_or_default();
                self.fingerprinter
                    .fingerprint(tool_name, &[&rule_id, location.path.as_deref().unwrap_or(""), "snippet", &snippet])
            }
            None => {
                let start = start_line.map(|line| line.to_string()).unwrap_or_default();
                let column = start_column.map(|column| column.to_string()).unwrap_or_default();
                self.fingerprinter.fingerprint(
                    tool_name,
                    &[&rule_id, location.path.as_deref().unwrap_or(""), &start, &column, message.unwrap_or("")],
                )
            }
        };

        let suppressed = raw.suppressions.as_ref().is_some_and(|list| {
            list.iter().any(|suppression| suppression.status.as_ref().map(Text::as_str) != Some("rejected"))
        }) || raw.suppression_states.as_ref().is_some_and(|states| !states.is_empty());

        let mut cwe = rule.cwe.clone();
        if let Some(properties) = &raw.properties {
            for id in cwe_from_properties(properties) {
                if !cwe.contains(&id) {
                    cwe.push(id);
                }
            }
        }
        let mut cve = ids::advisory_ids(&rule_id);
        if cve.is_empty() {
            cve = rule.title_advisories.clone();
        }

        Finding {
            fingerprint,
            rule_id,
            severity,
            title,
            location,
            cve,
            cwe,
            package: None,
            package_version: None,
            suppressed,
        }
    }
}

/// A result's fingerprints as sorted `key=value` pairs, without placeholder values
/// that carry no identity (Semgrep writes `"requires login"` when logged out).
fn stable_fingerprints(map: Option<&Pairs<'_>>) -> Option<Vec<String>> {
    let mut pairs: Vec<String> = map?
        .0
        .iter()
        .filter_map(|(key, value)| {
            let text = value.text()?;
            (!text.is_empty() && text != "requires login").then(|| {
                let mut pair = String::with_capacity(key.as_str().len() + 1 + text.len());
                pair.push_str(key.as_str());
                pair.push('=');
                pair.push_str(&text);
                pair
            })
        })
        .collect();
    pairs.sort();
    (!pairs.is_empty()).then_some(pairs)
}

fn severity_of(raw: &RawResult<'_>, rule: &RuleInfo) -> Severity {
    if let Some(score) = raw.properties.as_ref().and_then(Properties::security_severity).or(rule.security_severity)
        && let Some(severity) = Severity::from_score(score)
    {
        return severity;
    }
    let level = match raw.level.as_ref() {
        Some(level) => level.as_str(),
        None if raw.kind.as_ref().is_some_and(|kind| kind.as_str() != "fail") => "none",
        None => rule.default_level.as_deref().unwrap_or("warning"),
    };
    level_severity(level)
}

/// SARIF `level` to our scale.
fn level_severity(level: &str) -> Severity {
    match level {
        "error" => Severity::High,
        "warning" => Severity::Medium,
        "note" => Severity::Low,
        "none" => Severity::Info,
        other => Severity::from_word(other).unwrap_or(Severity::Medium),
    }
}

/// CWE ids from `properties.tags` (`external/cwe/cwe-079`, `CWE-79: ...`) and a
/// `cwe` property.
fn cwe_from_properties(properties: &Properties<'_>) -> Vec<String> {
    let mut found = Vec::new();
    for text in properties.tags.iter().chain(&properties.cwe) {
        for id in ids::cwe_ids(text) {
            if !found.contains(&id) {
                found.push(id);
            }
        }
    }
    found
}

fn artifact_uris(raw: &Value) -> Vec<Option<String>> {
    let uri = |artifact: &Value| {
        artifact.pointer("/location/uri").or_else(|| artifact.get("uri")).and_then(Value::as_str).map(str::to_owned)
    };
    match raw {
        Value::Array(items) => items.iter().map(uri).collect(),
        // SARIF 2.0.0 `files` is a map keyed by URI.
        Value::Object(map) => map.keys().map(|key| Some(key.clone())).collect(),
        _ => Vec::new(),
    }
}

fn invocation_time(raw: &Value) -> Option<String> {
    let first = raw.as_array()?.first()?;
    ["endTimeUtc", "startTimeUtc", "endTime", "startTime"]
        .iter()
        .find_map(|key| first.get(*key).and_then(Value::as_str))
        .map(str::to_owned)
}

/// The first line of a message, at most 300 characters.
pub(crate) fn first_line(text: &str) -> String {
    let line = text.trim().lines().next().unwrap_or("").trim();
    // No more bytes than 300 is no more characters either: most messages end here.
    if line.len() <= 300 {
        return line.to_owned();
    }
    match line.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_owned(),
    }
}
