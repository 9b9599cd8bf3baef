//! The in-memory path of SARIF logs from secret scanners (see `sarif`'s module
//! docs, "Secrets"): read the log, redact the runs of secret scanners, and parse
//! the redacted log with the streaming reader, skipping the findings the sink
//! already has.

use serde_json::Value;
use signoff_core::{EvidenceKind, Finding, Format};

use super::sarif::{Walk, kind_for_tool, parse_streaming};
use crate::error::{IngestError, IngestErrorKind};
use crate::redact::{self, Redactor};
use crate::source::Source;
use crate::{FindingSink, Options, Parsed};

/// Reads the log into memory, redacts the runs of secret scanners (all runs with
/// `--kind secrets_scan`), and parses the redacted log, skipping the first `skip`
/// findings (the sink has them already).
pub(super) fn parse_redacted(
    source: &Source<'_>,
    display: &str,
    options: &Options,
    sink: &mut dyn FindingSink,
    skip: u64,
) -> Result<Parsed, IngestError> {
    let bytes = source.bytes(display, Format::Sarif, options.limits.max_document)?;
    let mut value = super::json_value(&bytes, display, Format::Sarif)?;
    let every_run = options.kind == Some(EvidenceKind::SecretsScan);
    let mut redactor = Redactor::new(&options.redaction_key);
    let mut others_changed = false;
    if let Some(runs) = value.get_mut("runs").and_then(Value::as_array_mut) {
        let secret_run = |run: &Value| {
            every_run || run_tool_name(run).is_some_and(|name| kind_for_tool(&name) == EvidenceKind::SecretsScan)
        };
        for run in runs.iter_mut().filter(|run| secret_run(run)) {
            redactor.redact_keys(run, redact::SECRET_KEYS);
            redactor.redact_url_passwords(run);
        }
        // A secret may be mentioned in another tool's run (a message, a title):
        // those findings change too.
        let before = redactor.count();
        let scrubber = redactor.scrubber();
        for run in runs.iter_mut().filter(|run| !secret_run(run)) {
            redactor.scrub_with(run, &scrubber);
        }
        others_changed = redactor.count() > before;
    }
    redactor.scrub(&mut value);
    // The findings the sink has already were read before the secret was known: if
    // redaction changed any run they may come from, they must be read again.
    let mut skip = skip;
    if skip > 0 && others_changed {
        if !sink.retract() {
            return Err(IngestError::new(display, Some(Format::Sarif), IngestErrorKind::Reread));
        }
        skip = 0;
    }
    let redacted = serde_json::to_vec_pretty(&value).map_err(|error| {
        IngestError::new(
            display,
            Some(Format::Sarif),
            IngestErrorKind::Shape { message: format!("cannot write the redacted log: {error}") },
        )
    })?;
    let mut skipping = SkipSink { inner: sink, skip };
    let mut parsed = match parse_streaming(&Source::Bytes(&redacted), display, options, &mut skipping, false) {
        Ok(parsed) => parsed,
        Err(Walk::Ingest(error)) => return Err(*error),
        Err(_) => {
            return Err(IngestError::new(
                display,
                Some(Format::Sarif),
                IngestErrorKind::Shape { message: "internal: the redacted log could not be read".into() },
            ));
        }
    };
    if redactor.count() > 0 {
        parsed.redacted = redactor.count();
        parsed.stored = Some(redacted);
    }
    Ok(parsed)
}

/// The tool name of a run as a tree (`tool.driver.name`, or SARIF 2.0.0's `tool.name`).
fn run_tool_name(run: &Value) -> Option<String> {
    let tool = run.get("tool")?;
    tool.pointer("/driver/name").or_else(|| tool.get("name")).and_then(Value::as_str).map(str::to_owned)
}

/// Counts what reaches the sink.
pub(super) struct CountingSink<'s> {
    inner: &'s mut dyn FindingSink,
    pushed: u64,
}

impl<'s> CountingSink<'s> {
    pub(super) fn new(inner: &'s mut dyn FindingSink) -> CountingSink<'s> {
        CountingSink { inner, pushed: 0 }
    }

    /// The sink and how many findings it got.
    pub(super) fn into_parts(self) -> (&'s mut dyn FindingSink, u64) {
        (self.inner, self.pushed)
    }
}

impl FindingSink for CountingSink<'_> {
    fn push(&mut self, finding: Finding) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.pushed += 1;
        self.inner.push(finding)
    }

    fn retract(&mut self) -> bool {
        let retracted = self.inner.retract();
        if retracted {
            self.pushed = 0;
        }
        retracted
    }
}

/// Drops the first `skip` findings.
struct SkipSink<'s> {
    inner: &'s mut dyn FindingSink,
    skip: u64,
}

impl FindingSink for SkipSink<'_> {
    fn push(&mut self, finding: Finding) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if self.skip > 0 {
            self.skip -= 1;
            return Ok(());
        }
        self.inner.push(finding)
    }

    fn retract(&mut self) -> bool {
        self.inner.retract()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use signoff_core::{EvidenceKind, Finding, Format};

    use crate::{Clearance, Cleared, Options, parse_bytes};

    const SECRET: &str = "AKIAIOSFODNN7EXAMPLE";

    #[test]
    fn a_secret_scanner_run_after_another_run_is_redacted_without_repeats() {
        let text = format!(
            r#"{{"version": "2.1.0", "runs": [
              {{"tool": {{"driver": {{"name": "Bandit"}}}}, "results": [{{"ruleId": "B307", "level": "error", "message": {{"text": "eval"}}}}]}},
              {{"tool": {{"driver": {{"name": "Gitleaks", "semanticVersion": "v7.4.0"}}}}, "results": [
                {{"message": {{"text": "AWS key {SECRET} detected"}}, "properties": {{"offender": "{SECRET}", "commit": "6d12"}},
                  "locations": [{{"physicalLocation": {{"artifactLocation": {{"uri": "a.json"}},
                    "region": {{"startLine": 13, "snippet": {{"text": "key = \"{SECRET}\""}}}}}}}}]}}]}}]}}"#
        );
        let mut findings: Vec<Finding> = Vec::new();
        let options = Options { redaction_key: [9; 32], ..Options::default() };
        let parsed = parse_bytes(text.as_bytes(), "scan.sarif", &options, &mut findings).unwrap();
        assert_eq!(parsed.format, Format::Sarif);
        assert_eq!(findings.len(), 2, "the first run's finding is not handed over twice");
        assert_eq!(parsed.summary.findings.unwrap().total, 2);
        assert_eq!(parsed.redacted, 3);
        let stored = String::from_utf8(parsed.stored.unwrap()).unwrap();
        assert!(!stored.contains(SECRET) && !format!("{findings:?}").contains(SECRET));
        assert!(stored.contains("B307") && stored.contains("redacted:"));
    }

    /// A run that mentions a secret before the secret scanner's run reports it: its
    /// finding is redacted too, in any run order, whether the sink can take back
    /// what it has (then it gets everything again) or not (then the parse says to
    /// read again with `redact_first`).
    #[test]
    fn a_secret_mentioned_in_an_earlier_run_is_redacted_in_its_finding() {
        let text = format!(
            r#"{{"version": "2.1.0", "runs": [
              {{"tool": {{"driver": {{"name": "Bandit"}}}}, "results": [{{"ruleId": "B105", "level": "error", "message": {{"text": "hardcoded password '{SECRET}'"}}}}]}},
              {{"tool": {{"driver": {{"name": "Gitleaks"}}}}, "results": [
                {{"message": {{"text": "AWS key"}}, "properties": {{"offender": "{SECRET}"}}}}]}}]}}"#
        );
        let options = Options { redaction_key: [9; 32], ..Options::default() };
        let mut findings: Vec<Finding> = Vec::new();
        let parsed = parse_bytes(text.as_bytes(), "scan.sarif", &options, &mut findings).unwrap();
        assert_eq!(findings.len(), 2);
        assert!(!format!("{findings:?}").contains(SECRET), "{findings:?}");
        assert!(!String::from_utf8(parsed.stored.unwrap()).unwrap().contains(SECRET));

        struct Forgetful(Vec<Finding>);
        impl crate::FindingSink for Forgetful {
            fn push(&mut self, finding: Finding) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
                self.0.push(finding);
                Ok(())
            }
        }
        let mut sink = Forgetful(Vec::new());
        let error = parse_bytes(text.as_bytes(), "scan.sarif", &options, &mut sink).unwrap_err();
        assert!(matches!(error.kind, crate::IngestErrorKind::Reread), "{error}");
        let mut sink = Forgetful(Vec::new());
        let first = Options { redact_first: true, ..options };
        parse_bytes(text.as_bytes(), "scan.sarif", &first, &mut sink).unwrap();
        assert_eq!(sink.0.len(), 2);
        assert!(!format!("{:?}", sink.0).contains(SECRET));
    }

    /// Capture copies the input while it is parsed, as far as it is cleared: never
    /// into a secret scanner's run, all of a log without one.
    #[test]
    fn the_clearance_stops_before_a_secret_scanners_run() {
        let plain =
            r#"{"tool": {"driver": {"name": "Bandit"}}, "results": [{"ruleId": "B307", "message": {"text": "eval"}}]}"#;
        let late_tool =
            r#"{"results": [{"ruleId": "X1", "message": {"text": "x"}}], "tool": {"driver": {"name": "Other"}}}"#;
        let secrets = format!(
            r#"{{"tool": {{"driver": {{"name": "Gitleaks"}}}}, "results": [{{"message": {{"text": "key {SECRET}"}}}}]}}"#
        );
        let cleared = |runs: &[&str], kind: Option<EvidenceKind>| {
            let text = format!(r#"{{"version": "2.1.0", "runs": [{}], "properties": {{}}}}"#, runs.join(", "));
            let clearance = Arc::new(Clearance::new());
            let options = Options { kind, clearance: Some(Arc::clone(&clearance)), ..Options::default() };
            parse_bytes(text.as_bytes(), "scan.sarif", &options, &mut Vec::new()).unwrap();
            (text, clearance.cleared())
        };

        let (text, all) = cleared(&[plain, late_tool, plain], None);
        assert_eq!(all, Cleared::UpTo(text.len() as u64), "a log without a secret scanner is cleared whole");

        let (text, partly) = cleared(&[plain, late_tool, &secrets, plain], None);
        let secret_run = text.find(r#"{"tool": {"driver": {"name": "Gitleaks"#).unwrap() as u64;
        match partly {
            Cleared::UpTo(offset) => {
                assert!(offset <= secret_run, "cleared to {offset}, into the secret run at {secret_run}");
                assert!(offset > text.find(late_tool).unwrap() as u64, "the runs before it are cleared");
            }
            other => panic!("{other:?}"),
        }

        let (_, none) = cleared(&[plain], Some(EvidenceKind::SecretsScan));
        assert_eq!(none, Cleared::UpTo(0), "a log captured as secrets is never cleared");
    }

    #[test]
    fn secrets_kind_redacts_any_json() {
        let text = format!(
            r#"{{"results": [{{"check_id": "generic.secrets.aws", "path": "a.py", "start": {{"line": 1}}, "end": {{"line": 1}},
            "extra": {{"message": "AWS key", "severity": "ERROR", "lines": "key = '{SECRET}'"}}}}], "errors": []}}"#
        );
        let options = Options { kind: Some(EvidenceKind::SecretsScan), ..Options::default() };
        let parsed = parse_bytes(text.as_bytes(), "s.json", &options, &mut Vec::new()).unwrap();
        assert_eq!((parsed.format, parsed.kind), (Format::Semgrep, EvidenceKind::SecretsScan));
        assert_eq!(parsed.redacted, 1);
        assert!(!String::from_utf8(parsed.stored.unwrap()).unwrap().contains(SECRET));
    }
}
