//! Second readers from PyPI, in a virtual environment under `target/`:
//! `standardwebhooks` (the Standard Webhooks reference library) verifies the
//! signatures signoff sent, and `compliance-trestle` loads the OSCAL it exports.
//!
//! Each test skips, saying why on stderr, when `python3` is absent or pip cannot
//! install the package (no network); CI has both.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::json;
use signoff_grc::oscal::{Scope, assessment_results};
use signoff_grc::testkit::sample;

use crate::util::*;

/// One environment for the whole binary; creating it twice at once would break it.
static VENV: Mutex<()> = Mutex::new(());

/// Runs `command` with its output in files (so a chatty pip cannot fill a pipe), for at
/// most `limit`; its exit status and output, or `None` when it could not run or ran out
/// of time.
fn run(command: &mut Command, limit: Duration, log: &Path) -> Option<(bool, String)> {
    let out = std::fs::File::create(log).ok()?;
    let err = out.try_clone().ok()?;
    let mut child = command.stdin(Stdio::null()).stdout(out).stderr(err).spawn().ok()?;
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().ok()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    Some((status.success(), std::fs::read_to_string(log).unwrap_or_default()))
}

/// The environment's python with `packages` installed, or `None` (having said why).
fn python_with(packages: &[&str]) -> Option<PathBuf> {
    let _guard = VENV.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("grc-python");
    let python = root.join("bin").join("python");
    let log = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("grc-python.log");
    if !python.exists() {
        match run(Command::new("python3").args(["-m", "venv"]).arg(&root), Duration::from_secs(120), &log) {
            Some((true, _)) => {}
            Some((false, output)) => {
                eprintln!("skipped: python3 -m venv failed:\n{output}");
                return None;
            }
            None => {
                eprintln!("skipped: python3 is not available");
                return None;
            }
        }
    }
    let mut install = Command::new(&python);
    install.args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"]).args(packages);
    match run(&mut install, Duration::from_secs(600), &log) {
        Some((true, _)) => Some(python),
        Some((false, output)) => {
            eprintln!("skipped: pip could not install {packages:?} (no network to PyPI?):\n{output}");
            None
        }
        None => {
            eprintln!("skipped: pip install {packages:?} did not finish in time");
            None
        }
    }
}

const VERIFY_WEBHOOKS: &str = r#"
import base64, json, sys
from standardwebhooks import Webhook, WebhookVerificationError

messages = json.load(open(sys.argv[1]))
hook = Webhook(sys.argv[2])
for m in messages:
    headers = {"webhook-id": m["id"], "webhook-timestamp": m["timestamp"], "webhook-signature": m["signature"]}
    payload = hook.verify(base64.b64decode(m["body"]), headers)
    assert payload["data"]["id"] == m["artifact_id"], "payload mismatch"
tampered = messages[0]
try:
    hook.verify(base64.b64decode(tampered["body"]) + b" ", {"webhook-id": tampered["id"], "webhook-timestamp": tampered["timestamp"], "webhook-signature": tampered["signature"]})
    print("TAMPERED MESSAGE ACCEPTED")
    sys.exit(3)
except WebhookVerificationError:
    pass
print("verified", len(messages))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standardwebhooks_verifies_our_signatures() {
    // Real deliveries to the local receiver; the headers and bodies it received are
    // what the Python library checks.
    let receiver = start_receiver().await;
    let destination = webhook(&receiver, false);
    let artifacts = sample::artifacts(1);
    for artifact in &artifacts[..6] {
        let outcome = within(
            10,
            signoff_grc::destination::Destination::deliver(destination.as_ref(), artifact, &artifact.idempotency_key),
        )
        .await;
        assert!(matches!(outcome, signoff_grc::destination::DeliveryOutcome::Delivered { .. }), "{outcome:?}");
    }
    let messages: Vec<serde_json::Value> = receiver
        .state
        .processed()
        .values()
        .map(|received| {
            json!({
                "id": received.message_id,
                "timestamp": received.timestamp,
                "signature": received.signature,
                "body": base64::engine::general_purpose::STANDARD.encode(&received.body),
                "artifact_id": received.artifact["id"],
            })
        })
        .collect();
    assert_eq!(messages.len(), 6);

    let verdict = tokio::task::spawn_blocking(move || {
        let python = python_with(&["standardwebhooks==1.3.0"])?;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("messages.json");
        std::fs::write(&file, serde_json::to_vec(&messages).unwrap()).unwrap();
        let script = dir.path().join("verify.py");
        std::fs::write(&script, VERIFY_WEBHOOKS).unwrap();
        let log = dir.path().join("verify.log");
        let mut command = Command::new(python);
        command.arg(&script).arg(&file).arg(HOOK_SECRET);
        Some(run(&mut command, Duration::from_secs(60), &log).expect("the verifier ran"))
    })
    .await
    .unwrap();
    let Some((ok, output)) = verdict else { return };
    assert!(ok, "standardwebhooks refused our messages:\n{output}");
    assert!(output.contains("verified 6"), "{output}");
}

const LOAD_OSCAL: &str = r#"
import pathlib, sys
from trestle.oscal.assessment_results import AssessmentResults

for path in sys.argv[1:]:
    document = AssessmentResults.oscal_read(pathlib.Path(path))
    results = document.results
    findings = sum(len(result.findings or []) for result in results)
    version = document.metadata.oscal_version
    while not isinstance(version, str) and hasattr(version, "root"):
        version = version.root
    print(path.rsplit("/", 1)[-1], "results", len(results), "findings", findings, "version", str(version).replace("root=", "").strip("'"))
"#;

#[test]
fn compliance_trestle_loads_our_oscal() {
    let artifacts: Vec<_> = sample::artifacts(3);
    let release: Vec<_> = artifacts.iter().filter(|artifact| artifact.release.version == "1.0.2").cloned().collect();
    let documents = [
        (
            "release.json",
            assessment_results(&release, &Scope::Release { project: "shop".into(), version: "1.0.2".into() }, None)
                .unwrap(),
            1,
            release.len(),
        ),
        (
            "period.json",
            assessment_results(
                &artifacts,
                &Scope::Period { from: "2025-06-01T00:00:00Z".into(), to: "2025-06-30T00:00:00Z".into() },
                None,
            )
            .unwrap(),
            3,
            artifacts.len(),
        ),
    ];
    let Some(python) = python_with(&["compliance-trestle==5.2.0"]) else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(python);
    let script = dir.path().join("load.py");
    std::fs::write(&script, LOAD_OSCAL).unwrap();
    command.arg(&script);
    for (name, document, _, _) in &documents {
        let path = dir.path().join(name);
        std::fs::write(&path, serde_json::to_vec_pretty(document).unwrap()).unwrap();
        command.arg(path);
    }
    let (ok, output) = run(&mut command, Duration::from_secs(120), &dir.path().join("load.log")).expect("trestle ran");
    assert!(ok, "compliance-trestle refused our OSCAL:\n{output}");
    for (name, _, results, findings) in documents {
        let expected = format!("{name} results {results} findings {findings} version 1.1.3");
        assert!(output.contains(&expected), "expected {expected:?} in:\n{output}");
    }
}
