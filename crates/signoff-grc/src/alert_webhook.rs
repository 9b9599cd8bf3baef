//! The alert webhook (G3, I2): every [`Alert`] posted to an operator's endpoint,
//! signed exactly as the compliance-artifact webhook is (Standard Webhooks 1.0,
//! [`crate::webhook_signature`]) and behind the same SSRF guard
//! ([`crate::net_guard`], `[sync] allow_private_networks`).
//!
//! # The message
//!
//! `POST <webhook_url>` with the body
//!
//! ```json
//! {"type": "signoff.alert", "timestamp": "<when it was raised>", "data": <alert>}
//! ```
//!
//! where `data` is [`Alert::to_json`]: `kind` (`destination_failing`,
//! `destination_recovered`, `source_silent`) and the fields of that kind.
//! `webhook-id` is `alert_<hex SHA-256 of the data's canonical bytes>`: the same
//! alert raised again (a retry here, or the same silence after a restart) has the
//! same id, so a receiver that processes each id once, as Standard Webhooks asks,
//! sees it once.
//!
//! # Off the delivery path
//!
//! [`AlertSink::raise`] only queues the alert on a bounded channel
//! ([`AlertWebhookSettings::queue`]); a task of its own sends it, retrying an
//! answer the connectors would retry ([`crate::http`]) with backoff, up to
//! [`AlertWebhookSettings::attempts`] times. A full queue drops the alert (logged):
//! the engine never waits for an alert. [`AlertWebhookWorker::finish`] sends what is
//! queued before a command exits.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::{mpsc, watch};

use crate::destination::webhook::{Webhook, WebhookSettings};
use crate::destination::{DeliveryOutcome, DestinationError};
use crate::engine::{Alert, AlertSink};
use crate::http::Timeouts;
use crate::net_guard::{Lookup, SystemLookup};
use crate::secret::Secret;

/// The `type` of alert messages.
pub const ALERT_EVENT_TYPE: &str = "signoff.alert";

/// What the alert webhook is built from.
#[derive(Clone)]
pub struct AlertWebhookSettings {
    /// Where alerts are posted.
    pub url: String,
    /// The `whsec_` secret they are signed with.
    pub secret: Secret,
    /// `[sync] allow_private_networks`.
    pub allow_private_networks: bool,
    /// Client timeouts.
    pub timeouts: Timeouts,
    /// Name resolution (the system's, or a fixed table in tests).
    pub lookup: Arc<dyn Lookup>,
    /// Attempts per alert before it is given up (logged).
    pub attempts: u32,
    /// The first wait between attempts; it doubles each time, up to a minute.
    pub min_delay: Duration,
    /// Alerts queued at most; more are dropped (logged).
    pub queue: usize,
}

impl AlertWebhookSettings {
    /// Settings with the system resolver, default timeouts, 5 attempts from 2 s, and
    /// a queue of 256.
    pub fn new(url: impl Into<String>, secret: Secret, allow_private_networks: bool) -> AlertWebhookSettings {
        AlertWebhookSettings {
            url: url.into(),
            secret,
            allow_private_networks,
            timeouts: Timeouts::default(),
            lookup: Arc::new(SystemLookup),
            attempts: 5,
            min_delay: Duration::from_secs(2),
            queue: 256,
        }
    }
}

/// One queued alert: its id, body and the alert (for the log).
struct Message {
    id: String,
    body: Vec<u8>,
    kind: &'static str,
}

/// The sink that queues alerts for the webhook.
pub struct AlertWebhook {
    sender: mpsc::Sender<Message>,
    dropped: AtomicU64,
}

impl std::fmt::Debug for AlertWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertWebhook").field("dropped", &self.dropped()).finish_non_exhaustive()
    }
}

/// The task sending the queued alerts.
#[derive(Debug)]
pub struct AlertWebhookWorker {
    task: tokio::task::JoinHandle<()>,
    closing: watch::Sender<bool>,
}

/// The `webhook-id` and body of an alert's message, raised at `at`.
///
/// # Errors
///
/// A canonical-encoding or JSON error (cannot happen for alerts: they hold no floats).
pub fn alert_message(alert: &Alert, at: OffsetDateTime) -> Result<(String, Vec<u8>), DestinationError> {
    let data = alert.to_json();
    let canonical = signoff_core::canonical::to_canonical_bytes(&data)
        .map_err(|error| DestinationError::Config { destination: "alerts".into(), message: error.to_string() })?;
    let id = format!("alert_{}", signoff_core::Digest::of(&canonical).to_hex());
    let body = serde_json::to_vec(&serde_json::json!({
        "type": ALERT_EVENT_TYPE,
        "timestamp": at.format(&Rfc3339).unwrap_or_default(),
        "data": data,
    }))
    .map_err(|error| DestinationError::Config { destination: "alerts".into(), message: error.to_string() })?;
    Ok((id, body))
}

impl AlertWebhook {
    /// Checks the settings, and starts the task that sends alerts (call it inside a
    /// Tokio runtime).
    ///
    /// # Errors
    ///
    /// [`DestinationError`] when the URL is not http(s), is a refused IP literal, or
    /// the secret is not a `whsec_` secret.
    pub fn start(settings: AlertWebhookSettings) -> Result<(Arc<AlertWebhook>, AlertWebhookWorker), DestinationError> {
        let mut webhook =
            WebhookSettings::new(settings.url.clone(), settings.secret.clone(), settings.allow_private_networks);
        webhook.timeouts = settings.timeouts;
        webhook.lookup = Arc::clone(&settings.lookup);
        let webhook = Webhook::new("alerts", webhook)?;
        let (sender, receiver) = mpsc::channel(settings.queue.max(1));
        let (closing, closed) = watch::channel(false);
        let task = tokio::spawn(send_all(webhook, receiver, closed, settings.attempts.max(1), settings.min_delay));
        Ok((Arc::new(AlertWebhook { sender, dropped: AtomicU64::new(0) }), AlertWebhookWorker { task, closing }))
    }

    /// Alerts dropped because the queue was full or the task had ended.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl AlertSink for AlertWebhook {
    fn raise(&self, alert: &Alert) {
        let kind = alert.kind().as_str();
        let message = match alert_message(alert, OffsetDateTime::now_utc()) {
            Ok((id, body)) => Message { id, body, kind },
            Err(error) => {
                tracing::error!(%error, kind, "cannot encode an alert");
                return;
            }
        };
        if let Err(error) = self.sender.try_send(message) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            tracing::error!(kind, %error, "alert webhook queue full or closed: alert dropped");
        }
    }
}

impl AlertWebhookWorker {
    /// Sends what is queued, then stops; gives up waiting after `within` (what is
    /// not sent by then is logged as lost with the task).
    pub async fn finish(self, within: Duration) {
        let _ = self.closing.send(true);
        let mut task = self.task;
        if tokio::time::timeout(within, &mut task).await.is_err() {
            tracing::warn!("alert webhook: queued alerts not sent before exit");
            task.abort();
        }
    }
}

async fn send_all(
    webhook: Webhook,
    mut receiver: mpsc::Receiver<Message>,
    mut closed: watch::Receiver<bool>,
    attempts: u32,
    min_delay: Duration,
) {
    loop {
        tokio::select! {
            biased;
            message = receiver.recv() => match message {
                Some(message) => send(&webhook, &message, attempts, min_delay).await,
                None => return,
            },
            changed = closed.changed() => {
                if changed.is_err() {
                    // The worker's handle was dropped without `finish`: send until
                    // every sink is gone.
                    while let Some(message) = receiver.recv().await {
                        send(&webhook, &message, attempts, min_delay).await;
                    }
                    return;
                }
                let closing = *closed.borrow();
                if closing {
                    while let Ok(message) = receiver.try_recv() {
                        send(&webhook, &message, attempts, min_delay).await;
                    }
                    return;
                }
            }
        }
    }
}

async fn send(webhook: &Webhook, message: &Message, attempts: u32, min_delay: Duration) {
    let mut delay = min_delay;
    for attempt in 1..=attempts {
        match webhook.post(&message.id, &message.id, message.body.clone(), "alert webhook").await {
            DeliveryOutcome::Delivered { .. } => {
                tracing::debug!(kind = message.kind, id = %message.id, "alert sent");
                return;
            }
            DeliveryOutcome::Failed { why } => {
                tracing::error!(kind = message.kind, id = %message.id, %why, "alert webhook refused the alert");
                return;
            }
            DeliveryOutcome::Retry { after, why } => {
                tracing::warn!(kind = message.kind, id = %message.id, attempt, %why, "alert webhook failed");
                if attempt < attempts {
                    tokio::time::sleep(delay.max(after.unwrap_or_default().min(Duration::from_secs(60)))).await;
                    delay = (delay * 2).min(Duration::from_secs(60));
                }
            }
        }
    }
    tracing::error!(kind = message.kind, id = %message.id, attempts, "alert not delivered: gave up");
}
