//! OpenPGP public keys that commit signatures are verified against, and the
//! verification itself (RFC 9580, by the rPGP crate).
//!
//! The keys come from an ASCII-armored export (`gpg --armor --export ...`), one or
//! more transferable public keys. Each key's self-signatures (user id and subkey
//! bindings) must verify when the file is read; a key that fails is refused with
//! the file named. A signature is checked against the primary key or subkey whose
//! fingerprint or key id its issuer subpackets name.

use std::path::Path;

use pgp::composed::{Deserializable, DetachedSignature, SignedPublicKey};
use pgp::types::KeyDetails;

use crate::error::OpenPgpKeysError;

/// A set of trusted OpenPGP public keys.
#[derive(Debug, Clone, Default)]
pub struct OpenPgpKeys {
    keys: Vec<SignedPublicKey>,
}

/// What checking one OpenPGP signature found.
pub(crate) enum Outcome {
    /// It holds, made by a configured key: the key's fingerprint and user ids.
    Good { fingerprint: String, signer: String },
    /// It does not hold for the payload, by the configured key with this fingerprint.
    Bad { fingerprint: String, reason: String },
    /// No configured key matches its issuer.
    UnknownKey,
    /// It cannot be decoded.
    Unreadable(String),
}

impl OpenPgpKeys {
    /// Parses armored public keys; `origin` names them in errors.
    ///
    /// # Errors
    /// Text that holds no public key, or a key whose self-signatures do not verify.
    pub fn parse(text: &str, origin: &str) -> Result<OpenPgpKeys, OpenPgpKeysError> {
        let invalid = |reason: String| OpenPgpKeysError::Invalid { origin: origin.to_owned(), reason };
        let (keys, _headers) =
            SignedPublicKey::from_string_many(text).map_err(|error| invalid(format!("not armored keys: {error}")))?;
        let mut parsed = Vec::new();
        for key in keys {
            let key = key.map_err(|error| invalid(format!("a key cannot be read: {error}")))?;
            key.verify_bindings().map_err(|error| {
                invalid(format!(
                    "the self-signatures of key {} do not verify: {error}",
                    hex(key.fingerprint().as_bytes())
                ))
            })?;
            parsed.push(key);
        }
        if parsed.is_empty() {
            return Err(invalid("it holds no public key".to_owned()));
        }
        Ok(OpenPgpKeys { keys: parsed })
    }

    /// Reads and parses an armored key file.
    ///
    /// # Errors
    /// The file cannot be read, or [`OpenPgpKeys::parse`] refuses it.
    pub fn read(path: &Path) -> Result<OpenPgpKeys, OpenPgpKeysError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| OpenPgpKeysError::Read { path: path.to_owned(), source })?;
        OpenPgpKeys::parse(&text, &path.display().to_string())
    }

    /// How many keys (primary keys) there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Checks an armored detached signature over `payload`.
    pub(crate) fn check(&self, armored: &str, payload: &[u8]) -> Outcome {
        let signature = match DetachedSignature::from_string(armored) {
            Ok((signature, _)) => signature.signature,
            Err(error) => return Outcome::Unreadable(error.to_string()),
        };
        let fingerprints: Vec<Vec<u8>> =
            signature.issuer_fingerprint().iter().map(|fingerprint| fingerprint.as_bytes().to_vec()).collect();
        let key_ids: Vec<Vec<u8>> = signature.issuer_key_id().iter().map(|id| id.as_ref().to_vec()).collect();
        let names = |key: &dyn KeyDetails| {
            fingerprints.iter().any(|fingerprint| fingerprint.as_slice() == key.fingerprint().as_bytes())
                || key_ids.iter().any(|id| id.as_slice() == key.legacy_key_id().as_ref())
        };
        for key in &self.keys {
            let signer = key
                .details
                .users
                .iter()
                .map(|user| String::from_utf8_lossy(user.id.id()).into_owned())
                .collect::<Vec<_>>()
                .join(", ");
            let outcome = |fingerprint: String, result: pgp::errors::Result<()>| match result {
                Ok(()) => Outcome::Good { fingerprint, signer: signer.clone() },
                Err(error) => Outcome::Bad { fingerprint, reason: error.to_string() },
            };
            if names(&key.primary_key) {
                let fingerprint = hex(key.primary_key.fingerprint().as_bytes());
                return outcome(fingerprint, signature.verify(&key.primary_key, payload));
            }
            for subkey in &key.public_subkeys {
                if names(&subkey.key) {
                    let fingerprint = hex(subkey.key.fingerprint().as_bytes());
                    return outcome(fingerprint, signature.verify(&subkey.key, payload));
                }
            }
        }
        Outcome::UnknownKey
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02X}")).collect()
}
