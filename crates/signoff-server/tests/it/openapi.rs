//! The OpenAPI document is generated from the handlers; the checked-in copy
//! (`docs/openapi.json`) must match it. `UPDATE_OPENAPI=1 cargo test -p
//! signoff-server openapi` rewrites the copy.

use signoff_server::ServerConfig;

use crate::util::{root, sqlite_server};

#[tokio::test]
async fn the_checked_in_document_is_the_served_one() {
    let generated = signoff_server::openapi_json();
    let path = root().join("docs/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "docs/openapi.json differs from the handlers' document: run `UPDATE_OPENAPI=1 cargo test -p signoff-server openapi` and commit it"
    );
    let document: serde_json::Value = serde_json::from_str(&generated).unwrap();
    assert_eq!(document["openapi"], "3.1.0");

    let server = sqlite_server(ServerConfig::default()).await;
    let served = server.client.get(server.url("/api/openapi.json")).send().await.unwrap().text().await.unwrap();
    assert_eq!(served, generated);
    server.stop().await;
}
