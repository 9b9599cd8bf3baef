//! Policy errors: every mistake in a policy file or its Rego modules is reported with
//! the file, line and column it is at, before anything is evaluated.

use std::fmt;

/// A policy that cannot be used, and where the problem is.
///
/// `Display` is `file:line:column: message`, the shape editors and CI logs link.
/// Line and column are 1-based; a problem that has no place (an unreadable Rego file)
/// is reported at the line of the key that named it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {kind}")]
pub struct PolicyError {
    /// The policy file, or the Rego file the problem is in, as the caller named it.
    pub file: String,
    /// 1-based line.
    pub line: u64,
    /// 1-based column, in characters.
    pub column: u64,
    /// What is wrong.
    pub kind: PolicyErrorKind,
}

impl PolicyError {
    /// What is wrong, without the place.
    pub fn kind(&self) -> &PolicyErrorKind {
        &self.kind
    }
}

/// What is wrong with a policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyErrorKind {
    /// Not YAML, or YAML the reader refuses (duplicate keys, bad indentation).
    #[error("{message}")]
    Syntax {
        /// The YAML reader's message.
        message: String,
    },
    /// A value of the wrong type.
    #[error("{what}: expected {expected}, found {found}")]
    WrongType {
        /// Which value (`criteria[2].with.max_age_days`).
        what: String,
        /// The type it must have.
        expected: &'static str,
        /// The type it has.
        found: &'static str,
    },
    /// A key the format does not know.
    #[error("unknown key `{key}` in {context} (expected one of: {expected})")]
    UnknownKey {
        /// The key as written.
        key: String,
        /// Where it was (`the policy`, `criterion \`tests\``).
        context: String,
        /// The keys that are allowed there.
        expected: String,
    },
    /// A required key is absent.
    #[error("missing key `{key}` in {context}")]
    MissingKey {
        /// The key.
        key: &'static str,
        /// Where it should be.
        context: String,
    },
    /// `use:` names no built-in criterion.
    #[error("unknown criterion `{name}` (built-in criteria: {expected})")]
    UnknownCriterion {
        /// What was written.
        name: String,
        /// The built-in names.
        expected: String,
    },
    /// A parameter a criterion does not take.
    #[error("criterion `{criterion}` has no parameter `{name}` ({expected})")]
    UnknownParameter {
        /// The built-in criterion.
        criterion: &'static str,
        /// The parameter as written.
        name: String,
        /// The parameters it takes, as a phrase.
        expected: String,
    },
    /// A parameter a criterion needs is absent.
    #[error("criterion `{criterion}` needs parameter `{name}`")]
    MissingParameter {
        /// The built-in criterion.
        criterion: &'static str,
        /// The missing parameter.
        name: &'static str,
    },
    /// A value of the right type that is not allowed (a rate above 1, an unknown
    /// evidence kind, an empty list).
    #[error("{what}: {message}")]
    InvalidValue {
        /// Which value.
        what: String,
        /// Why it is not allowed.
        message: String,
    },
    /// Two criteria (or Rego modules) share an id.
    #[error("duplicate id `{id}` (first used at line {first_line})")]
    DuplicateId {
        /// The id.
        id: String,
        /// The line of its first use.
        first_line: u64,
    },
    /// A scope names an environment the policy does not declare.
    #[error("unknown environment `{name}` (declared environments: {declared})")]
    UnknownEnvironment {
        /// The environment as written.
        name: String,
        /// The declared ones, or `none`.
        declared: String,
    },
    /// The format version is not one this crate reads.
    #[error("unsupported policy version {found} (this signoff reads version 1)")]
    UnsupportedVersion {
        /// The version found.
        found: String,
    },
    /// A Rego file could not be read by the caller.
    #[error("cannot read rego file `{file}`: {message}")]
    RegoFile {
        /// The path as written in the policy.
        file: String,
        /// The caller's reason.
        message: String,
    },
    /// A Rego module does not compile, or breaks one of our rules for modules.
    #[error("rego: {message}")]
    Rego {
        /// regorus's message, or ours.
        message: String,
    },
}

/// A place in a file, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Place {
    pub(crate) line: u64,
    pub(crate) column: u64,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}
