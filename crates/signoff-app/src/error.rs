//! Errors of the use cases. Each says what to do next where there is something to do.

use signoff_ingest::IngestError;
use signoff_ledger::{KeyError, NoteError, ProofError};
use signoff_store::StoreError;

/// A use case that could not complete. Nothing was written when one is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// No store at the given place.
    #[error("no signoff store at {home} (run `signoff init` there, or point --store / SIGNOFF_HOME at one)")]
    NotInitialized {
        /// The folder looked in.
        home: String,
    },
    /// An input file could not be read as evidence.
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The signing key is missing or unreadable.
    #[error("signing key {path}: {source}")]
    Key {
        /// The key file.
        path: String,
        /// Why.
        #[source]
        source: KeyError,
    },
    /// A signed note could not be made or read.
    #[error("checkpoint: {0}")]
    Note(#[from] NoteError),
    /// A proof could not be computed.
    #[error("proof: {0}")]
    Proof(#[from] ProofError),
    /// A request that cannot be carried out as asked.
    #[error("{0}")]
    Invalid(String),
    /// Something asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl AppError {
    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> AppError + '_ {
        move |source| AppError::Io { path: path.display().to_string(), source }
    }
}
