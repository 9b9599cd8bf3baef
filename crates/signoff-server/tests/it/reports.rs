//! `GET /api/v1/reports`: the period report of `signoff report`, within the
//! token's projects — its releases, coverage and metrics never count another
//! project's.

use signoff_app::access::Scope;
use signoff_core::records::ActorKind;

use crate::util::{seed, servers};

#[tokio::test]
async fn a_period_report_stays_within_the_token_projects() {
    for server in servers().await {
        let backend = server.backend;
        seed(&server, "shop").await;
        seed(&server, "billing").await;
        let everyone = server.token("auditor", &[Scope::Read], &[], ActorKind::Human).await;
        let shop = server.token("shop-reader", &[Scope::Read], &["shop"], ActorKind::Human).await;
        let (status, body) = server.get("/api/v1/reports", &everyone).await;
        assert_eq!(status, 200, "{backend}: {body}");
        let all: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(all["projects"], serde_json::json!(["billing", "shop"]), "{backend}");
        assert_eq!(all["releases"].as_array().unwrap().len(), 2, "{backend}");

        for query in ["", "?project=shop"] {
            let (status, body) = server.get(&format!("/api/v1/reports{query}"), &shop).await;
            assert_eq!(status, 200, "{backend} {query}: {body}");
            let report: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(report["projects"], serde_json::json!(["shop"]), "{backend}");
            assert_eq!(report["releases"].as_array().unwrap().len(), 1, "{backend}");
            assert!(!body.contains("billing"), "{backend} {query}: no other project's data");
        }
        let (status, body) = server.get("/api/v1/reports?project=billing", &shop).await;
        assert_eq!(status, 403, "{backend}: {body}");
        let (status, body) = server.get("/api/v1/reports?frameworks=soc2,nonsense", &everyone).await;
        assert_eq!(status, 400, "{backend}: {body}");
        let (status, body) = server.get(&format!("/api/v1/reports{}", "?from=yesterday"), &everyone).await;
        assert_eq!(status, 400, "{backend}: {body}");
        server.stop().await;
    }
}
