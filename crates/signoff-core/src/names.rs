//! Checked names: projects, release versions and commits. Each validates once, at
//! construction, so the rest of the code can pass them around without re-checking.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A name that breaks the rules for its kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} {given:?}: {rule}")]
pub struct NameError {
    /// Which kind of name ("project name", "release version", "commit").
    pub what: &'static str,
    /// What was given.
    pub given: String,
    /// The rule it broke.
    pub rule: &'static str,
}

macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            /// The name as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = NameError;
            fn from_str(text: &str) -> Result<Self, NameError> {
                $name::new(text)
            }
        }

        /// In JSON Schemas (docs/schemas/): its text.
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string" })
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                $name::new(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A project: `shop`, `payments-api`, `acme/shop`.
///
/// 1 to 128 characters of ASCII letters, digits, `.`, `_`, `-` and `/`; it starts
/// with a letter or digit and does not end with `/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProjectName(String);

impl ProjectName {
    /// Checks and wraps a project name.
    ///
    /// # Errors
    /// When `text` breaks the rules above.
    pub fn new(text: &str) -> Result<ProjectName, NameError> {
        let error = |rule| NameError { what: "project name", given: text.to_owned(), rule };
        if text.is_empty() || text.len() > 128 {
            return Err(error("must be 1 to 128 characters"));
        }
        if !text.starts_with(|c: char| c.is_ascii_alphanumeric()) || text.ends_with('/') {
            return Err(error("must start with a letter or digit and not end with '/'"));
        }
        if !text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/')) {
            return Err(error("may hold only letters, digits, '.', '_', '-' and '/'"));
        }
        Ok(ProjectName(text.to_owned()))
    }
}
string_newtype!(ProjectName);

/// A release version: `4.2.1`, `2026.11.26-rc1`, `v1`.
///
/// 1 to 128 printable ASCII characters without spaces, `@` or `/` (so `project@version`
/// is unambiguous).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReleaseVersion(String);

impl ReleaseVersion {
    /// Checks and wraps a version.
    ///
    /// # Errors
    /// When `text` breaks the rules above.
    pub fn new(text: &str) -> Result<ReleaseVersion, NameError> {
        let error = |rule| NameError { what: "release version", given: text.to_owned(), rule };
        if text.is_empty() || text.len() > 128 {
            return Err(error("must be 1 to 128 characters"));
        }
        if !text.chars().all(|c| c.is_ascii_graphic() && c != '@' && c != '/') {
            return Err(error("may hold only printable ASCII without spaces, '@' or '/'"));
        }
        Ok(ReleaseVersion(text.to_owned()))
    }
}
string_newtype!(ReleaseVersion);

/// A full git commit id: 40 (SHA-1) or 64 (SHA-256) hex digits, stored lowercase.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommitSha(String);

impl CommitSha {
    /// Checks and wraps a commit id.
    ///
    /// # Errors
    /// When `text` is not 40 or 64 hex digits.
    pub fn new(text: &str) -> Result<CommitSha, NameError> {
        let valid = matches!(text.len(), 40 | 64) && text.chars().all(|c| c.is_ascii_hexdigit());
        if !valid {
            return Err(NameError {
                what: "commit",
                given: text.to_owned(),
                rule: "must be a full commit id of 40 or 64 hex digits",
            });
        }
        Ok(CommitSha(text.to_ascii_lowercase()))
    }
}
string_newtype!(CommitSha);

/// A release named as `project@version` (`shop@4.2.1`): how every front end names
/// one. Versions hold no `@`, so the last `@` splits (`acme/shop@4.2.1`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReleaseRef {
    /// The project.
    pub project: ProjectName,
    /// The version.
    pub version: ReleaseVersion,
}

impl ReleaseRef {
    /// A release of `project` at `version`.
    pub fn new(project: ProjectName, version: ReleaseVersion) -> ReleaseRef {
        ReleaseRef { project, version }
    }
}

impl fmt::Display for ReleaseRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.project, self.version)
    }
}

impl FromStr for ReleaseRef {
    type Err = NameError;

    fn from_str(text: &str) -> Result<ReleaseRef, NameError> {
        let (project, version) = text.rsplit_once('@').ok_or_else(|| NameError {
            what: "release",
            given: text.to_owned(),
            rule: "must be PROJECT@VERSION (for example shop@4.2.1)",
        })?;
        Ok(ReleaseRef { project: ProjectName::new(project)?, version: ReleaseVersion::new(version)? })
    }
}

/// In JSON Schemas (docs/schemas/): `PROJECT@VERSION`.
impl schemars::JsonSchema for ReleaseRef {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ReleaseRef".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "pattern": "^[^@]+@[^@]+$", "description": "A release: PROJECT@VERSION." })
    }
}

impl Serialize for ReleaseRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ReleaseRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ReleaseRef, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_refs() {
        let release: ReleaseRef = "acme/shop@4.2.1".parse().unwrap();
        assert_eq!((release.project.as_str(), release.version.as_str()), ("acme/shop", "4.2.1"));
        assert_eq!(release.to_string(), "acme/shop@4.2.1");
        let error = "shop".parse::<ReleaseRef>().unwrap_err();
        assert_eq!(error.to_string(), r#"invalid release "shop": must be PROJECT@VERSION (for example shop@4.2.1)"#);
        assert!("shop@".parse::<ReleaseRef>().is_err());
        assert!("@1.0".parse::<ReleaseRef>().is_err());
    }

    #[test]
    fn project_names() {
        for good in ["shop", "acme/shop", "payments-api", "a", "x.y_z-1"] {
            assert!(ProjectName::new(good).is_ok(), "{good}");
        }
        for bad in ["", "-shop", "/shop", "shop/", "sh op", "shöp", &"a".repeat(129)] {
            assert!(ProjectName::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn versions_and_commits() {
        assert!(ReleaseVersion::new("4.2.1").is_ok());
        assert!(ReleaseVersion::new("4.2 1").is_err());
        assert!(ReleaseVersion::new("shop@1").is_err());
        let sha = CommitSha::new("ABCDEF0123456789abcdef0123456789abcdef01").unwrap();
        assert_eq!(sha.as_str(), "abcdef0123456789abcdef0123456789abcdef01");
        assert!(CommitSha::new("abcdef0").is_err());
        assert!(CommitSha::new(&"g".repeat(40)).is_err());
    }
}
