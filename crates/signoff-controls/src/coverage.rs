//! Control coverage (E2): which evidence satisfies which control of a framework, and
//! every gap.
//!
//! # Rules
//!
//! The input is the evidence captured for a release (or for every release of a
//! period: then a type counts as present when any release has it) and a few facts
//! signoff holds as records rather than captured files. Each evidence type a
//! control names is, for that input:
//!
//! - **present** when an item of that type did not fail (`passed` is `true` or
//!   unknown), or a fact provides it;
//! - **failing** when items of that type exist but every one failed (`passed:
//!   false`: tests failed, a scan outside the policy's limits). The items are still
//!   listed, so the auditor sees them, but they do not demonstrate the control;
//! - **absent** otherwise.
//!
//! Facts count as evidence of one type each:
//!
//! | fact | type | why |
//! |---|---|---|
//! | `certificate` (the release is certified) | `signature` | the certificate is an ed25519-signed in-toto statement over the artifact digests |
//! | `approvals` | `deployment_approval` | `signoff approve` records, by a person other than the author |
//! | `reviews` | `code_review` | reviews read from the pull requests of the release's changes |
//! | `exceptions` | `vulnerability_disposition` | exceptions and finding dispositions |
//! | always | `audit_log_integrity` | signoff's own ledger: an RFC 6962 Merkle log with signed checkpoints, verified by `signoff ledger verify` |
//!
//! A certification is not a deployment approval: a deployment approval is a
//! person's decision, a certification is signoff's verdict.
//!
//! A control's status is then:
//!
//! - **satisfied**: every type is present and the control's fit is `strong`;
//! - **partial**: at least one type is present or failing, but not every type is
//!   present; or every type is present but the fit is `partial`. A `fit: partial`
//!   control is never more than partial, because pipeline evidence alone cannot
//!   demonstrate it: an auditor will also want policy, process, runtime or HR
//!   records. Its gaps say so;
//! - **missing**: no type is present or failing.
//!
//! Gaps list, in the control's order, every absent type with a one-line hint how
//! to produce it, every failing type, and for a `fit: partial` control one more gap
//! naming the proof needed from outside the pipeline.

use serde::{Deserialize, Serialize};
use signoff_core::Digest;

use crate::catalog::{Catalog, Fit, Framework};
use crate::error::UnknownFramework;
use crate::evidence::EvidenceType;

/// The hint of every [`GapReason::OutsidePipeline`] gap.
pub const OUTSIDE_PIPELINE_HINT: &str =
    "also needs proof from outside the pipeline: the policy, process, runtime or HR records behind the control";

/// What coverage is computed from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverageInput {
    /// The captured evidence.
    #[serde(default)]
    pub evidence: Vec<EvidenceItem>,
    /// Records signoff holds that count as evidence.
    #[serde(default)]
    pub facts: CoverageFacts,
}

/// One piece of captured evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceItem {
    /// Its type (`EvidenceType::from_kind` maps a captured `EvidenceKind`).
    pub kind: EvidenceType,
    /// SHA-256 of the stored file.
    pub digest: Digest,
    /// The tool that wrote it (`semgrep`, `pytest`).
    pub tool: String,
    /// When it was captured (RFC 3339).
    pub captured_at: String,
    /// The release it belongs to, `project@version`, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// Whether it passed (tests passing, a scan within the policy's limits), when
    /// known. `Some(false)` items do not demonstrate a control (see the module doc).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passed: Option<bool>,
}

/// Records that count as evidence (see the table in the module doc).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverageFacts {
    /// When the release is certified: the certificate's digest (its DSSE statement).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<Digest>,
    /// Approvals to deploy: their ids, or any reference an auditor can look up.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<String>,
    /// Code reviews: references such as `PR #42 approved by bob`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reviews: Vec<String>,
    /// Exceptions and finding dispositions: their ids (`EXC-3`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<String>,
    /// The ledger checkpoint to cite for `audit_log_integrity` (`size 1042, root
    /// sha256:…`); `signoff ledger` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger_checkpoint: Option<String>,
}

/// A control's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every evidence type present and the fit strong.
    Satisfied,
    /// Some evidence, or all of it for a control pipeline evidence alone cannot
    /// demonstrate.
    Partial,
    /// No evidence.
    Missing,
}

impl Status {
    /// `satisfied`, `partial`, `missing`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Satisfied => "satisfied",
            Status::Partial => "partial",
            Status::Missing => "missing",
        }
    }
}

/// Where a piece of evidence behind a control comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A captured file.
    Captured,
    /// A record signoff holds (certificate, approval, review, exception).
    Record,
    /// signoff's ledger.
    Ledger,
}

/// One piece of evidence behind a control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EvidenceRef {
    /// The type it counts as.
    pub kind: EvidenceType,
    /// The digest (`sha256:…`) for captured files and certificates, else the record's
    /// reference.
    pub reference: String,
    /// Captured, record or ledger.
    pub source: Source,
    /// The tool, for captured files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// The release, for captured files, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// Whether it passed, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passed: Option<bool>,
}

/// Why a control is not satisfied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GapReason {
    /// No evidence of the type.
    Missing,
    /// Evidence of the type exists, but none of it passed.
    Failing,
    /// The control needs proof from outside the pipeline (`fit: partial`).
    OutsidePipeline,
}

/// One gap, with how to close it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Gap {
    /// The evidence type; `None` for [`GapReason::OutsidePipeline`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<EvidenceType>,
    /// Why.
    pub reason: GapReason,
    /// One line: what to do.
    pub hint: String,
}

/// One control's coverage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ControlCoverage {
    /// Control id.
    pub id: String,
    /// Title.
    pub title: String,
    /// How well pipeline evidence demonstrates it.
    pub fit: Fit,
    /// Satisfied, partial or missing.
    pub status: Status,
    /// The evidence behind it, by evidence type in the control's order.
    pub evidence: Vec<EvidenceRef>,
    /// Every gap.
    pub gaps: Vec<Gap>,
}

/// How many controls are in each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Totals {
    /// Controls in the framework.
    pub controls: u64,
    /// Satisfied.
    pub satisfied: u64,
    /// Partial.
    pub partial: u64,
    /// Missing.
    pub missing: u64,
}

/// A framework's coverage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Coverage {
    /// Framework id (`pci-dss`).
    pub framework: String,
    /// Its name.
    pub name: String,
    /// Its edition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Per control, in catalog order.
    pub controls: Vec<ControlCoverage>,
    /// Counts by status.
    pub totals: Totals,
}

/// The coverage of one framework of `catalog` (any name
/// [`Catalog::framework`] accepts) by `input`, under the rules of the module doc.
///
/// # Errors
///
/// [`UnknownFramework`] when the catalog has no such framework.
pub fn coverage(catalog: &Catalog, framework: &str, input: &CoverageInput) -> Result<Coverage, UnknownFramework> {
    Ok(framework_coverage(catalog.framework(framework)?, input))
}

/// The coverage of each of `frameworks`, in the order given.
///
/// # Errors
///
/// [`UnknownFramework`] for the first name the catalog does not have.
pub fn coverage_all<S: AsRef<str>>(
    catalog: &Catalog,
    frameworks: &[S],
    input: &CoverageInput,
) -> Result<Vec<Coverage>, UnknownFramework> {
    frameworks.iter().map(|name| coverage(catalog, name.as_ref(), input)).collect()
}

/// The coverage of one framework.
pub fn framework_coverage(framework: &Framework, input: &CoverageInput) -> Coverage {
    let mut totals = Totals::default();
    let controls = framework
        .controls
        .iter()
        .map(|control| {
            let mut evidence = Vec::new();
            let mut gaps = Vec::new();
            let (mut present, mut touched) = (0usize, 0usize);
            for &kind in &control.evidence {
                let refs = references(kind, input);
                let passing = refs.iter().any(|reference| reference.passed != Some(false));
                if passing {
                    present += 1;
                    touched += 1;
                } else if refs.is_empty() {
                    gaps.push(Gap { kind: Some(kind), reason: GapReason::Missing, hint: kind.hint().to_owned() });
                } else {
                    touched += 1;
                    let tools = failing_tools(&refs);
                    gaps.push(Gap {
                        kind: Some(kind),
                        reason: GapReason::Failing,
                        hint: format!(
                            "{kind} evidence did not pass ({tools}): fix what failed and capture it again, or record a disposition"
                        ),
                    });
                }
                evidence.extend(refs);
            }
            if control.fit == Fit::Partial {
                gaps.push(Gap {
                    kind: None,
                    reason: GapReason::OutsidePipeline,
                    hint: OUTSIDE_PIPELINE_HINT.to_owned(),
                });
            }
            let status = if touched == 0 {
                Status::Missing
            } else if present == control.evidence.len() && control.fit == Fit::Strong {
                Status::Satisfied
            } else {
                Status::Partial
            };
            match status {
                Status::Satisfied => totals.satisfied += 1,
                Status::Partial => totals.partial += 1,
                Status::Missing => totals.missing += 1,
            }
            totals.controls += 1;
            ControlCoverage {
                id: control.id.clone(),
                title: control.title.clone(),
                fit: control.fit,
                status,
                evidence,
                gaps,
            }
        })
        .collect();
    Coverage {
        framework: framework.id.clone(),
        name: framework.name.clone(),
        version: framework.version.clone(),
        controls,
        totals,
    }
}

/// Every piece of evidence of `kind` in the input: captured items in input order,
/// then facts.
fn references(kind: EvidenceType, input: &CoverageInput) -> Vec<EvidenceRef> {
    let mut refs: Vec<EvidenceRef> = input
        .evidence
        .iter()
        .filter(|item| item.kind == kind)
        .map(|item| EvidenceRef {
            kind,
            reference: item.digest.to_string(),
            source: Source::Captured,
            tool: Some(item.tool.clone()),
            release: item.release.clone(),
            passed: item.passed,
        })
        .collect();
    let record = |reference: &str| EvidenceRef {
        kind,
        reference: reference.to_owned(),
        source: Source::Record,
        tool: None,
        release: None,
        passed: None,
    };
    let facts = &input.facts;
    match kind {
        EvidenceType::Signature => refs.extend(facts.certificate.iter().map(|digest| record(&digest.to_string()))),
        EvidenceType::DeploymentApproval => refs.extend(facts.approvals.iter().map(|id| record(id))),
        EvidenceType::CodeReview => refs.extend(facts.reviews.iter().map(|id| record(id))),
        EvidenceType::VulnerabilityDisposition => refs.extend(facts.exceptions.iter().map(|id| record(id))),
        EvidenceType::AuditLogIntegrity => refs.push(EvidenceRef {
            kind,
            reference: facts.ledger_checkpoint.clone().unwrap_or_else(|| "signoff ledger".to_owned()),
            source: Source::Ledger,
            tool: None,
            release: None,
            passed: None,
        }),
        _ => {}
    }
    refs
}

/// The tools of failing evidence, deduplicated, in order: `pytest, jest`.
fn failing_tools(refs: &[EvidenceRef]) -> String {
    let mut tools: Vec<&str> = Vec::new();
    for tool in refs.iter().filter_map(|reference| reference.tool.as_deref()) {
        if !tools.contains(&tool) {
            tools.push(tool);
        }
    }
    if tools.is_empty() { "no passing result".to_owned() } else { tools.join(", ") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(kind: EvidenceType, tool: &str, passed: Option<bool>) -> EvidenceItem {
        EvidenceItem {
            kind,
            digest: Digest::of(format!("{kind} {tool}").as_bytes()),
            tool: tool.to_owned(),
            captured_at: "2026-03-02T10:00:00Z".to_owned(),
            release: Some("payments@4.2.1".to_owned()),
            passed,
        }
    }

    /// Every captured type, passing, plus every fact.
    fn full_input() -> CoverageInput {
        let captured = [
            (EvidenceType::Sast, "semgrep"),
            (EvidenceType::Dast, "zap"),
            (EvidenceType::Sca, "osv-scanner"),
            (EvidenceType::ContainerScan, "trivy"),
            (EvidenceType::SecretsScan, "gitleaks"),
            (EvidenceType::IacScan, "checkov"),
            (EvidenceType::Sbom, "syft"),
            (EvidenceType::TestResults, "pytest"),
            (EvidenceType::Coverage, "coverage.py"),
            (EvidenceType::ChangeRecord, "jira"),
            (EvidenceType::Provenance, "slsa-github-generator"),
            (EvidenceType::AccessReview, "okta-export"),
        ];
        CoverageInput {
            evidence: captured.iter().map(|(kind, tool)| item(*kind, tool, Some(true))).collect(),
            facts: CoverageFacts {
                certificate: Some(Digest::of(b"certificate")),
                approvals: vec!["approval 0193a".into()],
                reviews: vec!["PR #42 approved by bob".into()],
                exceptions: vec!["EXC-3".into()],
                ledger_checkpoint: Some("size 1042".into()),
            },
        }
    }

    #[test]
    fn full_evidence_satisfies_every_strong_control() {
        let catalog = Catalog::built_in();
        for framework in catalog.frameworks() {
            let result = coverage(&catalog, &framework.id, &full_input()).unwrap();
            for (control, covered) in framework.controls.iter().zip(&result.controls) {
                assert_eq!(control.id, covered.id);
                match control.fit {
                    Fit::Strong => {
                        assert_eq!(covered.status, Status::Satisfied, "{} {}", framework.id, control.id);
                        assert!(covered.gaps.is_empty());
                    }
                    Fit::Partial => {
                        assert_eq!(covered.status, Status::Partial, "{} {}", framework.id, control.id);
                        assert_eq!(covered.gaps.len(), 1);
                        assert_eq!(covered.gaps[0].reason, GapReason::OutsidePipeline);
                    }
                }
                // Each named type has at least one piece of evidence.
                for kind in &control.evidence {
                    assert!(covered.evidence.iter().any(|reference| reference.kind == *kind));
                }
            }
            let strong = framework.controls.iter().filter(|control| control.fit == Fit::Strong).count() as u64;
            assert_eq!(result.totals.satisfied, strong);
            assert_eq!(result.totals.partial, result.totals.controls - strong);
            assert_eq!(result.totals.missing, 0);
        }
    }

    #[test]
    fn tests_and_sast_only() {
        let catalog = Catalog::built_in();
        let input = CoverageInput {
            evidence: vec![
                item(EvidenceType::TestResults, "pytest", Some(true)),
                item(EvidenceType::Sast, "semgrep", Some(true)),
            ],
            facts: CoverageFacts::default(),
        };
        let pci = coverage(&catalog, "pci-dss", &input).unwrap();
        let status = |id: &str| pci.controls.iter().find(|control| control.id == id).unwrap().status;
        // 6.2.3 needs code_review and sast: sast alone is partial.
        assert_eq!(status("6.2.3"), Status::Partial);
        // 6.2.4 (sast, dast, test_results) is fit partial: partial at best.
        assert_eq!(status("6.2.4"), Status::Partial);
        // 6.3.2 needs an SBOM: missing.
        assert_eq!(status("6.3.2"), Status::Missing);
        // Audit-log controls are backed by the ledger.
        assert_eq!(status("10.5.1"), Status::Satisfied);
        assert_eq!(status("10.3.2"), Status::Partial);
        let all: Vec<(&str, Status)> =
            pci.controls.iter().map(|control| (control.id.as_str(), control.status)).collect();
        assert_eq!(
            all,
            [
                ("6.2.1", Status::Partial),
                ("6.2.3", Status::Partial),
                ("6.2.3.1", Status::Missing),
                ("6.2.4", Status::Partial),
                ("6.3.1", Status::Partial),
                ("6.3.2", Status::Missing),
                ("6.3.3", Status::Missing),
                ("6.4.1", Status::Missing),
                ("6.5.1", Status::Partial),
                ("6.5.2", Status::Partial),
                ("6.5.3", Status::Missing),
                ("6.5.4", Status::Missing),
                ("6.5.6", Status::Partial),
                ("10.2.1", Status::Partial),
                ("10.3.2", Status::Partial),
                ("10.3.3", Status::Partial),
                ("10.3.4", Status::Partial),
                ("10.5.1", Status::Satisfied),
                ("11.3.1", Status::Missing),
                ("11.3.2", Status::Missing),
            ]
        );
        assert_eq!(pci.totals, Totals { controls: 20, satisfied: 1, partial: 11, missing: 8 });

        let control = pci.controls.iter().find(|control| control.id == "6.2.3").unwrap();
        assert_eq!(control.evidence.len(), 1);
        assert_eq!(control.evidence[0].reference, Digest::of(b"sast semgrep").to_string());
        assert_eq!(control.evidence[0].tool.as_deref(), Some("semgrep"));
        assert_eq!(
            control.gaps,
            [Gap {
                kind: Some(EvidenceType::CodeReview),
                reason: GapReason::Missing,
                hint: EvidenceType::CodeReview.hint().to_owned()
            }]
        );
        let sbom = pci.controls.iter().find(|control| control.id == "6.3.2").unwrap();
        assert!(sbom.gaps[0].hint.contains("signoff capture sbom.json"), "{}", sbom.gaps[0].hint);

        let soc2 = coverage(&catalog, "soc2", &input).unwrap();
        assert_eq!(soc2.totals, Totals { controls: 7, satisfied: 0, partial: 4, missing: 3 });
    }

    #[test]
    fn failing_evidence_is_listed_but_does_not_satisfy() {
        let catalog = Catalog::built_in();
        let mut input = CoverageInput {
            evidence: vec![item(EvidenceType::TestResults, "pytest", Some(false))],
            facts: CoverageFacts::default(),
        };
        let iso = coverage(&catalog, "iso27001", &input).unwrap();
        // 8.33 (test information) names only test_results, and is fit partial.
        let control = iso.controls.iter().find(|control| control.id == "8.33").unwrap();
        assert_eq!(control.status, Status::Partial);
        assert_eq!(control.evidence.len(), 1);
        assert_eq!(control.evidence[0].passed, Some(false));
        assert_eq!(control.gaps[0].reason, GapReason::Failing);
        assert!(control.gaps[0].hint.starts_with("test_results evidence did not pass (pytest)"));

        // A passing run beside the failing one satisfies it (a re-run).
        input.evidence.push(item(EvidenceType::TestResults, "pytest", Some(true)));
        input.evidence.push(item(EvidenceType::Sbom, "syft", None));
        let iso = coverage(&catalog, "iso27001", &input).unwrap();
        let control = iso.controls.iter().find(|control| control.id == "8.33").unwrap();
        assert_eq!(control.gaps.iter().map(|gap| gap.reason).collect::<Vec<_>>(), [GapReason::OutsidePipeline]);
        assert_eq!(control.evidence.len(), 2);
    }

    #[test]
    fn facts_count_as_their_types() {
        let catalog = Catalog::built_in();
        let input = CoverageInput {
            evidence: Vec::new(),
            facts: CoverageFacts {
                certificate: Some(Digest::of(b"cert")),
                approvals: vec!["A-1".into()],
                reviews: vec!["PR #7".into()],
                exceptions: Vec::new(),
                ledger_checkpoint: None,
            },
        };
        let pci = coverage(&catalog, "pci-dss", &input).unwrap();
        let control = |id: &str| pci.controls.iter().find(|control| control.id == id).unwrap().clone();
        // 6.2.3.1: code_review + deployment_approval.
        let independence = control("6.2.3.1");
        assert_eq!(independence.status, Status::Satisfied);
        assert!(independence.evidence.iter().all(|reference| reference.source == Source::Record));
        // 10.3.4: audit_log_integrity + signature (the certificate).
        let change_detection = control("10.3.4");
        assert_eq!(change_detection.status, Status::Satisfied);
        assert_eq!(change_detection.evidence[0].reference, "signoff ledger");
        assert_eq!(change_detection.evidence[0].source, Source::Ledger);
        assert_eq!(change_detection.evidence[1].reference, Digest::of(b"cert").to_string());
        // Nothing at all: only the ledger-backed controls have evidence.
        let empty = coverage(&catalog, "hipaa", &CoverageInput::default()).unwrap();
        assert_eq!(empty.totals.satisfied, 1, "164.316(b)(2)(i) is the ledger's");
        assert_eq!(empty.totals.missing + empty.totals.partial + empty.totals.satisfied, 9);
    }

    #[test]
    fn unknown_framework_and_all() {
        let catalog = Catalog::built_in();
        assert!(coverage(&catalog, "sox", &CoverageInput::default()).is_err());
        let all = coverage_all(&catalog, &["soc2", "fedramp"], &CoverageInput::default()).unwrap();
        assert_eq!(all.iter().map(|coverage| coverage.framework.as_str()).collect::<Vec<_>>(), ["soc2", "nist-800-53"]);
    }

    #[test]
    fn serializes_as_documented() {
        let catalog = Catalog::built_in();
        let input = CoverageInput {
            evidence: vec![item(EvidenceType::Sbom, "syft", Some(true))],
            facts: CoverageFacts::default(),
        };
        let result = coverage(&catalog, "pci-dss", &input).unwrap();
        let json = serde_json::to_value(&result).unwrap();
        let control = &json["controls"][5];
        assert_eq!(control["id"], "6.3.2");
        assert_eq!(control["status"], "satisfied");
        assert_eq!(control["fit"], "strong");
        assert_eq!(control["evidence"][0]["kind"], "sbom");
        assert_eq!(control["evidence"][0]["source"], "captured");
        assert_eq!(json["controls"][0]["gaps"][0]["reason"], "missing");
        assert_eq!(json["totals"]["controls"], 20);
        let back: Coverage = serde_json::from_value(json).unwrap();
        assert_eq!(back, result);
        let input_json = serde_json::to_string(&input).unwrap();
        assert_eq!(serde_json::from_str::<CoverageInput>(&input_json).unwrap(), input);
    }
}
