//! The dashboard in a real browser: headless Chromium driven over WebDriver
//! (chromedriver, fantoccini) against a live server over a generated store.
//! Signs in, browses every page, follows a release to its raw evidence,
//! approves an exception as a second human, sees a capture made through the
//! API appear live, checks that a read-only token sees no write control, and
//! saves a screenshot of each page under `target/dashboard-screenshots/`; axe-core
//! runs inside each page and finds no serious or critical accessibility
//! violation.
//!
//! Skipped, with a message, where Chromium or chromedriver is absent (CI
//! installs both: `.ci/run`). `SIGNOFF_CHROMIUM` and `SIGNOFF_CHROMEDRIVER`
//! name other binaries.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use signoff_app::access::Scope;
use signoff_core::records::ActorKind;
use signoff_server::ServerConfig;

use crate::dashboard::HOSTILE_SARIF;
use crate::util::{commit, example, root, seed, sqlite_server};

/// axe-core, vendored from npm (`tests/data/README.md`).
const AXE: &str = include_str!("../data/axe-4.14.1.min.js");

/// How long any one wait in the browser may take.
const WAIT: Duration = Duration::from_secs(30);

fn binary(variable: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Ok(path) = std::env::var(variable) {
        return Some(PathBuf::from(path));
    }
    candidates.iter().map(PathBuf::from).find(|path| path.is_file())
}

/// chromedriver on a loopback port; killed when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_driver(path: &Path) -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(path)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let driver = Driver { child, url: format!("http://127.0.0.1:{port}") };
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let started = Instant::now();
    loop {
        if let Ok(response) = client.get(format!("{}/status", driver.url)).send().await
            && response.status().is_success()
        {
            return driver;
        }
        assert!(started.elapsed() < WAIT, "chromedriver did not start within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn browser(driver: &Driver, chromium: &Path, profile: &Path) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".into(), "chrome".into());
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000", format!("--user-data-dir={}", profile.display())],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = ClientBuilder::new(connector).capabilities(capabilities).connect(&driver.url).await.unwrap();
    client
        .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(None, Some(WAIT), Some(Duration::ZERO)))
        .await
        .unwrap();
    client
}

fn screenshots() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from);
    let folder = target.join("dashboard-screenshots");
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

/// Runs axe-core in the page and fails on any serious or critical violation.
async fn accessible(client: &Client, name: &str) {
    let loaded = client.execute(&format!("{AXE}\n;return typeof axe;"), vec![]).await.unwrap();
    assert_eq!(loaded, serde_json::json!("object"), "{name}: axe-core did not load");
    let script = "const done = arguments[arguments.length - 1]; \
        axe.run(document, { resultTypes: ['violations'] }) \
          .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical') \
            .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', ')))) \
          .catch(e => done(['axe failed: ' + e]));";
    let violations = client.execute_async(script, vec![]).await.unwrap();
    assert_eq!(violations, serde_json::json!([]), "{name}: accessibility violations");
}

/// Checks a dashboard page's accessibility, then saves its screenshot.
async fn page(client: &Client, name: &str) {
    accessible(client, name).await;
    shot(client, name).await;
}

async fn shot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

async fn wait_for(client: &Client, css: &str) -> fantoccini::elements::Element {
    client.wait().at_most(WAIT).for_element(Locator::Css(css)).await.unwrap_or_else(|error| {
        panic!("no {css} within {WAIT:?}: {error}");
    })
}

/// Waits until the browser's URL contains `needle` (a navigation finished
/// starting: elements found before could be the old page's).
async fn wait_url(client: &Client, needle: &str) {
    let started = Instant::now();
    while !client.current_url().await.unwrap().as_str().contains(needle) {
        assert!(started.elapsed() < WAIT, "no page at a URL with {needle} within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn sign_in(client: &Client, base: &str, token: &str) {
    client.goto(&format!("{base}/ui/releases")).await.unwrap();
    let field = wait_for(client, "input#token").await;
    assert!(client.current_url().await.unwrap().path().ends_with("/ui/sign-in"), "pages need a session");
    field.send_keys(token).await.unwrap();
    client.find(Locator::Css("button#sign-in")).await.unwrap().click().await.unwrap();
    wait_for(client, "table#releases").await;
}

async fn sign_out(client: &Client) {
    client.find(Locator::Css("header form button")).await.unwrap().click().await.unwrap();
    wait_for(client, "input#token").await;
}

/// Whether the page's SSE connection is open (the htmx SSE extension keeps its
/// EventSource in the element's internal data).
async fn live_connected(client: &Client) -> bool {
    let script = "const e = document.querySelector('[sse-connect]'); const d = e && e['htmx-internal-data']; \
                  return !!(d && d.sseEventSource && d.sseEventSource.readyState === 1);";
    client.execute(script, vec![]).await.unwrap().as_bool().unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_in_a_real_browser() {
    let (Some(chromium), Some(chromedriver)) = (
        binary("SIGNOFF_CHROMIUM", &["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]),
        binary("SIGNOFF_CHROMEDRIVER", &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]),
    ) else {
        eprintln!(
            "skipping the browser test: Chromium and chromedriver are not installed \
             (Debian: apt-get install chromium chromium-driver; or set SIGNOFF_CHROMIUM and SIGNOFF_CHROMEDRIVER)"
        );
        return;
    };

    // A generated store (three projects, 120 releases: three pages), then a
    // release of real tool outputs, newest, with markup in one finding.
    let server = sqlite_server(ServerConfig::default()).await;
    let shape =
        signoff_app::synthetic::Shape { releases: 120, evidence_per_release: 2, findings_per_scan: 5, projects: 3 };
    signoff_app::synthetic::generate(&server.signoff, shape, &|_| {}).await.unwrap();
    let ci = server.token("ci", &[Scope::Capture, Scope::Release], &[], ActorKind::Bot).await;
    let response = server
        .client
        .post(server.url("/api/v1/captures"))
        .query(&[("project", "shop"), ("name", "evil.sarif"), ("commit", &commit("shop"))])
        .bearer_auth(&ci)
        .body(HOSTILE_SARIF)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    seed(&server, "shop").await;
    let requester = server.token("dave", &[Scope::Release, Scope::Read], &[], ActorKind::Human).await;
    let response = server
        .client
        .post(server.url("/api/v1/exceptions"))
        .bearer_auth(&requester)
        .json(&serde_json::json!({"criterion": "no-critical", "project": "shop", "reason": "accepted until the vendor ships a fix", "expires": "2099-12-31"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let exception: serde_json::Value = response.json().await.unwrap();
    let exception = exception["id"].as_str().unwrap().to_owned();
    let approver = server.token("carol", &[Scope::Approve, Scope::Read], &[], ActorKind::Human).await;
    let reader = server.token("auditor", &[Scope::Read], &[], ActorKind::Human).await;

    let driver = start_driver(&chromedriver).await;
    let profile = tempfile::tempdir().unwrap();
    let client = browser(&driver, &chromium, profile.path()).await;
    let base = server.base.clone();

    // Sign in; the releases list, newest first, a page at a time.
    client.goto(&format!("{base}/ui/sign-in")).await.unwrap();
    wait_for(&client, "input#token").await;
    page(&client, "sign-in").await;
    sign_in(&client, &base, &approver).await;
    assert_eq!(client.find(Locator::Css("#me")).await.unwrap().text().await.unwrap(), "carol");
    let rows = client.find_all(Locator::Css("table#releases tbody tr")).await.unwrap();
    assert_eq!(rows.len(), 50, "a page of 50");
    let first = client.find(Locator::Css("table#releases a.release")).await.unwrap().text().await.unwrap();
    assert_eq!(first, "shop@1.0.0", "newest first");
    page(&client, "releases").await;
    client.find(Locator::Css("a#next-page")).await.unwrap().click().await.unwrap();
    wait_url(&client, "before=").await;
    wait_for(&client, "table#releases").await;
    let second = client.find(Locator::Css("table#releases a.release")).await.unwrap().text().await.unwrap();
    assert_ne!(second, first, "the next page starts after the first");

    // Filter by status with the form.
    client.goto(&format!("{base}/ui/releases")).await.unwrap();
    wait_for(&client, "select#f-status").await.select_by_value("rejected").await.unwrap();
    client.find(Locator::Css("form.filters button")).await.unwrap().click().await.unwrap();
    wait_url(&client, "status=rejected").await;
    wait_for(&client, "table#releases").await;
    let statuses = client.find_all(Locator::Css("table#releases td .status")).await.unwrap();
    assert!(!statuses.is_empty(), "the generated store has rejected releases");
    for status in statuses {
        assert_eq!(status.text().await.unwrap(), "rejected");
    }

    // A release's trace, then its raw evidence.
    client.goto(&format!("{base}/ui/releases")).await.unwrap();
    wait_for(&client, "table#releases a.release").await.click().await.unwrap();
    wait_for(&client, "table#evidence-table").await;
    let heading = client.find(Locator::Css("h1")).await.unwrap().text().await.unwrap();
    assert!(heading.starts_with("shop@1.0.0"), "{heading}");
    let titles = client.find_all(Locator::Css("td.finding-title")).await.unwrap();
    let mut texts = Vec::new();
    for title in titles {
        texts.push(title.text().await.unwrap());
    }
    assert!(
        texts.iter().any(|text| text.contains("<script>alert('finding')</script>")),
        "the finding's markup is shown as text: {texts:?}"
    );
    let scripts = client.execute("return document.scripts.length;", vec![]).await.unwrap();
    assert_eq!(scripts, serde_json::json!(3), "no script from the store became an element");
    page(&client, "release").await;
    let raw = client.find(Locator::XPath("//a[@class='raw' and text()='bandit.sarif']")).await.unwrap();
    raw.click().await.unwrap();
    wait_url(&client, "/evidence/sha256").await;
    let body = wait_for(&client, "body").await.text().await.unwrap();
    let expected = String::from_utf8(example("v1", "bandit.sarif")).unwrap();
    assert!(expected.contains(body.lines().next().unwrap_or("-").trim()), "raw evidence is the captured bytes");
    assert!(body.contains("\"$schema\"") || body.contains("\"version\""), "{body}");
    shot(&client, "raw-evidence").await;
    client.back().await.unwrap();
    wait_for(&client, "a.verify").await.click().await.unwrap();
    wait_for(&client, "#verified").await;
    page(&client, "ledger-entry").await;

    // Findings and controls.
    client.goto(&format!("{base}/ui/findings?project=shop&status=all")).await.unwrap();
    wait_for(&client, "table#findings").await;
    page(&client, "findings").await;
    client.goto(&format!("{base}/ui/controls?project=shop")).await.unwrap();
    wait_for(&client, "main h1").await;
    page(&client, "controls").await;
    // A cell leads to the control's month: the evidence behind it and its gaps.
    client.find(Locator::Css("table.controls td a")).await.unwrap().click().await.unwrap();
    wait_for(&client, "table#control-evidence").await;
    page(&client, "control").await;

    // The signal inventory, health and metrics pages, reached from the navigation.
    client.find(Locator::Css("nav a[href='/ui/inventory']")).await.unwrap().click().await.unwrap();
    wait_url(&client, "/ui/inventory").await;
    let sources = client.find_all(Locator::Css("table.sources tbody tr")).await.unwrap();
    assert!(sources.len() >= 4, "every project's sources: {}", sources.len());
    page(&client, "inventory").await;
    client.find(Locator::Css("nav a[href='/ui/health']")).await.unwrap().click().await.unwrap();
    wait_url(&client, "/ui/health").await;
    let size = wait_for(&client, "#ledger-size").await.text().await.unwrap();
    assert_eq!(size, server.size().await.to_string(), "the ledger's size");
    assert!(wait_for(&client, "#last-verify").await.text().await.unwrap().starts_with("No record"));
    page(&client, "health").await;
    client.find(Locator::Css("nav a[href='/ui/metrics']")).await.unwrap().click().await.unwrap();
    wait_url(&client, "/ui/metrics").await;
    // Every project: time to fix is asked per project.
    let charts = client.find_all(Locator::Css("figure.chart svg")).await.unwrap();
    assert_eq!(charts.len(), 3, "three charts over every project, drawn on the server");
    wait_for(&client, "#time-to-fix-note").await;
    client.goto(&format!("{base}/ui/metrics?project=shop")).await.unwrap();
    let charts = client.find_all(Locator::Css("figure.chart svg")).await.unwrap();
    assert_eq!(charts.len(), 4, "four charts for one project");
    page(&client, "metrics").await;

    // The auditor's request list.
    let list = std::fs::read(crate::util::root().join("examples/pbc/soc2-requests.csv")).unwrap();
    let lead =
        signoff_core::records::Actor { id: "carol".into(), kind: ActorKind::Human, on_behalf_of: None, source: None };
    signoff_app::pbc::import(&server.signoff, "soc2-requests.csv", &list, lead).await.unwrap();
    client.find(Locator::Css("nav a[href='/ui/audit-requests']")).await.unwrap().click().await.unwrap();
    wait_url(&client, "/ui/audit-requests").await;
    let requests = client.find_all(Locator::Css("table#audit-requests tbody tr")).await.unwrap();
    assert_eq!(requests.len(), 5, "the five requests of the example list");
    page(&client, "audit-requests").await;
    client.find(Locator::Css("nav a[href='/ui/sync']")).await.unwrap().click().await.unwrap();
    wait_url(&client, "/ui/sync").await;
    wait_for(&client, "table#destinations").await;
    page(&client, "sync").await;

    // Approve the exception as a second human.
    client.goto(&format!("{base}/ui/exceptions")).await.unwrap();
    wait_for(&client, &format!("tr#exception-{exception} button.approve")).await.click().await.unwrap();
    let notice = wait_for(&client, "#notice").await.text().await.unwrap();
    assert_eq!(notice, format!("{exception} approved."));
    page(&client, "exceptions").await;
    let view = signoff_app::decide::exception(&server.signoff, &exception).await.unwrap();
    assert_eq!(view.approved_by.unwrap().id, "carol");

    // A capture made through the API shows up on the open page.
    client.goto(&format!("{base}/ui/releases")).await.unwrap();
    wait_for(&client, "ol#live").await;
    let started = Instant::now();
    while !live_connected(&client).await {
        assert!(started.elapsed() < WAIT, "the page's event stream did not open within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let response = server
        .client
        .post(server.url("/api/v1/captures"))
        .query(&[("project", "shop"), ("name", "live-junit.xml"), ("commit", &commit("shop"))])
        .bearer_auth(&ci)
        .body(example("v1", "junit.xml"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let item = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath("//ol[@id='live']/li[contains(., 'live-junit.xml')]"))
        .await
        .expect("the capture appears on the open page");
    assert!(item.text().await.unwrap().contains("by ci"));
    client.execute("document.getElementById('live').scrollIntoView();", vec![]).await.unwrap();
    page(&client, "live").await;

    // At a phone's width.
    client.set_window_size(390, 844).await.unwrap();
    client.goto(&format!("{base}/ui/releases")).await.unwrap();
    wait_for(&client, "table#releases").await;
    page(&client, "releases-phone").await;
    client.set_window_size(1280, 1000).await.unwrap();

    // A read-only token sees no write control.
    sign_out(&client).await;
    sign_in(&client, &base, &reader).await;
    client.goto(&format!("{base}/ui/exceptions")).await.unwrap();
    wait_for(&client, "table#exceptions").await;
    let controls = client.find_all(Locator::Css("main form, main button")).await.unwrap();
    assert!(controls.is_empty(), "a read-only token sees no write control");
    let who = client.find(Locator::Css("header .who")).await.unwrap().text().await.unwrap();
    assert!(who.contains("read-only"), "{who}");
    page(&client, "exceptions-read-only").await;

    client.close().await.unwrap();
    drop(driver);
    eprintln!("screenshots in {}", screenshots().display());
}

#[test]
fn the_vendored_axe_is_the_one_recorded() {
    let sums = include_str!("../data/SHA256SUMS");
    let (sum, name) = sums.trim().split_once("  ").unwrap();
    assert_eq!(name, "axe-4.14.1.min.js");
    assert_eq!(signoff_core::Digest::of(AXE.as_bytes()).to_hex(), sum);
}
