//! in-toto attestations: a DSSE envelope (`payloadType`
//! `application/vnd.in-toto+json`, base64 `payload`), a Sigstore bundle holding one
//! (`dsseEnvelope`), or a bare Statement (`_type` `https://in-toto.io/Statement/v1`
//! or `v0.1`); one per file, or several as JSON Lines (`.intoto.jsonl`). Signatures
//! are kept with the raw bytes, not verified here.
//!
//! # What is read
//! - SLSA provenance (`https://slsa.dev/provenance/v0.1`, `v0.2`, `v1`): kind
//!   `provenance`; tool: the builder id; time: the build's finish (else start).
//! - test result (`https://in-toto.io/attestation/test-result/v0.1`): kind
//!   `test_results`; `passedTests` and `warnedTests` pass, `failedTests` fail.
//! - vulnerabilities (`https://in-toto.io/attestation/vulns/v0.1`, cosign's
//!   `https://cosign.sigstore.dev/attestation/vuln/v1`): kind `sca`; each entry of
//!   `scanner.result` with an `id` is a finding (severity: the highest of its
//!   `severity[]` scores or words; identity: id and the statement's subjects); tool:
//!   `scanner.uri`.
//! - any other predicate: kind `generic`, tool "in-toto".
//!
//! With several statements the first decides kind and tool and the counts add up.

use base64::Engine;
use serde_json::Value;
use signoff_core::summary::{FindingCounts, TestCounts};
use signoff_core::{EvidenceKind, Finding, Format, Location, Severity, Summary, Tool};

use super::kind;
use crate::error::{IngestErrorKind, Place};
use crate::json_walk::{Doc, Emitter, Result, scalar_f64, scalar_text, strip_position};
use crate::{FindingSink, Options, Parsed, ids, severity};

const IN_TOTO_PAYLOAD: &str = "application/vnd.in-toto+json";

struct State<'s> {
    emitter: Emitter<'s>,
    kind: Option<EvidenceKind>,
    tool: Option<Tool>,
    produced_at: Option<String>,
    tests: Option<TestCounts>,
    vulnerabilities: bool,
}

pub(crate) fn parse(doc: &Doc<'_>, options: &Options, sink: &mut dyn FindingSink) -> Result<Parsed> {
    let mut state = State {
        emitter: Emitter::new(sink, Format::InToto, doc.display),
        kind: None,
        tool: None,
        produced_at: None,
        tests: None,
        vulnerabilities: false,
    };
    let body = doc.bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(doc.bytes);
    let mut documents = serde_json::Deserializer::from_slice(body).into_iter::<Value>();
    let mut index = 0usize;
    loop {
        let value = match documents.next() {
            None => break,
            Some(Ok(value)) => value,
            Some(Err(error)) => {
                let failure = doc.error(IngestErrorKind::Syntax { message: strip_position(&error.to_string()) });
                return Err(match error.line() {
                    0 => failure,
                    line => failure.at(Place::LineColumn { line: line as u64, column: error.column() as u64 }),
                });
            }
        };
        let path = if index == 0 { "$".to_owned() } else { format!("$[document {}]", index + 1) };
        let statement = statement(doc, value, &path)?;
        state.statement(doc, &statement, &path)?;
        index += 1;
    }
    if index == 0 {
        return Err(doc.error(IngestErrorKind::Empty));
    }
    let findings: Option<FindingCounts> = state.vulnerabilities.then_some(state.emitter.counts);
    Ok(Parsed {
        target: None,
        format: Format::InToto,
        kind: kind(options, state.kind.unwrap_or(EvidenceKind::Generic)),
        tool: state.tool.unwrap_or_else(|| Tool::new("in-toto", None)),
        summary: Summary { findings, tests: state.tests, ..Summary::default() },
        produced_at: state.produced_at,
        stored: None,
        redacted: 0,
    })
}

/// The Statement in a document: the decoded payload of an envelope (or of a
/// bundle's envelope), or the document itself.
fn statement(doc: &Doc<'_>, value: Value, path: &str) -> Result<Value> {
    let envelope = match value.get("dsseEnvelope") {
        Some(envelope) => Some((envelope.clone(), format!("{path}.dsseEnvelope"))),
        None if value.get("payloadType").is_some() => Some((value.clone(), path.to_owned())),
        None => None,
    };
    let Some((envelope, path)) = envelope else {
        return Ok(value);
    };
    let payload_type = envelope.get("payloadType").and_then(Value::as_str).unwrap_or("");
    if payload_type != IN_TOTO_PAYLOAD {
        return Err(doc.shape(
            &format!("{path}.payloadType"),
            format!("the envelope's payload type is {payload_type:?}, not {IN_TOTO_PAYLOAD}"),
            None,
        ));
    }
    let payload = envelope
        .get("payload")
        .and_then(Value::as_str)
        .ok_or_else(|| doc.shape(&format!("{path}.payload"), "the envelope has no `payload` string", None))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(payload.trim())
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(payload.trim()))
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim()))
        .map_err(|error| doc.shape(&format!("{path}.payload"), format!("the payload is not base64: {error}"), None))?;
    serde_json::from_slice(&bytes).map_err(|error| {
        doc.shape(
            &format!("{path}.payload"),
            format!("the payload is not a JSON in-toto Statement: {}", strip_position(&error.to_string())),
            None,
        )
    })
}

impl State<'_> {
    fn statement(&mut self, doc: &Doc<'_>, statement: &Value, path: &str) -> Result<()> {
        let statement_type = statement.get("_type").and_then(Value::as_str).unwrap_or("");
        let predicate_type = statement.get("predicateType").and_then(Value::as_str);
        if !statement_type.contains("in-toto.io/Statement") && predicate_type.is_none() {
            return Err(doc.shape(
                &format!("{path}._type"),
                "not an in-toto Statement (no `_type` https://in-toto.io/Statement/... and no `predicateType`)",
                None,
            ));
        }
        let predicate_type = predicate_type.unwrap_or("");
        let predicate = statement.get("predicate").unwrap_or(&Value::Null);
        let text = |pointer: &str| predicate.pointer(pointer).and_then(scalar_text);
        let (kind, tool, time) = if predicate_type.starts_with("https://slsa.dev/provenance/") {
            let builder = text("/runDetails/builder/id").or_else(|| text("/builder/id"));
            let version = predicate.pointer("/runDetails/builder/version").and_then(|version| match version {
                Value::Object(map) => map.values().next().and_then(scalar_text),
                other => scalar_text(other),
            });
            let time = text("/runDetails/metadata/finishedOn")
                .or_else(|| text("/metadata/buildFinishedOn"))
                .or_else(|| text("/runDetails/metadata/startedOn"))
                .or_else(|| text("/metadata/buildStartedOn"));
            (EvidenceKind::Provenance, builder.map(|id| Tool::new(id, version)), time)
        } else if predicate_type.starts_with("https://in-toto.io/attestation/test-result/") {
            let count = |key: &str| {
                predicate
                    .get(key)
                    .and_then(Value::as_array)
                    .map_or(Vec::new(), |list| list.iter().filter_map(scalar_text).collect())
            };
            let (passed, warned, failed) = (count("passedTests"), count("warnedTests"), count("failedTests"));
            let tests = self.tests.get_or_insert_with(TestCounts::default);
            tests.passed += (passed.len() + warned.len()) as u64;
            tests.failed += failed.len() as u64;
            tests.total += (passed.len() + warned.len() + failed.len()) as u64;
            for name in failed {
                tests.list_failure(name);
            }
            (EvidenceKind::TestResults, text("/url").map(|url| Tool::new(url, None)), None)
        } else if predicate_type.starts_with("https://in-toto.io/attestation/vulns/")
            || predicate_type.starts_with("https://cosign.sigstore.dev/attestation/vuln/")
        {
            self.vulnerabilities = true;
            let subjects: Vec<String> = statement
                .get("subject")
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .filter_map(|subject| subject.get("name").and_then(Value::as_str).map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if let Some(results) = predicate.pointer("/scanner/result").and_then(Value::as_array) {
                for result in results {
                    if let Some(finding) = self.vulnerability(result, &subjects) {
                        self.emitter.push(finding)?;
                    }
                }
            }
            let time = text("/metadata/scanFinishedOn").or_else(|| text("/metadata/scanStartedOn"));
            (EvidenceKind::Sca, text("/scanner/uri").map(|uri| Tool::new(uri, text("/scanner/version"))), time)
        } else {
            (EvidenceKind::Generic, None, None)
        };
        if self.kind.is_none() {
            self.kind = Some(kind);
            self.tool = tool;
            self.produced_at = time;
        }
        Ok(())
    }

    fn vulnerability(&mut self, result: &Value, subjects: &[String]) -> Option<Finding> {
        let id = result.get("id").and_then(scalar_text)?;
        let severities = result.get("severity").and_then(Value::as_array).map_or(Vec::new(), |entries| {
            entries
                .iter()
                .filter_map(|entry| {
                    let score = entry.get("score")?;
                    scalar_f64(score).and_then(severity::score).or_else(|| score.as_str().and_then(severity::word))
                })
                .collect()
        });
        let mut parts: Vec<&str> = vec![&id];
        parts.extend(subjects.iter().map(String::as_str));
        let fingerprint = self.emitter.fingerprint(&parts);
        Some(Finding {
            fingerprint,
            severity: severity::highest(severities).unwrap_or(Severity::Info),
            title: id.clone(),
            location: Location { path: subjects.first().cloned(), start_line: None, end_line: None },
            cve: ids::advisory_ids(&id),
            cwe: Vec::new(),
            package: None,
            package_version: None,
            suppressed: false,
            rule_id: id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_bytes;

    fn envelope(statement: &Value) -> String {
        let payload = base64::engine::general_purpose::STANDARD.encode(statement.to_string());
        serde_json::json!({"payloadType": IN_TOTO_PAYLOAD, "payload": payload, "signatures": [{"keyid": "", "sig": "MEUC"}]}).to_string()
    }

    #[test]
    fn slsa_provenance_in_an_envelope() {
        let statement = serde_json::json!({"_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "app.tar.gz", "digest": {"sha256": "ab"}}],
            "predicateType": "https://slsa.dev/provenance/v1",
            "predicate": {"buildDefinition": {"buildType": "https://actions.github.io/buildtypes/workflow/v1"},
                          "runDetails": {"builder": {"id": "https://github.com/actions/runner/github-hosted"},
                                         "metadata": {"startedOn": "2024-05-01T10:00:00Z", "finishedOn": "2024-05-01T10:05:00Z"}}}});
        let parsed =
            parse_bytes(envelope(&statement).as_bytes(), "app.intoto.json", &Options::default(), &mut Vec::new())
                .unwrap();
        assert_eq!((parsed.format, parsed.kind), (Format::InToto, EvidenceKind::Provenance));
        assert_eq!(parsed.tool.name, "https://github.com/actions/runner/github-hosted");
        assert_eq!(parsed.produced_at.as_deref(), Some("2024-05-01T10:05:00Z"));
    }

    #[test]
    fn bare_statements_test_results_and_vulns() {
        let tests = serde_json::json!({"_type": "https://in-toto.io/Statement/v1", "subject": [], "predicateType": "https://in-toto.io/attestation/test-result/v0.1",
            "predicate": {"result": "FAILED", "passedTests": ["a", "b"], "warnedTests": ["c"], "failedTests": ["d"]}});
        let parsed = parse_bytes(tests.to_string().as_bytes(), "t.json", &Options::default(), &mut Vec::new()).unwrap();
        assert_eq!(parsed.kind, EvidenceKind::TestResults);
        let counts = parsed.summary.tests.unwrap();
        assert_eq!((counts.total, counts.passed, counts.failed), (4, 3, 1));

        let vulns = serde_json::json!({"_type": "https://in-toto.io/Statement/v0.1", "subject": [{"name": "img", "digest": {"sha256": "cd"}}],
            "predicateType": "https://in-toto.io/attestation/vulns/v0.1",
            "predicate": {"scanner": {"uri": "pkg:github/aquasecurity/trivy@244fd47", "version": "0.19.2",
                "result": [{"id": "CVE-2021-26720", "severity": [{"method": "nvd", "score": "7.8"}]}, {"id": "GHSA-xxxx-yyyy-zzzz"}]}}});
        let mut findings = Vec::new();
        let parsed = parse_bytes(vulns.to_string().as_bytes(), "v.json", &Options::default(), &mut findings).unwrap();
        assert_eq!(parsed.kind, EvidenceKind::Sca);
        assert_eq!(parsed.summary.findings.unwrap().total, 2);
        assert_eq!((findings[0].severity, findings[1].severity), (Severity::High, Severity::Info));
    }

    #[test]
    fn bad_payloads_are_shape_errors() {
        let text = r#"{"payloadType": "application/vnd.in-toto+json", "payload": "!!!", "signatures": []}"#;
        let error = parse_bytes(text.as_bytes(), "e.json", &Options::default(), &mut Vec::new()).unwrap_err();
        assert!(error.to_string().starts_with("e.json: in-toto: $.payload: the payload is not base64"), "{error}");
    }
}
