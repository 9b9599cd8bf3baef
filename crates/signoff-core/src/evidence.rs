//! What a piece of evidence is: its kind (the control catalog's vocabulary), the
//! file format it arrived in, and the tool that wrote it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant, )*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The name used in JSON, on the command line and in the database.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// In JSON Schemas (docs/schemas/): one of the names.
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                let names: Vec<&str> = $name::ALL.iter().map(|value| value.as_str()).collect();
                schemars::json_schema!({ "type": "string", "enum": names, "description": concat!("A ", $what, ".") })
            }
        }

        impl FromStr for $name {
            type Err = UnknownName;
            fn from_str(text: &str) -> Result<$name, UnknownName> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|value| value.as_str() == text)
                    .ok_or_else(|| UnknownName {
                        what: $what,
                        given: text.to_owned(),
                        expected: $name::ALL.iter().map(|value| value.as_str()).collect::<Vec<_>>().join(", "),
                    })
            }
        }
    };
}

/// A name that is not one of a fixed set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {given:?} (expected one of: {expected})")]
pub struct UnknownName {
    /// What kind of name it should have been.
    pub what: &'static str,
    /// What was given.
    pub given: String,
    /// The accepted names, comma separated.
    pub expected: String,
}

named_enum! {
    /// The kind of evidence, in the vocabulary of the control catalog
    /// (`controls.yaml`, `evidence_types`) plus `deployment` and `generic`.
    pub enum EvidenceKind ("evidence kind") {
        /// Static application security testing.
        Sast = "sast",
        /// Dynamic testing of a running build.
        Dast = "dast",
        /// Software composition analysis: dependency vulnerabilities.
        Sca = "sca",
        /// Image vulnerability scan.
        ContainerScan = "container_scan",
        /// Secret and credential detection.
        SecretsScan = "secrets_scan",
        /// Infrastructure-as-code and configuration scan.
        IacScan = "iac_scan",
        /// Software bill of materials.
        Sbom = "sbom",
        /// Test outcomes.
        TestResults = "test_results",
        /// Code coverage.
        Coverage = "coverage",
        /// Peer review of a change.
        CodeReview = "code_review",
        /// Recorded approval to deploy.
        DeploymentApproval = "deployment_approval",
        /// Change ticket or record.
        ChangeRecord = "change_record",
        /// Build provenance.
        Provenance = "provenance",
        /// Signature over an artifact or attestation.
        Signature = "signature",
        /// Triage decision or exception.
        VulnerabilityDisposition = "vulnerability_disposition",
        /// A deployment record.
        Deployment = "deployment",
        /// Anything else.
        Generic = "generic",
    }
}

impl EvidenceKind {
    /// Whether evidence of this kind carries findings (a scan of some sort).
    pub const fn is_scan(self) -> bool {
        matches!(
            self,
            EvidenceKind::Sast
                | EvidenceKind::Dast
                | EvidenceKind::Sca
                | EvidenceKind::ContainerScan
                | EvidenceKind::SecretsScan
                | EvidenceKind::IacScan
        )
    }
}

named_enum! {
    /// The file format evidence arrived in.
    pub enum Format ("format") {
        /// SARIF 2.1.0 (and 2.0.0 where it reads the same), from any tool.
        Sarif = "sarif",
        /// JUnit XML in its common dialects.
        Junit = "junit",
        /// Trivy JSON.
        Trivy = "trivy",
        /// Grype JSON.
        Grype = "grype",
        /// Gitleaks JSON.
        Gitleaks = "gitleaks",
        /// Semgrep JSON.
        Semgrep = "semgrep",
        /// Checkov JSON.
        Checkov = "checkov",
        /// OWASP ZAP JSON or XML.
        Zap = "zap",
        /// npm audit JSON (npm 6 and 7+).
        NpmAudit = "npm-audit",
        /// OSV-Scanner JSON.
        OsvScanner = "osv-scanner",
        /// CycloneDX JSON or XML.
        Cyclonedx = "cyclonedx",
        /// SPDX 2.x JSON.
        Spdx = "spdx",
        /// Cobertura XML coverage.
        Cobertura = "cobertura",
        /// JaCoCo XML coverage.
        Jacoco = "jacoco",
        /// LCOV tracefile.
        Lcov = "lcov",
        /// GitHub pull request and review JSON.
        GithubPr = "github-pr",
        /// GitLab merge request approvals JSON.
        GitlabMr = "gitlab-mr",
        /// in-toto Statement, bare or in a DSSE envelope.
        InToto = "in-toto",
        /// Any other JSON, kept as a generic attestation.
        Generic = "generic",
    }
}

/// The tool that produced a piece of evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Tool {
    /// As the tool names itself (`Bandit`, `CodeQL`, `pytest`).
    pub name: String,
    /// As the tool reports it, when it does.
    pub version: Option<String>,
}

impl Tool {
    /// A tool with a name and maybe a version.
    pub fn new(name: impl Into<String>, version: Option<String>) -> Tool {
        Tool { name: name.into(), version }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in EvidenceKind::ALL {
            assert_eq!(kind.as_str().parse::<EvidenceKind>(), Ok(*kind));
            assert_eq!(serde_json::to_string(kind).unwrap(), format!("\"{kind}\""));
        }
        for format in Format::ALL {
            assert_eq!(format.as_str().parse::<Format>(), Ok(*format));
        }
        let error = "sarif2".parse::<Format>().unwrap_err();
        assert!(error.to_string().contains("unknown format \"sarif2\""), "{error}");
    }
}
