//! Why the changes of a release could not be read.
//!
//! Every error names what it was about: the path searched for a repository, the
//! revision that did not resolve, the commit that could not be read, or the
//! allowed-signers file and line that did not parse.

use std::io;
use std::path::PathBuf;

/// A failure to read history from a git repository.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GitError {
    /// Neither the path nor any of its parents is inside a git repository.
    #[error("{} is not in a git repository (nor is any of its parents)", path.display())]
    NotARepository {
        /// The path the search started from.
        path: PathBuf,
        /// What gix reported.
        #[source]
        source: gix::Error,
    },
    /// A repository was found but could not be opened.
    #[error("cannot open the git repository at or above {}", path.display())]
    Open {
        /// The path the search started from.
        path: PathBuf,
        /// What gix reported.
        #[source]
        source: gix::Error,
    },
    /// `HEAD` does not point to a commit (a repository without commits, or a broken
    /// `HEAD`).
    #[error("HEAD of {} does not point to a commit", repository.display())]
    Head {
        /// The repository's git folder.
        repository: PathBuf,
        /// What gix reported.
        #[source]
        source: gix::Error,
    },
    /// A revision did not resolve to any object.
    #[error("unknown revision {revision:?} in {}", repository.display())]
    UnknownRevision {
        /// The revision as given.
        revision: String,
        /// The repository's git folder.
        repository: PathBuf,
        /// What gix reported.
        #[source]
        source: gix::Error,
    },
    /// A revision resolved, but not to a commit (a tree or a blob).
    #[error("revision {revision:?} names a {kind}, not a commit")]
    NotACommit {
        /// The revision as given.
        revision: String,
        /// The kind of object it names.
        kind: String,
    },
    /// The range holds more commits than the configured limit.
    #[error("{range} has more than {limit} commits; name a base revision or raise the limit")]
    TooManyCommits {
        /// The range, `base..tip` or `tip`.
        range: String,
        /// The limit in force.
        limit: usize,
    },
    /// The repository is a shallow clone whose history ends inside the range, so the
    /// range's commits cannot all be known.
    #[error(
        "the history of {range} is cut short at commit {commit} by a shallow clone; fetch the full history (git fetch --unshallow) or the base revision"
    )]
    ShallowHistory {
        /// The range, `base..tip` or `tip`.
        range: String,
        /// The boundary commit reached.
        commit: String,
    },
    /// Walking the history failed (a missing or corrupt object).
    #[error("cannot walk the history of {range}")]
    Walk {
        /// The range, `base..tip` or `tip`.
        range: String,
        /// What gix reported.
        #[source]
        source: gix::Error,
    },
    /// A commit could not be read or decoded.
    #[error("cannot read commit {commit}")]
    Commit {
        /// The commit's full hex id.
        commit: String,
        /// What gix reported.
        #[source]
        source: gix::Error,
    },
    /// A commit's author or committer time cannot be represented.
    #[error("commit {commit} has an unrepresentable {role} time ({seconds} seconds since 1970)")]
    Time {
        /// The commit's full hex id.
        commit: String,
        /// `author` or `committer`.
        role: &'static str,
        /// The seconds as recorded.
        seconds: i64,
    },
}

/// An allowed-signers file that could not be read or parsed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AllowedSignersError {
    /// The file could not be read.
    #[error("cannot read the allowed signers file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A line is not `principals [options] keytype base64-key [comment]`.
    #[error("allowed signers {origin}, line {line}: {reason}")]
    Line {
        /// The file, or `<text>` when parsed from a string.
        origin: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
}

/// OpenPGP public keys that could not be read or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenPgpKeysError {
    /// The file could not be read.
    #[error("cannot read the OpenPGP keys file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The text is not armored public keys, or a key does not verify.
    #[error("OpenPGP keys {origin}: {reason}")]
    Invalid {
        /// The file, or `<text>` when parsed from a string.
        origin: String,
        /// What is wrong.
        reason: String,
    },
}
