//! The outbox (A8): captures kept on this machine while the server was out of
//! reach, delivered later with the time they were captured.
//!
//! One folder per capture, named by its idempotency key, holding the file's bytes
//! (`body`) and what the request needs (`capture.json`). A capture enters the
//! outbox whole or not at all: it is written in a scratch folder and renamed into
//! place. A delivered capture's folder is removed only after the server answered
//! 2xx; a delivery whose answer was lost is sent again and stored once (the key).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use signoff_app::report::EvidenceReport;

use super::{Failure, Remote};

/// What a kept capture needs to be delivered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Kept {
    /// The server it was meant for.
    pub(crate) server: String,
    /// The file as the user named it.
    pub(crate) file: String,
    /// Digest of its bytes.
    pub(crate) digest: String,
    /// Size of its bytes.
    pub(crate) size: u64,
    /// The capture's query (project, commit, name, CI context).
    pub(crate) query: Vec<(String, String)>,
    /// The idempotency key.
    pub(crate) key: String,
    /// When it was captured (RFC 3339).
    pub(crate) captured_at: String,
    /// Why it was kept.
    pub(crate) reason: String,
}

/// A kept capture as `signoff outbox status --json` shows it: the query as an
/// object rather than the pairs it is kept as.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct KeptJson {
    /// The server it was meant for.
    server: String,
    /// The file as the user named it.
    file: String,
    /// Digest of its bytes.
    digest: String,
    /// Size of its bytes.
    size: u64,
    /// The capture's query parameters by name (project, commit, name, CI context).
    query: std::collections::BTreeMap<String, String>,
    /// The idempotency key.
    key: String,
    /// When it was captured.
    #[schemars(extend("format" = "date-time"))]
    captured_at: String,
    /// Why it was kept.
    reason: String,
}

impl From<&Kept> for KeptJson {
    fn from(kept: &Kept) -> KeptJson {
        KeptJson {
            server: kept.server.clone(),
            file: kept.file.clone(),
            digest: kept.digest.clone(),
            size: kept.size,
            query: kept.query.iter().cloned().collect(),
            key: kept.key.clone(),
            captured_at: kept.captured_at.clone(),
            reason: kept.reason.clone(),
        }
    }
}

/// A kept capture and where it lies.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) folder: PathBuf,
    pub(crate) kept: Kept,
}

/// The outbox folder: `SIGNOFF_OUTBOX`, else `$XDG_STATE_HOME/signoff/outbox`,
/// else `~/.local/state/signoff/outbox`.
pub(crate) fn folder() -> anyhow::Result<PathBuf> {
    let env = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty()).map(PathBuf::from);
    if let Some(path) = env("SIGNOFF_OUTBOX") {
        return Ok(path);
    }
    if let Some(state) = env("XDG_STATE_HOME") {
        return Ok(state.join("signoff/outbox"));
    }
    match env("HOME") {
        Some(home) => Ok(home.join(".local/state/signoff/outbox")),
        None => anyhow::bail!("no outbox folder: set SIGNOFF_OUTBOX (or HOME)"),
    }
}

/// Keeps a capture: copies the file and writes what the request needs.
///
/// # Errors
/// The outbox cannot be written; nothing is kept then.
pub(crate) fn keep(outbox: &Path, source: &Path, kept: &Kept) -> anyhow::Result<PathBuf> {
    let target = outbox.join(&kept.key);
    if target.join("capture.json").is_file() {
        return Ok(target);
    }
    std::fs::create_dir_all(outbox).with_context(|| format!("cannot create the outbox {}", outbox.display()))?;
    let scratch = tempfile::Builder::new()
        .prefix(".incoming-")
        .tempdir_in(outbox)
        .with_context(|| format!("cannot write in the outbox {}", outbox.display()))?;
    std::fs::copy(source, scratch.path().join("body"))
        .with_context(|| format!("cannot copy {} into the outbox", kept.file))?;
    let json = serde_json::to_vec_pretty(kept)?;
    std::fs::write(scratch.path().join("capture.json"), json)
        .with_context(|| format!("cannot write in the outbox {}", outbox.display()))?;
    for file in ["body", "capture.json"] {
        std::fs::File::open(scratch.path().join(file)).and_then(|handle| handle.sync_all())?;
    }
    let scratch = scratch.keep();
    std::fs::rename(&scratch, &target)
        .with_context(|| format!("cannot move a capture into the outbox {}", outbox.display()))?;
    Ok(target)
}

/// Every kept capture, oldest first. A folder that cannot be read is reported
/// and left alone.
pub(crate) fn entries(outbox: &Path) -> anyhow::Result<Vec<Entry>> {
    let listing = match std::fs::read_dir(outbox) {
        Ok(listing) => listing,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error).with_context(|| format!("cannot read the outbox {}", outbox.display())),
    };
    let mut entries = Vec::new();
    for item in listing {
        let folder = item?.path();
        if folder.file_name().is_some_and(|name| name.to_string_lossy().starts_with('.')) {
            continue;
        }
        let meta = folder.join("capture.json");
        let kept = std::fs::read(&meta)
            .map_err(anyhow::Error::from)
            .and_then(|bytes| serde_json::from_slice::<Kept>(&bytes).map_err(anyhow::Error::from));
        match kept {
            Ok(kept) => entries.push(Entry { folder, kept }),
            Err(error) => crate::render::warning!("outbox: {} cannot be read ({error}); left as it is", meta.display()),
        }
    }
    entries.sort_by(|a, b| a.kept.captured_at.cmp(&b.kept.captured_at).then(a.kept.key.cmp(&b.kept.key)));
    Ok(entries)
}

/// What one delivery came to.
pub(crate) enum Delivered {
    /// Stored (or found stored from an earlier delivery).
    Stored(Vec<EvidenceReport>),
    /// Still unavailable: kept.
    Kept(String),
    /// Refused by the server (4xx): kept for the user to look at.
    Refused(String),
}

/// Delivers one kept capture to `remote`; removes it once stored.
pub(crate) async fn deliver(remote: &Remote, entry: &Entry) -> anyhow::Result<Delivered> {
    let query: Vec<(&str, String)> =
        entry.kept.query.iter().map(|(name, value)| (name.as_str(), value.clone())).collect();
    let body = entry.folder.join("body");
    match remote.capture(&body, &query, &entry.kept.key, Some(&entry.kept.captured_at)).await {
        Ok(reports) => {
            std::fs::remove_dir_all(&entry.folder)
                .with_context(|| format!("delivered, but cannot remove {} from the outbox", entry.folder.display()))?;
            Ok(Delivered::Stored(reports))
        }
        Err(Failure::Unavailable(why)) => Ok(Delivered::Kept(why)),
        // Kept: the capture is not refused, this client's trust setting is wrong.
        Err(failure @ Failure::Untrusted(_)) => Ok(Delivered::Kept(failure.to_string())),
        Err(Failure::Refused { detail, .. }) => Ok(Delivered::Refused(detail)),
    }
}
