//! Drata, after the research notes `shared/specs/grc-oscal-dsse-merkle.md`, section
//! "(b) GRC platform APIs", paragraph **Drata** (its public API v2 OpenAPI). Marks: ⚠
//! where the notes are uncertain or say nothing and this module assumes.
//!
//! # Authentication and regions (notes: "Bearer API key … not OAuth")
//!
//! Every request carries `Authorization: Bearer <API key>`. Base URLs per region:
//! `https://public-api.drata.com/public/v2` (US), `https://public-api.eu.drata.com/public/v2`
//! (EU), `https://public-api.apac.drata.com/public/v2` (APAC). Drata answers 412 until
//! the API terms are accepted, which is retried like an authentication failure
//! (an operator fixes it; see [`crate::http`]).
//!
//! # Evidence in two steps
//!
//! After the notes' "Evidence" item: `fileKey`, "pre-upload via `POST /upload-urls`,
//! purpose evidence".
//!
//! 1. Upload the artifact's JSON for a key: `POST <base>/upload-urls` with
//!    `{"purpose": "EVIDENCE", "fileName", "contentType"}` ⚠ (the body's field names
//!    are assumed) answers `{"fileKey", "uploadUrl"}` ⚠; the bytes go to
//!    `PUT <uploadUrl>`.
//! 2. Create the evidence with that artifact and the control ids:
//!    `POST <base>/workspaces/{workspaceId}/evidence-library` with `{name, description,
//!    controlIds, fileKey, filedAt, renewalScheduleType: "NONE"}`. The notes say this
//!    endpoint is marked superseded by `POST …/evidence`, whose body they did not
//!    inspect ⚠; the documented one is used. Control ids come from the control map
//!    (`framework:control` → Drata ids such as `code:DCF-37`); unmapped controls
//!    create evidence without controls.
//!
//! # Exactly once
//!
//! Drata documents no idempotency key, so delivery looks before it creates: the
//! evidence name ends with `[signoff <artifact id>]`, and
//! `GET <base>/workspaces/{workspaceId}/evidence-library` ⚠ (assumed to answer `{"data":
//! [{id, name}], "pagination": {"cursor"}}`, following `cursor` until absent) is
//! searched for it first. A delivery killed after step 2 finds its evidence; one
//! killed between steps 1 and 2 leaves an upload no evidence points to, which is
//! harmless. An `Idempotency-Key` header is sent too, in case Drata honours it.

use std::collections::BTreeMap;

use async_trait::async_trait;
use reqwest::Url;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::artifact::{ComplianceArtifact, IdempotencyKey};
use crate::destination::{DeliveryOutcome, Destination, DestinationError, RemoteArtifact};
use crate::http::{self, Timeouts};
use crate::secret::Secret;

/// A Drata region.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DrataRegion {
    /// United States (the default).
    #[default]
    Us,
    /// European Union.
    Eu,
    /// Asia-Pacific.
    Apac,
}

impl DrataRegion {
    /// The v2 API base URL of the region.
    pub const fn base_url(self) -> &'static str {
        match self {
            DrataRegion::Us => "https://public-api.drata.com/public/v2",
            DrataRegion::Eu => "https://public-api.eu.drata.com/public/v2",
            DrataRegion::Apac => "https://public-api.apac.drata.com/public/v2",
        }
    }
}

/// What a Drata destination is built from.
#[derive(Clone)]
pub struct DrataSettings {
    /// The API key.
    pub api_key: Secret,
    /// The workspace the evidence goes to.
    pub workspace_id: u64,
    /// The v2 base URL: [`DrataRegion::base_url`], or a test server.
    pub base_url: String,
    /// `framework:control` → Drata control ids (`123` or `code:DCF-37`).
    pub control_map: BTreeMap<String, Vec<String>>,
    /// Client timeouts.
    pub timeouts: Timeouts,
}

/// A Drata destination.
pub struct Drata {
    name: String,
    base: Url,
    settings: DrataSettings,
    client: reqwest::Client,
}

impl std::fmt::Debug for Drata {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Drata")
            .field("name", &self.name)
            .field("base", &self.base.as_str())
            .field("api_key", &self.settings.api_key)
            .field("workspace_id", &self.settings.workspace_id)
            .finish()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UploadUrl {
    file_key: String,
    upload_url: String,
}

#[derive(Deserialize)]
struct EvidencePage {
    data: Vec<Evidence>,
    #[serde(default)]
    pagination: Option<Pagination>,
}

#[derive(Deserialize)]
struct Pagination {
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(Deserialize)]
struct Evidence {
    id: serde_json::Value,
    name: String,
}

/// The evidence name's marker of an artifact.
fn marker(id: Uuid) -> String {
    format!("[signoff {id}]")
}

/// The artifact id in an evidence name, if signoff wrote it.
fn artifact_of(name: &str) -> Option<Uuid> {
    let start = name.rfind("[signoff ")? + "[signoff ".len();
    let end = start + name[start..].find(']')?;
    Uuid::parse_str(&name[start..end]).ok()
}

fn id_text(id: &serde_json::Value) -> String {
    match id {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

impl Drata {
    /// A Drata destination.
    ///
    /// # Errors
    ///
    /// [`DestinationError`] for a base URL that is not http(s) or a client that
    /// cannot be built.
    pub fn new(name: &str, settings: DrataSettings) -> Result<Drata, DestinationError> {
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
        Ok(Drata { name: name.to_owned(), base, settings, client })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.as_str().trim_end_matches('/'))
    }

    fn bearer(&self) -> String {
        format!("Bearer {}", self.settings.api_key.expose())
    }

    fn library_url(&self) -> String {
        self.url(&format!("/workspaces/{}/evidence-library", self.settings.workspace_id))
    }

    /// Every piece of evidence in the workspace's library, following the cursor.
    async fn evidence(&self) -> Result<Vec<Evidence>, DeliveryOutcome> {
        let what = "Drata evidence list";
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        // A bound on pages, so that a server repeating its cursor cannot loop us.
        for _ in 0..10_000 {
            let mut request = self.client.get(self.library_url()).header(AUTHORIZATION, self.bearer());
            if let Some(cursor) = &cursor {
                request = request.query(&[("cursor", cursor)]);
            }
            let response = request.send().await.map_err(|error| http::transport_outcome(&error, what))?;
            let body = http::classify(response, what).await?;
            let page: EvidencePage = serde_json::from_slice(&body).map_err(|error| DeliveryOutcome::Retry {
                after: None,
                why: format!("{what}: unexpected answer: {error}"),
            })?;
            all.extend(page.data);
            cursor = page.pagination.and_then(|pagination| pagination.cursor).filter(|cursor| !cursor.is_empty());
            if cursor.is_none() {
                return Ok(all);
            }
        }
        Err(DeliveryOutcome::Retry { after: None, why: format!("{what}: too many pages") })
    }

    async fn upload(&self, artifact: &ComplianceArtifact) -> Result<String, DeliveryOutcome> {
        let what = "Drata upload URL";
        let request = serde_json::json!({
            "purpose": "EVIDENCE",
            "fileName": artifact.file_name(),
            "contentType": "application/json",
        });
        let response = self
            .client
            .post(self.url("/upload-urls"))
            .header(AUTHORIZATION, self.bearer())
            .json(&request)
            .send()
            .await
            .map_err(|error| http::transport_outcome(&error, what))?;
        let body = http::classify(response, what).await?;
        let target: UploadUrl = serde_json::from_slice(&body).map_err(|error| DeliveryOutcome::Retry {
            after: None,
            why: format!("{what}: unexpected answer: {error}"),
        })?;
        let bytes = artifact.to_json_bytes().map_err(|error| DeliveryOutcome::Failed { why: error.to_string() })?;
        let what = "Drata file upload";
        // The upload URL is a pre-signed storage URL: it carries its own
        // authorisation, so the API key is not sent there.
        let response = self
            .client
            .put(&target.upload_url)
            .header(CONTENT_TYPE, "application/json")
            .body(bytes)
            .send()
            .await
            .map_err(|error| http::transport_outcome(&error, what))?;
        http::classify(response, what).await?;
        Ok(target.file_key)
    }
}

#[async_trait]
impl Destination for Drata {
    fn name(&self) -> &str {
        &self.name
    }

    async fn deliver(&self, artifact: &ComplianceArtifact, key: &IdempotencyKey) -> DeliveryOutcome {
        let existing = match self.evidence().await {
            Ok(existing) => existing,
            Err(outcome) => return outcome,
        };
        if let Some(found) = existing.iter().find(|evidence| artifact_of(&evidence.name) == Some(artifact.id)) {
            return DeliveryOutcome::Delivered { remote_id: id_text(&found.id) };
        }
        let file_key = match self.upload(artifact).await {
            Ok(file_key) => file_key,
            Err(outcome) => return outcome,
        };
        let control_ids = self
            .settings
            .control_map
            .get(&format!("{}:{}", artifact.framework.id, artifact.control.id))
            .cloned()
            .unwrap_or_default();
        let state = if artifact.satisfied { "satisfied" } else { "not satisfied" };
        let name = format!(
            "{} {} {} — {state} {}",
            artifact.framework.id,
            artifact.control.id,
            artifact.release.name(),
            marker(artifact.id)
        );
        let description: String = artifact.summary.chars().take(4000).collect();
        let mut body = serde_json::json!({
            "name": name,
            "description": description,
            "fileKey": file_key,
            "filedAt": artifact.certificate.evaluated_at,
            "renewalScheduleType": "NONE",
        });
        if !control_ids.is_empty() {
            body["controlIds"] = serde_json::json!(control_ids);
        }
        let what = "Drata create evidence";
        let response = match self
            .client
            .post(self.library_url())
            .header(AUTHORIZATION, self.bearer())
            .header("Idempotency-Key", key.as_str())
            .json(&body)
            .send()
            .await
        {
            Ok(response) => response,
            Err(error) => return http::transport_outcome(&error, what),
        };
        match http::classify(response, what).await {
            Ok(answer) => match serde_json::from_slice::<Evidence>(&answer) {
                Ok(created) => DeliveryOutcome::Delivered { remote_id: id_text(&created.id) },
                // Created, but the answer is not what we expected: the next attempt's
                // look-up finds it by name.
                Err(error) => {
                    DeliveryOutcome::Retry { after: None, why: format!("{what}: unexpected answer: {error}") }
                }
            },
            Err(outcome) => outcome,
        }
    }

    async fn list(&self) -> Result<Vec<RemoteArtifact>, DestinationError> {
        let evidence = self.evidence().await.map_err(|outcome| DestinationError::Unavailable {
            destination: self.name.clone(),
            why: outcome.reason().to_owned(),
        })?;
        Ok(evidence
            .iter()
            .filter_map(|evidence| {
                Some(RemoteArtifact {
                    artifact_id: artifact_of(&evidence.name)?,
                    remote_id: id_text(&evidence.id),
                    idempotency_key: None,
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_have_their_documented_hosts() {
        assert_eq!(DrataRegion::Us.base_url(), "https://public-api.drata.com/public/v2");
        assert_eq!(DrataRegion::Eu.base_url(), "https://public-api.eu.drata.com/public/v2");
        assert_eq!(DrataRegion::Apac.base_url(), "https://public-api.apac.drata.com/public/v2");
        let region: DrataRegion = serde_json::from_str("\"eu\"").unwrap();
        assert_eq!(region, DrataRegion::Eu);
    }

    #[test]
    fn evidence_names_carry_the_artifact_id() {
        let id = Uuid::from_u128(99);
        let name = format!("soc2 CC8.1 shop@1.0 — satisfied {}", marker(id));
        assert_eq!(artifact_of(&name), Some(id));
        assert_eq!(artifact_of("Quarterly access review"), None);
        assert_eq!(artifact_of("[signoff not-a-uuid]"), None);
    }
}
