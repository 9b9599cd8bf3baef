//! Certification and the gate: the verdict comes from the evidence, a dry run
//! writes nothing, the gate opens only for a certified artifact.

use signoff_app::certify::CertifyRequest;
use signoff_app::{AppError, Missing, Refusal};
use signoff_core::records::Decision;

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

#[tokio::test]
async fn a_release_is_certified_on_its_evidence_and_the_gate_follows() {
    for store in stores().await {
        let backend = store.backend;
        publish_policy(&store).await;
        let (v1, v2) = (commit("shop v1"), commit("shop v2"));
        capture_example(&store, "v1", &v1).await;
        let rejected_artifact = create_release(&store, "shop@1.4.0", &v1).await;
        approve(&store, "shop@1.4.0", human("carol")).await;

        // A dry run predicts and writes nothing.
        let before = store.size().await;
        let predicted =
            signoff_app::certify::certify(&store.signoff, CertifyRequest { dry_run: true, ..request("shop@1.4.0") })
                .await
                .unwrap();
        assert!(!predicted.certified() && predicted.certificate.is_none(), "{backend}");
        assert_eq!(store.size().await, before, "{backend}: a dry run wrote an entry");

        // Bandit's high finding in v1 fails the policy; the rejection is signed too.
        let rejected = signoff_app::certify::certify(&store.signoff, request("shop@1.4.0")).await.unwrap();
        assert!(!rejected.certified(), "{backend}");
        let failing: Vec<&str> = rejected
            .evaluation
            .criteria
            .iter()
            .filter(|result| result.status == signoff_core::records::CriterionStatus::Fail && result.blocking)
            .map(|result| result.id.as_str())
            .collect();
        assert!(failing.contains(&"no-critical-or-high"), "{backend}: {failing:?}");
        assert_eq!(rejected.certificate.as_ref().unwrap().record.decision, Decision::Rejected);
        assert_eq!(store.size().await, before + 1, "{backend}");

        capture_example(&store, "v2", &v2).await;
        let artifact = create_release(&store, "shop@1.4.1", &v2).await;
        approve(&store, "shop@1.4.1", human("carol")).await;
        let certified = signoff_app::certify::certify(&store.signoff, request("shop@1.4.1")).await.unwrap();
        assert!(certified.certified(), "{backend}: {:?}", certified.evaluation.criteria);

        let open = signoff_app::gate::gate(&store.signoff, artifact, None).await.unwrap();
        assert!(open.allowed, "{backend}: {}", open.reason);
        let closed = signoff_app::gate::gate(&store.signoff, rejected_artifact, None).await.unwrap();
        assert!(!closed.allowed && closed.reason.contains("was rejected"), "{backend}: {}", closed.reason);

        // The metrics over time read each release's first decision and evidence
        // kinds in one query: they agree with the period's metrics read release
        // by release (1.4.0 failed its first attempt, 1.4.1 passed).
        let now = time::OffsetDateTime::now_utc();
        let (from, to) = (now - time::Duration::days(1), now + time::Duration::days(1));
        let project = signoff_core::ProjectName::new("shop").unwrap();
        let trend = signoff_app::insights::trend(&store.signoff, Some(&project), from, to).await.unwrap();
        let month = trend.months.iter().find(|month| month.releases > 0).unwrap();
        assert_eq!(month.releases, 2, "{backend}: {trend:?}");
        assert_eq!(month.first_attempt_pass_rate, Some(0.5), "{backend}: {trend:?}");
        let period = signoff_app::Period { from: Some(month.from), to: Some(month.to) };
        let metrics = signoff_app::insights::metrics(&store.signoff, period).await.unwrap();
        assert_eq!(metrics.first_attempt_pass_rate, Some(0.5), "{backend}");
        let completeness = month.evidence_completeness.unwrap();
        assert!(completeness > 0.0, "{backend}: {trend:?}");
        let mean = metrics.evidence_completeness_mean.unwrap();
        assert!((completeness - mean).abs() < 1e-9, "{backend}: trend {completeness}, metrics {mean}");

        // Revoked, the certificate no longer opens the gate.
        signoff_app::gate::revoke(&store.signoff, &release("shop@1.4.1"), "key rotation drill", human("security"))
            .await
            .unwrap();
        let revoked = signoff_app::gate::gate(&store.signoff, artifact, None).await.unwrap();
        assert!(!revoked.allowed && revoked.reason.contains("revoked by security"), "{backend}: {}", revoked.reason);

        let verified = signoff_app::verify::verify(&store.signoff, &Default::default()).await.unwrap();
        assert!(verified.ok, "{backend}: {:?}", verified.failure);
    }
}

#[tokio::test]
async fn certification_refuses_what_it_cannot_decide() {
    for store in stores().await {
        let backend = store.backend;
        let before = store.size().await;
        let missing = signoff_app::certify::certify(&store.signoff, request("shop@9.9.9")).await.unwrap_err();
        assert!(
            matches!(&missing, AppError::NotFound(Missing::Release(release)) if release.to_string() == "shop@9.9.9"),
            "{backend}: {missing}"
        );

        let folder = tempfile::tempdir().unwrap();
        let policy = folder.path().join("staged.yaml");
        std::fs::write(
            &policy,
            "version: 1\nname: staged\nenvironments: [staging, prod]\ncriteria:\n  - id: tests\n    use: tests_pass\n",
        )
        .unwrap();
        signoff_app::policy::publish(
            &store.signoff,
            &signoff_app::policy::PolicyFile::read(&policy).unwrap(),
            human("compliance-lead"),
        )
        .await
        .unwrap();
        create_release(&store, "shop@1.0.0", &commit("one")).await;
        let undeclared = signoff_app::certify::certify(
            &store.signoff,
            CertifyRequest { environment: Some("moon".into()), ..request("shop@1.0.0") },
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&undeclared, AppError::Refused(Refusal::UndeclaredEnvironment { declared, .. }) if declared == "staging, prod"),
            "{backend}: {undeclared}"
        );
        let never = signoff_app::certify::certificate_of(&store.signoff, &release("shop@1.0.0")).await.unwrap_err();
        assert!(matches!(never, AppError::NotFound(Missing::Certificate(_))), "{backend}: {never}");
        let at_without_dry_run = signoff_app::certify::certify(
            &store.signoff,
            CertifyRequest { at: Some(time::macros::datetime!(2030-01-01 00:00:00 UTC)), ..request("shop@1.0.0") },
        )
        .await
        .unwrap_err();
        assert!(matches!(at_without_dry_run, AppError::Invalid(_)), "{backend}");
        let exists = signoff_app::release::create(
            &store.signoff,
            signoff_app::release::CreateRelease {
                release: release("shop@1.0.0"),
                commit: commit("two"),
                artifacts: vec![],
                actor: human("ci"),
                context: Default::default(),
                repo: None,
            },
        )
        .await
        .unwrap_err();
        assert!(matches!(exists, AppError::Refused(Refusal::ReleaseExists { .. })), "{backend}: {exists}");
        assert_eq!(exists.to_string(), "release shop@1.0.0 already exists (ledger entry 1)", "{backend}");
        // Policy, release and the refused certification's trace; the errors wrote nothing.
        assert_eq!(store.size().await, before + 3, "{backend}");
        let refused = signoff_app::refusals(&store.signoff, Some("shop"), Some("1.0.0")).await.unwrap();
        assert_eq!(refused.len(), 1, "{backend}");
        assert_eq!(refused[0].record.action, "certify");
    }
}
