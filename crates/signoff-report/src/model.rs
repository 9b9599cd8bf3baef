//! The data the reports are rendered from. The application fills these structs
//! (from the store, the policy evaluation and the control coverage); this crate
//! only renders them. They serialize to the JSON form of the reports (`--json`),
//! and deserialize from it, so a report can be rendered again from saved JSON.
//!
//! Conventions: times are RFC 3339 strings (`2026-03-02T10:14:03Z`) and dates
//! `YYYY-MM-DD`, rendered as given; rates are fractions in `0.0..=1.0`; digests are
//! `sha256:<hex>`; optional values are `null` when unknown and lists may be empty.

use serde::{Deserialize, Serialize};

/// A release's certification decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// A certificate says certified.
    Certified,
    /// A certificate says rejected.
    Rejected,
    /// No certificate (never certified, or not yet).
    NotCertified,
}

impl Decision {
    /// `certified`, `rejected`, `not certified`: as CSV cells and chips say it.
    pub const fn label(self) -> &'static str {
        match self {
            Decision::Certified => "certified",
            Decision::Rejected => "rejected",
            Decision::NotCertified => "not certified",
        }
    }
}

/// Findings counted by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SeverityCounts {
    /// Critical.
    pub critical: u64,
    /// High.
    pub high: u64,
    /// Medium.
    pub medium: u64,
    /// Low.
    pub low: u64,
    /// Info.
    pub info: u64,
}

impl SeverityCounts {
    /// All five added up.
    pub const fn total(&self) -> u64 {
        self.critical + self.high + self.medium + self.low + self.info
    }
}

/// Test outcomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TestCounts {
    /// Passed.
    pub passed: u64,
    /// Failed (errors included).
    pub failed: u64,
    /// Skipped.
    #[serde(default)]
    pub skipped: u64,
}

/// A span of time, both ends included, as dates or times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Period {
    /// First day.
    pub from: String,
    /// Last day.
    pub to: String,
}

/// A report over a period (F2): every release in it, trends, control coverage,
/// metrics (I1) and the ledger checkpoint that vouches for it all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PeriodReport {
    /// Title (`Q3 2026 release evidence`).
    pub title: String,
    /// When the report was made; the only time it shows that is not in the data.
    #[schemars(extend("format" = "date-time"))]
    pub generated_at: String,
    /// The period covered.
    pub period: Period,
    /// The projects included.
    #[serde(default)]
    pub projects: Vec<String>,
    /// Every release created in the period, in the order to print.
    #[serde(default)]
    pub releases: Vec<ReleaseLine>,
    /// Trends, one point per day or week.
    #[serde(default)]
    pub series: Series,
    /// Control coverage per enabled framework.
    #[serde(default)]
    pub coverage: Vec<FrameworkCoverage>,
    /// Key figures.
    #[serde(default)]
    pub metrics: Metrics,
    /// The ledger checkpoint the report was made at.
    pub ledger: Ledger,
}

/// One release of a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReleaseLine {
    /// Project.
    pub project: String,
    /// Version.
    pub version: String,
    /// Commit id (full).
    pub commit: String,
    /// When the release was created.
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    /// Its certification decision.
    pub decision: Decision,
    /// Whether its first certification attempt passed; `null` if never attempted.
    #[serde(default)]
    pub first_attempt_pass: Option<bool>,
    /// Findings of its scans by severity.
    #[serde(default)]
    pub findings: SeverityCounts,
    /// Its tests, when it has test results.
    #[serde(default)]
    pub tests: Option<TestCounts>,
    /// Line coverage, when measured.
    #[serde(default)]
    pub line_rate: Option<f64>,
    /// The evidence kinds captured for it (`sast`, `sbom`, ...).
    #[serde(default)]
    pub evidence_kinds: Vec<String>,
    /// Evidence captured after the release's last certification (B4): not what the
    /// decision was made on.
    #[serde(default)]
    pub evidence_after_certification: u64,
    /// Who approved it.
    #[serde(default)]
    pub approvals: Vec<String>,
    /// Environments it was deployed to.
    #[serde(default)]
    pub deployed_to: Vec<String>,
}

/// Trend data for the charts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Series {
    /// Certification pass rate over time.
    #[serde(default)]
    pub pass_rate: Vec<RatePoint>,
    /// Findings by severity over time.
    #[serde(default)]
    pub findings: Vec<SeverityPoint>,
}

/// One point of a rate over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RatePoint {
    /// Date (the axis label).
    pub date: String,
    /// The rate, `0.0..=1.0`.
    pub rate: f64,
}

/// Findings by severity at one date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SeverityPoint {
    /// Date (the axis label).
    pub date: String,
    /// The counts.
    #[serde(flatten)]
    pub counts: SeverityCounts,
}

pub use signoff_controls::{GapReason, Status as ControlStatus};

/// One framework's control coverage (E2), as `signoff-controls` computes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FrameworkCoverage {
    /// Framework id (`pci-dss`).
    pub framework: String,
    /// Its name.
    pub name: String,
    /// Controls satisfied.
    pub satisfied: u64,
    /// Controls partially covered.
    pub partial: u64,
    /// Controls with no evidence.
    pub missing: u64,
    /// Per control.
    #[serde(default)]
    pub controls: Vec<ControlLine>,
}

/// One control's coverage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ControlLine {
    /// Control id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Status.
    pub status: ControlStatus,
    /// The evidence behind it, by evidence type in the control's order.
    #[serde(default)]
    pub evidence: Vec<ControlEvidence>,
    /// Every gap.
    #[serde(default)]
    pub gaps: Vec<ControlGap>,
}

/// One piece of evidence behind a control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ControlEvidence {
    /// Evidence type (`sast`).
    pub kind: String,
    /// A digest (`sha256:…`), a record id, or `signoff ledger`.
    pub reference: String,
    /// The tool, for captured files.
    #[serde(default)]
    pub tool: Option<String>,
}

/// One gap of a control, and how to close it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ControlGap {
    /// The evidence type; `null` for `outside_pipeline`.
    #[serde(default)]
    pub kind: Option<String>,
    /// Why.
    pub reason: GapReason,
    /// One line: what to do.
    pub hint: String,
}

impl From<&signoff_controls::Coverage> for FrameworkCoverage {
    fn from(coverage: &signoff_controls::Coverage) -> FrameworkCoverage {
        FrameworkCoverage {
            framework: coverage.framework.clone(),
            name: coverage.name.clone(),
            satisfied: coverage.totals.satisfied,
            partial: coverage.totals.partial,
            missing: coverage.totals.missing,
            controls: coverage
                .controls
                .iter()
                .map(|control| ControlLine {
                    id: control.id.clone(),
                    title: control.title.clone(),
                    status: control.status,
                    // Failing evidence does not demonstrate the control; its gap names it.
                    evidence: control
                        .evidence
                        .iter()
                        .filter(|reference| reference.passed != Some(false))
                        .map(|reference| ControlEvidence {
                            kind: reference.kind.to_string(),
                            reference: reference.reference.clone(),
                            tool: reference.tool.clone(),
                        })
                        .collect(),
                    gaps: control
                        .gaps
                        .iter()
                        .map(|gap| ControlGap {
                            kind: gap.kind.map(|kind| kind.to_string()),
                            reason: gap.reason,
                            hint: gap.hint.clone(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// Key figures of a period (I1).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Metrics {
    /// Releases whose first certification attempt passed, of those attempted.
    #[serde(default)]
    pub first_attempt_pass_rate: Option<f64>,
    /// Evidence required by the policy and enabled controls that was present.
    #[serde(default)]
    pub evidence_completeness: Option<f64>,
    /// Days from a finding's first to its last sighting, for fixed findings.
    #[serde(default)]
    pub time_to_fix_days: TimeToFix,
    /// Exceptions in force at the end of the period.
    #[serde(default)]
    pub exceptions_open: u64,
    /// Of those, the ones expiring within 14 days (or the window the app uses).
    #[serde(default)]
    pub exceptions_expiring: u64,
}

/// Finding time-to-fix, in days.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TimeToFix {
    /// Median.
    #[serde(default)]
    pub median: Option<f64>,
    /// 90th percentile.
    #[serde(default)]
    pub p90: Option<f64>,
}

/// The ledger checkpoint a report vouches by, and for a trace the entries behind
/// the release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Ledger {
    /// Tree size (entries) at the checkpoint.
    pub size: u64,
    /// Root hash at the checkpoint.
    pub root: String,
    /// The signed checkpoint (C2SP signed note), verbatim.
    pub checkpoint: String,
    /// The ledger's public key (C2SP note verifier key or PEM), to check the
    /// checkpoint's signature with.
    #[serde(default)]
    pub public_key: Option<String>,
    /// Ledger entries behind the report (a trace's release), in ledger order.
    #[serde(default)]
    pub entries: Vec<LedgerEntry>,
}

/// One ledger entry, for inclusion proofs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LedgerEntry {
    /// Its position (`seq`), the index `signoff ledger prove` takes.
    pub seq: u64,
    /// What it records (`evidence_captured`, `certificate`, ...).
    pub event: String,
    /// What it is about, for people (`semgrep sast`, `approval by alice`).
    pub subject: String,
    /// Its Merkle leaf hash.
    pub leaf_hash: String,
}

/// A release trace (B2): everything about one release on one page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TraceReport {
    /// When the page was made.
    #[schemars(extend("format" = "date-time"))]
    pub generated_at: String,
    /// The release.
    pub release: TraceRelease,
    /// Every change (commit) in it, newest first.
    #[serde(default)]
    pub changes: Vec<Change>,
    /// Every scan captured for it.
    #[serde(default)]
    pub scans: Vec<Scan>,
    /// Test runs.
    #[serde(default)]
    pub tests: Vec<TestRun>,
    /// Code coverage reports.
    #[serde(default)]
    pub coverage: Vec<CoverageRun>,
    /// Control coverage of this release per enabled framework.
    #[serde(default)]
    pub controls: Vec<FrameworkCoverage>,
    /// Exceptions that applied to it.
    #[serde(default)]
    pub exceptions: Vec<ExceptionLine>,
    /// Triage decisions about its findings (D3): the latest for each finding.
    #[serde(default)]
    pub triage: Vec<TriageLine>,
    /// Release approvals.
    #[serde(default)]
    pub approvals: Vec<Approval>,
    /// The latest certification, when there is one.
    #[serde(default)]
    pub certificate: Option<Certificate>,
    /// Every deployment of it.
    #[serde(default)]
    pub deployments: Vec<Deployment>,
    /// The ledger checkpoint and the release's entries.
    pub ledger: Ledger,
}

/// The release a trace is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TraceRelease {
    /// Project.
    pub project: String,
    /// Version.
    pub version: String,
    /// Commit id (full).
    pub commit: String,
    /// The previous release's version, when there is one.
    #[serde(default)]
    pub previous: Option<String>,
    /// When it was created.
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    /// Its artifacts.
    #[serde(default)]
    pub artifacts: Vec<Artifact>,
    /// Its certification decision.
    pub decision: Decision,
}

/// A release artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Artifact {
    /// A name for people (`ghcr.io/acme/payments:4.2.1`).
    #[serde(default)]
    pub name: Option<String>,
    /// Its digest.
    pub digest: String,
}

/// Someone or something that acted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Actor {
    /// Identity (login, email).
    pub id: String,
    /// `human`, `bot` or `ai_agent`.
    pub kind: signoff_core::records::ActorKind,
}

/// A change in the release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Change {
    /// Commit id (full).
    pub commit: String,
    /// First line of the message.
    pub summary: String,
    /// Author.
    pub author: Actor,
    /// Co-authors (`Co-authored-by`).
    #[serde(default)]
    pub co_authors: Vec<Actor>,
    /// Pull or merge request number.
    #[serde(default)]
    pub pr: Option<u64>,
    /// Signature status: `verified`, `unverified`, `bad` or `none`.
    pub signature: String,
    /// Who reviewed it.
    #[serde(default)]
    pub reviewers: Vec<Reviewer>,
}

/// One review of a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Reviewer {
    /// Identity.
    pub id: String,
    /// `human`, `bot` or `ai_agent`.
    pub kind: signoff_core::records::ActorKind,
    /// `approved`, `changes_requested`, `commented` or `dismissed`.
    pub state: String,
}

/// A scan captured for the release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Scan {
    /// Tool (`semgrep`).
    pub tool: String,
    /// Evidence kind (`sast`).
    pub kind: String,
    /// Digest of the stored report.
    pub digest: String,
    /// When it was captured.
    #[schemars(extend("format" = "date-time"))]
    pub captured_at: String,
    /// Findings by severity.
    pub summary: SeverityCounts,
    /// Whether it is within the policy's limits, when known.
    #[serde(default)]
    pub passed: Option<bool>,
    /// The most severe findings (the app picks how many).
    #[serde(default)]
    pub findings: Vec<FindingLine>,
    /// How many findings there are in all (beyond those listed).
    #[serde(default)]
    pub findings_total: u64,
    /// Captured after the release's certificate (B4): not evidence the decision
    /// was made on.
    #[serde(default)]
    pub captured_after_certification: bool,
}

/// One finding, for a trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FindingLine {
    /// `critical`, `high`, `medium`, `low` or `info`.
    pub severity: String,
    /// Rule or vulnerability id.
    pub rule: String,
    /// Title.
    pub title: String,
    /// `path:line` or `package@version`.
    #[serde(default)]
    pub location: Option<String>,
    /// `new`, `waived by EXC-3`, `suppressed`, ...
    #[serde(default)]
    pub status: Option<String>,
}

/// A test run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TestRun {
    /// Tool (`pytest`).
    pub tool: String,
    /// Digest of the stored report.
    pub digest: String,
    /// When it was captured.
    #[schemars(extend("format" = "date-time"))]
    pub captured_at: String,
    /// Outcomes.
    pub counts: TestCounts,
    /// Captured after the release's certificate (B4).
    #[serde(default)]
    pub captured_after_certification: bool,
}

/// A coverage report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CoverageRun {
    /// Tool (`coverage.py`).
    pub tool: String,
    /// Digest of the stored report.
    pub digest: String,
    /// When it was captured.
    #[schemars(extend("format" = "date-time"))]
    pub captured_at: String,
    /// Line coverage.
    #[serde(default)]
    pub line_rate: Option<f64>,
    /// Branch coverage.
    #[serde(default)]
    pub branch_rate: Option<f64>,
    /// Captured after the release's certificate (B4).
    #[serde(default)]
    pub captured_after_certification: bool,
}

/// An exception that applied to the release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ExceptionLine {
    /// Id (`EXC-3`).
    pub id: String,
    /// What it waives (`finding sha256:…`, `criterion no-critical`).
    pub target: String,
    /// The justification.
    pub reason: String,
    /// Who asked.
    pub requested_by: String,
    /// Who approved, once approved.
    #[serde(default)]
    pub approved_by: Option<String>,
    /// When it stops applying.
    #[schemars(extend("format" = "date-time"))]
    pub expires_at: String,
    /// `active`, `pending`, `expired`.
    pub status: String,
}

/// A triage decision about one finding of a release (D3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TriageLine {
    /// Id (`TRI-3`).
    pub id: String,
    /// The finding's fingerprint.
    pub finding: String,
    /// The finding, in a line (`high B602: subprocess call with shell=True at app.py:12`).
    pub title: String,
    /// `false_positive`, `not_affected` or `accepted_risk`.
    pub disposition: String,
    /// OpenVEX's justification, for not affected.
    #[serde(default)]
    pub justification: Option<String>,
    /// Why.
    pub reason: String,
    /// Who decided.
    pub requested_by: String,
    /// Who approved, once approved.
    #[serde(default)]
    pub approved_by: Option<String>,
    /// When it stops applying, if it does.
    #[serde(default)]
    #[schemars(extend("format" = "date-time"))]
    pub expires_at: Option<String>,
    /// `in_effect`, `pending`, `expired`.
    pub status: String,
}

/// A release approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Approval {
    /// Who.
    pub actor: Actor,
    /// In which role.
    pub role: String,
    /// `approve` or `reject`.
    pub decision: String,
    /// When.
    #[schemars(extend("format" = "date-time"))]
    pub at: String,
    /// Their comment.
    #[serde(default)]
    pub comment: Option<String>,
}

pub use signoff_core::records::CriterionStatus;

/// The certification of the release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Certificate {
    /// Certified or rejected.
    pub decision: Decision,
    /// The policy it was evaluated under.
    pub policy: PolicyLine,
    /// When.
    #[schemars(extend("format" = "date-time"))]
    pub evaluated_at: String,
    /// Who asked for it.
    #[serde(default)]
    pub certifier: Option<String>,
    /// Every criterion's result, in policy order.
    #[serde(default)]
    pub criteria: Vec<Criterion>,
    /// Digest of the signed DSSE envelope.
    pub envelope_digest: String,
    /// Digest of the in-toto statement inside it.
    #[serde(default)]
    pub statement_digest: Option<String>,
}

/// A policy, named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PolicyLine {
    /// Name.
    pub name: String,
    /// Published version.
    #[serde(default)]
    pub version: Option<u64>,
    /// Content digest.
    pub digest: String,
}

/// One criterion's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Criterion {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// PASS, FAIL or WAIVED.
    pub status: CriterionStatus,
    /// Whether a FAIL rejects the release (else advisory).
    #[serde(default = "blocking_default")]
    pub blocking: bool,
    /// What the policy asks for.
    pub expected: String,
    /// What the release has.
    pub actual: String,
    /// How to fix it, when it failed.
    #[serde(default)]
    pub fix: Vec<String>,
    /// Exceptions that waived it.
    #[serde(default)]
    pub exceptions: Vec<String>,
}

const fn blocking_default() -> bool {
    true
}

/// A deployment of the release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Deployment {
    /// Environment.
    pub environment: String,
    /// When.
    #[schemars(extend("format" = "date-time"))]
    pub at: String,
    /// Who deployed.
    pub actor: Actor,
    /// The certificate that covered it, if any (`null`: deployed uncertified).
    #[serde(default)]
    pub certificate: Option<String>,
}

/// One row of an audit population (F1): a production deployment in the period with
/// its reviews, scans and approvals, for sampling. Exported as CSV only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PopulationRow {
    /// Project.
    pub project: String,
    /// Version.
    pub version: String,
    /// Commit id.
    pub commit: String,
    /// Environment.
    pub environment: String,
    /// When it was deployed.
    pub deployed_at: String,
    /// Who deployed.
    pub deployed_by: String,
    /// Its certification decision.
    pub decision: Decision,
    /// The certificate that covered the deployment, if any.
    #[serde(default)]
    pub certificate: Option<String>,
    /// Reviewers of its changes.
    #[serde(default)]
    pub reviewers: Vec<String>,
    /// Scans (`semgrep sast sha256:…`).
    #[serde(default)]
    pub scans: Vec<String>,
    /// Approvers.
    #[serde(default)]
    pub approvals: Vec<String>,
}
