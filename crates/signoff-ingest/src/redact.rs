//! Secret values are replaced before anything is stored (PRODUCT.md A5, R4).
//!
//! A secret value `v` becomes `redacted:<h>:<n>`, where `h` is the first 32 hex
//! digits (128 bits) of HMAC-SHA256 keyed with the store's redaction key
//! ([`crate::Options::redaction_key`]) over the UTF-8 bytes of `v`, and `n` is the
//! number of characters of `v`. Equal secrets get equal tokens within one store (so
//! "the same key leaked in three files" stays visible), and a token reveals nothing
//! without the key, not even to someone who can guess candidate secrets.
//!
//! # What is redacted
//! - **Gitleaks JSON**: in every finding, `Secret`, `Match` and `Line` (Gitleaks 8)
//!   and `offender` and `line` (Gitleaks 7). The whole line is replaced, not only the
//!   secret in it: the line may hold the secret in another spelling (quoted,
//!   escaped) than the match.
//! - **Trivy JSON**: in every entry of a `Secrets` array, `Match` and every string
//!   under `Code` (the source lines, `Content` and `Highlighted`).
//! - **SARIF from a secret scanner** (a run whose tool name matches gitleaks,
//!   trufflehog, detect-secrets, secretlint, ggshield, GitGuardian or contains
//!   "secret"): within that run, the [`SECRET_KEYS`] below (so `properties.offender`,
//!   `Secret`, `Match`, and `region.snippet.text`).
//! - **Any JSON captured with `--kind secrets_scan`**: the [`SECRET_KEYS`] anywhere
//!   in the document.
//!
//! Every string under such a key is replaced (a key whose value is an object, such
//! as `snippet`, has all its strings replaced). Then every other string of the
//! document (messages, titles, commit messages, file names) has each occurrence of a
//! secret found so far (of at least [`MIN_SCRUB_LENGTH`] characters) replaced by its
//! token, so a message such as "found key AKIA…" does not keep it.
//! [`crate::Parsed::redacted`] counts the string values changed. Values already in
//! token form are left as they are. XML and LCOV inputs are not secrets reports and
//! are never redacted.

use std::collections::HashSet;

use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

/// Keys (compared case-insensitively) whose values are secrets in a secrets report.
pub const SECRET_KEYS: &[&str] = &[
    "secret",
    "secrets",
    "match",
    "matches",
    "matched",
    "offender",
    "snippet",
    "raw",
    "rawv2",
    "redacted",
    "line",
    "lines",
    "content",
    "highlighted",
    "abstract_content",
];

/// Keys redacted in Gitleaks reports.
pub(crate) const GITLEAKS_KEYS: &[&str] = &["secret", "match", "line", "offender"];

/// Keys redacted in each entry of a Trivy `Secrets` array.
pub(crate) const TRIVY_SECRET_KEYS: &[&str] = &["match", "code"];

/// Shorter secrets are replaced where they are a field's whole value, but not
/// searched for inside other text, where they would match by chance.
pub const MIN_SCRUB_LENGTH: usize = 4;

/// The token that replaces `value` under `key`.
pub fn token(key: &[u8; 32], value: &str) -> String {
    let digest = match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(value.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        // HMAC accepts keys of any length; this branch is unreachable, and failing
        // closed (a constant) still reveals nothing.
        Err(_) => "0".repeat(64),
    };
    format!("redacted:{}:{}", &digest[..32], value.chars().count())
}

/// Whether `text` is already a redaction token.
pub fn is_token(text: &str) -> bool {
    let mut parts = text.split(':');
    parts.next() == Some("redacted")
        && parts.next().is_some_and(|hash| hash.len() == 32 && hash.bytes().all(|byte| byte.is_ascii_hexdigit()))
        && parts.next().is_some_and(|length| !length.is_empty() && length.bytes().all(|byte| byte.is_ascii_digit()))
        && parts.next().is_none()
}

/// Secrets (longest first) and their tokens.
pub(crate) struct Scrubber {
    secrets: Vec<String>,
    tokens: Vec<String>,
}

/// Redacts one document.
pub(crate) struct Redactor<'k> {
    key: &'k [u8; 32],
    secrets: HashSet<String>,
    count: u64,
}

impl<'k> Redactor<'k> {
    pub(crate) fn new(key: &'k [u8; 32]) -> Redactor<'k> {
        Redactor { key, secrets: HashSet::new(), count: 0 }
    }

    /// How many string values were changed.
    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    /// Replaces every string in `value` (or `value` itself) by its token.
    pub(crate) fn redact_all(&mut self, value: &mut Value) {
        match value {
            Value::String(text) if !text.is_empty() && !is_token(text) => {
                let original = std::mem::take(text);
                *text = token(self.key, &original);
                self.secrets.insert(original);
                self.count += 1;
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.redact_all(item)),
            Value::Object(map) => map.values_mut().for_each(|item| self.redact_all(item)),
            _ => {}
        }
    }

    /// Redacts the values of the members named by `keys` (case-insensitively) in
    /// `value` and everything below it.
    pub(crate) fn redact_keys(&mut self, value: &mut Value, keys: &[&str]) {
        match value {
            Value::Array(items) => items.iter_mut().for_each(|item| self.redact_keys(item, keys)),
            Value::Object(map) => {
                for (name, member) in map.iter_mut() {
                    if keys.iter().any(|key| key.eq_ignore_ascii_case(name)) {
                        self.redact_all(member);
                    } else {
                        self.redact_keys(member, keys);
                    }
                }
            }
            _ => {}
        }
    }

    /// Redacts the members named by `keys` of the objects directly in `value` (an
    /// object, or an array of objects), without looking deeper.
    pub(crate) fn redact_members(&mut self, value: &mut Value, keys: &[&str]) {
        match value {
            Value::Array(items) => items.iter_mut().for_each(|item| self.redact_members(item, keys)),
            Value::Object(map) => {
                for (name, member) in map.iter_mut() {
                    if keys.iter().any(|key| key.eq_ignore_ascii_case(name)) {
                        self.redact_all(member);
                    }
                }
            }
            _ => {}
        }
    }

    /// Replaces the occurrences of every secret redacted so far in every string of
    /// `value`.
    pub(crate) fn scrub(&mut self, value: &mut Value) {
        let scrubber = self.scrubber();
        self.scrub_with(value, &scrubber);
    }

    /// The secrets redacted so far, ready to scrub strings with.
    pub(crate) fn scrubber(&self) -> Scrubber {
        let mut secrets: Vec<String> =
            self.secrets.iter().filter(|secret| secret.chars().count() >= MIN_SCRUB_LENGTH).cloned().collect();
        // Longest first, so a secret that contains another is replaced whole.
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        let tokens: Vec<String> = secrets.iter().map(|secret| token(self.key, secret)).collect();
        Scrubber { secrets, tokens }
    }

    /// Replaces the occurrences of the scrubber's secrets in every string of `value`.
    pub(crate) fn scrub_with(&mut self, value: &mut Value, scrubber: &Scrubber) {
        if !scrubber.secrets.is_empty() {
            self.scrub_value(value, &scrubber.secrets, &scrubber.tokens);
        }
    }

    /// Starts counting changed values again (for a second pass over a document).
    pub(crate) fn reset_count(&mut self) {
        self.count = 0;
    }

    fn scrub_value(&mut self, value: &mut Value, secrets: &[String], tokens: &[String]) {
        match value {
            Value::String(text) => {
                let mut changed = false;
                for (secret, token) in secrets.iter().zip(tokens) {
                    if text.contains(secret.as_str()) {
                        *text = text.replace(secret.as_str(), token);
                        changed = true;
                    }
                }
                if changed {
                    self.count += 1;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.scrub_value(item, secrets, tokens)),
            Value::Object(map) => map.values_mut().for_each(|item| self.scrub_value(item, secrets, tokens)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_keyed_and_recognisable() {
        let key = [7u8; 32];
        let one = token(&key, "AKIAIOSFODNN7EXAMPLE");
        assert!(one.starts_with("redacted:") && one.ends_with(":20"), "{one}");
        assert!(is_token(&one));
        assert_eq!(one, token(&key, "AKIAIOSFODNN7EXAMPLE"));
        assert_ne!(one, token(&[8u8; 32], "AKIAIOSFODNN7EXAMPLE"));
        assert!(!is_token("redacted:xyz:3") && !is_token("AKIA"));
        // HMAC-SHA256 with key = 32 bytes of 0x07 over "abc", checked with Python:
        // hmac.new(bytes([7]*32), b"abc", hashlib.sha256).hexdigest()[:32]
        assert_eq!(token(&key, "abc"), "redacted:127da4ced6a839b8f6118bc244684d26:3");
    }

    #[test]
    fn keys_then_scrub() {
        let key = [1u8; 32];
        let mut document = serde_json::json!([
            {"Secret": "hunter2-hunter2", "Match": "pw=hunter2-hunter2", "Message": "found hunter2-hunter2 here", "StartLine": 3},
            {"offender": "", "line": null}
        ]);
        let mut redactor = Redactor::new(&key);
        redactor.redact_members(&mut document, GITLEAKS_KEYS);
        redactor.scrub(&mut document);
        let text = document.to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert_eq!(redactor.count(), 3);
        assert_eq!(document[0]["StartLine"], 3);
    }
}
