//! in-toto Statement v1: what an attestation says about which artifacts.
//!
//! A statement binds `subject` (one or more artifacts, matched by digest) to a typed
//! `predicate` (in-toto attestation framework, `spec/v1/statement.md`). We always emit a
//! predicate, because in-toto-golang's `Statement.Validate()` rejects a missing one even
//! though the spec makes it optional. A statement is serialized as RFC 8785 canonical
//! JSON and signed inside a DSSE envelope whose `payloadType` is [`PAYLOAD_TYPE`].
//!
//! Architecture Invariant: a [`Statement`] value is always valid: the constructor and
//! deserialization run the same checks, so a statement read from disk and one built in
//! code are held to the same rules.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use signoff_core::Digest;
use signoff_core::canonical::{CanonicalError, to_canonical_bytes};

use crate::dsse::{DsseError, Envelope};
use crate::keys::{LedgerKey, PublicKey};

/// The `_type` of every in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";

/// The DSSE `payloadType` of an in-toto statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// Why a statement is invalid, or could not be encoded or opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StatementError {
    /// `_type` is not [`STATEMENT_TYPE`].
    #[error("statement _type is {actual:?}, expected {STATEMENT_TYPE:?}")]
    WrongType {
        /// The `_type` found.
        actual: String,
    },
    /// There is no subject.
    #[error("statement has no subject")]
    NoSubject,
    /// A subject has an empty digest set.
    #[error("subject {index} has no digest")]
    NoDigest {
        /// Position in `subject`.
        index: usize,
    },
    /// A digest is not lowercase hex of the algorithm's length.
    #[error("subject {index} has an invalid {algorithm} digest {value:?}")]
    InvalidDigest {
        /// Position in `subject`.
        index: usize,
        /// The digest set key.
        algorithm: String,
        /// The value found.
        value: String,
    },
    /// Two subjects share a name.
    #[error("subject name {name:?} appears more than once")]
    DuplicateName {
        /// The repeated name.
        name: String,
    },
    /// `predicateType` is empty or holds whitespace.
    #[error("predicate type {predicate_type:?} is not a uri")]
    InvalidPredicateType {
        /// The value found.
        predicate_type: String,
    },
    /// The predicate is missing, `null` or not a JSON object.
    #[error("predicate must be a json object")]
    PredicateNotObject,
    /// The statement could not be put in canonical form.
    #[error("cannot encode the statement canonically")]
    Canonical(#[source] CanonicalError),
    /// The envelope is not an in-toto statement envelope.
    #[error("envelope payload type is {actual:?}, expected {PAYLOAD_TYPE:?}")]
    WrongPayloadType {
        /// The `payloadType` found.
        actual: String,
    },
    /// The envelope did not verify.
    #[error("statement envelope does not verify")]
    Envelope(#[source] DsseError),
    /// The verified payload is not a valid statement.
    #[error("payload is not an in-toto statement")]
    Json(#[source] serde_json::Error),
}

/// An artifact named by its digests (in-toto `ResourceDescriptor`, the fields a
/// statement subject uses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceDescriptor {
    /// A name for the artifact, such as a file name; unique within a statement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Digests by algorithm (`sha256`, `sha512`, `gitCommit`, ...), lowercase hex.
    pub digest: BTreeMap<String, String>,
}

impl ResourceDescriptor {
    /// A subject known by its SHA-256 digest.
    pub fn sha256(name: Option<String>, digest: &Digest) -> ResourceDescriptor {
        ResourceDescriptor { name, digest: BTreeMap::from([("sha256".to_owned(), digest.to_hex())]) }
    }
}

/// An in-toto Statement v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawStatement")]
pub struct Statement {
    #[serde(rename = "_type")]
    statement_type: String,
    subject: Vec<ResourceDescriptor>,
    #[serde(rename = "predicateType")]
    predicate_type: String,
    predicate: serde_json::Value,
}

/// The wire form, before validation.
#[derive(Deserialize)]
struct RawStatement {
    #[serde(rename = "_type")]
    statement_type: String,
    subject: Vec<ResourceDescriptor>,
    #[serde(rename = "predicateType")]
    predicate_type: String,
    #[serde(default)]
    predicate: serde_json::Value,
}

impl TryFrom<RawStatement> for Statement {
    type Error = StatementError;

    fn try_from(raw: RawStatement) -> Result<Statement, StatementError> {
        if raw.statement_type != STATEMENT_TYPE {
            return Err(StatementError::WrongType { actual: raw.statement_type });
        }
        Statement::new(raw.subject, raw.predicate_type, raw.predicate)
    }
}

impl Statement {
    /// A statement about `subject`.
    ///
    /// # Errors
    /// When there is no subject, a subject has no digest or a malformed one, two
    /// subjects share a name, the predicate type is not a URI-like string, or the
    /// predicate is not a JSON object.
    pub fn new(
        subject: Vec<ResourceDescriptor>,
        predicate_type: impl Into<String>,
        predicate: serde_json::Value,
    ) -> Result<Statement, StatementError> {
        let predicate_type = predicate_type.into();
        if subject.is_empty() {
            return Err(StatementError::NoSubject);
        }
        let mut names = BTreeSet::new();
        for (index, descriptor) in subject.iter().enumerate() {
            check_descriptor(index, descriptor)?;
            if let Some(name) = &descriptor.name
                && !names.insert(name.as_str())
            {
                return Err(StatementError::DuplicateName { name: name.clone() });
            }
        }
        if predicate_type.is_empty() || predicate_type.contains(char::is_whitespace) || !predicate_type.contains(':') {
            return Err(StatementError::InvalidPredicateType { predicate_type });
        }
        if !predicate.is_object() {
            return Err(StatementError::PredicateNotObject);
        }
        Ok(Statement { statement_type: STATEMENT_TYPE.to_owned(), subject, predicate_type, predicate })
    }

    /// The artifacts the statement is about.
    pub fn subject(&self) -> &[ResourceDescriptor] {
        &self.subject
    }

    /// The predicate's type URI.
    pub fn predicate_type(&self) -> &str {
        &self.predicate_type
    }

    /// The predicate (a JSON object).
    pub fn predicate(&self) -> &serde_json::Value {
        &self.predicate
    }

    /// The DSSE payload: RFC 8785 canonical JSON (compact, keys sorted).
    ///
    /// # Errors
    /// [`StatementError::Canonical`], which a statement of JSON values does not cause.
    pub fn to_payload(&self) -> Result<Vec<u8>, StatementError> {
        to_canonical_bytes(self).map_err(StatementError::Canonical)
    }

    /// Signs the statement into a DSSE envelope of type [`PAYLOAD_TYPE`].
    ///
    /// # Errors
    /// As [`Statement::to_payload`].
    pub fn to_envelope(&self, key: &LedgerKey) -> Result<Envelope, StatementError> {
        Ok(Envelope::sign(PAYLOAD_TYPE, &self.to_payload()?, key))
    }

    /// Verifies `envelope` under `key`, then parses the verified payload (never the
    /// other way round).
    ///
    /// # Errors
    /// [`StatementError::WrongPayloadType`], [`StatementError::Envelope`] when no
    /// signature verifies, or a validation error of the statement itself.
    pub fn from_envelope(envelope: &Envelope, key: &PublicKey) -> Result<Statement, StatementError> {
        let payload = envelope.verify(key).map_err(StatementError::Envelope)?;
        if envelope.payload_type != PAYLOAD_TYPE {
            return Err(StatementError::WrongPayloadType { actual: envelope.payload_type.clone() });
        }
        serde_json::from_slice(payload).map_err(StatementError::Json)
    }
}

/// Hex lengths of the hash algorithms in the in-toto digest set whose size is fixed.
fn hex_length(algorithm: &str) -> Option<usize> {
    match algorithm {
        "sha256" | "sha512_256" | "sha3_256" | "blake2s" | "sm3" => Some(64),
        "sha224" | "sha512_224" | "sha3_224" => Some(56),
        "sha384" | "sha3_384" => Some(96),
        "sha512" | "sha3_512" | "blake2b" => Some(128),
        "sha1" | "ripemd160" => Some(40),
        "md5" => Some(32),
        _ => None,
    }
}

/// A non-empty digest set whose values are non-empty; known hash algorithms must be
/// lowercase hex of their length, and `gitCommit` lowercase hex of SHA-1 or SHA-256 size.
fn check_descriptor(index: usize, descriptor: &ResourceDescriptor) -> Result<(), StatementError> {
    if descriptor.digest.is_empty() {
        return Err(StatementError::NoDigest { index });
    }
    for (algorithm, value) in &descriptor.digest {
        let lower_hex = value.bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'));
        let valid = match (algorithm.as_str(), hex_length(algorithm)) {
            (_, Some(length)) => lower_hex && value.len() == length,
            ("gitCommit" | "gitTree" | "gitBlob" | "gitTag", None) => lower_hex && matches!(value.len(), 40 | 64),
            _ => !value.is_empty(),
        };
        if algorithm.is_empty() || !valid {
            return Err(StatementError::InvalidDigest { index, algorithm: algorithm.clone(), value: value.clone() });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_with_in_toto_member_names() {
        let statement = Statement::new(
            vec![ResourceDescriptor::sha256(Some("app.tar.gz".into()), &Digest::of(b"app"))],
            "https://in-toto.io/attestation/test-result/v0.1",
            serde_json::json!({"result": "PASSED", "configuration": []}),
        )
        .unwrap();
        let payload = String::from_utf8(statement.to_payload().unwrap()).unwrap();
        assert_eq!(
            payload,
            format!(
                r#"{{"_type":"https://in-toto.io/Statement/v1","predicate":{{"configuration":[],"result":"PASSED"}},"predicateType":"https://in-toto.io/attestation/test-result/v0.1","subject":[{{"digest":{{"sha256":"{}"}},"name":"app.tar.gz"}}]}}"#,
                Digest::of(b"app").to_hex()
            )
        );
        let back: Statement = serde_json::from_str(&payload).unwrap();
        assert_eq!(back, statement);
    }

    #[test]
    fn rejects_invalid_statements() {
        let subject = || vec![ResourceDescriptor::sha256(None, &Digest::of(b"x"))];
        let predicate = || serde_json::json!({});
        let with_digest = |algorithm: &str, value: &str| {
            vec![ResourceDescriptor { name: None, digest: BTreeMap::from([(algorithm.to_owned(), value.to_owned())]) }]
        };
        let sha = Digest::of(b"x").to_hex();
        let cases: Vec<(Result<Statement, StatementError>, &str)> = vec![
            (Statement::new(vec![], "https://example.com/p", predicate()), "no subject"),
            (Statement::new(subject(), "https://example.com/p", serde_json::Value::Null), "null predicate"),
            (Statement::new(subject(), "https://example.com/p", serde_json::json!([1])), "array predicate"),
            (Statement::new(subject(), "", predicate()), "empty predicate type"),
            (Statement::new(subject(), "https://example.com/ p", predicate()), "space in predicate type"),
            (Statement::new(subject(), "not-a-uri", predicate()), "no scheme"),
            (Statement::new(with_digest("sha256", &sha.to_uppercase()), "https://e.com/p", predicate()), "upper hex"),
            (Statement::new(with_digest("sha256", &sha[1..]), "https://e.com/p", predicate()), "short sha256"),
            (Statement::new(with_digest("sha512", &sha), "https://e.com/p", predicate()), "sha512 of 32 bytes"),
            (Statement::new(with_digest("gitCommit", "abc"), "https://e.com/p", predicate()), "short commit"),
            (Statement::new(with_digest("custom", ""), "https://e.com/p", predicate()), "empty value"),
            (
                Statement::new(
                    vec![ResourceDescriptor { name: Some("a".into()), digest: BTreeMap::new() }],
                    "https://e.com/p",
                    predicate(),
                ),
                "empty digest set",
            ),
            (
                Statement::new(
                    vec![
                        ResourceDescriptor::sha256(Some("a".into()), &Digest::of(b"1")),
                        ResourceDescriptor::sha256(Some("a".into()), &Digest::of(b"2")),
                    ],
                    "https://e.com/p",
                    predicate(),
                ),
                "duplicate name",
            ),
        ];
        for (result, what) in cases {
            assert!(result.is_err(), "{what} accepted");
        }
        assert!(Statement::new(with_digest("gitCommit", &"a".repeat(40)), "https://e.com/p", predicate()).is_ok());
        assert!(Statement::new(with_digest("dirHash", "h1:abc="), "https://e.com/p", predicate()).is_ok());
    }

    #[test]
    fn deserialization_validates() {
        let sha = Digest::of(b"x").to_hex();
        let valid = format!(
            r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"digest":{{"sha256":"{sha}"}}}}],"predicateType":"https://e.com/p","predicate":{{}},"unknown":1}}"#
        );
        assert!(serde_json::from_str::<Statement>(&valid).is_ok(), "unknown members are ignored");
        for invalid in [
            valid.replace("Statement/v1", "Statement/v0.1"),
            valid.replace(r#","predicate":{}"#, ""),
            valid.replace(r#""predicate":{}"#, r#""predicate":null"#),
            valid.replace(&format!(r#"{{"digest":{{"sha256":"{sha}"}}}}"#), ""),
            valid.replace(&sha, &sha.to_uppercase()),
        ] {
            assert!(serde_json::from_str::<Statement>(&invalid).is_err(), "{invalid}");
        }
    }
}
