//! The evidence vocabulary of the control catalog (`evidence_types` in
//! `catalog/controls.yaml`) and, for each type, how to produce it.
//!
//! The vocabulary is closed: a control can only name evidence that signoff knows how
//! to obtain, so a typo in a user's catalog is an error rather than a control that
//! can never be satisfied. It is `signoff_core::EvidenceKind` without `deployment`
//! and `generic`, plus two types signoff does not capture from pipelines:
//! `access_review` (a periodic review kept outside the pipeline) and
//! `audit_log_integrity` (which signoff's own ledger provides).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use signoff_core::EvidenceKind;

/// One type of evidence a control can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceType {
    /// Peer review of the change (reviewer other than the author).
    CodeReview,
    /// Static application security testing.
    Sast,
    /// Dynamic testing of a running build.
    Dast,
    /// Software composition analysis.
    Sca,
    /// Image vulnerability scan.
    ContainerScan,
    /// Secret and credential detection.
    SecretsScan,
    /// Infrastructure-as-code and configuration scan.
    IacScan,
    /// Software bill of materials.
    Sbom,
    /// Test outcomes.
    TestResults,
    /// Code coverage.
    Coverage,
    /// Recorded approval to deploy (approver other than the author).
    DeploymentApproval,
    /// Change ticket or record.
    ChangeRecord,
    /// Build provenance (SLSA, in-toto).
    Provenance,
    /// Cryptographic signature over an artifact or attestation.
    Signature,
    /// Triage decision or approved exception.
    VulnerabilityDisposition,
    /// Periodic review of who can change code, pipelines and production.
    AccessReview,
    /// A tamper-evident, retained log.
    AuditLogIntegrity,
}

impl EvidenceType {
    /// Every type, in the catalog's order.
    pub const ALL: [EvidenceType; 17] = [
        EvidenceType::CodeReview,
        EvidenceType::Sast,
        EvidenceType::Dast,
        EvidenceType::Sca,
        EvidenceType::ContainerScan,
        EvidenceType::SecretsScan,
        EvidenceType::IacScan,
        EvidenceType::Sbom,
        EvidenceType::TestResults,
        EvidenceType::Coverage,
        EvidenceType::DeploymentApproval,
        EvidenceType::ChangeRecord,
        EvidenceType::Provenance,
        EvidenceType::Signature,
        EvidenceType::VulnerabilityDisposition,
        EvidenceType::AccessReview,
        EvidenceType::AuditLogIntegrity,
    ];

    /// The name used in the catalog, in JSON and on the command line.
    pub const fn as_str(self) -> &'static str {
        match self {
            EvidenceType::CodeReview => "code_review",
            EvidenceType::Sast => "sast",
            EvidenceType::Dast => "dast",
            EvidenceType::Sca => "sca",
            EvidenceType::ContainerScan => "container_scan",
            EvidenceType::SecretsScan => "secrets_scan",
            EvidenceType::IacScan => "iac_scan",
            EvidenceType::Sbom => "sbom",
            EvidenceType::TestResults => "test_results",
            EvidenceType::Coverage => "coverage",
            EvidenceType::DeploymentApproval => "deployment_approval",
            EvidenceType::ChangeRecord => "change_record",
            EvidenceType::Provenance => "provenance",
            EvidenceType::Signature => "signature",
            EvidenceType::VulnerabilityDisposition => "vulnerability_disposition",
            EvidenceType::AccessReview => "access_review",
            EvidenceType::AuditLogIntegrity => "audit_log_integrity",
        }
    }

    /// The type captured evidence of `kind` counts as; `None` for `deployment` and
    /// `generic`, which no control asks for.
    pub const fn from_kind(kind: EvidenceKind) -> Option<EvidenceType> {
        Some(match kind {
            EvidenceKind::Sast => EvidenceType::Sast,
            EvidenceKind::Dast => EvidenceType::Dast,
            EvidenceKind::Sca => EvidenceType::Sca,
            EvidenceKind::ContainerScan => EvidenceType::ContainerScan,
            EvidenceKind::SecretsScan => EvidenceType::SecretsScan,
            EvidenceKind::IacScan => EvidenceType::IacScan,
            EvidenceKind::Sbom => EvidenceType::Sbom,
            EvidenceKind::TestResults => EvidenceType::TestResults,
            EvidenceKind::Coverage => EvidenceType::Coverage,
            EvidenceKind::CodeReview => EvidenceType::CodeReview,
            EvidenceKind::DeploymentApproval => EvidenceType::DeploymentApproval,
            EvidenceKind::ChangeRecord => EvidenceType::ChangeRecord,
            EvidenceKind::Provenance => EvidenceType::Provenance,
            EvidenceKind::Signature => EvidenceType::Signature,
            EvidenceKind::VulnerabilityDisposition => EvidenceType::VulnerabilityDisposition,
            EvidenceKind::Deployment | EvidenceKind::Generic => return None,
        })
    }

    /// The evidence kind `signoff capture` records for this type; `None` for
    /// `access_review` and `audit_log_integrity`, which are not captured.
    pub const fn to_kind(self) -> Option<EvidenceKind> {
        Some(match self {
            EvidenceType::CodeReview => EvidenceKind::CodeReview,
            EvidenceType::Sast => EvidenceKind::Sast,
            EvidenceType::Dast => EvidenceKind::Dast,
            EvidenceType::Sca => EvidenceKind::Sca,
            EvidenceType::ContainerScan => EvidenceKind::ContainerScan,
            EvidenceType::SecretsScan => EvidenceKind::SecretsScan,
            EvidenceType::IacScan => EvidenceKind::IacScan,
            EvidenceType::Sbom => EvidenceKind::Sbom,
            EvidenceType::TestResults => EvidenceKind::TestResults,
            EvidenceType::Coverage => EvidenceKind::Coverage,
            EvidenceType::DeploymentApproval => EvidenceKind::DeploymentApproval,
            EvidenceType::ChangeRecord => EvidenceKind::ChangeRecord,
            EvidenceType::Provenance => EvidenceKind::Provenance,
            EvidenceType::Signature => EvidenceKind::Signature,
            EvidenceType::VulnerabilityDisposition => EvidenceKind::VulnerabilityDisposition,
            EvidenceType::AccessReview | EvidenceType::AuditLogIntegrity => return None,
        })
    }

    /// One line saying how to produce and record this evidence, in the wording of
    /// the policy engine's fix lines (`signoff-policy`'s `fix.rs`).
    pub const fn hint(self) -> &'static str {
        match self {
            EvidenceType::CodeReview => {
                "capture the pull request's reviews (`gh pr view N --json reviews,author,mergeCommit > pr.json`), then `signoff capture pr.json`"
            }
            EvidenceType::Sast => {
                "run a SAST tool with SARIF output (`semgrep scan --sarif -o semgrep.sarif`), then `signoff capture semgrep.sarif`"
            }
            EvidenceType::Dast => {
                "run a DAST scan (`zap-baseline.py -t URL -J zap.json`), then `signoff capture zap.json`"
            }
            EvidenceType::Sca => {
                "scan dependencies (`osv-scanner --format json -r . > osv.json`), then `signoff capture osv.json`"
            }
            EvidenceType::ContainerScan => {
                "scan the release image (`trivy image --format json -o trivy.json IMAGE`), then `signoff capture trivy.json`"
            }
            EvidenceType::SecretsScan => {
                "scan for secrets (`gitleaks detect --report-format json --report-path gitleaks.json`), then `signoff capture gitleaks.json`"
            }
            EvidenceType::IacScan => {
                "scan infrastructure code (`checkov -d . -o json > checkov.json`), then `signoff capture checkov.json`"
            }
            EvidenceType::Sbom => {
                "capture a CycloneDX or SPDX SBOM (`syft . -o cyclonedx-json=sbom.json`), then `signoff capture sbom.json`"
            }
            EvidenceType::TestResults => {
                "write JUnit XML from the test run (`pytest --junitxml=junit.xml`), then `signoff capture junit.xml`"
            }
            EvidenceType::Coverage => {
                "write a Cobertura, JaCoCo or LCOV report (`coverage xml`), then `signoff capture coverage.xml`"
            }
            EvidenceType::DeploymentApproval => {
                "a person other than the author approves the release: `signoff approve PROJECT@VERSION --decision approve --role ROLE`"
            }
            EvidenceType::ChangeRecord => {
                "export the change ticket as JSON and capture it: `signoff capture ticket.json --kind change_record`"
            }
            EvidenceType::Provenance => {
                "capture the build's SLSA/in-toto provenance: `signoff capture provenance.intoto.jsonl`"
            }
            EvidenceType::Signature => {
                "sign the artifact (or certify the release: the certificate is a signed attestation), or `signoff capture` its signature bundle"
            }
            EvidenceType::VulnerabilityDisposition => {
                "triage the findings or accept a risk: `signoff exception request --finding FINGERPRINT --expires DATE --reason TEXT`"
            }
            EvidenceType::AccessReview => {
                "not captured from pipelines: keep the periodic access review (who can change code, pipelines and production) and give it to the auditor"
            }
            EvidenceType::AuditLogIntegrity => "signoff's ledger provides it: `signoff ledger verify`",
        }
    }
}

impl fmt::Display for EvidenceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not an evidence type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown evidence type {given:?} (expected one of: {expected})")]
pub struct UnknownEvidenceType {
    /// What was given.
    pub given: String,
    /// The accepted names, comma separated.
    pub expected: String,
}

/// The accepted names, comma separated, for messages.
pub(crate) fn expected_names() -> String {
    EvidenceType::ALL.iter().map(|kind| kind.as_str()).collect::<Vec<_>>().join(", ")
}

impl FromStr for EvidenceType {
    type Err = UnknownEvidenceType;

    /// The type's own name only; catalog aliases (`exception`) are resolved by
    /// `Catalog::resolve_evidence`.
    fn from_str(text: &str) -> Result<EvidenceType, UnknownEvidenceType> {
        EvidenceType::ALL
            .iter()
            .copied()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| UnknownEvidenceType { given: text.to_owned(), expected: expected_names() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in EvidenceType::ALL {
            assert_eq!(kind.as_str().parse::<EvidenceType>().unwrap(), kind);
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{kind}\""));
            assert!(!kind.hint().is_empty());
        }
        assert!("exception".parse::<EvidenceType>().is_err());
    }

    #[test]
    fn every_captured_kind_but_deployment_and_generic_is_a_type() {
        for kind in EvidenceKind::ALL.iter().copied() {
            match EvidenceType::from_kind(kind) {
                Some(evidence) => assert_eq!(evidence.to_kind(), Some(kind)),
                None => assert!(matches!(kind, EvidenceKind::Deployment | EvidenceKind::Generic)),
            }
        }
        // Names agree with signoff-core's.
        for kind in EvidenceType::ALL {
            if let Some(captured) = kind.to_kind() {
                assert_eq!(captured.as_str(), kind.as_str());
            }
        }
    }
}
