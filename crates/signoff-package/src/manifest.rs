//! `manifest.json`: what a package is about, the size and SHA-256 of every other
//! member, and the ledger facts (checkpoint and included entries).
//!
//! The manifest is not signed. Its member hashes let `sha256sum` find a changed
//! member; its ledger facts are checked against the signed checkpoint and the entries;
//! its release is checked against the certificates and the release's own ledger entries
//! where the package includes them. `docs/evidence-package.md` describes every field.

use serde::{Deserialize, Serialize};
use signoff_core::{CommitSha, Digest, ProjectName, ReleaseVersion};
use time::OffsetDateTime;

/// The `format` of every package manifest.
pub const FORMAT: &str = "signoff-evidence-package";

/// The manifest version this crate writes and reads.
pub const VERSION: u32 = 1;

/// The parsed `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`] for this crate.
    pub version: u32,
    /// The release the package is about.
    pub release: Release,
    /// When the package was made (given by the caller; the builder reads no clock).
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The checkpoint and the included ledger entries.
    pub ledger: LedgerFacts,
    /// Every member but `manifest.json`, sorted by path.
    pub members: Vec<MemberRecord>,
    /// For a certified (or rejected) release: its evidence split into what the
    /// latest certificate was decided on and what was captured after it (B4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certification: Option<CertifiedEvidence>,
}

/// The release's evidence, at certification and after it (B4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertifiedEvidence {
    /// The latest certificate's id.
    pub certificate: String,
    /// Evidence the certificate names (its statement's evidence digests), by entry,
    /// sorted: exactly what the decision was made on.
    pub at_certification: Vec<EvidenceFacts>,
    /// Evidence of the release captured after that certification, sorted by entry:
    /// not what the decision was made on.
    pub captured_after: Vec<EvidenceFacts>,
}

/// One piece of evidence: its `evidence_captured` entry and its blob's digest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceFacts {
    /// The entry's index.
    pub entry: u64,
    /// SHA-256 of the evidence, `sha256:<hex>`.
    pub digest: Digest,
}

/// The release a package is about (B1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    /// Project.
    pub project: ProjectName,
    /// Version.
    pub version: ReleaseVersion,
    /// The commit it was built from.
    pub commit: CommitSha,
    /// Digests of the artifacts it ships; written sorted and without duplicates.
    #[serde(default)]
    pub artifacts: Vec<Digest>,
}

/// The ledger facts of a package: which checkpoint, which entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerFacts {
    /// The log's origin, which is also its key name.
    pub origin: String,
    /// The checkpoint's tree size.
    pub size: u64,
    /// The checkpoint's RFC 6962 root hash, lowercase hex.
    #[serde(with = "hex_digest")]
    pub root: Digest,
    /// The included entries, sorted by index.
    pub entries: Vec<EntryFacts>,
}

/// One included ledger entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryFacts {
    /// Its index (`seq`) in the ledger, and so its leaf index in the tree.
    pub index: u64,
    /// Its kind (`evidence_captured`, `release_created`, ...).
    pub kind: String,
    /// `SHA-256(0x00 ‖ entry bytes)`, lowercase hex.
    #[serde(with = "hex_digest")]
    pub leaf_hash: Digest,
}

/// One member of the package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberRecord {
    /// Its path in the archive.
    pub path: String,
    /// Its size in bytes (uncompressed).
    pub size: u64,
    /// SHA-256 of its bytes, `sha256:<hex>`.
    pub sha256: Digest,
}

/// Why `manifest.json` could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// Not JSON, or not a manifest of the version it claims.
    #[error("not a valid manifest")]
    Json(#[source] serde_json::Error),
    /// Another format, or a version this crate does not know.
    #[error("format {format:?} version {version} is not {FORMAT:?} version {VERSION}")]
    Unsupported {
        /// The `format` found.
        format: String,
        /// The `version` found.
        version: u64,
    },
}

impl Manifest {
    /// The JSON bytes: pretty-printed, fields in declaration order, a final newline.
    /// The same manifest always gives the same bytes.
    ///
    /// # Errors
    /// Only if serialization fails, which it does not for these types.
    pub fn to_bytes(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut bytes = serde_json::to_vec_pretty(self)?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// Reads a manifest, checking `format` and `version` before the rest so that a
    /// newer package is reported as such rather than as malformed.
    ///
    /// # Errors
    /// [`ManifestError::Unsupported`] or [`ManifestError::Json`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(ManifestError::Json)?;
        let format = value.get("format").and_then(serde_json::Value::as_str).unwrap_or_default();
        let version = value.get("version").and_then(serde_json::Value::as_u64).unwrap_or_default();
        if format != FORMAT || version != u64::from(VERSION) {
            return Err(ManifestError::Unsupported { format: format.to_owned(), version });
        }
        serde_json::from_value(value).map_err(ManifestError::Json)
    }

    /// The record of the member at `path`.
    pub fn member(&self, path: &str) -> Option<&MemberRecord> {
        self.members.iter().find(|member| member.path == path)
    }
}

/// Tree hashes are written as plain hex, as `signoff ledger prove` and RFC 6962 tools
/// print them; `sha256:` marks digests of member content.
mod hex_digest {
    use serde::{Deserialize, Deserializer, Serializer};
    use signoff_core::Digest;

    pub(super) fn serialize<S: Serializer>(digest: &Digest, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&digest.to_hex())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Digest, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.bytes().any(|byte| byte.is_ascii_uppercase()) {
            return Err(serde::de::Error::custom("hash must be lowercase hex"));
        }
        Digest::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            format: FORMAT.into(),
            version: VERSION,
            release: Release {
                project: ProjectName::new("shop").unwrap(),
                version: ReleaseVersion::new("1.2.0").unwrap(),
                commit: CommitSha::new(&"ab".repeat(20)).unwrap(),
                artifacts: vec![Digest::of(b"app")],
            },
            created_at: time::macros::datetime!(2026-11-26 12:00:00 UTC),
            ledger: LedgerFacts {
                origin: "signoff.example/ledger".into(),
                size: 9,
                root: Digest::of(b"root"),
                entries: vec![EntryFacts { index: 3, kind: "release_created".into(), leaf_hash: Digest::of(b"l") }],
            },
            members: vec![MemberRecord { path: "index.html".into(), size: 3, sha256: Digest::of(b"abc") }],
            certification: None,
        }
    }

    #[test]
    fn round_trips_and_is_stable() {
        let bytes = manifest().to_bytes().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with("{\n  \"format\": \"signoff-evidence-package\",\n  \"version\": 1,\n"), "{text}");
        assert!(text.contains(&format!("\"root\": \"{}\"", Digest::of(b"root").to_hex())), "{text}");
        assert!(text.contains(&format!("\"sha256\": \"{}\"", Digest::of(b"abc"))), "{text}");
        assert!(text.contains("\"created_at\": \"2026-11-26T12:00:00Z\""), "{text}");
        assert_eq!(Manifest::from_bytes(&bytes).unwrap(), manifest());
        assert_eq!(Manifest::from_bytes(&bytes).unwrap().to_bytes().unwrap(), bytes);
    }

    #[test]
    fn refuses_other_versions_and_unknown_fields() {
        let text = String::from_utf8(manifest().to_bytes().unwrap()).unwrap();
        let newer = text.replace("\"version\": 1,", "\"version\": 2,");
        assert!(matches!(Manifest::from_bytes(newer.as_bytes()), Err(ManifestError::Unsupported { version: 2, .. })));
        let other = text.replace(FORMAT, "something-else");
        assert!(matches!(Manifest::from_bytes(other.as_bytes()), Err(ManifestError::Unsupported { .. })));
        let extra = text.replacen("\"version\": 1,", "\"version\": 1, \"signed\": true,", 1);
        assert!(matches!(Manifest::from_bytes(extra.as_bytes()), Err(ManifestError::Json(_))));
        let upper = text.replace(&Digest::of(b"root").to_hex(), &Digest::of(b"root").to_hex().to_uppercase());
        assert!(matches!(Manifest::from_bytes(upper.as_bytes()), Err(ManifestError::Json(_))));
        assert!(matches!(Manifest::from_bytes(b"{"), Err(ManifestError::Json(_))));
    }
}
