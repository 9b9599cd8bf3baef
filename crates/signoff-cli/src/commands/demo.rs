//! `signoff demo`: the README's first command. On the example app's real pipeline
//! outputs (examples/evidence, produced by examples/regen.sh), it publishes the
//! app's policy, captures release 1.4.0's evidence, has it approved and certifies
//! it — which fails, with the report saying why — then does the same for 1.4.1,
//! which fixes the findings and passes; the deploy gate then opens for 1.4.1 only,
//! and the ledger verifies. Everything happens in a throwaway store.

use std::path::PathBuf;

use signoff_app::capture::{CaptureContext, CaptureRequest, InputFile};
use signoff_app::certify::CertifyRequest;
use signoff_app::decide::Approve;
use signoff_app::release::CreateRelease;
use signoff_app::verify::VerifyOptions;
use signoff_app::{Environment, Signoff};
use signoff_core::context::CiContext;
use signoff_core::records::ApprovalDecision;
use signoff_core::{CommitSha, Digest, ProjectName, ReleaseRef, ReleaseVersion};
use signoff_ingest::Limits;

use crate::Outcome;
use crate::cli::DemoArgs;
use crate::render::{count, evidence_line, out, outln, summary_text};

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
            ("coverage.xml", include_bytes!("../../../../examples/evidence/v1/coverage.xml")),
            ("sbom.cdx.json", include_bytes!("../../../../examples/evidence/v1/sbom.cdx.json")),
        ],
    ),
    (
        "v2",
        "1.4.1",
        &[
            ("bandit.sarif", include_bytes!("../../../../examples/evidence/v2/bandit.sarif")),
            ("semgrep.sarif", include_bytes!("../../../../examples/evidence/v2/semgrep.sarif")),
            ("junit.xml", include_bytes!("../../../../examples/evidence/v2/junit.xml")),
            ("coverage.xml", include_bytes!("../../../../examples/evidence/v2/coverage.xml")),
            ("sbom.cdx.json", include_bytes!("../../../../examples/evidence/v2/sbom.cdx.json")),
        ],
    ),
];

const POLICY: &str = include_str!("../../../../examples/policy.yaml");

fn step(text: &str) -> anyhow::Result<()> {
    outln!("\n── {text}")
}

pub(crate) async fn run(args: DemoArgs) -> anyhow::Result<Outcome> {
    let temporary = tempfile::tempdir()?;
    let home: PathBuf = args.keep.clone().unwrap_or_else(|| temporary.path().join("store"));
    let files = temporary.path().join("evidence");
    // The demo's people: a pipeline that captures and certifies, and a human who
    // approves releases (separation of duties: they are not the same).
    let environment = Environment::from_pairs([("SIGNOFF_ACTOR", "release-pipeline")]);
    let project = ProjectName::new("shop")?;

    step(&format!("signoff init   (store: {})", home.display()))?;
    let init = Signoff::init(&home, None, None).await?;
    outln!("origin {}; verifier key {}", init.origin, init.verifier_key)?;
    let signoff = Signoff::open(&home).await?;

    step("signoff policy publish examples/policy.yaml")?;
    let policy_path = temporary.path().join("policy.yaml");
    std::fs::write(&policy_path, POLICY)?;
    let pipeline = signoff.current_actor(&environment, None)?;
    let policy =
        signoff_app::policy::publish(&signoff, &signoff_app::policy::PolicyFile::read(&policy_path)?, pipeline.clone())
            .await?;
    outln!("published {} version {} ({})", policy.record.name, policy.record.version, policy.record.digest)?;

    let mut outcomes = Vec::new();
    let mut artifacts = Vec::new();
    for (state, version, outputs) in STATES {
        // The example app is not a git repository of its own; each state stands for
        // the commit its outputs were produced at, and its "build" is the bundle of
        // the outputs' bytes, so each release ships a distinct artifact.
        let commit = CommitSha::new(&Digest::of(format!("examples/shop {state}").as_bytes()).to_hex()[..40])?;
        let release = ReleaseRef::new(project.clone(), ReleaseVersion::new(version)?);
        let artifact = Digest::of(&outputs.iter().flat_map(|(_, bytes)| bytes.iter().copied()).collect::<Vec<u8>>());
        artifacts.push((version, artifact));
        let folder = files.join(state);
        std::fs::create_dir_all(&folder)?;
        let mut inputs = Vec::new();
        for (name, bytes) in outputs {
            let path = folder.join(name);
            std::fs::write(&path, bytes)?;
            inputs.push(InputFile::named(path, format!("examples/evidence/{state}/{name}")));
        }
        step(&format!("signoff capture examples/evidence/{state}/* --project shop --commit {commit}"))?;
        let target = CaptureContext {
            project: project.clone(),
            commit: Some(commit.clone()),
            release: None,
            context: CiContext {
                system: Some("local".into()),
                commit: Some(commit.to_string()),
                actor: Some(pipeline.id.clone()),
                ..CiContext::default()
            },
        };
        let request = CaptureRequest {
            files: inputs,
            target,
            format: None,
            kind: None,
            limits: Limits::default(),
            delivery: None,
        };
        let reports = signoff_app::capture::capture(&signoff, request).await?;
        for report in &reports {
            outln!("{}", evidence_line(report))?;
        }

        step(&format!(
            "signoff release create shop@{version} --commit {commit} --artifact {}",
            &artifact.to_string()[..19]
        ))?;
        let request = CreateRelease {
            release: release.clone(),
            commit: commit.clone(),
            artifacts: vec![artifact],
            actor: pipeline.clone(),
            context: environment.ci_context(),
            repo: Some(temporary.path().to_owned()),
        };
        let view = signoff_app::release::create(&signoff, request).await?;
        outln!("release shop@{version}: entry {}, {} piece(s) of evidence attached", view.entry, view.totals.evidence)?;
        for evidence in &view.evidence {
            outln!("  {:<14} {:<13} {}", evidence.file, evidence.kind.to_string(), summary_text(&evidence.summary))?;
        }

        step(&format!("signoff approve shop@{version} --role release-manager   (as carol)"))?;
        let request = Approve {
            release: release.clone(),
            decision: ApprovalDecision::Approve,
            role: "release-manager".into(),
            comment: Some("change ticket CHG-1042 reviewed".into()),
            actor: signoff.current_actor(&environment, Some("carol"))?,
        };
        let approved = signoff_app::decide::approve(&signoff, request).await?;
        outln!("carol approved shop@{version} (content {})", approved.record.content)?;

        step(&format!("signoff certify shop@{version}"))?;
        let request = CertifyRequest {
            release,
            policy: None,
            environment: None,
            dry_run: false,
            at: None,
            actor: pipeline.clone(),
        };
        let certification = signoff_app::certify::certify(&signoff, request).await?;
        out!("{}", signoff_report::text::certification_text(&super::certify::verdict(&certification)))?;
        outcomes.push(certification.certified());
    }

    for (version, artifact) in &artifacts {
        step(&format!("signoff gate --artifact {}…   (shop@{version})", &artifact.to_string()[..19]))?;
        let gate = signoff_app::gate::gate(&signoff, *artifact, None).await?;
        outln!("{}: {}", if gate.allowed { "open" } else { "closed" }, gate.reason)?;
    }

    step("signoff ledger verify")?;
    let report = signoff_app::verify::verify(&signoff, &VerifyOptions::default()).await?;
    match &report.failure {
        None => outln!(
            "ok: {}, {}, {}, {} re-hashed",
            count(report.entries, "entry", "entries"),
            count(report.checkpoints, "signed checkpoint", "signed checkpoints"),
            count(report.findings, "finding", "findings"),
            count(report.blobs, "blob", "blobs")
        )?,
        Some(failure) => outln!("FAILED: {}", failure.detail)?,
    }
    step("signoff ledger checkpoint")?;
    if let Some(note) = signoff_app::proof::latest_checkpoint(&signoff).await? {
        out!("{note}")?;
    }
    if let Some(kept) = &args.keep {
        outln!(
            "\nthe demo store is kept at {0}; try: signoff --store {0} release show shop@1.4.1, or signoff --store {0} findings --project shop",
            kept.display()
        )?;
    }
    // The walkthrough succeeds when 1.4.0 is refused, 1.4.1 certified and the
    // ledger intact.
    Ok(if report.ok && outcomes == [false, true] { Outcome::Success } else { Outcome::No })
}
