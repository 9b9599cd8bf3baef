//! The input document as a regorus value, built fast.
//!
//! A release's findings (tens of thousands) and baseline fingerprints dominate the
//! input. Printing them as JSON and parsing that back costs more than everything
//! else an evaluation does, so the small part of the document goes through JSON
//! and the two large lists are built as regorus values directly: object keys and
//! the values that repeat (severity, kind, tool, evidence digest) are made once
//! and shared. A test checks the result equals the plain JSON conversion.
//!
//! A list is built only when some module's text names it (`findings`,
//! `baseline_fingerprints`); otherwise it is given empty (`[]`, or `null` for the
//! baseline) — a module cannot read it without naming it, except through a
//! computed key, which we document as unsupported.

use std::collections::{BTreeMap, HashMap};

use regorus::Value;
use serde::Serialize;
use signoff_core::{Digest, EvidenceKind, Severity};

use crate::input::{Actor, Change, Evidence, Exception, InputFinding, PolicyInput, Release, ReleaseApproval};

/// Which of the large lists the modules read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Wants {
    pub(crate) findings: bool,
    pub(crate) baseline: bool,
}

impl Wants {
    /// What a module's source names.
    pub(crate) fn of(source: &str) -> Wants {
        Wants { findings: source.contains("findings"), baseline: source.contains("baseline_fingerprints") }
    }

    pub(crate) fn or(self, other: Wants) -> Wants {
        Wants { findings: self.findings || other.findings, baseline: self.baseline || other.baseline }
    }
}

/// The document without its large lists: the same fields as [`PolicyInput`], in the
/// same order.
#[derive(Serialize)]
struct SmallPart<'a> {
    release: &'a Release,
    actor: &'a Actor,
    #[serde(with = "time::serde::rfc3339")]
    evaluated_at: time::OffsetDateTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    environment: &'a Option<String>,
    evidence: &'a [Evidence],
    findings: [(); 0],
    baseline_fingerprints: Option<[(); 0]>,
    changes: &'a [Change],
    #[serde(skip_serializing_if = "Option::is_none")]
    changes_unknown: &'a Option<String>,
    approvals: &'a [ReleaseApproval],
    exceptions: &'a [Exception],
    triage: &'a [crate::input::Triage],
}

/// `input` as Rego sees it.
pub(crate) fn to_value(input: &PolicyInput, wants: Wants) -> Result<Value, String> {
    let small = SmallPart {
        release: &input.release,
        actor: &input.actor,
        evaluated_at: input.evaluated_at,
        environment: &input.environment,
        evidence: &input.evidence,
        findings: [],
        baseline_fingerprints: None,
        changes: &input.changes,
        changes_unknown: &input.changes_unknown,
        approvals: &input.approvals,
        exceptions: &input.exceptions,
        triage: &input.triage,
    };
    let json = serde_json::to_string(&small).map_err(|error| error.to_string())?;
    let mut value = Value::from_json_str(&json).map_err(|error| error.to_string())?;
    let object = value.as_object_mut().map_err(|error| error.to_string())?;
    if wants.findings && !input.findings.is_empty() {
        let mut builder = FindingBuilder::default();
        let findings: Vec<Value> = input.findings.iter().map(|finding| builder.build(finding)).collect();
        object.insert(Value::from("findings"), Value::from(findings));
    }
    if wants.baseline
        && let Some(baseline) = &input.baseline_fingerprints
    {
        let fingerprints: Vec<Value> = baseline.iter().map(digest_value).collect();
        object.insert(Value::from("baseline_fingerprints"), Value::from(fingerprints));
    }
    Ok(value)
}

/// Builds finding objects, sharing keys and repeated values.
///
/// Each finding starts as a clone of a template object that already has its keys,
/// sorted (regorus's compact "frozen" form), and gets its values by replacement:
/// one allocation for the entries instead of a B-tree per finding. A finding
/// without `package` or `package_version` (or with fewer location fields) has no
/// such key, as in JSON, so there is one template per combination of present keys.
struct FindingBuilder<'a> {
    keys: Keys,
    /// By `package.is_some() | package_version.is_some() << 1`.
    templates: [Option<Value>; 4],
    /// By `end_line.is_some() | path.is_some() << 1 | start_line.is_some() << 2`.
    locations: [Option<Value>; 8],
    severities: Vec<(Severity, Value)>,
    kinds: Vec<(EvidenceKind, Value)>,
    tools: Vec<(&'a str, Value)>,
    evidence: HashMap<Digest, Value>,
    last_evidence: Option<(Digest, Value)>,
    empty: Value,
}

/// Object keys, made once.
struct Keys {
    cve: Value,
    cwe: Value,
    evidence_digest: Value,
    fingerprint: Value,
    kind: Value,
    location: Value,
    package: Value,
    package_version: Value,
    rule_id: Value,
    severity: Value,
    suppressed: Value,
    title: Value,
    tool: Value,
    end_line: Value,
    path: Value,
    start_line: Value,
}

/// An object with `keys`, each set to null, in compact form.
fn template(keys: &[&Value]) -> Value {
    Value::from(keys.iter().map(|key| ((*key).clone(), Value::Null)).collect::<BTreeMap<Value, Value>>())
}

/// Replaces the value at `key`; the first replacement copies the template's
/// entries, later ones write in place.
fn set(object: &mut Value, key: &Value, value: Value) {
    if let Ok(object) = object.as_object_mut() {
        object.insert(key.clone(), value);
    }
}

/// A digest as a string value, without going through `fmt`.
fn digest_value(digest: &Digest) -> Value {
    let mut text = [0u8; 71];
    text[..7].copy_from_slice(b"sha256:");
    if hex::encode_to_slice(digest.as_bytes(), &mut text[7..]).is_err() {
        return Value::from(digest.to_string());
    }
    std::str::from_utf8(&text).map_or_else(|_| Value::from(digest.to_string()), Value::from)
}

/// The shared value for `item`, made on first use.
fn shared<T: PartialEq + Copy>(cache: &mut Vec<(T, Value)>, item: T, make: impl FnOnce() -> Value) -> Value {
    if let Some((_, value)) = cache.iter().find(|(known, _)| *known == item) {
        return value.clone();
    }
    let value = make();
    cache.push((item, value.clone()));
    value
}

impl Default for FindingBuilder<'_> {
    fn default() -> Self {
        let key = Value::from;
        FindingBuilder {
            keys: Keys {
                cve: key("cve"),
                cwe: key("cwe"),
                evidence_digest: key("evidence_digest"),
                fingerprint: key("fingerprint"),
                kind: key("kind"),
                location: key("location"),
                package: key("package"),
                package_version: key("package_version"),
                rule_id: key("rule_id"),
                severity: key("severity"),
                suppressed: key("suppressed"),
                title: key("title"),
                tool: key("tool"),
                end_line: key("end_line"),
                path: key("path"),
                start_line: key("start_line"),
            },
            templates: Default::default(),
            locations: Default::default(),
            severities: Vec::new(),
            kinds: Vec::new(),
            tools: Vec::new(),
            evidence: HashMap::new(),
            last_evidence: None,
            empty: Value::from(Vec::<Value>::new()),
        }
    }
}

impl<'a> FindingBuilder<'a> {
    fn strings(&self, items: &[String]) -> Value {
        if items.is_empty() {
            return self.empty.clone();
        }
        Value::from(items.iter().map(|item| Value::from(item.as_str())).collect::<Vec<_>>())
    }

    fn location(&mut self, location: &signoff_core::Location) -> Value {
        let keys = &self.keys;
        let mask = usize::from(location.end_line.is_some())
            | usize::from(location.path.is_some()) << 1
            | usize::from(location.start_line.is_some()) << 2;
        let mut object = self.locations[mask]
            .get_or_insert_with(|| {
                let present = [(&keys.end_line, 1), (&keys.path, 2), (&keys.start_line, 4)];
                let chosen: Vec<&Value> =
                    present.iter().filter(|(_, bit)| mask & bit != 0).map(|(key, _)| *key).collect();
                template(&chosen)
            })
            .clone();
        if let Some(end_line) = location.end_line {
            set(&mut object, &keys.end_line, Value::from(end_line));
        }
        if let Some(path) = &location.path {
            set(&mut object, &keys.path, Value::from(path.as_str()));
        }
        if let Some(start_line) = location.start_line {
            set(&mut object, &keys.start_line, Value::from(start_line));
        }
        object
    }

    fn evidence(&mut self, digest: Digest) -> Value {
        if let Some((last, value)) = &self.last_evidence
            && *last == digest
        {
            return value.clone();
        }
        let value = self.evidence.entry(digest).or_insert_with(|| digest_value(&digest)).clone();
        self.last_evidence = Some((digest, value.clone()));
        value
    }

    fn build(&mut self, finding: &'a InputFinding) -> Value {
        let mask = usize::from(finding.package.is_some()) | usize::from(finding.package_version.is_some()) << 1;
        let location = self.location(&finding.location);
        let evidence = self.evidence(finding.evidence_digest);
        let severity = shared(&mut self.severities, finding.severity, || Value::from(finding.severity.as_str()));
        let kind = shared(&mut self.kinds, finding.kind, || Value::from(finding.kind.as_str()));
        let tool = shared(&mut self.tools, finding.tool.as_str(), || Value::from(finding.tool.as_str()));
        let cve = self.strings(&finding.cve);
        let cwe = self.strings(&finding.cwe);
        let keys = &self.keys;
        let mut object = self.templates[mask]
            .get_or_insert_with(|| {
                let mut chosen = vec![
                    &keys.cve,
                    &keys.cwe,
                    &keys.evidence_digest,
                    &keys.fingerprint,
                    &keys.kind,
                    &keys.location,
                    &keys.rule_id,
                    &keys.severity,
                    &keys.suppressed,
                    &keys.title,
                    &keys.tool,
                ];
                if mask & 1 != 0 {
                    chosen.push(&keys.package);
                }
                if mask & 2 != 0 {
                    chosen.push(&keys.package_version);
                }
                template(&chosen)
            })
            .clone();
        set(&mut object, &keys.fingerprint, digest_value(&finding.fingerprint));
        set(&mut object, &keys.rule_id, Value::from(finding.rule_id.as_str()));
        set(&mut object, &keys.severity, severity);
        set(&mut object, &keys.title, Value::from(finding.title.as_str()));
        set(&mut object, &keys.location, location);
        set(&mut object, &keys.cve, cve);
        set(&mut object, &keys.cwe, cwe);
        if let Some(package) = &finding.package {
            set(&mut object, &keys.package, Value::from(package.as_str()));
        }
        if let Some(version) = &finding.package_version {
            set(&mut object, &keys.package_version, Value::from(version.as_str()));
        }
        set(&mut object, &keys.suppressed, Value::from(finding.suppressed));
        set(&mut object, &keys.tool, tool);
        set(&mut object, &keys.kind, kind);
        set(&mut object, &keys.evidence_digest, evidence);
        object
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    #[test]
    fn equals_the_plain_json_conversion() {
        let mut input = input();
        let scan = evidence(signoff_core::EvidenceKind::Sca, "trivy", "scan");
        input.evidence.push(scan.clone());
        let mut dependency = finding(&scan, Severity::High, "a");
        dependency.cve = vec!["CVE-2021-44228".into(), "GHSA-jfh8-c2jp-5v3q".into()];
        dependency.package = Some("log4j-core".into());
        dependency.package_version = Some("2.14.1".into());
        dependency.location = signoff_core::Location { path: None, start_line: None, end_line: None };
        let mut suppressed = finding(&scan, Severity::Info, "b");
        suppressed.suppressed = true;
        suppressed.cwe = vec!["CWE-79".into()];
        suppressed.location.end_line = Some(9);
        input.findings = vec![dependency, suppressed, finding(&scan, Severity::Low, "c")];
        input.baseline_fingerprints = Some(vec![digest("a"), digest("z")]);

        let plain = Value::from_json_str(&serde_json::to_string(&input).unwrap()).unwrap();
        assert_eq!(to_value(&input, Wants { findings: true, baseline: true }).unwrap(), plain);

        let without = to_value(&input, Wants::default()).unwrap();
        assert_eq!(without["findings"], Value::from(Vec::<Value>::new()));
        assert_eq!(without["baseline_fingerprints"], Value::Null);
        assert_eq!(without["release"], plain["release"]);
    }
}
