//! The "how to fix it" lines of failing criteria, in one place so their wording
//! and the command names they cite stay consistent with the CLI.

use signoff_core::{Digest, EvidenceKind};

use crate::input::PolicyInput;

/// `project@version`, as the CLI names a release.
pub(crate) fn release(input: &PolicyInput) -> String {
    format!("{}@{}", input.release.project, input.release.version)
}

/// How to produce and capture evidence of `kind`.
pub(crate) fn capture(kind: EvidenceKind) -> String {
    let how = match kind {
        EvidenceKind::Sast => {
            "run a SAST tool with SARIF output (`semgrep scan --sarif -o semgrep.sarif`), then `signoff capture semgrep.sarif`"
        }
        EvidenceKind::Dast => "run a DAST scan (`zap-baseline.py -t URL -J zap.json`), then `signoff capture zap.json`",
        EvidenceKind::Sca => {
            "scan dependencies (`osv-scanner --format json -r . > osv.json`), then `signoff capture osv.json`"
        }
        EvidenceKind::ContainerScan => {
            "scan the image (`trivy image --format json -o trivy.json IMAGE`), then `signoff capture trivy.json`"
        }
        EvidenceKind::SecretsScan => {
            "scan for secrets (`gitleaks detect --report-format json --report-path gitleaks.json`), then `signoff capture gitleaks.json`"
        }
        EvidenceKind::IacScan => {
            "scan infrastructure code (`checkov -d . -o json > checkov.json`), then `signoff capture checkov.json`"
        }
        EvidenceKind::Sbom => {
            "generate an SBOM (`syft . -o cyclonedx-json=sbom.json`), then `signoff capture sbom.json`"
        }
        EvidenceKind::TestResults => {
            "write JUnit XML from the test run (`pytest --junitxml=junit.xml`), then `signoff capture junit.xml`"
        }
        EvidenceKind::Coverage => "write a coverage report (`coverage xml`), then `signoff capture coverage.xml`",
        EvidenceKind::CodeReview => {
            "capture the pull request's reviews (`gh pr view N --json reviews,author,mergeCommit > pr.json`), then `signoff capture pr.json`"
        }
        EvidenceKind::Provenance => {
            "capture the build's provenance (an in-toto/SLSA statement): `signoff capture provenance.intoto.jsonl`"
        }
        EvidenceKind::Signature => "capture the artifact's signature bundle with `signoff capture FILE`",
        EvidenceKind::DeploymentApproval => "record the approval with `signoff approve`",
        EvidenceKind::ChangeRecord
        | EvidenceKind::VulnerabilityDisposition
        | EvidenceKind::Deployment
        | EvidenceKind::Generic => "capture it with `signoff capture FILE --input-format generic`",
    };
    format!("{kind}: {how}")
}

/// How to recapture stale evidence from `tool`.
pub(crate) fn recapture(kind: EvidenceKind, tool: &str) -> String {
    format!("re-run {tool} and `signoff capture` its report ({kind})")
}

/// How to accept one finding's risk.
pub(crate) fn finding_exception(fingerprint: &Digest) -> String {
    format!(
        "or accept the risk: `signoff exception request --finding {fingerprint} --expires DATE --reason TEXT` (approved by someone else)"
    )
}

/// How to accept a criterion's failure.
pub(crate) fn criterion_exception(id: &str) -> String {
    format!(
        "or accept the risk: `signoff exception request --criterion {id} --expires DATE --reason TEXT` (approved by someone else)"
    )
}

/// How to approve the release in a role.
pub(crate) fn approve(input: &PolicyInput, role: &str) -> String {
    format!("a human with the role {role} runs `signoff approve {} --decision approve --role {role}`", release(input))
}
