//! Realistic certifications to build artifacts from: the tools, files, criteria and
//! records a CI pipeline of a web service produces, varied by a seed.

use signoff_controls::{Catalog, CoverageFacts};
use signoff_core::{Digest, EvidenceKind};

use crate::artifact::{
    ArtifactInput, CertificateRef, ComplianceArtifact, CriterionRef, CriterionStatus, Decision, EvidenceInput,
    InclusionProof, LedgerRef, PolicyRef, ReleaseRef, build_artifacts,
};

/// (kind, tool, file) of the evidence a pipeline may capture.
const EVIDENCE: &[(EvidenceKind, &str, &str)] = &[
    (EvidenceKind::Sast, "semgrep", "semgrep.sarif"),
    (EvidenceKind::Sca, "osv-scanner", "osv.json"),
    (EvidenceKind::ContainerScan, "trivy", "trivy.json"),
    (EvidenceKind::SecretsScan, "gitleaks", "gitleaks.json"),
    (EvidenceKind::IacScan, "checkov", "checkov.json"),
    (EvidenceKind::Sbom, "syft", "sbom.cdx.json"),
    (EvidenceKind::TestResults, "pytest", "junit.xml"),
    (EvidenceKind::Coverage, "coverage.py", "coverage.xml"),
    (EvidenceKind::ChangeRecord, "jira", "ticket.json"),
    (EvidenceKind::Provenance, "slsa-github-generator", "provenance.intoto.jsonl"),
    (EvidenceKind::Dast, "zap", "zap.json"),
];

/// A small deterministic generator, so samples need no random crate.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// A certification of `project@version`: evidence of most kinds (which ones depends
/// on `seed`), two criteria, an approval and a review, ledger entries with RFC 6962
/// proofs, the certificate with a tlog-proof; rejected when `seed` is divisible by 5.
pub fn certification(project: &str, version: &str, seed: u64) -> ArtifactInput {
    let mut random = Lcg(seed.wrapping_add(0x9e37_79b9_7f4a_7c15));
    let label = |what: &str| Digest::of(format!("{project}@{version}/{what}/{seed}").as_bytes());
    let base_seq = 100 + seed * 20;
    let tree_size = base_seq + 40;
    let mut evidence = Vec::new();
    for (index, (kind, tool, file)) in EVIDENCE.iter().enumerate() {
        if random.next().is_multiple_of(4) && index > 1 {
            continue;
        }
        let seq = base_seq + index as u64;
        evidence.push(EvidenceInput {
            kind: *kind,
            digest: label(file),
            tool: (*tool).to_owned(),
            captured_at: format!("2025-06-{:02}T10:{:02}:00Z", 1 + seed % 28, index),
            file_name: Some((*file).to_owned()),
            passed: None,
            ledger: Some(LedgerRef {
                seq,
                proof: Some(InclusionProof::Rfc6962 {
                    leaf_index: seq,
                    tree_size,
                    root_hash: label("root").to_hex(),
                    hashes: (0..6).map(|level| label(&format!("node-{seq}-{level}")).to_hex()).collect(),
                }),
            }),
        });
    }
    let rejected = seed.is_multiple_of(5);
    let find = |kind: EvidenceKind| evidence.iter().find(|item| item.kind == kind).map(|item| item.digest);
    let criteria = vec![
        CriterionRef {
            id: "tests-pass".into(),
            title: "Unit and integration tests pass".into(),
            status: if rejected { CriterionStatus::Fail } else { CriterionStatus::Pass },
            evidence: find(EvidenceKind::TestResults).into_iter().collect(),
            exceptions: vec![],
        },
        CriterionRef {
            id: "no-critical-vulns".into(),
            title: "No critical vulnerabilities in dependencies".into(),
            status: if seed.is_multiple_of(3) { CriterionStatus::Waived } else { CriterionStatus::Pass },
            evidence: find(EvidenceKind::Sca).into_iter().collect(),
            exceptions: if seed.is_multiple_of(3) { vec![format!("EXC-{seed}")] } else { vec![] },
        },
    ];
    let statement_seq = tree_size - 1;
    ArtifactInput {
        release: ReleaseRef {
            project: project.to_owned(),
            version: version.to_owned(),
            commit: label("commit").to_hex()[..40].to_owned(),
            artifacts: vec![label("image")],
        },
        certificate: CertificateRef {
            id: format!("0197a0c4-{:04x}-7000-8000-{:012x}", seed % 0xffff, seed),
            decision: if rejected { Decision::Rejected } else { Decision::Certified },
            statement_digest: label("statement"),
            evaluated_at: format!("2025-06-{:02}T11:00:00Z", 1 + seed % 28),
            policy: PolicyRef { name: "release-gate".into(), version: Some(3), digest: Digest::of(b"release-gate v3") },
            ledger: Some(LedgerRef {
                seq: statement_seq,
                proof: Some(InclusionProof::TlogProof {
                    text: format!(
                        "c2sp.org/tlog-proof@v1\nindex {statement_seq}\n\n{}\n\nlog.example.com/release-evidence\n{tree_size}\n{}\n",
                        label("path"),
                        label("root")
                    ),
                }),
            }),
        },
        criteria,
        evidence,
        facts: CoverageFacts {
            certificate: None,
            approvals: vec![format!("approval of {project}@{version} by alice (release-manager)")],
            reviews: vec![format!("PR #{} approved by bob", 40 + seed)],
            exceptions: if seed.is_multiple_of(3) { vec![format!("EXC-{seed}")] } else { vec![] },
            ledger_checkpoint: Some(format!("size {tree_size}")),
        },
        frameworks: vec!["soc2".into(), "nist-800-53".into()],
        server_url: Some("https://signoff.example.com".into()),
    }
}

/// The artifacts of `releases` sample certifications of `shop` (versions `1.0.<n>`),
/// built with the built-in catalog.
///
/// # Panics
///
/// Never for the samples: they are valid input (a test helper may panic anyway).
pub fn artifacts(releases: u64) -> Vec<ComplianceArtifact> {
    let catalog = Catalog::built_in();
    (1..=releases)
        .flat_map(|n| {
            build_artifacts(&certification("shop", &format!("1.0.{n}"), n), &catalog)
                .expect("sample certifications are valid input")
        })
        .collect()
}
