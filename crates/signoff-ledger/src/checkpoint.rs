//! Checkpoints: signed tree heads in the C2SP `tlog-checkpoint` format, carried in a
//! C2SP `signed-note` with an Ed25519 signature.
//!
//! A checkpoint is three lines, `origin\nsize\nbase64(root)\n` (c2sp.org/tlog-checkpoint
//! §"Note text"). The signed note is that text, a blank line, and one or more lines
//! `— <key name> base64(key ID ‖ signature)\n` (c2sp.org/signed-note §"Format"), where
//! the key ID is `SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]` and the signature
//! is Ed25519 (RFC 8032) over the text (§"Ed25519 signatures"). Witnesses, Go's
//! `golang.org/x/mod/sumdb/note` and the tlog tooling of Sigstore and transparency-dev
//! read this format.
//!
//! Our log signs with its key name equal to the origin, as the checkpoint spec
//! recommends, so a verifier key both names the log and checks it.
//!
//! Architecture Invariant: [`open`] never returns a checkpoint whose text was not
//! verified under the trusted key; the body is parsed only after a signature matched.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use signoff_core::Digest;

use crate::keys::{LedgerKey, PublicKey};

/// Signature type byte of Ed25519 note signatures (c2sp.org/signed-note §"Signature types").
const ED25519_TYPE: u8 = 0x01;
/// The line prefix of a signature: em dash (U+2014) and a space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";
/// At most this many signature lines are read; the spec requires at least 16.
pub const MAX_SIGNATURES: usize = 100;

/// Why a checkpoint or note could not be made, read or trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    /// A key name (and so an origin) is empty or holds a Unicode space, `+` or a control
    /// character.
    #[error("invalid key name {name:?}: it must be non-empty, without spaces, '+' or control characters")]
    InvalidKeyName {
        /// The name given.
        name: String,
    },
    /// The note holds an ASCII control character other than newline.
    #[error("note contains the control character {character:?}")]
    ControlCharacter {
        /// The character found.
        character: char,
    },
    /// There is no blank line separating the text from the signatures.
    #[error("note has no blank line before its signature lines")]
    MissingSeparator,
    /// The text to sign is empty or does not end with a newline.
    #[error("note text is empty or does not end with a newline")]
    UnterminatedText,
    /// The signature block is empty or does not end with a newline.
    #[error("note has no complete signature lines")]
    NoSignatureLines,
    /// A signature line is not `— <name> <base64>`.
    #[error("malformed signature line {line:?}")]
    MalformedSignatureLine {
        /// The offending line.
        line: String,
    },
    /// More signature lines than [`MAX_SIGNATURES`].
    #[error("note has {count} signatures, at most {max} are accepted")]
    TooManySignatures {
        /// Signature lines found.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A signature line names the trusted key but its signature does not verify.
    #[error("signature by key {name} does not verify")]
    BadSignature {
        /// The key name.
        name: String,
    },
    /// No signature line names the trusted key (name and key ID).
    #[error("note is not signed by key {name}+{key_id}")]
    NotSignedByKey {
        /// The trusted key's name.
        name: String,
        /// The trusted key's ID, in hex.
        key_id: String,
    },
    /// The signed text is not `origin\nsize\nroot\n`.
    #[error("checkpoint text has {lines} lines, expected exactly 3 (origin, size, root hash)")]
    WrongLineCount {
        /// Lines found.
        lines: usize,
    },
    /// The size line is not a decimal number without leading zeros.
    #[error("checkpoint size {text:?} is not a decimal number without leading zeros")]
    InvalidSize {
        /// The line as found.
        text: String,
    },
    /// The root line is not the base64 of 32 bytes.
    #[error("checkpoint root {text:?} is not the standard base64 of a 32-byte hash")]
    InvalidRoot {
        /// The line as found.
        text: String,
    },
    /// The checkpoint's origin is not the trusted key's name.
    #[error("checkpoint origin {actual:?} is not the log {expected:?}")]
    OriginMismatch {
        /// The trusted key's name.
        expected: String,
        /// The origin line.
        actual: String,
    },
    /// A verifier key is not `name+hex(key ID)+base64(0x01 ‖ key)`.
    #[error("malformed verifier key: {reason}")]
    MalformedVerifierKey {
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// A log's tree head: origin, size and root hash (c2sp.org/tlog-checkpoint).
///
/// The origin is checked on construction to be a valid note key name (non-empty, no
/// Unicode space, no `+`, no control character), because our log signs its checkpoints
/// under a key named after the origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    origin: String,
    size: u64,
    root: Digest,
}

impl Checkpoint {
    /// A checkpoint of the tree of `size` leaves with root `root`.
    ///
    /// # Errors
    /// [`NoteError::InvalidKeyName`] when `origin` cannot be a key name.
    pub fn new(origin: impl Into<String>, size: u64, root: Digest) -> Result<Checkpoint, NoteError> {
        let origin = origin.into();
        check_key_name(&origin)?;
        Ok(Checkpoint { origin, size, root })
    }

    /// The log's identity.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The RFC 6962 root hash at that size.
    pub fn root(&self) -> Digest {
        self.root
    }

    /// The note text: `origin\nsize\nbase64(root)\n`.
    pub fn body(&self) -> String {
        format!("{}\n{}\n{}\n", self.origin, self.size, STANDARD.encode(self.root.as_bytes()))
    }

    /// Parses a note text of exactly three lines; extension lines are refused because
    /// we never write them and the spec discourages them (they are not auditable).
    fn parse_body(text: &str) -> Result<Checkpoint, NoteError> {
        let lines: Vec<&str> = text.strip_suffix('\n').unwrap_or(text).split('\n').collect();
        let [origin, size, root] = lines[..] else {
            return Err(NoteError::WrongLineCount { lines: lines.len() });
        };
        let size = parse_size(size)?;
        let root = parse_root(root)?;
        Checkpoint::new(origin, size, root)
    }
}

/// A trusted note key: name, key ID and Ed25519 public key.
#[derive(Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_id: [u8; 4],
    key: PublicKey,
}

impl NoteVerifier {
    /// The verifier for `key` under `name`.
    ///
    /// # Errors
    /// [`NoteError::InvalidKeyName`] when `name` cannot be a key name.
    pub fn new(name: impl Into<String>, key: PublicKey) -> Result<NoteVerifier, NoteError> {
        let name = name.into();
        check_key_name(&name)?;
        let key_id = key_id(&name, &key);
        Ok(NoteVerifier { name, key_id, key })
    }

    /// The key name (for our log, the origin).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 4-byte key ID.
    pub fn key_id(&self) -> [u8; 4] {
        self.key_id
    }

    /// The public key.
    pub fn key(&self) -> &PublicKey {
        &self.key
    }

    /// The verifier key text `name+hex(key ID)+base64(0x01 ‖ key)`, the form Go's
    /// `note.NewVerifier` and witness configurations take.
    pub fn to_text(&self) -> String {
        let encoded = [&[ED25519_TYPE][..], &self.key.to_bytes()[..]].concat();
        format!("{}+{}+{}", self.name, hex::encode(self.key_id), STANDARD.encode(encoded))
    }
}

impl fmt::Debug for NoteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4]`: the Ed25519 note key ID
/// (c2sp.org/signed-note §"Ed25519 signatures").
pub fn key_id(name: &str, key: &PublicKey) -> [u8; 4] {
    let hashed = Digest::of(&[name.as_bytes(), b"\n", &[ED25519_TYPE], &key.to_bytes()].concat());
    let bytes = hashed.as_bytes();
    [bytes[0], bytes[1], bytes[2], bytes[3]]
}

/// The verifier key text for `key` under `name` (see [`NoteVerifier::to_text`]).
///
/// # Errors
/// [`NoteError::InvalidKeyName`] when `name` cannot be a key name.
pub fn verifier_key_text(name: &str, key: &PublicKey) -> Result<String, NoteError> {
    Ok(NoteVerifier::new(name, *key)?.to_text())
}

/// Reads a verifier key `name+hex(key ID)+base64(0x01 ‖ key)`; the key ID must match the
/// name and key.
///
/// # Errors
/// [`NoteError::MalformedVerifierKey`] or [`NoteError::InvalidKeyName`].
pub fn parse_verifier_key(text: &str) -> Result<NoteVerifier, NoteError> {
    let malformed = |reason| NoteError::MalformedVerifierKey { reason };
    // The name holds no '+', and the key ID is hex, so the first two '+' split the
    // fields; the base64 after them may itself contain '+'.
    let mut parts = text.trim_end_matches('\n').splitn(3, '+');
    let (Some(name), Some(id_hex), Some(key_base64)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(malformed("expected name+keyid+key"));
    };
    check_key_name(name)?;
    if id_hex.len() != 8 || !id_hex.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return Err(malformed("key id is not 8 hex digits"));
    }
    let mut claimed_id = [0u8; 4];
    hex::decode_to_slice(id_hex, &mut claimed_id).map_err(|_| malformed("key id is not 8 hex digits"))?;
    let encoded = STANDARD.decode(key_base64).map_err(|_| malformed("key is not standard base64"))?;
    let Some((&algorithm, key_bytes)) = encoded.split_first() else {
        return Err(malformed("key is empty"));
    };
    if algorithm != ED25519_TYPE {
        return Err(malformed("key is not an ed25519 (0x01) key"));
    }
    let key_bytes: &[u8; 32] = key_bytes.try_into().map_err(|_| malformed("ed25519 key is not 32 bytes"))?;
    let key = PublicKey::from_bytes(key_bytes).map_err(|_| malformed("not a valid ed25519 public key"))?;
    let verifier = NoteVerifier::new(name, key)?;
    if verifier.key_id != claimed_id {
        return Err(malformed("key id does not match the name and key"));
    }
    Ok(verifier)
}

/// Signs `checkpoint` with `key` under the key name `checkpoint.origin()` and returns
/// the whole note: the body, a blank line and one signature line.
pub fn sign(checkpoint: &Checkpoint, key: &LedgerKey) -> String {
    // The origin was checked as a key name and the body has no control characters.
    sign_checked(&checkpoint.body(), checkpoint.origin(), key)
}

/// Signs any note text (c2sp.org/signed-note) with `key` under the key name `name`.
///
/// # Errors
/// [`NoteError::InvalidKeyName`] for a bad name, [`NoteError::ControlCharacter`] when
/// the text holds a control character other than newline, and
/// [`NoteError::UnterminatedText`] when it is empty or does not end with a newline.
pub fn sign_note(text: &str, name: &str, key: &LedgerKey) -> Result<String, NoteError> {
    check_key_name(name)?;
    check_characters(text)?;
    if !text.ends_with('\n') {
        return Err(NoteError::UnterminatedText);
    }
    Ok(sign_checked(text, name, key))
}

/// The note for `text` signed under `name`; both must already be valid.
fn sign_checked(text: &str, name: &str, key: &LedgerKey) -> String {
    let id = key_id(name, &key.public());
    let signature = key.sign(text.as_bytes());
    let encoded = STANDARD.encode([&id[..], &signature[..]].concat());
    format!("{text}\n{SIGNATURE_PREFIX}{name} {encoded}\n")
}

/// Verifies a signed checkpoint note under `verifier` and returns the checkpoint.
///
/// Follows c2sp.org/signed-note §"Signatures": lines from unknown keys (another name or
/// key ID) are ignored, so witnesses may cosign; a line from the trusted key that does
/// not verify rejects the whole note; at least one must verify. The origin must equal
/// the trusted key's name, as our log signs under its origin.
///
/// # Errors
/// A [`NoteError`] for a malformed note or checkpoint, a bad or missing signature, or
/// an origin that is not the verifier's name.
pub fn open(note: &str, verifier: &NoteVerifier) -> Result<Checkpoint, NoteError> {
    let text = open_note(note, verifier)?;
    let checkpoint = Checkpoint::parse_body(text)?;
    if checkpoint.origin != verifier.name {
        return Err(NoteError::OriginMismatch { expected: verifier.name.clone(), actual: checkpoint.origin });
    }
    Ok(checkpoint)
}

/// Verifies any signed note under `verifier` and returns its text (including the final
/// newline), by the rules described at [`open`].
///
/// # Errors
/// A [`NoteError`] for a malformed note or a bad or missing signature.
pub fn open_note<'a>(note: &'a str, verifier: &NoteVerifier) -> Result<&'a str, NoteError> {
    check_characters(note)?;
    // The text ends at the last empty line; it keeps its own final newline.
    let separator = note.rfind("\n\n").ok_or(NoteError::MissingSeparator)?;
    let (text, signatures) = (&note[..=separator], &note[separator + 2..]);
    let lines = signatures.strip_suffix('\n').ok_or(NoteError::NoSignatureLines)?;
    let lines: Vec<&str> = lines.split('\n').collect();
    if lines.len() > MAX_SIGNATURES {
        return Err(NoteError::TooManySignatures { count: lines.len(), max: MAX_SIGNATURES });
    }

    let mut verified = false;
    for line in lines {
        let (name, id, signature) = parse_signature_line(line)?;
        if name != verifier.name || id != verifier.key_id {
            continue;
        }
        verifier
            .key
            .verify(text.as_bytes(), &signature)
            .map_err(|_| NoteError::BadSignature { name: name.to_owned() })?;
        verified = true;
    }
    if !verified {
        return Err(NoteError::NotSignedByKey { name: verifier.name.clone(), key_id: hex::encode(verifier.key_id) });
    }
    Ok(text)
}

/// Splits `— <name> <base64(key ID ‖ signature)>` into name, key ID and signature.
fn parse_signature_line(line: &str) -> Result<(&str, [u8; 4], Vec<u8>), NoteError> {
    let malformed = || NoteError::MalformedSignatureLine { line: line.to_owned() };
    let rest = line.strip_prefix(SIGNATURE_PREFIX).ok_or_else(malformed)?;
    let (name, encoded) = rest.split_once(' ').ok_or_else(malformed)?;
    check_key_name(name).map_err(|_| malformed())?;
    let decoded = STANDARD.decode(encoded).map_err(|_| malformed())?;
    match decoded.as_slice() {
        [a, b, c, d, signature @ ..] if !signature.is_empty() => Ok((name, [*a, *b, *c, *d], signature.to_vec())),
        _ => Err(malformed()),
    }
}

/// Notes are UTF-8 (a `str` already is) without ASCII control characters below U+0020
/// other than newline (c2sp.org/signed-note §"Format").
fn check_characters(text: &str) -> Result<(), NoteError> {
    match text.chars().find(|c| *c < ' ' && *c != '\n') {
        Some(character) => Err(NoteError::ControlCharacter { character }),
        None => Ok(()),
    }
}

/// Key names are non-empty, without Unicode spaces or `+` (c2sp.org/signed-note
/// §"Format"), and without control characters, which no note may hold.
fn check_key_name(name: &str) -> Result<(), NoteError> {
    let valid = !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+' || c < ' ');
    if valid { Ok(()) } else { Err(NoteError::InvalidKeyName { name: name.to_owned() }) }
}

/// ASCII decimal, no sign, no leading zeros except for `0` itself (tlog-checkpoint).
fn parse_size(text: &str) -> Result<u64, NoteError> {
    let invalid = || NoteError::InvalidSize { text: text.to_owned() };
    let digits_only = !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit());
    if !digits_only || (text.len() > 1 && text.starts_with('0')) {
        return Err(invalid());
    }
    text.parse().map_err(|_| invalid())
}

/// Standard, padded, canonical base64 of exactly 32 bytes.
fn parse_root(text: &str) -> Result<Digest, NoteError> {
    let invalid = || NoteError::InvalidRoot { text: text.to_owned() };
    let bytes = STANDARD.decode(text).map_err(|_| invalid())?;
    Digest::from_slice(&bytes).map_err(|_| invalid())
}

#[cfg(test)]
mod tests;
