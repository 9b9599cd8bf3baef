//! The changes in a release, read from its git repository (PRODUCT B1, J1).
//!
//! [`open`] finds the repository at or above a path. [`Repo::changes`] lists the
//! commits of a range, `base..tip`: those reachable from the tip and not from the
//! base (the previous release), newest first by committer time. Each [`Change`]
//! carries its author and committer, trailers, co-authors, pull request number
//! ([`message`] documents the patterns) and signature status ([`signature`]
//! documents what is verified and how). [`actor::ActorPatterns`] types the people
//! involved as human, bot or AI agent.
//!
//! Architecture Invariant: this crate reads the repository and nothing else. It
//! runs no git or gpg process, uses no network, and never writes to the repository;
//! keys to verify signatures with are passed in by the caller.
//!
//! Identities go through the repository's `.mailmap` (as `git log` does by default)
//! unless [`ChangesOptions::mailmap`] is off; signatures are always checked over the
//! commit's bytes as stored.

pub mod actor;
mod allowed_signers;
mod error;
pub mod message;
mod openpgp;
mod openpgp_keys;
pub mod signature;

use std::path::Path;

use gix::bstr::{BStr, ByteSlice};
use gix::revision::walk::Sorting;
use gix::traverse::commit::simple::CommitTimeOrder;
use time::{OffsetDateTime, UtcOffset};

pub use allowed_signers::{AllowedSigner, AllowedSigners};
pub use error::{AllowedSignersError, GitError, OpenPgpKeysError};
pub use openpgp_keys::OpenPgpKeys;
pub use signature::{Signature, SignatureKind, SignatureStatus, VerifyKeys};

/// The default bound on the number of commits [`Repo::changes`] reads.
pub const DEFAULT_LIMIT: usize = 10_000;

/// An open git repository.
pub struct Repo {
    inner: gix::Repository,
}

/// A person as git records them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Person {
    /// The name.
    pub name: String,
    /// The email address, without angle brackets; empty when none was given.
    pub email: String,
}

impl Person {
    /// `Name <email>`, the way git prints an identity.
    pub fn identity(&self) -> String {
        format!("{} <{}>", self.name, self.email)
    }
}

/// A commit message trailer such as `Signed-off-by: Ada <ada@example.com>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trailer {
    /// The key as written (`Co-authored-by`).
    pub key: String,
    /// The value, with folded lines joined.
    pub value: String,
}

/// One commit of a release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The commit's full hex id.
    pub commit: String,
    /// Its parents' full hex ids, in order.
    pub parents: Vec<String>,
    /// Who wrote it.
    pub author: Person,
    /// When it was written, in the author's offset.
    pub authored_at: OffsetDateTime,
    /// Who committed it.
    pub committer: Person,
    /// When it was committed, in the committer's offset.
    pub committed_at: OffsetDateTime,
    /// The subject: the message's first paragraph on one line, as `git log
    /// --format=%s` prints it.
    pub summary: String,
    /// The trailers of the message's last paragraph, in order.
    pub trailers: Vec<Trailer>,
    /// The people named by `Co-authored-by` trailers.
    pub co_authors: Vec<Person>,
    /// The pull request it came from, if the message names one.
    pub pr: Option<u64>,
    /// Whether it has more than one parent.
    pub merge: bool,
    /// Its signature and whether it holds.
    pub signature: Signature,
}

/// How [`Repo::changes`] reads a range.
#[derive(Debug, Clone)]
pub struct ChangesOptions {
    /// The most commits to read; more is an error ([`GitError::TooManyCommits`]).
    pub limit: usize,
    /// Whether identities go through the repository's `.mailmap`.
    pub mailmap: bool,
    /// The keys signatures are verified against.
    pub keys: VerifyKeys,
}

impl Default for ChangesOptions {
    fn default() -> Self {
        ChangesOptions { limit: DEFAULT_LIMIT, mailmap: true, keys: VerifyKeys::default() }
    }
}

/// Opens the git repository that contains `path` (the path itself or one of its
/// parents), the way `git` finds it from a working directory.
///
/// # Errors
///
/// [`GitError::NotARepository`] when there is none, [`GitError::Open`] when one was
/// found but cannot be opened.
pub fn open(path: impl AsRef<Path>) -> Result<Repo, GitError> {
    let path = path.as_ref();
    match gix::discover(path) {
        Ok(mut inner) => {
            // Sorting by commit time looks each commit up twice; a cache halves that.
            inner.object_cache_size_if_unset(4 * 1024 * 1024);
            Ok(Repo { inner })
        }
        Err(source) if source.dominant_class() == Some(gix::error::Class::NotFound) => {
            Err(GitError::NotARepository { path: path.to_owned(), source })
        }
        Err(source) => Err(GitError::Open { path: path.to_owned(), source }),
    }
}

impl Repo {
    /// The repository's git folder (`.git` of a working tree, or the bare folder).
    pub fn git_dir(&self) -> &Path {
        self.inner.git_dir()
    }

    /// The working tree, if the repository has one.
    pub fn work_dir(&self) -> Option<&Path> {
        self.inner.workdir()
    }

    /// Who git says the user is (`user.name`, `user.email` from the repository's and
    /// the user's configuration), when both are set.
    pub fn user(&self) -> Option<Person> {
        let config = self.inner.config_snapshot();
        let name = config.string("user.name")?.to_string();
        let email = config.string("user.email")?.to_string();
        (!name.is_empty() && !email.is_empty()).then_some(Person { name, email })
    }

    /// The full hex id of the commit `HEAD` points to.
    ///
    /// # Errors
    ///
    /// [`GitError::Head`] when `HEAD` does not point to a commit (no commits yet).
    pub fn head_commit(&self) -> Result<String, GitError> {
        self.inner
            .head_commit()
            .map(|commit| commit.id.to_string())
            .map_err(|source| GitError::Head { repository: self.git_dir().to_owned(), source })
    }

    /// The full hex id of the commit `revision` names (anything `git rev-parse`
    /// takes: a branch, a tag, `HEAD~2`, an abbreviated id). Tags are peeled.
    ///
    /// # Errors
    ///
    /// [`GitError::UnknownRevision`] when it names nothing, [`GitError::NotACommit`]
    /// when it names a tree or a blob.
    pub fn resolve(&self, revision: &str) -> Result<String, GitError> {
        self.resolve_id(revision).map(|id| id.to_string())
    }

    fn resolve_id(&self, revision: &str) -> Result<gix::ObjectId, GitError> {
        let unknown = |source| GitError::UnknownRevision {
            revision: revision.to_owned(),
            repository: self.git_dir().to_owned(),
            source,
        };
        let object = self.inner.rev_parse_single(revision).and_then(|id| id.object()).map_err(unknown)?;
        let kind = object.kind;
        let peeled = object.peel_tags_to_end().map_err(unknown)?;
        if peeled.kind != gix::object::Kind::Commit {
            let kind =
                if kind == gix::object::Kind::Tag { format!("tag of a {}", peeled.kind) } else { kind.to_string() };
            return Err(GitError::NotACommit { revision: revision.to_owned(), kind });
        }
        Ok(peeled.id)
    }

    /// The commits reachable from `tip` and not from `base` (`base..tip`), or every
    /// ancestor of `tip` when there is no base, newest first by committer time.
    ///
    /// # Errors
    ///
    /// [`GitError::UnknownRevision`] or [`GitError::NotACommit`] for a revision that
    /// does not name a commit, [`GitError::TooManyCommits`] when the range holds more
    /// than `options.limit` commits, [`GitError::ShallowHistory`] when a shallow
    /// clone cuts the range short, [`GitError::Walk`] and [`GitError::Commit`] when
    /// an object is missing or corrupt.
    pub fn changes(&self, base: Option<&str>, tip: &str, options: &ChangesOptions) -> Result<Vec<Change>, GitError> {
        let range = match base {
            Some(base) => format!("{base}..{tip}"),
            None => tip.to_owned(),
        };
        let tip_id = self.resolve_id(tip)?;
        let hidden = base.map(|base| self.resolve_id(base)).transpose()?;
        let walk_error = |source| GitError::Walk { range: range.clone(), source };
        let walk = self
            .inner
            .rev_walk([tip_id])
            .with_hidden(hidden)
            .sorting(Sorting::ByCommitTime(CommitTimeOrder::NewestFirst))
            .all()
            .map_err(walk_error)?;
        let shallow = self.inner.shallow_commits().map_err(walk_error)?;
        let mailmap = options.mailmap.then(|| self.inner.open_mailmap());
        let mut changes = Vec::new();
        for info in walk {
            let info = info.map_err(walk_error)?;
            if changes.len() == options.limit {
                return Err(GitError::TooManyCommits { range, limit: options.limit });
            }
            // A shallow clone's boundary commit has parents that are not here, so
            // whatever the range holds below it is unknown.
            if shallow.as_ref().is_some_and(|shallow| shallow.binary_search(&info.id).is_ok()) {
                return Err(GitError::ShallowHistory { range, commit: info.id.to_string() });
            }
            changes.push(self.change(info.id, mailmap.as_ref(), &options.keys)?);
        }
        Ok(changes)
    }

    /// Reads one commit.
    fn change(
        &self,
        id: gix::ObjectId,
        mailmap: Option<&gix::mailmap::Snapshot>,
        keys: &VerifyKeys,
    ) -> Result<Change, GitError> {
        let commit_error = |source| GitError::Commit { commit: id.to_string(), source };
        let commit = self.inner.find_commit(id).map_err(commit_error)?;
        let decoded = commit.decode().map_err(commit_error)?;
        let resolve = |signature: gix::actor::SignatureRef<'_>| -> Person {
            let signature = signature.trim();
            match mailmap.and_then(|mailmap| mailmap.try_resolve(signature)) {
                Some(mapped) => Person { name: lossy(mapped.name.as_ref()), email: lossy(mapped.email.as_ref()) },
                None => Person { name: lossy(signature.name), email: lossy(signature.email) },
            }
        };
        let author = resolve(decoded.author().map_err(commit_error)?);
        let committer = resolve(decoded.committer().map_err(commit_error)?);
        let authored_at = timestamp(&id, "author", decoded.author().and_then(|a| a.time()).map_err(commit_error)?)?;
        let committed_at =
            timestamp(&id, "committer", decoded.committer().and_then(|c| c.time()).map_err(commit_error)?)?;
        let message = gix::objs::commit::MessageRef::from_bytes(decoded.message);
        let summary = lossy(message.summary().as_ref());
        let trailers = message::trailers(&message);
        let mut co_authors = message::co_authors(&trailers);
        if let Some(mailmap) = mailmap {
            for person in &mut co_authors {
                map_person(mailmap, person);
            }
        }
        let pr = message::pull_request_number(&summary, &decoded.message.to_str_lossy());
        let parents: Vec<String> = decoded.parents().map(|parent| parent.to_string()).collect();
        let signature = match commit.signature().map_err(commit_error)? {
            Some((signature, signed)) => signature::check(
                &signature.to_str_lossy(),
                signed.to_bstring().as_ref(),
                committed_at.unix_timestamp(),
                keys,
            ),
            None => Signature::unsigned(),
        };
        Ok(Change {
            commit: id.to_string(),
            merge: parents.len() > 1,
            parents,
            author,
            authored_at,
            committer,
            committed_at,
            summary,
            trailers,
            co_authors,
            pr,
            signature,
        })
    }
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo").field("git_dir", &self.git_dir()).finish()
    }
}

/// Applies the mailmap to a person named in a trailer.
fn map_person(mailmap: &gix::mailmap::Snapshot, person: &mut Person) {
    let signature = gix::actor::SignatureRef {
        name: person.name.as_bytes().as_bstr(),
        email: person.email.as_bytes().as_bstr(),
        time: "",
    };
    if let Some(mapped) = mailmap.try_resolve(signature) {
        *person = Person { name: lossy(mapped.name.as_ref()), email: lossy(mapped.email.as_ref()) };
    }
}

fn lossy(text: &BStr) -> String {
    text.to_str_lossy().into_owned()
}

/// A git time as a date-time in its own offset. An offset beyond ±25:59:59 (which
/// git can record) or one that moves the date out of range is read as UTC.
fn timestamp(commit: &gix::ObjectId, role: &'static str, time: gix::date::Time) -> Result<OffsetDateTime, GitError> {
    let utc = OffsetDateTime::from_unix_timestamp(time.seconds).map_err(|_| GitError::Time {
        commit: commit.to_string(),
        role,
        seconds: time.seconds,
    })?;
    Ok(UtcOffset::from_whole_seconds(time.offset).ok().and_then(|offset| utc.checked_to_offset(offset)).unwrap_or(utc))
}
