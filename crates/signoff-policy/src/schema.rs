//! JSON Schema stand-ins for the `signoff-core` types the input document carries.
//!
//! `signoff-core` does not depend on schemars, so the input types point schemars at
//! these mirrors with `#[schemars(with = ...)]`. Enumerations are generated from the
//! core types' own `ALL` lists, so they cannot drift; the struct mirrors carry the
//! same serde attributes as their originals, and a test round-trips each original
//! through its mirror to prove the shapes match.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use signoff_core::{EvidenceKind, Format, Severity};

/// An RFC 3339 timestamp.
pub(crate) struct Timestamp;

impl JsonSchema for Timestamp {
    fn schema_name() -> Cow<'static, str> {
        "Timestamp".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "date-time",
            "description": "An RFC 3339 timestamp (`2026-11-26T10:00:00Z`)."
        })
    }
}

/// `sha256:` and 64 lowercase hex digits.
pub(crate) struct DigestSchema;

impl JsonSchema for DigestSchema {
    fn schema_name() -> Cow<'static, str> {
        "Digest".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^sha256:[0-9a-f]{64}$",
            "description": "A SHA-256 digest: `sha256:` and 64 lowercase hex digits."
        })
    }
}

/// A full commit id.
pub(crate) struct CommitSchema;

impl JsonSchema for CommitSchema {
    fn schema_name() -> Cow<'static, str> {
        "Commit".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^([0-9a-f]{40}|[0-9a-f]{64})$",
            "description": "A full commit id: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits."
        })
    }
}

pub(crate) struct EvidenceKindSchema;

impl JsonSchema for EvidenceKindSchema {
    fn schema_name() -> Cow<'static, str> {
        "EvidenceKind".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let names: Vec<&str> = EvidenceKind::ALL.iter().map(|kind| kind.as_str()).collect();
        json_schema!({
            "type": "string",
            "enum": names,
            "description": "The kind of evidence, in the control catalog's vocabulary."
        })
    }
}

pub(crate) struct FormatSchema;

impl JsonSchema for FormatSchema {
    fn schema_name() -> Cow<'static, str> {
        "Format".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let names: Vec<&str> = Format::ALL.iter().map(|format| format.as_str()).collect();
        json_schema!({
            "type": "string",
            "enum": names,
            "description": "The file format the evidence arrived in."
        })
    }
}

pub(crate) struct SeveritySchema;

impl JsonSchema for SeveritySchema {
    fn schema_name() -> Cow<'static, str> {
        "Severity".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let names: Vec<&str> = Severity::ALL.iter().map(|severity| severity.as_str()).collect();
        json_schema!({
            "type": "string",
            "enum": names,
            "description": "Severity on signoff's scale, lowest first: info < low < medium < high < critical."
        })
    }
}

pub(crate) struct DispositionSchema;

impl JsonSchema for DispositionSchema {
    fn schema_name() -> Cow<'static, str> {
        "Disposition".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let names: Vec<&str> =
            signoff_core::triage::Disposition::ALL.iter().map(|disposition| disposition.as_str()).collect();
        json_schema!({
            "type": "string",
            "enum": names,
            "description": "What triage decided about a finding."
        })
    }
}

pub(crate) struct JustificationSchema;

impl JsonSchema for JustificationSchema {
    fn schema_name() -> Cow<'static, str> {
        "VexJustification".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let names: Vec<&str> =
            signoff_core::triage::VexJustification::ALL.iter().map(|justification| justification.as_str()).collect();
        json_schema!({
            "type": "string",
            "enum": names,
            "description": "OpenVEX's justification for a `not_affected` status."
        })
    }
}

/// The tool that produced a piece of evidence.
#[derive(Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Tool")]
#[serde(deny_unknown_fields)]
pub(crate) struct ToolSchema {
    /// As the tool names itself (`Bandit`, `CodeQL`, `pytest`).
    name: String,
    /// As the tool reports it, when it does.
    version: Option<String>,
}

/// Where a finding is.
#[derive(Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Location")]
#[serde(deny_unknown_fields)]
pub(crate) struct LocationSchema {
    /// Last line, 1-based.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    end_line: Option<u64>,
    /// Path or URI as the tool wrote it, `\` turned into `/`, `file://` removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    /// First line, 1-based.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    start_line: Option<u64>,
}

/// The parsed summary of one piece of evidence; only the parts that apply are present.
#[derive(Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Summary")]
#[serde(deny_unknown_fields)]
pub(crate) struct SummarySchema {
    /// Scans: findings by severity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    findings: Option<FindingCountsSchema>,
    /// Test reports: test outcomes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tests: Option<TestCountsSchema>,
    /// Coverage reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    coverage: Option<CoverageSchema>,
    /// Code review evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reviews: Option<ReviewsSchema>,
    /// SBOMs: how many components (nested ones included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    components: Option<u64>,
}

/// Findings by severity. `total` counts every finding, suppressed ones included.
#[derive(Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "FindingCounts")]
#[serde(deny_unknown_fields)]
struct FindingCountsSchema {
    /// Every finding.
    total: u64,
    /// Findings the tool marked suppressed (also in `total`).
    suppressed: u64,
    /// Critical.
    critical: u64,
    /// High.
    high: u64,
    /// Medium.
    medium: u64,
    /// Low.
    low: u64,
    /// Info.
    info: u64,
}

/// Test outcomes: `total = passed + failed + errored + skipped`.
#[derive(Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "TestCounts")]
#[serde(deny_unknown_fields)]
struct TestCountsSchema {
    /// Every test case.
    total: u64,
    /// Passed.
    passed: u64,
    /// Failed an assertion.
    failed: u64,
    /// Errored (could not run to an outcome).
    errored: u64,
    /// Skipped.
    skipped: u64,
    /// Names of the first failed or errored tests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    failures: Vec<String>,
}

/// Line and branch coverage; rates are fractions in [0, 1].
#[derive(Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Coverage")]
#[serde(deny_unknown_fields)]
struct CoverageSchema {
    /// Lines executed.
    lines_covered: u64,
    /// Lines that could be executed.
    lines_valid: u64,
    /// `lines_covered / lines_valid`.
    line_rate: Option<f64>,
    /// Branches taken.
    branches_covered: u64,
    /// Branches that could be taken.
    branches_valid: u64,
    /// `branches_covered / branches_valid`.
    branch_rate: Option<f64>,
}

/// Review decisions on a change, from pull or merge request evidence.
#[derive(Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Reviews")]
#[serde(deny_unknown_fields)]
struct ReviewsSchema {
    /// Approvals.
    approved: u64,
    /// Requests for changes.
    changes_requested: u64,
    /// Comment-only reviews.
    commented: u64,
    /// Dismissed reviews.
    dismissed: u64,
    /// Pull or merge request number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    number: Option<u64>,
    /// Who opened it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    author: Option<String>,
    /// The merge commit, once merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    merge_commit: Option<String>,
    /// Who approved (logins), in review order, without repeats.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    approvers: Vec<String>,
}
