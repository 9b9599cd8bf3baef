//! A running server over a fresh store, and tokens for it.

use std::path::{Path, PathBuf};

use signoff_app::Signoff;
use signoff_app::access::{self, NewToken, Scope};
use signoff_core::records::{Actor, ActorKind};
use signoff_core::{Digest, ProjectName};
use signoff_server::{AppState, ServerConfig};

/// A server on loopback over its own store; shut down and removed when dropped.
pub(crate) struct TestServer {
    pub(crate) base: String,
    pub(crate) backend: &'static str,
    /// A second handle on the same store, for setting up tokens and checking.
    pub(crate) signoff: Signoff,
    pub(crate) client: reqwest::Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    database: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET path` with `token`: the status and the body.
    pub(crate) async fn get(&self, path: &str, token: &str) -> (u16, String) {
        let response = self.client.get(self.url(path)).bearer_auth(token).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// The store's SQLite database (for tests that alter it behind the server's back).
    pub(crate) fn sqlite_database(&self) -> PathBuf {
        self._dir.path().join("store/signoff.db")
    }

    /// Issues a token and returns its secret.
    pub(crate) async fn token(&self, name: &str, scopes: &[Scope], projects: &[&str], kind: ActorKind) -> String {
        let request = NewToken {
            name: name.into(),
            scopes: scopes.to_vec(),
            projects: projects.iter().map(|project| ProjectName::new(project).unwrap()).collect(),
            kind,
            expires_in: None,
            actor: Actor { id: "admin".into(), kind: ActorKind::Human, on_behalf_of: None, source: None },
        };
        access::create(&self.signoff, request).await.unwrap().secret
    }

    /// Entries in the ledger.
    pub(crate) async fn size(&self) -> u64 {
        signoff_app::verify::verify(&self.signoff, &Default::default()).await.unwrap().entries
    }

    /// Stops the server (requests in flight finish) and waits for it.
    pub(crate) async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
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

async fn start(
    home: &Path,
    backend: &'static str,
    dir: tempfile::TempDir,
    database: Option<(String, String)>,
    config: ServerConfig,
) -> TestServer {
    start_with(home, backend, dir, database, config, false).await
}

async fn start_with(
    home: &Path,
    backend: &'static str,
    dir: tempfile::TempDir,
    database: Option<(String, String)>,
    config: ServerConfig,
    monitored: bool,
) -> TestServer {
    let served = Signoff::open(home).await.unwrap();
    let monitor =
        monitored.then(|| std::sync::Arc::new(signoff_app::sync::Monitor::start(&served, Vec::new()).unwrap()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (shutdown, signal) = tokio::sync::oneshot::channel::<()>();
    let state = AppState::with_monitor(served, config, monitor);
    let task = tokio::spawn(signoff_server::serve(listener, state, async move {
        let _ = signal.await;
    }));
    TestServer {
        base,
        backend,
        signoff: Signoff::open(home).await.unwrap(),
        client: reqwest::Client::builder().no_proxy().build().unwrap(),
        shutdown: Some(shutdown),
        task: Some(task),
        database,
        _dir: dir,
    }
}

/// A server over a fresh SQLite store.
pub(crate) async fn sqlite_server(config: ServerConfig) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("store");
    Signoff::init(&home, Some("signoff.test/server"), None).await.unwrap();
    start(&home, "sqlite", dir, None, config).await
}

/// A server over a fresh SQLite store whose signoff.toml ends with `settings`.
pub(crate) async fn sqlite_server_with(settings: &str) -> TestServer {
    server_with(settings, false).await
}

/// A server over a fresh SQLite store whose signoff.toml ends with `settings`, with
/// the GRC sync's alerts as `signoff serve` runs them.
pub(crate) async fn monitored_server_with(settings: &str) -> TestServer {
    server_with(settings, true).await
}

async fn server_with(settings: &str, monitored: bool) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("store");
    Signoff::init(&home, Some("signoff.test/server"), None).await.unwrap();
    let path = home.join("signoff.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(settings);
    std::fs::write(&path, text).unwrap();
    start_with(&home, "sqlite", dir, None, ServerConfig::default(), monitored).await
}

/// A server over SQLite, and one over PostgreSQL when `PG_URL` is set.
pub(crate) async fn servers() -> Vec<TestServer> {
    let mut servers = vec![sqlite_server(ServerConfig::default()).await];
    match std::env::var("PG_URL") {
        Err(_) => eprintln!("skipping PostgreSQL: PG_URL is not set"),
        Ok(admin) => {
            use sqlx::Connection;
            let name = format!("signoff_server_{}", uuid::Uuid::now_v7().simple());
            let mut connection = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut connection)
                .await
                .unwrap();
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
            let url = format!("{base}/{name}");
            let dir = tempfile::tempdir().unwrap();
            let home = dir.path().join("store");
            Signoff::init(&home, Some("signoff.test/server"), Some(&url)).await.unwrap();
            servers.push(start(&home, "postgres", dir, Some((admin, name)), ServerConfig::default()).await);
        }
    }
    servers
}

pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A real tool output of the example app.
pub(crate) fn example(state: &str, name: &str) -> Vec<u8> {
    std::fs::read(root().join("examples/evidence").join(state).join(name)).unwrap()
}

/// A commit id named after a label.
pub(crate) fn commit(label: &str) -> String {
    Digest::of(label.as_bytes()).to_hex()[..40].to_owned()
}

/// The artifact a test release ships.
pub(crate) fn artifact(name: &str) -> String {
    Digest::of(format!("artifact of {name}").as_bytes()).to_string()
}

/// Captures the example app's outputs (`v1`) for `project` at `commit`, and
/// creates `project@1.0.0` there, with a token of every scope on the project.
pub(crate) async fn seed(server: &TestServer, project: &str) {
    let token = server.token(&format!("seed-{project}"), &Scope::ALL, &[project], ActorKind::Bot).await;
    for name in ["bandit.sarif", "semgrep.sarif", "junit.xml", "coverage.xml"] {
        let response = server
            .client
            .post(server.url("/api/v1/captures"))
            .query(&[("project", project), ("name", name), ("commit", &commit(project))])
            .bearer_auth(&token)
            .body(example("v1", name))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    }
    let release = format!("{project}@1.0.0");
    let response = server
        .client
        .post(server.url("/api/v1/releases"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"release": release, "commit": commit(project), "artifacts": [artifact(&release)]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
}
