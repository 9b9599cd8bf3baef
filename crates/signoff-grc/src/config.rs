//! Destination configuration: what `signoff sync add` writes to `signoff.toml`
//! (`[sync]` and `[sync.destinations.<name>]`) and how a destination is built from it.
//!
//! Secrets appear only as [`SecretSource`]s (an environment variable or a file), never
//! as values, so the file can be shown, committed or ledgered safely.
//!
//! ```toml
//! [sync]
//! allow_private_networks = false       # the webhook SSRF guard (crate::net_guard)
//!
//! [sync.destinations.vanta]
//! type = "vanta"
//! client_id = "b2f1…"
//! client_secret = { env = "VANTA_SECRET" }
//! resource_id = "signoff-release-controls"
//! document_map = { soc2 = "change-management-evidence", "soc2:CC6.1" = "access-requests" }
//!
//! [sync.destinations.drata-eu]
//! type = "drata"
//! api_key = { file = "/run/secrets/drata" }
//! workspace_id = 1
//! region = "eu"
//! control_map = { "soc2:CC8.1" = ["code:DCF-37"] }
//!
//! [sync.destinations.hook]
//! type = "webhook"
//! url = "https://grc.example.com/hook"
//! secret = { env = "HOOK_SECRET" }
//!
//! [sync.destinations.drop]
//! type = "folder"
//! path = "/mnt/evidence-drop"            # s3://bucket/prefix once S3 exists
//!
//! [sync.alerts]                          # besides the log and /metrics
//! webhook_url = "https://alerts.example.com/signoff"
//! secret = { env = "ALERT_SECRET" }      # whsec_..., signed as the webhook destination
//! silent_after = 3                       # releases a source may miss before it alerts; 0: off
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::alert_webhook::{AlertWebhook, AlertWebhookSettings, AlertWebhookWorker};
use crate::destination::drata::{Drata, DrataRegion, DrataSettings};
use crate::destination::folder::{Folder, open_store};
use crate::destination::vanta::{self, Vanta, VantaSettings};
use crate::destination::webhook::{Webhook, WebhookSettings};
use crate::destination::{Destination, DestinationError};
use crate::http::Timeouts;
use crate::secret::SecretSource;

/// `[sync]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncConfig {
    /// Let webhooks reach loopback, private, link-local and CGNAT addresses.
    #[serde(default)]
    pub allow_private_networks: bool,
    /// The destinations by name.
    #[serde(default)]
    pub destinations: BTreeMap<String, DestinationConfig>,
    /// Where alerts go besides the log and `/metrics` (`[sync.alerts]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alerts: Option<AlertsConfig>,
    /// How long one delivery attempt holds its delivery, in seconds (default 120):
    /// a process killed mid-delivery leaves it to the next run after this long. It
    /// must exceed the longest request (the HTTP timeouts), or a slow attempt's
    /// delivery could be taken again while it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_seconds: Option<u64>,
}

/// `[sync.alerts]`: the alert webhook (`crate::alert_webhook`) and when a silent
/// source raises an alert.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsConfig {
    /// A Standard Webhooks endpoint every alert is posted to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    /// The `whsec_` secret alerts are signed with (required with `webhook_url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<SecretSource>,
    /// A source absent from each of this many latest releases of its project raises
    /// an alert (default [`DEFAULT_SILENT_AFTER`]; 0 turns the check off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silent_after: Option<u64>,
}

/// Releases a source may be missing from before it raises an alert, by default.
pub const DEFAULT_SILENT_AFTER: u64 = 3;

impl AlertsConfig {
    /// Releases a source may be missing from before it raises an alert; 0: never.
    pub fn silent_after(&self) -> u64 {
        self.silent_after.unwrap_or(DEFAULT_SILENT_AFTER)
    }
}

/// Starts the alert webhook of `[sync.alerts]`, when it names one, reading its
/// secret now (call it inside a Tokio runtime).
///
/// # Errors
///
/// [`DestinationError`] when the secret is missing or unreadable, or the URL is
/// wrong or refused.
pub fn start_alert_webhook(
    sync: &SyncConfig,
    timeouts: Timeouts,
) -> Result<Option<(Arc<AlertWebhook>, AlertWebhookWorker)>, DestinationError> {
    let Some(alerts) = &sync.alerts else { return Ok(None) };
    let Some(url) = &alerts.webhook_url else { return Ok(None) };
    let Some(source) = &alerts.secret else {
        return Err(DestinationError::Config {
            destination: "alerts".into(),
            message: "[sync.alerts] webhook_url needs a secret = { env = \"VAR\" } or { file = \"PATH\" }".into(),
        });
    };
    let secret =
        source.resolve().map_err(|source| DestinationError::Secret { destination: "alerts".to_owned(), source })?;
    let mut settings = AlertWebhookSettings::new(url.clone(), secret, sync.allow_private_networks);
    settings.timeouts = timeouts;
    AlertWebhook::start(settings).map(Some)
}

/// One destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum DestinationConfig {
    /// Vanta (`crate::destination::vanta`).
    Vanta {
        /// OAuth client id.
        client_id: String,
        /// OAuth client secret.
        client_secret: SecretSource,
        /// The custom resource type's id.
        resource_id: String,
        /// `framework` or `framework:control` → Vanta document id.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        document_map: BTreeMap<String, String>,
        /// Vanta's Gov cloud.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        gov: bool,
        /// Another base URL (a proxy, a test server).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        base_url: Option<String>,
        /// Another OAuth scope.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scope: Option<String>,
    },
    /// Drata (`crate::destination::drata`).
    Drata {
        /// The API key.
        api_key: SecretSource,
        /// The workspace.
        workspace_id: u64,
        /// `us`, `eu` or `apac`.
        #[serde(default)]
        region: DrataRegion,
        /// `framework:control` → Drata control ids.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        control_map: BTreeMap<String, Vec<String>>,
        /// Another v2 base URL (a proxy, a test server).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        base_url: Option<String>,
    },
    /// A Standard Webhooks endpoint (`crate::destination::webhook`).
    Webhook {
        /// Target URL.
        url: String,
        /// The `whsec_` secret.
        secret: SecretSource,
        /// The optional list URL (signoff's convention).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        list_url: Option<String>,
    },
    /// A folder (or, later, object store) drop (`crate::destination::folder`).
    Folder {
        /// A path, `file://` URL, or (later) `s3://bucket/prefix`.
        path: String,
    },
}

/// Builds the destination `name` from its configuration, reading its secret now.
///
/// # Errors
///
/// [`DestinationError`] when the secret cannot be read, a URL is wrong or refused, or
/// the location is not supported yet.
pub fn build_destination(
    name: &str,
    config: &DestinationConfig,
    sync: &SyncConfig,
    timeouts: Timeouts,
) -> Result<Arc<dyn Destination>, DestinationError> {
    let secret = |source: &SecretSource| {
        source.resolve().map_err(|source| DestinationError::Secret { destination: name.to_owned(), source })
    };
    Ok(match config {
        DestinationConfig::Vanta { client_id, client_secret, resource_id, document_map, gov, base_url, scope } => {
            let default_base = if *gov { vanta::GOV_BASE_URL } else { vanta::BASE_URL };
            Arc::new(Vanta::new(
                name,
                VantaSettings {
                    base_url: base_url.clone().unwrap_or_else(|| default_base.to_owned()),
                    client_id: client_id.clone(),
                    client_secret: secret(client_secret)?,
                    scope: scope.clone().unwrap_or_else(|| vanta::DEFAULT_SCOPE.to_owned()),
                    resource_id: resource_id.clone(),
                    document_map: document_map.clone(),
                    min_mint_interval: vanta::MIN_MINT_INTERVAL,
                    timeouts,
                },
            )?)
        }
        DestinationConfig::Drata { api_key, workspace_id, region, control_map, base_url } => Arc::new(Drata::new(
            name,
            DrataSettings {
                api_key: secret(api_key)?,
                workspace_id: *workspace_id,
                base_url: base_url.clone().unwrap_or_else(|| region.base_url().to_owned()),
                control_map: control_map.clone(),
                timeouts,
            },
        )?),
        DestinationConfig::Webhook { url, secret: source, list_url } => {
            let mut settings = WebhookSettings::new(url.clone(), secret(source)?, sync.allow_private_networks);
            settings.list_url.clone_from(list_url);
            settings.timeouts = timeouts;
            Arc::new(Webhook::new(name, settings)?)
        }
        DestinationConfig::Folder { path } => {
            let store =
                open_store(path).map_err(|source| DestinationError::Store { destination: name.to_owned(), source })?;
            Arc::new(Folder::new(name, store))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_names_secret_sources_only() {
        let json = serde_json::json!({
            "allow_private_networks": false,
            "destinations": {
                "vanta": {"type": "vanta", "client_id": "id", "client_secret": {"env": "VANTA_SECRET"}, "resource_id": "r",
                          "document_map": {"soc2": "change-management-evidence"}},
                "drata-eu": {"type": "drata", "api_key": {"file": "/run/secrets/drata"}, "workspace_id": 1, "region": "eu"},
                "hook": {"type": "webhook", "url": "https://grc.example.com/hook", "secret": {"env": "HOOK_SECRET"}},
                "drop": {"type": "folder", "path": "/mnt/evidence-drop"}
            }
        });
        let config: SyncConfig = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(serde_json::to_value(&config).unwrap(), json);
        let bad = serde_json::json!({"destinations": {"hook": {"type": "webhook", "url": "https://x", "secret": "whsec_literal"}}});
        assert!(serde_json::from_value::<SyncConfig>(bad).is_err(), "a literal secret is not accepted");
        let unknown = serde_json::json!({"destinations": {"drop": {"type": "folder", "path": "/x", "paht": "/y"}}});
        assert!(serde_json::from_value::<SyncConfig>(unknown).is_err(), "unknown keys are errors");
    }

    #[test]
    fn building_reads_the_secret_and_applies_the_guard() {
        let sync = SyncConfig::default();
        let missing = DestinationConfig::Webhook {
            url: "https://grc.example.com/hook".into(),
            secret: SecretSource::Env("SIGNOFF_GRC_TEST_SURELY_UNSET".into()),
            list_url: None,
        };
        let error = build_destination("hook", &missing, &sync, Timeouts::default()).err().unwrap();
        assert_eq!(
            error.to_string(),
            "destination hook: cannot read the secret from environment variable SIGNOFF_GRC_TEST_SURELY_UNSET"
        );

        let dir = tempfile::tempdir().unwrap();
        let secret_file = dir.path().join("hook");
        std::fs::write(&secret_file, "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD\n").unwrap();
        let private = DestinationConfig::Webhook {
            url: "http://10.0.0.5/hook".into(),
            secret: SecretSource::File(secret_file.clone()),
            list_url: None,
        };
        assert!(matches!(
            build_destination("hook", &private, &sync, Timeouts::default()),
            Err(DestinationError::Guard { .. })
        ));
        let allowed = SyncConfig { allow_private_networks: true, ..SyncConfig::default() };
        assert_eq!(build_destination("hook", &private, &allowed, Timeouts::default()).unwrap().name(), "hook");

        let s3 = DestinationConfig::Folder { path: "s3://bucket/prefix".into() };
        assert!(matches!(
            build_destination("drop", &s3, &sync, Timeouts::default()),
            Err(DestinationError::Store { .. })
        ));
    }
}
