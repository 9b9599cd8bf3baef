//! OSCAL 1.1.3 assessment results (G2) from compliance artifacts.
//!
//! After the research notes `shared/specs/grc-oscal-dsse-merkle.md`, section "(a)
//! NIST OSCAL", and validated in the tests against NIST's published JSON schema
//! (`schemas/oscal/`) and by compliance-trestle. The document, for a release, a
//! period (many releases) or either narrowed to one framework:
//!
//! - `metadata`: title, `last-modified` (the latest certification: the same artifacts
//!   give the same document), `version`, `oscal-version` `1.1.3`;
//! - `import-ap`: signoff has no assessment plan; it points at a back-matter resource
//!   describing the certification policies that stand in for one (as the notes
//!   suggest);
//! - one `result` per certification: `start` (the earliest evidence) and `end` (the
//!   evaluation), `reviewed-controls` (every control it has a finding for),
//!   `observations` (one per piece of evidence, with `relevant-evidence` pointing at
//!   a back-matter resource) and `findings` (one per artifact: the control's
//!   objective `satisfied` or `not-satisfied`; OSCAL has no partial state, so partial
//!   is `not-satisfied` with a `signoff` property saying `partial`);
//! - `back-matter`: a resource per evidence digest whose `rlinks` carry the SHA-256
//!   (`hashes`) and the server URL, or an RFC 6920 `ni:///sha-256;…` name when there is
//!   no server; a resource per certificate with its statement digest and its ledger
//!   inclusion proof inline (`base64`).
//!
//! Control ids are OSCAL tokens from [`crate::controlmap`] (800-53 controls as NIST's
//! catalog writes them). UUIDs are v5 from content (statement digest, control,
//! evidence digest), so exporting the same artifacts again gives the same document.
//! Arrays are never empty (the schema's `minItems: 1`): empty ones are left out.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use signoff_controls::{EvidenceType, Source, Status};
use signoff_core::Digest;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::artifact::{ArtifactError, ArtifactEvidence, ComplianceArtifact, InclusionProof, parse_time, stable_uuid};
use crate::controlmap;

/// The OSCAL version written and validated against.
pub const OSCAL_VERSION: &str = "1.1.3";

/// The namespace of signoff's OSCAL `props`.
pub const PROPS_NS: &str = "https://signoff.dev/ns/oscal";

/// What the document covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// One release.
    Release {
        /// Project.
        project: String,
        /// Version.
        version: String,
    },
    /// The releases certified in a period (RFC 3339 bounds).
    Period {
        /// Start.
        from: String,
        /// End.
        to: String,
    },
}

/// Why no document was made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OscalError {
    /// Nothing to report: OSCAL requires at least one result and one control.
    #[error("no compliance artifacts to export for {scope}")]
    Empty {
        /// The scope, for people.
        scope: String,
    },
    /// A date-time that is not RFC 3339.
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
}

impl Scope {
    fn describe(&self, framework: Option<&str>) -> String {
        let base = match self {
            Scope::Release { project, version } => format!("{project} {version}"),
            Scope::Period { from, to } => format!("releases certified from {from} to {to}"),
        };
        match framework {
            Some(framework) => format!("{base}, framework {framework}"),
            None => base,
        }
    }

    fn key(&self) -> String {
        match self {
            Scope::Release { project, version } => format!("release:{project}@{version}"),
            Scope::Period { from, to } => format!("period:{from}/{to}"),
        }
    }
}

fn prop(name: &str, value: impl Into<String>) -> Option<Value> {
    let value: String = value.into();
    let value = value.trim();
    // OSCAL `string` values have no leading or trailing space and are not empty.
    (!value.is_empty()).then(|| json!({"name": name, "ns": PROPS_NS, "value": value}))
}

fn props(items: impl IntoIterator<Item = Option<Value>>) -> Option<Value> {
    let items: Vec<Value> = items.into_iter().flatten().collect();
    (!items.is_empty()).then_some(Value::Array(items))
}

/// Inserts `value` under `key` unless it is `None`.
fn put(object: &mut Value, key: &str, value: Option<Value>) {
    if let (Some(value), Some(map)) = (value, object.as_object_mut()) {
        map.insert(key.to_owned(), value);
    }
}

fn timestamp(what: &str, value: &str) -> Result<String, OscalError> {
    let parsed = parse_time(what, value)?;
    Ok(rfc3339(parsed))
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_else(|_| at.unix_timestamp().to_string())
}

/// RFC 6920 name of a SHA-256 digest: `ni:///sha-256;<base64url>`.
pub fn ni_uri(digest: &Digest) -> String {
    format!("ni:///sha-256;{}", URL_SAFE_NO_PAD.encode(digest.as_bytes()))
}

fn method(kind: EvidenceType) -> &'static str {
    match kind {
        EvidenceType::Sast
        | EvidenceType::Dast
        | EvidenceType::Sca
        | EvidenceType::ContainerScan
        | EvidenceType::SecretsScan
        | EvidenceType::IacScan
        | EvidenceType::TestResults
        | EvidenceType::Coverage => "TEST",
        _ => "EXAMINE",
    }
}

fn evidence_key(item: &ArtifactEvidence) -> String {
    format!("{}\n{}", item.kind, item.reference)
}

/// The assessment results of `artifacts` (all of them, or those of `framework`).
///
/// # Errors
///
/// [`OscalError::Empty`] when no artifact is left; [`OscalError::Artifact`] for a
/// date-time that is not RFC 3339.
pub fn assessment_results(
    artifacts: &[ComplianceArtifact],
    scope: &Scope,
    framework: Option<&str>,
) -> Result<Value, OscalError> {
    let selected: Vec<&ComplianceArtifact> = artifacts
        .iter()
        .filter(|artifact| {
            framework.is_none_or(|framework| signoff_framework_matches(&artifact.framework.id, framework))
        })
        .collect();
    if selected.is_empty() {
        return Err(OscalError::Empty { scope: scope.describe(framework) });
    }
    // Group by certification, ordered by evaluation time then statement digest.
    let mut certifications: BTreeMap<(String, Digest), Vec<&ComplianceArtifact>> = BTreeMap::new();
    for artifact in &selected {
        let at = timestamp("certificate.evaluated_at", &artifact.certificate.evaluated_at)?;
        certifications.entry((at, artifact.certificate.statement_digest)).or_default().push(artifact);
    }

    // Findings in (framework, control) order, whatever the input order.
    for group in certifications.values_mut() {
        group.sort_by(|left, right| {
            (&left.framework.id, &left.control.id).cmp(&(&right.framework.id, &right.control.id))
        });
    }

    let mut resources: BTreeMap<Uuid, Value> = BTreeMap::new();
    let mut results = Vec::new();
    let mut policies: BTreeMap<Digest, String> = BTreeMap::new();
    let mut last_modified = String::new();
    for ((evaluated_at, statement), group) in &certifications {
        let first = group[0];
        let certificate = &first.certificate;
        let version = certificate.policy.version.map(|version| format!(" v{version}")).unwrap_or_default();
        policies.insert(
            certificate.policy.digest,
            format!("{}{version} ({})", certificate.policy.name, certificate.policy.digest),
        );
        if *evaluated_at > last_modified {
            last_modified.clone_from(evaluated_at);
        }
        let statement_text = statement.to_string();

        // Observations: one per distinct piece of evidence of this certification.
        let mut observations: BTreeMap<String, (Uuid, Value)> = BTreeMap::new();
        let mut start = evaluated_at.clone();
        for artifact in group {
            for item in &artifact.evidence {
                let key = evidence_key(item);
                if observations.contains_key(&key) {
                    continue;
                }
                let collected = match &item.captured_at {
                    Some(captured) => timestamp("evidence.captured_at", captured)?,
                    None => evaluated_at.clone(),
                };
                if collected < start {
                    start.clone_from(&collected);
                }
                let uuid = stable_uuid(&["oscal-observation", &statement_text, &key]);
                let observation = observation(uuid, item, collected, &mut resources);
                observations.insert(key, (uuid, observation));
            }
        }

        let mut control_ids = BTreeSet::new();
        let findings: Vec<Value> = group
            .iter()
            .map(|artifact| {
                let control_id = controlmap::oscal_control_id(&artifact.framework.id, &artifact.control.id);
                control_ids.insert(control_id.clone());
                finding(artifact, &control_id, &statement_text, &observations)
            })
            .collect();

        let proof_resource = certificate_resource(first, &statement_text);
        let proof_uuid = proof_resource.0;
        resources.insert(proof_uuid, proof_resource.1);

        let release = &first.release;
        let mut result = json!({
            "uuid": stable_uuid(&["oscal-result", &statement_text]),
            "title": format!("Release certification: {} {} ({})", release.project, release.version, certificate.decision.as_str()),
            "description": format!(
                "Automated evaluation of the CI/CD evidence of {} {} (commit {}) under policy {}{version}, {} by signoff; certificate {}.",
                release.project, release.version, release.commit, certificate.policy.name, certificate.decision.as_str(), certificate.id
            ),
            "start": start,
            "end": evaluated_at,
            "reviewed-controls": {
                "control-selections": [{
                    "include-controls": control_ids.iter().map(|id| json!({"control-id": id})).collect::<Vec<_>>()
                }]
            },
        });
        put(
            &mut result,
            "props",
            props([
                prop("release", release.name()),
                prop("commit", release.commit.clone()),
                prop("decision", certificate.decision.as_str()),
                prop("policy", certificate.policy.name.clone()),
                prop("policy-digest", certificate.policy.digest.to_string()),
                prop("certificate-id", certificate.id.clone()),
                prop("statement-digest", statement_text.clone()),
                certificate.ledger.as_ref().and_then(|ledger| prop("ledger-seq", ledger.seq.to_string())),
            ]),
        );
        put(
            &mut result,
            "links",
            Some(
                json!([{"href": format!("#{proof_uuid}"), "rel": "reference", "text": "certificate and its ledger inclusion proof"}]),
            ),
        );
        let observations: Vec<Value> = observations.into_values().map(|(_, observation)| observation).collect();
        put(&mut result, "observations", (!observations.is_empty()).then_some(Value::Array(observations)));
        put(&mut result, "findings", Some(Value::Array(findings)));
        results.push(result);
    }

    let policy_list = policies.values().cloned().collect::<Vec<_>>().join("; ");
    let policy_keys = policies.keys().map(Digest::to_string).collect::<Vec<_>>().join(",");
    let plan_uuid = stable_uuid(&["oscal-plan", &policy_keys]);
    resources.insert(
        plan_uuid,
        json!({
            "uuid": plan_uuid,
            "title": "signoff certification policies (stand in for an assessment plan)",
            "description": format!("The releases were evaluated automatically under: {policy_list}."),
        }),
    );

    let statements: Vec<String> = certifications.keys().map(|(_, digest)| digest.to_string()).collect();
    let scope_key = scope.key();
    let framework_key = framework.unwrap_or("*");
    let title = match framework {
        Some(framework) => format!("signoff assessment results: {} ({framework})", scope.describe(None)),
        None => format!("signoff assessment results: {}", scope.describe(None)),
    };
    let mut metadata = json!({
        "title": title,
        "last-modified": last_modified,
        "version": format!("{}-certifications", results.len()),
        "oscal-version": OSCAL_VERSION,
    });
    put(
        &mut metadata,
        "props",
        props([
            prop("scope", scope_key.clone()),
            framework.and_then(|framework| prop("framework", framework)),
            prop("generator", concat!("signoff ", env!("CARGO_PKG_VERSION"))),
        ]),
    );
    Ok(json!({
        "assessment-results": {
            "uuid": stable_uuid(&["oscal-assessment-results", &scope_key, framework_key, &statements.join(",")]),
            "metadata": metadata,
            "import-ap": {"href": format!("#{plan_uuid}")},
            "results": results,
            "back-matter": {"resources": resources.into_values().collect::<Vec<_>>()},
        }
    }))
}

/// Framework names compared as the catalog does (case and punctuation ignored).
fn signoff_framework_matches(id: &str, wanted: &str) -> bool {
    let key =
        |name: &str| -> String { name.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect() };
    let (id, wanted) = (key(id), key(wanted));
    id == wanted || (id == "nist80053" && wanted == "fedramp")
}

fn observation(uuid: Uuid, item: &ArtifactEvidence, collected: String, resources: &mut BTreeMap<Uuid, Value>) -> Value {
    let what = match (&item.tool, &item.file_name) {
        (Some(tool), Some(file)) => format!("{}: {tool} ({file})", item.kind),
        (Some(tool), None) => format!("{}: {tool}", item.kind),
        _ => format!("{}: {}", item.kind, item.reference),
    };
    let mut description = match item.source {
        Source::Captured => format!("{} evidence captured by signoff", item.kind),
        Source::Record => format!("{} recorded in signoff: {}", item.kind, item.reference),
        Source::Ledger => format!("{}: signoff's ledger, an RFC 6962 Merkle log with signed checkpoints", item.kind),
    };
    if let Some(digest) = item.digest {
        description.push_str(&format!(", SHA-256 {}", digest.to_hex()));
    }
    if let Some(ledger) = &item.ledger {
        description.push_str(&format!(", ledger entry {}", ledger.seq));
    }
    description.push_str(match item.passed {
        Some(true) => "; it passed.",
        Some(false) => "; it did not pass.",
        None => ".",
    });
    let mut observation = json!({
        "uuid": uuid,
        "title": what,
        "description": description,
        "methods": [method(item.kind)],
        "types": ["control-objective"],
        "collected": collected,
    });
    put(
        &mut observation,
        "props",
        props([
            prop("evidence-type", item.kind.as_str()),
            prop("source", format!("{:?}", item.source).to_lowercase()),
            item.passed.and_then(|passed| prop("passed", passed.to_string())),
            item.ledger.as_ref().and_then(|ledger| prop("ledger-seq", ledger.seq.to_string())),
        ]),
    );
    let relevant = match item.digest {
        Some(digest) => {
            let resource_uuid = stable_uuid(&["oscal-resource", &digest.to_string()]);
            resources.entry(resource_uuid).or_insert_with(|| evidence_resource(resource_uuid, item, &digest));
            json!([{"href": format!("#{resource_uuid}"), "description": format!("{} ({})", what, digest)}])
        }
        None => json!([{"description": item.reference}]),
    };
    put(&mut observation, "relevant-evidence", Some(relevant));
    observation
}

fn evidence_resource(uuid: Uuid, item: &ArtifactEvidence, digest: &Digest) -> Value {
    let href = item.url.clone().unwrap_or_else(|| ni_uri(digest));
    let title = match (&item.tool, &item.file_name) {
        (Some(tool), Some(file)) => format!("{} evidence from {tool}: {file}", item.kind),
        _ => format!("{} evidence {}", item.kind, digest),
    };
    json!({
        "uuid": uuid,
        "title": title,
        "rlinks": [{
            "href": href,
            "hashes": [{"algorithm": "SHA-256", "value": digest.to_hex()}],
        }],
    })
}

fn certificate_resource(artifact: &ComplianceArtifact, statement: &str) -> (Uuid, Value) {
    let certificate = &artifact.certificate;
    let uuid = stable_uuid(&["oscal-certificate", statement]);
    let mut resource = json!({
        "uuid": uuid,
        "title": format!("signoff certificate {} (in-toto statement in a DSSE envelope)", certificate.id),
        "rlinks": [{
            "href": ni_uri(&certificate.statement_digest),
            "media-type": "application/vnd.in-toto+json",
            "hashes": [{"algorithm": "SHA-256", "value": certificate.statement_digest.to_hex()}],
        }],
    });
    if let Some(ledger) = &certificate.ledger {
        put(&mut resource, "description", Some(json!(format!("Ledger entry {} of the signoff ledger.", ledger.seq))));
        let proof = match &ledger.proof {
            Some(InclusionProof::TlogProof { text }) => {
                Some((format!("entry-{}.tlog-proof", ledger.seq), "text/plain", text.clone().into_bytes()))
            }
            Some(proof @ InclusionProof::Rfc6962 { .. }) => serde_json::to_vec(proof)
                .ok()
                .map(|bytes| (format!("entry-{}.inclusion-proof.json", ledger.seq), "application/json", bytes)),
            None => None,
        };
        if let Some((filename, media_type, bytes)) = proof {
            put(
                &mut resource,
                "base64",
                Some(json!({"filename": filename, "media-type": media_type, "value": STANDARD.encode(bytes)})),
            );
        }
    }
    (uuid, resource)
}

fn finding(
    artifact: &ComplianceArtifact,
    control_id: &str,
    statement: &str,
    observations: &BTreeMap<String, (Uuid, Value)>,
) -> Value {
    let (state, reason) = if artifact.satisfied { ("satisfied", "pass") } else { ("not-satisfied", "fail") };
    let related: Vec<Value> = artifact
        .evidence
        .iter()
        .filter_map(|item| observations.get(&evidence_key(item)).map(|(uuid, _)| *uuid))
        .collect::<BTreeSet<Uuid>>()
        .into_iter()
        .map(|uuid| json!({"observation-uuid": uuid}))
        .collect();
    let mut finding = json!({
        "uuid": stable_uuid(&["oscal-finding", statement, &artifact.framework.id, &artifact.control.id]),
        "title": format!("{} {}: {}", artifact.control.id, artifact.control.title, match artifact.status {
            Status::Satisfied => "satisfied",
            Status::Partial => "partially demonstrated",
            Status::Missing => "not demonstrated",
        }),
        "description": artifact.summary,
        "target": {
            "type": "objective-id",
            "target-id": format!("{control_id}_obj"),
            "status": {"state": state, "reason": reason},
        },
    });
    put(
        &mut finding,
        "props",
        props([
            prop("framework", artifact.framework.id.clone()),
            prop("control", artifact.control.id.clone()),
            prop("coverage-status", artifact.status.as_str()),
            prop("artifact-id", artifact.id.to_string()),
            prop("idempotency-key", artifact.idempotency_key.as_str()),
        ]),
    );
    put(&mut finding, "related-observations", (!related.is_empty()).then_some(Value::Array(related)));
    finding
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ni_uri_is_rfc_6920() {
        // RFC 6920 §3 names SHA-256 of "Hello World!" this way.
        let digest = Digest::of(b"Hello World!");
        assert_eq!(ni_uri(&digest), "ni:///sha-256;f4OxZX_x_FO5LcGBSKHWXfwtSx-j1ncoSt3SABJtkGk");
    }

    #[test]
    fn framework_names_match_as_the_catalog_does() {
        assert!(signoff_framework_matches("pci-dss", "PCI DSS"));
        assert!(signoff_framework_matches("nist-800-53", "fedramp"));
        assert!(!signoff_framework_matches("soc2", "iso27001"));
    }
}
