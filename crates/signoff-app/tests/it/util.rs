//! A store per backend, people, and the example app's real tool outputs.

use std::path::{Path, PathBuf};

use signoff_app::capture::{CaptureContext, CaptureRequest, InputFile};
use signoff_app::decide::Approve;
use signoff_app::release::CreateRelease;
use signoff_app::report::EvidenceReport;
use signoff_app::{Environment, Signoff};
use signoff_core::context::CiContext;
use signoff_core::records::{Actor, ActorKind, ApprovalDecision};
use signoff_core::{CommitSha, Digest, ProjectName, ReleaseRef};
use signoff_ingest::Limits;

/// A store of one backend, removed when dropped.
pub(crate) struct TestStore {
    pub(crate) signoff: Signoff,
    pub(crate) backend: &'static str,
    _dir: tempfile::TempDir,
    database: Option<(String, String)>,
}

impl TestStore {
    /// The store under the use cases, opened beside them (for checks at the
    /// store's level).
    pub(crate) async fn raw_store(&self) -> std::sync::Arc<dyn signoff_store::Store> {
        match &self.database {
            None => std::sync::Arc::new(
                signoff_store::SqlStore::open(&self.signoff.home().join("signoff.db")).await.unwrap(),
            ),
            Some((admin, name)) => {
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
                std::sync::Arc::new(signoff_store::SqlStore::open_postgres(&format!("{base}/{name}")).await.unwrap())
            }
        }
    }

    /// Entries in the ledger.
    pub(crate) async fn size(&self) -> u64 {
        signoff_app::verify::verify(&self.signoff, &Default::default()).await.unwrap().entries
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.database.take() {
            std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async move {
                    use sqlx::Connection;
                    let mut connection = sqlx::PgConnection::connect(&admin).await.unwrap();
                    let statement = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    sqlx::raw_sql(sqlx::AssertSqlSafe(statement)).execute(&mut connection).await.unwrap();
                });
            })
            .join()
            .unwrap();
        }
    }
}

/// A fresh SQLite store, and a fresh PostgreSQL one when `PG_URL` is set.
pub(crate) async fn stores() -> Vec<TestStore> {
    let mut stores = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("store");
    Signoff::init(&home, Some("signoff.test/app"), None).await.unwrap();
    stores.push(TestStore {
        signoff: Signoff::open(&home).await.unwrap(),
        backend: "sqlite",
        _dir: dir,
        database: None,
    });
    match std::env::var("PG_URL") {
        Err(_) => eprintln!("skipping PostgreSQL: PG_URL is not set"),
        Ok(admin) => {
            use sqlx::Connection;
            let name = format!("signoff_app_{}", uuid::Uuid::now_v7().simple());
            let mut connection = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut connection)
                .await
                .unwrap();
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
            let url = format!("{base}/{name}");
            let dir = tempfile::tempdir().unwrap();
            let home = dir.path().join("store");
            Signoff::init(&home, Some("signoff.test/app"), Some(&url)).await.unwrap();
            stores.push(TestStore {
                signoff: Signoff::open(&home).await.unwrap(),
                backend: "postgres",
                _dir: dir,
                database: Some((admin, name)),
            });
        }
    }
    stores
}

/// The shared corpus of real tools' outputs; `None` (with a note) where it is
/// absent, as in a user's fresh clone.
pub(crate) fn corpus() -> Option<PathBuf> {
    let path = std::env::var_os("SIGNOFF_CORPUS").map(PathBuf::from).unwrap_or_else(|| root().join("../shared/corpus"));
    if path.join("MANIFEST.tsv").is_file() {
        Some(path)
    } else {
        eprintln!("skipping: no corpus at {} (set SIGNOFF_CORPUS)", path.display());
        None
    }
}

pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub(crate) fn human(id: &str) -> Actor {
    Actor { id: id.into(), kind: ActorKind::Human, on_behalf_of: None, source: Some("test".into()) }
}

pub(crate) fn agent(id: &str) -> Actor {
    Actor { id: id.into(), kind: ActorKind::AiAgent, on_behalf_of: Some("dana".into()), source: Some("test".into()) }
}

pub(crate) fn commit(label: &str) -> CommitSha {
    CommitSha::new(&Digest::of(label.as_bytes()).to_hex()[..40]).unwrap()
}

pub(crate) fn release(text: &str) -> ReleaseRef {
    text.parse().unwrap()
}

/// Captures the example app's outputs of one state (`v1`, `v2`) at `commit`.
pub(crate) async fn capture_example(store: &TestStore, state: &str, commit: &CommitSha) -> Vec<EvidenceReport> {
    let files = ["bandit.sarif", "semgrep.sarif", "junit.xml", "coverage.xml", "sbom.cdx.json"]
        .iter()
        .map(|name| InputFile::new(root().join("examples/evidence").join(state).join(name)))
        .collect();
    let request = CaptureRequest {
        files,
        target: CaptureContext {
            project: ProjectName::new("shop").unwrap(),
            commit: Some(commit.clone()),
            release: None,
            context: CiContext { system: Some("local".into()), ..CiContext::default() },
        },
        format: None,
        kind: None,
        limits: Limits::default(),
        delivery: None,
    };
    signoff_app::capture::capture(&store.signoff, request).await.unwrap()
}

/// Creates a release at `commit` shipping one artifact named after it.
pub(crate) async fn create_release(store: &TestStore, name: &str, commit: &CommitSha) -> Digest {
    let artifact = Digest::of(format!("artifact of {name}").as_bytes());
    let request = CreateRelease {
        release: release(name),
        commit: commit.clone(),
        artifacts: vec![artifact],
        actor: human("release-pipeline"),
        context: Environment::default().ci_context(),
        repo: None,
    };
    signoff_app::release::create(&store.signoff, request).await.unwrap();
    artifact
}

pub(crate) async fn approve(store: &TestStore, name: &str, who: Actor) {
    let request = Approve {
        release: release(name),
        decision: ApprovalDecision::Approve,
        role: "release-manager".into(),
        comment: None,
        actor: who,
    };
    signoff_app::decide::approve(&store.signoff, request).await.unwrap();
}

/// Publishes the example app's policy.
pub(crate) async fn publish_policy(store: &TestStore) {
    publish_policy_with(store, "").await;
}

/// Publishes the example app's policy with `extra` sections before its
/// exceptions (`"release:\n  late_evidence: refuse\n"`), as if its file said so.
pub(crate) async fn publish_policy_with(store: &TestStore, extra: &str) {
    let path = root().join("examples/policy.yaml");
    let mut file = signoff_app::policy::PolicyFile::read(&path).unwrap();
    file.text = file.text.replace("exceptions:\n", &format!("{extra}exceptions:\n"));
    signoff_app::policy::publish(&store.signoff, &file, human("compliance-lead")).await.unwrap();
}
