//! A generic webhook, signed as Standard Webhooks 1.0 specifies (see
//! [`crate::webhook_signature`]), so receivers verify it with the reference libraries.
//!
//! # The message
//!
//! `POST <url>` with `Content-Type: application/json` and the body
//!
//! ```json
//! {"type": "signoff.compliance_artifact", "timestamp": "<certificate evaluated_at>", "data": <artifact>}
//! ```
//!
//! (the payload structure the Standard Webhooks spec recommends: `type`, `timestamp`
//! of the event, `data`). Headers: `webhook-id: msg_<idempotency key>`,
//! `webhook-timestamp` (now, in seconds), `webhook-signature: v1,<base64 HMAC-SHA256
//! of "id.timestamp.body">`, and `Idempotency-Key: <idempotency key>`. The body is the
//! same on every retry; only the timestamp and signature change.
//!
//! # Exactly once
//!
//! A webhook has no way to ask whether it was received, so a retry after a lost answer
//! sends the message again. Standard Webhooks makes `webhook-id` the receiver's
//! idempotency key ("the same when the same webhook is being resent"): a conforming
//! receiver processes each id once. When `list_url` is configured the destination
//! also asks the receiver what it holds before sending (a signoff convention, below),
//! and reconciliation works.
//!
//! # Listing (optional, a signoff convention)
//!
//! `GET <list_url>` signed like a message with an empty body (`webhook-id:
//! list_<timestamp>`), answered with `{"artifacts": [{"id": "<artifact uuid>",
//! "idempotency_key": "<key>"}]}`.
//!
//! # SSRF
//!
//! Every delivery goes through [`crate::net_guard`]: the host is resolved again and
//! internal addresses are refused unless `allow_private_networks` is set.

use std::sync::Arc;

use async_trait::async_trait;
use reqwest::Url;
use reqwest::header::CONTENT_TYPE;
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::artifact::{ComplianceArtifact, IdempotencyKey};
use crate::destination::{DeliveryOutcome, Destination, DestinationError, RemoteArtifact};
use crate::http::{self, Timeouts};
use crate::net_guard::{self, GuardError, GuardedResolver, Lookup, SystemLookup};
use crate::secret::Secret;
use crate::webhook_signature::WebhookKey;

/// The `type` of the messages.
pub const EVENT_TYPE: &str = "signoff.compliance_artifact";

/// A webhook destination.
pub struct Webhook {
    name: String,
    url: Url,
    list_url: Option<Url>,
    key: WebhookKey,
    allow_private_networks: bool,
    client: reqwest::Client,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("name", &self.name)
            .field("url", &self.url.as_str())
            .field("list_url", &self.list_url.as_ref().map(Url::as_str))
            .field("key", &self.key)
            .field("allow_private_networks", &self.allow_private_networks)
            .finish()
    }
}

/// What a webhook destination is built from.
#[derive(Clone)]
pub struct WebhookSettings {
    /// Target URL.
    pub url: String,
    /// Optional list URL (module doc).
    pub list_url: Option<String>,
    /// The `whsec_` secret.
    pub secret: Secret,
    /// `[sync] allow_private_networks`.
    pub allow_private_networks: bool,
    /// Client timeouts.
    pub timeouts: Timeouts,
    /// Name resolution (the system's, or a fixed table in tests).
    pub lookup: Arc<dyn Lookup>,
}

impl WebhookSettings {
    /// Settings with the system resolver and default timeouts.
    pub fn new(url: impl Into<String>, secret: Secret, allow_private_networks: bool) -> WebhookSettings {
        WebhookSettings {
            url: url.into(),
            list_url: None,
            secret,
            allow_private_networks,
            timeouts: Timeouts::default(),
            lookup: Arc::new(SystemLookup),
        }
    }
}

impl Webhook {
    /// A webhook destination.
    ///
    /// # Errors
    ///
    /// [`DestinationError`] when a URL is not http(s), is a refused IP literal, or the
    /// secret is not a `whsec_` secret.
    pub fn new(name: &str, settings: WebhookSettings) -> Result<Webhook, DestinationError> {
        let parse = |value: &str| -> Result<Url, DestinationError> {
            let url = Url::parse(value).map_err(|_| DestinationError::Guard {
                destination: name.to_owned(),
                source: GuardError::Url { url: value.to_owned() },
            })?;
            net_guard::check_url(&url, settings.allow_private_networks)
                .map_err(|source| DestinationError::Guard { destination: name.to_owned(), source })?;
            Ok(url)
        };
        let url = parse(&settings.url)?;
        let list_url = settings.list_url.as_deref().map(parse).transpose()?;
        let key = WebhookKey::from_secret(&settings.secret)
            .map_err(|source| DestinationError::WebhookSecret { destination: name.to_owned(), source })?;
        let resolver = GuardedResolver::new(Arc::clone(&settings.lookup), settings.allow_private_networks);
        let client = http::client_builder(settings.timeouts)
            .dns_resolver(Arc::new(resolver))
            // A new connection, so a new resolution and check, for every delivery.
            .pool_max_idle_per_host(0)
            .build()
            .map_err(|source| DestinationError::Client { destination: name.to_owned(), source })?;
        Ok(Webhook {
            name: name.to_owned(),
            url,
            list_url,
            key,
            allow_private_networks: settings.allow_private_networks,
            client,
        })
    }

    /// A request to `url` with the Standard Webhooks headers over `body`.
    fn signed(
        &self,
        method: reqwest::Method,
        url: &Url,
        id: &str,
        body: Vec<u8>,
    ) -> Result<reqwest::RequestBuilder, DeliveryOutcome> {
        net_guard::check_url(url, self.allow_private_networks)
            .map_err(|error| DeliveryOutcome::Failed { why: error.to_string() })?;
        let timestamp = OffsetDateTime::now_utc().unix_timestamp();
        let signature =
            self.key.sign(id, timestamp, &body).map_err(|error| DeliveryOutcome::Failed { why: error.to_string() })?;
        Ok(self
            .client
            .request(method, url.clone())
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .header(CONTENT_TYPE, "application/json")
            .body(body))
    }

    /// The outcome of a request that got no answer: a guard refusal fails, anything
    /// else is retried.
    fn no_answer(error: &reqwest::Error, what: &str) -> DeliveryOutcome {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(cause) = source {
            if let Some(guard) = cause.downcast_ref::<GuardError>() {
                return DeliveryOutcome::Failed { why: format!("{what}: {guard}") };
            }
            source = cause.source();
        }
        http::transport_outcome(error, what)
    }

    async fn remote(&self) -> Result<Vec<RemoteArtifact>, DestinationError> {
        let Some(list_url) = &self.list_url else {
            return Err(DestinationError::ListUnsupported {
                destination: self.name.clone(),
                why: "a webhook has no list API unless list_url is configured".into(),
            });
        };
        let what = "webhook list";
        let id = format!("list_{}", OffsetDateTime::now_utc().unix_timestamp_nanos());
        let request = self.signed(reqwest::Method::GET, list_url, &id, Vec::new()).map_err(|outcome| {
            DestinationError::Config { destination: self.name.clone(), message: format!("{outcome:?}") }
        })?;
        let response = request.send().await.map_err(|source| DestinationError::Http {
            destination: self.name.clone(),
            what: what.into(),
            source,
        })?;
        let status = response.status();
        let body = http::read_body(response).await.map_err(|source| DestinationError::Http {
            destination: self.name.clone(),
            what: what.into(),
            source,
        })?;
        if !status.is_success() {
            return Err(DestinationError::Status {
                destination: self.name.clone(),
                what: what.into(),
                status: status.as_u16(),
                body: http::excerpt(&body),
            });
        }
        let listing: Listing = serde_json::from_slice(&body).map_err(|source| DestinationError::Json {
            destination: self.name.clone(),
            what: what.into(),
            source,
        })?;
        Ok(listing
            .artifacts
            .into_iter()
            .map(|item| RemoteArtifact {
                artifact_id: item.id,
                remote_id: item.idempotency_key.as_deref().map(message_id_of).unwrap_or_default(),
                idempotency_key: item.idempotency_key,
            })
            .collect())
    }
}

#[derive(Deserialize)]
struct Listing {
    artifacts: Vec<ListedArtifact>,
}

#[derive(Deserialize)]
struct ListedArtifact {
    id: Uuid,
    #[serde(default)]
    idempotency_key: Option<String>,
}

/// The `webhook-id` of an artifact's message: `msg_<idempotency key>`.
pub fn message_id_of(key: &str) -> String {
    format!("msg_{key}")
}

/// The body of an artifact's message (module doc).
///
/// # Errors
///
/// A JSON error (cannot happen for built artifacts).
pub fn message_body(artifact: &ComplianceArtifact) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&serde_json::json!({
        "type": EVENT_TYPE,
        "timestamp": artifact.certificate.evaluated_at,
        "data": artifact,
    }))
}

#[async_trait]
impl Destination for Webhook {
    fn name(&self) -> &str {
        &self.name
    }

    async fn deliver(&self, artifact: &ComplianceArtifact, key: &IdempotencyKey) -> DeliveryOutcome {
        let id = message_id_of(key.as_str());
        if self.list_url.is_some()
            && let Ok(held) = self.remote().await
            && held
                .iter()
                .any(|item| item.artifact_id == artifact.id && item.idempotency_key.as_deref() == Some(key.as_str()))
        {
            return DeliveryOutcome::Delivered { remote_id: id };
        }
        let body = match message_body(artifact) {
            Ok(body) => body,
            Err(error) => return DeliveryOutcome::Failed { why: format!("cannot encode the message: {error}") },
        };
        self.post(&id, key.as_str(), body, "webhook delivery").await
    }

    async fn list(&self) -> Result<Vec<RemoteArtifact>, DestinationError> {
        self.remote().await
    }
}

impl Webhook {
    /// Posts one signed message (`webhook-id: id`, `Idempotency-Key: key`) to the
    /// webhook's URL and reads the answer as every delivery does; `what` names it in
    /// failures. The alert webhook (`crate::alert_webhook`) sends through this too.
    pub(crate) async fn post(&self, id: &str, key: &str, body: Vec<u8>, what: &str) -> DeliveryOutcome {
        let request = match self.signed(reqwest::Method::POST, &self.url, id, body) {
            Ok(request) => request.header("Idempotency-Key", key),
            Err(outcome) => return outcome,
        };
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => return Self::no_answer(&error, what),
        };
        if response.status() == reqwest::StatusCode::GONE {
            return DeliveryOutcome::Failed {
                why: format!("{what}: HTTP 410 Gone: the receiver retired this endpoint"),
            };
        }
        match http::classify(response, what).await {
            Ok(_) => DeliveryOutcome::Delivered { remote_id: id.to_owned() },
            Err(outcome) => outcome,
        }
    }
}
