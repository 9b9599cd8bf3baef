//! Standard Webhooks 1.0 signatures (standardwebhooks.com, "Signature scheme").
//!
//! A message carries three headers:
//!
//! - `webhook-id`: the message id, the same on every retry of one message, so that a
//!   receiver can drop duplicates (it is the idempotency key);
//! - `webhook-timestamp`: seconds since the Unix epoch when the attempt was signed;
//! - `webhook-signature`: space-separated `v1,<base64 signature>` entries, each an
//!   HMAC-SHA256 of `<id>.<timestamp>.<body>` under the secret.
//!
//! The secret is written `whsec_<base64 key bytes>`; the HMAC key is the decoded bytes,
//! not the text. Receivers refuse timestamps further than a tolerance (5 minutes in
//! the reference libraries) from their clock, which bounds replays. These are exactly
//! the rules the reference libraries (`standardwebhooks` on PyPI, npm, crates.io)
//! verify, which the integration tests check with the Python one.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::secret::Secret;

/// The prefix of a Standard Webhooks secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// How far a timestamp may be from the receiver's clock: 5 minutes, as the reference
/// libraries.
pub const TOLERANCE_SECONDS: i64 = 5 * 60;

/// A webhook signing key (the decoded bytes of a `whsec_` secret). `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookKey(Vec<u8>);

impl fmt::Debug for WebhookKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookKey(redacted)")
    }
}

impl WebhookKey {
    /// Reads a `whsec_<base64>` secret (the prefix is optional, as in the reference
    /// libraries).
    ///
    /// # Errors
    ///
    /// [`SignatureError::Secret`] when the rest is not base64 or decodes to fewer than
    /// 16 bytes (the spec asks for 24 to 64).
    pub fn from_secret(secret: &Secret) -> Result<WebhookKey, SignatureError> {
        let text = secret.expose().trim();
        let encoded = text.strip_prefix(SECRET_PREFIX).unwrap_or(text);
        let key = STANDARD.decode(encoded).map_err(|_| SignatureError::Secret)?;
        if key.len() < 16 {
            return Err(SignatureError::Secret);
        }
        Ok(WebhookKey(key))
    }

    /// A new random 32-byte key, as its `whsec_` text (for `sync add webhook` to
    /// print once).
    ///
    /// # Errors
    ///
    /// [`SignatureError::Random`] when the operating system has no randomness.
    pub fn generate() -> Result<Secret, SignatureError> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|_| SignatureError::Random)?;
        Ok(Secret::new(format!("{SECRET_PREFIX}{}", STANDARD.encode(key))))
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> Result<Hmac<Sha256>, SignatureError> {
        // HMAC takes keys of any length, so this does not fail in practice.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0).map_err(|_| SignatureError::Secret)?;
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        Ok(mac)
    }

    /// The `webhook-signature` value for a message: `v1,<base64 HMAC-SHA256 of
    /// "id.timestamp.body">`.
    ///
    /// # Errors
    ///
    /// [`SignatureError::Secret`] if HMAC refused the key (it takes any length).
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> Result<String, SignatureError> {
        let tag = self.mac(id, timestamp, body)?.finalize().into_bytes();
        Ok(format!("v1,{}", STANDARD.encode(tag)))
    }

    /// Checks a received message as the reference libraries do: the timestamp within
    /// [`TOLERANCE_SECONDS`] of `now`, and at least one `v1` signature matching, in
    /// constant time.
    ///
    /// # Errors
    ///
    /// [`SignatureError`] saying what did not hold.
    pub fn verify(
        &self,
        id: &str,
        timestamp: &str,
        signatures: &str,
        body: &[u8],
        now: i64,
    ) -> Result<(), SignatureError> {
        let timestamp: i64 = timestamp.trim().parse().map_err(|_| SignatureError::Timestamp)?;
        if (now - timestamp).abs() > TOLERANCE_SECONDS {
            return Err(SignatureError::OutsideTolerance { timestamp, now });
        }
        for entry in signatures.split_whitespace() {
            let Some(encoded) = entry.strip_prefix("v1,") else { continue };
            let Ok(tag) = STANDARD.decode(encoded) else { continue };
            if self.mac(id, timestamp, body)?.verify_slice(&tag).is_ok() {
                return Ok(());
            }
        }
        Err(SignatureError::Mismatch)
    }
}

/// Why a secret or a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The secret is not `whsec_` + base64 of at least 16 bytes.
    #[error("the webhook secret is not whsec_ followed by base64 of at least 16 bytes")]
    Secret,
    /// No randomness for a new secret.
    #[error("the operating system gave no randomness for a new webhook secret")]
    Random,
    /// `webhook-timestamp` is not an integer.
    #[error("webhook-timestamp is not a number of seconds")]
    Timestamp,
    /// The timestamp is too far from now (a replay, or a wrong clock).
    #[error("webhook-timestamp {timestamp} is more than 5 minutes from now ({now})")]
    OutsideTolerance {
        /// The message's timestamp.
        timestamp: i64,
        /// The receiver's clock.
        now: i64,
    },
    /// No `v1` signature matches.
    #[error("no webhook-signature matches the message")]
    Mismatch,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> WebhookKey {
        WebhookKey::from_secret(&Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).unwrap()
    }

    #[test]
    fn matches_the_standard_webhooks_reference_vector() {
        // The example of the Standard Webhooks specification and its reference
        // libraries' tests: this id, timestamp, body and secret give this signature.
        let signature = key().sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test": 2432232314}"#).unwrap();
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn verifies_its_own_and_refuses_tampering_and_replays() {
        let key = key();
        let body = br#"{"type":"x"}"#;
        let signature = key.sign("msg_1", 1_700_000_000, body).unwrap();
        key.verify("msg_1", "1700000000", &signature, body, 1_700_000_100).unwrap();
        // Several signatures (key rotation): any match is enough.
        key.verify("msg_1", "1700000000", &format!("v1,AAAA {signature}"), body, 1_700_000_000).unwrap();
        assert_eq!(key.verify("msg_1", "1700000000", &signature, b"{}", 1_700_000_000), Err(SignatureError::Mismatch));
        assert_eq!(key.verify("msg_2", "1700000000", &signature, body, 1_700_000_000), Err(SignatureError::Mismatch));
        assert!(matches!(
            key.verify("msg_1", "1700000000", &signature, body, 1_700_000_301),
            Err(SignatureError::OutsideTolerance { .. })
        ));
    }

    #[test]
    fn secrets_are_checked_and_generated_in_the_standard_form() {
        assert_eq!(WebhookKey::from_secret(&Secret::new("whsec_not base64!")), Err(SignatureError::Secret));
        assert_eq!(WebhookKey::from_secret(&Secret::new("whsec_AAAA")), Err(SignatureError::Secret));
        let generated = WebhookKey::generate().unwrap();
        assert!(generated.expose().starts_with("whsec_"));
        assert!(WebhookKey::from_secret(&generated).is_ok());
        assert!(!format!("{:?}", key()).contains("MfKQ"));
    }
}
