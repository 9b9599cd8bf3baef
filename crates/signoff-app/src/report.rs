//! What a use case hands back about one piece of evidence: the JSON line that
//! `inspect --json` and `capture --json` print.

use serde::{Deserialize, Serialize};
use signoff_core::context::CiContext;
use signoff_core::entry::EvidenceRecord;
use signoff_core::text::count;
use signoff_core::{Digest, EvidenceKind, Format, Summary, Tool};

/// One evidence file, inspected or captured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EvidenceReport {
    /// The file as named on the command line.
    pub file: String,
    /// Its format.
    pub format: Format,
    /// Its evidence kind.
    pub kind: EvidenceKind,
    /// The tool that wrote it.
    pub tool: Tool,
    /// Digest of the bytes stored (for a redacted report, of the redacted bytes).
    pub digest: Digest,
    /// Size of the bytes stored.
    pub size: u64,
    /// The parsed summary.
    pub summary: Summary,
    /// Digest of the original bytes, when the stored bytes are a redacted copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_digest: Option<Digest>,
    /// Secret values redacted before storing.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub redacted: u64,
    /// When the tool says it produced the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub produced_at: Option<String>,
    /// What was scanned, when the report (or, once captured, the CI context) says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Set once captured: where it is in the store.
    #[serde(default, flatten, skip_serializing_if = "Option::is_none")]
    pub captured: Option<CapturedAt>,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// Where captured evidence is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CapturedAt {
    /// The evidence id.
    pub evidence_id: String,
    /// Its ledger entry.
    pub entry: u64,
    /// Project.
    pub project: String,
    /// Commit, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Release it was captured for by name, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// Pipeline context.
    pub context: CiContext,
    /// Captured after the release was last certified (B4): not part of that
    /// certificate.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub post_certification: bool,
    /// A server received this capture before, under the same idempotency key (a
    /// retry after a lost answer): this is the evidence stored then, not a copy.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub redelivered: bool,
    /// When the sender captured it, for a capture that waited in the sender's
    /// outbox while the server was out of reach (the entry's time is its arrival).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "date-time"))]
    pub first_captured_at: Option<String>,
}

impl EvidenceReport {
    /// The report of stored evidence.
    pub fn from_record(file: String, seq: u64, record: &EvidenceRecord) -> EvidenceReport {
        EvidenceReport {
            file,
            format: record.format,
            kind: record.kind,
            tool: record.tool.clone(),
            digest: record.digest,
            size: record.size,
            summary: record.summary.clone(),
            original_digest: record.original_digest,
            redacted: record.redacted,
            produced_at: record.produced_at.clone(),
            target: record.target.clone(),
            captured: Some(CapturedAt {
                evidence_id: record.id.clone(),
                entry: seq,
                project: record.project.to_string(),
                commit: record.commit.as_ref().map(ToString::to_string),
                release: record.release.as_ref().map(ToString::to_string),
                context: record.context.clone(),
                post_certification: false,
                redelivered: false,
                first_captured_at: record.delivery.as_ref().and_then(|delivery| delivery.captured_at.clone()),
            }),
        }
    }
}

/// A one-line summary for tables: `3 findings (0 critical, 1 high, 0 medium, 2 low, 0 info)`, `28 tests, 1 failed`,
/// `93.6% lines`.
pub(crate) fn summary_line(summary: &signoff_core::Summary) -> String {
    let mut parts = Vec::new();
    if let Some(findings) = &summary.findings {
        parts.push(format!(
            "{} ({} critical, {} high, {} medium, {} low, {} info)",
            count(findings.total, "finding", "findings"),
            findings.critical,
            findings.high,
            findings.medium,
            findings.low,
            findings.info
        ));
    }
    if let Some(tests) = &summary.tests {
        parts.push(format!("{}, {} failed", count(tests.total, "test", "tests"), tests.failed + tests.errored));
    }
    if let Some(rate) = summary.coverage.and_then(|coverage| coverage.line_rate) {
        parts.push(format!("{:.1}% lines", rate * 100.0));
    }
    if let Some(reviews) = &summary.reviews {
        parts.push(count(reviews.approved, "approval", "approvals"));
    }
    if let Some(components) = summary.components {
        parts.push(count(components, "component", "components"));
    }
    parts.join("; ")
}
