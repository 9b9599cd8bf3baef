//! Triage (D3): a person's decision about one finding — a false positive, not
//! affected (with one of OpenVEX's justifications), or an accepted risk — and its
//! approval by someone else where the policy asks for one. Each is the payload of a
//! ledger entry; a finding is named by its fingerprint, so a decision carries to
//! every later scan that reports the same finding.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::digest::Digest;
use crate::names::ProjectName;
use crate::records::Actor;

/// What triage decided about a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// The tool was wrong: the problem is not there.
    FalsePositive,
    /// The problem is there but does not affect the product (with a justification).
    NotAffected,
    /// The problem affects the product and the risk is accepted until an expiry: an
    /// exception for the finding, approved by someone other than the requester.
    AcceptedRisk,
}

impl Disposition {
    /// Every disposition.
    pub const ALL: [Disposition; 3] = [Disposition::FalsePositive, Disposition::NotAffected, Disposition::AcceptedRisk];

    /// `false_positive`, `not_affected` or `accepted_risk`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Disposition::FalsePositive => "false_positive",
            Disposition::NotAffected => "not_affected",
            Disposition::AcceptedRisk => "accepted_risk",
        }
    }

    /// Whether the finding is left out of counts as if it were not there (false
    /// positives and not affected), rather than waived (an accepted risk).
    pub const fn dismisses(self) -> bool {
        matches!(self, Disposition::FalsePositive | Disposition::NotAffected)
    }
}

impl fmt::Display for Disposition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a disposition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a triage disposition (false-positive, not-affected or accepted-risk)")]
pub struct UnknownDisposition(pub String);

impl std::str::FromStr for Disposition {
    type Err = UnknownDisposition;

    /// Accepts `false-positive` and `false_positive` alike.
    fn from_str(text: &str) -> Result<Disposition, UnknownDisposition> {
        let wanted = text.replace('-', "_");
        Disposition::ALL
            .into_iter()
            .find(|disposition| disposition.as_str() == wanted)
            .ok_or_else(|| UnknownDisposition(text.to_owned()))
    }
}

/// Why a product is not affected: OpenVEX's (and CISA's) five status
/// justifications, spelled as OpenVEX spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VexJustification {
    /// The vulnerable component is not in the product.
    ComponentNotPresent,
    /// The component is there, the vulnerable code is not.
    VulnerableCodeNotPresent,
    /// The vulnerable code cannot be executed.
    VulnerableCodeNotInExecutePath,
    /// The vulnerable code cannot be reached by an attacker's input.
    VulnerableCodeCannotBeControlledByAdversary,
    /// Built-in protections prevent exploitation.
    InlineMitigationsAlreadyExist,
}

impl VexJustification {
    /// Every justification, in OpenVEX's order.
    pub const ALL: [VexJustification; 5] = [
        VexJustification::ComponentNotPresent,
        VexJustification::VulnerableCodeNotPresent,
        VexJustification::VulnerableCodeNotInExecutePath,
        VexJustification::VulnerableCodeCannotBeControlledByAdversary,
        VexJustification::InlineMitigationsAlreadyExist,
    ];

    /// The OpenVEX name.
    pub const fn as_str(self) -> &'static str {
        match self {
            VexJustification::ComponentNotPresent => "component_not_present",
            VexJustification::VulnerableCodeNotPresent => "vulnerable_code_not_present",
            VexJustification::VulnerableCodeNotInExecutePath => "vulnerable_code_not_in_execute_path",
            VexJustification::VulnerableCodeCannotBeControlledByAdversary => {
                "vulnerable_code_cannot_be_controlled_by_adversary"
            }
            VexJustification::InlineMitigationsAlreadyExist => "inline_mitigations_already_exist",
        }
    }
}

impl fmt::Display for VexJustification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of OpenVEX's justifications.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not an OpenVEX justification (component_not_present, vulnerable_code_not_present, vulnerable_code_not_in_execute_path, vulnerable_code_cannot_be_controlled_by_adversary, inline_mitigations_already_exist)"
)]
pub struct UnknownJustification(pub String);

impl std::str::FromStr for VexJustification {
    type Err = UnknownJustification;

    /// Accepts OpenVEX's spelling and the same with `-` for `_`.
    fn from_str(text: &str) -> Result<VexJustification, UnknownJustification> {
        let wanted = text.replace('-', "_");
        VexJustification::ALL
            .into_iter()
            .find(|justification| justification.as_str() == wanted)
            .ok_or_else(|| UnknownJustification(text.to_owned()))
    }
}

/// A triage decision about one finding of one project (D3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TriageRecord {
    /// Triage id (`TRI-` and a short number, unique in the store).
    pub id: String,
    /// The project whose finding it is.
    pub project: ProjectName,
    /// The finding, by fingerprint: every scan that reports it carries the decision.
    pub fingerprint: Digest,
    /// The decision.
    pub disposition: Disposition,
    /// Why not affected (required with `not_affected`, absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<VexJustification>,
    /// Why, in the requester's words.
    pub reason: String,
    /// Who decided.
    pub requested_by: Actor,
    /// When it stops applying (required for an accepted risk).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<String>", extend("format" = "date-time"))]
    pub expires_at: Option<OffsetDateTime>,
}

/// The approval of a triage decision, by a human other than the requester.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriageApprovalRecord {
    /// The triage decision (`TRI-n`).
    pub triage: String,
    /// Who approved.
    pub approved_by: Actor,
    /// Their comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_with_dashes_or_underscores() {
        assert_eq!("false-positive".parse::<Disposition>().unwrap(), Disposition::FalsePositive);
        assert_eq!("accepted_risk".parse::<Disposition>().unwrap(), Disposition::AcceptedRisk);
        assert!("fixed".parse::<Disposition>().is_err());
        assert_eq!(
            "vulnerable_code_not_in_execute_path".parse::<VexJustification>().unwrap(),
            VexJustification::VulnerableCodeNotInExecutePath
        );
        assert!("not_reachable".parse::<VexJustification>().is_err());
    }
}
