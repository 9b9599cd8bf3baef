//! Fixtures and the headless Chromium runner.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use signoff_controls::{Catalog, CoverageFacts, CoverageInput, EvidenceItem, EvidenceType, coverage_all};
use signoff_core::Digest;
use signoff_report::model::FrameworkCoverage;
use signoff_report::{PeriodReport, TraceReport};

/// The frameworks a realistic organisation enables.
const FRAMEWORKS: [&str; 5] = ["soc2", "iso27001", "pci-dss", "hipaa", "nist-800-53"];

fn item(kind: EvidenceType, tool: &str, passed: Option<bool>) -> EvidenceItem {
    EvidenceItem {
        kind,
        digest: Digest::of(tool.as_bytes()),
        tool: tool.to_owned(),
        captured_at: "2026-09-03T10:02:11Z".to_owned(),
        release: Some("payments-api@4.2.1".to_owned()),
        passed,
    }
}

fn coverage(frameworks: &[&str], input: &CoverageInput) -> Vec<FrameworkCoverage> {
    coverage_all(&Catalog::built_in(), frameworks, input).unwrap().iter().map(FrameworkCoverage::from).collect()
}

/// The period report of `tests/data/period.json`, with the control coverage of the
/// period's evidence.
pub(crate) fn period() -> PeriodReport {
    let mut report: PeriodReport = serde_json::from_str(include_str!("../data/period.json")).unwrap();
    let evidence = [
        (EvidenceType::Sast, "semgrep"),
        (EvidenceType::Dast, "zap"),
        (EvidenceType::Sca, "osv-scanner"),
        (EvidenceType::ContainerScan, "trivy"),
        (EvidenceType::SecretsScan, "gitleaks"),
        (EvidenceType::IacScan, "checkov"),
        (EvidenceType::Sbom, "syft"),
        (EvidenceType::TestResults, "pytest"),
        (EvidenceType::Coverage, "coverage.py"),
        (EvidenceType::Provenance, "slsa-github-generator"),
    ];
    let input = CoverageInput {
        evidence: evidence.iter().map(|(kind, tool)| item(*kind, tool, Some(true))).collect(),
        facts: CoverageFacts {
            certificate: Some(Digest::of(b"certificate")),
            approvals: vec!["0193f0b1-approval".into()],
            reviews: vec!["PR #318 approved by bob@acme.example".into()],
            exceptions: vec!["EXC-3".into()],
            ledger_checkpoint: Some("checkpoint 48213".into()),
        },
    };
    report.coverage = coverage(&FRAMEWORKS, &input);
    report
}

/// The release trace of `tests/data/trace.json`, with the control coverage of the
/// release's own evidence (its SAST failed the policy; it is not certified).
pub(crate) fn trace() -> TraceReport {
    let mut report: TraceReport = serde_json::from_str(include_str!("../data/trace.json")).unwrap();
    let input = CoverageInput {
        evidence: vec![
            item(EvidenceType::Sast, "semgrep", Some(false)),
            item(EvidenceType::ContainerScan, "trivy", Some(true)),
            item(EvidenceType::Sca, "osv-scanner", Some(true)),
            item(EvidenceType::SecretsScan, "gitleaks", Some(true)),
            item(EvidenceType::IacScan, "checkov", None),
            item(EvidenceType::TestResults, "pytest", Some(true)),
            item(EvidenceType::Coverage, "coverage.py", None),
            item(EvidenceType::Sbom, "syft", None),
            item(EvidenceType::Provenance, "slsa-github-generator", None),
        ],
        facts: CoverageFacts {
            certificate: None,
            approvals: vec!["dana@acme.example (release-manager)".into()],
            reviews: vec!["PR #318 approved by bob@acme.example".into()],
            exceptions: vec!["EXC-3".into()],
            ledger_checkpoint: None,
        },
    };
    report.controls = coverage(&["soc2", "pci-dss"], &input);
    report
}

/// Chromium, if installed (`SIGNOFF_CHROMIUM` names another binary).
pub(crate) fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SIGNOFF_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Runs headless Chromium with the flags that keep it off the network and out of
/// the user's profile, plus `args`; ends it after two minutes.
pub(crate) fn run_chromium(binary: &Path, profile: &Path, args: &[String]) -> Output {
    let mut command = Command::new(binary);
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    // Read the output on threads so a full pipe cannot stall Chromium.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut bytes).unwrap();
        bytes
    });
    let err = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut stderr, &mut bytes).unwrap();
        bytes
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output { status, stdout: out.join().unwrap(), stderr: err.join().unwrap() }
}

/// Where to keep rendered files for people to look at: `SIGNOFF_REPORT_ARTIFACTS`,
/// when set.
pub(crate) fn keep(file: &Path) {
    if let Some(dir) = std::env::var_os("SIGNOFF_REPORT_ARTIFACTS") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(file, dir.join(file.file_name().unwrap())).unwrap();
    }
}
