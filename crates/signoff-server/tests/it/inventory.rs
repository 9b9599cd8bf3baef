//! `GET /api/v1/inventory` and `/api/v1/inventory/health`: the read scope, and a
//! token limited to some projects sees only theirs.

use signoff_app::access::Scope;
use signoff_core::records::ActorKind;

use crate::util::{commit, seed, servers};

#[tokio::test]
async fn the_inventory_answers_within_the_token_projects() {
    for server in servers().await {
        let backend = server.backend;
        seed(&server, "shop").await;
        seed(&server, "other").await;
        let auditor = server.token("auditor", &[Scope::Read], &[], ActorKind::Human).await;
        let other = server.token("other-reader", &[Scope::Read], &["other"], ActorKind::Human).await;
        let get = |path: &str, token: &str| {
            let request = server.client.get(server.url(path)).bearer_auth(token.to_owned());
            async move {
                let response = request.send().await.unwrap();
                (response.status().as_u16(), response.text().await.unwrap())
            }
        };

        let (status, body) = get("/api/v1/inventory", &auditor).await;
        assert_eq!(status, 200, "{backend}: {body}");
        let inventory: serde_json::Value = serde_json::from_str(&body).unwrap();
        let projects: Vec<&str> = inventory["projects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|project| project["project"].as_str().unwrap())
            .collect();
        assert_eq!(projects, ["other", "shop"], "{backend}");
        let shop = &inventory["projects"][1];
        assert_eq!(shop["recent_releases"], serde_json::json!(["1.0.0"]), "{backend}");
        // bandit and semgrep (sast), pytest (test results), coverage.py (coverage).
        assert_eq!(shop["sources"].as_array().unwrap().len(), 4, "{backend}: {shop}");
        assert!(shop["sources"].as_array().unwrap().iter().all(|source| source["last_release"] == "1.0.0"));

        for path in ["/api/v1/inventory", "/api/v1/inventory/health", "/api/v1/inventory?project=other"] {
            let (status, body) = get(path, &other).await;
            assert_eq!(status, 200, "{backend} {path}: {body}");
            let leaked = body.contains("\"shop\"") || body.contains("shop@") || body.contains(&commit("shop"));
            assert!(!leaked, "{backend} {path}: no other project's data: {body}");
            assert!(body.contains("\"other\""), "{backend} {path}: {body}");
        }
        for path in ["/api/v1/inventory?project=shop", "/api/v1/inventory/health?project=shop"] {
            let (status, body) = get(path, &other).await;
            assert_eq!(status, 403, "{backend} {path}: {body}");
        }

        let (status, body) = get("/api/v1/inventory/health?within_days=30", &auditor).await;
        assert_eq!(status, 200, "{backend}: {body}");
        let health: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(health["ledger"]["size"], server.size().await, "{backend}");
        assert_eq!(health["within_days"], 30);
        assert!(health["ledger"]["last_full_verify"].is_null());
        assert!(health["ledger"]["verify_note"].as_str().unwrap().contains("signoff ledger verify"));

        let (status, body) = get("/api/v1/inventory?silent_after=0", &auditor).await;
        assert_eq!(status, 400, "{backend}: {body}");
        server.stop().await;
    }
}
