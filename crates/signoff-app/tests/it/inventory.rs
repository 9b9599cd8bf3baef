//! The signal inventory (E4, I2) and health (I3) over a store filled with the
//! example app's real tool outputs: a source that stops reporting, evidence that
//! belongs to no release, an exception a release relies on about to expire.

use signoff_app::capture::{CaptureContext, CaptureRequest, InputFile};
use signoff_app::decide::RequestException;
use signoff_app::inventory::{HealthQuery, InventoryQuery};
use signoff_core::context::CiContext;
use signoff_core::records::ExceptionTarget;
use signoff_core::{CommitSha, EvidenceKind, ProjectName};
use signoff_ingest::Limits;

use crate::util::*;

/// Captures some of the example app's v2 outputs for `project` at `commit`, as a
/// pipeline run by `actor` (none: the run did not say who).
async fn capture(store: &TestStore, project: &str, commit: &CommitSha, files: &[&str], actor: Option<&str>) {
    let request = CaptureRequest {
        files: files.iter().map(|name| InputFile::new(root().join("examples/evidence/v2").join(name))).collect(),
        target: CaptureContext {
            project: ProjectName::new(project).unwrap(),
            commit: Some(commit.clone()),
            release: None,
            context: CiContext {
                system: Some("local".into()),
                actor: actor.map(str::to_owned),
                ..CiContext::default()
            },
        },
        format: None,
        kind: None,
        limits: Limits::default(),
        delivery: None,
    };
    signoff_app::capture::capture(&store.signoff, request).await.unwrap();
}

const ALL: [&str; 5] = ["bandit.sarif", "semgrep.sarif", "junit.xml", "coverage.xml", "sbom.cdx.json"];
const NO_SBOM: [&str; 4] = ["bandit.sarif", "semgrep.sarif", "junit.xml", "coverage.xml"];

/// shop 1.0.0 with an SBOM, 1.1.0 and 1.2.0 without (the SBOM step was dropped),
/// and a test report captured at a commit no release is built from.
async fn history(store: &TestStore) {
    publish_policy(store).await;
    for (version, files) in [("1.0.0", &ALL[..]), ("1.1.0", &NO_SBOM[..]), ("1.2.0", &NO_SBOM[..])] {
        let at = commit(version);
        capture(store, "shop", &at, files, Some("ci-bot")).await;
        create_release(store, &format!("shop@{version}"), &at).await;
    }
    capture(store, "shop", &commit("a branch"), &["junit.xml"], None).await;
    let billing = commit("billing 3.0.0");
    capture(store, "billing", &billing, &["junit.xml"], Some("ci-bot")).await;
    create_release(store, "billing@3.0.0", &billing).await;
}

#[tokio::test]
async fn a_source_missing_from_the_last_releases_is_silent_and_loose_evidence_is_flagged() {
    for store in stores().await {
        let backend = store.backend;
        history(&store).await;
        let shop = ProjectName::new("shop").unwrap();
        let query = InventoryQuery { project: Some(shop.clone()), silent_after: 2 };
        let inventory = signoff_app::inventory::inventory(&store.signoff, &query).await.unwrap();
        assert_eq!(inventory.projects.len(), 1, "{backend}");
        let project = &inventory.projects[0];
        assert_eq!(project.recent_releases, ["1.2.0", "1.1.0", "1.0.0"], "{backend}");
        let kinds: Vec<EvidenceKind> = project.sources.iter().map(|source| source.kind).collect();
        for kind in [EvidenceKind::Sast, EvidenceKind::TestResults, EvidenceKind::Coverage, EvidenceKind::Sbom] {
            assert!(kinds.contains(&kind), "{backend}: {kind} in {kinds:?}");
        }
        // Two SAST tools (bandit and semgrep) supply one kind.
        let sast = project.kinds.iter().find(|seen| seen.kind == EvidenceKind::Sast).unwrap();
        assert_eq!(sast.tools.len(), 2, "{backend}: {:?}", sast.tools);
        let sbom = project.sources.iter().find(|source| source.kind == EvidenceKind::Sbom).unwrap();
        assert_eq!(sbom.lacking, ["1.2.0", "1.1.0"], "{backend}");
        assert!(sbom.silent, "{backend}");
        assert_eq!(sbom.captures, 1, "{backend}");
        assert_eq!(sbom.last_release.as_deref(), Some("1.0.0"), "{backend}");
        let silent: Vec<&str> = inventory.silent().map(|(_, source)| source.tool.as_str()).collect();
        assert_eq!(silent, [sbom.tool.as_str()], "{backend}: only the SBOM stopped");
        // The test reports came with every release, and once more off any release.
        let tests = project.sources.iter().find(|source| source.kind == EvidenceKind::TestResults).unwrap();
        assert!(tests.lacking.is_empty() && !tests.silent, "{backend}");
        assert_eq!(tests.captures, 4, "{backend}");
        assert!(project.missing_required.iter().all(|kind| !kinds.contains(kind)), "{backend}");

        // The loose test report is the evidence without a release, and says no one ran it.
        let loose: Vec<_> = project.gaps.iter().filter(|gap| gap.missing.contains(&"release")).collect();
        assert_eq!(loose.len(), 1, "{backend}: {:?}", project.gaps);
        assert_eq!(loose[0].kind, EvidenceKind::TestResults, "{backend}");
        assert!(loose[0].missing.contains(&"who"), "{backend}");
        assert!(
            project.gaps.iter().all(|gap| gap.entry == loose[0].entry || !gap.missing.contains(&"who")),
            "{backend}"
        );
        assert_eq!(project.quality_checked, 14, "{backend}");

        // Three releases without it are needed before it counts as silent at 3: 1.0.0 had it.
        let patient = InventoryQuery { project: Some(shop), silent_after: 3 };
        let inventory = signoff_app::inventory::inventory(&store.signoff, &patient).await.unwrap();
        assert_eq!(inventory.silent().count(), 0, "{backend}");

        // Every project with evidence, by name.
        let all = signoff_app::inventory::inventory(&store.signoff, &InventoryQuery::default()).await.unwrap();
        let names: Vec<&str> = all.projects.iter().map(|project| project.project.as_str()).collect();
        assert_eq!(names, ["billing", "shop"], "{backend}");
        assert_eq!(all.silent_after, 3, "{backend}");

        // A page at a time (the dashboard's every-project view): the same
        // projects with the same sources, one page after the other.
        let query = InventoryQuery::default();
        let (first, next) = signoff_app::inventory::inventory_page(&store.signoff, &query, None, 1).await.unwrap();
        assert_eq!(first.projects.len(), 1, "{backend}");
        assert_eq!(next.as_ref().map(ProjectName::as_str), Some("billing"), "{backend}");
        let (second, last) =
            signoff_app::inventory::inventory_page(&store.signoff, &query, next.as_ref(), 1).await.unwrap();
        assert_eq!(last, None, "{backend}: shop is the last project");
        let paged: Vec<_> = first.projects.iter().chain(&second.projects).collect();
        assert_eq!(paged.len(), all.projects.len(), "{backend}");
        for (paged, whole) in paged.iter().zip(&all.projects) {
            assert_eq!(paged.project, whole.project, "{backend}");
            assert_eq!(serde_json::to_value(&paged.sources).unwrap(), serde_json::to_value(&whole.sources).unwrap());
        }
        let (everything, none) =
            signoff_app::inventory::inventory_page(&store.signoff, &query, None, 10).await.unwrap();
        assert_eq!(everything.projects.len(), 2, "{backend}");
        assert_eq!(none, None, "{backend}");
    }
}

#[tokio::test]
async fn health_names_an_expiring_exception_a_release_relies_on_and_the_ledger() {
    for store in stores().await {
        let backend = store.backend;
        history(&store).await;
        approve(&store, "shop@1.2.0", human("bob")).await;
        // 1.2.0 has no SBOM: the required-evidence criterion passes only by an exception.
        let request = RequestException {
            target: ExceptionTarget::Criterion { id: "required-evidence".into() },
            project: Some(ProjectName::new("shop").unwrap()),
            reason: "the SBOM step is being moved to the new runner".into(),
            expires: time::OffsetDateTime::now_utc() + time::Duration::days(5),
            actor: human("alice"),
        };
        let requested = signoff_app::decide::request_exception(&store.signoff, request).await.unwrap();
        let id = requested.record.id.clone();
        signoff_app::decide::approve_exception(&store.signoff, &id, None, human("carol")).await.unwrap();

        let query = HealthQuery {
            inventory: InventoryQuery { project: Some(ProjectName::new("shop").unwrap()), silent_after: 2 },
            within_days: 14,
        };
        let health = signoff_app::inventory::health(&store.signoff, &query).await.unwrap();
        assert_eq!(health.expiring.len(), 1, "{backend}");
        let expiring = &health.expiring[0];
        assert_eq!(expiring.id, id, "{backend}");
        let blocked: Vec<String> = expiring.blocks.iter().map(ToString::to_string).collect();
        assert_eq!(blocked, ["shop@1.2.0"], "{backend}: {:?}", expiring.warnings);
        assert_eq!(health.inventory.silent().count(), 1, "{backend}");
        assert_eq!(health.ledger.size, store.size().await, "{backend}");
        assert_eq!(health.ledger.checkpoint_size, Some(health.ledger.size), "{backend}");
        assert!(health.ledger.last_full_verify.is_none(), "{backend}");

        // Outside the window, nothing is about to expire.
        let later = HealthQuery { within_days: 2, ..query };
        let health = signoff_app::inventory::health(&store.signoff, &later).await.unwrap();
        assert!(health.expiring.is_empty(), "{backend}");
    }
}

/// I2: a source silent for the last `silent_after` releases raises one alert through
/// the sync's sinks, not again while it stays silent, and again only after it
/// reported and fell silent anew.
#[tokio::test]
async fn a_silent_source_raises_one_alert_until_it_reports_again() {
    use std::sync::Arc;

    use signoff_grc::engine::{Alert, CollectedAlerts};

    for mut store in stores().await {
        let backend = store.backend;
        history(&store).await;
        let home = store.signoff.home().to_owned();
        let settings = home.join("signoff.toml");
        let text = std::fs::read_to_string(&settings).unwrap() + "\n[sync.alerts]\nsilent_after = 2\n";
        std::fs::write(&settings, text).unwrap();
        store.signoff = signoff_app::Signoff::open(&home).await.unwrap();
        let collected = Arc::new(CollectedAlerts::default());
        let monitor = signoff_app::sync::Monitor::start(&store.signoff, vec![collected.clone()]).unwrap();
        let shop = ProjectName::new("shop").unwrap();

        let raised = monitor.check_sources(&store.signoff, &shop).await.unwrap();
        assert_eq!(raised.len(), 1, "{backend}: {raised:?}");
        let Alert::SourceSilent(silent) = &raised[0] else { panic!("{backend}: {raised:?}") };
        assert_eq!(
            (silent.project.as_str(), silent.kind, silent.releases),
            ("shop", EvidenceKind::Sbom, 2),
            "{backend}"
        );
        assert_eq!(collected.alerts(), raised, "{backend}: raised through the sinks");
        let counts = monitor.alert_counts();
        assert_eq!(counts, [("destination_failing", 0), ("destination_recovered", 0), ("source_silent", 1)]);

        // Another certification, still silent: no second alert.
        assert!(monitor.check_sources(&store.signoff, &shop).await.unwrap().is_empty(), "{backend}");
        // billing has no silent source.
        let billing = ProjectName::new("billing").unwrap();
        assert!(monitor.check_sources(&store.signoff, &billing).await.unwrap().is_empty(), "{backend}");

        // The SBOM step comes back: nothing to say, and the silence is over.
        let at = commit("1.3.0");
        capture(&store, "shop", &at, &ALL, Some("ci-bot")).await;
        create_release(&store, "shop@1.3.0", &at).await;
        assert!(monitor.check_sources(&store.signoff, &shop).await.unwrap().is_empty(), "{backend}");
        // Dropped again for two releases: one new alert.
        for version in ["1.4.0", "1.5.0"] {
            let at = commit(version);
            capture(&store, "shop", &at, &NO_SBOM, Some("ci-bot")).await;
            create_release(&store, &format!("shop@{version}"), &at).await;
        }
        let again = monitor.check_sources(&store.signoff, &shop).await.unwrap();
        assert_eq!(again.len(), 1, "{backend}: {again:?}");
        assert_ne!(again, raised, "{backend}: a new silence, named by the source's latest entry");
        assert_eq!(collected.alerts().len(), 2, "{backend}");
    }
}
