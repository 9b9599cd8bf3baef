//! Canonical bytes: the one encoding that is hashed or signed.
//!
//! We use the JSON Canonicalization Scheme (RFC 8785): object keys sorted by their
//! UTF-16 code units, no insignificant whitespace, numbers in their shortest form.
//! Any tool that implements RFC 8785 reproduces our bytes from the parsed JSON, so a
//! ledger entry can be re-hashed by someone who never ran signoff.
//!
//! Architecture Invariant: nothing is hashed or signed in signoff except through
//! [`to_canonical_bytes`] or raw bytes that are stored verbatim.

use serde::Serialize;

/// A value that cannot be put in canonical form (a non-finite float, a map with
/// non-string keys).
#[derive(Debug, thiserror::Error)]
#[error("cannot encode canonically: {message}")]
pub struct CanonicalError {
    message: String,
}

impl From<serde_json::Error> for CanonicalError {
    fn from(error: serde_json::Error) -> CanonicalError {
        CanonicalError { message: error.to_string() }
    }
}

/// RFC 8785 bytes of `value`.
///
/// # Errors
/// When the value has no JSON form (for example a float that is NaN).
pub fn to_canonical_bytes<T: Serialize>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    serde_json_canonicalizer::to_vec(value).map_err(|error| CanonicalError { message: error.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_keys_and_drops_whitespace() {
        let value = serde_json::json!({"b": 1, "a": [true, null, "x"], "c": {"z": 1.0, "y": 1e21}});
        let bytes = to_canonical_bytes(&value).unwrap();
        assert_eq!(String::from_utf8(bytes).unwrap(), r#"{"a":[true,null,"x"],"b":1,"c":{"y":1e+21,"z":1}}"#);
    }
}
