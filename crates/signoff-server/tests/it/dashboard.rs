//! The dashboard over HTTP, without a browser: sign-in and its cookie, CSRF on
//! every form, escaping of what the store holds, read-only tokens without write
//! controls, an exception approved by a second human (and refused to its
//! requester), raw evidence, and live events over SSE.

use std::time::Duration;

use signoff_app::access::Scope;
use signoff_core::records::ActorKind;
use signoff_server::ServerConfig;
use time::OffsetDateTime;

use crate::util::{TestServer, commit, example, seed, servers, sqlite_server};

/// A SARIF report whose tool, rule, message and path carry markup.
pub(crate) const HOSTILE_SARIF: &str = r#"{"version":"2.1.0","$schema":"https://json.schemastore.org/sarif-2.1.0.json","runs":[{"tool":{"driver":{"name":"evil<script>alert('tool')</script>","rules":[{"id":"xss<script>","shortDescription":{"text":"<script>alert('rule')</script>"}}]}},"results":[{"ruleId":"xss<script>","level":"error","message":{"text":"<script>alert('finding')</script> in <b>bold</b>"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"src/<img src=x onerror=alert(1)>.py"},"region":{"startLine":3}}}]}]}]}"#;

/// A browser without a cookie jar of its own: cookies kept by hand, redirects
/// not followed (so each can be checked).
pub(crate) struct Browser {
    client: reqwest::Client,
    base: String,
    cookies: Vec<(String, String)>,
}

impl Browser {
    pub(crate) fn new(server: &TestServer) -> Browser {
        let client = reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Browser { client, base: server.base.clone(), cookies: Vec::new() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("; ")
    }

    fn keep(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap();
            let (pair, _) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(known, _)| known != name);
            if !value.is_empty() {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> (u16, String, reqwest::header::HeaderMap) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(&response);
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, response.text().await.unwrap(), headers)
    }

    pub(crate) async fn post(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
    ) -> (u16, String, reqwest::header::HeaderMap) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(form))
            .send()
            .await
            .unwrap();
        self.keep(&response);
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, response.text().await.unwrap(), headers)
    }

    /// Signs in with `token`; the answer to the form's post.
    pub(crate) async fn sign_in(&mut self, token: &str) -> (u16, String, reqwest::header::HeaderMap) {
        let (status, form, _) = self.get("/ui/sign-in?next=/ui/exceptions").await;
        assert_eq!(status, 200, "{form}");
        let csrf = csrf_of(&form);
        self.post("/ui/sign-in", &[("token", token), ("csrf", &csrf), ("next", "/ui/exceptions")]).await
    }
}

/// A form body, `application/x-www-form-urlencoded`.
fn form_body(fields: &[(&str, &str)]) -> String {
    const FORM: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    let encode = |text: &str| percent_encoding::utf8_percent_encode(text, FORM).to_string();
    fields.iter().map(|(name, value)| format!("{}={}", encode(name), encode(value))).collect::<Vec<_>>().join("&")
}

/// The CSRF token of the first form of a page.
pub(crate) fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a form with a CSRF token") + "name=\"csrf\" value=\"".len();
    page[at..].split('"').next().unwrap().to_owned()
}

async fn capture(server: &TestServer, token: &str, project: &str, name: &str, body: Vec<u8>) -> serde_json::Value {
    let response = server
        .client
        .post(server.url("/api/v1/captures"))
        .query(&[("project", project), ("name", name), ("commit", &commit(project))])
        .bearer_auth(token)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    response.json().await.unwrap()
}

async fn request_exception(server: &TestServer, token: &str, project: &str) -> String {
    let response = server
        .client
        .post(server.url("/api/v1/exceptions"))
        .bearer_auth(token)
        .json(&serde_json::json!({"criterion": "no-critical", "project": project, "reason": "accepted until the vendor ships a fix", "expires": "2099-12-31"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let body: serde_json::Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn sign_in_sets_a_strict_http_only_cookie_and_pages_need_it() {
    let server = sqlite_server(ServerConfig::default()).await;
    seed(&server, "shop").await;
    let reader = server.token("auditor", &[Scope::Read], &[], ActorKind::Human).await;
    let mut browser = Browser::new(&server);

    let (status, _, headers) = browser.get("/ui/releases?project=shop").await;
    assert_eq!(status, 303, "a page without a session sends the browser to sign in");
    assert_eq!(headers["location"], "/ui/sign-in?next=/ui/releases%3Fproject%3Dshop");

    // The sign-in form's CSRF token must come with its cookie.
    let (status, form, headers) = browser.get("/ui/sign-in").await;
    assert_eq!(status, 200);
    let csrf = csrf_of(&form);
    assert!(headers["content-security-policy"].to_str().unwrap().contains("script-src 'self'"));
    let (status, page, _) = Browser::new(&server).post("/ui/sign-in", &[("token", &reader), ("csrf", &csrf)]).await;
    assert_eq!(status, 403, "a post without the form's cookie is refused: {page}");
    let (status, page, _) = browser.post("/ui/sign-in", &[("token", &reader), ("csrf", "forged")]).await;
    assert_eq!(status, 403, "{page}");

    // A wrong token, and a token that cannot read, are told why.
    let wrong = format!("so_{}_{}", "0".repeat(16), "1".repeat(64));
    let csrf = csrf_of(&browser.get("/ui/sign-in").await.1);
    let (status, page, _) = browser.post("/ui/sign-in", &[("token", &wrong), ("csrf", &csrf)]).await;
    assert_eq!(status, 401);
    assert!(page.contains("is unknown"), "{page}");
    let capture_only = server.token("ci", &[Scope::Capture], &[], ActorKind::Bot).await;
    let csrf = csrf_of(&browser.get("/ui/sign-in").await.1);
    let (status, page, _) = browser.post("/ui/sign-in", &[("token", &capture_only), ("csrf", &csrf)]).await;
    assert_eq!(status, 403);
    assert!(page.contains("read scope"), "{page}");
    assert!(!browser.cookies.iter().any(|(name, _)| name == "signoff_session"));

    let csrf = csrf_of(&browser.get("/ui/sign-in").await.1);
    let (status, _, headers) =
        browser.post("/ui/sign-in", &[("token", &reader), ("csrf", &csrf), ("next", "https://evil.example/")]).await;
    assert_eq!(status, 303);
    assert_eq!(headers["location"], "/ui/releases", "never sent to another site");
    let session = headers
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .find(|value| value.starts_with("signoff_session="))
        .unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/ui", "Max-Age=28800"] {
        assert!(session.contains(attribute), "{session}");
    }
    assert!(!session.contains("Secure"), "plain HTTP: no Secure flag: {session}");
    assert!(!session.contains(&reader), "the cookie is not the token");

    let (status, page, headers) = browser.get("/ui/releases").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("shop@1.0.0"), "{page}");
    assert!(page.contains("auditor"), "{page}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["x-frame-options"], "DENY");

    // Behind a TLS proxy the cookie is Secure.
    let mut behind_tls = Browser::new(&server);
    let (_, form, _) = behind_tls.get("/ui/sign-in").await;
    let response = behind_tls
        .client
        .post(server.url("/ui/sign-in"))
        .header("cookie", behind_tls.cookie_header())
        .header("x-forwarded-proto", "https")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&[("token", reader.as_str()), ("csrf", &csrf_of(&form))]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let cookies: Vec<String> =
        response.headers().get_all("set-cookie").iter().map(|value| value.to_str().unwrap().to_owned()).collect();
    assert!(
        cookies.iter().any(|value| value.starts_with("signoff_session=") && value.contains("; Secure")),
        "{cookies:?}"
    );

    // Sign-out needs the session's CSRF token, and ends the session.
    let (status, _, _) = browser.post("/ui/sign-out", &[("csrf", "forged")]).await;
    assert_eq!(status, 403);
    let csrf = csrf_of(&browser.get("/ui/releases").await.1);
    let (status, _, headers) = browser.post("/ui/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!(status, 303);
    assert_eq!(headers["location"], "/ui/sign-in");
    let (status, _, _) = browser.get("/ui/releases").await;
    assert_eq!(status, 303, "signed out");

    // A revoked token ends its sessions.
    let mut other = Browser::new(&server);
    assert_eq!(other.sign_in(&reader).await.0, 303);
    assert_eq!(other.get("/ui/releases").await.0, 200);
    let id = reader.split('_').nth(1).unwrap();
    let admin =
        signoff_core::records::Actor { id: "admin".into(), kind: ActorKind::Human, on_behalf_of: None, source: None };
    signoff_app::access::revoke(&server.signoff, id, admin).await.unwrap();
    assert_eq!(other.get("/ui/releases").await.0, 303, "a revoked token's session ends");
}

#[tokio::test]
async fn every_page_shows_markup_from_the_store_as_text() {
    let server = sqlite_server(ServerConfig::default()).await;
    seed(&server, "shop").await;
    let ci = server.token("ci-shop", &[Scope::Capture], &["shop"], ActorKind::Bot).await;
    capture(&server, &ci, "shop", "evil<script>.sarif", HOSTILE_SARIF.as_bytes().to_vec()).await;
    let reader = server.token("auditor", &[Scope::Read], &[], ActorKind::Human).await;
    let requester = server.token("dev", &[Scope::Release, Scope::Read], &[], ActorKind::Human).await;
    let response = server
        .client
        .post(server.url("/api/v1/exceptions"))
        .bearer_auth(&requester)
        .json(&serde_json::json!({"criterion": "no-critical", "project": "shop", "reason": "<script>alert('reason')</script> for now", "expires": "2099-12-31"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let mut browser = Browser::new(&server);
    assert_eq!(browser.sign_in(&reader).await.0, 303);

    for path in [
        "/ui/releases",
        "/ui/releases/shop/1.0.0",
        "/ui/findings?project=shop",
        "/ui/findings?project=shop&status=all",
        "/ui/exceptions",
        "/ui/controls?project=shop",
    ] {
        let (status, page, _) = browser.get(path).await;
        assert_eq!(status, 200, "{path}: {page}");
        let scripts = page.matches("<script").count();
        assert_eq!(scripts, 3, "{path}: only the two vendored scripts and ours are script elements");
        assert!(!page.contains("<b>bold</b>") && !page.contains("<img src=x"), "{path}: markup passed through");
    }
    let (_, release, _) = browser.get("/ui/releases/shop/1.0.0").await;
    assert!(release.contains("evil&lt;script&gt;"), "the file name is shown as text");
    let (_, findings, _) = browser.get("/ui/findings?project=shop").await;
    assert!(findings.contains("&lt;script&gt;alert(&#x27;finding&#x27;)&lt;&#x2f;script&gt;"), "{findings}");
    let (_, exceptions, _) = browser.get("/ui/exceptions").await;
    assert!(exceptions.contains("&lt;script&gt;alert(&#x27;reason&#x27;)"), "{exceptions}");

    // A name that is not a project is a 400 page, escaped too.
    let (status, page, _) = browser.get("/ui/releases?project=%3Cscript%3E").await;
    assert_eq!(status, 400, "{page}");
    assert_eq!(page.matches("<script").count(), 3);
}

#[tokio::test]
async fn exceptions_are_approved_from_the_page_by_a_second_human_only() {
    let server = sqlite_server(ServerConfig::default()).await;
    seed(&server, "shop").await;
    let requester =
        server.token("dave", &[Scope::Release, Scope::Approve, Scope::Read], &["shop"], ActorKind::Human).await;
    let reader = server.token("auditor", &[Scope::Read], &[], ActorKind::Human).await;
    let approver = server.token("carol", &[Scope::Approve, Scope::Read], &["shop"], ActorKind::Human).await;
    let agent = server.token("copilot", &[Scope::Read, Scope::Capture], &["shop"], ActorKind::AiAgent).await;
    let id = request_exception(&server, &requester, "shop").await;
    let approve = format!("/ui/exceptions/{id}/approve");

    // A read-only token sees no write control, and its post is refused.
    let mut auditor = Browser::new(&server);
    auditor.sign_in(&reader).await;
    let (status, page, _) = auditor.get("/ui/exceptions").await;
    assert_eq!(status, 200);
    assert!(page.contains(&id), "{page}");
    assert!(page.contains("read-only"), "{page}");
    assert!(!page.contains("class=\"approve\"") && !page.contains(&approve), "no approve control: {page}");
    let csrf = csrf_of(&page);
    let (status, page, _) = auditor.post(&approve, &[("csrf", &csrf)]).await;
    assert_eq!(status, 403, "{page}");

    // Nor an agent's.
    let mut bot = Browser::new(&server);
    bot.sign_in(&agent).await;
    let csrf = csrf_of(&bot.get("/ui/exceptions").await.1);
    assert_eq!(bot.post(&approve, &[("csrf", &csrf)]).await.0, 403);

    // The requester may approve exceptions, but not their own (as in the CLI).
    let mut dave = Browser::new(&server);
    dave.sign_in(&requester).await;
    let (_, page, _) = dave.get("/ui/exceptions").await;
    assert!(page.contains(&approve), "an approver sees the control: {page}");
    let (status, page, _) = dave.post(&approve, &[("csrf", &csrf_of(&page))]).await;
    assert_eq!(status, 403, "self-approval is refused: {page}");
    assert!(page.contains("dave"), "{page}");

    // A second human approves, with the session's CSRF token only.
    let mut carol = Browser::new(&server);
    carol.sign_in(&approver).await;
    let (_, page, _) = carol.get("/ui/exceptions").await;
    let (status, _, _) = carol.post(&approve, &[("csrf", "forged"), ("comment", "fine")]).await;
    assert_eq!(status, 403);
    let (status, _, headers) = carol.post(&approve, &[("csrf", &csrf_of(&page)), ("comment", "fine until Q1")]).await;
    assert_eq!(status, 303);
    assert_eq!(headers["location"], format!("/ui/exceptions?approved={id}"));
    let view = signoff_app::decide::exception(&server.signoff, &id).await.unwrap();
    assert_eq!(view.approved_by.unwrap().id, "carol");
    let (_, page, _) = carol.get(headers["location"].to_str().unwrap()).await;
    assert!(page.contains(&format!("{id} approved.")), "{page}");
    let (status, _, _) = carol.post(&approve, &[("csrf", &csrf_of(&page))]).await;
    assert_eq!(status, 409, "already approved");
}

#[tokio::test]
async fn releases_page_and_raw_evidence_match_the_api() {
    for server in servers().await {
        for project in ["shop", "billing"] {
            seed(&server, project).await;
        }
        let reader = server.token("auditor", &[Scope::Read], &[], ActorKind::Human).await;
        let shop_reader = server.token("shop-auditor", &[Scope::Read], &["shop"], ActorKind::Human).await;

        // Raw bytes through the API: exactly what was captured.
        let release: serde_json::Value = server
            .client
            .get(server.url("/api/v1/releases/shop/1.0.0"))
            .bearer_auth(&reader)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let item = release["evidence"].as_array().unwrap().iter().find(|item| item["file"] == "bandit.sarif").unwrap();
        let digest = item["digest"].as_str().unwrap();
        let response = server
            .client
            .get(server.url(&format!("/api/v1/releases/shop/1.0.0/evidence/{digest}")))
            .bearer_auth(&reader)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        assert_eq!(response.bytes().await.unwrap().as_ref(), example("v1", "bandit.sarif").as_slice());
        let other = server
            .client
            .get(server.url(&format!("/api/v1/releases/billing/1.0.0/evidence/{digest}")))
            .bearer_auth(&shop_reader)
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), 403, "another project's evidence");
        let missing = server
            .client
            .get(server.url(&format!("/api/v1/releases/shop/1.0.0/evidence/sha256:{}", "0".repeat(64))))
            .bearer_auth(&reader)
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), 404);

        // The page links to the same bytes.
        let mut browser = Browser::new(&server);
        browser.sign_in(&reader).await;
        let (_, page, _) = browser.get("/ui/releases/shop/1.0.0").await;
        let link = format!("/ui/releases/shop/1.0.0/evidence/{}", digest.replace(':', "%3A"));
        assert!(page.contains(&link), "{page}");
        let (status, body, headers) = browser.get(&link).await;
        assert_eq!(status, 200);
        assert_eq!(headers["content-security-policy"], "default-src 'none'");
        assert_eq!(headers["content-type"], "text/plain; charset=utf-8");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(body.as_bytes(), example("v1", "bandit.sarif").as_slice());

        // "Verify this": an entry of the release, proved against the latest checkpoint.
        let at = page.find("href=\"/ui/ledger/entries/").expect("a verify link") + "href=\"".len();
        let link = page[at..].split('"').next().unwrap().to_owned();
        let (status, proof, _) = browser.get(&link).await;
        assert_eq!(status, 200, "{proof}");
        assert!(proof.contains("Verified: entry"), "{proof}");
        assert!(proof.contains("The entry as hashed"), "a token of every project sees the body");
        let entry: u64 = link.rsplit('/').next().unwrap().parse().unwrap();
        let api: serde_json::Value = server
            .client
            .get(server.url("/api/v1/ledger/proofs/inclusion"))
            .query(&[("entry", entry)])
            .bearer_auth(&reader)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(proof.contains(api["leaf_hash"].as_str().unwrap()), "the API's proof: {api}");
        assert_eq!(browser.get("/ui/ledger/entries/999999").await.0, 404);

        // Filters; a token of one project sees only its own, and not another's page.
        let (_, page, _) = browser.get("/ui/releases?project=billing").await;
        assert!(page.contains("billing@1.0.0") && !page.contains("shop@1.0.0"), "{page}");
        let (_, page, _) = browser.get("/ui/releases?status=certified").await;
        assert!(page.contains("No release matches."), "{page}");
        let mut limited = Browser::new(&server);
        limited.sign_in(&shop_reader).await;
        let (_, page, _) = limited.get("/ui/releases").await;
        assert!(page.contains("shop@1.0.0") && !page.contains("billing@1.0.0"), "{page}");
        assert_eq!(limited.get("/ui/releases/billing/1.0.0").await.0, 403);
        assert_eq!(limited.get("/ui/releases?project=billing").await.0, 403);
        let (_, proof, _) = limited.get(&link).await;
        assert!(proof.contains("Verified: entry") && !proof.contains("The entry as hashed"), "{proof}");
    }
}

/// The controls grid leads from each cell to that control's month: the
/// evidence behind it, linked to its release and to the raw bytes captured, and
/// what is missing; a token of one project cannot open another's.
#[tokio::test]
async fn a_controls_cell_leads_to_the_evidence_behind_it() {
    let server = sqlite_server(ServerConfig::default()).await;
    for project in ["shop", "billing"] {
        seed(&server, project).await;
    }
    let reader = server.token("auditor", &[Scope::Read], &["shop"], ActorKind::Human).await;
    let mut browser = Browser::new(&server);
    browser.sign_in(&reader).await;
    let (status, grid, _) = browser.get("/ui/controls?project=shop").await;
    assert_eq!(status, 200, "{grid}");
    // The cell of SOC 2's change-management control this month, when the
    // release was created.
    let now = OffsetDateTime::now_utc();
    let cell = format!("href=\"/ui/controls/soc2/CC8.1?period={}-{:02}", now.year(), u8::from(now.month()));
    let at = grid.find(&cell).expect("a link from this month's CC8.1 cell") + "href=\"".len();
    let link = grid[at..].split('"').next().unwrap().replace("&amp;", "&");
    assert!(link.ends_with("&project=shop"), "{link}");
    let (status, page, _) = browser.get(&link).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("CC8.1"), "{page}");
    // The seeded release's scans and tests stand behind it, each linked to its bytes.
    let raw = page.find("href=\"/ui/releases/shop/1.0.0/evidence/sha256%3A").expect(&page) + "href=\"".len();
    let raw = page[raw..].split('"').next().unwrap().to_owned();
    let (status, bytes, _) = browser.get(&raw).await;
    assert_eq!(status, 200);
    let captured = ["bandit.sarif", "semgrep.sarif", "junit.xml", "coverage.xml"].map(|name| example("v1", name));
    assert!(captured.iter().any(|file| file.as_slice() == bytes.as_bytes()), "the bytes of a seeded capture");
    assert!(page.contains("href=\"/ui/releases/shop/1.0.0\""), "{page}");
    assert!(page.contains("What is missing"), "{page}");
    assert_eq!(browser.get("/ui/controls/soc2/CC8.1?project=billing").await.0, 403);
    assert_eq!(browser.get("/ui/controls/soc2/NOPE?project=shop").await.0, 404);
    assert_eq!(browser.get("/ui/controls/soc2/CC8.1?project=shop&period=2026-13").await.0, 400);
    server.stop().await;
}

#[tokio::test]
async fn open_pages_hear_of_captures_certifications_and_deployments() {
    let server = sqlite_server(ServerConfig::default()).await;
    seed(&server, "shop").await;
    seed(&server, "billing").await;
    let reader = server.token("shop-auditor", &[Scope::Read], &["shop"], ActorKind::Human).await;
    let ci = server.token("ci", &[Scope::Capture, Scope::Release], &[], ActorKind::Bot).await;
    let mut browser = Browser::new(&server);
    browser.sign_in(&reader).await;
    let mut events =
        browser.client.get(server.url("/ui/events")).header("cookie", browser.cookie_header()).send().await.unwrap();
    assert_eq!(events.status(), 200);
    assert_eq!(events.headers()["content-type"], "text/event-stream");

    // Another project's capture is not told to this token; its own are.
    capture(&server, &ci, "billing", "secret-project.sarif", example("v1", "bandit.sarif")).await;
    capture(&server, &ci, "shop", "live<b>.sarif", example("v2", "bandit.sarif")).await;
    let response = server
        .client
        .post(server.url("/api/v1/releases/shop/1.0.0/deployments"))
        .bearer_auth(&ci)
        .json(&serde_json::json!({"environment": "staging"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());

    let mut seen = String::new();
    let read = tokio::time::timeout(Duration::from_secs(30), async {
        while !seen.contains("deployed to staging") {
            let chunk = events.chunk().await.unwrap().expect("the stream stays open");
            seen.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    })
    .await;
    assert!(read.is_ok(), "no deployment event within 30 s: {seen}");
    assert!(seen.contains("event: live"), "{seen}");
    assert!(seen.contains("live&lt;b&gt;.sarif"), "escaped: {seen}");
    assert!(!seen.contains("secret-project"), "another project's event leaked: {seen}");
    assert!(seen.contains("href=\"/ui/releases/shop/1.0.0\""), "{seen}");
}

/// Posts the exception request form.
async fn send(browser: &mut Browser, pairs: Vec<(&'static str, String)>) -> (u16, String, reqwest::header::HeaderMap) {
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(name, value)| (*name, value.as_str())).collect();
    browser.post("/ui/exceptions/request", &borrowed).await
}

/// A date `days` from now, as the API takes an exception's expiry.
fn days_from_now(days: i64) -> String {
    (time::OffsetDateTime::now_utc() + time::Duration::days(days)).date().to_string()
}

#[tokio::test]
async fn inventory_health_and_metrics_pages_escape_and_stay_within_the_token_projects() {
    for server in servers().await {
        let backend = server.backend;
        seed(&server, "shop").await;
        seed(&server, "billing").await;
        let ci = server.token("ci-shop", &[Scope::Capture], &["shop"], ActorKind::Bot).await;
        capture(&server, &ci, "shop", "evil<script>.sarif", HOSTILE_SARIF.as_bytes().to_vec()).await;
        let requester = server.token("dev", &[Scope::Release, Scope::Read], &[], ActorKind::Human).await;
        let approver = server.token("carol", &[Scope::Approve, Scope::Read], &[], ActorKind::Human).await;
        let response = server
            .client
            .post(server.url("/api/v1/exceptions"))
            .bearer_auth(&requester)
            .json(&serde_json::json!({"criterion": "no-critical", "project": "shop", "reason": "<script>alert('soon')</script> until the patch", "expires": days_from_now(5)}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        let id = response.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        let response = server
            .client
            .post(server.url(&format!("/api/v1/exceptions/{id}/approve")))
            .bearer_auth(&approver)
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

        let reader = server.token("auditor", &[Scope::Read], &[], ActorKind::Human).await;
        let mut browser = Browser::new(&server);
        assert_eq!(browser.sign_in(&reader).await.0, 303);
        for path in [
            "/ui/inventory",
            "/ui/inventory?project=shop&silent_after=1",
            "/ui/health",
            "/ui/health?project=shop&within_days=30",
            "/ui/metrics",
            "/ui/metrics?project=shop",
        ] {
            let (status, page, _) = browser.get(path).await;
            assert_eq!(status, 200, "{backend} {path}: {page}");
            assert_eq!(page.matches("<script").count(), 3, "{backend} {path}: markup passed through");
            assert!(!page.contains("<b>bold</b>") && !page.contains("<img src=x"), "{backend} {path}");
        }
        let (_, inventory, _) = browser.get("/ui/inventory?project=shop").await;
        assert!(
            inventory.contains("evil&lt;script&gt;alert(&#x27;tool&#x27;)"),
            "{backend}: the tool as text: {inventory}"
        );
        assert!(inventory.contains("href=\"/ui/releases/shop/1.0.0\""), "{backend}: {inventory}");
        let (_, health, _) = browser.get("/ui/health?project=shop").await;
        assert!(health.contains(&format!("exception-{id}")), "{backend}: the expiring exception: {health}");
        assert!(health.contains("&lt;script&gt;alert(&#x27;soon&#x27;)"), "{backend}: {health}");
        assert!(health.contains("No record: signoff keeps no record of full verifications"), "{backend}: {health}");
        assert!(health.contains("evil&lt;script&gt;.sarif") || health.contains("bandit.sarif"), "{backend}: {health}");
        let (_, metrics, _) = browser.get("/ui/metrics?project=shop").await;
        for chart in ["chart-pass-rate", "chart-completeness", "chart-time-to-fix", "chart-exceptions"] {
            assert!(metrics.contains(&format!("class=\"chart {chart}\"")), "{backend}: {chart}: {metrics}");
        }
        assert!(metrics.contains("<table id=\"metrics\">"), "{backend}");
        let (_, every, _) = browser.get("/ui/metrics").await;
        assert!(!every.contains("chart-time-to-fix") && every.contains("time-to-fix-note"), "{backend}: {every}");

        // A token of one project: its own data on every new page, and another's refused.
        let shop_reader = server.token("shop-auditor", &[Scope::Read], &["shop"], ActorKind::Human).await;
        let mut limited = Browser::new(&server);
        assert_eq!(limited.sign_in(&shop_reader).await.0, 303);
        for page in ["inventory", "health", "metrics"] {
            let (status, body, _) = limited.get(&format!("/ui/{page}")).await;
            assert_eq!(status, 200, "{backend} {page}: {body}");
            assert!(!body.contains("billing"), "{backend} {page}: another project's data: {body}");
            let (status, body, _) = limited.get(&format!("/ui/{page}?project=billing")).await;
            assert_eq!(status, 403, "{backend} {page}: {body}");
        }
        let (_, body, _) = limited.get("/ui/inventory").await;
        assert!(body.contains("href=\"/ui/releases/shop/1.0.0\""), "{backend}: {body}");

        // Bad numbers are a 400 page, not a guess.
        assert_eq!(browser.get("/ui/inventory?silent_after=0").await.0, 400);
        assert_eq!(browser.get("/ui/health?within_days=soon").await.0, 400);
        assert_eq!(browser.get("/ui/metrics?from=2026-05-01&to=2026-01-01").await.0, 400);
    }
}

#[tokio::test]
async fn an_exception_is_requested_from_the_page_with_the_rules_of_the_cli() {
    let server = sqlite_server(ServerConfig::default()).await;
    seed(&server, "shop").await;
    seed(&server, "billing").await;
    let reader = server.token("auditor", &[Scope::Read], &[], ActorKind::Human).await;
    let developer = server.token("dave", &[Scope::Release, Scope::Read], &["shop"], ActorKind::Human).await;
    let form = "action=\"/ui/exceptions/request\"";

    let request = |csrf: &str, project: &str, reason: &str, expires: String| {
        vec![
            ("csrf", csrf.to_owned()),
            ("project", project.to_owned()),
            ("waives", "criterion".to_owned()),
            ("target", "no-critical".to_owned()),
            ("reason", reason.to_owned()),
            ("expires", expires),
        ]
    };
    let reason = "the vendor ships a fix next week";

    // A read-only token sees no request form, and its post is refused.
    let mut auditor = Browser::new(&server);
    auditor.sign_in(&reader).await;
    let (_, page, _) = auditor.get("/ui/exceptions").await;
    assert!(!page.contains(form) && !page.contains("Request an exception"), "{page}");
    let csrf = csrf_of(&page);
    assert_eq!(send(&mut auditor, request(&csrf, "shop", reason, days_from_now(10))).await.0, 403);

    // A developer of shop gets the form with their project filled in.
    let mut dave = Browser::new(&server);
    dave.sign_in(&developer).await;
    let (_, page, _) = dave.get("/ui/exceptions").await;
    assert!(page.contains(form), "{page}");
    assert!(page.contains("id=\"x-project\" name=\"project\" value=\"shop\""), "{page}");
    let csrf = csrf_of(&page);
    let before = server.size().await;
    let (status, _, _) = send(&mut dave, request("forged", "shop", reason, days_from_now(10))).await;
    assert_eq!(status, 403, "a forged CSRF token");
    let (status, page, _) = send(&mut dave, request(&csrf, "billing", reason, days_from_now(10))).await;
    assert_eq!(status, 403, "another project: {page}");
    let (status, page, _) = send(&mut dave, request(&csrf, "shop", "because", days_from_now(10))).await;
    assert_eq!(status, 400, "a reason too short, as in the CLI: {page}");
    let (status, page, _) = send(&mut dave, request(&csrf, "shop", reason, "2020-01-01".into())).await;
    assert_eq!(status, 400, "an expiry in the past: {page}");
    // Refusals of the token are ledgered; bad input writes nothing.
    let denied = server.size().await - before;
    let (status, _, headers) =
        send(&mut dave, request(&csrf, "shop", "the vendor ships a fix <b>next</b> week", days_from_now(10))).await;
    assert_eq!(status, 303);
    let location = headers["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/ui/exceptions?requested="), "{location}");
    assert_eq!(server.size().await, before + denied + 1, "one entry: the request");
    let id = location.rsplit('=').next().unwrap().to_owned();
    let view = signoff_app::decide::exception(&server.signoff, &id).await.unwrap();
    assert_eq!(view.record.requested_by.id, "dave");
    assert_eq!(view.record.project.as_ref().map(|project| project.as_str()), Some("shop"));
    let (_, page, _) = dave.get(&location).await;
    assert!(page.contains(&format!("{id} requested")), "{page}");
    assert!(page.contains("fix &lt;b&gt;next&lt;&#x2f;b&gt; week"), "the reason as text: {page}");
}

#[tokio::test]
async fn audit_requests_are_read_and_answered_from_their_page() {
    let server = sqlite_server(ServerConfig::default()).await;
    seed(&server, "shop").await;
    let lead = server.token("carol", &[Scope::Admin, Scope::Read], &[], ActorKind::Human).await;
    let reader = server.token("auditor", &[Scope::Read], &[], ActorKind::Human).await;
    let limited = server.token("shop-reader", &[Scope::Read], &["shop"], ActorKind::Human).await;
    // A request whose words carry markup, as a list could.
    let list =
        "id,text,due\nREQ-1,\"Every <script>alert(1)</script> change\",2026-01-15\nREQ-2,Access reviews,2099-01-01\n";
    let signoff = &server.signoff;
    let carol =
        signoff_core::records::Actor { id: "carol".into(), kind: ActorKind::Human, on_behalf_of: None, source: None };
    signoff_app::pbc::import(signoff, "q3.csv", list.as_bytes(), carol).await.unwrap();

    let mut auditor = Browser::new(&server);
    auditor.sign_in(&reader).await;
    let (status, page, _) = auditor.get("/ui/audit-requests").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("2 requests as of"), "{page}");
    assert!(page.contains("<strong class=\"error\">1</strong> overdue"), "REQ-1 is past due: {page}");
    assert!(page.contains("Every &lt;script&gt;"), "the request as text: {page}");
    assert!(!page.contains("Time to answer") && !page.contains("in  h"), "nothing answered, no times: {page}");
    assert!(!page.contains("action=\"/ui/audit-requests/REQ-1/answer\""), "read-only: no answer form: {page}");
    let csrf = csrf_of(&page);
    let answer = [("csrf", csrf.as_str()), ("query", "search project=shop kind=sast"), ("note", "")];
    assert_eq!(auditor.post("/ui/audit-requests/REQ-1/answer", &answer).await.0, 403);

    let mut limited_browser = Browser::new(&server);
    limited_browser.sign_in(&limited).await;
    assert_eq!(limited_browser.get("/ui/audit-requests").await.0, 403, "the list spans projects");

    let mut browser = Browser::new(&server);
    browser.sign_in(&lead).await;
    let (_, page, _) = browser.get("/ui/audit-requests").await;
    assert!(page.contains("action=\"/ui/audit-requests/REQ-1/answer\""), "{page}");
    let csrf = csrf_of(&page);
    let forged = [("csrf", "forged"), ("query", "search project=shop kind=sast"), ("note", "")];
    assert_eq!(browser.post("/ui/audit-requests/REQ-1/answer", &forged).await.0, 403);
    let bad = [("csrf", csrf.as_str()), ("query", "everything please"), ("note", "")];
    assert_eq!(browser.post("/ui/audit-requests/REQ-1/answer", &bad).await.0, 400);
    let good = [("csrf", csrf.as_str()), ("query", "search project=shop kind=sast"), ("note", "both SAST tools")];
    let (status, _, headers) = browser.post("/ui/audit-requests/REQ-1/answer", &good).await;
    assert_eq!(status, 303);
    let location = headers["location"].to_str().unwrap().to_owned();
    let (_, page, _) = browser.get(&location).await;
    assert!(page.contains("REQ-1 answered."), "{page}");
    assert!(page.contains("query <code>search project=shop kind=sast</code> (2 rows)"), "{page}");
    assert!(page.contains("Time to answer: median "), "{page}");
    let view = signoff_app::pbc::one(signoff, "REQ-1").await.unwrap();
    assert_eq!(view.answers[0].record.answered_by.id, "carol", "the session's identity");
    let link = format!("/ui/audit-requests/REQ-1/answers/{}", view.answers[0].record.id);
    assert!(page.contains(&link), "{page}");
    let (status, csv, headers) = auditor.get(&link).await;
    assert_eq!(status, 200);
    assert_eq!(
        headers["content-disposition"].to_str().unwrap(),
        format!("attachment; filename=\"REQ-1-{}.csv\"", view.answers[0].record.id)
    );
    assert_eq!(signoff_core::Digest::of(csv.as_bytes()), view.answers[0].record.answer.digest());
}

#[tokio::test]
async fn the_sync_page_shows_each_destination_as_the_api_does() {
    let drop = tempfile::tempdir().unwrap();
    let settings = format!(
        "\n[sync.destinations.evidence-drop]\ntype = \"folder\"\npath = {:?}\n",
        drop.path().display().to_string()
    );
    let server = crate::util::sqlite_server_with(&settings).await;
    seed(&server, "shop").await;
    let reader = server.token("auditor", &[Scope::Read], &[], ActorKind::Human).await;
    let limited = server.token("shop-reader", &[Scope::Read], &["shop"], ActorKind::Human).await;

    let (status, body) = server.get("/api/v1/sync/status", &reader).await;
    assert_eq!(status, 200, "{body}");
    let api: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(api[0]["name"], "evidence-drop", "{api}");
    assert_eq!(api[0]["kind"], "folder", "{api}");
    assert_eq!(server.get("/api/v1/sync/status", &limited).await.0, 403);

    let mut browser = Browser::new(&server);
    browser.sign_in(&reader).await;
    let (status, page, _) = browser.get("/ui/sync").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<tr id=\"destination-evidence-drop\"><td>evidence-drop</td><td>folder</td>"), "{page}");
    assert!(page.contains("up to date"), "{page}");
    assert!(!page.contains(&drop.path().display().to_string()), "the page names no target: {page}");
    let mut limited_browser = Browser::new(&server);
    limited_browser.sign_in(&limited).await;
    assert_eq!(limited_browser.get("/ui/sync").await.0, 403);
}
