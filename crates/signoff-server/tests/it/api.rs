//! The pipeline through the API on both backends, the operator's routes, and
//! malformed requests: each gets a 4xx problem document and stores nothing.

use signoff_app::access::Scope;
use signoff_core::records::ActorKind;
use signoff_server::ServerConfig;

use crate::util::{artifact, commit, example, monitored_server_with, seed, servers, sqlite_server};

async fn problem(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    assert_eq!(
        response.headers().get("content-type").map(|value| value.to_str().unwrap().to_owned()).as_deref(),
        Some("application/problem+json"),
        "status {status}"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    (status, body["detail"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_pipeline_captures_releases_and_certifies_through_the_api() {
    for server in servers().await {
        seed(&server, "shop").await;
        let ci =
            server.token("ci-shop", &[Scope::Capture, Scope::Release, Scope::Read], &["shop"], ActorKind::Bot).await;
        let response =
            server.client.get(server.url("/api/v1/releases/shop/1.0.0")).bearer_auth(&ci).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let release: serde_json::Value = response.json().await.unwrap();
        assert_eq!(release["totals"]["evidence"], 4, "{}: {release}", server.backend);
        assert_eq!(release["actor"], "seed-shop", "the token's name is the actor recorded");

        // The capture is recorded under the token's identity, whatever the request says.
        let response = server
            .client
            .post(server.url("/api/v1/captures"))
            .query(&[("project", "shop"), ("name", "sbom.cdx.json"), ("commit", &commit("shop"))])
            .bearer_auth(&ci)
            .body(example("v1", "sbom.cdx.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let reports: serde_json::Value = response.json().await.unwrap();
        assert_eq!(reports[0]["file"], "sbom.cdx.json", "{reports}");
        assert_eq!(reports[0]["context"]["actor"], "ci-shop", "{reports}");

        // Certify (a human with the scope), dry run first: a dry run writes nothing.
        let lead = server.token("carol", &[Scope::Certify, Scope::Approve, Scope::Read], &[], ActorKind::Human).await;
        let before = server.size().await;
        let response = server
            .client
            .post(server.url("/api/v1/releases/shop/1.0.0/certify"))
            .bearer_auth(&lead)
            .json(&serde_json::json!({"dry_run": true}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        assert_eq!(server.size().await, before);
        let response = server
            .client
            .post(server.url("/api/v1/releases/shop/1.0.0/certify"))
            .bearer_auth(&lead)
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let certification: serde_json::Value = response.json().await.unwrap();
        assert_eq!(certification["certificate"]["certifier"]["id"], "carol", "{certification}");
        let response = server
            .client
            .get(server.url("/api/v1/gate"))
            .query(&[("artifact", artifact("shop@1.0.0"))])
            .bearer_auth(&ci)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let envelope = server
            .client
            .get(server.url("/api/v1/releases/shop/1.0.0/certificate/envelope"))
            .bearer_auth(&ci)
            .send()
            .await
            .unwrap();
        assert_eq!(envelope.status(), 200);
        let envelope: serde_json::Value = envelope.json().await.unwrap();
        assert_eq!(envelope["payloadType"], "application/vnd.in-toto+json");

        // The same refusal message as the CLI: a release that exists already.
        let response = server
            .client
            .post(server.url("/api/v1/releases"))
            .bearer_auth(&ci)
            .json(&serde_json::json!({"release": "shop@1.0.0", "commit": commit("shop")}))
            .send()
            .await
            .unwrap();
        let (status, detail) = problem(response).await;
        assert_eq!(status, 409);
        assert!(detail.starts_with("release shop@1.0.0 already exists (ledger entry"), "{detail}");

        // Proofs verify against the checkpoint; the public key needs no token.
        let response = server
            .client
            // (Entry 1 is the seed's first capture of shop: entry 0, a token's issue,
            // is of no project and needs a token of every project.)
            .get(server.url("/api/v1/ledger/proofs/inclusion?entry=1"))
            .bearer_auth(&ci)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let response = server.client.get(server.url("/api/v1/public-key")).send().await.unwrap();
        assert_eq!(response.status(), 200);

        // The token list shows last use and no secret.
        let admin = server.token("ops", &[Scope::Admin], &[], ActorKind::Human).await;
        let listed: serde_json::Value = server
            .client
            .get(server.url("/api/v1/tokens"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ci_row = listed.as_array().unwrap().iter().find(|row| row["name"] == "ci-shop").unwrap();
        assert!(ci_row["last_used_at"].is_string(), "{ci_row}");
        assert!(!listed.to_string().contains(ci.rsplit('_').next().unwrap()));

        let verified = signoff_app::verify::verify(&server.signoff, &Default::default()).await.unwrap();
        assert!(verified.ok, "{}: {verified:?}", server.backend);
        server.stop().await;
    }
}

#[tokio::test]
async fn operators_get_health_readiness_metrics_and_request_ids() {
    let server = sqlite_server(ServerConfig::default()).await;
    let response = server.client.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("x-request-id").is_some(), "every answer carries a request id");
    let response = server.client.get(server.url("/readyz")).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-request-id"], "abc-123", "a caller's request id is kept");
    seed(&server, "shop").await;
    let _ = server.client.get(server.url("/api/v1/releases")).send().await.unwrap();

    let admin = server.token("ops", &[Scope::Admin], &[], ActorKind::Human).await;
    let text =
        server.client.get(server.url("/metrics")).bearer_auth(&admin).send().await.unwrap().text().await.unwrap();
    assert!(
        text.contains("signoff_http_requests_total{route=\"/api/v1/captures\",method=\"POST\",status=\"201\"} 4"),
        "{text}"
    );
    assert!(text.contains("signoff_captures_total 4"), "{text}");
    assert!(text.contains("signoff_http_request_duration_seconds_bucket{route=\"/api/v1/captures\",le=\"+Inf\"} 4"));
    assert!(text.contains("signoff_refused_requests_total 1"), "{text}");
    assert!(!text.contains("shop"), "metrics name no project: {text}");
    server.stop().await;
}

/// I2 and G3 in `/metrics`: a certification whose project has sources missing
/// from its latest release raises a silent-source alert per source, counted once
/// however often the project is certified; each configured destination has a
/// failing gauge.
#[tokio::test]
async fn a_certification_alerts_silent_sources_and_metrics_count_them() {
    let server = monitored_server_with(
        "\n[sync.alerts]\nsilent_after = 1\n\n[sync.destinations.drop]\ntype = \"folder\"\npath = \"/nonexistent/drop\"\n",
    )
    .await;
    seed(&server, "shop").await;
    // shop 1.0.1: only the test report came; bandit, semgrep and coverage fell silent.
    let bot = server.token("ci-shop", &[Scope::Capture, Scope::Read], &["shop"], ActorKind::Bot).await;
    let response = server
        .client
        .post(server.url("/api/v1/captures"))
        .query(&[("project", "shop"), ("name", "junit.xml"), ("commit", &commit("shop 1.0.1"))])
        .bearer_auth(&bot)
        .body(example("v1", "junit.xml"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let release = "shop@1.0.1";
    let creator = server.token("rel", &Scope::ALL, &["shop"], ActorKind::Bot).await;
    let response = server
        .client
        .post(server.url("/api/v1/releases"))
        .bearer_auth(&creator)
        .json(
            &serde_json::json!({"release": release, "commit": commit("shop 1.0.1"), "artifacts": [artifact(release)]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let lead = server.token("carol", &[Scope::Certify, Scope::Read], &[], ActorKind::Human).await;
    let admin = server.token("ops", &[Scope::Admin], &[], ActorKind::Human).await;
    let metrics = async || {
        server.client.get(server.url("/metrics")).bearer_auth(&admin).send().await.unwrap().text().await.unwrap()
    };
    let before = metrics().await;
    assert!(before.contains("signoff_sync_alerts_total{kind=\"source_silent\"} 0"), "{before}");
    assert!(before.contains("signoff_sync_destination_failing{destination=\"drop\"} 0"), "{before}");
    for _ in 0..2 {
        let response = server
            .client
            .post(server.url("/api/v1/releases/shop/1.0.1/certify"))
            .bearer_auth(&lead)
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        // The check runs beside the answer: wait for it.
        let mut text = String::new();
        for _ in 0..100 {
            text = metrics().await;
            if text.contains("signoff_sync_alerts_total{kind=\"source_silent\"} 3") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(text.contains("signoff_sync_alerts_total{kind=\"source_silent\"} 3"), "{text}");
    }
    // Certified twice, still three alerts: once per silent source.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let after = metrics().await;
    assert!(after.contains("signoff_sync_alerts_total{kind=\"source_silent\"} 3"), "{after}");
    assert!(!after.contains("shop"), "metrics name no project: {after}");
    server.stop().await;
}

#[tokio::test]
async fn malformed_requests_get_a_clear_4xx_and_store_nothing() {
    let server =
        sqlite_server(ServerConfig { max_capture: 64 * 1024, max_body: 4096, ..ServerConfig::default() }).await;
    let token = server.token("ci", &Scope::ALL, &[], ActorKind::Bot).await;
    let before = server.size().await;
    let token = token.as_str();
    let send = |request: reqwest::RequestBuilder| {
        let request = request.bearer_auth(token);
        async move { problem(request.send().await.unwrap()).await }
    };

    let (status, detail) = send(
        server
            .client
            .post(server.url("/api/v1/releases"))
            .header("content-type", "application/json")
            .body("{\"release\": "),
    )
    .await;
    assert_eq!(status, 400, "{detail}");
    assert!(detail.contains("EOF") || detail.contains("parse"), "{detail}");
    let (status, detail) =
        send(server.client.post(server.url("/api/v1/releases")).header("content-type", "text/plain").body("{}")).await;
    assert_eq!(status, 415, "{detail}");
    let (status, detail) = send(
        server
            .client
            .post(server.url("/api/v1/releases"))
            .json(&serde_json::json!({"release": "shop@1", "commit": commit("x"), "surprise": 1})),
    )
    .await;
    assert_eq!(status, 422, "{detail}");
    assert!(detail.contains("surprise"), "{detail}");
    let (status, detail) = send(
        server
            .client
            .post(server.url("/api/v1/releases"))
            .json(&serde_json::json!({"release": "../etc@1", "commit": commit("x")})),
    )
    .await;
    assert_eq!(status, 400, "{detail}");
    let (status, _) = send(
        server
            .client
            .post(server.url("/api/v1/releases"))
            .json(&serde_json::json!({"release": "shop@1", "commit": "x".repeat(8000)})),
    )
    .await;
    assert_eq!(status, 413, "a JSON body past the limit");

    for name in ["../../etc/passwd", "a/b.sarif", "..", "", "x\u{0}.sarif", "..\\x.sarif"] {
        let (status, detail) = send(
            server
                .client
                .post(server.url("/api/v1/captures"))
                .query(&[("project", "shop"), ("name", name), ("commit", &commit("x"))])
                .body(example("v1", "bandit.sarif")),
        )
        .await;
        assert_eq!(status, 400, "{name:?}: {detail}");
    }
    let (status, detail) = send(server.client.get(server.url("/api/v1/releases/..%2F..%2Fetc/1.0"))).await;
    assert_eq!(status, 400, "{detail}");
    let (status, detail) = send(
        server
            .client
            .post(server.url("/api/v1/captures"))
            .query(&[("project", "shop"), ("name", "x.sarif"), ("commit", &commit("x"))])
            .header("content-type", "multipart/mixed; boundary=x")
            .body("--x\r\n"),
    )
    .await;
    assert_eq!(status, 415, "{detail}");
    // Forms that are cut short, name no project before their file, carry an
    // unknown field or a file named with a folder: 400, nothing stored.
    let truncated = format!(
        "--x\r\nContent-Disposition: form-data; name=\"project\"\r\n\r\nshop\r\n--x\r\n\
         Content-Disposition: form-data; name=\"file\"; filename=\"bandit.sarif\"\r\n\r\n{}",
        String::from_utf8_lossy(&example("v1", "bandit.sarif")[..200])
    );
    let (status, detail) = send(
        server
            .client
            .post(server.url("/api/v1/captures"))
            .query(&[("commit", &commit("x"))])
            .header("content-type", "multipart/form-data; boundary=x")
            .body(truncated),
    )
    .await;
    assert_eq!(status, 400, "{detail}");
    assert!(detail.contains("bandit.sarif could not be read"), "{detail}");
    let file = || reqwest::multipart::Part::bytes(example("v1", "bandit.sarif")).file_name("bandit.sarif");
    for (form, expected) in [
        (
            reqwest::multipart::Form::new().part("file", file()).text("project", "shop"),
            "no project before the first file",
        ),
        (reqwest::multipart::Form::new().text("project", "shop").text("color", "red").part("file", file()), "color"),
        (
            reqwest::multipart::Form::new()
                .text("project", "shop")
                .part("file", reqwest::multipart::Part::bytes(b"{}".to_vec()).file_name("../x.sarif")),
            "plain file name",
        ),
        (reqwest::multipart::Form::new().text("project", "shop").text("commit", commit("x")), "no file"),
    ] {
        let (status, detail) =
            send(server.client.post(server.url("/api/v1/captures")).query(&[("commit", &commit("x"))]).multipart(form))
                .await;
        assert_eq!(status, 400, "{detail}");
        assert!(detail.contains(expected), "{expected}: {detail}");
    }
    let (status, detail) = send(
        server
            .client
            .post(server.url("/api/v1/captures"))
            .query(&[("project", "shop"), ("name", "big.sarif"), ("commit", &commit("x"))])
            .body(vec![b' '; 100 * 1024]),
    )
    .await;
    assert_eq!(status, 413, "{detail}");
    let (status, detail) = send(
        server
            .client
            .post(server.url("/api/v1/captures"))
            .query(&[("project", "shop"), ("name", "notes.txt"), ("commit", &commit("x"))])
            .body("not evidence at all"),
    )
    .await;
    assert_eq!(status, 422, "{detail}");
    assert!(detail.contains("notes.txt"), "the message names the file as the CLI does: {detail}");
    let (status, detail) = send(
        server
            .client
            .post(server.url("/api/v1/captures"))
            .query(&[("project", "shop"), ("name", "x.sarif")])
            .body("{}"),
    )
    .await;
    assert_eq!(status, 400, "{detail}");
    assert!(detail.contains("no commit"), "{detail}");
    let (status, _) = send(server.client.get(server.url("/api/v1/nothing-here"))).await;
    assert_eq!(status, 404);
    let (status, detail) = send(server.client.get(server.url("/api/v1/ledger/proofs/inclusion?entry=many"))).await;
    assert_eq!(status, 400, "{detail}");

    assert_eq!(server.size().await, before, "nothing was stored");
    let home = server.signoff.home().to_owned();
    let leftovers: Vec<_> = std::fs::read_dir(&home)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().starts_with("upload-"))
        .collect();
    assert!(leftovers.is_empty(), "uploads are removed: {leftovers:?}");
    server.stop().await;
}

/// A form (`curl -F project=... -F file=@a -F file=@b`) is one capture of its
/// files with the CI context of its fields, as `signoff capture a b` makes; a
/// form for a project the token does not cover is refused before its file is
/// read, and a field given two ways is refused rather than one silently winning.
#[tokio::test]
async fn a_form_with_several_files_is_one_capture() {
    for server in servers().await {
        let ci = server.token("ci-shop", &[Scope::Capture, Scope::Read], &["shop"], ActorKind::Bot).await;
        let file = |name: &str| reqwest::multipart::Part::bytes(example("v1", name)).file_name(name.to_owned());
        let form = reqwest::multipart::Form::new()
            .text("project", "shop")
            .text("commit", commit("shop"))
            .text("branch", "main")
            .text("run_id", "4242")
            .text("system", "github-actions")
            .part("file", file("bandit.sarif"))
            .part("file", file("junit.xml"));
        let response =
            server.client.post(server.url("/api/v1/captures")).bearer_auth(&ci).multipart(form).send().await.unwrap();
        assert_eq!(response.status(), 201, "{}", server.backend);
        let reports: serde_json::Value = response.json().await.unwrap();
        let reports = reports.as_array().unwrap();
        assert_eq!(reports.len(), 2, "{reports:?}");
        assert_eq!(reports[0]["file"], "bandit.sarif");
        assert_eq!(reports[1]["file"], "junit.xml");
        assert_eq!(reports[0]["kind"], "sast");
        assert_eq!(reports[1]["kind"], "test_results");
        let entry = reports[0]["entry"].as_u64().unwrap();
        assert_eq!(reports[1]["entry"].as_u64(), Some(entry + 1), "one capture: consecutive entries");
        // The bytes stored are the bytes sent, and the fields are the CI context.
        let release = server.token("rel", &Scope::ALL, &["shop"], ActorKind::Bot).await;
        let response = server
            .client
            .post(server.url("/api/v1/releases"))
            .bearer_auth(&release)
            .json(&serde_json::json!({"release": "shop@9.0.0", "commit": commit("shop"), "artifacts": [artifact("shop@9.0.0")]}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{}", server.backend);
        let (status, text) = server.get("/api/v1/releases/shop/9.0.0", &ci).await;
        assert_eq!(status, 200, "{text}");
        assert!(text.contains("\"run_id\":\"4242\"") && text.contains("github-actions"), "{text}");
        let digest = reports[0]["digest"].as_str().unwrap();
        assert_eq!(digest, signoff_core::Digest::of(&example("v1", "bandit.sarif")).to_string());

        let size = server.size().await;
        let form = reqwest::multipart::Form::new().text("project", "other").part("file", file("bandit.sarif"));
        let response = server
            .client
            .post(server.url("/api/v1/captures"))
            .query(&[("commit", commit("shop"))])
            .bearer_auth(&ci)
            .multipart(form)
            .send()
            .await
            .unwrap();
        let (status, detail) = problem(response).await;
        assert_eq!(status, 403, "{detail}");
        let form = reqwest::multipart::Form::new().text("commit", commit("elsewhere")).part("file", file("junit.xml"));
        let response = server
            .client
            .post(server.url("/api/v1/captures"))
            .query(&[("project", "shop"), ("commit", &commit("shop"))])
            .bearer_auth(&ci)
            .multipart(form)
            .send()
            .await
            .unwrap();
        let (status, detail) = problem(response).await;
        assert_eq!(status, 400, "{detail}");
        assert!(detail.contains("commit is given twice"), "{detail}");
        assert_eq!(server.size().await, size, "nothing stored from a refused form ({})", server.backend);
        server.stop().await;
    }
}

/// A JUnit report of `tests` passing test cases, as a large suite's runner writes.
fn large_junit(tests: usize) -> Vec<u8> {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"shop\" tests=\"{tests}\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"{}.0\">\n",
        tests / 100
    );
    for index in 0..tests {
        xml.push_str(&format!(
            "  <testcase classname=\"shop.tests.test_orders_{}\" name=\"test_order_total_{index}\" time=\"0.010\"/>\n",
            index / 50
        ));
    }
    xml.push_str("</testsuite>\n</testsuites>\n");
    xml.into_bytes()
}

/// Small files are captured from memory, larger ones (a body, or a form's files
/// past 256 KiB in all) from disk; either way the bytes stored are the bytes
/// sent, and nothing is left behind in the store's folder.
#[tokio::test]
async fn large_uploads_are_captured_as_sent_and_leave_no_files_behind() {
    for server in servers().await {
        let backend = server.backend;
        let ci = server.token("ci", &[Scope::Capture, Scope::Read], &["shop"], ActorKind::Bot).await;
        let names = ["bandit.sarif", "semgrep.sarif", "junit.xml", "coverage.xml", "coverage.lcov", "sbom.cdx.json"];
        let mut sent = Vec::new();
        for round in 0..4 {
            for state in ["v1", "v2"] {
                for name in names {
                    sent.push((format!("{round}-{state}-{name}"), example(state, name)));
                }
            }
        }
        let total: usize = sent.iter().map(|(_, bytes)| bytes.len()).sum();
        assert!(total > 256 * 1024, "the form is larger than what a request holds in memory: {total}");
        let mut form = reqwest::multipart::Form::new().text("project", "shop").text("commit", commit("shop"));
        for (name, bytes) in &sent {
            form = form.part("file", reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.clone()));
        }
        let response =
            server.client.post(server.url("/api/v1/captures")).bearer_auth(&ci).multipart(form).send().await.unwrap();
        assert_eq!(response.status(), 201, "{backend}");
        let reports: serde_json::Value = response.json().await.unwrap();
        let reports = reports.as_array().unwrap();
        assert_eq!(reports.len(), sent.len(), "{backend}");
        let first = reports[0]["entry"].as_u64().unwrap();
        for (index, ((name, bytes), report)) in sent.iter().zip(reports).enumerate() {
            assert_eq!(report["file"], name.as_str(), "{backend}");
            assert_eq!(report["digest"], signoff_core::Digest::of(bytes).to_string(), "{backend}: {name}");
            assert_eq!(report["entry"].as_u64(), Some(first + index as u64), "{backend}: one capture");
        }

        let junit = large_junit(4000);
        assert!(junit.len() > 256 * 1024, "{}", junit.len());
        let response = server
            .client
            .post(server.url("/api/v1/captures"))
            .query(&[("project", "shop"), ("name", "junit-large.xml"), ("commit", &commit("shop"))])
            .bearer_auth(&ci)
            .body(junit.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{backend}");
        let reports: serde_json::Value = response.json().await.unwrap();
        assert_eq!(reports[0]["digest"], signoff_core::Digest::of(&junit).to_string(), "{backend}");
        assert_eq!(reports[0]["summary"]["tests"]["passed"], 4000, "{backend}: {reports}");

        let home = server.signoff.home().to_owned();
        let left: Vec<String> = std::fs::read_dir(&home)
            .unwrap()
            .chain(std::fs::read_dir(home.join("blobs/tmp")).unwrap())
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with("upload-") || name.starts_with("input-"))
            .collect();
        assert!(left.is_empty(), "{backend}: uploads and scratch copies are removed: {left:?}");
        server.stop().await;
    }
}

/// A capture retried after a lost answer (the same `Idempotency-Key`) is stored
/// once; the key cannot be reused for other bytes or another project; a capture
/// delivered from an outbox keeps the time it was captured.
#[tokio::test]
async fn a_retried_delivery_is_stored_once() {
    for server in servers().await {
        let ci = server.token("ci", &[Scope::Capture, Scope::Read], &[], ActorKind::Bot).await;
        let send = |project: &'static str, name: &'static str, key: &'static str, captured_at: Option<&'static str>| {
            let mut query =
                vec![("project", project.to_owned()), ("name", name.to_owned()), ("commit", commit("shop"))];
            if let Some(at) = captured_at {
                query.push(("captured_at", at.to_owned()));
            }
            server
                .client
                .post(server.url("/api/v1/captures"))
                .query(&query)
                .header("Idempotency-Key", key)
                .bearer_auth(&ci)
                .body(example("v1", name))
                .send()
        };
        let first = send("shop", "bandit.sarif", "key-1", Some("2026-12-01T08:00:00Z")).await.unwrap();
        assert_eq!(first.status(), 201, "{}", server.backend);
        let first: serde_json::Value = first.json().await.unwrap();
        let size = server.size().await;

        let again = send("shop", "bandit.sarif", "key-1", Some("2026-12-01T08:00:00Z")).await.unwrap();
        assert_eq!(again.status(), 200, "a redelivery answers 200 ({})", server.backend);
        let again: serde_json::Value = again.json().await.unwrap();
        assert_eq!(again[0]["entry"], first[0]["entry"], "the evidence stored the first time");
        assert_eq!(again[0]["evidence_id"], first[0]["evidence_id"]);
        assert_eq!(again[0]["redelivered"], true, "{again}");
        assert_eq!(again[0]["first_captured_at"], "2026-12-01T08:00:00Z", "{again}");
        assert_eq!(server.size().await, size, "nothing new in the ledger");

        let (status, detail) = problem(send("shop", "semgrep.sarif", "key-1", None).await.unwrap()).await;
        assert_eq!(status, 409, "{detail}");
        assert!(detail.contains("key-1"), "{detail}");
        let (status, _) = problem(send("other", "bandit.sarif", "key-1", None).await.unwrap()).await;
        assert_eq!(status, 409, "a key is not a way to read another project's evidence");
        let (status, detail) = problem(send("shop", "junit.xml", "key 2", None).await.unwrap()).await;
        assert_eq!(status, 400, "{detail}");
        assert!(detail.contains("Idempotency-Key"), "{detail}");
        assert_eq!(server.size().await, size, "refused deliveries store nothing");
        server.stop().await;
    }
}

/// `/readyz` answers 503, saying why, when the database's schema is not this
/// build's: a migration missing, or one from a newer signoff.
#[tokio::test]
async fn readiness_checks_the_schema() {
    let server = sqlite_server(ServerConfig::default()).await;
    let ready = || async { server.client.get(server.url("/readyz")).send().await.unwrap() };
    assert_eq!(ready().await.status(), 200);
    let alter = |statement: &'static str| {
        let database = server.sqlite_database();
        async move {
            use sqlx::Connection;
            let mut connection =
                sqlx::SqliteConnection::connect(&format!("sqlite://{}", database.display())).await.unwrap();
            sqlx::raw_sql(statement).execute(&mut connection).await.unwrap();
            connection.close().await.unwrap();
        }
    };
    alter("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (9999, 'from the future', 1, x'00', 0)").await;
    let (status, detail) = problem(ready().await).await;
    assert_eq!(status, 503);
    assert!(detail.contains("[9999]") && detail.contains("newer signoff"), "{detail}");
    alter("DELETE FROM _sqlx_migrations WHERE version IN (7, 9999)").await;
    let (status, detail) = problem(ready().await).await;
    assert_eq!(status, 503);
    assert!(detail.contains("lacks migrations [7]"), "{detail}");
    server.stop().await;
}

/// Each token has its own rate: past it, 429 with `Retry-After` and a problem
/// document; another token is not slowed by it.
#[tokio::test]
async fn a_token_over_its_rate_is_told_when_to_retry() {
    let server = sqlite_server(ServerConfig { rate_per_second: 1, rate_burst: 3, ..ServerConfig::default() }).await;
    let busy = server.token("busy", &[Scope::Read], &[], ActorKind::Bot).await;
    let calm = server.token("calm", &[Scope::Read], &[], ActorKind::Bot).await;
    let get =
        |token: &str| server.client.get(server.url("/api/v1/ledger/checkpoint")).bearer_auth(token.to_owned()).send();
    for _ in 0..3 {
        assert_eq!(get(&busy).await.unwrap().status(), 200, "the burst passes");
    }
    let response = get(&busy).await.unwrap();
    assert_eq!(response.status(), 429);
    let wait: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    let (_, detail) = problem(response).await;
    assert!(detail.contains("rate of 1 requests a second") && detail.contains("retry in"), "{detail}");
    assert_eq!(get(&calm).await.unwrap().status(), 200, "another token has its own rate");
    server.stop().await;
}

/// An auditor downloads a release's evidence package through the API and it
/// verifies offline against the server's published key; an operator records what
/// runs in an environment and hears what was never certified.
#[tokio::test]
async fn packages_and_environment_snapshots_through_the_api() {
    for server in servers().await {
        seed(&server, "shop").await;
        let auditor = server.token("auditor", &[Scope::Read], &["shop"], ActorKind::Human).await;
        let response = server
            .client
            .get(server.url("/api/v1/releases/shop/1.0.0/package"))
            .bearer_auth(&auditor)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", server.backend);
        assert_eq!(response.headers()["content-type"], "application/zip");
        let bytes = response.bytes().await.unwrap();
        let key: serde_json::Value =
            server.client.get(server.url("/api/v1/public-key")).send().await.unwrap().json().await.unwrap();
        let report = signoff_app::package::verify(&bytes, key["verifier_key"].as_str()).unwrap();
        assert!(
            report.is_ok(),
            "{}: the package verifies against the server's key: {:?}",
            server.backend,
            report.checks
        );

        let ops = server.token("ops", &[Scope::Release], &[], ActorKind::Bot).await;
        let unknown = artifact("something nobody certified");
        let response = server
            .client
            .post(server.url("/api/v1/environments/prod/snapshots"))
            .bearer_auth(&ops)
            .json(&serde_json::json!({"artifacts": [artifact("shop@1.0.0"), unknown]}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let snapshot: serde_json::Value = response.json().await.unwrap();
        assert_eq!(snapshot["environment"], "prod");
        assert_eq!(
            snapshot["uncertified"].as_array().unwrap().len(),
            2,
            "shop@1.0.0 is not certified either: {snapshot}"
        );
        assert_eq!(snapshot["actor"]["id"], "ops", "{snapshot}");
        // A snapshot spans projects: a token of one project may not record one.
        let shop_ops = server.token("shop-ops", &[Scope::Release], &["shop"], ActorKind::Bot).await;
        let response = server
            .client
            .post(server.url("/api/v1/environments/prod/snapshots"))
            .bearer_auth(&shop_ops)
            .json(&serde_json::json!({"artifacts": [artifact("shop@1.0.0")]}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
        server.stop().await;
    }
}
