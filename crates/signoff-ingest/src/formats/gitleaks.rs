//! Gitleaks JSON: a list of leaks, in the Gitleaks 8 layout (`RuleID`, `Secret`,
//! `Match`, `File`, `StartLine`, `Fingerprint`) or the Gitleaks 7 one (`rule`,
//! `offender`, `line`, `file`, `lineNumber`); `null` when nothing was found.
//!
//! The document is redacted before it is read (see `crate::redact`): what this
//! module sees in `Secret`, `Match`, `offender` and the lines are tokens.
//!
//! # Counting and severity
//! Each entry is one finding, always high: a committed secret is readable by
//! everyone with access to the repository's history, whatever kind of key it is.
//!
//! # Identity
//! Gitleaks 8's `Fingerprint` (`commit:file:rule:line`) where present; otherwise
//! rule, file, line, column and commit.
//!
//! # Kind
//! `secrets_scan`.

use serde::Deserialize;
use signoff_core::{EvidenceKind, Finding, Format, Location, Severity, Summary, Tool};

use super::kind;
use crate::json_walk::{Doc, Emitter, Result};
use crate::{FindingSink, Options, Parsed};

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawLeak {
    // Gitleaks 8.
    #[serde(rename = "RuleID")]
    rule_id: Option<String>,
    #[serde(rename = "Description")]
    description: Option<String>,
    #[serde(rename = "File")]
    file: Option<String>,
    #[serde(rename = "StartLine")]
    start_line: Option<u64>,
    #[serde(rename = "EndLine")]
    end_line: Option<u64>,
    #[serde(rename = "StartColumn")]
    start_column: Option<u64>,
    #[serde(rename = "Commit")]
    commit: Option<String>,
    #[serde(rename = "Fingerprint")]
    fingerprint: Option<String>,
    // Gitleaks 7.
    rule: Option<String>,
    #[serde(rename = "file")]
    file7: Option<String>,
    #[serde(rename = "lineNumber")]
    line_number: Option<u64>,
    #[serde(rename = "commit")]
    commit7: Option<String>,
}

pub(crate) fn parse(doc: &Doc<'_>, options: &Options, sink: &mut dyn FindingSink) -> Result<Parsed> {
    let mut emitter = Emitter::new(sink, Format::Gitleaks, doc.display);
    let mut walker = doc.walker()?;
    if walker.peek()? == Some(b'{') {
        return Err(walker.shape("expected a list of leaks (a JSON array) or null, found an object"));
    }
    walker.array("a list of leaks", |walker, _| {
        let raw: RawLeak = walker.decode()?;
        let finding = normalize(&mut emitter, raw);
        emitter.push(finding)
    })?;
    walker.finish()?;
    Ok(Parsed {
        target: None,
        format: Format::Gitleaks,
        kind: kind(options, EvidenceKind::SecretsScan),
        tool: Tool::new("gitleaks", None),
        summary: Summary { findings: Some(emitter.counts), ..Summary::default() },
        produced_at: None,
        stored: None,
        redacted: 0,
    })
}

fn normalize(emitter: &mut Emitter<'_>, raw: RawLeak) -> Finding {
    let rule_id = raw.rule_id.or(raw.rule).unwrap_or_default();
    let file = raw.file.or(raw.file7);
    let line = raw.start_line.or(raw.line_number).filter(|line| *line > 0);
    let commit = raw.commit.or(raw.commit7).unwrap_or_default();
    let fingerprint = match raw.fingerprint.filter(|fingerprint| !fingerprint.is_empty()) {
        Some(stable) => emitter.fingerprint(&[&stable]),
        None => {
            let line_text = line.map(|line| line.to_string()).unwrap_or_default();
            let column = raw.start_column.map(|column| column.to_string()).unwrap_or_default();
            emitter.fingerprint(&[&rule_id, file.as_deref().unwrap_or(""), &line_text, &column, &commit])
        }
    };
    let name = raw.description.filter(|text| !text.is_empty()).unwrap_or_else(|| rule_id.clone());
    Finding {
        fingerprint,
        severity: Severity::High,
        title: super::sarif::first_line(&format!("{name} secret committed")),
        location: Location {
            path: file.as_deref().map(Location::normalize_path),
            start_line: line,
            end_line: raw.end_line.filter(|end| *end > 0).or(line),
        },
        cve: Vec::new(),
        cwe: vec!["CWE-798".to_owned()],
        package: None,
        package_version: None,
        suppressed: false,
        rule_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_bytes;

    #[test]
    fn both_layouts_redacted() {
        let text = r#"[
          {"Description": "AWS", "StartLine": 2, "EndLine": 2, "StartColumn": 5, "Match": "key=AKIAIOSFODNN7EXAMPLE", "Secret": "AKIAIOSFODNN7EXAMPLE",
           "File": "conf/aws.tf", "Commit": "74d5", "RuleID": "aws-access-token", "Fingerprint": "74d5:conf/aws.tf:aws-access-token:2",
           "Message": "adds AKIAIOSFODNN7EXAMPLE"},
          {"line": "export TOKEN=\"c77e01c1e89682e4d4b94a059a7fd2b37ab326ed\"", "offender": "c77e01c1e89682e4d4b94a059a7fd2b37ab326ed",
           "commit": "d54c", "rule": "Github", "file": ".bashrc", "lineNumber": 3}
        ]"#;
        let mut findings = Vec::new();
        let options = Options { redaction_key: [3; 32], ..Options::default() };
        let parsed = parse_bytes(text.as_bytes(), "leaks.json", &options, &mut findings).unwrap();
        assert_eq!(parsed.kind, EvidenceKind::SecretsScan);
        assert_eq!(parsed.summary.findings.unwrap().high, 2);
        assert_eq!(parsed.redacted, 5);
        let stored = String::from_utf8(parsed.stored.unwrap()).unwrap();
        for secret in ["AKIAIOSFODNN7EXAMPLE", "c77e01c1e89682e4d4b94a059a7fd2b37ab326ed"] {
            assert!(!stored.contains(secret), "{stored}");
            assert!(!format!("{findings:?}").contains(secret));
        }
        assert_eq!(findings[1].rule_id, "Github");
        assert_eq!(findings[1].location.start_line, Some(3));
        assert_eq!(findings[0].title, "AWS secret committed");
    }

    /// Large reports are redacted one finding at a time; the stored bytes are the
    /// same as redacting the whole document at once, and a secret found late in
    /// the report is scrubbed from text earlier in it.
    #[test]
    fn redacted_one_finding_at_a_time_as_if_whole() {
        let text = r#"[
          {"Description": "generic", "Match": "see ghp_0123456789abcdefghijABCDEFGHIJ012345", "Secret": "s3cr3t-one-value",
           "File": "a.txt", "RuleID": "generic-api-key", "StartLine": 1, "Message": "moved from ghp_0123456789abcdefghijABCDEFGHIJ012345"},
          {"Description": "GitHub", "Match": "token ghp_0123456789abcdefghijABCDEFGHIJ012345", "Secret": "ghp_0123456789abcdefghijABCDEFGHIJ012345",
           "File": "b.txt", "RuleID": "github-pat", "StartLine": 9, "Tags": ["x", "s3cr3t-one-value"]}
        ]"#;
        let key = [9u8; 32];
        let mut whole: serde_json::Value = serde_json::from_str(text).unwrap();
        let mut redactor = crate::redact::Redactor::new(&key);
        redactor.redact_members(&mut whole, crate::redact::GITLEAKS_KEYS);
        redactor.scrub(&mut whole);
        let expected = serde_json::to_vec_pretty(&whole).unwrap();

        let options = Options { redaction_key: key, ..Options::default() };
        let parsed = parse_bytes(text.as_bytes(), "leaks.json", &options, &mut Vec::new()).unwrap();
        let stored = parsed.stored.unwrap();
        assert_eq!(String::from_utf8_lossy(&stored), String::from_utf8_lossy(&expected));
        assert_eq!(parsed.redacted, redactor.count());
        let stored = String::from_utf8(stored).unwrap();
        assert!(!stored.contains("ghp_0123") && !stored.contains("s3cr3t"), "{stored}");

        // A syntax error mid-array is still placed.
        let broken = &text[..text.len() - 40];
        let error = parse_bytes(broken.as_bytes(), "leaks.json", &options, &mut Vec::new()).unwrap_err().to_string();
        assert!(error.starts_with("leaks.json: gitleaks: line "), "{error}");
    }

    #[test]
    fn null_is_no_leaks_and_an_object_is_a_shape_error() {
        let options = Options { format: Some(Format::Gitleaks), ..Options::default() };
        let parsed = parse_bytes(b"null\n", "n.json", &options, &mut Vec::new()).unwrap();
        assert_eq!(parsed.summary.findings.unwrap().total, 0);
        assert_eq!(parsed.redacted, 0);
        let error = parse_bytes(b"{\"a\": 1}", "o.json", &options, &mut Vec::new()).unwrap_err();
        assert!(error.to_string().starts_with("o.json: gitleaks: $ (line 1, column 1): expected a list"), "{error}");
    }
}
