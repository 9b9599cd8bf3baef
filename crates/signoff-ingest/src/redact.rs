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
//! - **Any JSON captured with `--kind secrets_scan`**: the [`SECRET_KEYS`] and keys
//!   ending in one of [`SECRET_KEY_ENDINGS`] (`db_password`, `github_token`) anywhere
//!   in the document, compared without case and separators; and the password of
//!   every URL with credentials (`postgres://user:password@host`) in any string.
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

/// Keys whose values are secrets in a secrets report, compared without case and
/// without `_`, `-` and `.` (so `api_key`, `apiKey` and `API-KEY` are one key).
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
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "api_key",
    "token",
    "access_token",
    "refresh_token",
    "auth_token",
    "session_token",
    "bearer",
    "authorization",
    "private_key",
    "access_key",
    "secret_key",
    "client_secret",
    "credential",
    "credentials",
    "connection_string",
];

/// Ends of key names whose values are secrets too (`db_password`,
/// `github_token`, `aws_secret_access_key`), compared as [`SECRET_KEYS`] are.
pub const SECRET_KEY_ENDINGS: &[&str] =
    &["password", "passwd", "passphrase", "secret", "token", "apikey", "privatekey", "accesskey", "secretkey"];

/// A key name without case and separators.
fn normalized(name: &str) -> String {
    name.chars().filter(|character| !matches!(character, '_' | '-' | '.')).flat_map(char::to_lowercase).collect()
}

/// Whether `name` is one of `keys` (compared as [`SECRET_KEYS`] are).
fn is_key(name: &str, keys: &[&str]) -> bool {
    let name = normalized(name);
    keys.iter().any(|key| normalized(key) == name)
}

/// Whether the value of a member named `name` is a secret in a secrets report.
pub fn is_secret_key(name: &str) -> bool {
    let plain = normalized(name);
    is_key(name, SECRET_KEYS) || SECRET_KEY_ENDINGS.iter().any(|ending| plain.ends_with(ending))
}

/// The byte ranges of the passwords of URLs with credentials
/// (`scheme://user:password@host`) in `text`.
pub fn url_passwords(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find("://") {
        let start = from + at + 3;
        let rest = &text[start..];
        let end = rest
            .find(|character: char| {
                matches!(character, '/' | '?' | '#' | '"' | '\'' | '<' | '>' | '`') || character.is_whitespace()
            })
            .unwrap_or(rest.len());
        let authority = &rest[..end];
        if let Some(at_sign) = authority.rfind('@')
            && let Some(colon) = authority[..at_sign].find(':')
            && colon + 1 < at_sign
        {
            found.push(start + colon + 1..start + at_sign);
        }
        from = start + end.max(1).min(rest.len());
        if from >= text.len() {
            break;
        }
    }
    found
}

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
                    if is_key(name, keys) || (keys == SECRET_KEYS && is_secret_key(name)) {
                        self.redact_all(member);
                    } else {
                        self.redact_keys(member, keys);
                    }
                }
            }
            _ => {}
        }
    }

    /// Replaces the password of every URL with credentials
    /// (`scheme://user:password@host`) in the strings of `value`.
    pub(crate) fn redact_url_passwords(&mut self, value: &mut Value) {
        match value {
            Value::String(text) if !is_token(text) => {
                let ranges = url_passwords(text);
                if ranges.is_empty() {
                    return;
                }
                let mut redacted = String::with_capacity(text.len());
                let mut last = 0;
                for range in ranges {
                    let password = &text[range.clone()];
                    redacted.push_str(&text[last..range.start]);
                    if is_token(password) {
                        redacted.push_str(password);
                    } else {
                        redacted.push_str(&token(self.key, password));
                        self.secrets.insert(password.to_owned());
                    }
                    last = range.end;
                }
                redacted.push_str(&text[last..]);
                if redacted != *text {
                    *text = redacted;
                    self.count += 1;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.redact_url_passwords(item)),
            Value::Object(map) => map.values_mut().for_each(|item| self.redact_url_passwords(item)),
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
                    if is_key(name, keys) {
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

    #[test]
    fn common_key_names_and_url_credentials_are_secrets() {
        for name in [
            "password",
            "Passwd",
            "api_key",
            "apiKey",
            "API-KEY",
            "token",
            "secret",
            "private_key",
            "access_key",
            "client_secret",
            "db_password",
            "github_token",
            "aws_secret_access_key",
            "refreshToken",
        ] {
            assert!(is_secret_key(name), "{name}");
        }
        for name in ["path", "message", "rule_id", "check_id", "severity", "fingerprint", "tokens_count"] {
            assert!(!is_secret_key(name), "{name}");
        }
        let text = "dsn postgres://app:s3cr3t-pw@db.internal:5432/shop and https://example.com/a:b@c";
        let ranges = url_passwords(text);
        assert_eq!(ranges.iter().map(|range| &text[range.clone()]).collect::<Vec<_>>(), ["s3cr3t-pw"]);
        assert!(url_passwords("https://user@host/ and ftp://:@x").is_empty());
        let key = [3u8; 32];
        let mut document = serde_json::json!({
            "password": "hunter2-hunter2", "settings": {"apiKey": "k-123456", "dsn": "mysql://root:toor-toor@db/x"},
            "note": "rotated hunter2-hunter2 and toor-toor", "count": 3
        });
        let mut redactor = Redactor::new(&key);
        redactor.redact_keys(&mut document, SECRET_KEYS);
        redactor.redact_url_passwords(&mut document);
        redactor.scrub(&mut document);
        let text = document.to_string();
        for secret in ["hunter2", "k-123456", "toor-toor"] {
            assert!(!text.contains(secret), "{secret}: {text}");
        }
        assert!(text.contains("mysql://root:redacted:"), "{text}");
    }
}
