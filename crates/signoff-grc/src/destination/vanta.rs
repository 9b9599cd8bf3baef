//! Vanta, after the research notes `shared/specs/grc-oscal-dsse-merkle.md`, section
//! "(b) GRC platform APIs", paragraph **Vanta**. Marks: ⚠ where the notes are
//! uncertain or say nothing and this module assumes.
//!
//! # Authentication (notes: "OAuth 2.0 only, no API keys")
//!
//! `POST <base>/oauth/token` with JSON `{client_id, client_secret, scope,
//! grant_type: "client_credentials"}` answers a bearer token valid about an hour
//! (`expires_in`). The token endpoint allows about 5 requests a minute, and minting a
//! new token may revoke the previous one, so the token is cached until shortly before
//! it expires and shared by every delivery (a `TokenCache`); a 401 drops it and mints
//! one more, but never sooner than [`MIN_MINT_INTERVAL`] after the last mint, so a
//! run of deliveries can never hit the endpoint more than 5 times a minute.
//! Base URL `https://api.vanta.com` (Gov cloud `https://api.vanta-gov.com`).
//!
//! # What an artifact becomes
//!
//! 1. **A custom resource** (notes: *Build Integrations*):
//!    `PUT <base>/v1/resources/custom_resource` with `{resourceId, resources: [{displayName,
//!    uniqueId, externalUrl, customProperties}]}`; `uniqueId` is the artifact id,
//!    `customProperties` carry `satisfied` (boolean), the framework, control, release,
//!    decision, status and idempotency key (strings). A Custom Test in Vanta over this
//!    resource type turns pass/fail into control status (the notes: there is no
//!    endpoint to post a test result directly).
//! 2. **A document upload**, when the document map names a Vanta document for the
//!    artifact's control or framework (notes: *Manage Vanta*):
//!    `POST <base>/v1/documents/{documentId}/uploads`, multipart with `file` (the artifact's
//!    JSON, named `signoff-<id>.json`), `effectiveAtDate` and `description`.
//!
//! # Full-state sync (notes: "Sync is full state: any uniqueId omitted is deleted")
//!
//! A `PUT` replaces the whole resource set, so sending only the new artifact would
//! delete every other resource. Each delivery therefore reads what Vanta holds
//! (`GET <base>/v1/resources/custom_resource?resourceId=…` ⚠ — the notes name the
//! read scope `connectors.self:read-resource` but not the call; assumed to answer
//! `{"resources": [...]}` in the `PUT`'s shape), and puts back **everything it read,
//! unchanged**, plus the new artifact: signoff never deletes a resource it did not
//! send in that request, whoever created it. Read-modify-write is serialised by a
//! lock in this destination; two signoff processes syncing one resource type at once
//! could still lose an update, which the next reconciliation restores.
//!
//! # Exactly once
//!
//! - Resource: a `uniqueId` is one resource whatever the number of `PUT`s; if it is
//!   already there with this idempotency key, delivery is done before any write.
//! - Upload: before uploading, `GET <base>/v1/documents/{documentId}/uploads` ⚠
//!   (assumed to list `{"results": {"data": [{id, fileName}]}}`) and reuse an upload
//!   named `signoff-<id>.json`. The upload happens before the resource `PUT`, so a
//!   delivery killed between the two leaves an upload that the retry finds.
//!
//! The notes mention `POST /v1/documents/{documentId}/submit` after uploads ⚠; it is
//! not called: submitting is a reviewer's step in Vanta.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use reqwest::Url;
use reqwest::header::AUTHORIZATION;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::artifact::{ComplianceArtifact, IdempotencyKey};
use crate::destination::{DeliveryOutcome, Destination, DestinationError, RemoteArtifact};
use crate::http::{self, Timeouts};
use crate::secret::Secret;

/// Vanta's API.
pub const BASE_URL: &str = "https://api.vanta.com";
/// Vanta's Gov cloud API.
pub const GOV_BASE_URL: &str = "https://api.vanta-gov.com";
/// The scopes asked for: writing and reading the integration's resources, and
/// uploading documents.
pub const DEFAULT_SCOPE: &str =
    "connectors.self:write-resource connectors.self:read-resource vanta-api.documents:upload vanta-api.all:read";
/// The least time between two token requests: the endpoint allows about 5 a minute.
pub const MIN_MINT_INTERVAL: Duration = Duration::from_secs(12);
/// A token is renewed this long before it expires.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

/// What a Vanta destination is built from.
#[derive(Clone)]
pub struct VantaSettings {
    /// API base URL ([`BASE_URL`], [`GOV_BASE_URL`], or a test server).
    pub base_url: String,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: Secret,
    /// OAuth scope.
    pub scope: String,
    /// The custom resource type's id from Vanta's Developer Console.
    pub resource_id: String,
    /// `framework:control` or `framework` → Vanta document id (slug such as
    /// `access-requests`); the control's entry wins.
    pub document_map: BTreeMap<String, String>,
    /// The least time between two token requests ([`MIN_MINT_INTERVAL`]; shorter only
    /// in tests).
    pub min_mint_interval: Duration,
    /// Client timeouts.
    pub timeouts: Timeouts,
}

/// The cached token, shared by every delivery.
#[derive(Default)]
struct TokenCache {
    token: Option<(Secret, Instant)>,
    last_mint: Option<Instant>,
}

/// A Vanta destination.
pub struct Vanta {
    name: String,
    base: Url,
    settings: VantaSettings,
    client: reqwest::Client,
    tokens: Mutex<TokenCache>,
    // Serialises read-modify-write of the full-state resource set.
    sync: Mutex<()>,
}

impl std::fmt::Debug for Vanta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vanta")
            .field("name", &self.name)
            .field("base", &self.base.as_str())
            .field("client_id", &self.settings.client_id)
            .field("client_secret", &self.settings.client_secret)
            .field("resource_id", &self.settings.resource_id)
            .finish()
    }
}

/// One custom resource, as `PUT` takes it and the read returns it. Unknown fields of
/// resources signoff did not write are kept as they were.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Resource {
    display_name: String,
    unique_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    external_url: Option<String>,
    #[serde(default)]
    custom_properties: serde_json::Map<String, Value>,
    #[serde(flatten)]
    other: serde_json::Map<String, Value>,
}

#[derive(Deserialize)]
struct ResourceList {
    resources: Vec<Resource>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct UploadList {
    results: UploadPage,
}

#[derive(Deserialize)]
struct UploadPage {
    data: Vec<Upload>,
}

#[derive(Deserialize)]
struct Upload {
    id: String,
    #[serde(rename = "fileName")]
    file_name: String,
}

impl Vanta {
    /// A Vanta destination.
    ///
    /// # Errors
    ///
    /// [`DestinationError`] for a base URL that is not http(s) or a client that
    /// cannot be built.
    pub fn new(name: &str, settings: VantaSettings) -> Result<Vanta, DestinationError> {
        let base = Url::parse(settings.base_url.trim_end_matches('/'))
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .ok_or_else(|| DestinationError::Config {
                destination: name.to_owned(),
                message: format!("base URL {:?} is not an http(s) URL", settings.base_url),
            })?;
        let client = http::client_builder(settings.timeouts)
            .build()
            .map_err(|source| DestinationError::Client { destination: name.to_owned(), source })?;
        Ok(Vanta {
            name: name.to_owned(),
            base,
            settings,
            client,
            tokens: Mutex::new(TokenCache::default()),
            sync: Mutex::new(()),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.as_str().trim_end_matches('/'))
    }

    /// The cached token, or a new one (module doc).
    async fn token(&self) -> Result<Secret, DeliveryOutcome> {
        let mut cache = self.tokens.lock().await;
        if let Some((token, expires)) = &cache.token
            && Instant::now() < *expires
        {
            return Ok(token.clone());
        }
        if let Some(last) = cache.last_mint {
            let since = last.elapsed();
            if since < self.settings.min_mint_interval {
                return Err(DeliveryOutcome::Retry {
                    after: Some(self.settings.min_mint_interval - since),
                    why: "Vanta token: a token was requested moments ago; waiting to respect the token endpoint's rate limit"
                        .into(),
                });
            }
        }
        cache.last_mint = Some(Instant::now());
        let what = "Vanta token request";
        let body = serde_json::json!({
            "client_id": self.settings.client_id,
            "client_secret": self.settings.client_secret.expose(),
            "scope": self.settings.scope,
            "grant_type": "client_credentials",
        });
        let response = self
            .client
            .post(self.url("/oauth/token"))
            .json(&body)
            .send()
            .await
            .map_err(|error| http::transport_outcome(&error, what))?;
        let body = http::classify(response, what).await?;
        let answer: TokenAnswer = serde_json::from_slice(&body).map_err(|error| DeliveryOutcome::Retry {
            after: None,
            why: format!("{what}: unexpected answer: {error}"),
        })?;
        let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(3600));
        let expires = Instant::now() + lifetime.saturating_sub(EXPIRY_MARGIN.min(lifetime / 2));
        let token = Secret::new(answer.access_token);
        cache.token = Some((token.clone(), expires));
        Ok(token)
    }

    async fn forget_token(&self) {
        self.tokens.lock().await.token = None;
    }

    /// Sends a request built by `build` with the bearer token; on 401 forgets the
    /// token and tries once more with a new one.
    async fn authorized<F>(&self, what: &str, build: F) -> Result<Vec<u8>, DeliveryOutcome>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        for attempt in 0..2 {
            let token = self.token().await?;
            let response = build(&self.client)
                .header(AUTHORIZATION, format!("Bearer {}", token.expose()))
                .send()
                .await
                .map_err(|error| http::transport_outcome(&error, what))?;
            if response.status() == reqwest::StatusCode::UNAUTHORIZED && attempt == 0 {
                self.forget_token().await;
                continue;
            }
            return http::classify(response, what).await;
        }
        Err(DeliveryOutcome::Retry { after: None, why: format!("{what}: unauthorized twice") })
    }

    async fn resources(&self) -> Result<Vec<Resource>, DeliveryOutcome> {
        let what = "Vanta resource read";
        let url = self.url("/v1/resources/custom_resource");
        let resource_id = self.settings.resource_id.clone();
        let body = self.authorized(what, |client| client.get(&url).query(&[("resourceId", &resource_id)])).await?;
        let list: ResourceList = serde_json::from_slice(&body).map_err(|error| DeliveryOutcome::Retry {
            after: None,
            why: format!("{what}: unexpected answer: {error}"),
        })?;
        Ok(list.resources)
    }

    fn document_for(&self, artifact: &ComplianceArtifact) -> Option<&String> {
        let map = &self.settings.document_map;
        map.get(&format!("{}:{}", artifact.framework.id, artifact.control.id))
            .or_else(|| map.get(&artifact.framework.id))
    }

    async fn upload(
        &self,
        document: &str,
        artifact: &ComplianceArtifact,
        key: &IdempotencyKey,
    ) -> Result<String, DeliveryOutcome> {
        let file_name = artifact.file_name();
        let uploads_url = self.url(&format!("/v1/documents/{document}/uploads"));
        let listed = self.authorized("Vanta upload list", |client| client.get(&uploads_url)).await?;
        let uploads: UploadList = serde_json::from_slice(&listed).map_err(|error| DeliveryOutcome::Retry {
            after: None,
            why: format!("Vanta upload list: unexpected answer: {error}"),
        })?;
        if let Some(existing) = uploads.results.data.iter().find(|upload| upload.file_name == file_name) {
            return Ok(existing.id.clone());
        }
        let bytes = artifact.to_json_bytes().map_err(|error| DeliveryOutcome::Failed { why: error.to_string() })?;
        let effective = artifact.certificate.evaluated_at.clone();
        let description: String = artifact.summary.chars().take(1000).collect();
        let what = "Vanta upload";
        let body = self
            .authorized(what, |client| {
                let part = reqwest::multipart::Part::bytes(bytes.clone()).file_name(file_name.clone());
                let part = match part.mime_str("application/json") {
                    Ok(part) => part,
                    Err(_) => reqwest::multipart::Part::bytes(bytes.clone()).file_name(file_name.clone()),
                };
                let form = reqwest::multipart::Form::new()
                    .part("file", part)
                    .text("effectiveAtDate", effective.clone())
                    .text("description", description.clone());
                client.post(&uploads_url).header("Idempotency-Key", key.as_str()).multipart(form)
            })
            .await?;
        let upload: Upload = serde_json::from_slice(&body).map_err(|error| DeliveryOutcome::Retry {
            after: None,
            why: format!("{what}: unexpected answer: {error}"),
        })?;
        Ok(upload.id)
    }

    fn resource_of(artifact: &ComplianceArtifact, key: &IdempotencyKey, upload: Option<&str>) -> Resource {
        let mut properties = serde_json::Map::new();
        let mut put = |name: &str, value: Value| {
            properties.insert(name.to_owned(), value);
        };
        put("satisfied", Value::Bool(artifact.satisfied));
        put("status", Value::String(artifact.status.as_str().to_owned()));
        put("framework", Value::String(artifact.framework.id.clone()));
        put("control", Value::String(artifact.control.id.clone()));
        put("release", Value::String(artifact.release.name()));
        put("commit", Value::String(artifact.release.commit.clone()));
        put("decision", Value::String(artifact.certificate.decision.as_str().to_owned()));
        put("evaluatedAt", Value::String(artifact.certificate.evaluated_at.clone()));
        put("idempotencyKey", Value::String(key.as_str().to_owned()));
        if let Some(ledger) = &artifact.certificate.ledger {
            put("ledgerSeq", Value::String(ledger.seq.to_string()));
        }
        if let Some(upload) = upload {
            put("documentUploadId", Value::String(upload.to_owned()));
        }
        Resource {
            display_name: format!("{} {} · {}", artifact.framework.id, artifact.control.id, artifact.release.name()),
            unique_id: artifact.id.to_string(),
            external_url: artifact.link.clone(),
            custom_properties: properties,
            other: serde_json::Map::new(),
        }
    }
}

#[async_trait]
impl Destination for Vanta {
    fn name(&self) -> &str {
        &self.name
    }

    async fn deliver(&self, artifact: &ComplianceArtifact, key: &IdempotencyKey) -> DeliveryOutcome {
        let _serialised = self.sync.lock().await;
        let unique_id = artifact.id.to_string();
        let held = match self.resources().await {
            Ok(held) => held,
            Err(outcome) => return outcome,
        };
        let already = held.iter().any(|resource| {
            resource.unique_id == unique_id
                && resource.custom_properties.get("idempotencyKey").and_then(Value::as_str) == Some(key.as_str())
        });
        if already {
            return DeliveryOutcome::Delivered { remote_id: unique_id };
        }
        let upload = match self.document_for(artifact) {
            Some(document) => match self.upload(document, artifact, key).await {
                Ok(id) => Some(id),
                Err(outcome) => return outcome,
            },
            None => None,
        };
        // Full state: everything read, unchanged, plus (or replacing) this artifact.
        let mut resources: Vec<Resource> =
            held.into_iter().filter(|resource| resource.unique_id != unique_id).collect();
        resources.push(Vanta::resource_of(artifact, key, upload.as_deref()));
        let body = serde_json::json!({"resourceId": self.settings.resource_id, "resources": resources});
        let url = self.url("/v1/resources/custom_resource");
        match self.authorized("Vanta resource sync", |client| client.put(&url).json(&body)).await {
            Ok(_) => DeliveryOutcome::Delivered { remote_id: unique_id },
            Err(outcome) => outcome,
        }
    }

    async fn list(&self) -> Result<Vec<RemoteArtifact>, DestinationError> {
        let resources = self.resources().await.map_err(|outcome| DestinationError::Unavailable {
            destination: self.name.clone(),
            why: outcome.reason().to_owned(),
        })?;
        Ok(resources
            .into_iter()
            .filter_map(|resource| {
                let artifact_id = Uuid::parse_str(&resource.unique_id).ok()?;
                Some(RemoteArtifact {
                    artifact_id,
                    idempotency_key: resource
                        .custom_properties
                        .get("idempotencyKey")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    remote_id: resource.unique_id,
                })
            })
            .collect())
    }
}
