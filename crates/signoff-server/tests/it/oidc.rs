//! A pipeline authenticates with its CI system's OIDC ID token (R5): the server
//! checks it against the issuer's JWKS (served here on loopback) and maps its
//! claims to projects, scopes and an actor kind by the rules of signoff.toml.

use axum::routing::get;
use base64::Engine as _;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::util::{commit, example, sqlite_server_with};

const ISSUER: &str = "https://token.actions.example.test";
const AUDIENCE: &str = "https://signoff.example.test";

/// A signing key of the issuer, with the key id it is published under.
struct IssuerKey {
    kid: &'static str,
    signing: SigningKey,
}

impl IssuerKey {
    fn new(kid: &'static str, seed: u8) -> IssuerKey {
        IssuerKey { kid, signing: SigningKey::from_bytes(&[seed; 32]) }
    }

    fn jwk(&self) -> serde_json::Value {
        let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.signing.verifying_key().as_bytes());
        json!({"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": self.kid, "x": x})
    }

    fn sign(&self, claims: &serde_json::Value) -> String {
        let der = self.signing.to_pkcs8_der().unwrap();
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.into());
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(der.as_bytes())).unwrap()
    }
}

/// The claims of a GitHub Actions run of `repository` on `git_ref`, valid for
/// `lifetime` seconds from now (negative: expired).
fn claims(repository: &str, git_ref: &str, audience: &str, lifetime: i64) -> serde_json::Value {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    json!({
        "iss": ISSUER,
        "aud": audience,
        "sub": format!("repo:{repository}:ref:{git_ref}"),
        "repository": repository,
        "ref": git_ref,
        "iat": now - 10,
        "nbf": now - 10,
        "exp": now + lifetime,
    })
}

fn unsigned(claims: &serde_json::Value, header: &serde_json::Value) -> String {
    let part = |value: &serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
    };
    format!("{}.{}.", part(header), part(claims))
}

#[tokio::test]
async fn ci_oidc_tokens_are_checked_against_the_issuer_and_mapped_by_rules() {
    let key = IssuerKey::new("key-1", 7);
    let jwks = json!({"keys": [key.jwk()]});
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let jwks_url = format!("http://{}/.well-known/jwks", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let issuer = tokio::spawn(
        axum::serve(
            listener,
            axum::Router::new().route("/.well-known/jwks", get(move || async move { axum::Json(jwks) })),
        )
        .with_graceful_shutdown(async move {
            let _ = stopped.await;
        })
        .into_future(),
    );
    let server = sqlite_server_with(&format!(
        r#"
[[server.oidc]]
issuer = "{ISSUER}"
audience = "{AUDIENCE}"
jwks = "{jwks_url}"

[[server.oidc.rules]]
claims = {{ repository = "acme/shop", ref = "refs/heads/*" }}
projects = ["shop"]
scopes = ["capture", "read"]
kind = "bot"

[[server.oidc.rules]]
claims = {{ repository = "acme/agent-sandbox" }}
scopes = ["capture", "read"]
kind = "ai_agent"
"#
    ))
    .await;
    let capture = |token: String, project: &'static str| {
        server
            .client
            .post(server.url("/api/v1/captures"))
            .query(&[("project", project), ("name", "bandit.sarif"), ("commit", &commit(project))])
            .bearer_auth(token)
            .body(example("v1", "bandit.sarif"))
            .send()
    };

    // A run of the repository the rule names: accepted, and its subject is the actor.
    let valid = key.sign(&claims("acme/shop", "refs/heads/main", AUDIENCE, 300));
    let response = capture(valid.clone(), "shop").await.unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let reports: serde_json::Value = response.json().await.unwrap();
    assert_eq!(reports[0]["context"]["actor"], "repo:acme/shop:ref:refs/heads/main", "{reports}");
    let size = server.size().await;

    // The rule's project limit and scopes hold.
    let response = capture(valid.clone(), "billing").await.unwrap();
    assert_eq!(response.status(), 403, "another project");
    let response = server
        .client
        .post(server.url("/api/v1/releases/shop/1.0.0/certify"))
        .bearer_auth(&valid)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403, "a scope the rule does not grant");

    // Every way a token can be wrong is refused with 401 and a reason.
    let other_key = IssuerKey::new("key-1", 9);
    let refused = [
        ("expired", key.sign(&claims("acme/shop", "refs/heads/main", AUDIENCE, -120)), "xpired"),
        ("wrong audience", key.sign(&claims("acme/shop", "refs/heads/main", "https://elsewhere", 300)), "udience"),
        ("another repository", key.sign(&claims("evil/shop", "refs/heads/main", AUDIENCE, 300)), "no rule"),
        ("a tag, not a branch", key.sign(&claims("acme/shop", "refs/tags/v1", AUDIENCE, 300)), "no rule"),
        ("bad signature", other_key.sign(&claims("acme/shop", "refs/heads/main", AUDIENCE, 300)), "ignature"),
        (
            "unknown key",
            IssuerKey::new("key-2", 7).sign(&claims("acme/shop", "refs/heads/main", AUDIENCE, 300)),
            "key-2",
        ),
        (
            "alg none",
            unsigned(&claims("acme/shop", "refs/heads/main", AUDIENCE, 300), &json!({"alg": "none", "kid": "key-1"})),
            "header",
        ),
        (
            "HMAC",
            jsonwebtoken::encode(
                &Header { kid: Some("key-1".into()), ..Header::new(Algorithm::HS256) },
                &claims("acme/shop", "refs/heads/main", AUDIENCE, 300),
                &EncodingKey::from_secret(key.jwk()["x"].as_str().unwrap().as_bytes()).unwrap(),
            )
            .unwrap(),
            "asymmetric",
        ),
    ];
    for (case, token, why) in refused {
        let response = capture(token, "shop").await.unwrap();
        assert_eq!(response.status(), 401, "{case}");
        let problem: serde_json::Value = response.json().await.unwrap();
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("OIDC token refused") && detail.contains(why), "{case}: {detail}");
    }
    assert_eq!(server.size().await, size, "nothing refused was stored");

    // An AI agent's identity may capture, and never approve; the refusal is ledgered.
    let agent = key.sign(&claims("acme/agent-sandbox", "refs/heads/main", AUDIENCE, 300));
    let response = capture(agent.clone(), "sandbox").await.unwrap();
    assert_eq!(response.status(), 201);
    let response = server
        .client
        .post(server.url("/api/v1/releases/sandbox/1.0.0/approvals"))
        .bearer_auth(&agent)
        .json(&json!({"role": "release-manager"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let denials = signoff_app::access::denials(&server.signoff).await.unwrap();
    assert_eq!(denials.len(), 1, "{denials:?}");
    assert_eq!(denials[0].record.actor.id, "repo:acme/agent-sandbox:ref:refs/heads/main");

    server.stop().await;
    let _ = stop.send(());
    issuer.await.unwrap().unwrap();
}

#[tokio::test]
async fn an_agent_rule_with_scopes_agents_never_hold_is_refused_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("store");
    signoff_app::Signoff::init(&home, Some("signoff.test/server"), None).await.unwrap();
    let path = home.join("signoff.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&format!(
        "\n[[server.oidc]]\nissuer = \"{ISSUER}\"\naudience = \"{AUDIENCE}\"\njwks = \"jwks.json\"\n\n[[server.oidc.rules]]\nclaims = {{ repository = \"acme/bot\" }}\nscopes = [\"capture\", \"approve\"]\nkind = \"ai_agent\"\n"
    ));
    std::fs::write(&path, text).unwrap();
    let error = signoff_app::Signoff::open(&home).await.err().expect("the configuration is refused");
    let text = error.to_string();
    assert!(text.contains("AI agent") && text.contains("approve"), "{text}");
}
