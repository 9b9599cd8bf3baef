//! `bench-serve`: `signoff serve` under load from concurrent pipelines (P5, R6).
//!
//! A store is made and a capture token issued; `signoff serve` runs on loopback
//! and `--clients` tasks (64) post small captures as fast as it answers them,
//! each a distinct file (a SARIF log with a few findings or a JUnit report, as a
//! pipeline's step sends), with an `Idempotency-Key`, for `--seconds` (30; `--soak
//! 600` is R6's ten minutes). It prints captures per second, latency percentiles
//! of the answers, the server's peak RSS and how many captures each commit held.
//!
//! With `--upload FILE` it sends that one file instead (`curl -T`, streamed) and
//! prints the time and the server's peak RSS: a 1 GB SARIF log stays in bounded
//! memory (A7).
//!
//! With `--kill-every SECONDS` the server is killed with SIGKILL at random moments
//! about that far apart and started again on the same port; a client whose request
//! got no answer sends it again with the same key, as the CLI's outbox does. In
//! every mode the run ends by stopping the server with SIGTERM (it must exit 0),
//! running `ledger verify`, and checking that every acknowledged capture is in the
//! store, once.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::{build_signoff, flag};

struct Server {
    signoff: PathBuf,
    store: PathBuf,
    port: u16,
    max_group: String,
    child: Option<Child>,
}

impl Server {
    fn command(&self) -> Command {
        let mut command = Command::new(&self.signoff);
        command.env_clear().env("PATH", std::env::var_os("PATH").unwrap_or_default()).arg("--store").arg(&self.store);
        command
    }

    /// Starts `signoff serve` and waits until it listens.
    fn start(&mut self) -> anyhow::Result<()> {
        let mut child = self
            .command()
            .args(["serve", "--listen", &format!("127.0.0.1:{}", self.port), "--rate-limit", "0"])
            .args(["--max-group", &self.max_group])
            .env("SIGNOFF_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let mut lines = BufReader::new(child.stderr.take().context("serve's standard error")?).lines();
        loop {
            let line = lines.next().context("signoff serve ended before it listened")??;
            if line.starts_with("listening on ") {
                break;
            }
        }
        // Keep reading its standard error so it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        self.child = Some(child);
        Ok(())
    }

    /// Issues a token (as a bot) and returns its secret.
    fn token(&self, name: &str, scope: &str) -> anyhow::Result<String> {
        let issued = self
            .command()
            .args(["token", "create", "--name", name, "--scope", scope, "--kind", "bot", "--json"])
            .output()?;
        let issued: serde_json::Value = serde_json::from_slice(&issued.stdout).context("token create --json")?;
        Ok(issued["secret"].as_str().context("token create printed no secret")?.to_owned())
    }

    fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    fn kill(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill()?;
            child.wait()?;
        }
        Ok(())
    }

    /// SIGTERM, then the exit status: a graceful stop is exit 0.
    fn stop(&mut self) -> anyhow::Result<i32> {
        let Some(mut child) = self.child.take() else { return Ok(0) };
        let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id())?);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM)?;
        Ok(child.wait()?.code().unwrap_or(-1))
    }
}

/// The server's peak resident set so far, from `/proc`.
fn peak_rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The `n`th capture of client `client`: a small SARIF log (three findings) or a
/// JUnit report (ten cases), unique by its names.
fn body(client: usize, n: u64) -> (String, String) {
    if n.is_multiple_of(2) {
        let results: Vec<String> = (0..3)
            .map(|finding| {
                format!(
                    r#"{{"ruleId":"B{finding}0{client}","level":"warning","message":{{"text":"finding {finding} of run {n} by client {client}"}},"locations":[{{"physicalLocation":{{"artifactLocation":{{"uri":"src/app_{client}.py"}},"region":{{"startLine":{}}}}}}}]}}"#,
                    n % 500 + finding + 1
                )
            })
            .collect();
        let sarif = format!(
            r#"{{"version":"2.1.0","$schema":"https://json.schemastore.org/sarif-2.1.0.json","runs":[{{"tool":{{"driver":{{"name":"bandit","version":"1.7.9"}}}},"results":[{}]}}]}}"#,
            results.join(",")
        );
        (format!("bandit-{client}-{n}.sarif"), sarif)
    } else {
        let cases: String = (0..10)
            .map(|case| {
                format!(r#"<testcase classname="tests.test_{client}" name="test_{case}_run_{n}" time="0.01"/>"#)
            })
            .collect();
        let junit = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" tests="10" failures="0" errors="0" time="0.1">{cases}</testsuite></testsuites>"#
        );
        (format!("junit-{client}-{n}.xml"), junit)
    }
}

#[derive(Default)]
struct Tally {
    /// Microseconds from sending a capture to its 2xx answer (first tries only).
    latencies: Mutex<Vec<u64>>,
    /// (idempotency key, evidence id) of every acknowledged capture.
    acknowledged: Mutex<Vec<(String, String)>>,
    /// Answers that were neither 2xx nor a sign the server was down.
    errors: AtomicU64,
    /// Tries sent again after no answer (a killed server).
    resent: AtomicU64,
}

/// One client: captures until the deadline, each sent until it is acknowledged.
async fn client(
    http: reqwest::Client,
    base: Arc<str>,
    token: Arc<str>,
    client: usize,
    deadline: Instant,
    tally: Arc<Tally>,
) -> anyhow::Result<()> {
    let commit = crate::kill::commit(&format!("bench-serve client {client}"));
    let mut n = 0u64;
    while Instant::now() < deadline {
        let (name, text) = body(client, n);
        let key = format!("bench-{client}-{n}");
        let mut first = true;
        loop {
            let started = Instant::now();
            let sent = http
                .post(format!("{base}/api/v1/captures"))
                .query(&[("project", "shop"), ("name", name.as_str()), ("commit", commit.as_str())])
                .bearer_auth(&*token)
                .header("idempotency-key", &key)
                .header("content-type", "application/octet-stream")
                .body(text.clone())
                .send()
                .await;
            match sent {
                Ok(answer) if answer.status().is_success() => {
                    let elapsed = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                    let reports: serde_json::Value = answer.json().await?;
                    let id = reports[0]["evidence_id"].as_str().context("an answer without evidence_id")?.to_owned();
                    if first {
                        tally.latencies.lock().expect("tally").push(elapsed);
                    }
                    tally.acknowledged.lock().expect("tally").push((key, id));
                    break;
                }
                Ok(answer) if answer.status().is_server_error() => {}
                Ok(answer) => {
                    tally.errors.fetch_add(1, Ordering::Relaxed);
                    let status = answer.status();
                    bail!("client {client}: capture {key} answered {status}: {}", answer.text().await?);
                }
                Err(_) => {}
            }
            // No answer, or 5xx: the server is restarting; send the same capture again.
            first = false;
            tally.resent.fetch_add(1, Ordering::Relaxed);
            if started > deadline + Duration::from_secs(120) {
                bail!("client {client}: capture {key} was never acknowledged");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        n += 1;
    }
    Ok(())
}

fn percentile(sorted: &[u64], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() - 1) as f64 * fraction).round() as usize;
    sorted[index] as f64 / 1000.0
}

/// Runs the load; see the module's documentation.
pub(crate) fn bench_serve(args: &[String]) -> anyhow::Result<()> {
    let seconds: u64 = match flag(args, "--soak") {
        Some(soak) => soak.parse()?,
        None => flag(args, "--seconds").unwrap_or_else(|| "30".into()).parse()?,
    };
    let clients: usize = flag(args, "--clients").unwrap_or_else(|| "64".into()).parse()?;
    let kill_every: Option<f64> = flag(args, "--kill-every").map(|value| value.parse()).transpose()?;
    let max_group = flag(args, "--max-group").unwrap_or_else(|| "64".into());
    let signoff = build_signoff(args)?;
    let scratch = std::env::temp_dir().join(format!("signoff-bench-serve-{}", std::process::id()));
    let store = scratch.join("store");
    std::fs::create_dir_all(&scratch)?;
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut server = Server { signoff, store: store.clone(), port, max_group: max_group.clone(), child: None };

    let init = server.command().arg("init").output()?;
    if !init.status.success() {
        bail!("signoff init failed: {}", String::from_utf8_lossy(&init.stderr));
    }
    let token: Arc<str> = server.token("bench", "capture")?.into();
    let admin = server.token("bench-operator", "admin")?;
    server.start()?;
    let base: Arc<str> = format!("http://127.0.0.1:{port}").into();
    if let Some(file) = flag(args, "--upload") {
        upload(&mut server, &base, &token, Path::new(&file))?;
        let _ = std::fs::remove_dir_all(&scratch);
        return Ok(());
    }
    eprintln!("{clients} clients for {seconds} s against {base} (max group {max_group}, store {})", store.display());

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let tally = Arc::new(Tally::default());
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let server = Arc::new(Mutex::new(server));
    let loaded = Arc::new(AtomicBool::new(true));
    let (kills, peak_kb) = std::thread::scope(|scope| -> anyhow::Result<(u64, u64)> {
        // The killer, in its own thread: SIGKILL at random moments, restart.
        let killer = scope.spawn(|| -> anyhow::Result<(u64, u64)> {
            let mut random = crate::kill::Lcg(0x5eed ^ u64::from(std::process::id()));
            let (mut kills, mut peak) = (0u64, 0u64);
            while loaded.load(Ordering::Relaxed) {
                let pause = match kill_every {
                    Some(every) => Duration::from_secs_f64(every * (0.5 + (random.next() % 1000) as f64 / 1000.0)),
                    None => Duration::from_millis(200),
                };
                let until = Instant::now() + pause;
                while Instant::now() < until && loaded.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(20));
                    if let Some(pid) = server.lock().expect("server").pid() {
                        peak = peak.max(peak_rss_kb(pid));
                    }
                }
                if kill_every.is_some() && loaded.load(Ordering::Relaxed) {
                    let mut server = server.lock().expect("server");
                    server.kill()?;
                    kills += 1;
                    server.start()?;
                }
            }
            Ok((kills, peak))
        });
        let loads = runtime.block_on(async {
            let http =
                reqwest::Client::builder().timeout(Duration::from_secs(60)).pool_max_idle_per_host(clients).build()?;
            let mut tasks = tokio::task::JoinSet::new();
            for id in 0..clients {
                tasks.spawn(client(
                    http.clone(),
                    Arc::clone(&base),
                    Arc::clone(&token),
                    id,
                    deadline,
                    Arc::clone(&tally),
                ));
            }
            let mut outcome = Ok(());
            while let Some(joined) = tasks.join_next().await {
                if let Err(error) = joined? {
                    outcome = Err(error);
                }
            }
            outcome
        });
        loaded.store(false, Ordering::Relaxed);
        let killed = killer.join().map_err(|_| anyhow::anyhow!("the killer thread panicked"))?;
        loads?;
        killed
    })?;
    let elapsed = started.elapsed().as_secs_f64();
    let mut server =
        Arc::try_unwrap(server).map_err(|_| anyhow::anyhow!("server still shared"))?.into_inner().expect("server");
    let groups = runtime.block_on(groups_committed(&base, &admin));
    let status = server.stop()?;
    if status != 0 {
        bail!("signoff serve exited {status} on SIGTERM (a graceful stop is 0)");
    }

    let mut latencies = std::mem::take(&mut *tally.latencies.lock().expect("tally"));
    latencies.sort_unstable();
    let acknowledged = std::mem::take(&mut *tally.acknowledged.lock().expect("tally"));
    println!(
        "| clients | seconds | captures | captures/s | p50 ms | p95 ms | p99 ms | max ms | server peak RSS | captures per commit | kills |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {clients} | {elapsed:.1} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {:.0} MB | {} | {kills} |",
        acknowledged.len(),
        acknowledged.len() as f64 / elapsed,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.95),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
        peak_kb as f64 / 1024.0,
        groups
            .filter(|_| kills == 0)
            .map_or("-".into(), |groups| format!("{:.1}", acknowledged.len() as f64 / groups.max(1) as f64)),
    );
    eprintln!(
        "resent after no answer: {}; other errors: {}",
        tally.resent.load(Ordering::Relaxed),
        tally.errors.load(Ordering::Relaxed)
    );
    runtime.block_on(check_store(&server, &store, &acknowledged))?;
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

/// One large capture sent by `curl -T` (streamed from the file): the time, and
/// the server's peak RSS over the upload, its parse and its commit (A7).
fn upload(server: &mut Server, base: &str, token: &str, file: &Path) -> anyhow::Result<()> {
    let size = std::fs::metadata(file).with_context(|| file.display().to_string())?.len();
    let before = server.pid().map_or(0, peak_rss_kb);
    let commit = crate::kill::commit("bench-serve upload");
    let name = file.file_name().context("--upload names a file")?.to_string_lossy().into_owned();
    let url = format!("{base}/api/v1/captures?project=shop&name={name}&commit={commit}");
    let started = Instant::now();
    let output = Command::new("curl")
        .args(["--silent", "--show-error", "--fail-with-body", "-X", "POST", "-T"])
        .arg(file)
        .args(["-H", "content-type: application/octet-stream", "-H"])
        .arg(format!("authorization: Bearer {token}"))
        .arg(&url)
        .output()
        .context("curl (the upload is sent with curl -T)")?;
    let seconds = started.elapsed().as_secs_f64();
    if !output.status.success() {
        bail!(
            "the upload failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let peak = server.pid().map_or(0, peak_rss_kb);
    let reports: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    println!("| upload | size | seconds | MB/s | findings | server peak RSS (idle before) | RSS ÷ size |");
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| {name} | {:.0} MB | {seconds:.1} | {:.0} | {} | {:.0} MB ({:.0} MB) | {:.2}× |",
        size as f64 / 1e6,
        size as f64 / 1e6 / seconds,
        reports[0]["summary"]["findings"]["total"],
        peak as f64 / 1024.0,
        before as f64 / 1024.0,
        peak as f64 * 1024.0 / size as f64,
    );
    let status = server.stop()?;
    if status != 0 {
        bail!("signoff serve exited {status} on SIGTERM (a graceful stop is 0)");
    }
    Ok(())
}

/// The server's count of committed capture groups (its `/metrics`), when it says.
async fn groups_committed(base: &str, admin: &str) -> Option<u64> {
    let answer = reqwest::Client::new().get(format!("{base}/metrics")).bearer_auth(admin).send().await.ok()?;
    let text = answer.text().await.ok()?;
    text.lines().find_map(|line| line.strip_prefix("signoff_capture_groups_total ")?.trim().parse().ok())
}

/// `ledger verify` passes and every acknowledged capture is stored, once.
async fn check_store(server: &Server, store: &Path, acknowledged: &[(String, String)]) -> anyhow::Result<()> {
    let verify = server.command().args(["ledger", "verify", "--json"]).output()?;
    if !verify.status.success() {
        bail!("ledger verify failed: {}", String::from_utf8_lossy(&verify.stdout));
    }
    let url = format!("sqlite://{}?mode=ro", store.join("signoff.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await?;
    let rows: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT id, delivery_key FROM evidence").fetch_all(&pool).await?;
    let stored: HashSet<&str> = rows.iter().map(|(id, _)| id.as_str()).collect();
    let keys: HashSet<&str> = rows.iter().filter_map(|(_, key)| key.as_deref()).collect();
    if keys.len() != rows.len() {
        bail!("{} evidence rows but {} distinct idempotency keys: a capture was stored twice", rows.len(), keys.len());
    }
    let missing: Vec<&(String, String)> = acknowledged.iter().filter(|(_, id)| !stored.contains(id.as_str())).collect();
    if let Some((key, id)) = missing.first() {
        bail!("{} acknowledged captures are not in the store (first: {key}, evidence {id})", missing.len());
    }
    println!(
        "ledger verify passed; all {} acknowledged captures are in the store, each once ({} stored)",
        acknowledged.len(),
        rows.len()
    );
    Ok(())
}
