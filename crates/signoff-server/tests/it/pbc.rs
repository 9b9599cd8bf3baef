//! `/api/v1/pbc`: the auditor's request list over HTTP — imported and answered
//! with an admin token that spans every project, read with a read token, refused
//! to tokens limited to some projects (a saved query answers across them) and to
//! bots answering the auditor.

use signoff_app::access::Scope;
use signoff_core::records::ActorKind;

use crate::util::{root, seed, servers};

#[tokio::test]
async fn the_request_list_is_imported_answered_and_read_over_http() {
    for server in servers().await {
        let backend = server.backend;
        seed(&server, "shop").await;
        let lead = server.token("compliance-lead", &[Scope::Admin, Scope::Read], &[], ActorKind::Human).await;
        let auditor = server.token("auditor", &[Scope::Read], &[], ActorKind::Human).await;
        let limited = server.token("shop-admin", &[Scope::Admin, Scope::Read], &["shop"], ActorKind::Human).await;
        let bot = server.token("pipeline", &[Scope::Admin], &[], ActorKind::Bot).await;
        let csv = std::fs::read_to_string(root().join("examples/pbc/soc2-requests.csv")).unwrap();
        let list = serde_json::json!({"file_name": "soc2-requests.csv", "csv": csv});
        let post = |path: &str, token: &str, body: &serde_json::Value| {
            let request = server.client.post(server.url(path)).bearer_auth(token.to_owned()).json(body);
            async move {
                let response = request.send().await.unwrap();
                (response.status().as_u16(), response.text().await.unwrap())
            }
        };
        let get = |path: &str, token: &str| {
            let request = server.client.get(server.url(path)).bearer_auth(token.to_owned());
            async move {
                let response = request.send().await.unwrap();
                (response.status().as_u16(), response.bytes().await.unwrap().to_vec())
            }
        };

        for token in [&auditor, &limited] {
            let (status, body) = post("/api/v1/pbc", token, &list).await;
            assert_eq!(status, 403, "{backend}: {body}");
        }
        let (status, body) = post("/api/v1/pbc", &lead, &list).await;
        assert_eq!(status, 201, "{backend}: {body}");
        let report: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(report["imported"].as_array().unwrap().len(), 5, "{backend}: {report}");

        let bad = serde_json::json!({"file_name": "q4.csv", "csv": "id,text,due\nREQ-9,x,soon\n"});
        let (status, body) = post("/api/v1/pbc", &lead, &bad).await;
        assert_eq!(status, 400, "{backend}: {body}");
        assert!(body.contains("q4.csv:2: due: \\\"soon\\\" is not a date"), "{backend}: {body}");

        let query = serde_json::json!({"query": "search project=shop kind=sast", "note": "every SAST scan"});
        let (status, body) = post("/api/v1/pbc/REQ-3/answers", &bot, &query).await;
        assert_eq!(status, 403, "{backend}: a bot does not answer the auditor: {body}");
        let (status, body) = post("/api/v1/pbc/REQ-3/answers", &limited, &query).await;
        assert_eq!(status, 403, "{backend}: {body}");
        let (status, body) =
            post("/api/v1/pbc/REQ-3/answers", &lead, &serde_json::json!({"query": "everything"})).await;
        assert_eq!(status, 400, "{backend}: {body}");
        let (status, body) = post("/api/v1/pbc/REQ-3/answers", &lead, &query).await;
        assert_eq!(status, 201, "{backend}: {body}");
        let view: serde_json::Value = serde_json::from_str(&body).unwrap();
        let answer = &view["answers"][0];
        assert_eq!(answer["answered_by"]["id"], "compliance-lead", "{backend}: the token's identity: {view}");
        assert_eq!(answer["answer"]["rows"], 2, "{backend}: bandit and semgrep: {view}");

        let (status, bytes) =
            get(&format!("/api/v1/pbc/REQ-3/answers/{}", answer["id"].as_str().unwrap()), &auditor).await;
        assert_eq!(status, 200, "{backend}");
        let digest = signoff_core::Digest::of(&bytes).to_string();
        assert_eq!(answer["answer"]["digest"], digest.as_str(), "{backend}: the bytes are the ledgered ones");
        assert!(String::from_utf8(bytes).unwrap().contains("Bandit"), "{backend}");

        let (status, body) = get("/api/v1/pbc?state=open", &auditor).await;
        assert_eq!(status, 200, "{backend}");
        let open: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(open.as_array().unwrap().len(), 4, "{backend}: {open}");
        let (status, body) = get("/api/v1/pbc/status", &auditor).await;
        assert_eq!(status, 200, "{backend}");
        let figures: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(figures["requests"], 5, "{backend}: {figures}");
        assert_eq!(figures["answered"].as_u64().unwrap() + figures["answered_late"].as_u64().unwrap(), 1);
        let (status, _) = get("/api/v1/pbc/status", &limited).await;
        assert_eq!(status, 403, "{backend}");
        let (status, _) = get("/api/v1/pbc/REQ-99", &auditor).await;
        assert_eq!(status, 404, "{backend}");
        server.stop().await;
    }
}
