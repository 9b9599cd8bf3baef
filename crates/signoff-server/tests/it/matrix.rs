//! Every operation of the OpenAPI document × every scope, and no token, a
//! malformed, expired or revoked one, and one limited to another project:
//! nothing succeeds without the scope its security requirement names, and
//! answers to a token of another project never carry this project's data.

use signoff_app::access::{self, NewToken, Scope};
use signoff_core::records::{Actor, ActorKind};

use crate::util::{TestServer, artifact, commit, example, seed, servers};

struct Operation {
    method: String,
    path: String,
    id: String,
    /// The scope it needs; `None`: public.
    scope: Option<String>,
    required_query: Vec<String>,
}

fn operations(document: &serde_json::Value) -> Vec<Operation> {
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let security = operation["security"].as_array().expect("every operation states its security");
            let scope = security
                .iter()
                .filter_map(|requirement| requirement.get("token"))
                .filter_map(|scopes| scopes.as_array()?.first()?.as_str().map(str::to_owned))
                .next();
            let required_query = operation["parameters"]
                .as_array()
                .map(|parameters| {
                    parameters
                        .iter()
                        .filter(|parameter| parameter["in"] == "query" && parameter["required"] == true)
                        .map(|parameter| parameter["name"].as_str().unwrap().to_owned())
                        .collect()
                })
                .unwrap_or_default();
            operations.push(Operation {
                method: method.clone(),
                path: path.clone(),
                id: operation["operationId"].as_str().unwrap_or_default().to_owned(),
                scope,
                required_query,
            });
        }
    }
    operations
}

/// A plausible request for an operation about `shop@1.0.0`.
fn request(server: &TestServer, operation: &Operation) -> reqwest::RequestBuilder {
    let path = operation
        .path
        .replace("{project}", "shop")
        .replace("{version}", "1.0.0")
        .replace("{id}", "EXC-1")
        .replace("{question}", "scans-for-period")
        .replace("{environment}", "prod")
        .replace("{answer}", "0193a0c0-0000-7000-8000-000000000001");
    let query: Vec<(String, String)> = operation
        .required_query
        .iter()
        .map(|name| {
            let value = match name.as_str() {
                "project" => "shop".to_owned(),
                "name" => "bandit.sarif".to_owned(),
                "artifact" => artifact("shop@1.0.0"),
                "entry" => "0".to_owned(),
                "from" => "1".to_owned(),
                "kind" => "file".to_owned(),
                "file_name" => "notes.txt".to_owned(),
                other => panic!("no value for required query parameter {other} of {}", operation.path),
            };
            (name.clone(), value)
        })
        .collect();
    let method = reqwest::Method::from_bytes(operation.method.to_uppercase().as_bytes()).unwrap();
    let mut builder = server.client.request(method, server.url(&path)).query(&query);
    builder = match operation.id.as_str() {
        "capture" => builder.query(&[("commit", commit("shop"))]).body(example("v1", "bandit.sarif")),
        "create_release" => builder.json(&serde_json::json!({"release": "shop@2.0.0", "commit": commit("shop-2")})),
        "approve" => builder.json(&serde_json::json!({"role": "release-manager"})),
        "request_exception" => builder.json(&serde_json::json!({
            "criterion": "no-critical-findings", "project": "shop", "reason": "accepted while the fix ships", "expires": "2099-01-01"
        })),
        "approve_exception" | "approve_triage" => builder.json(&serde_json::json!({})),
        "triage" => builder.json(&serde_json::json!({
            "finding": "0123456789abcdef", "disposition": "false_positive", "reason": "a test fixture, never deployed"
        })),
        "certify" => builder.json(&serde_json::json!({"dry_run": true})),
        "deploy" => builder.json(&serde_json::json!({"environment": "staging"})),
        "snapshot" => builder.json(&serde_json::json!({"artifacts": [artifact("shop@1.0.0")]})),
        "import_requests" => {
            builder.json(&serde_json::json!({"file_name": "requests.csv", "csv": "id,text\nEXC-1,the population\n"}))
        }
        "answer_by_query" => builder.json(&serde_json::json!({"query": "population env=prod"})),
        "answer_by_document" => builder.body("the notes"),
        _ => builder,
    };
    builder
}

async fn token_with_expiry(server: &TestServer, name: &str) -> String {
    let request = NewToken {
        name: name.into(),
        scopes: Scope::ALL.to_vec(),
        projects: vec![],
        kind: ActorKind::Human,
        expires_in: Some(time::Duration::milliseconds(1)),
        actor: Actor { id: "admin".into(), kind: ActorKind::Human, on_behalf_of: None, source: None },
    };
    access::create(&server.signoff, request).await.unwrap().secret
}

#[tokio::test]
async fn nothing_succeeds_without_its_scope() {
    for server in servers().await {
        seed(&server, "shop").await;
        seed(&server, "other").await;
        let document: serde_json::Value =
            server.client.get(server.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
        let operations = operations(&document);
        assert!(operations.len() >= 20, "{} operations", operations.len());

        // One token per scope (every project), for humans and, where agents may hold
        // the scope, for agents; tokens that must be refused.
        let mut single = Vec::new();
        for scope in Scope::ALL {
            single.push((scope, server.token(&format!("only-{scope}"), &[scope], &[], ActorKind::Human).await));
            if scope.for_agents() {
                single.push((scope, server.token(&format!("agent-{scope}"), &[scope], &[], ActorKind::AiAgent).await));
            }
        }
        let agent_all =
            server.token("agent-all", &[Scope::Capture, Scope::Release, Scope::Read], &[], ActorKind::AiAgent).await;
        let expired = token_with_expiry(&server, "expired").await;
        let revoked_token = server.token("revoked", &Scope::ALL, &[], ActorKind::Human).await;
        let revoked_id = revoked_token.split('_').nth(1).unwrap().to_owned();
        access::revoke(
            &server.signoff,
            &revoked_id,
            Actor { id: "admin".into(), kind: ActorKind::Human, on_behalf_of: None, source: None },
        )
        .await
        .unwrap();
        let other = server.token("other-team", &Scope::ALL, &["other"], ActorKind::Human).await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;

        let mut checked = 0;
        for operation in &operations {
            let what =
                format!("{} {} {} ({})", server.backend, operation.method.to_uppercase(), operation.path, operation.id);
            let Some(needed) = operation.scope.as_deref() else {
                let response = request(&server, operation).send().await.unwrap();
                assert!(response.status().is_success(), "{what}: public, got {}", response.status());
                continue;
            };
            let needed: Scope = needed.parse().unwrap();
            for (label, presented) in [
                ("no token", None),
                ("malformed", Some("so_garbage")),
                ("expired", Some(expired.as_str())),
                ("revoked", Some(revoked_token.as_str())),
            ] {
                let mut builder = request(&server, operation);
                if let Some(token) = presented {
                    builder = builder.bearer_auth(token);
                }
                let response = builder.send().await.unwrap();
                assert_eq!(response.status(), 401, "{what} with {label}");
                checked += 1;
            }
            for (scope, token) in &single {
                let response = request(&server, operation).bearer_auth(token).send().await.unwrap();
                let status = response.status().as_u16();
                if *scope == needed {
                    assert!(
                        status != 401 && status != 403,
                        "{what} with its scope {scope}: {status} {}",
                        response.text().await.unwrap()
                    );
                } else {
                    assert_eq!(status, 403, "{what} with scope {scope} only");
                }
                checked += 1;
            }
            if !needed.for_agents() {
                let response = request(&server, operation).bearer_auth(&agent_all).send().await.unwrap();
                assert_eq!(response.status(), 403, "{what}: an agent is never allowed");
            }
            // Another project's token: refused on shop's routes, or answered with its
            // own project's data only.
            let response = request(&server, operation).bearer_auth(&other).send().await.unwrap();
            let status = response.status().as_u16();
            let body = response.text().await.unwrap();
            if status < 300 {
                let leaked = body.contains("\"shop\"") || body.contains("shop@") || body.contains(&commit("shop"));
                assert!(!leaked, "{what}: a token of project other got shop's data: {body}");
            } else {
                assert!(status != 401, "{what}: {status} {body}");
            }
            checked += 1;
        }
        assert!(checked > 200, "{checked} requests checked");

        // The agents' refused attempts are in the ledger (J2).
        let denials = access::denials(&server.signoff).await.unwrap();
        assert!(
            denials.iter().any(|denial| denial.record.actor.id == "agent-all" && denial.record.action == "approve")
        );
        let verified = signoff_app::verify::verify(&server.signoff, &Default::default()).await.unwrap();
        assert!(verified.ok, "{}: {verified:?}", server.backend);
        server.stop().await;
    }
}

#[tokio::test]
async fn aggregate_answers_stay_within_the_token_projects() {
    for server in servers().await {
        seed(&server, "shop").await;
        seed(&server, "other").await;
        let other = server.token("other-reader", &[Scope::Read], &["other"], ActorKind::Human).await;
        let both = server.token("two-teams", &[Scope::Read], &["other", "shop"], ActorKind::Human).await;
        let get = |path: &str, token: &str| {
            let request = server.client.get(server.url(path)).bearer_auth(token.to_owned());
            async move {
                let response = request.send().await.unwrap();
                (response.status().as_u16(), response.text().await.unwrap())
            }
        };
        for path in [
            "/api/v1/audit/search",
            "/api/v1/releases",
            "/api/v1/audit/questions/scans-for-period",
            "/api/v1/controls/coverage",
            "/api/v1/projects/other/findings",
        ] {
            let (status, body) = get(path, &other).await;
            assert_eq!(status, 200, "{path}: {body}");
            // (The example app's files live under `shop/`: project data is matched by
            // project name, release and commit.)
            let leaked = body.contains("\"shop\"") || body.contains("shop@") || body.contains(&commit("shop"));
            assert!(!leaked, "{path}: no other project's data: {body}");
        }
        for path in [
            "/api/v1/audit/search?project=shop",
            "/api/v1/releases?project=shop",
            "/api/v1/projects/shop/findings",
            "/api/v1/audit/questions/population?environment=prod",
            "/api/v1/audit/questions/deployed-without-certification",
            "/api/v1/tokens",
            "/metrics",
        ] {
            let (status, body) = get(path, &other).await;
            assert_eq!(status, 403, "{path}: {body}");
        }
        // An inclusion proof carries its entry: only for a token of the entry's project.
        let everyone = server.token("auditor", &[Scope::Read], &[], ActorKind::Human).await;
        let size = server.size().await;
        let mut seen = std::collections::BTreeSet::new();
        for entry in 0..size {
            let path = format!("/api/v1/ledger/proofs/inclusion?entry={entry}");
            let (status, body) = get(&path, &everyone).await;
            assert_eq!(status, 200, "entry {entry}: {body}");
            let proof: serde_json::Value = serde_json::from_str(&body).unwrap();
            let entry_body: serde_json::Value = serde_json::from_str(proof["entry_body"].as_str().unwrap()).unwrap();
            let project = entry_body["data"]["project"].as_str().unwrap_or("").to_owned();
            let (status, body) = get(&path, &other).await;
            let expected = if project == "other" { 200 } else { 403 };
            assert_eq!(status, expected, "entry {entry} of project {project:?}: {body}");
            seen.insert(project);
        }
        assert!(seen.contains("shop") && seen.contains("other") && seen.contains(""), "{seen:?}");
        // A token of two projects must say which one an aggregate is about.
        let (status, body) = get("/api/v1/audit/search", &both).await;
        assert_eq!(status, 403, "{body}");
        assert!(body.contains("name one of them"), "{body}");
        let (status, body) = get("/api/v1/audit/search?project=shop", &both).await;
        assert_eq!(status, 200, "{body}");
        server.stop().await;
    }
}
