//! Answers an auditor can rely on (issue 16): a certificate that opens the gate
//! is issued only under the policy in force; the gate and deployments keep
//! separation of duties where the policy asks; every refused privileged action
//! leaves a ledger entry.

use signoff_app::certify::CertifyRequest;
use signoff_app::deploy::RecordDeployment;
use signoff_app::policy::Pin;
use signoff_app::retention::Hold;
use signoff_app::{AppError, Refusal};
use signoff_core::ProjectName;
use signoff_core::records::{Actor, ActorKind, ApprovalDecision, PolicySource};

use crate::util::*;

fn request(name: &str) -> CertifyRequest {
    CertifyRequest {
        release: release(name),
        policy: None,
        environment: None,
        dry_run: false,
        at: None,
        actor: human("release-pipeline"),
    }
}

fn bot(id: &str) -> Actor {
    Actor { id: id.into(), kind: ActorKind::Bot, on_behalf_of: None, source: Some("test".into()) }
}

/// A policy file in a temporary folder.
fn policy_file(folder: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let path = folder.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const LAX: &str =
    "version: 1\nname: lax\ncriteria:\n  - id: sast\n    use: evidence_present\n    with: { kinds: [sast] }\n";
const STAGED: &str =
    "version: 1\nname: staged\nenvironments: [staging, prod]\ncriteria:\n  - id: tests\n    use: tests_pass\n";

#[tokio::test]
async fn only_the_policy_in_force_issues_certificates_that_open_the_gate() {
    for store in stores().await {
        let backend = store.backend;
        let folder = tempfile::tempdir().unwrap();
        publish_policy(&store).await;
        let v1 = commit("shop v1");
        capture_example(&store, "v1", &v1).await;
        let artifact = create_release(&store, "shop@1.4.0", &v1).await;
        approve(&store, "shop@1.4.0", human("carol")).await;

        // A lax, unpublished policy would certify v1 (its one criterion passes)...
        let lax = policy_file(&folder, "lax.yaml", LAX);
        let predicted = signoff_app::certify::certify(
            &store.signoff,
            CertifyRequest { dry_run: true, policy: Some(lax.clone()), ..request("shop@1.4.0") },
        )
        .await
        .unwrap();
        assert!(predicted.certified(), "{backend}");
        assert_eq!(predicted.policy.source, PolicySource::File);
        // ...but a real certification under it is refused, with how to publish,
        // and the attempt is on the ledger.
        let before = store.size().await;
        let refused = signoff_app::certify::certify(
            &store.signoff,
            CertifyRequest { policy: Some(lax.clone()), ..request("shop@1.4.0") },
        )
        .await
        .unwrap_err();
        assert!(matches!(&refused, AppError::Refused(Refusal::UnpublishedPolicy { .. })), "{backend}: {refused}");
        assert!(refused.to_string().contains("signoff policy publish"), "{refused}");
        assert_eq!(store.size().await, before + 1, "{backend}");
        let traced = signoff_app::refusals(&store.signoff, Some("shop"), Some("1.4.0")).await.unwrap();
        assert_eq!(traced.len(), 1, "{backend}");
        assert_eq!(
            (traced[0].record.action.as_str(), traced[0].record.actor.id.as_str()),
            ("certify", "release-pipeline")
        );
        let closed = signoff_app::gate::gate(&store.signoff, artifact, Some("prod")).await.unwrap();
        assert!(!closed.allowed, "{backend}: {}", closed.reason);

        // The published policy rejects v1 (Bandit's high finding).
        let rejected = signoff_app::certify::certify(&store.signoff, request("shop@1.4.0")).await.unwrap();
        assert!(!rejected.certified(), "{backend}");

        // v2 certified under the published policy opens the gate.
        let v2 = commit("shop v2");
        capture_example(&store, "v2", &v2).await;
        let good = create_release(&store, "shop@1.4.1", &v2).await;
        approve(&store, "shop@1.4.1", human("carol")).await;
        let certified = signoff_app::certify::certify(&store.signoff, request("shop@1.4.1")).await.unwrap();
        assert!(certified.certified(), "{backend}: {:?}", certified.evaluation.criteria);
        assert_eq!(certified.policy.source, PolicySource::Published);
        assert!(signoff_app::gate::gate(&store.signoff, good, None).await.unwrap().allowed, "{backend}");

        // Publishing another policy puts it in force: the certificate issued
        // under the previous one no longer opens the gate until certified again.
        let staged = policy_file(&folder, "staged.yaml", STAGED);
        signoff_app::policy::publish(
            &store.signoff,
            &signoff_app::policy::PolicyFile::read(&staged).unwrap(),
            human("compliance-lead"),
        )
        .await
        .unwrap();
        let stale = signoff_app::gate::gate(&store.signoff, good, None).await.unwrap();
        assert!(!stale.allowed && stale.reason.contains("not the policy in force"), "{backend}: {}", stale.reason);
        let again = signoff_app::certify::certify(&store.signoff, request("shop@1.4.1")).await.unwrap();
        assert!(again.certified() && again.policy.name == "staged", "{backend}");
        assert!(signoff_app::gate::gate(&store.signoff, good, Some("prod")).await.unwrap().allowed, "{backend}");
        // An environment the policy in force does not declare stays closed.
        let moon = signoff_app::gate::gate(&store.signoff, good, Some("moon")).await.unwrap();
        assert!(!moon.allowed && moon.reason.contains("not declared by policy staged"), "{backend}: {}", moon.reason);

        // An admin pins the project to the audited version 1: certification and
        // the gate follow the pin, and the pin is a ledger entry.
        let pinned = signoff_app::policy::pin(
            &store.signoff,
            Pin {
                project: ProjectName::new("shop").unwrap(),
                policy: Some(("shop-release-gate".into(), 1)),
                reason: "hold shop on the audited policy until the Q1 review".into(),
                actor: human("compliance-lead"),
            },
        )
        .await
        .unwrap();
        assert_eq!(pinned.record.policy.as_ref().map(|policy| policy.version), Some(Some(1)));
        let unpinned_certificate = signoff_app::gate::gate(&store.signoff, good, None).await.unwrap();
        assert!(!unpinned_certificate.allowed, "{backend}: {}", unpinned_certificate.reason);
        let under_pin = signoff_app::certify::certify(&store.signoff, request("shop@1.4.1")).await.unwrap();
        assert_eq!(under_pin.policy.name, "shop-release-gate", "{backend}");
        assert!(signoff_app::gate::gate(&store.signoff, good, None).await.unwrap().allowed, "{backend}");
        // The published file itself is accepted for a real certification: it is the policy in force.
        let same = signoff_app::certify::certify(
            &store.signoff,
            CertifyRequest { policy: Some(root().join("examples/policy.yaml")), ..request("shop@1.4.1") },
        )
        .await
        .unwrap();
        assert_eq!(same.policy.source, PolicySource::Published, "{backend}");
        // A bot may not pin; the attempt is ledgered.
        let robot = signoff_app::policy::pin(
            &store.signoff,
            Pin {
                project: ProjectName::new("shop").unwrap(),
                policy: None,
                reason: "unpin to ship faster".into(),
                actor: bot("renovate[bot]"),
            },
        )
        .await
        .unwrap_err();
        assert!(matches!(robot, AppError::Refused(Refusal::NotHuman { .. })), "{backend}: {robot}");
        let traced = signoff_app::refusals(&store.signoff, Some("shop"), None).await.unwrap();
        assert_eq!(traced.last().unwrap().record.action, "policy pin", "{backend}");

        let verified = signoff_app::verify::verify(&store.signoff, &Default::default()).await.unwrap();
        assert!(verified.ok, "{backend}: {:?}", verified.failure);
    }
}

#[tokio::test]
async fn a_deployer_who_approved_the_release_is_refused_where_the_policy_separates_duties() {
    for store in stores().await {
        let backend = store.backend;
        // The example policy has a blocking separation-of-duties criterion.
        publish_policy(&store).await;
        let v2 = commit("shop v2");
        capture_example(&store, "v2", &v2).await;
        let artifact = create_release(&store, "shop@1.4.1", &v2).await;
        approve(&store, "shop@1.4.1", human("carol")).await;
        let certified = signoff_app::certify::certify(&store.signoff, request("shop@1.4.1")).await.unwrap();
        assert!(certified.certified(), "{backend}");

        let carol = human("carol");
        let own = signoff_app::gate::gate_as(&store.signoff, artifact, None, Some(&carol)).await.unwrap();
        assert!(
            !own.allowed && own.reason.contains("carol may not deploy shop@1.4.1: approved it as release-manager"),
            "{backend}: {}",
            own.reason
        );
        let ops = human("ops");
        assert!(signoff_app::gate::gate_as(&store.signoff, artifact, None, Some(&ops)).await.unwrap().allowed);

        let before = store.size().await;
        let deploy = |actor: Actor| RecordDeployment {
            release: release("shop@1.4.1"),
            environment: "prod".into(),
            actor,
            context: Default::default(),
        };
        let refused = signoff_app::deploy::record(&store.signoff, deploy(carol.clone())).await.unwrap_err();
        assert!(matches!(refused, AppError::Refused(Refusal::DeployerConflict { .. })), "{backend}: {refused}");
        assert_eq!(store.size().await, before + 1, "{backend}: the refusal is ledgered, no deployment is");
        let deployed = signoff_app::deploy::record(&store.signoff, deploy(ops)).await.unwrap();
        assert!(deployed.record.problems.is_empty() && deployed.record.certificate.is_some(), "{backend}");

        // Under a policy that does not separate duties, the approver may deploy
        // (the deployment records the overlap as a problem).
        let folder = tempfile::tempdir().unwrap();
        let lax = policy_file(&folder, "lax.yaml", LAX);
        signoff_app::policy::publish(
            &store.signoff,
            &signoff_app::policy::PolicyFile::read(&lax).unwrap(),
            human("compliance-lead"),
        )
        .await
        .unwrap();
        signoff_app::certify::certify(&store.signoff, request("shop@1.4.1")).await.unwrap();
        assert!(signoff_app::gate::gate_as(&store.signoff, artifact, None, Some(&carol)).await.unwrap().allowed);
        let allowed = signoff_app::deploy::record(&store.signoff, deploy(carol)).await.unwrap();
        assert_eq!(allowed.record.problems, ["carol approved it as release-manager"], "{backend}");
    }
}

#[tokio::test]
async fn every_refused_privileged_action_is_a_ledger_entry() {
    for store in stores().await {
        let backend = store.backend;
        create_release(&store, "shop@2.0.0", &commit("two")).await;
        let before = store.size().await;

        // An AI agent's release approval is refused, not recorded with a warning.
        let approval = signoff_app::decide::approve(
            &store.signoff,
            signoff_app::decide::Approve {
                release: release("shop@2.0.0"),
                decision: ApprovalDecision::Approve,
                role: "release-manager".into(),
                comment: None,
                actor: agent("claude"),
            },
        )
        .await
        .unwrap_err();
        assert!(matches!(approval, AppError::Refused(Refusal::NotHuman { .. })), "{backend}: {approval}");
        let approvals = signoff_app::audit::ask(
            &store.signoff,
            &signoff_app::audit::Question::WhoApproved { release: release("shop@2.0.0") },
        )
        .await
        .unwrap();
        assert!(approvals.rows.is_empty(), "{backend}: {:?}", approvals.rows);

        // A bot places a legal hold; an agent publishes a policy.
        let hold = signoff_app::retention::hold(
            &store.signoff,
            Hold {
                project: ProjectName::new("shop").unwrap(),
                version: None,
                reason: "litigation".into(),
                lift: None,
                actor: bot("ops[bot]"),
            },
        )
        .await
        .unwrap_err();
        assert!(matches!(hold, AppError::Refused(Refusal::NotHuman { .. })), "{backend}: {hold}");
        let publish = signoff_app::policy::publish(
            &store.signoff,
            &signoff_app::policy::PolicyFile::read(&root().join("examples/policy.yaml")).unwrap(),
            agent("claude"),
        )
        .await
        .unwrap_err();
        assert!(matches!(publish, AppError::Refused(Refusal::NotHuman { .. })), "{backend}: {publish}");

        assert_eq!(store.size().await, before + 3, "{backend}");
        let traced = signoff_app::refusals(&store.signoff, None, None).await.unwrap();
        let who: Vec<(&str, &str, &str)> = traced
            .iter()
            .map(|row| (row.record.action.as_str(), row.record.actor.id.as_str(), row.record.target.as_str()))
            .collect();
        assert_eq!(
            who,
            [
                ("approve", "claude", "shop@2.0.0"),
                ("hold", "ops[bot]", "shop"),
                ("policy publish", "claude", "policy.yaml")
            ],
            "{backend}"
        );
        assert_eq!(traced[0].record.reason, "claude is a ai_agent: only a human can approve a release");
        let verified = signoff_app::verify::verify(&store.signoff, &Default::default()).await.unwrap();
        assert!(verified.ok, "{backend}: {:?}", verified.failure);
    }
}

/// Captures files of the example app at `commit`, as CI job `job`.
async fn capture_as_job(store: &TestStore, files: &[(&str, &str)], commit: &signoff_core::CommitSha, job: &str) {
    use signoff_app::capture::{CaptureContext, CaptureRequest, InputFile};
    let files = files
        .iter()
        .map(|(state, name)| InputFile::new(root().join("examples/evidence").join(state).join(name)))
        .collect();
    let request = CaptureRequest {
        files,
        target: CaptureContext {
            project: ProjectName::new("shop").unwrap(),
            commit: Some(commit.clone()),
            release: None,
            context: signoff_core::context::CiContext {
                system: Some("github-actions".into()),
                job: Some(job.into()),
                ..Default::default()
            },
        },
        format: None,
        kind: None,
        limits: signoff_ingest::Limits::default(),
        delivery: None,
    };
    signoff_app::capture::capture(&store.signoff, request).await.unwrap();
}

#[tokio::test]
async fn a_passing_rerun_of_the_same_job_makes_tests_pass_and_the_failed_run_stays_visible() {
    for store in stores().await {
        let backend = store.backend;
        publish_policy(&store).await;
        let at = commit("rerun");
        create_release(&store, "shop@1.5.0", &at).await;
        // The first run of job `test` fails one test; its re-run passes.
        capture_as_job(&store, &[("v1", "junit.xml")], &at, "test").await;
        let dry = || CertifyRequest { dry_run: true, ..request("shop@1.5.0") };
        let first = signoff_app::certify::certify(&store.signoff, dry()).await.unwrap();
        let tests = |certification: &signoff_app::certify::Certification| {
            certification.evaluation.criteria.iter().find(|result| result.id == "tests-pass").unwrap().clone()
        };
        assert_eq!(tests(&first).status, signoff_core::records::CriterionStatus::Fail, "{backend}");
        capture_as_job(&store, &[("v2", "junit.xml")], &at, "test").await;
        let rerun = signoff_app::certify::certify(&store.signoff, dry()).await.unwrap();
        let result = tests(&rerun);
        assert_eq!(result.status, signoff_core::records::CriterionStatus::Pass, "{backend}: {result:?}");
        assert_eq!(result.actual, "32 tests in 1 report: 32 passed, 0 failed, 0 errored, 0 skipped");
        assert!(result.notes.iter().any(|note| note.starts_with("re-run: ")), "{backend}: {:?}", result.notes);
        // Both runs remain the release's evidence.
        let shown = signoff_app::release::show(&store.signoff, &release("shop@1.5.0")).await.unwrap();
        let junit = shown.evidence.iter().filter(|item| item.kind == signoff_core::EvidenceKind::TestResults);
        assert_eq!(junit.count(), 2, "{backend}");
        // A failing report of another job is not superseded by it.
        capture_as_job(&store, &[("v1", "junit.xml")], &at, "integration").await;
        let other = signoff_app::certify::certify(&store.signoff, dry()).await.unwrap();
        assert_eq!(tests(&other).status, signoff_core::records::CriterionStatus::Fail, "{backend}");
    }
}

#[tokio::test]
async fn certification_warns_ahead_of_an_exception_the_release_relies_on_expiring() {
    for store in stores().await {
        let backend = store.backend;
        publish_policy(&store).await;
        let v1 = commit("shop v1");
        capture_example(&store, "v1", &v1).await;
        create_release(&store, "shop@1.4.0", &v1).await;
        let expires = time::OffsetDateTime::now_utc() + time::Duration::days(10);
        signoff_app::decide::request_exception(
            &store.signoff,
            signoff_app::decide::RequestException {
                target: signoff_core::records::ExceptionTarget::Criterion { id: "tests-pass".into() },
                project: Some(ProjectName::new("shop").unwrap()),
                reason: "flaky rounding test quarantined".into(),
                expires,
                actor: human("alice"),
            },
        )
        .await
        .unwrap();
        signoff_app::decide::approve_exception(&store.signoff, "EXC-1", None, human("bob")).await.unwrap();
        let predicted =
            signoff_app::certify::certify(&store.signoff, CertifyRequest { dry_run: true, ..request("shop@1.4.0") })
                .await
                .unwrap();
        let date = expires.date().to_string();
        assert!(
            predicted.ahead.iter().any(|line| line.starts_with("exception EXC-1") && line.contains(&date)),
            "{backend}: {:?}",
            predicted.ahead
        );
        assert!(
            predicted.ahead.iter().any(|line| line.starts_with("tests-pass will fail by")),
            "{backend}: {:?}",
            predicted.ahead
        );
        // `release show` gives the same warnings without an --at date.
        let shown = signoff_app::certify::ahead(&store.signoff, &release("shop@1.4.0")).await.unwrap();
        assert_eq!(shown, predicted.ahead, "{backend}");
    }
}

#[tokio::test]
async fn evidence_captured_after_certification_is_marked_at_capture_and_apart_in_the_trace() {
    for store in stores().await {
        let backend = store.backend;
        publish_policy(&store).await;
        let v2 = commit("shop v2");
        let before = capture_example(&store, "v2", &v2).await;
        assert!(before.iter().all(|report| !report.captured.as_ref().unwrap().post_certification), "{backend}");
        create_release(&store, "shop@1.4.1", &v2).await;
        approve(&store, "shop@1.4.1", human("carol")).await;
        assert!(signoff_app::certify::certify(&store.signoff, request("shop@1.4.1")).await.unwrap().certified());
        // A re-run captured after the certificate: capture says so...
        let late = capture_example(&store, "v1", &v2).await;
        assert!(late.iter().all(|report| report.captured.as_ref().unwrap().post_certification), "{backend}");
        // ...and the trace keeps it apart from the evidence the certificate names.
        let trace = signoff_app::audit::trace(&store.signoff, &release("shop@1.4.1")).await.unwrap();
        let late_scans: Vec<&str> = trace
            .scans
            .iter()
            .filter(|scan| scan.captured_after_certification)
            .map(|scan| scan.digest.as_str())
            .collect();
        assert_eq!(late_scans.len(), 2, "{backend}: bandit and semgrep of v1");
        assert_eq!(trace.scans.len(), 4, "{backend}");
        assert_eq!(trace.tests.iter().filter(|test| test.captured_after_certification).count(), 1, "{backend}");
        let text = signoff_report::text::trace_text(&trace);
        assert!(text.contains("captured after certification"), "{backend}: {text}");
    }
}

/// A4: Bandit's B311 moved from line 32 to 38 between the example app's two
/// versions (same code): it is one finding seen twice, still open, not one fixed
/// and one new.
#[tokio::test]
async fn a_finding_whose_line_moved_keeps_its_identity() {
    for store in stores().await {
        let backend = store.backend;
        capture_example(&store, "v1", &commit("shop v1")).await;
        capture_example(&store, "v2", &commit("shop v2")).await;
        let query = signoff_app::findings::FindingsQuery {
            project: ProjectName::new("shop").unwrap(),
            release: None,
            status: None,
        };
        let found = signoff_app::findings::findings(&store.signoff, &query).await.unwrap();
        let b311: Vec<_> = found.iter().filter(|view| view.finding.rule_id == "B311").collect();
        assert_eq!(b311.len(), 1, "{backend}: {b311:?}");
        assert_eq!(b311[0].status, signoff_app::findings::FindingStatus::Open, "{backend}");
        assert_eq!(b311[0].times_seen, 2, "{backend}");
        assert_eq!(b311[0].finding.location.start_line, Some(38), "{backend}: as last reported");
        // B602 was fixed in v2.
        let b602: Vec<_> = found.iter().filter(|view| view.finding.rule_id == "B602").collect();
        assert_eq!(b602[0].status, signoff_app::findings::FindingStatus::Fixed, "{backend}");
    }
}
