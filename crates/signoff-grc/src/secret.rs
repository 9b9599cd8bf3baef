//! Secrets of the connectors (Vanta client secret, Drata API key, webhook signing
//! secret): where they come from and how they are kept out of logs.
//!
//! A destination's configuration names a [`SecretSource`] (an environment variable or
//! a file), never the value: the value would otherwise end up in `signoff.toml`, in a
//! shell history or in the ledger. The value is read when the destination is built,
//! into a [`Secret`], which has no `Serialize` impl and whose `Debug` prints
//! `Secret(redacted)`, so neither a log line nor a serialised config can carry it.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Where a secret is read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SecretSource {
    /// An environment variable's value (`--client-secret-env VANTA_SECRET`).
    Env(String),
    /// A file's content, trailing line breaks removed (a mounted Kubernetes or
    /// systemd credential).
    File(PathBuf),
}

impl SecretSource {
    /// Reads the secret.
    ///
    /// # Errors
    ///
    /// [`SecretError`] when the variable is unset or not UTF-8, the file cannot be
    /// read, or the value is empty.
    pub fn resolve(&self) -> Result<Secret, SecretError> {
        let value = match self {
            SecretSource::Env(name) => {
                std::env::var(name).map_err(|source| SecretError::Env { name: name.clone(), source })?
            }
            SecretSource::File(path) => {
                std::fs::read_to_string(path).map_err(|source| SecretError::File { path: path.clone(), source })?
            }
        };
        let value = value.trim_end_matches(['\n', '\r']).to_owned();
        if value.is_empty() {
            return Err(SecretError::Empty { source_name: self.to_string() });
        }
        Ok(Secret(value))
    }
}

impl fmt::Display for SecretSource {
    /// `environment variable NAME` or `file PATH`, for messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::Env(name) => write!(f, "environment variable {name}"),
            SecretSource::File(path) => write!(f, "file {}", path.display()),
        }
    }
}

/// A secret value. Not serialisable; `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value (tests, or a caller that read it itself).
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that sends it (an HTTP header, a token request,
    /// an HMAC key).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

/// A secret that could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The environment variable is unset or not UTF-8.
    #[error("cannot read the secret from environment variable {name}")]
    Env {
        /// The variable.
        name: String,
        /// Why.
        #[source]
        source: std::env::VarError,
    },
    /// The file cannot be read.
    #[error("cannot read the secret from {}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The value is empty.
    #[error("the secret in {source_name} is empty")]
    Empty {
        /// Where it was read from.
        source_name: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let secret = Secret::new("hunter2-very-secret");
        let printed = format!("{secret:?} {:?}", Some(&secret));
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("redacted"));
    }

    #[test]
    fn file_source_trims_line_breaks_and_refuses_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, "s3cr3t\n").unwrap();
        assert_eq!(SecretSource::File(path.clone()).resolve().unwrap().expose(), "s3cr3t");
        std::fs::write(&path, "\n").unwrap();
        let error = SecretSource::File(path).resolve().unwrap_err();
        assert!(error.to_string().contains("is empty"), "{error}");
        let missing = SecretSource::File(dir.path().join("absent")).resolve().unwrap_err();
        assert!(missing.to_string().contains("absent"), "{missing}");
    }

    #[test]
    fn unset_variable_names_it() {
        let error = SecretSource::Env("SIGNOFF_GRC_TEST_SURELY_UNSET".into()).resolve().unwrap_err();
        assert_eq!(error.to_string(), "cannot read the secret from environment variable SIGNOFF_GRC_TEST_SURELY_UNSET");
    }

    #[test]
    fn source_serialises_as_a_name_only() {
        let json = serde_json::to_string(&SecretSource::Env("HOOK_SECRET".into())).unwrap();
        assert_eq!(json, r#"{"env":"HOOK_SECRET"}"#);
    }
}
