//! Raw evidence bytes, content-addressed by SHA-256.
//!
//! [`LocalBlobs`] keeps them in a folder as `sha256/ab/cd/<64 hex>`. A blob is
//! written to `tmp/` while it is hashed (with `O_DIRECT` where the filesystem
//! takes it, otherwise flushed to disk as it goes), flushed to disk, renamed into
//! place and the folder is flushed too, so a blob that a ledger entry names is on
//! disk before the entry commits, whatever crashes.
//!
//! Architecture Invariant: a blob's path is a function of its bytes, so writing the
//! same bytes twice is harmless and a blob is never overwritten with other content.
//!
//! A staged file is locked (`flock`) for as long as its [`StagedBlob`] lives and
//! removed when it is dropped uncommitted, so a failed capture leaves nothing
//! behind; a file in `tmp/` that nobody holds locked was left by a process that was
//! killed, and [`LocalBlobs::open`] removes it ([`LocalBlobs::stale`] says how
//! many it removed).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use signoff_core::{Digest, Sha256};

use crate::{StoreError, StoreResult};

/// Bytes written to the staging area, hashed, not yet in the store. Dropped
/// without a commit, the staged file is removed.
#[derive(Debug)]
pub struct StagedBlob {
    /// Where the bytes wait.
    pub path: PathBuf,
    /// Their digest.
    pub digest: Digest,
    /// Their size.
    pub size: u64,
    /// The staged file, locked while it is staged so an opening store leaves it be.
    held: Option<File>,
}

impl Drop for StagedBlob {
    fn drop(&mut self) {
        if self.held.take().is_some() {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Content-addressed storage of raw evidence.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Copies `reader` into the staging area while hashing it.
    fn stage(&self, reader: &mut dyn Read) -> StoreResult<StagedBlob>;
    /// Makes a staged blob durable under its digest.
    async fn commit(&self, staged: StagedBlob) -> StoreResult<()>;
    /// Makes several staged blobs durable, as one commit each would. Backends
    /// override it to flush them together (a group of captures waits for one
    /// round of flushes instead of one per blob); the default commits one at a
    /// time. On an error, the blobs not yet committed are discarded.
    async fn commit_many(&self, staged: Vec<StagedBlob>) -> StoreResult<()> {
        for blob in staged {
            self.commit(blob).await?;
        }
        Ok(())
    }
    /// Throws a staged blob away.
    fn discard(&self, staged: StagedBlob);
    /// The stored bytes, or `None` when there is no such blob.
    async fn get(&self, digest: &Digest) -> StoreResult<Option<Vec<u8>>>;
    /// Re-hashes a stored blob: its actual digest and size, or `None` if missing.
    async fn rehash(&self, digest: &Digest) -> StoreResult<Option<(Digest, u64)>>;
    /// Re-hashes many blobs, answering in the order asked. Backends override it to
    /// amortise per-call costs (one blocking task, one buffer); the default asks one
    /// at a time.
    async fn rehash_many(&self, digests: Vec<Digest>) -> StoreResult<Vec<Option<(Digest, u64)>>> {
        let mut answers = Vec::with_capacity(digests.len());
        for digest in &digests {
            answers.push(self.rehash(digest).await?);
        }
        Ok(answers)
    }
    /// Where a blob lives, for people (a path or URL).
    fn locate(&self, digest: &Digest) -> String;
    /// Deletes a blob (retention purge); a missing blob is not an error.
    async fn remove(&self, digest: &Digest) -> StoreResult<()>;
    /// Stores bytes without flushing each file to disk: for bulk imports such as
    /// generated benchmark stores, never for captures (which stage and commit).
    async fn import(&self, bytes: &[u8]) -> StoreResult<Digest>;
}

/// Blobs in a local folder.
#[derive(Debug, Clone)]
pub struct LocalBlobs {
    root: PathBuf,
    stale: Vec<StaleFile>,
}

/// A scratch file in the staging folder, removed on drop.
#[derive(Debug)]
pub struct ScratchFile {
    /// Where it is.
    pub path: PathBuf,
    _held: File,
}

impl Drop for ScratchFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// A file found in `tmp/` that no process was writing: left by a capture that was
/// killed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleFile {
    /// Its name in `tmp/`.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Whether it was removed (not on a store that cannot be written).
    pub removed: bool,
}

/// Creates a folder and its missing parents, private (0700) whatever the umask.
fn private_dir(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if path.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new().recursive(true).mode(0o700).create(path)
}

/// Locks the file at `path` (waiting while an opening store looks at it) and
/// returns the lock, or `None` when the file was removed meanwhile: a new staging
/// file is unlocked for a moment after it is created, and a store opening in that
/// moment takes it for a killed capture's. The caller then stages anew.
fn hold(path: &Path) -> io::Result<Option<File>> {
    let held = match File::open(path) {
        Ok(held) => held,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    held.lock()?;
    let same = fs::symlink_metadata(path)
        .is_ok_and(|now| held.metadata().is_ok_and(|locked| locked.ino() == now.ino() && locked.dev() == now.dev()));
    Ok(same.then_some(held))
}

/// How often staging tries again when an opening store took its new file for a
/// stale one (each try is a new name; two in a row would take two stores opening
/// within microseconds of it). Tries cost a file creation each; on a loaded
/// machine with stores opening in a tight loop beside it, eight were seen to run out.
const STAGE_TRIES: usize = 64;

/// Removes the files of `folder` that no process holds locked.
fn clear_stale(folder: &Path) -> Vec<StaleFile> {
    let mut stale = Vec::new();
    let Ok(entries) = fs::read_dir(folder) else {
        return stale;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(metadata) = fs::symlink_metadata(&path) else { continue };
        if !metadata.is_file() {
            continue;
        }
        // A file being written is locked by its writer; one nobody holds is stale.
        let Ok(file) = File::open(&path) else { continue };
        if file.try_lock().is_err() {
            continue;
        }
        let removed = fs::remove_file(&path).is_ok();
        stale.push(StaleFile { name: entry.file_name().to_string_lossy().into_owned(), size: metadata.len(), removed });
    }
    stale
}

fn blob_error(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::Blob { path: path.display().to_string(), source }
}

/// As [`blob_error`], for a new file in the staging folder: a store the user may
/// not write says so ([`StoreError::ReadOnly`]).
fn staging_error(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| match source.kind() {
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            StoreError::ReadOnly { path: path.display().to_string(), source }
        }
        _ => blob_error(path)(source),
    }
}

impl LocalBlobs {
    /// Opens (creating if needed) the folder.
    ///
    /// # Errors
    /// When the folder cannot be created.
    /// Files left in `tmp/` by a capture that was killed (no process holds them
    /// locked) are removed; a store that cannot be written (a read-only mount, a
    /// reader without write permission) is opened as it is.
    pub fn open(root: &Path) -> StoreResult<LocalBlobs> {
        for sub in ["sha256", "tmp"] {
            let path = root.join(sub);
            if !path.is_dir() {
                private_dir(&path).map_err(blob_error(&path))?;
            }
        }
        let stale = clear_stale(&root.join("tmp"));
        Ok(LocalBlobs { root: root.to_owned(), stale })
    }

    /// The stale staging files found (and removed, where the store can be written)
    /// when the store was opened.
    pub fn stale(&self) -> &[StaleFile] {
        &self.stale
    }

    /// The staging folder.
    pub fn staging(&self) -> PathBuf {
        self.root.join("tmp")
    }
}

/// How the names of [`scratch_file`]s begin: a staging folder's files that are
/// copies of a pipe, not blobs being staged.
pub const SCRATCH_PREFIX: &str = "input-";

/// A new file in `folder` (a store's staging folder, or any temporary folder),
/// locked as staged blobs are (so an opening store leaves it be) and removed when
/// the returned guard drops: for the copy of a pipe that is captured.
///
/// # Errors
/// When the file cannot be created.
pub fn scratch_file(folder: &Path) -> StoreResult<(File, ScratchFile)> {
    for _ in 0..STAGE_TRIES {
        let path = folder.join(format!("{SCRATCH_PREFIX}{}", uuid::Uuid::now_v7()));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(staging_error(&path))?;
        match hold(&path) {
            Ok(Some(held)) => return Ok((file, ScratchFile { path, _held: held })),
            Ok(None) => continue,
            Err(error) => {
                let _ = fs::remove_file(&path);
                return Err(StoreError::Blob { path: path.display().to_string(), source: error });
            }
        }
    }
    Err(StoreError::Blob {
        path: folder.display().to_string(),
        source: io::Error::other("every new staging file was removed by stores opening at the same moment"),
    })
}

impl LocalBlobs {
    /// The path of a blob.
    pub fn path_of(&self, digest: &Digest) -> PathBuf {
        let hex = digest.to_hex();
        self.root.join("sha256").join(&hex[0..2]).join(&hex[2..4]).join(hex)
    }

    /// Stages `reader`'s bytes, with direct writes where `direct` and the
    /// filesystem allow them.
    fn stage_with(&self, reader: &mut dyn Read, direct: bool) -> StoreResult<StagedBlob> {
        let mut tries = 0;
        let (path, mut file, held) = loop {
            let path = self.root.join("tmp").join(uuid::Uuid::now_v7().to_string());
            let file = StagingFile::create(&path, direct).map_err(staging_error(&path))?;
            match hold(&path) {
                Ok(Some(held)) => break (path, file, held),
                Ok(None) if tries + 1 < STAGE_TRIES => tries += 1,
                Ok(None) => {
                    return Err(StoreError::Blob {
                        path: path.display().to_string(),
                        source: io::Error::other(
                            "every new staging file was removed by stores opening at the same moment",
                        ),
                    });
                }
                Err(error) => {
                    let _ = fs::remove_file(&path);
                    return Err(StoreError::Blob { path: path.display().to_string(), source: error });
                }
            }
        };
        let mut sha = Sha256::new();
        let mut size = 0u64;
        // An aligned buffer for direct writes: the aligned part of a larger one.
        // Small first (most captures are a few kilobytes, and a server taking a
        // thousand a second would otherwise zero a megabyte for each), the full
        // size from the second fill on.
        let mut capacity = FIRST_STAGE_BUFFER;
        let mut storage = vec![0u8; capacity + DIRECT_ALIGN];
        let copied = (|| -> io::Result<()> {
            loop {
                let start = storage.as_ptr().align_offset(DIRECT_ALIGN).min(DIRECT_ALIGN);
                let buffer = &mut storage[start..start + capacity];
                let filled = fill(reader, buffer)?;
                sha.update(&buffer[..filled]);
                file.write_at(&buffer[..filled], size)?;
                size += filled as u64;
                if filled < buffer.len() {
                    return Ok(());
                }
                if capacity < STAGE_BUFFER {
                    capacity = STAGE_BUFFER;
                    storage = vec![0u8; capacity + DIRECT_ALIGN];
                }
            }
        })();
        if let Err(error) = copied {
            let _ = fs::remove_file(&path);
            return Err(StoreError::Blob { path: path.display().to_string(), source: error });
        }
        Ok(StagedBlob { path, digest: sha.finish(), size, held: Some(held) })
    }

    /// Commits `staged` with as few flushes as the guarantees allow: every staged
    /// file flushed (on a few threads, so the filesystem joins them into few
    /// journal commits), renamed into place, then each folder touched (and its
    /// two fan-out parents) flushed once, however many blobs went into it.
    fn commit_many_sync(&self, mut staged: Vec<StagedBlob>) -> StoreResult<()> {
        // Bytes stored already need only be on disk (a blob written by `import`
        // was not flushed); the others are moved into place.
        let targets: Vec<PathBuf> = staged.iter().map(|blob| self.path_of(&blob.digest)).collect();
        let present: Vec<bool> = targets.iter().map(|target| target.exists()).collect();
        let flushes: Vec<&Path> = staged
            .iter()
            .zip(&targets)
            .zip(&present)
            .map(|((blob, target), present)| if *present { target.as_path() } else { blob.path.as_path() })
            .collect();
        on_threads(&flushes, |path| File::open(path).and_then(|file| file.sync_all()).map_err(blob_error(path)))?;
        let mut folders: Vec<PathBuf> = Vec::new();
        for ((blob, target), present) in staged.iter_mut().zip(&targets).zip(&present) {
            if *present {
                let _ = fs::remove_file(&blob.path);
            } else {
                let folder = target.parent().unwrap_or(&self.root).to_owned();
                private_dir(&folder).map_err(blob_error(&folder))?;
                fs::rename(&blob.path, target).map_err(blob_error(target))?;
                // The two fan-out folders may be new too; their entries must be durable.
                folders.extend(folder.ancestors().take(3).map(Path::to_owned));
            }
            // Renamed into place (or a copy of stored bytes, removed): nothing to
            // remove on drop.
            blob.held = None;
        }
        folders.sort();
        folders.dedup();
        let folders: Vec<&Path> = folders.iter().map(PathBuf::as_path).collect();
        on_threads(&folders, sync_dir)
    }
}

/// Runs `flush` on every path, on up to [`FLUSH_THREADS`] threads; the first
/// error, if any.
fn on_threads(paths: &[&Path], flush: impl Fn(&Path) -> StoreResult<()> + Sync) -> StoreResult<()> {
    if paths.len() <= 1 {
        return paths.iter().try_for_each(|path| flush(path));
    }
    let per_thread = paths.len().div_ceil(FLUSH_THREADS);
    std::thread::scope(|scope| {
        let workers: Vec<_> = paths
            .chunks(per_thread)
            .map(|chunk| scope.spawn(|| chunk.iter().try_for_each(|path| flush(path))))
            .collect();
        workers.into_iter().try_for_each(|worker| {
            worker.join().unwrap_or_else(|_| {
                Err(StoreError::Blob { path: "blob flush".into(), source: io::Error::other("a flush thread panicked") })
            })
        })
    })
}

/// Threads flushing one group's blobs at once.
const FLUSH_THREADS: usize = 8;

/// Bytes read at a time when re-hashing.
const REHASH_BUFFER: usize = 256 * 1024;

/// Bytes copied at a time when staging: a multiple of [`DIRECT_ALIGN`].
const STAGE_BUFFER: usize = 1 << 20;
/// Bytes copied by the first read when staging: a multiple of [`DIRECT_ALIGN`],
/// enough for most captures whole.
const FIRST_STAGE_BUFFER: usize = 64 << 10;

/// The alignment of memory, offsets and lengths that `O_DIRECT` writes need (the
/// largest logical block size of common disks).
const DIRECT_ALIGN: usize = 4096;

/// Where a blob is written through the page cache, it is flushed to disk every
/// this many bytes while it is staged, so the flush at commit (which the ledger
/// entry waits for) has only the last part left: for a capture of hundreds of
/// megabytes that flush was most of a second after parsing had ended.
const FLUSH_EVERY: u64 = 32 << 20;

/// Reads until `buffer` is full or the input ends; the bytes read.
fn fill(reader: &mut dyn Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// A blob being staged. On Linux the whole blocks of a large one are written with
/// `O_DIRECT`, from the buffer straight to the disk: a capture of hundreds of
/// megabytes then neither copies them into the page cache (a large part of the
/// copy thread's time, more so on a machine whose memory is fresh) nor leaves them
/// to be written back at the flush the commit waits for. The first buffer (a small
/// file's all, [`FIRST_STAGE_BUFFER`]), the last partial block, and every write
/// where the filesystem refuses `O_DIRECT` (tmpfs before Linux 6.6, some FUSE and
/// network filesystems), go through the page cache and are flushed as they go: a
/// direct write waits for the disk, which a few kilobytes flushed with the rest
/// of their group at commit need not.
struct StagingFile {
    path: PathBuf,
    buffered: File,
    /// Whether whole blocks past the first buffer go straight to the disk.
    want_direct: bool,
    /// The file opened again for direct writes, once the first buffer is full.
    direct: Option<File>,
    unflushed: u64,
}

impl StagingFile {
    fn create(path: &Path, direct: bool) -> io::Result<StagingFile> {
        let buffered = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
        Ok(StagingFile {
            path: path.to_owned(),
            buffered,
            want_direct: direct && cfg!(target_os = "linux"),
            direct: None,
            unflushed: 0,
        })
    }

    /// The file for direct writes, opened on first use; `None` where the
    /// filesystem refuses them.
    fn direct(&mut self) -> io::Result<Option<&File>> {
        #[cfg(target_os = "linux")]
        if self.want_direct && self.direct.is_none() {
            match OpenOptions::new().write(true).custom_flags(libc::O_DIRECT).open(&self.path) {
                Ok(file) => self.direct = Some(file),
                Err(error) if error.raw_os_error() == Some(libc::EINVAL) => self.want_direct = false,
                Err(error) => return Err(error),
            }
        }
        Ok(self.direct.as_ref())
    }

    /// Writes `bytes` at `offset`, which is a multiple of [`DIRECT_ALIGN`] (every
    /// call but the last writes a whole buffer, whose size is one).
    fn write_at(&mut self, bytes: &[u8], offset: u64) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        let whole = bytes.len() - bytes.len() % DIRECT_ALIGN;
        let (mut rest, mut at) = (bytes, offset);
        if offset > 0
            && whole > 0
            && let Some(direct) = self.direct()?
        {
            match direct.write_all_at(&bytes[..whole], offset) {
                Ok(()) => (rest, at) = (&bytes[whole..], offset + whole as u64),
                // The filesystem opened the file for direct writes but takes none.
                Err(error) if error.raw_os_error() == Some(libc::EINVAL) => {
                    (self.direct, self.want_direct) = (None, false);
                }
                Err(error) => return Err(error),
            }
        }
        if rest.is_empty() {
            return Ok(());
        }
        self.buffered.write_all_at(rest, at)?;
        self.unflushed += rest.len() as u64;
        if self.unflushed >= FLUSH_EVERY {
            self.buffered.sync_data()?;
            self.unflushed = 0;
        }
        Ok(())
    }
}

/// A file's digest and size, or `None` when it does not exist.
fn rehash_file(path: &Path, buffer: &mut [u8]) -> StoreResult<Option<(Digest, u64)>> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(StoreError::Blob { path: path.display().to_string(), source: error }),
    };
    let mut sha = Sha256::new();
    let mut size = 0u64;
    loop {
        let read = file.read(buffer).map_err(blob_error(path))?;
        if read == 0 {
            break;
        }
        sha.update(&buffer[..read]);
        size += read as u64;
    }
    Ok(Some((sha.finish(), size)))
}

fn sync_dir(folder: &Path) -> StoreResult<()> {
    File::open(folder).and_then(|dir| dir.sync_all()).map_err(blob_error(folder))
}

#[async_trait]
impl BlobStore for LocalBlobs {
    fn stage(&self, reader: &mut dyn Read) -> StoreResult<StagedBlob> {
        self.stage_with(reader, true)
    }

    async fn commit(&self, staged: StagedBlob) -> StoreResult<()> {
        self.commit_many(vec![staged]).await
    }

    async fn commit_many(&self, staged: Vec<StagedBlob>) -> StoreResult<()> {
        let blobs = self.clone();
        tokio::task::spawn_blocking(move || blobs.commit_many_sync(staged))
            .await
            .map_err(|error| StoreError::Blob { path: "blob commit".into(), source: io::Error::other(error) })?
    }

    fn discard(&self, staged: StagedBlob) {
        // Dropping it removes the file.
        drop(staged);
    }

    async fn get(&self, digest: &Digest) -> StoreResult<Option<Vec<u8>>> {
        let path = self.path_of(digest);
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(StoreError::Blob { path: path.display().to_string(), source: error }),
        }
    }

    async fn rehash(&self, digest: &Digest) -> StoreResult<Option<(Digest, u64)>> {
        Ok(self.rehash_many(vec![*digest]).await?.pop().flatten())
    }

    async fn rehash_many(&self, digests: Vec<Digest>) -> StoreResult<Vec<Option<(Digest, u64)>>> {
        let paths: Vec<PathBuf> = digests.iter().map(|digest| self.path_of(digest)).collect();
        tokio::task::spawn_blocking(move || {
            let mut buffer = vec![0u8; REHASH_BUFFER];
            paths.iter().map(|path| rehash_file(path, &mut buffer)).collect()
        })
        .await
        .map_err(|error| StoreError::Blob { path: "blob rehash".into(), source: io::Error::other(error) })?
    }

    fn locate(&self, digest: &Digest) -> String {
        self.path_of(digest).display().to_string()
    }

    async fn import(&self, bytes: &[u8]) -> StoreResult<Digest> {
        let digest = Digest::of(bytes);
        let target = self.path_of(&digest);
        if !target.exists() {
            let folder = target.parent().unwrap_or(&self.root).to_owned();
            private_dir(&folder).map_err(blob_error(&folder))?;
            let temporary = self.root.join("tmp").join(uuid::Uuid::now_v7().to_string());
            fs::write(&temporary, bytes).map_err(blob_error(&temporary))?;
            fs::rename(&temporary, &target).map_err(blob_error(&target))?;
        }
        Ok(digest)
    }

    async fn remove(&self, digest: &Digest) -> StoreResult<()> {
        let path = self.path_of(digest);
        match tokio::fs::remove_file(&path).await {
            Ok(()) => {
                if let Some(folder) = path.parent() {
                    sync_dir(folder)?;
                }
                Ok(())
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(StoreError::Blob { path: path.display().to_string(), source: error }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stage_commit_get_and_rehash() {
        let folder = tempfile::tempdir().unwrap();
        let blobs = LocalBlobs::open(folder.path()).unwrap();
        let staged = blobs.stage(&mut &b"evidence bytes"[..]).unwrap();
        let digest = staged.digest;
        assert_eq!(digest, Digest::of(b"evidence bytes"));
        assert_eq!(blobs.get(&digest).await.unwrap(), None);
        blobs.commit(staged).await.unwrap();
        assert_eq!(blobs.get(&digest).await.unwrap().as_deref(), Some(&b"evidence bytes"[..]));
        assert_eq!(blobs.rehash(&digest).await.unwrap(), Some((digest, 14)));
        // The same bytes again: no error, one file, nothing left in tmp/.
        let again = blobs.stage(&mut &b"evidence bytes"[..]).unwrap();
        blobs.commit(again).await.unwrap();
        assert_eq!(fs::read_dir(folder.path().join("tmp")).unwrap().count(), 0);
        // A flipped byte is seen by rehash.
        fs::write(blobs.path_of(&digest), b"evidence bytez").unwrap();
        assert_ne!(blobs.rehash(&digest).await.unwrap().unwrap().0, digest);
    }

    /// A group's blobs committed together: new ones, one stored already and the
    /// same bytes twice in one group all end up stored once under their digests,
    /// with nothing left staged.
    #[tokio::test]
    async fn a_group_of_blobs_commits_together() {
        let folder = tempfile::tempdir().unwrap();
        let blobs = LocalBlobs::open(folder.path()).unwrap();
        let stored = blobs.stage(&mut &b"stored before"[..]).unwrap();
        blobs.commit(stored).await.unwrap();
        let texts: Vec<Vec<u8>> = (0..40)
            .map(|n| format!("capture {n}").into_bytes())
            .chain([b"stored before".to_vec(), b"capture 7".to_vec()])
            .collect();
        let staged: Vec<StagedBlob> = texts.iter().map(|text| blobs.stage(&mut text.as_slice()).unwrap()).collect();
        blobs.commit_many(staged).await.unwrap();
        for text in &texts {
            assert_eq!(blobs.get(&Digest::of(text)).await.unwrap().as_deref(), Some(text.as_slice()));
        }
        assert_eq!(fs::read_dir(folder.path().join("tmp")).unwrap().count(), 0);
        let files = walk(&folder.path().join("sha256"));
        assert_eq!(files, 41, "40 captures and the blob stored before, each once");
    }

    fn walk(folder: &Path) -> usize {
        fs::read_dir(folder)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .map(|path| if path.is_dir() { walk(&path) } else { 1 })
            .sum()
    }

    /// Stores opening (and clearing what they take for stale staging files) while
    /// others stage: every staging succeeds and keeps its bytes. A new staging
    /// file is unlocked for a moment after it is created; an opening store that
    /// removes it then must not fail the capture.
    #[test]
    fn staging_survives_stores_opening_beside_it() {
        let folder = tempfile::tempdir().unwrap();
        let blobs = LocalBlobs::open(folder.path()).unwrap();
        let done = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            for _ in 0..2 {
                scope.spawn(|| {
                    while !done.load(std::sync::atomic::Ordering::Relaxed) {
                        LocalBlobs::open(folder.path()).unwrap();
                    }
                });
            }
            let stagers: Vec<_> = (0..3u32)
                .map(|stager| {
                    let blobs = &blobs;
                    scope.spawn(move || {
                        for index in 0..300u32 {
                            let bytes = format!("stager {stager} blob {index}");
                            let staged = blobs.stage(&mut bytes.as_bytes()).unwrap();
                            assert_eq!(staged.digest, Digest::of(bytes.as_bytes()));
                            blobs.commit_many_sync(vec![staged]).unwrap();
                            let path = blobs.path_of(&Digest::of(bytes.as_bytes()));
                            assert_eq!(fs::read(path).unwrap(), bytes.as_bytes());
                        }
                    })
                })
                .collect();
            // The openers stop whether the stagers finish or fail.
            let results: Vec<_> = stagers.into_iter().map(|stager| stager.join()).collect();
            done.store(true, std::sync::atomic::Ordering::Relaxed);
            for result in results {
                if let Err(panic) = result {
                    std::panic::resume_unwind(panic);
                }
            }
        });
    }

    #[tokio::test]
    async fn a_staged_blob_keeps_every_byte_written_directly_or_through_the_page_cache() {
        // Past two flush points and many direct-write buffers, ending mid-block,
        // read in odd-sized pieces.
        let size = 2 * FLUSH_EVERY as usize + 12_345;
        let bytes: Vec<u8> = (0..size).map(|index| (index.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        struct Pieces<'a>(&'a [u8]);
        impl Read for Pieces<'_> {
            fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
                let take = self.0.len().min(buffer.len()).min(700_001);
                buffer[..take].copy_from_slice(&self.0[..take]);
                self.0 = &self.0[take..];
                Ok(take)
            }
        }
        for direct in [true, false] {
            let folder = tempfile::tempdir().unwrap();
            let blobs = LocalBlobs::open(folder.path()).unwrap();
            if direct && StagingFile::create(&folder.path().join("probe"), true).unwrap().direct().unwrap().is_none() {
                eprintln!("note: {} refuses O_DIRECT; the page-cache path is tested twice", folder.path().display());
            }
            for input in [&bytes[..], &bytes[..DIRECT_ALIGN], &bytes[..STAGE_BUFFER + 1], &[][..]] {
                let staged = blobs.stage_with(&mut Pieces(input), direct).unwrap();
                assert_eq!((staged.digest, staged.size), (Digest::of(input), input.len() as u64), "direct: {direct}");
                let digest = staged.digest;
                blobs.commit(staged).await.unwrap();
                let stored = blobs.get(&digest).await.unwrap();
                assert!(stored.is_some_and(|stored| stored == input), "direct: {direct}, {} bytes", input.len());
            }
        }
    }
}
