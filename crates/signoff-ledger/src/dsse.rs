//! DSSE v1.0.2, the Dead Simple Signing Envelope that in-toto attestations travel in.
//!
//! A signature covers the pre-authentication encoding `PAE(type, body) = "DSSEv1" SP
//! LEN(type) SP type SP LEN(body) SP body` (DSSE `protocol.md` §"Signature definition"),
//! never the payload alone, so a signature made for one payload type cannot be replayed
//! as another. The JSON envelope (`envelope.md`) is `{"payloadType", "payload":
//! base64(body), "signatures": [{"keyid", "sig": base64}]}`; verifiers must accept both
//! the standard and the URL-safe base64 alphabet, and `keyid` is an unauthenticated
//! hint.
//!
//! Architecture Invariant: [`Envelope::verify`] hands back the very bytes it checked
//! the signature over; no caller re-reads the envelope for its payload after verifying
//! (DSSE `protocol.md` §"Verification": "verify before parsing").

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::keys::{LedgerKey, PublicKey};

/// At most this many signatures are tried, bounding the work an envelope can cause.
pub const MAX_SIGNATURES: usize = 64;

/// Why an envelope could not be read or did not verify.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DsseError {
    /// The JSON is not a DSSE envelope (including base64 in neither alphabet).
    #[error("not a dsse envelope")]
    Json(#[source] serde_json::Error),
    /// The envelope carries no signature.
    #[error("envelope has no signatures")]
    NoSignatures,
    /// The envelope carries more than [`MAX_SIGNATURES`] signatures.
    #[error("envelope has {count} signatures, at most {max} are checked")]
    TooManySignatures {
        /// Signatures found.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// None of the signatures verifies under the key.
    #[error("none of the {count} signatures verifies under key {keyid}")]
    NoValidSignature {
        /// Signatures tried.
        count: usize,
        /// [`PublicKey::keyid`] of the trusted key.
        keyid: String,
    },
}

/// `PAE(payload_type, payload)`: the bytes a DSSE signature is computed over
/// (DSSE v1.0.2 `protocol.md`). Lengths are ASCII decimal byte counts.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let header = format!("DSSEv1 {} {} {} ", payload_type.len(), payload_type, payload.len());
    [header.as_bytes(), payload].concat()
}

/// A DSSE envelope, with its base64 fields decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// How to interpret the payload; covered by the signature.
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// The signed bytes; base64 on the wire.
    #[serde(with = "base64_field")]
    pub payload: Vec<u8>,
    /// One or more signatures over `PAE(payload_type, payload)`.
    pub signatures: Vec<Signature>,
}

/// One signature of an [`Envelope`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// Which key signed: a hint only, not covered by the signature. We write
    /// [`PublicKey::keyid`]; absent and empty are the same.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub keyid: String,
    /// The raw signature; base64 on the wire.
    #[serde(with = "base64_field")]
    pub sig: Vec<u8>,
}

impl Envelope {
    /// Signs `payload` as `payload_type` with `key`.
    pub fn sign(payload_type: &str, payload: &[u8], key: &LedgerKey) -> Envelope {
        let mut envelope =
            Envelope { payload_type: payload_type.to_owned(), payload: payload.to_vec(), signatures: vec![] };
        envelope.add_signature(key);
        envelope
    }

    /// Adds a signature by another key (for t-of-n policies).
    pub fn add_signature(&mut self, key: &LedgerKey) {
        let sig = key.sign(&pae(&self.payload_type, &self.payload)).to_vec();
        self.signatures.push(Signature { keyid: key.public().keyid(), sig });
    }

    /// Reads an envelope from JSON. Unknown members are ignored, as the spec requires;
    /// base64 may use either alphabet but must be canonical and padded.
    ///
    /// # Errors
    /// [`DsseError::Json`] when the bytes are not an envelope.
    pub fn from_json(bytes: &[u8]) -> Result<Envelope, DsseError> {
        serde_json::from_slice(bytes).map_err(DsseError::Json)
    }

    /// The envelope as compact JSON, members in the spec's order, base64 in the
    /// standard alphabet. (Serde gives the same bytes; this cannot fail.)
    pub fn to_json(&self) -> String {
        use serde_json::{Map, Value};
        let signatures = self
            .signatures
            .iter()
            .map(|signature| {
                let mut object = Map::new();
                if !signature.keyid.is_empty() {
                    object.insert("keyid".into(), Value::String(signature.keyid.clone()));
                }
                object.insert("sig".into(), Value::String(STANDARD.encode(&signature.sig)));
                Value::Object(object)
            })
            .collect();
        let mut envelope = Map::new();
        envelope.insert("payloadType".into(), Value::String(self.payload_type.clone()));
        envelope.insert("payload".into(), Value::String(STANDARD.encode(&self.payload)));
        envelope.insert("signatures".into(), Value::Array(signatures));
        Value::Object(envelope).to_string()
    }

    /// Checks that at least one signature is by `key` over `PAE(payload_type, payload)`
    /// and returns the payload it covers. The `keyid` hints are not consulted: every
    /// signature is tried.
    ///
    /// # Errors
    /// [`DsseError::NoSignatures`], [`DsseError::TooManySignatures`] or
    /// [`DsseError::NoValidSignature`].
    pub fn verify(&self, key: &PublicKey) -> Result<&[u8], DsseError> {
        let count = self.signatures.len();
        if count == 0 {
            return Err(DsseError::NoSignatures);
        }
        if count > MAX_SIGNATURES {
            return Err(DsseError::TooManySignatures { count, max: MAX_SIGNATURES });
        }
        let message = pae(&self.payload_type, &self.payload);
        if self.signatures.iter().any(|signature| key.verify(&message, &signature.sig).is_ok()) {
            Ok(&self.payload)
        } else {
            Err(DsseError::NoValidSignature { count, keyid: key.keyid() })
        }
    }
}

/// Serde for base64 members: written in the standard alphabet, read in either.
mod base64_field {
    use super::*;

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        // Both engines insist on padding and zero trailing bits, so each byte string
        // has exactly one accepted spelling per alphabet.
        STANDARD
            .decode(&text)
            .or_else(|_| URL_SAFE.decode(&text))
            .map_err(|_| serde::de::Error::custom("not standard or url-safe base64"))
    }
}

#[cfg(test)]
mod tests;
