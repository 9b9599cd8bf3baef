//! `signoff demo`: the README's first command. Captures the example app's real
//! pipeline outputs (examples/evidence, produced by examples/regen.sh) for two
//! releases, shows them and verifies the ledger, in a throwaway store.

use std::path::{Path, PathBuf};

use signoff_app::{CaptureRequest, ContextOverrides, CreateRelease, Environment, InputFile, Signoff, VerifyOptions};
use signoff_core::Digest;
use signoff_ingest::Limits;

use crate::Outcome;
use crate::cli::DemoArgs;
use crate::render::{evidence_line, summary_text};

/// One state of the example app: its label, the release version, and its tool
/// outputs (file name, bytes).
type State = (&'static str, &'static str, &'static [(&'static str, &'static [u8])]);

/// The example outputs, built into the binary so the demo runs anywhere.
const STATES: [State; 2] = [
    (
        "v1",
        "1.4.0",
        &[
            ("bandit.sarif", include_bytes!("../../../../examples/evidence/v1/bandit.sarif")),
            ("semgrep.sarif", include_bytes!("../../../../examples/evidence/v1/semgrep.sarif")),
            ("junit.xml", include_bytes!("../../../../examples/evidence/v1/junit.xml")),
        ],
    ),
    (
        "v2",
        "1.4.1",
        &[
            ("bandit.sarif", include_bytes!("../../../../examples/evidence/v2/bandit.sarif")),
            ("semgrep.sarif", include_bytes!("../../../../examples/evidence/v2/semgrep.sarif")),
            ("junit.xml", include_bytes!("../../../../examples/evidence/v2/junit.xml")),
        ],
    ),
];

fn step(text: &str) {
    println!("\n── {text}");
}

pub(crate) async fn run(args: DemoArgs) -> anyhow::Result<Outcome> {
    let temporary = tempfile::tempdir()?;
    let home: PathBuf = args.keep.clone().unwrap_or_else(|| temporary.path().join("store"));
    let files = temporary.path().join("evidence");

    step(&format!("signoff init   (store: {})", home.display()));
    let init = Signoff::init(&home, None, None).await?;
    println!("origin {}; verifier key {}", init.origin, init.verifier_key);
    let signoff = Signoff::open(&home).await?;

    for (state, version, outputs) in STATES {
        // The example app is not a git repository of its own; each state stands for
        // the commit its outputs were produced at.
        let commit = Digest::of(format!("examples/shop {state}").as_bytes()).to_hex()[..40].to_owned();
        let folder = files.join(state);
        std::fs::create_dir_all(&folder)?;
        let mut inputs = Vec::new();
        for (name, bytes) in outputs {
            let path = folder.join(name);
            std::fs::write(&path, bytes)?;
            inputs.push(InputFile { display: format!("examples/evidence/{state}/{name}"), path });
        }
        step(&format!("signoff capture examples/evidence/{state}/* --project shop --commit {}", &commit[..12]));
        let reports = signoff_app::capture(
            &signoff,
            CaptureRequest {
                files: inputs,
                overrides: ContextOverrides {
                    project: Some("shop".into()),
                    commit: Some(commit.clone()),
                    ..ContextOverrides::default()
                },
                format: None,
                kind: None,
                limits: Limits::default(),
                environment: Environment::default(),
            },
        )
        .await?;
        for report in &reports {
            println!("{}", evidence_line(report));
        }
        step(&format!("signoff release create shop {version} --commit {}", &commit[..12]));
        let view = signoff_app::create_release(
            &signoff,
            CreateRelease {
                project: "shop".into(),
                version: version.into(),
                commit: Some(commit.clone()),
                artifacts: Vec::new(),
                actor: Some("demo".into()),
                environment: Environment::default(),
            },
        )
        .await?;
        println!(
            "release shop@{version}: entry {}, {} piece(s) of evidence attached",
            view.entry, view.totals.evidence
        );
        for evidence in &view.evidence {
            println!("  {:<14} {:<12} {}", evidence.file, evidence.kind.to_string(), summary_text(&evidence.summary));
        }
    }

    step("signoff ledger verify");
    let report = signoff_app::verify(&signoff, &VerifyOptions::default()).await?;
    match &report.failure {
        None => println!(
            "ok: {} entries, {} signed checkpoints, {} findings, {} blobs re-hashed",
            report.entries, report.checkpoints, report.findings, report.blobs
        ),
        Some(failure) => println!("FAILED: {}", failure.detail),
    }
    step("signoff ledger checkpoint");
    if let Some(note) = signoff_app::latest_checkpoint(&signoff).await? {
        print!("{note}");
    }
    if let Some(kept) = &args.keep {
        println!(
            "\nthe demo store is kept at {}; try: signoff --store {} release show shop 1.4.1",
            kept.display(),
            kept.display()
        );
    }
    let _ = Path::new(&home);
    Ok(if report.ok { Outcome::Success } else { Outcome::No })
}
