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
        // Asking for the open ones groups only the latest scans' fingerprints, and
        // finds exactly the open ones of the whole history, in the same order.
        let open = signoff_app::findings::findings(
            &store.signoff,
            &FindingsQuery { project: project.clone(), release: None, status: Some(FindingStatus::Open) },
        )
        .await
        .unwrap();
        let open_of_all: Vec<_> = all.iter().filter(|view| view.status == FindingStatus::Open).cloned().collect();
        assert!(!open.is_empty(), "{backend}");
        assert_eq!(open, open_of_all, "{backend}");
        // The metrics over time count those fixes (found from the scans before
        // each fixing scan only) and the two releases.
        let now = time::OffsetDateTime::now_utc();
        let trend = signoff_app::insights::trend(
            &store.signoff,
            Some(&project),
            now - time::Duration::days(1),
            now + time::Duration::days(1),
        )
        .await
        .unwrap();
        let fixes: u64 = trend.months.iter().map(|month| month.findings_fixed).sum();
        assert_eq!(fixes, fixed.len() as u64, "{backend}: {trend:?}");
        assert_eq!(trend.months.iter().map(|month| month.releases).sum::<u64>(), 2, "{backend}");
        assert!(
            trend.months.iter().filter_map(|month| month.time_to_fix_days).all(|days| (0.0..1.0).contains(&days)),
            "{backend}: fixed within the test: {trend:?}"
        );
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

/// Every evidence reference of a coverage answer, per control, and whether any
/// control cites the same reference twice.
fn references(coverage: &[signoff_controls::Coverage]) -> (Vec<String>, Vec<String>) {
    let mut all = Vec::new();
    let mut repeated = Vec::new();
    for framework in coverage {
        for control in &framework.controls {
            let mut seen = std::collections::HashSet::new();
            for item in &control.evidence {
                if !seen.insert(item.reference.clone()) {
                    repeated.push(format!("{} {}: {}", framework.framework, control.id, item.reference));
                }
                all.push(item.reference.clone());
            }
        }
    }
    (all, repeated)
}

#[tokio::test]
async fn coverage_lists_each_piece_of_evidence_once_and_only_the_releases_own_exceptions() {
    use signoff_app::certify::CertifyRequest;
    use signoff_app::decide::RequestException;
    use signoff_core::records::ExceptionTarget;

    for store in stores().await {
        let backend = store.backend;
        publish_policy(&store).await;
        let (v1, v2) = (commit("shop v1"), commit("shop v2"));
        // v1 fails its tests; an exception for `tests-pass` lets 1.4.0's
        // certificate apply it. 1.4.1 passes and applies none.
        capture_example(&store, "v1", &v1).await;
        create_release(&store, "shop@1.4.0", &v1).await;
        // The same files of v2 captured twice (a pipeline re-run) and two releases
        // at that commit: each file is one piece of evidence.
        capture_example(&store, "v2", &v2).await;
        capture_example(&store, "v2", &v2).await;
        create_release(&store, "shop@1.4.1", &v2).await;
        create_release(&store, "shop@1.4.1-hotfix", &v2).await;
        let requested = signoff_app::decide::request_exception(
            &store.signoff,
            RequestException {
                target: ExceptionTarget::Criterion { id: "tests-pass".into() },
                project: Some(ProjectName::new("shop").unwrap()),
                reason: "the rounding test is being rewritten (PAY-12)".into(),
                expires: time::OffsetDateTime::now_utc() + time::Duration::days(10),
                actor: human("alice"),
            },
        )
        .await
        .unwrap();
        signoff_app::decide::approve_exception(&store.signoff, &requested.record.id, None, human("bob")).await.unwrap();
        for name in ["shop@1.4.0", "shop@1.4.1", "shop@1.4.1-hotfix"] {
            approve(&store, name, human("carol")).await;
            let request = CertifyRequest {
                release: release(name),
                policy: None,
                environment: None,
                dry_run: false,
                at: None,
                actor: human("release-pipeline"),
            };
            signoff_app::certify::certify(&store.signoff, request).await.unwrap();
        }

        let of = |name: &str| CoverageScope { release: Some(release(name)), ..CoverageScope::default() };
        let frameworks = ["soc2".to_owned(), "iso27001".to_owned()];
        let v1_coverage = signoff_app::audit::coverage(&store.signoff, &frameworks, &of("shop@1.4.0")).await.unwrap();
        let (v1_refs, repeated) = references(&v1_coverage);
        assert!(repeated.is_empty(), "{backend}: {repeated:?}");
        assert!(v1_refs.contains(&"EXC-1".to_owned()), "{backend}: 1.4.0 applied EXC-1: {v1_refs:?}");

        let v2_coverage = signoff_app::audit::coverage(&store.signoff, &frameworks, &of("shop@1.4.1")).await.unwrap();
        let (v2_refs, repeated) = references(&v2_coverage);
        assert!(repeated.is_empty(), "{backend}: {repeated:?}");
        assert!(!v2_refs.contains(&"EXC-1".to_owned()), "{backend}: 1.4.1 cites 1.4.0's exception: {v2_refs:?}");

        // Over the period: three releases, two of them sharing every file.
        let period =
            signoff_app::audit::coverage(&store.signoff, &frameworks, &CoverageScope::default()).await.unwrap();
        let (_, repeated) = references(&period);
        assert!(repeated.is_empty(), "{backend}: {repeated:?}");
    }
}

#[tokio::test]
async fn the_release_list_names_each_environment_once() {
    for store in stores().await {
        let backend = store.backend;
        create_release(&store, "shop@3.1.0", &commit("three one")).await;
        for environment in ["prod", "staging", "prod"] {
            let deployment = RecordDeployment {
                release: release("shop@3.1.0"),
                environment: environment.into(),
                actor: human("deployer"),
                context: Default::default(),
            };
            signoff_app::deploy::record(&store.signoff, deployment).await.unwrap();
        }
        let list = signoff_app::release::ReleaseList {
            project: None,
            status: None,
            before: None,
            environment: Some("prod".into()),
            period: Period::ALL,
            search: None,
            limit: 10,
        };
        let listed = signoff_app::release::list(&store.signoff, &list).await.unwrap();
        assert_eq!(listed.releases.len(), 1, "{backend}");
        assert_eq!(listed.releases[0].deployed_to, ["prod", "staging"], "{backend}");
    }
}

#[tokio::test]
async fn the_release_list_filters_by_certification_status() {
    for store in stores().await {
        let backend = store.backend;
        publish_policy(&store).await;
        let v2 = commit("status v2");
        capture_example(&store, "v2", &v2).await;
        create_release(&store, "shop@4.0.0", &v2).await;
        create_release(&store, "shop@4.0.1", &commit("status never certified")).await;
        let request = signoff_app::certify::CertifyRequest {
            release: release("shop@4.0.0"),
            policy: None,
            environment: None,
            dry_run: false,
            at: None,
            actor: human("release-pipeline"),
        };
        signoff_app::certify::certify(&store.signoff, request).await.unwrap();
        let names = |status| {
            let list = signoff_app::release::ReleaseList {
                project: None,
                status: Some(status),
                before: None,
                environment: None,
                period: Period::ALL,
                search: None,
                limit: 10,
            };
            let signoff = &store.signoff;
            async move {
                let listed = signoff_app::release::list(signoff, &list).await.unwrap();
                listed.releases.iter().map(|line| line.release.to_string()).collect::<Vec<_>>()
            }
        };
        use signoff_app::audit::ReleaseStatus;
        assert_eq!(names(ReleaseStatus::Uncertified).await, ["shop@4.0.1"], "{backend}");
        let decided = [names(ReleaseStatus::Certified).await, names(ReleaseStatus::Rejected).await].concat();
        assert_eq!(decided, ["shop@4.0.0"], "{backend}: certified or rejected, once");
    }
}

/// Paging through the release list: each page says how many releases are left
/// after it, and the last page says none.
#[tokio::test]
async fn each_page_of_the_release_list_counts_what_is_left_after_it() {
    for store in stores().await {
        let backend = store.backend;
        for n in 0..5 {
            create_release(&store, &format!("paged@1.0.{n}"), &commit(&format!("paged {n}"))).await;
        }
        let mut before = None;
        let mut seen = Vec::new();
        let mut left = Vec::new();
        loop {
            let list = signoff_app::release::ReleaseList {
                project: Some(signoff_core::ProjectName::new("paged").unwrap()),
                before,
                limit: 2,
                ..signoff_app::release::ReleaseList::default()
            };
            let listed = signoff_app::release::list(&store.signoff, &list).await.unwrap();
            assert!(!listed.more_is_lower_bound, "{backend}: a handful is counted exactly");
            seen.extend(listed.releases.iter().map(|line| line.release.to_string()));
            left.push(listed.more);
            if listed.more == 0 {
                break;
            }
            before = listed.releases.last().map(|line| line.entry);
        }
        assert_eq!(left, [3, 1, 0], "{backend}");
        assert_eq!(seen, ["paged@1.0.4", "paged@1.0.3", "paged@1.0.2", "paged@1.0.1", "paged@1.0.0"], "{backend}");
    }
}
