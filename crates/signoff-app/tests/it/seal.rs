//! A sealed release stays sealed (B4) and preflight looks as far ahead as the
//! policy says (D7): late evidence is separated in the package and the trace page,
//! a policy can refuse it outright, and the warn-ahead horizon is the policy's.

use signoff_app::certify::CertifyRequest;
use signoff_app::decide::RequestException;
use signoff_app::{AppError, Refusal};
use signoff_core::ProjectName;
use signoff_core::records::ExceptionTarget;

use crate::util::*;

fn certify(name: &str, dry_run: bool) -> CertifyRequest {
    CertifyRequest {
        release: release(name),
        policy: None,
        environment: None,
        dry_run,
        at: None,
        actor: human("release-pipeline"),
    }
}

#[tokio::test]
async fn evidence_after_certification_is_apart_in_the_package_and_the_page() {
    for store in stores().await {
        let backend = store.backend;
        publish_policy(&store).await;
        let v2 = commit("shop v2");
        let before = capture_example(&store, "v2", &v2).await;
        create_release(&store, "shop@1.4.1", &v2).await;
        approve(&store, "shop@1.4.1", human("carol")).await;
        let certified = signoff_app::certify::certify(&store.signoff, certify("shop@1.4.1", false)).await.unwrap();
        assert!(certified.certified(), "{backend}");
        // A re-run's coverage report after certification: other bytes, same commit.
        let late_file = tempfile::NamedTempFile::with_suffix(".xml").unwrap();
        let text = std::fs::read_to_string(root().join("examples/evidence/v2/coverage.xml")).unwrap();
        std::fs::write(late_file.path(), text.replace("timestamp=\"", "timestamp=\"1")).unwrap();
        let request = signoff_app::capture::CaptureRequest {
            files: vec![signoff_app::capture::InputFile::new(late_file.path().to_owned())],
            target: signoff_app::capture::CaptureContext {
                project: ProjectName::new("shop").unwrap(),
                commit: Some(v2.clone()),
                release: None,
                context: Default::default(),
            },
            format: None,
            kind: None,
            limits: signoff_ingest::Limits::default(),
            delivery: None,
        };
        let late = signoff_app::capture::capture(&store.signoff, request).await.unwrap();
        assert!(late[0].captured.as_ref().unwrap().post_certification, "{backend}");

        let bytes = signoff_app::package::export(&store.signoff, &release("shop@1.4.1")).await.unwrap();
        let report = signoff_app::package::verify(&bytes, None).unwrap();
        assert!(report.is_ok(), "{backend}: {:?}", report.failures().collect::<Vec<_>>());
        let split = report.manifest.as_ref().unwrap().certification.clone().expect("the manifest splits the evidence");
        assert_eq!(split.certificate, certified.certificate.as_ref().unwrap().record.id, "{backend}");
        let at: Vec<u64> = split.at_certification.iter().map(|facts| facts.entry).collect();
        let expected: Vec<u64> = before.iter().map(|report| report.captured.as_ref().unwrap().entry).collect();
        assert_eq!(at, expected, "{backend}: exactly what the certificate names");
        let after: Vec<(u64, signoff_core::Digest)> =
            split.captured_after.iter().map(|facts| (facts.entry, facts.digest)).collect();
        assert_eq!(after, [(late[0].captured.as_ref().unwrap().entry, late[0].digest)], "{backend}");

        // The page shows the late report under its own heading, after the rest.
        let page = signoff_report::render_trace_html(
            &signoff_app::audit::trace(&store.signoff, &release("shop@1.4.1")).await.unwrap(),
        )
        .unwrap();
        let heading = page.find("Captured after certification").expect("a heading for late evidence");
        let late_row = page.rfind(&late[0].digest.to_string()).unwrap();
        assert!(heading < late_row, "{backend}");
        for report in &before {
            if report.summary.tests.is_some() || report.summary.coverage.is_some() {
                let row = page.find(&report.digest.to_string()).unwrap();
                assert!(row < heading, "{backend}: {} is evidence at certification", report.file);
            }
        }
    }
}

#[tokio::test]
async fn a_policy_that_refuses_late_evidence_stores_nothing_after_certification() {
    for store in stores().await {
        let backend = store.backend;
        publish_policy_with(&store, "release:\n  late_evidence: refuse\n").await;
        let v2 = commit("shop v2");
        capture_example(&store, "v2", &v2).await;
        create_release(&store, "shop@1.4.1", &v2).await;
        approve(&store, "shop@1.4.1", human("carol")).await;
        // Before certification, more evidence is welcome.
        capture_example(&store, "v2", &v2).await;
        assert!(signoff_app::certify::certify(&store.signoff, certify("shop@1.4.1", false)).await.unwrap().certified());

        let size = store.size().await;
        let request = signoff_app::capture::CaptureRequest {
            files: vec![signoff_app::capture::InputFile::new(root().join("examples/evidence/v2/junit.xml"))],
            target: signoff_app::capture::CaptureContext {
                project: ProjectName::new("shop").unwrap(),
                commit: Some(v2.clone()),
                release: None,
                context: Default::default(),
            },
            format: None,
            kind: None,
            limits: signoff_ingest::Limits::default(),
            delivery: None,
        };
        let refused = signoff_app::capture::capture(&store.signoff, request.clone()).await.unwrap_err();
        assert!(matches!(refused, AppError::Refused(Refusal::LateEvidence { .. })), "{backend}: {refused}");
        assert!(refused.to_string().contains("shop@1.4.1 is certified"), "{refused}");
        assert_eq!(store.size().await, size, "{backend}: a refused capture stored something");
        // Named by release, the same.
        let named = signoff_app::capture::CaptureRequest {
            target: signoff_app::capture::CaptureContext {
                commit: None,
                release: Some("1.4.1".parse().unwrap()),
                ..request.target.clone()
            },
            ..request.clone()
        };
        assert!(signoff_app::capture::capture(&store.signoff, named).await.is_err(), "{backend}");
        // Another commit is another release's evidence: accepted.
        let other = signoff_app::capture::CaptureRequest {
            target: signoff_app::capture::CaptureContext { commit: Some(commit("shop v3")), ..request.target.clone() },
            ..request.clone()
        };
        signoff_app::capture::capture(&store.signoff, other).await.unwrap();
        // Revoked, the release is open again.
        signoff_app::gate::revoke(&store.signoff, &release("shop@1.4.1"), "late test results", human("security"))
            .await
            .unwrap();
        signoff_app::capture::capture(&store.signoff, request).await.unwrap();
    }
}

#[tokio::test]
async fn the_warn_ahead_horizon_is_the_policys() {
    for store in stores().await {
        let backend = store.backend;
        // v1 fails its tests; an exception for the criterion expires in 20 days.
        let v1 = commit("shop v1");
        capture_example(&store, "v1", &v1).await;
        create_release(&store, "shop@1.4.0", &v1).await;
        approve(&store, "shop@1.4.0", human("carol")).await;
        let requested = signoff_app::decide::request_exception(
            &store.signoff,
            RequestException {
                target: ExceptionTarget::Criterion { id: "tests-pass".into() },
                project: Some(ProjectName::new("shop").unwrap()),
                reason: "the rounding test is being rewritten (PAY-12)".into(),
                expires: time::OffsetDateTime::now_utc() + time::Duration::days(20),
                actor: human("alice"),
            },
        )
        .await
        .unwrap();
        signoff_app::decide::approve_exception(&store.signoff, &requested.record.id, None, human("bob")).await.unwrap();

        // The default horizon, 14 days, does not reach it.
        publish_policy(&store).await;
        let default = signoff_app::certify::certify(&store.signoff, certify("shop@1.4.0", true)).await.unwrap();
        assert!(default.ahead.iter().all(|warning| !warning.contains("EXC-1")), "{backend}: {:?}", default.ahead);
        // A policy that looks 30 days ahead warns of it.
        publish_policy_with(&store, "release:\n  warn_ahead_days: 30\n").await;
        let wide = signoff_app::certify::certify(&store.signoff, certify("shop@1.4.0", true)).await.unwrap();
        assert!(
            wide.ahead.iter().any(|warning| warning.contains("exception EXC-1") && warning.contains("expires")),
            "{backend}: {:?}",
            wide.ahead
        );
        let shown = signoff_app::certify::ahead(&store.signoff, &release("shop@1.4.0")).await.unwrap();
        assert_eq!(shown, wide.ahead, "{backend}: release show warns the same");
    }
}
