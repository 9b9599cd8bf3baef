//! What an evaluation says: the decision, every criterion's result, and the
//! exceptions used or not; and how two evaluations of one release differ (D8).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use signoff_core::Digest;
use time::OffsetDateTime;

/// The result of evaluating a policy over an input. A pure function of the two, so
/// the same input under two policies gives two comparable evaluations ([`diff`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Evaluation {
    /// The policy evaluated.
    pub policy: PolicyRef,
    /// The evaluation time (the input's `evaluated_at`).
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub evaluated_at: OffsetDateTime,
    /// The environment certified for (the input's `environment`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Certified iff no blocking criterion failed among those without an environment
    /// scope and, when the input names an environment, those scoped to it.
    pub decision: Decision,
    /// For each environment the policy declares: the decision for that environment
    /// (the criteria without a scope plus those scoped to it).
    #[serde(default)]
    pub environments: BTreeMap<String, Decision>,
    /// Every criterion and Rego module, in policy order.
    pub criteria: Vec<CriterionResult>,
    /// The exceptions that turned a failure into WAIVED, sorted.
    #[serde(default)]
    pub exceptions_used: Vec<String>,
    /// The exceptions in the input that were not applied, and why (expired, too long,
    /// self-approved, ...).
    #[serde(default)]
    pub exceptions_not_applied: Vec<ExceptionNotApplied>,
    /// Every evidence digest the evaluation considered, sorted.
    #[serde(default)]
    pub evidence_digests: Vec<Digest>,
    /// Remarks about the evaluation as a whole.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Triage decisions (false positive, not affected) that left findings out of
    /// the counts (D3), sorted. Accepted risks are in `exceptions_used`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triage_used: Vec<String>,
}

impl Evaluation {
    /// Whether the release is certified.
    pub fn is_certified(&self) -> bool {
        self.decision == Decision::Certified
    }

    /// The blocking criteria that failed.
    pub fn blocking_failures(&self) -> impl Iterator<Item = &CriterionResult> {
        self.criteria.iter().filter(|result| result.blocking && result.status == Status::Fail)
    }

    /// A criterion's result by id.
    pub fn criterion(&self, id: &str) -> Option<&CriterionResult> {
        self.criteria.iter().find(|result| result.id == id)
    }
}

/// Which policy an evaluation used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PolicyRef {
    /// Its name.
    pub name: String,
    /// Its digest.
    pub digest: Digest,
    /// The project whose overrides applied, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_override: Option<String>,
}

pub use signoff_core::records::{CriterionStatus as Status, Decision};

/// One criterion's result, with everything a report needs to explain it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CriterionResult {
    /// The criterion's id (for Rego, the module's id; its warnings are `<id>.warn`).
    pub id: String,
    /// For people.
    pub title: String,
    /// The built-in's name (`findings_threshold`), or `rego`.
    pub criterion: String,
    /// PASS, FAIL or WAIVED.
    pub status: Status,
    /// Whether a FAIL rejects the release.
    pub blocking: bool,
    /// Set when the criterion applies to one environment only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// What the policy asks for.
    pub expected: String,
    /// What the input has.
    pub actual: String,
    /// The evidence the result is based on.
    #[serde(default)]
    pub evidence: Vec<Digest>,
    /// What is absent (evidence kinds, approvals, reviews).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// The items behind a failure (findings, commits, messages), at most
    /// [`CriterionResult::MAX_DETAILS`] and a count of the rest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    /// How to fix it: `signoff` commands or actions. Empty when it passed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fix: Vec<String>,
    /// The exceptions that waived it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<String>,
    /// Remarks (approvals that did not count, nothing to check, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl CriterionResult {
    /// How many detail lines a result lists before summarising the rest.
    pub const MAX_DETAILS: usize = 20;
}

/// An exception that was not applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ExceptionNotApplied {
    /// The exception's id.
    pub id: String,
    /// Why.
    pub reason: NotAppliedReason,
}

/// Why an exception was not applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum NotAppliedReason {
    /// It expired at or before the evaluation time.
    Expired {
        /// When.
        #[serde(with = "time::serde::rfc3339")]
        #[schemars(with = "String", extend("format" = "date-time"))]
        expires_at: OffsetDateTime,
    },
    /// It was approved after the evaluation time (a replay of an earlier
    /// certification does not see later exceptions).
    NotYetApproved {
        /// When it was approved.
        #[serde(with = "time::serde::rfc3339")]
        #[schemars(with = "String", extend("format" = "date-time"))]
        approved_at: OffsetDateTime,
    },
    /// It runs longer than the policy's `exceptions.max_days`.
    TooLong {
        /// Its length in days, from approval to expiry (rounded up).
        days: u64,
        /// The policy's limit.
        max_days: u64,
    },
    /// Its requester approved it.
    SelfApproved,
    /// Its approver is a bot or an AI agent.
    ApproverNotHuman,
    /// A triage decision that needs approval (an accepted risk, or any under
    /// `triage: {approval: required}`) has none.
    NotApproved,
    /// An accepted risk without an expiry.
    NoExpiry,
    /// A triage decision recorded after the evaluation time.
    NotYetRecorded {
        /// When it was recorded.
        #[serde(with = "time::serde::rfc3339")]
        #[schemars(with = "String", extend("format" = "date-time"))]
        recorded_at: OffsetDateTime,
    },
}

impl fmt::Display for NotAppliedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotAppliedReason::Expired { expires_at } => write!(f, "expired at {}", date(*expires_at)),
            NotAppliedReason::NotYetApproved { approved_at } => {
                write!(f, "approved at {}, after the evaluation time", date(*approved_at))
            }
            NotAppliedReason::TooLong { days, max_days } => {
                write!(f, "runs {days} days, longer than the policy's limit of {max_days}")
            }
            NotAppliedReason::SelfApproved => f.write_str("approved by its own requester"),
            NotAppliedReason::ApproverNotHuman => f.write_str("approved by a bot or an AI agent"),
            NotAppliedReason::NotApproved => {
                f.write_str("not approved yet by a human other than its requester, which it needs")
            }
            NotAppliedReason::NoExpiry => f.write_str("an accepted risk without an expiry"),
            NotAppliedReason::NotYetRecorded { recorded_at } => {
                write!(f, "recorded at {}, after the evaluation time", date(*recorded_at))
            }
        }
    }
}

/// A timestamp as reports print it (RFC 3339, UTC).
pub(crate) fn date(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

/// How two evaluations of the same release differ (D8 replay: the original
/// certification against a re-evaluation under another policy).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EvaluationDiff {
    /// The first evaluation's decision.
    pub decision_before: Decision,
    /// The second's.
    pub decision_after: Decision,
    /// Environments whose decision differs (or that only one has).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<EnvironmentChange>,
    /// Criteria whose status or blocking flag differs, or that only one has, in the
    /// second evaluation's order, then those only the first has.
    pub criteria: Vec<CriterionChange>,
}

impl EvaluationDiff {
    /// Whether anything differs.
    pub fn is_empty(&self) -> bool {
        self.decision_before == self.decision_after && self.environments.is_empty() && self.criteria.is_empty()
    }

    /// Whether the decision differs.
    pub fn decision_changed(&self) -> bool {
        self.decision_before != self.decision_after
    }
}

/// An environment whose decision differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EnvironmentChange {
    /// The environment.
    pub environment: String,
    /// Its decision in the first evaluation, if it had one.
    pub before: Option<Decision>,
    /// In the second.
    pub after: Option<Decision>,
}

/// A criterion whose result differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CriterionChange {
    /// The criterion's id.
    pub id: String,
    /// Its title (in the second evaluation, if there).
    pub title: String,
    /// Its status and blocking flag in the first evaluation, if it was there.
    pub before: Option<StatusAndBlocking>,
    /// In the second.
    pub after: Option<StatusAndBlocking>,
    /// Whether the change alone moves the decision: a blocking FAIL appeared or went away.
    pub affects_decision: bool,
    /// Why, in words: the expected and actual values on both sides.
    pub reason: String,
}

/// A criterion's status with its blocking flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StatusAndBlocking {
    /// The status.
    pub status: Status,
    /// Whether a FAIL blocks.
    pub blocking: bool,
}

impl StatusAndBlocking {
    fn blocks(self) -> bool {
        self.blocking && self.status == Status::Fail
    }
}

impl fmt::Display for StatusAndBlocking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.status, if self.blocking { "" } else { " (advisory)" })
    }
}

/// How `after` differs from `before`: the decision, the environments, and every
/// criterion whose status or blocking flag changed, with reasons.
pub fn diff(before: &Evaluation, after: &Evaluation) -> EvaluationDiff {
    let snapshot = |result: &CriterionResult| StatusAndBlocking { status: result.status, blocking: result.blocking };
    let mut criteria = Vec::new();
    for new in &after.criteria {
        match before.criterion(&new.id) {
            Some(old) if snapshot(old) == snapshot(new) => {}
            Some(old) => {
                let mut reason = format!("{} → {}", snapshot(old), snapshot(new));
                if old.expected != new.expected {
                    reason.push_str(&format!("; expected changed from \"{}\" to \"{}\"", old.expected, new.expected));
                } else {
                    reason.push_str(&format!("; expected \"{}\"", new.expected));
                }
                if old.actual != new.actual {
                    reason.push_str(&format!("; actual was \"{}\", now \"{}\"", old.actual, new.actual));
                } else {
                    reason.push_str(&format!("; actual \"{}\"", new.actual));
                }
                if old.exceptions != new.exceptions {
                    reason.push_str(&format!(
                        "; exceptions {} → {}",
                        list_or_none(&old.exceptions),
                        list_or_none(&new.exceptions)
                    ));
                }
                criteria.push(CriterionChange {
                    id: new.id.clone(),
                    title: new.title.clone(),
                    before: Some(snapshot(old)),
                    after: Some(snapshot(new)),
                    affects_decision: snapshot(old).blocks() != snapshot(new).blocks(),
                    reason,
                });
            }
            None => criteria.push(CriterionChange {
                id: new.id.clone(),
                title: new.title.clone(),
                before: None,
                after: Some(snapshot(new)),
                affects_decision: snapshot(new).blocks(),
                reason: format!(
                    "only in the second policy: {} (expected \"{}\", actual \"{}\")",
                    snapshot(new),
                    new.expected,
                    new.actual
                ),
            }),
        }
    }
    for old in &before.criteria {
        if after.criterion(&old.id).is_none() {
            criteria.push(CriterionChange {
                id: old.id.clone(),
                title: old.title.clone(),
                before: Some(snapshot(old)),
                after: None,
                affects_decision: snapshot(old).blocks(),
                reason: format!("only in the first policy: was {} (actual \"{}\")", snapshot(old), old.actual),
            });
        }
    }
    let mut environments = Vec::new();
    let names: std::collections::BTreeSet<&String> =
        before.environments.keys().chain(after.environments.keys()).collect();
    for name in names {
        let (old, new) = (before.environments.get(name).copied(), after.environments.get(name).copied());
        if old != new {
            environments.push(EnvironmentChange { environment: name.clone(), before: old, after: new });
        }
    }
    EvaluationDiff { decision_before: before.decision, decision_after: after.decision, environments, criteria }
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() { "none".to_owned() } else { items.join(", ") }
}
