//! The `[sync]` settings of `signoff.toml`: reading them, and adding and removing
//! destinations while keeping the file's comments (secrets only as references).

use std::path::Path;
use std::time::Duration;

use serde::Serialize;
use signoff_grc::config::{DestinationConfig, SyncConfig};
use signoff_grc::engine::RetryPolicy;
use signoff_grc::http::{Timeouts, error_chain};

use crate::error::{AppError, Missing};
use crate::home::{CONFIG_FILE, Signoff};

/// The sync settings of the store (`[sync]`; empty when absent).
pub fn settings(signoff: &Signoff) -> SyncConfig {
    signoff.config.sync.clone().unwrap_or_default()
}

/// The bounds of `[sync] lease_seconds`: longer than any request may take, and at
/// most a day.
pub const LEASE_SECONDS: std::ops::RangeInclusive<u64> = 5..=86_400;

/// The delivery engine's policy with the store's settings (`[sync] lease_seconds`).
///
/// # Errors
/// [`AppError::Invalid`] for a lease outside [`LEASE_SECONDS`].
pub fn retry_policy(signoff: &Signoff) -> Result<RetryPolicy, AppError> {
    let mut policy = RetryPolicy::default();
    if let Some(seconds) = settings(signoff).lease_seconds {
        if !LEASE_SECONDS.contains(&seconds) {
            return Err(AppError::Invalid(format!(
                "[sync] lease_seconds = {seconds} in signoff.toml: give {} to {} seconds",
                LEASE_SECONDS.start(),
                LEASE_SECONDS.end()
            )));
        }
        policy.lease = Duration::from_secs(seconds);
    }
    Ok(policy)
}

/// A configured destination as `sync list` shows it (secrets as references).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DestinationView {
    /// Its name.
    pub name: String,
    /// Its configuration.
    #[serde(flatten)]
    pub config: DestinationConfig,
}

/// The configured destinations.
pub fn list(signoff: &Signoff) -> Vec<DestinationView> {
    settings(signoff).destinations.into_iter().map(|(name, config)| DestinationView { name, config }).collect()
}

/// Checks a destination's name: letters, digits, `-` and `_`, at most 64.
fn check_name(name: &str) -> Result<(), AppError> {
    let ok =
        !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(AppError::Invalid(format!(
            "destination name {name:?}: use letters, digits, '-' and '_' (at most 64 characters)"
        )))
    }
}

fn read_document(path: &Path) -> Result<toml_edit::DocumentMut, AppError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(AppError::io(path)(error)),
    };
    text.parse::<toml_edit::DocumentMut>().map_err(|error| AppError::Invalid(format!("{}: {error}", path.display())))
}

fn write_document(path: &Path, document: &toml_edit::DocumentMut) -> Result<(), AppError> {
    let temporary = path.with_extension("toml.new");
    std::fs::write(&temporary, document.to_string()).map_err(AppError::io(&temporary))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&temporary, std::fs::Permissions::from_mode(0o600))
            .map_err(AppError::io(&temporary))?;
    }
    std::fs::rename(&temporary, path).map_err(AppError::io(path))
}

/// A JSON value as a TOML value (objects as inline tables).
fn toml_value(value: &serde_json::Value) -> Option<toml_edit::Value> {
    Some(match value {
        serde_json::Value::Null => return None,
        serde_json::Value::Bool(flag) => (*flag).into(),
        serde_json::Value::Number(number) => match number.as_i64() {
            Some(integer) => integer.into(),
            None => number.as_f64()?.into(),
        },
        serde_json::Value::String(text) => text.as_str().into(),
        serde_json::Value::Array(items) => {
            let mut array = toml_edit::Array::new();
            for item in items {
                array.push(toml_value(item)?);
            }
            toml_edit::Value::Array(array)
        }
        serde_json::Value::Object(map) => {
            let mut table = toml_edit::InlineTable::new();
            for (key, item) in map {
                if let Some(item) = toml_value(item) {
                    table.insert(key.as_str(), item);
                }
            }
            toml_edit::Value::InlineTable(table)
        }
    })
}

/// Adds destination `name` to `signoff.toml` (`[sync.destinations.<name>]`), after
/// checking that it can be built; its secret must be readable now (from the
/// environment or the file it names), unless `unchecked`.
///
/// # Errors
/// A name in use or malformed, a destination that cannot be built, a settings file
/// that cannot be read or written.
pub fn add(
    signoff: &Signoff,
    name: &str,
    config: DestinationConfig,
    unchecked: bool,
) -> Result<DestinationView, AppError> {
    check_name(name)?;
    let sync = settings(signoff);
    if sync.destinations.contains_key(name) {
        return Err(AppError::Invalid(format!(
            "a sync destination named {name:?} exists already: `signoff sync remove {name}` first"
        )));
    }
    if !unchecked {
        signoff_grc::config::build_destination(name, &config, &sync, Timeouts::default())
            .map_err(|error| AppError::Invalid(format!("cannot add destination {name}: {}", error_chain(&error))))?;
    }
    let path = signoff.home().join(CONFIG_FILE);
    let mut document = read_document(&path)?;
    let json =
        serde_json::to_value(&config).map_err(|error| AppError::Invalid(format!("destination {name}: {error}")))?;
    let mut table = toml_edit::Table::new();
    if let serde_json::Value::Object(map) = &json {
        for (key, value) in map {
            if let Some(value) = toml_value(value) {
                table.insert(key.as_str(), toml_edit::Item::Value(value));
            }
        }
    }
    let sync_item = document.entry("sync").or_insert(toml_edit::table());
    let sync_table = sync_item
        .as_table_mut()
        .ok_or_else(|| AppError::Invalid(format!("{}: `sync` is not a table", path.display())))?;
    sync_table.set_implicit(true);
    let destinations = sync_table.entry("destinations").or_insert(toml_edit::table());
    let destinations = destinations
        .as_table_mut()
        .ok_or_else(|| AppError::Invalid(format!("{}: `sync.destinations` is not a table", path.display())))?;
    destinations.set_implicit(true);
    destinations.insert(name, toml_edit::Item::Table(table));
    write_document(&path, &document)?;
    Ok(DestinationView { name: name.to_owned(), config })
}

/// Removes destination `name` from `signoff.toml`. Its outbox rows stay (they are
/// shown by `sync status` and delivered again if it is added back).
///
/// # Errors
/// An unknown destination, a settings file that cannot be read or written.
pub fn remove(signoff: &Signoff, name: &str) -> Result<(), AppError> {
    let path = signoff.home().join(CONFIG_FILE);
    let mut document = read_document(&path)?;
    let removed = document
        .get_mut("sync")
        .and_then(|sync| sync.get_mut("destinations"))
        .and_then(|destinations| destinations.as_table_like_mut())
        .and_then(|destinations| destinations.remove(name));
    if removed.is_none() {
        return Err(Missing::SyncDestination(name.to_owned()).into());
    }
    write_document(&path, &document)
}
