//! Scanned targets (A4): every scan records what it scanned, and a finding is
//! fixed only by a later scan by the same tool of the same target — a scan of
//! another image or repository says nothing about it.

use std::path::PathBuf;

use signoff_app::capture::{CaptureContext, CaptureRequest, InputFile};
use signoff_app::findings::{FindingStatus, FindingView, FindingsQuery};
use signoff_app::report::EvidenceReport;
use signoff_core::context::CiContext;
use signoff_core::{CommitSha, ProjectName};
use signoff_ingest::Limits;

use crate::util::*;

async fn capture(
    store: &TestStore,
    files: &[PathBuf],
    commit: &CommitSha,
    repository: Option<&str>,
) -> Vec<EvidenceReport> {
    let request = CaptureRequest {
        files: files.iter().map(|path| InputFile::new(path.clone())).collect(),
        target: CaptureContext {
            project: ProjectName::new("shop").unwrap(),
            commit: Some(commit.clone()),
            release: None,
            context: CiContext {
                system: Some("github-actions".into()),
                repository: repository.map(str::to_owned),
                ..CiContext::default()
            },
        },
        format: None,
        kind: None,
        limits: Limits::default(),
        delivery: None,
    };
    signoff_app::capture::capture(&store.signoff, request).await.unwrap()
}

async fn findings(store: &TestStore) -> Vec<FindingView> {
    let query = FindingsQuery { project: ProjectName::new("shop").unwrap(), release: None, status: None };
    let all = signoff_app::findings::findings(&store.signoff, &query).await.unwrap();
    // The open ones asked for alone (only the latest scan of each tool and
    // target grouped) are the open ones of the whole history.
    let query = FindingsQuery { status: Some(FindingStatus::Open), ..query };
    let open = signoff_app::findings::findings(&store.signoff, &query).await.unwrap();
    let open_of_all: Vec<FindingView> = all.iter().filter(|view| view.status == FindingStatus::Open).cloned().collect();
    assert_eq!(open, open_of_all, "{}", store.backend);
    all
}

#[tokio::test]
async fn a_scan_of_another_image_does_not_fix_the_first_images_findings() {
    let Some(corpus) = corpus() else { return };
    let python = corpus.join("grype-json/grype-0.7.0-many-vulns-large.json");
    let busybox = corpus.join("grype-json/grype-0.94.0-epss.json");
    for store in stores().await {
        let backend = store.backend;
        let first = capture(&store, std::slice::from_ref(&python), &commit("python image"), None).await;
        let second = capture(&store, std::slice::from_ref(&busybox), &commit("busybox image"), None).await;
        assert_eq!(first[0].target.as_deref(), Some("image:python:3.6"), "{backend}");
        assert_eq!(second[0].target.as_deref(), Some("image:busybox:1.32.1"), "{backend}");
        assert_eq!(first[0].tool.name, second[0].tool.name, "{backend}: one tool, two targets");

        let views = findings(&store).await;
        let of_python: Vec<&FindingView> =
            views.iter().filter(|view| view.target.as_deref() == Some("image:python:3.6")).collect();
        assert!(of_python.len() > 1000, "{backend}: {}", of_python.len());
        // The busybox scan came later, by the same tool, without python's findings:
        // they are not fixed by it.
        let fixed: Vec<&&FindingView> = of_python.iter().filter(|view| view.status == FindingStatus::Fixed).collect();
        assert!(fixed.is_empty(), "{backend}: {} of python:3.6's findings called fixed by a busybox scan", fixed.len());
        assert!(views.iter().all(|view| view.status == FindingStatus::Open), "{backend}");

        // The evidence row keeps the target, and `ledger verify` re-derives it.
        let verified = signoff_app::verify::verify(&store.signoff, &Default::default()).await.unwrap();
        assert!(verified.ok, "{backend}: {:?}", verified.failure);
    }
}

#[tokio::test]
async fn a_finding_is_fixed_only_by_a_later_scan_of_the_same_repository() {
    let (v1, v2) = (root().join("examples/evidence/v1/bandit.sarif"), root().join("examples/evidence/v2/bandit.sarif"));
    for store in stores().await {
        let backend = store.backend;
        let shop = "github.com/acme/shop";
        let reports = capture(&store, std::slice::from_ref(&v1), &commit("shop v1"), Some(shop)).await;
        assert_eq!(reports[0].target.as_deref(), Some("repository:github.com/acme/shop"), "{backend}");
        // The fixed code of another repository (a fork) scanned by the same tool.
        capture(&store, std::slice::from_ref(&v2), &commit("fork v2"), Some("github.com/acme/shop-fork")).await;
        let shell = |views: &[FindingView]| -> Vec<(Option<String>, FindingStatus)> {
            views
                .iter()
                .filter(|view| view.finding.rule_id == "B602")
                .map(|view| (view.target.clone(), view.status))
                .collect()
        };
        assert_eq!(
            shell(&findings(&store).await),
            [(Some("repository:github.com/acme/shop".to_owned()), FindingStatus::Open)],
            "{backend}: the fork's scan fixed nothing in shop"
        );
        // The same repository's fixed code: now it is fixed, in that scan.
        capture(&store, std::slice::from_ref(&v2), &commit("shop v2"), Some(shop)).await;
        let views = findings(&store).await;
        assert_eq!(
            shell(&views),
            [(Some("repository:github.com/acme/shop".to_owned()), FindingStatus::Fixed)],
            "{backend}"
        );
        let fixed = views.iter().find(|view| view.finding.rule_id == "B602").unwrap();
        assert_eq!(fixed.fixed_in.as_ref().unwrap().commit.as_deref(), Some(commit("shop v2").as_str()));
        // B104 is in both repositories' scans: two findings, one per target, both open.
        let bind: Vec<&FindingView> = views.iter().filter(|view| view.finding.rule_id == "B104").collect();
        assert_eq!(bind.len(), 2, "{backend}");
        assert!(bind.iter().all(|view| view.status == FindingStatus::Open), "{backend}");
    }
}
