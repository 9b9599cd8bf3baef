//! A folder (and, later, object-store) drop: one JSON file per artifact.
//!
//! The destination speaks to an [`ObjectStore`], a trait of three calls shaped after
//! what object stores offer: create-if-absent (S3's `If-None-Match: *`, object_store's
//! `PutMode::Create`), list, and a location to show. [`LocalFolder`] implements it on a
//! file system; an S3 store implements the same trait when signoff has one, and
//! [`open_store`] is where its `s3://` URLs will be routed.
//!
//! Each artifact is the object `signoff-<artifact id>.json` (the pretty JSON of the
//! artifact). Idempotent by name: an object that exists is never rewritten (evidence
//! is not replaced in place), so a second delivery of the same artifact is a no-op.
//!
//! [`LocalFolder`] writes atomically: a temporary file in the same folder, `fsync`,
//! rename onto the name, `fsync` of the folder, so a reader (or a crash) sees either
//! no file or the whole file.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use uuid::Uuid;

use crate::artifact::{ComplianceArtifact, IdempotencyKey};
use crate::destination::{DeliveryOutcome, Destination, DestinationError, RemoteArtifact};

/// The name of an object: one path segment of letters, digits, `-`, `_` and `.`, not
/// starting with a dot (so never `.` or `..`, and never a temporary file).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectName(String);

impl ObjectName {
    /// A checked name.
    ///
    /// # Errors
    ///
    /// [`ObjectStoreError::Name`] for anything else.
    pub fn new(name: &str) -> Result<ObjectName, ObjectStoreError> {
        let valid = !name.is_empty()
            && name.len() <= 200
            && !name.starts_with('.')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if valid { Ok(ObjectName(name.to_owned())) } else { Err(ObjectStoreError::Name { name: name.to_owned() }) }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The object of an artifact: `signoff-<id>.json`.
    pub fn of_artifact(id: Uuid) -> ObjectName {
        ObjectName(format!("signoff-{id}.json"))
    }

    /// The artifact id an object name carries, if it is one of ours.
    pub fn artifact_id(&self) -> Option<Uuid> {
        let id = self.0.strip_prefix("signoff-")?.strip_suffix(".json")?;
        Uuid::parse_str(id).ok()
    }
}

/// Whether a put created the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// It did.
    Created,
    /// An object of that name was there already; it was left as it was.
    AlreadyThere,
}

/// An object store as the folder destination needs it.
#[async_trait]
pub trait ObjectStore: Send + Sync + fmt::Debug {
    /// Where objects go, for people (`file:///mnt/evidence-drop`, `s3://bucket/prefix`).
    fn location(&self, name: &ObjectName) -> String;

    /// Writes `bytes` under `name` unless an object of that name exists.
    ///
    /// # Errors
    ///
    /// [`ObjectStoreError`] when the write fails; nothing is left under `name` then.
    async fn put_if_absent(&self, name: &ObjectName, bytes: Vec<u8>) -> Result<PutOutcome, ObjectStoreError>;

    /// The names of the objects.
    ///
    /// # Errors
    ///
    /// [`ObjectStoreError`] when the store cannot be listed.
    async fn list(&self) -> Result<Vec<ObjectName>, ObjectStoreError>;
}

/// An object store failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ObjectStoreError {
    /// A name that is not one path segment.
    #[error("{name:?} is not a valid object name")]
    Name {
        /// The name.
        name: String,
    },
    /// File system I/O.
    #[error("{what} {}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// Where.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A background task was lost.
    #[error("the file system task did not finish")]
    Task(#[source] tokio::task::JoinError),
    /// A location scheme signoff cannot write yet.
    #[error("{location}: {why}")]
    Unsupported {
        /// The location.
        location: String,
        /// Why.
        why: String,
    },
}

/// Opens the store a `--path` names: a folder path or `file://` URL; `s3://` is
/// refused until signoff has an S3 blob store (it will route here).
///
/// # Errors
///
/// [`ObjectStoreError::Unsupported`] for `s3://` and other schemes.
pub fn open_store(location: &str) -> Result<Arc<dyn ObjectStore>, ObjectStoreError> {
    if let Some(path) = location.strip_prefix("file://") {
        return Ok(Arc::new(LocalFolder::new(path)));
    }
    if let Some((scheme, _)) = location.split_once("://") {
        return Err(ObjectStoreError::Unsupported {
            location: location.to_owned(),
            why: if scheme == "s3" {
                "S3 destinations arrive with the S3 blob store; use a folder for now".to_owned()
            } else {
                format!("unknown scheme {scheme}:// (a folder path or file:// URL)")
            },
        });
    }
    Ok(Arc::new(LocalFolder::new(location)))
}

/// A folder on a local (or mounted) file system.
#[derive(Debug, Clone)]
pub struct LocalFolder {
    root: PathBuf,
}

impl LocalFolder {
    /// The folder at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> LocalFolder {
        LocalFolder { root: root.into() }
    }

    fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ObjectStoreError + use<> {
        let path = path.to_owned();
        move |source| ObjectStoreError::Io { what, path, source }
    }

    /// The blocking write: temp file, fsync, rename, fsync of the folder.
    fn write_new(root: &Path, name: &ObjectName, bytes: &[u8]) -> Result<PutOutcome, ObjectStoreError> {
        std::fs::create_dir_all(root).map_err(Self::io("cannot create the folder", root))?;
        let target = root.join(name.as_str());
        if target.exists() {
            return Ok(PutOutcome::AlreadyThere);
        }
        let mut suffix = [0u8; 8];
        getrandom::fill(&mut suffix).map_err(|error| ObjectStoreError::Io {
            what: "no randomness for a temporary name in",
            path: root.to_owned(),
            source: std::io::Error::other(error.to_string()),
        })?;
        let temporary = root.join(format!(".{}.{}.tmp", name.as_str(), hex::encode(suffix)));
        let result = (|| {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temporary)
                .map_err(Self::io("cannot create", &temporary))?;
            file.write_all(bytes).map_err(Self::io("cannot write", &temporary))?;
            file.sync_all().map_err(Self::io("cannot flush", &temporary))?;
            drop(file);
            // Another writer may have created the name since the check above; it
            // wrote the same artifact, so either file is the right one.
            std::fs::rename(&temporary, &target).map_err(Self::io("cannot rename into", &target))?;
            let folder = std::fs::File::open(root).map_err(Self::io("cannot open", root))?;
            folder.sync_all().map_err(Self::io("cannot flush the folder", root))
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        result.map(|()| PutOutcome::Created)
    }
}

#[async_trait]
impl ObjectStore for LocalFolder {
    fn location(&self, name: &ObjectName) -> String {
        format!("file://{}", self.root.join(name.as_str()).display())
    }

    async fn put_if_absent(&self, name: &ObjectName, bytes: Vec<u8>) -> Result<PutOutcome, ObjectStoreError> {
        let root = self.root.clone();
        let name = name.clone();
        tokio::task::spawn_blocking(move || LocalFolder::write_new(&root, &name, &bytes))
            .await
            .map_err(ObjectStoreError::Task)?
    }

    async fn list(&self) -> Result<Vec<ObjectName>, ObjectStoreError> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || {
            let entries = match std::fs::read_dir(&root) {
                Ok(entries) => entries,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                Err(error) => return Err(LocalFolder::io("cannot list", &root)(error)),
            };
            let mut names = Vec::new();
            for entry in entries {
                let entry = entry.map_err(LocalFolder::io("cannot list", &root))?;
                if let Some(name) = entry.file_name().to_str().and_then(|name| ObjectName::new(name).ok()) {
                    names.push(name);
                }
            }
            names.sort();
            Ok(names)
        })
        .await
        .map_err(ObjectStoreError::Task)?
    }
}

/// The folder destination over any [`ObjectStore`].
#[derive(Debug)]
pub struct Folder {
    name: String,
    store: Arc<dyn ObjectStore>,
}

impl Folder {
    /// A folder destination writing to `store`.
    pub fn new(name: &str, store: Arc<dyn ObjectStore>) -> Folder {
        Folder { name: name.to_owned(), store }
    }
}

#[async_trait]
impl Destination for Folder {
    fn name(&self) -> &str {
        &self.name
    }

    async fn deliver(&self, artifact: &ComplianceArtifact, _key: &IdempotencyKey) -> DeliveryOutcome {
        let name = ObjectName::of_artifact(artifact.id);
        let bytes = match artifact.to_json_bytes() {
            Ok(bytes) => bytes,
            Err(error) => return DeliveryOutcome::Failed { why: error.to_string() },
        };
        match self.store.put_if_absent(&name, bytes).await {
            Ok(PutOutcome::Created | PutOutcome::AlreadyThere) => {
                DeliveryOutcome::Delivered { remote_id: self.store.location(&name) }
            }
            // A full disk or an unmounted share may recover; the alert tells someone.
            Err(error) => DeliveryOutcome::Retry { after: None, why: crate::http::error_chain(&error) },
        }
    }

    async fn list(&self) -> Result<Vec<RemoteArtifact>, DestinationError> {
        let names = self
            .store
            .list()
            .await
            .map_err(|source| DestinationError::Store { destination: self.name.clone(), source })?;
        Ok(names
            .iter()
            .filter_map(|name| {
                Some(RemoteArtifact {
                    artifact_id: name.artifact_id()?,
                    remote_id: self.store.location(name),
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
    fn names_are_single_safe_segments() {
        for bad in ["", ".", "..", "../x", "a/b", ".hidden", "a b", "x\0"] {
            assert!(ObjectName::new(bad).is_err(), "{bad:?}");
        }
        let id = Uuid::from_u128(42);
        let name = ObjectName::of_artifact(id);
        assert_eq!(ObjectName::new(name.as_str()).unwrap(), name);
        assert_eq!(name.artifact_id(), Some(id));
        assert_eq!(ObjectName::new("notes.txt").unwrap().artifact_id(), None);
    }

    #[tokio::test]
    async fn writes_once_and_never_rewrites() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalFolder::new(dir.path().join("drop"));
        let name = ObjectName::of_artifact(Uuid::from_u128(7));
        assert_eq!(store.list().await.unwrap(), vec![], "an absent folder is empty");
        assert_eq!(store.put_if_absent(&name, b"first".to_vec()).await.unwrap(), PutOutcome::Created);
        assert_eq!(store.put_if_absent(&name, b"second".to_vec()).await.unwrap(), PutOutcome::AlreadyThere);
        assert_eq!(std::fs::read(dir.path().join("drop").join(name.as_str())).unwrap(), b"first");
        assert_eq!(store.list().await.unwrap(), vec![name]);
        let leftovers = std::fs::read_dir(dir.path().join("drop")).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
    }

    #[test]
    fn s3_waits_for_the_blob_store() {
        let error = open_store("s3://bucket/prefix").unwrap_err();
        assert!(error.to_string().contains("S3 destinations arrive with the S3 blob store"), "{error}");
        assert!(open_store("gs://bucket").is_err());
        assert!(open_store("file:///tmp/x").is_ok());
        assert!(open_store("/mnt/evidence-drop").is_ok());
    }
}
