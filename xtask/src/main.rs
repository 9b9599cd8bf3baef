//! Project automation, in Rust so that only cargo is needed.
//!
//! Run with `cargo xtask <command>`:
//!
//! - `bench [--results 50000,500000] [--runs 3] [--keep DIR]`: builds signoff in
//!   release mode (every command that builds signoff takes `--profile dist` to
//!   measure the build that ships instead), generates SARIF logs with that many
//!   results, and measures `signoff inspect` (parse only) and `signoff capture`
//!   (read, hash, parse, normalize, store, ledger; a new store each run) beside
//!   `sha256sum` of the same file: the median run's wall time, MB/s and
//!   findings/s, and the largest peak RSS. Figures go in BENCHMARKS.md.
//! - `bench-audit [--releases 100000] [--store DIR] [--runs 5]`: builds signoff in
//!   release mode, generates (or reuses, with `--store`) a store of that many
//!   releases with `generate-store` (10 evidence items and about 50 findings
//!   per release), then times each standard audit question, a search and a trace
//!   in fresh processes (median of the runs, process start included) beside the
//!   answer's own time, and `ledger verify` over the whole store (P3, P4).
//! - `bench-dashboard [--releases 100000] [--store DIR] [--runs 10] [--only TEXT]
//!   [--server-log FILE]`: builds
//!   signoff in release mode, generates (or reuses) the store as `bench-audit`
//!   does, serves it on 127.0.0.1:0, signs in with a read token and times every
//!   dashboard page (p50, p95, max; `dashboard.rs`). Target: 200 ms a page.
//! - `bench-formats [--mb 50] [--corpus DIR]`: for every format of the corpus
//!   (`SIGNOFF_CORPUS` or `../shared/corpus`), grows its largest well-formed file to
//!   about that many megabytes (see `scale.rs`) and measures `inspect` and `capture`
//!   beside `sha256sum`, as `bench` does for SARIF.
//! - `bench-kill [--kills 1000] [--seed HEX] [--keep]`: kills captures with
//!   SIGKILL at random moments until that many were killed mid-run, two writers at
//!   a time, then checks that `ledger verify` passes and every capture that was
//!   acknowledged is in the store (`kill.rs`; C5, R2). Its short form runs in
//!   every `cargo test` (`durability` in the CLI's suite).
//! - `bench-serve [--seconds 30 | --soak 600] [--clients 64] [--max-group 64]
//!   [--kill-every SECONDS]`: `signoff serve` under 64 concurrent pipelines
//!   posting small captures: captures/s, latency percentiles, the server's peak
//!   RSS, captures per commit; with `--kill-every`, SIGKILLs of the server at
//!   random moments; always ends with `ledger verify` and a check that every
//!   acknowledged capture is stored once (`serve.rs`; P5, R6).
//! - `gen-sarif --results N --out FILE`: writes one such SARIF log.
//! - `generate-store --store DIR [--releases 1000] [--projects 50]`: fills an
//!   initialised store with a realistic synthetic history (P3) through the ordinary
//!   ledger batch, so it verifies like any store (`signoff_app::synthetic`, a
//!   feature the `signoff` binary does not carry).
//! - `measure [--stdout FILE] -- COMMAND...`: runs a command and prints its wall
//!   time and peak RSS as JSON (used by `bench`, one fresh process per measurement
//!   so the peak is the command's own); the command's output is discarded, or kept
//!   in FILE.

mod dashboard;
mod generate;
mod kill;
mod scale;
mod serve;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("bench") => bench(&args[1..]),
        Some("bench-audit") => bench_audit(&args[1..]),
        Some("bench-dashboard") => dashboard::bench_dashboard(&args[1..]),
        Some("bench-formats") => bench_formats(&args[1..]),
        Some("bench-kill") => kill::bench_kill(&args[1..]),
        Some("bench-serve") => serve::bench_serve(&args[1..]),
        Some("gen-sarif") => {
            let results = flag(&args, "--results").unwrap_or_else(|| "50000".into()).parse()?;
            let out = PathBuf::from(flag(&args, "--out").context("--out FILE is required")?);
            let bytes = generate::sarif(&out, results)?;
            println!("wrote {} ({} results, {} bytes)", out.display(), results, bytes);
            Ok(())
        }
        Some("measure") => measure(&args[1..]),
        Some("generate-store") => generate_store(&args[1..]),
        _ => {
            eprintln!("usage: cargo xtask bench [--results 50000,500000] [--runs 3] [--keep DIR]");
            eprintln!("       cargo xtask bench-audit [--releases 100000] [--store DIR] [--runs 5]");
            eprintln!(
                "       cargo xtask bench-dashboard [--releases 100000] [--store DIR] [--runs 10] [--only TEXT] [--server-log FILE]"
            );
            eprintln!("       cargo xtask bench-formats [--mb 50] [--corpus DIR]");
            eprintln!("       cargo xtask bench-kill [--kills 1000] [--seed HEX] [--keep]");
            eprintln!(
                "       cargo xtask bench-serve [--seconds 30 | --soak 600] [--clients 64] [--max-group 64] [--kill-every S]"
            );
            eprintln!("       cargo xtask gen-sarif --results N --out FILE");
            eprintln!("       cargo xtask generate-store --store DIR [--releases 1000] [--projects 50]");
            eprintln!("       cargo xtask measure [--stdout FILE] -- COMMAND...");
            bail!("unknown or missing command")
        }
    }
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|arg| arg == name).and_then(|index| args.get(index + 1)).cloned()
}

/// Runs a command, waits, and prints `{"seconds": .., "max_rss_kb": .., "status": ..}`.
fn measure(args: &[String]) -> anyhow::Result<()> {
    let command: Vec<&String> = args.iter().skip_while(|arg| *arg != "--").skip(1).collect();
    let (program, rest) = command.split_first().context("measure -- COMMAND...")?;
    let stdout = match flag(&args[..args.iter().position(|arg| arg == "--").unwrap_or(0)], "--stdout") {
        Some(file) => std::process::Stdio::from(std::fs::File::create(file)?),
        None => std::process::Stdio::null(),
    };
    let started = Instant::now();
    let status = Command::new(program).args(rest).stdout(stdout).status()?;
    let seconds = started.elapsed().as_secs_f64();
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)?;
    println!("{}", serde_json::json!({"seconds": seconds, "max_rss_kb": usage.max_rss(), "status": status.code()}));
    Ok(())
}

struct Measured {
    seconds: f64,
    max_rss_kb: i64,
}

/// Measures `command` in a fresh `xtask measure` process.
fn measured(xtask: &Path, command: &[&str]) -> anyhow::Result<Measured> {
    measured_keeping(xtask, command, None)
}

/// Measures `command`, keeping its standard output in `stdout` when given.
fn measured_keeping(xtask: &Path, command: &[&str], stdout: Option<&Path>) -> anyhow::Result<Measured> {
    let mut measure = Command::new(xtask);
    measure.arg("measure");
    if let Some(file) = stdout {
        measure.arg("--stdout").arg(file);
    }
    let output = measure.arg("--").args(command).output()?;
    if !output.status.success() {
        bail!("measure failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    if report["status"] != 0 {
        bail!("{command:?} exited {}", report["status"]);
    }
    Ok(Measured {
        seconds: report["seconds"].as_f64().unwrap_or(f64::NAN),
        max_rss_kb: report["max_rss_kb"].as_i64().unwrap_or(0),
    })
}

/// The run of median wall time among `runs` runs (the machine is shared and
/// virtualised: one run can be slowed by a neighbour), with the largest peak RSS
/// seen in any of them.
fn median_run(runs: usize, mut run: impl FnMut() -> anyhow::Result<Measured>) -> anyhow::Result<Measured> {
    let mut all = (0..runs.max(1)).map(|_| run()).collect::<anyhow::Result<Vec<Measured>>>()?;
    let max_rss_kb = all.iter().map(|measured| measured.max_rss_kb).max().unwrap_or(0);
    all.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    let middle = all.swap_remove(all.len() / 2);
    Ok(Measured { max_rss_kb, ..middle })
}

/// `signoff --store STORE capture FILE` for the benchmark project at `commit`.
fn capture_args<'a>(signoff: &'a str, store: &'a str, file: &'a str, commit: &'a str) -> Vec<&'a str> {
    vec![signoff, "--store", store, "capture", file, "--project", "bench", "--commit", commit]
}

/// Builds the `signoff` binary with the cargo profile `--profile` names (`release`
/// unless told; `dist` is what ships) and returns its path.
fn build_signoff(args: &[String]) -> anyhow::Result<PathBuf> {
    let profile = flag(args, "--profile").unwrap_or_else(|| "release".into());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().context("xtask lives in the workspace")?.to_owned();
    eprintln!("building signoff ({profile} profile)...");
    let status = Command::new(env!("CARGO"))
        .args(["build", "--profile", &profile, "--quiet", "-p", "signoff-cli"])
        .current_dir(&root)
        .status()?;
    if !status.success() {
        bail!("cargo build failed");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    // The dev profile's output folder is `debug`; every other profile's is its name.
    let folder = if profile == "dev" { "debug" } else { profile.as_str() };
    Ok(target.join(folder).join("signoff"))
}

fn bench(args: &[String]) -> anyhow::Result<()> {
    let counts: Vec<u64> = flag(args, "--results")
        .unwrap_or_else(|| "50000,500000".into())
        .split(',')
        .map(|count| count.trim().parse())
        .collect::<Result<_, _>>()?;
    let runs: usize = flag(args, "--runs").unwrap_or_else(|| "3".into()).parse()?;
    let signoff = build_signoff(args)?;
    let xtask = std::env::current_exe()?;
    let scratch = match flag(args, "--keep") {
        Some(dir) => PathBuf::from(dir),
        None => std::env::temp_dir().join(format!("signoff-bench-{}", std::process::id())),
    };
    std::fs::create_dir_all(&scratch)?;

    println!(
        "| input | size | sha256sum | inspect (parse) | capture (end to end) | capture findings/s | capture peak RSS | capture ÷ sha256sum |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for count in counts {
        let file = scratch.join(format!("bench-{count}.sarif"));
        let size = generate::sarif(&file, count)?;
        let mb = size as f64 / 1e6;
        let file_text = file.display().to_string();
        // Warm the page cache so every measurement reads from memory.
        measured(&xtask, &["sha256sum", &file_text])?;
        let hash = median_run(runs, || measured(&xtask, &["sha256sum", &file_text]))?;
        let inspect =
            median_run(runs, || measured(&xtask, &[signoff.to_str().unwrap_or_default(), "inspect", &file_text]))?;
        let store = scratch.join(format!("store-{count}"));
        let store_text = store.display().to_string();
        let signoff_text = signoff.display().to_string();
        let commit = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"bench"))[..40].to_owned();
        // Each capture goes into a new store.
        let capture = median_run(runs, || {
            let _ = std::fs::remove_dir_all(&store);
            measured(&xtask, &[&signoff_text, "--store", &store_text, "init"])?;
            measured(&xtask, &capture_args(&signoff_text, &store_text, &file_text, &commit))
        })?;
        println!(
            "| SARIF, {count} results | {mb:.0} MB | {:.2} s ({:.0} MB/s) | {:.2} s ({:.0} MB/s, {} MB RSS) | {:.2} s ({:.0} MB/s) | {:.0} | {} MB | {:.1}× |",
            hash.seconds,
            mb / hash.seconds,
            inspect.seconds,
            mb / inspect.seconds,
            inspect.max_rss_kb / 1024,
            capture.seconds,
            mb / capture.seconds,
            count as f64 / capture.seconds,
            capture.max_rss_kb / 1024,
            capture.seconds / hash.seconds,
        );
        if flag(args, "--keep").is_none() {
            let _ = std::fs::remove_dir_all(&store);
            let _ = std::fs::remove_file(&file);
        }
    }
    if flag(args, "--keep").is_none() {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    Ok(())
}

/// Capture throughput and peak memory per format, on corpus files grown large.
fn bench_formats(args: &[String]) -> anyhow::Result<()> {
    let megabytes: u64 = flag(args, "--mb").unwrap_or_else(|| "50".into()).parse()?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().context("xtask lives in the workspace")?.to_owned();
    let corpus = flag(args, "--corpus")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("SIGNOFF_CORPUS").map(PathBuf::from))
        .unwrap_or_else(|| root.join("../shared/corpus"));
    let manifest = std::fs::read_to_string(corpus.join("MANIFEST.tsv"))
        .with_context(|| format!("no MANIFEST.tsv in {} (set SIGNOFF_CORPUS or --corpus)", corpus.display()))?;
    // The largest well-formed file of each format.
    let mut largest: std::collections::BTreeMap<String, (u64, PathBuf)> = std::collections::BTreeMap::new();
    for line in manifest.lines().skip(1) {
        let columns: Vec<&str> = line.split('\t').collect();
        let (Some(path), Some(format)) = (columns.first(), columns.get(1)) else { continue };
        if columns.get(6).is_some_and(|notes| notes.contains("malformed")) {
            continue;
        }
        let file = corpus.join(path);
        let size = std::fs::metadata(&file).map_or(0, |meta| meta.len());
        if largest.get(*format).is_none_or(|(best, _)| size > *best) {
            largest.insert((*format).to_owned(), (size, file));
        }
    }
    let signoff = build_signoff(args)?.display().to_string();
    let xtask = std::env::current_exe()?;
    let scratch = std::env::temp_dir().join(format!("signoff-bench-formats-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    println!(
        "| format | grown from | size | sha256sum | inspect (parse) | capture (end to end) | items | capture items/s | capture peak RSS | RSS ÷ size |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (format, (_, source)) in &largest {
        let name = source.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        let file = scratch.join(&name);
        let size = match scale::grow(format, source, &file, megabytes * 1_000_000) {
            Ok(size) => size,
            Err(error) => {
                println!("| {format} | {name} | cannot grow: {error} |||||||");
                continue;
            }
        };
        let mb = size as f64 / 1e6;
        let file_text = file.display().to_string();
        measured(&xtask, &["sha256sum", &file_text])?;
        let hash = measured(&xtask, &["sha256sum", &file_text])?;
        let inspect = measured(&xtask, &[&signoff, "inspect", &file_text]);
        let store = scratch.join("store");
        let _ = std::fs::remove_dir_all(&store);
        let store_text = store.display().to_string();
        measured(&xtask, &[&signoff, "--store", &store_text, "init"])?;
        let commit = "0".repeat(40);
        let report = scratch.join("capture.json");
        let mut command = capture_args(&signoff, &store_text, &file_text, &commit);
        command.push("--json");
        let capture = measured_keeping(&xtask, &command, Some(&report));
        let (inspect, capture) = match (inspect, capture) {
            (Ok(inspect), Ok(capture)) => (inspect, capture),
            (Err(error), _) | (_, Err(error)) => {
                println!("| {format} | {name} | {mb:.0} MB | failed: {error} |||||||");
                continue;
            }
        };
        let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(&report)?)?;
        let summary = &summary["summary"];
        // What the summary counts: findings, tests, components, or coverage lines.
        let (items, what) = [
            (&summary["findings"]["total"], "findings"),
            (&summary["tests"]["total"], "tests"),
            (&summary["components"], "components"),
            (&summary["coverage"]["lines_valid"], "lines"),
        ]
        .into_iter()
        .find_map(|(count, what)| count.as_u64().map(|count| (Some(count), what)))
        .unwrap_or((None, "items"));
        println!(
            "| {format} | {name} | {mb:.0} MB | {:.2} s ({:.0} MB/s) | {:.2} s ({:.0} MB/s, {} MB RSS) | {:.2} s ({:.0} MB/s) | {} {what} | {} | {} MB | {:.1}× |",
            hash.seconds,
            mb / hash.seconds,
            inspect.seconds,
            mb / inspect.seconds,
            inspect.max_rss_kb / 1024,
            capture.seconds,
            mb / capture.seconds,
            items.map_or_else(|| "–".into(), |items| items.to_string()),
            items.map_or_else(|| "–".into(), |items| format!("{:.0}", items as f64 / capture.seconds)),
            capture.max_rss_kb / 1024,
            (capture.max_rss_kb as f64 * 1024.0) / size as f64,
        );
        let _ = std::fs::remove_file(&file);
        let _ = std::fs::remove_dir_all(&store);
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

/// Times the standard audit questions on a generated store (P3) and verifies it (P4).
fn bench_audit(args: &[String]) -> anyhow::Result<()> {
    let releases: u64 = flag(args, "--releases").unwrap_or_else(|| "100000".into()).parse()?;
    let runs: usize = flag(args, "--runs").unwrap_or_else(|| "5".into()).parse()?;
    let signoff = build_signoff(args)?.display().to_string();
    let xtask = std::env::current_exe()?;
    let (store, keep) = match flag(args, "--store") {
        Some(dir) => (PathBuf::from(dir), true),
        None => (std::env::temp_dir().join(format!("signoff-bench-audit-{}", std::process::id())), false),
    };
    let store_text = store.display().to_string();
    if !store.join("signoff.db").exists() {
        eprintln!("generating {releases} releases in {store_text} (progress on the terminal)...");
        let init = Command::new(&signoff).args(["--store", &store_text, "init"]).output()?;
        if !init.status.success() {
            bail!("signoff init failed: {}", String::from_utf8_lossy(&init.stderr));
        }
        let xtask_text = xtask.display().to_string();
        let generated = measured(
            &xtask,
            &[&xtask_text, "generate-store", "--store", &store_text, "--releases", &releases.to_string()],
        )?;
        println!("generation: {:.0} s, {} MB peak RSS", generated.seconds, generated.max_rss_kb / 1024);
    }
    let store_size: u64 = walk_size(&store)?;
    println!("store: {store_text}, {} MB on disk", store_size / 1_000_000);

    // The newest quarter of history: the generator writes one release per hour
    // up to now, so this is the busiest window an auditor would ask about.
    let now = time::OffsetDateTime::now_utc();
    let date = |at: time::OffsetDateTime| format!("{:04}-{:02}-{:02}", at.year(), u8::from(at.month()), at.day());
    let (from, to) = (date(now - time::Duration::days(91)), date(now + time::Duration::days(1)));
    let questions: Vec<(&str, Vec<&str>)> = vec![
        (
            "deployed-without-certification (quarter)",
            vec!["audit", "ask", "deployed-without-certification", "--env", "prod", "--from", &from, "--to", &to],
        ),
        ("population (quarter)", vec!["audit", "ask", "population", "--env", "prod", "--from", &from, "--to", &to]),
        ("scans-for-period (quarter)", vec!["audit", "ask", "scans-for-period", "--from", &from, "--to", &to]),
        ("who-approved", vec!["audit", "ask", "who-approved", "service-007@1.0.10"]),
        ("search (one project, high+)", vec!["audit", "search", "--project", "service-007", "--severity", "high"]),
        ("trace", vec!["audit", "trace", "service-007@1.0.10"]),
    ];
    println!();
    println!("| question | rows | answer time (median) | process wall time (median, start-up included) | peak RSS |");
    println!("|---|---|---|---|---|");
    for (name, question) in questions {
        let mut command = vec![signoff.as_str(), "--store", &store_text];
        command.extend(question.iter().copied());
        let mut walls = Vec::new();
        let mut rss = 0;
        for _ in 0..runs {
            let run = measured(&xtask, &command)?;
            walls.push(run.seconds);
            rss = rss.max(run.max_rss_kb);
        }
        let (answer_ms, rows) = if question[1] == "trace" {
            (None, None)
        } else {
            let mut json = command.clone();
            json.push("--json");
            let output = Command::new(json[0]).args(&json[1..]).output()?;
            let answer: serde_json::Value = serde_json::from_slice(&output.stdout)
                .with_context(|| format!("{name}: {}", String::from_utf8_lossy(&output.stderr)))?;
            let rows = answer["rows"].as_array().map_or(0, Vec::len) as u64 + answer["more"].as_u64().unwrap_or(0);
            (answer["elapsed_ms"].as_f64(), Some(rows))
        };
        println!(
            "| {name} | {} | {} | {:.0} ms | {} MB |",
            rows.map_or_else(|| "–".into(), |rows| rows.to_string()),
            answer_ms.map_or_else(|| "–".into(), |ms| format!("{ms:.1} ms")),
            median(&mut walls) * 1000.0,
            rss / 1024,
        );
    }
    let verified = std::env::temp_dir().join(format!("signoff-bench-verify-{}.json", std::process::id()));
    let timed =
        measured_keeping(&xtask, &[&signoff, "--store", &store_text, "ledger", "verify", "--json"], Some(&verified))?;
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&verified)?)?;
    let _ = std::fs::remove_file(&verified);
    let entries = report["entries"].as_f64().unwrap_or(0.0);
    println!();
    println!(
        "ledger verify: {entries} entries, {} blobs, {} findings in {:.1} s ({:.0} entries/s), {} MB peak RSS",
        report["blobs"],
        report["findings"],
        timed.seconds,
        entries / timed.seconds,
        timed.max_rss_kb / 1024
    );
    if !keep {
        let _ = std::fs::remove_dir_all(&store);
    }
    Ok(())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

fn walk_size(dir: &Path) -> anyhow::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        total += if kind.is_dir() { walk_size(&entry.path())? } else { entry.metadata()?.len() };
    }
    Ok(total)
}

/// Fills an initialised store with a synthetic history (P3 benchmark stores).
fn generate_store(args: &[String]) -> anyhow::Result<()> {
    use signoff_app::synthetic::{Shape, generate};
    let store = PathBuf::from(flag(args, "--store").context("--store DIR is required")?);
    let shape = Shape {
        releases: flag(args, "--releases").unwrap_or_else(|| "1000".into()).parse()?,
        evidence_per_release: flag(args, "--evidence-per-release").unwrap_or_else(|| "10".into()).parse()?,
        findings_per_scan: flag(args, "--findings-per-scan").unwrap_or_else(|| "12".into()).parse()?,
        projects: flag(args, "--projects").unwrap_or_else(|| "50".into()).parse()?,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let started = Instant::now();
    let generated = runtime.block_on(async {
        let signoff = signoff_app::Signoff::open(&store).await?;
        let step = (shape.releases / 20).max(1);
        generate(&signoff, shape, &|done| {
            if done % step == 0 {
                eprintln!("{done}/{} releases", shape.releases);
            }
        })
        .await
    })?;
    println!(
        "generated {} releases, {} evidence items, {} findings, {} ledger entries in {:.1} s",
        generated.releases,
        generated.evidence,
        generated.findings,
        generated.entries,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
