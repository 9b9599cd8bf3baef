//! Catalog errors. Every mistake in a catalog file is reported as
//! `file:line:column: message`, the shape editors and CI logs link.

/// A catalog file that cannot be used, and where the problem is.
///
/// Line and column are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {kind}")]
pub struct CatalogError {
    /// The file, as the caller named it (`built-in controls.yaml` for the built-in).
    pub file: String,
    /// 1-based line.
    pub line: u64,
    /// 1-based column.
    pub column: u64,
    /// What is wrong.
    pub kind: CatalogErrorKind,
}

impl CatalogError {
    /// What is wrong, without the place.
    pub fn kind(&self) -> &CatalogErrorKind {
        &self.kind
    }
}

/// What is wrong with a catalog file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogErrorKind {
    /// Not YAML, YAML the reader refuses (duplicate keys, bad indentation), or a
    /// value of the wrong shape (a missing or unknown key, a string for a number).
    #[error("{message}")]
    Syntax {
        /// The YAML reader's message.
        message: String,
    },
    /// A `schema_version` other than 1.
    #[error("unsupported schema_version {found} (only 1 exists)")]
    SchemaVersion {
        /// The version written.
        found: u64,
    },
    /// An evidence name that is neither an evidence type nor an alias of one.
    #[error("unknown evidence kind {given:?} (expected one of: {expected})")]
    UnknownEvidenceKind {
        /// The name as written.
        given: String,
        /// The evidence types, comma separated (and the aliases, where they are
        /// accepted).
        expected: String,
    },
    /// An alias that names a type itself, or two different types.
    #[error("alias {alias:?} {problem}")]
    BadAlias {
        /// The alias.
        alias: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A framework or control id with characters we do not accept.
    #[error("invalid {what} id {id:?}: {rule}")]
    InvalidId {
        /// `framework` or `control`.
        what: &'static str,
        /// The id as written.
        id: String,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// The same framework twice in one file.
    #[error("framework {id:?} appears twice in this file")]
    DuplicateFramework {
        /// The framework id.
        id: String,
    },
    /// The same control twice in one framework of one file.
    #[error("control {id:?} appears twice in framework {framework:?}")]
    DuplicateControl {
        /// The framework id.
        framework: String,
        /// The control id.
        id: String,
    },
    /// The same evidence kind twice in one control.
    #[error("evidence kind {kind} is listed twice in control {control:?}")]
    DuplicateEvidence {
        /// The control id.
        control: String,
        /// The kind.
        kind: String,
    },
    /// A control that names no evidence.
    #[error("control {id:?} names no evidence kinds")]
    NoEvidence {
        /// The control id.
        id: String,
    },
    /// A framework that is not in the catalog yet and lacks what a new one needs.
    #[error("new framework {id:?} needs `{field}` (it is not in the catalog yet)")]
    MissingFrameworkField {
        /// The framework id.
        id: String,
        /// The missing key.
        field: &'static str,
    },
}

/// A framework name the catalog does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown framework {given:?} (expected one of: {expected})")]
pub struct UnknownFramework {
    /// What was given.
    pub given: String,
    /// The catalog's framework ids (and `fedramp`), comma separated.
    pub expected: String,
}
