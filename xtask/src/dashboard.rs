//! `cargo xtask bench-dashboard`: every dashboard page's server time on the
//! 100,000-release store (issue 13, requirement 4: at most 200 ms each).
//!
//! It builds signoff in release mode, generates (or reuses, with `--store`) the
//! synthetic store, issues a read token, starts `signoff serve` on 127.0.0.1:0,
//! signs in as a browser does (form, CSRF cookie, session cookie) and requests
//! each page `--runs` times over loopback, one request at a time, printing the
//! median, 95th percentile and maximum of the time from the request's first byte
//! sent to the answer's last byte read (loopback adds well under a millisecond).
//! `--server-log FILE` keeps the server's log there, at the level `SIGNOFF_LOG`
//! names (`SIGNOFF_LOG=sqlx::query=debug` logs every statement with its time).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use crate::{build_signoff, flag};

/// The pages timed: the project, release and searches the synthetic store has.
const PAGES: &[&str] = &[
    "/ui/releases",
    "/ui/releases?project=service-007",
    "/ui/releases?status=certified",
    "/ui/releases?status=uncertified",
    "/ui/releases?environment=prod",
    "/ui/releases?q=1.0.10",
    "/ui/releases/service-007/1.0.10",
    "/ui/findings?project=service-007",
    "/ui/exceptions",
    "/ui/controls?project=service-007",
    "/ui/inventory?project=service-007",
    "/ui/inventory",
    "/ui/health?project=service-007",
    "/ui/health",
    "/ui/metrics?project=service-007",
    "/ui/metrics",
];

/// The answer to one request: status, headers (lower-case names), body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

/// One HTTP/1.1 request on a fresh connection (`Connection: close`).
fn request(address: &str, method: &str, path: &str, cookie: &str, body: Option<&str>) -> anyhow::Result<Answer> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    if !cookie.is_empty() {
        head.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    if let Some(body) = body {
        head.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    head.push_str(body.unwrap_or(""));
    stream.write_all(head.as_bytes())?;
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line)?;
    let status: u16 = status_line.split_whitespace().nth(1).context("no status line")?.parse()?;
    let mut headers = Vec::new();
    let mut chunked = false;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim().to_ascii_lowercase();
            if name == "transfer-encoding" && value.contains("chunked") {
                chunked = true;
            }
            headers.push((name, value.trim().to_owned()));
        }
    }
    let mut raw = Vec::new();
    reader.read_to_end(&mut raw)?;
    let body = if chunked { dechunk(&raw) } else { raw };
    Ok(Answer { status, headers, body: String::from_utf8_lossy(&body).into_owned() })
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = raw.windows(2).position(|pair| pair == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&raw[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = end + 2;
        out.extend_from_slice(&raw[start..(start + size).min(raw.len())]);
        raw = &raw[(start + size + 2).min(raw.len())..];
    }
    out
}

/// `name=value` of each cookie the answer sets.
fn cookies(answer: &Answer) -> Vec<String> {
    answer
        .headers
        .iter()
        .filter(|(name, _)| name == "set-cookie")
        .filter_map(|(_, value)| value.split(';').next().map(str::to_owned))
        .collect()
}

fn csrf_of(page: &str) -> anyhow::Result<String> {
    let marker = "name=\"csrf\" value=\"";
    let at = page.find(marker).context("no CSRF token in the page")? + marker.len();
    Ok(page[at..].split('"').next().unwrap_or_default().to_owned())
}

/// The server, stopped when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn bench_dashboard(args: &[String]) -> anyhow::Result<()> {
    let releases: u64 = flag(args, "--releases").unwrap_or_else(|| "100000".into()).parse()?;
    let runs: usize = flag(args, "--runs").unwrap_or_else(|| "10".into()).parse()?;
    let signoff = build_signoff(args)?.display().to_string();
    let (store, keep) = match flag(args, "--store") {
        Some(dir) => (PathBuf::from(dir), true),
        None => (std::env::temp_dir().join(format!("signoff-bench-dashboard-{}", std::process::id())), false),
    };
    let store_text = store.display().to_string();
    if !store.join("signoff.db").exists() {
        eprintln!("generating {releases} releases in {store_text}...");
        let init = Command::new(&signoff).args(["--store", &store_text, "init"]).output()?;
        if !init.status.success() {
            bail!("signoff init failed: {}", String::from_utf8_lossy(&init.stderr));
        }
        crate::generate_store(&["--store".into(), store_text.clone(), "--releases".into(), releases.to_string()])?;
    }
    let issued = Command::new(&signoff)
        .args([
            "--store",
            &store_text,
            "token",
            "create",
            "--name",
            "bench-dashboard",
            "--scope",
            "read",
            "--actor",
            "bench",
            "--expires",
            "1d",
            "--json",
        ])
        .output()?;
    if !issued.status.success() {
        bail!("signoff token create failed: {}", String::from_utf8_lossy(&issued.stderr));
    }
    let token: serde_json::Value = serde_json::from_slice(&issued.stdout)?;
    let secret = token["secret"].as_str().context("no secret in the token answer")?.to_owned();

    let server_log = match flag(args, "--server-log") {
        Some(path) => Some(std::fs::File::create(&path).with_context(|| format!("cannot create {path}"))?),
        None => None,
    };
    let level = if server_log.is_some() {
        std::env::var("SIGNOFF_LOG").unwrap_or_else(|_| "info".into())
    } else {
        "warn".into()
    };
    let mut child = Command::new(&signoff)
        .args(["--store", &store_text, "serve", "--listen", "127.0.0.1:0", "--rate-limit", "0"])
        .env("SIGNOFF_LOG", level)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let stderr = child.stderr.take().context("no stderr")?;
    let server = Server(child);
    let mut lines = BufReader::new(stderr).lines();
    let address = loop {
        let line = lines.next().context("the server stopped before listening")??;
        if let Some(rest) = line.strip_prefix("listening on http://") {
            break rest.split_whitespace().next().unwrap_or_default().to_owned();
        }
    };
    // Keep draining the server's log so it never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut server_log = server_log;
        for line in lines.by_ref().map_while(Result::ok) {
            if let Some(file) = server_log.as_mut() {
                let _ = writeln!(file, "{line}");
            }
        }
    });

    let form = request(&address, "GET", "/ui/sign-in", "", None)?;
    let csrf = csrf_of(&form.body)?;
    let sign_in_cookie = cookies(&form).join("; ");
    let encode = |text: &str| utf8_percent_encode(text, NON_ALPHANUMERIC).to_string();
    let body = format!("token={}&csrf={}&next=%2Fui%2Freleases", encode(&secret), encode(&csrf));
    let signed = request(&address, "POST", "/ui/sign-in", &sign_in_cookie, Some(&body))?;
    if signed.status != 303 {
        bail!("sign-in answered {}: {}", signed.status, signed.body);
    }
    let session = cookies(&signed)
        .into_iter()
        .filter(|cookie| cookie.starts_with("signoff_session="))
        .collect::<Vec<_>>()
        .join("; ");

    println!("store: {store_text}; {runs} requests per page, one at a time, after one warm-up request");
    println!();
    println!("| page | status | bytes | p50 | p95 | max |");
    println!("|---|---|---|---|---|---|");
    let mut slowest: f64 = 0.0;
    // `--only TEXT`: the pages whose path contains it (to time one page after a change).
    let only = flag(args, "--only");
    for page in PAGES.iter().filter(|page| only.as_deref().is_none_or(|text| page.contains(text))) {
        let warm = request(&address, "GET", page, &session, None)?;
        let mut times = Vec::new();
        for _ in 0..runs {
            let started = Instant::now();
            let answer = request(&address, "GET", page, &session, None)?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            if answer.status != warm.status {
                bail!("{page}: {} then {}", warm.status, answer.status);
            }
        }
        times.sort_by(f64::total_cmp);
        let at = |fraction: f64| times[((times.len() - 1) as f64 * fraction).round() as usize];
        let max = times.last().copied().unwrap_or(f64::NAN);
        slowest = slowest.max(at(0.95));
        println!(
            "| `{page}` | {} | {} | {:.0} ms | {:.0} ms | {:.0} ms |",
            warm.status,
            warm.body.len(),
            at(0.5),
            at(0.95),
            max
        );
    }
    println!();
    println!("slowest p95: {slowest:.0} ms (target: 200 ms)");
    drop(server);
    if !keep {
        let _ = std::fs::remove_dir_all(&store);
    }
    Ok(())
}
