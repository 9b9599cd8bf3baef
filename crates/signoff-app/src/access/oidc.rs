//! CI identity without secrets (R5): a pipeline presents its own OIDC ID token
//! (GitHub Actions, GitLab CI) instead of a signoff token.
//!
//! The server trusts the issuers `signoff.toml` names, each with its audience,
//! its JWKS (an https URL, or a file in the store folder) and rules that map the
//! token's claims (`repository`, `ref`, ...) to projects, scopes and an actor
//! kind:
//!
//! ```toml
//! [[server.oidc]]
//! issuer = "https://token.actions.githubusercontent.com"
//! audience = "https://signoff.example.com"
//! jwks = "https://token.actions.githubusercontent.com/.well-known/jwks"
//! actor_claim = "sub"                 # the claim that names the actor (default)
//!
//! [[server.oidc.rules]]
//! claims = { repository = "acme/shop", ref = "refs/heads/main" }   # `*` matches any run of characters
//! projects = ["shop"]
//! scopes = ["capture", "release", "read"]
//! kind = "bot"                        # human, bot or ai_agent
//! ```
//!
//! A token is accepted only when it is signed with an asymmetric algorithm by a
//! key of its issuer's JWKS (`alg: none` and HMAC are refused), names the
//! configured audience, has not expired, and matches a rule; the first rule that
//! matches decides. Its identity is `<issuer's actor claim>`, recorded as the
//! actor of everything done with it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use signoff_core::ProjectName;
use signoff_core::records::{Actor, ActorKind};

use super::{Principal, Scope};
use crate::error::AppError;

/// How long a fetched JWKS is trusted before it is fetched again.
const JWKS_TTL: Duration = Duration::from_secs(600);
/// A key id the JWKS lacks makes it fetched again, at most this often.
const JWKS_REFETCH: Duration = Duration::from_secs(30);

/// `[[server.oidc]]`: an issuer the server trusts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerConfig {
    /// The `iss` claim, exactly.
    pub issuer: String,
    /// The `aud` claim the token must carry.
    pub audience: String,
    /// Where its keys are: an https URL (http only on loopback), or a file.
    pub jwks: String,
    /// The claim naming the actor.
    #[serde(default = "default_actor_claim")]
    pub actor_claim: String,
    /// Claims to projects, scopes and kind; the first match decides.
    pub rules: Vec<RuleConfig>,
}

fn default_actor_claim() -> String {
    "sub".into()
}

/// `[[server.oidc.rules]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// Claims that must all match; `*` in a value matches any run of characters.
    pub claims: BTreeMap<String, String>,
    /// The projects it may act on; empty: all.
    #[serde(default)]
    pub projects: Vec<ProjectName>,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// Who acts with it.
    #[serde(default = "default_kind")]
    pub kind: ActorKind,
}

fn default_kind() -> ActorKind {
    ActorKind::Bot
}

/// Where an issuer's keys come from.
#[derive(Debug, Clone)]
enum KeySource {
    Url(String),
    File(PathBuf),
}

#[derive(Debug)]
struct Issuer {
    config: IssuerConfig,
    source: KeySource,
    keys: Mutex<Option<(Instant, JwkSet)>>,
}

/// The issuers a server trusts, with their keys as last fetched.
#[derive(Debug)]
pub struct Verifier {
    issuers: Vec<Issuer>,
    http: reqwest::Client,
}

impl Verifier {
    /// The verifier for the issuers configured; `home` resolves JWKS files.
    ///
    /// # Errors
    /// A rule that gives an AI agent a scope agents never hold, a rule without
    /// claims or scopes, or a JWKS that is neither https (http on loopback) nor a
    /// file.
    pub fn new(configs: &[IssuerConfig], home: &Path) -> Result<Verifier, AppError> {
        let config_error = |message: String| AppError::Invalid(format!("signoff.toml [[server.oidc]]: {message}"));
        let mut issuers = Vec::new();
        for config in configs {
            let source = if config.jwks.starts_with("https://") || config.jwks.starts_with("http://") {
                let url = reqwest::Url::parse(&config.jwks)
                    .map_err(|error| config_error(format!("jwks {} of {}: {error}", config.jwks, config.issuer)))?;
                let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
                if url.scheme() != "https" && !loopback {
                    return Err(config_error(format!(
                        "jwks {} of {}: keys are fetched over https (http only on loopback)",
                        config.jwks, config.issuer
                    )));
                }
                KeySource::Url(config.jwks.clone())
            } else {
                KeySource::File(home.join(&config.jwks))
            };
            if config.rules.is_empty() {
                return Err(config_error(format!("{} has no rules: no token of it would be accepted", config.issuer)));
            }
            for rule in &config.rules {
                if rule.claims.is_empty() || rule.scopes.is_empty() {
                    return Err(config_error(format!(
                        "a rule of {} needs claims to match and scopes to grant",
                        config.issuer
                    )));
                }
                if rule.kind == ActorKind::AiAgent
                    && let Some(scope) = rule.scopes.iter().find(|scope| !scope.for_agents())
                {
                    return Err(config_error(format!(
                        "a rule of {} gives an AI agent the {} scope: agents may only capture, release and read",
                        config.issuer,
                        scope.as_str()
                    )));
                }
            }
            issuers.push(Issuer { config: config.clone(), source, keys: Mutex::new(None) });
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .no_proxy()
            .build()
            .map_err(|error| AppError::Invalid(format!("cannot start an HTTP client: {error}")))?;
        Ok(Verifier { issuers, http })
    }

    /// Whether any issuer is configured.
    pub fn is_empty(&self) -> bool {
        self.issuers.is_empty()
    }

    /// The principal of an OIDC ID token.
    ///
    /// # Errors
    /// [`AppError::Unauthenticated`] naming why the token is not accepted.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, AppError> {
        let refused = |why: String| AppError::Unauthenticated(format!("OIDC token refused: {why}"));
        let header =
            jsonwebtoken::decode_header(token).map_err(|error| refused(format!("unreadable header ({error})")))?;
        if !ASYMMETRIC.contains(&header.alg) {
            return Err(refused(format!("{:?} is not an asymmetric signature algorithm", header.alg)));
        }
        let issuer_claim = unverified_issuer(token).ok_or_else(|| refused("no iss claim".into()))?;
        let issuer = self
            .issuers
            .iter()
            .find(|issuer| issuer.config.issuer == issuer_claim)
            .ok_or_else(|| refused(format!("issuer {issuer_claim} is not trusted by this server")))?;
        let kid = header.kid.as_deref().ok_or_else(|| refused("no key id (kid) in the header".into()))?;
        let jwk = self
            .key(issuer, kid)
            .await?
            .ok_or_else(|| refused(format!("key {kid} is not in {issuer_claim}'s JWKS")))?;
        let key = DecodingKey::from_jwk(&jwk).map_err(|error| refused(format!("key {kid}: {error}")))?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&issuer.config.issuer]);
        validation.set_audience(&[&issuer.config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let claims = jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(token, &key, &validation)
            .map_err(|error| refused(error.to_string()))?
            .claims;
        let text = |name: &str| -> Option<String> {
            match claims.get(name)? {
                serde_json::Value::String(text) => Some(text.clone()),
                serde_json::Value::Number(number) => Some(number.to_string()),
                serde_json::Value::Bool(flag) => Some(flag.to_string()),
                _ => None,
            }
        };
        let rule = issuer
            .config
            .rules
            .iter()
            .find(|rule| {
                rule.claims.iter().all(|(name, pattern)| text(name).is_some_and(|value| wildcard(pattern, &value)))
            })
            .ok_or_else(|| refused(format!("no rule of {issuer_claim} matches its claims")))?;
        let id = text(&issuer.config.actor_claim)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| refused(format!("no {} claim to name the actor", issuer.config.actor_claim)))?;
        Ok(Principal {
            token: format!("oidc:{issuer_claim}"),
            scopes: rule.scopes.clone(),
            projects: rule.projects.clone(),
            actor: Actor { id, kind: rule.kind, on_behalf_of: None, source: Some(format!("oidc {issuer_claim}")) },
        })
    }

    /// The issuer's key `kid`, fetching its JWKS when it is stale or lacks it.
    async fn key(&self, issuer: &Issuer, kid: &str) -> Result<Option<jsonwebtoken::jwk::Jwk>, AppError> {
        let cached = {
            let keys = issuer.keys.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            keys.as_ref().map(|(at, set)| (at.elapsed(), set.find(kid).cloned()))
        };
        match cached {
            Some((age, Some(jwk))) if age < JWKS_TTL => return Ok(Some(jwk)),
            Some((age, None)) if age < JWKS_REFETCH => return Ok(None),
            _ => {}
        }
        let set = self.fetch(issuer).await?;
        let found = set.find(kid).cloned();
        *issuer.keys.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some((Instant::now(), set));
        Ok(found)
    }

    async fn fetch(&self, issuer: &Issuer) -> Result<JwkSet, AppError> {
        let unreachable = |why: String| {
            AppError::Unauthenticated(format!(
                "OIDC token refused: the keys of {} cannot be read: {why}",
                issuer.config.issuer
            ))
        };
        let bytes = match &issuer.source {
            KeySource::File(path) => {
                tokio::fs::read(path).await.map_err(|error| unreachable(format!("{}: {error}", path.display())))?
            }
            KeySource::Url(url) => {
                let response =
                    self.http.get(url).send().await.map_err(|error| unreachable(format!("{url}: {error}")))?;
                if !response.status().is_success() {
                    return Err(unreachable(format!("{url} answered {}", response.status())));
                }
                response.bytes().await.map_err(|error| unreachable(format!("{url}: {error}")))?.to_vec()
            }
        };
        serde_json::from_slice(&bytes).map_err(|error| unreachable(format!("not a JWKS: {error}")))
    }
}

/// The signature algorithms accepted: asymmetric only.
const ASYMMETRIC: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// The `iss` claim, read before the signature is checked only to choose whose
/// keys check it.
fn unverified_issuer(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("iss")?.as_str().map(str::to_owned)
}

/// Whether `value` matches `pattern`, where `*` matches any run of characters
/// (`/` included) and every other character only itself, case counting.
fn wildcard(pattern: &str, value: &str) -> bool {
    let wildcards = signoff_git::actor::Wildcards { question_mark: false, case_insensitive: false };
    signoff_git::actor::wildcard_matcher(pattern, wildcards).is_some_and(|matcher| matcher.is_match(value))
}

#[cfg(test)]
mod tests {
    use super::wildcard;

    #[test]
    fn wildcards_match_runs_of_characters() {
        assert!(wildcard("acme/shop", "acme/shop"));
        assert!(!wildcard("acme/shop", "acme/shop2"));
        assert!(wildcard("refs/heads/*", "refs/heads/main"));
        assert!(wildcard("refs/heads/*", "refs/heads/feature/x"));
        assert!(!wildcard("refs/heads/*", "refs/tags/v1"));
        assert!(wildcard("acme/*", "acme/"));
        assert!(wildcard("*/shop", "acme/shop"));
        assert!(wildcard("repo:acme/*:ref:refs/heads/*", "repo:acme/shop:ref:refs/heads/main"));
        assert!(!wildcard("repo:acme/*:ref:refs/heads/*", "repo:evil/shop:ref:refs/heads/main"));
        assert!(!wildcard("a*a", "a"));
        assert!(wildcard("*", ""));
        assert!(!wildcard("Acme/*", "acme/shop"), "case counts");
        assert!(wildcard("a?[b]{c}\\*", "a?[b]{c}\\x"), "only * is special");
        assert!(!wildcard("a?", "ab"));
        assert!(wildcard("a**b", "axb"));
    }
}
