//! Helpers: a store in a temporary folder, the binary, the corpus, the examples.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// A fresh store in a temporary folder.
pub(crate) struct TestStore {
    pub(crate) dir: tempfile::TempDir,
}

impl TestStore {
    /// A store, initialised.
    pub(crate) fn new() -> TestStore {
        let store = TestStore { dir: tempfile::tempdir().unwrap() };
        let output = store.run(&["init"]);
        assert!(output.status.success(), "init failed: {}", String::from_utf8_lossy(&output.stderr));
        store
    }

    /// Fills the store with the benchmark generator's realistic history (P3), in
    /// process: the generator is not part of the binary.
    pub(crate) fn generate(&self, releases: u64, projects: u64) -> signoff_app::synthetic::Generated {
        let shape =
            signoff_app::synthetic::Shape { releases, evidence_per_release: 10, findings_per_scan: 12, projects };
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let signoff = signoff_app::Signoff::open(&self.home()).await.unwrap();
            signoff_app::synthetic::generate(&signoff, shape, &|_| {}).await.unwrap()
        })
    }

    pub(crate) fn home(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    pub(crate) fn database(&self) -> PathBuf {
        self.home().join("signoff.db")
    }

    /// The binary with `--store` set, a clean environment (no CI variables), run
    /// from the store's temporary folder: no git work tree around it supplies a
    /// commit or an identity unless the test makes one.
    pub(crate) fn command(&self) -> Command {
        let mut command = signoff();
        command.arg("--store").arg(self.home()).current_dir(self.dir.path());
        command
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    /// Runs and expects exit 0; returns stdout.
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "signoff {args:?} exited {:?}\nstdout: {}\nstderr: {}",
            output.status.code(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Captures the example app's v2 outputs `files` (`bandit.sarif`,
    /// `junit.xml`, ...) for `shop` at `commit`, as one capture.
    pub(crate) fn capture_shop(&self, files: &[&str], commit: &str) -> String {
        let paths: Vec<String> = files.iter().map(|file| example(&format!("v2/{file}"))).collect();
        let mut args: Vec<&str> = vec!["capture"];
        args.extend(paths.iter().map(String::as_str));
        args.extend(["--project", "shop", "--commit", commit]);
        self.ok(&args)
    }

    /// `ledger verify --json`, parsed, with the exit code.
    pub(crate) fn verify(&self) -> (i32, Value) {
        let output = self.run(&["ledger", "verify", "--json"]);
        let code = output.status.code().unwrap();
        let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
            panic!("verify printed no JSON ({error}): {}", String::from_utf8_lossy(&output.stderr))
        });
        (code, report)
    }

    /// Number of ledger entries, read straight from the database.
    pub(crate) fn ledger_size(&self) -> i64 {
        self.query_i64("SELECT COUNT(*) FROM ledger_entries")
    }

    pub(crate) fn query_i64(&self, sql: &str) -> i64 {
        self.query_one(sql)
    }

    pub(crate) fn query_text(&self, sql: &str) -> String {
        self.query_one(sql)
    }

    fn query_one<T>(&self, sql: &str) -> T
    where
        T: Send + Unpin + for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + 'static,
    {
        let database = self.database();
        let sql = sql.to_owned();
        runtime().block_on(async move {
            use sqlx::Connection;
            let mut connection =
                sqlx::SqliteConnection::connect(&format!("sqlite://{}", database.display())).await.unwrap();
            let value: T = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut connection).await.unwrap();
            connection.close().await.unwrap();
            value
        })
    }

    /// Runs SQL directly against the database file, as an attacker with file access would.
    pub(crate) fn tamper_sql(&self, statements: &[&str]) {
        let database = self.database();
        let statements: Vec<String> = statements.iter().map(|statement| (*statement).to_owned()).collect();
        runtime().block_on(async move {
            use sqlx::Connection;
            let mut connection =
                sqlx::SqliteConnection::connect(&format!("sqlite://{}", database.display())).await.unwrap();
            for statement in statements {
                sqlx::raw_sql(sqlx::AssertSqlSafe(statement.clone()))
                    .execute(&mut connection)
                    .await
                    .unwrap_or_else(|error| panic!("{statement}: {error}"));
            }
            connection.close().await.unwrap();
        });
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// The binary, with CI variables removed so detection sees a laptop.
pub(crate) fn signoff() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_signoff"));
    command.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    // A laptop has a user; tests that need another identity set SIGNOFF_ACTOR.
    command.env("USER", "tester");
    command
}

/// The repository root.
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// An example output of a real tool run (examples/evidence).
pub(crate) fn example(relative: &str) -> String {
    root().join("examples/evidence").join(relative).display().to_string()
}

/// The shared corpus, or `None` with a message when this checkout has none.
pub(crate) fn corpus() -> Option<PathBuf> {
    let path = std::env::var_os("SIGNOFF_CORPUS").map(PathBuf::from).unwrap_or_else(|| root().join("../shared/corpus"));
    if path.join("MANIFEST.tsv").is_file() {
        Some(path)
    } else {
        eprintln!("skipping: no corpus at {} (set SIGNOFF_CORPUS)", path.display());
        None
    }
}

/// Manifest rows: (path, format, notes).
pub(crate) fn manifest(corpus: &Path) -> Vec<(String, String, String)> {
    std::fs::read_to_string(corpus.join("MANIFEST.tsv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|line| {
            let columns: Vec<&str> = line.split('\t').collect();
            (columns[0].to_owned(), columns[1].to_owned(), columns.get(6).copied().unwrap_or("").to_owned())
        })
        .collect()
}

/// JSON lines of stdout.
pub(crate) fn json_lines(stdout: &str) -> Vec<Value> {
    stdout.lines().map(|line| serde_json::from_str(line).unwrap_or_else(|error| panic!("{error}: {line}"))).collect()
}

/// A commit id for tests.
pub(crate) fn commit(label: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(label.as_bytes()))[..40].to_owned()
}

/// The DOM of a page rendered by headless Chromium, or `None` (with a message)
/// where Chromium is not installed.
pub(crate) fn chromium_dump(page: &Path) -> Option<String> {
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}", page.display()))
        .output();
    match output {
        Ok(output) if output.status.success() => Some(String::from_utf8_lossy(&output.stdout).into_owned()),
        _ => {
            eprintln!("skipping the browser check: chromium is not installed");
            None
        }
    }
}

/// A zip archive copied member by member, `edit` given each member's name and
/// content, with `extra` members appended (a tampered or hostile package).
pub(crate) fn rewrite_zip(bytes: &[u8], edit: impl Fn(&str, &mut Vec<u8>), extra: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).unwrap();
        let name = file.name().unwrap().into_owned();
        let mut content = Vec::new();
        file.read_to_end(&mut content).unwrap();
        edit(&name, &mut content);
        writer.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        writer.write_all(&content).unwrap();
    }
    for (name, content) in extra {
        writer.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        writer.write_all(content).unwrap();
    }
    writer.finish().unwrap().into_inner()
}
