//! SHA-256 digests, written `sha256:<64 lowercase hex>` everywhere a person or another
//! tool reads them (in-toto subjects, OCI, our JSON output).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::Digest as _;

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest([u8; 32]);

impl Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(sha2::Sha256::digest(bytes).into())
    }

    /// Wraps raw digest bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Digest {
        Digest(bytes)
    }

    /// The raw 32 bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex, without the `sha256:` prefix.
    pub fn to_hex(&self) -> String {
        let text = self.prefixed();
        text.as_str()[PREFIX.len()..].to_owned()
    }

    /// Appends `sha256:<hex>` to `out`.
    pub(crate) fn write_prefixed(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.prefixed().0);
    }

    /// `sha256:<hex>` on the stack: digests are written for every finding and
    /// entry, so this is the one place their text is made.
    fn prefixed(&self) -> PrefixedHex {
        let mut bytes = [0u8; PREFIX.len() + 64];
        bytes[..PREFIX.len()].copy_from_slice(PREFIX.as_bytes());
        // Cannot fail: the slice is exactly twice the digest's length.
        let _ = hex::encode_to_slice(self.0, &mut bytes[PREFIX.len()..]);
        PrefixedHex(bytes)
    }

    /// Parses 64 hex digits (no prefix).
    ///
    /// # Errors
    /// When `text` is not exactly 64 hex digits.
    pub fn from_hex(text: &str) -> Result<Digest, DigestParseError> {
        if text.len() != 64 {
            return Err(DigestParseError { text: text.to_owned() });
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(text, &mut out).map_err(|_| DigestParseError { text: text.to_owned() })?;
        Ok(Digest(out))
    }

    /// Reads a slice of exactly 32 bytes, as stored in a database column.
    ///
    /// # Errors
    /// When the slice is not 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<Digest, DigestParseError> {
        let array: [u8; 32] = bytes.try_into().map_err(|_| DigestParseError { text: hex::encode(bytes) })?;
        Ok(Digest(array))
    }
}

/// A digest string that is not `sha256:` followed by 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a sha256 digest (expected sha256:<64 hex digits>): {text:?}")]
pub struct DigestParseError {
    /// What was given.
    pub text: String,
}

const PREFIX: &str = "sha256:";

/// The text of a digest, `sha256:` and 64 lowercase hex digits.
struct PrefixedHex([u8; PREFIX.len() + 64]);

impl PrefixedHex {
    fn as_str(&self) -> &str {
        // The bytes are ASCII: the prefix and hex digits.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefixed().as_str())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Digest {
    type Err = DigestParseError;

    /// Accepts `sha256:<hex>`; upper-case hex is accepted and normalised.
    fn from_str(text: &str) -> Result<Digest, DigestParseError> {
        let hex_part = text.strip_prefix("sha256:").ok_or_else(|| DigestParseError { text: text.to_owned() })?;
        Digest::from_hex(&hex_part.to_ascii_lowercase()).map_err(|_| DigestParseError { text: text.to_owned() })
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.prefixed().as_str())
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Digest, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// An incremental SHA-256 computation, for content that arrives in pieces.
#[derive(Clone, Default)]
pub struct Sha256(sha2::Sha256);

impl Sha256 {
    /// A fresh computation.
    pub fn new() -> Sha256 {
        Sha256::default()
    }

    /// Feeds more bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The digest of everything fed.
    pub fn finish(self) -> Digest {
        Digest(self.0.finalize().into())
    }
}

/// In JSON Schemas (docs/schemas/): the text form, `sha256:` and 64 lowercase hex digits.
impl schemars::JsonSchema for Digest {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Digest".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^sha256:[0-9a-f]{64}$",
            "description": "A SHA-256 digest: `sha256:` and 64 lowercase hex digits."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector_and_round_trip() {
        let digest = Digest::of(b"abc");
        assert_eq!(digest.to_string(), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(digest.to_string().parse::<Digest>(), Ok(digest));
        assert_eq!(digest.to_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(serde_json::to_string(&digest).unwrap(), format!("\"{digest}\""));
        assert_eq!(format!("{digest:?}"), digest.to_string());
        let mut incremental = Sha256::new();
        incremental.update(b"a");
        incremental.update(b"bc");
        assert_eq!(incremental.finish(), digest);
    }

    #[test]
    fn rejects_malformed() {
        for text in [
            "",
            "sha256:",
            "sha256:abc",
            "md5:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "sha256:zz7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ] {
            assert!(text.parse::<Digest>().is_err(), "{text:?} parsed");
        }
        assert!("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD".parse::<Digest>().is_ok());
    }
}
