//! Destinations: where artifacts go, behind one trait.
//!
//! [`Destination::deliver`] sends one artifact and says what happened in a form the
//! delivery engine can act on ([`DeliveryOutcome`]): delivered (with the other side's
//! id), retry (maybe after a time the other side asked for), or failed for good.
//! [`Destination::list`] says what the other side holds, for reconciliation.
//!
//! Every implementation is idempotent: delivering the same artifact twice (a retry
//! after a lost answer, a process killed between sending and recording) leaves one
//! copy on the other side. Each says how in its module doc: Vanta and Drata look
//! before they create, the webhook reuses its Standard Webhooks message id, the
//! folder writes a name derived from the artifact id.

use std::time::Duration;

use async_trait::async_trait;
use uuid::Uuid;

use crate::artifact::{ComplianceArtifact, IdempotencyKey};

pub mod drata;
pub mod folder;
pub mod vanta;
pub mod webhook;

/// What happened to one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The other side holds the artifact (now, or already before this attempt).
    Delivered {
        /// Its id there (a document upload, evidence id, message id, object name).
        remote_id: String,
    },
    /// Not delivered; try again. Network errors, timeouts, 429, 5xx, expired or
    /// refused credentials (which an operator can fix without re-queueing).
    Retry {
        /// When the other side asked to be called again (`Retry-After`), if it did.
        after: Option<Duration>,
        /// Why, for `sync status` and logs (never carries a secret).
        why: String,
    },
    /// Not delivered, and trying again will not help (the other side refused the
    /// content, the target is refused by the SSRF guard).
    Failed {
        /// Why.
        why: String,
    },
}

impl DeliveryOutcome {
    /// The reason of a retry or failure; the remote id of a delivery.
    pub fn reason(&self) -> &str {
        match self {
            DeliveryOutcome::Retry { why, .. } | DeliveryOutcome::Failed { why } => why,
            DeliveryOutcome::Delivered { remote_id } => remote_id,
        }
    }
}

/// An artifact the other side holds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RemoteArtifact {
    /// The artifact's id.
    pub artifact_id: Uuid,
    /// Its id there.
    pub remote_id: String,
    /// The idempotency key recorded with it, when the other side keeps one.
    pub idempotency_key: Option<String>,
}

/// A place artifacts are delivered to.
#[async_trait]
pub trait Destination: Send + Sync {
    /// The destination's configured name (`vanta`, `drata-eu`, `hook`).
    fn name(&self) -> &str;

    /// Delivers one artifact. Never panics and never returns an error: every problem
    /// is a [`DeliveryOutcome`] the engine records.
    async fn deliver(&self, artifact: &ComplianceArtifact, key: &IdempotencyKey) -> DeliveryOutcome;

    /// What the other side holds, as far as it can tell (its list APIs).
    ///
    /// # Errors
    ///
    /// [`DestinationError`] when the other side cannot be listed now, or does not
    /// support listing ([`DestinationError::ListUnsupported`]).
    async fn list(&self) -> Result<Vec<RemoteArtifact>, DestinationError>;
}

/// Why a destination could not be built or listed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DestinationError {
    /// A secret could not be read.
    #[error("destination {destination}: {source}")]
    Secret {
        /// The destination.
        destination: String,
        /// Why.
        #[source]
        source: crate::secret::SecretError,
    },
    /// The webhook secret is malformed.
    #[error("destination {destination}: {source}")]
    WebhookSecret {
        /// The destination.
        destination: String,
        /// Why.
        #[source]
        source: crate::webhook_signature::SignatureError,
    },
    /// A configuration value is wrong.
    #[error("destination {destination}: {message}")]
    Config {
        /// The destination.
        destination: String,
        /// What is wrong.
        message: String,
    },
    /// The HTTP client could not be built.
    #[error("destination {destination}: cannot build the HTTP client")]
    Client {
        /// The destination.
        destination: String,
        /// Why.
        #[source]
        source: reqwest::Error,
    },
    /// A request failed before an answer.
    #[error("destination {destination}: {what} failed")]
    Http {
        /// The destination.
        destination: String,
        /// Which request.
        what: String,
        /// Why.
        #[source]
        source: reqwest::Error,
    },
    /// The other side answered with an error status.
    #[error("destination {destination}: {what} answered HTTP {status}: {body}")]
    Status {
        /// The destination.
        destination: String,
        /// Which request.
        what: String,
        /// The status.
        status: u16,
        /// The start of the answer.
        body: String,
    },
    /// The answer is not the JSON expected.
    #[error("destination {destination}: {what} answered JSON of an unexpected shape")]
    Json {
        /// The destination.
        destination: String,
        /// Which request.
        what: String,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// The other side could not be asked now.
    #[error("destination {destination} is unavailable: {why}")]
    Unavailable {
        /// The destination.
        destination: String,
        /// Why.
        why: String,
    },
    /// The destination has no list API.
    #[error("destination {destination} cannot list what it holds: {why}")]
    ListUnsupported {
        /// The destination.
        destination: String,
        /// Why, and what to configure.
        why: String,
    },
    /// A folder or object store failed.
    #[error("destination {destination}: {source}")]
    Store {
        /// The destination.
        destination: String,
        /// Why.
        #[source]
        source: folder::ObjectStoreError,
    },
    /// The SSRF guard refused the target.
    #[error("destination {destination}: {source}")]
    Guard {
        /// The destination.
        destination: String,
        /// Why.
        #[source]
        source: crate::net_guard::GuardError,
    },
}
