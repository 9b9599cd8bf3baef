//! The auditor's answers on real evidence: findings across releases, the trace,
//! coverage, deployments without certification, search.

use signoff_app::Period;
use signoff_app::audit::{CoverageScope, Question, Search};
use signoff_app::deploy::RecordDeployment;
use signoff_app::findings::{FindingStatus, FindingsQuery};
use signoff_core::{EvidenceKind, ProjectName, Severity};

use crate::util::*;

#[tokio::test]
async fn findings_are_followed_from_release_to_release() {
    for store in stores().await {
        let backend = store.backend;
        capture_example(&store, "v1", &commit("v1")).await;
        create_release(&store, "shop@1.4.0", &commit("v1")).await;
        capture_example(&store, "v2", &commit("v2")).await;
        create_release(&store, "shop@1.4.1", &commit("v2")).await;
        let project = ProjectName::new("shop").unwrap();
        let all = signoff_app::findings::findings(
            &store.signoff,
            &FindingsQuery { project: project.clone(), release: None, status: None },
        )
        .await
        .unwrap();
        let fixed: Vec<_> = all.iter().filter(|view| view.status == FindingStatus::Fixed).collect();
        assert!(!fixed.is_empty(), "{backend}: v2 fixes v1's Bandit finding");
        for view in &fixed {
            let fixed_in = view.fixed_in.as_ref().unwrap();
            assert_eq!(fixed_in.release.as_deref(), Some("1.4.1"), "{backend}");
            assert!(fixed_in.captured_at >= view.first_seen.captured_at);
        }
        let in_v1 = signoff_app::findings::findings(
            &store.signoff,
            &FindingsQuery { project, release: Some("1.4.0".parse().unwrap()), status: Some(FindingStatus::Fixed) },
        )
        .await
        .unwrap();
        assert_eq!(in_v1.len(), fixed.len(), "{backend}");

        let trace = signoff_app::audit::trace(&store.signoff, &release("shop@1.4.0")).await.unwrap();
        assert_eq!(trace.scans.len(), 2, "{backend}: bandit and semgrep");
        assert!(trace.scans.iter().any(|scan| scan.summary.high == 1), "{backend}");
        assert_eq!(trace.release.decision, signoff_report::model::Decision::NotCertified);

        let coverage = signoff_app::audit::coverage(
            &store.signoff,
            &["soc2".to_owned()],
            &CoverageScope { release: Some(release("shop@1.4.1")), ..CoverageScope::default() },
        )
        .await
        .unwrap();
        assert_eq!(coverage.len(), 1);
        assert!(coverage[0].totals.satisfied + coverage[0].totals.partial > 0, "{backend}");

        let search = signoff_app::audit::search(
            &store.signoff,
            &Search { kind: Some(EvidenceKind::Sast), severity: Some(Severity::High), ..Search::default() },
        )
        .await
        .unwrap();
        // v1's Bandit and Semgrep reports each hold a high finding; v2 fixed both.
        let tools: Vec<(&str, &str)> = search.rows.iter().map(|row| (row[1].as_str(), row[3].as_str())).collect();
        assert_eq!(tools, [("1.4.0", "Semgrep OSS"), ("1.4.0", "Bandit")], "{backend}");
    }
}

#[tokio::test]
async fn a_deployment_without_certification_is_recorded_and_reported() {
    for store in stores().await {
        let backend = store.backend;
        create_release(&store, "shop@3.0.0", &commit("three")).await;
        let deployed = signoff_app::deploy::record(
            &store.signoff,
            RecordDeployment {
                release: release("shop@3.0.0"),
                environment: "prod".into(),
                actor: human("deployer"),
                context: Default::default(),
            },
        )
        .await
        .unwrap();
        assert!(deployed.record.certificate.is_none());
        assert_eq!(deployed.record.problems, ["it was never certified"], "{backend}");
        let bad_name = signoff_app::deploy::record(
            &store.signoff,
            RecordDeployment {
                release: release("shop@3.0.0"),
                environment: "prod env".into(),
                actor: human("deployer"),
                context: Default::default(),
            },
        )
        .await;
        assert!(matches!(bad_name, Err(signoff_app::AppError::Invalid(_))), "{backend}");
        let answer = signoff_app::audit::ask(
            &store.signoff,
            &Question::DeployedWithoutCertification { environment: "prod".into(), period: Period::ALL },
        )
        .await
        .unwrap();
        assert_eq!(answer.rows.len(), 1, "{backend}");
        assert_eq!(answer.rows[0][1], "shop@3.0.0");
        let elsewhere = signoff_app::audit::ask(
            &store.signoff,
            &Question::DeployedWithoutCertification {
                environment: "prod".into(),
                period: Period::parse(Some("2000-01-01"), Some("2000-12-31")).unwrap(),
            },
        )
        .await
        .unwrap();
        assert!(elsewhere.rows.is_empty(), "{backend}: the period bounds the answer");
        let snapshot = signoff_app::deploy::snapshot(
            &store.signoff,
            "prod",
            &[signoff_core::Digest::of(b"artifact of shop@3.0.0")],
            human("ops"),
        )
        .await
        .unwrap();
        assert_eq!(snapshot.record.uncertified.len(), 1, "{backend}");
    }
}
