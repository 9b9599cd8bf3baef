//! `bench-kill`: SIGKILL at random moments, a thousand times (C5, R2).
//!
//! Two captures run at once against one store; after a random delay, drawn across
//! the length of an unhindered capture (measured first), the second is killed if it
//! is still running, and now and then the first too, so kills land while a capture
//! opens the store, stages its bytes, parses, waits for the other's lock, writes
//! and commits. What a killed capture printed before it died is what it
//! acknowledged. Every hundred rounds and at the end `ledger verify` must pass, and
//! at the end every acknowledged capture must be in the store. The integration test
//! `durability::sigkill_at_random_moments_loses_no_acknowledged_capture` keeps the
//! same loop at 50 kills on every `cargo test`; this is its long run.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::{build_signoff, flag, generate};

/// A small deterministic generator, so a failing run can be replayed from its seed.
pub(crate) struct Lcg(pub(crate) u64);

impl Lcg {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

struct Harness {
    signoff: PathBuf,
    store: PathBuf,
}

impl Harness {
    fn command(&self) -> Command {
        let mut command = Command::new(&self.signoff);
        // No CI variables: the captures name their project and commit themselves.
        command.env_clear().env("PATH", std::env::var_os("PATH").unwrap_or_default()).arg("--store").arg(&self.store);
        command
    }

    fn spawn_capture(&self, files: &[&Path], commit: &str) -> anyhow::Result<Child> {
        let mut command = self.command();
        command.args(["capture", "--project", "shop", "--commit", commit, "--json"]).args(files);
        Ok(command.stdout(Stdio::piped()).stderr(Stdio::null()).spawn()?)
    }

    /// `ledger verify`'s exit code and report.
    fn verify(&self) -> anyhow::Result<(i32, serde_json::Value)> {
        let output = self.command().args(["ledger", "verify", "--json"]).output()?;
        let report = serde_json::from_slice(&output.stdout).unwrap_or(serde_json::Value::Null);
        Ok((output.status.code().unwrap_or(-1), report))
    }
}

/// Evidence ids a finished (or killed) capture printed: those it acknowledged.
fn acknowledged(child: Child) -> anyhow::Result<Vec<String>> {
    let output = child.wait_with_output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    // A line cut by the kill is not an acknowledgement.
    let complete = stdout.rfind('\n').map_or("", |end| &stdout[..=end]);
    complete
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).with_context(|| format!("not JSON: {line}"))?;
            value["evidence_id"].as_str().map(str::to_owned).context("a capture line without evidence_id")
        })
        .collect()
}

pub(crate) fn commit(label: &str) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(label.as_bytes()))[..40].to_owned()
}

/// Kills captures at random moments until `--kills N` (1000) processes were killed
/// mid-run, then checks that the store verifies and holds every acknowledged capture.
pub(crate) fn bench_kill(args: &[String]) -> anyhow::Result<()> {
    let kills: u64 = flag(args, "--kills").unwrap_or_else(|| "1000".into()).parse()?;
    let seed: u64 = match flag(args, "--seed") {
        Some(seed) => u64::from_str_radix(seed.trim_start_matches("0x"), 16)?,
        None => u64::from(std::process::id()) ^ 0x5161_0ff5,
    };
    let signoff = build_signoff(args)?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().context("xtask lives in the workspace")?.to_owned();
    let scratch = std::env::temp_dir().join(format!("signoff-bench-kill-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let harness = Harness { signoff, store: scratch.join("store") };
    let init = harness.command().arg("init").output()?;
    if !init.status.success() {
        bail!("signoff init failed: {}", String::from_utf8_lossy(&init.stderr));
    }
    // The example app's real outputs, and one generated SARIF log large enough
    // (5,000 results) that kills also land mid-parse and mid-write.
    let evidence = root.join("examples/evidence");
    let big = scratch.join("big.sarif");
    generate::sarif(&big, 5_000)?;
    let files =
        [evidence.join("v1/bandit.sarif"), evidence.join("v1/junit.xml"), evidence.join("v2/semgrep.sarif"), big];

    // How long an unhindered capture of two files takes: the kills are spread over it.
    let started = Instant::now();
    let calibration = harness.spawn_capture(&[&files[0], &files[3]], &commit("calibration"))?;
    let mut acknowledged_ids = acknowledged(calibration)?;
    let span = started.elapsed().max(Duration::from_millis(20));
    eprintln!("seed {seed:#x}; a capture of two files takes {span:?}; killing until {kills} kills");

    let mut random = Lcg(seed);
    let (mut killed, mut rounds, mut verifies) = (0_u64, 0_u64, 0_u64);
    let started = Instant::now();
    while killed < kills {
        rounds += 1;
        let sha = commit(&format!("kill {rounds}"));
        let mut pick = || &files[(random.next() % files.len() as u64) as usize];
        let (a, b, c) = (pick(), pick(), pick());
        let mut first = harness.spawn_capture(&[a, b], &sha)?;
        let mut second = harness.spawn_capture(&[c], &sha)?;
        let span_micros = u64::try_from(span.as_micros()).unwrap_or(u64::MAX).max(1);
        std::thread::sleep(Duration::from_micros(random.next() % (span_micros + span_micros / 4)));
        if second.try_wait()?.is_none() {
            second.kill()?;
            killed += 1;
        }
        // A third of the rounds kill the first capture too, a little later.
        if random.next().is_multiple_of(3) {
            std::thread::sleep(Duration::from_micros(random.next() % (span_micros / 2 + 1)));
            if first.try_wait()?.is_none() {
                first.kill()?;
                killed += 1;
                acknowledged_ids.extend(acknowledged(first)?);
            } else {
                acknowledged_ids.extend(acknowledged(first)?);
            }
        } else {
            acknowledged_ids.extend(acknowledged(first)?);
        }
        acknowledged_ids.extend(acknowledged(second)?);
        if rounds.is_multiple_of(100) {
            let (code, report) = harness.verify()?;
            verifies += 1;
            if code != 0 {
                bail!("round {rounds} (seed {seed:#x}): ledger verify exited {code}: {report}");
            }
            eprintln!("{rounds} rounds, {killed} kills, {} acknowledged captures: verify ok", acknowledged_ids.len());
        }
    }
    let (code, report) = harness.verify()?;
    verifies += 1;
    if code != 0 {
        bail!("at the end (seed {seed:#x}): ledger verify exited {code}: {report}");
    }
    let missing = missing_evidence(&harness.store.join("signoff.db"), &acknowledged_ids)?;
    if !missing.is_empty() {
        bail!("seed {seed:#x}: {} acknowledged captures are gone: {missing:?}", missing.len());
    }
    let elapsed = started.elapsed();
    println!(
        "{kills} kills wanted: {killed} processes killed mid-capture in {rounds} rounds, {} acknowledged captures all in the store, ledger verify passed {verifies} times ({} entries); {:.0} s, seed {seed:#x}",
        acknowledged_ids.len(),
        report["entries"],
        elapsed.as_secs_f64()
    );
    if args.iter().any(|arg| arg == "--keep") {
        eprintln!("kept {}", scratch.display());
    } else {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    Ok(())
}

/// The acknowledged evidence ids the store does not hold.
fn missing_evidence(database: &Path, ids: &[String]) -> anyhow::Result<Vec<String>> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        use sqlx::Connection;
        let mut connection =
            sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", database.display())).await?;
        let mut missing = Vec::new();
        for id in ids {
            let found: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM evidence WHERE id = $1")
                .bind(id)
                .fetch_one(&mut connection)
                .await?;
            if found != 1 {
                missing.push(id.clone());
            }
        }
        Ok(missing)
    })
}
