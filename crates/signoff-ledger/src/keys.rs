//! The ledger's Ed25519 key (RFC 8032) and its standard encodings.
//!
//! The private key travels as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, RFC 5208 /
//! RFC 5958 with the Ed25519 profile of RFC 8410 §7); the public key as SPKI PEM
//! (`-----BEGIN PUBLIC KEY-----`, RFC 5280 §4.1.2.7 with RFC 8410 §4). These are the
//! files that OpenSSL, cosign, securesystemslib and Go's `crypto/x509` read, so anyone
//! can check our signatures with a tool they already trust.
//!
//! Architecture Invariant: secret key bytes leave a [`LedgerKey`] only through
//! [`LedgerKey::to_pkcs8_pem`], which returns a buffer that is wiped when dropped;
//! no `Debug` or `Display` output ever contains them.

use std::fmt;

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, KeypairBytes, spki::DecodePublicKey};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};

/// A `String` or byte buffer that is overwritten with zeros when dropped; what
/// [`LedgerKey::to_pkcs8_pem`] returns. (The `zeroize` crate's type, as re-exported by
/// the key-encoding crates, so callers need no dependency of their own.)
pub use ed25519_dalek::pkcs8::spki::der::zeroize::Zeroizing;

/// The DER prefix of an Ed25519 `SubjectPublicKeyInfo` (RFC 8410 §4): a SEQUENCE holding
/// the AlgorithmIdentifier `id-Ed25519` (OID 1.3.101.112, no parameters) and a BIT STRING
/// of the 32 key bytes. The encoding is fixed, so the DER is this prefix ‖ key.
const SPKI_ED25519_PREFIX: [u8; 12] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

/// Why a key could not be made, read or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The operating system's random source failed.
    #[error("cannot read random bytes for a new key")]
    Random(#[source] getrandom::Error),
    /// The text is not an Ed25519 private key in PKCS#8 PEM.
    #[error("not an ed25519 private key in pkcs#8 pem")]
    PrivateKey(#[source] ed25519_dalek::pkcs8::Error),
    /// The private key could not be encoded (not expected for a valid key).
    #[error("cannot encode the private key as pkcs#8")]
    EncodePrivateKey(#[source] ed25519_dalek::pkcs8::Error),
    /// The text is not an Ed25519 public key in SPKI PEM or DER.
    #[error("not an ed25519 public key in spki form")]
    PublicKey(#[source] ed25519_dalek::pkcs8::spki::Error),
    /// The bytes are not a valid Ed25519 public key (not a curve point).
    #[error("not a valid ed25519 public key")]
    InvalidPublicKey,
    /// A signature did not verify under the key.
    #[error("signature does not verify under key {keyid}")]
    BadSignature {
        /// [`PublicKey::keyid`] of the key tried.
        keyid: String,
    },
}

/// The ledger's signing key: an Ed25519 key pair.
#[derive(Clone)]
pub struct LedgerKey {
    signing: SigningKey,
}

impl LedgerKey {
    /// A new key from the operating system's random source.
    ///
    /// # Errors
    /// [`KeyError::Random`] when the random source fails.
    pub fn generate() -> Result<LedgerKey, KeyError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut()).map_err(KeyError::Random)?;
        Ok(LedgerKey::from_seed(*seed))
    }

    /// The key whose RFC 8032 private key (seed) is `seed`.
    pub fn from_seed(seed: [u8; 32]) -> LedgerKey {
        LedgerKey { signing: SigningKey::from_bytes(&seed) }
    }

    /// The private key as PKCS#8 v1 PEM, as `openssl genpkey -algorithm ed25519`
    /// writes it (RFC 8410 §7, without the optional public key). The buffer is wiped
    /// when dropped.
    ///
    /// # Errors
    /// [`KeyError::EncodePrivateKey`] only if the DER encoder fails, which it does not
    /// for a 32-byte key.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        let bytes = KeypairBytes { secret_key: self.signing.to_bytes(), public_key: None };
        bytes.to_pkcs8_pem(LineEnding::LF).map_err(KeyError::EncodePrivateKey)
    }

    /// Reads a PKCS#8 PEM private key (v1, or v2 with a public key that must match).
    ///
    /// # Errors
    /// [`KeyError::PrivateKey`] for anything that is not an Ed25519 PKCS#8 PEM key.
    pub fn from_pkcs8_pem(pem: &str) -> Result<LedgerKey, KeyError> {
        let signing = SigningKey::from_pkcs8_pem(pem.trim()).map_err(KeyError::PrivateKey)?;
        Ok(LedgerKey { signing })
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey { verifying: self.signing.verifying_key() }
    }

    /// The Ed25519 signature of `message` (RFC 8032 §5.1.6; deterministic).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }
}

impl fmt::Debug for LedgerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LedgerKey").field("public", &self.public()).finish_non_exhaustive()
    }
}

/// An Ed25519 public key, for checking the ledger's signatures.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey {
    verifying: VerifyingKey,
}

impl PublicKey {
    /// The key from its 32-byte RFC 8032 encoding.
    ///
    /// # Errors
    /// [`KeyError::InvalidPublicKey`] when the bytes are not a point on the curve.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<PublicKey, KeyError> {
        let verifying = VerifyingKey::from_bytes(bytes).map_err(|_| KeyError::InvalidPublicKey)?;
        Ok(PublicKey { verifying })
    }

    /// The 32-byte RFC 8032 encoding.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.verifying.to_bytes()
    }

    /// The DER `SubjectPublicKeyInfo` (RFC 8410 §4), 44 bytes.
    pub fn spki_der(&self) -> Vec<u8> {
        [&SPKI_ED25519_PREFIX[..], self.verifying.as_bytes()].concat()
    }

    /// Reads a DER `SubjectPublicKeyInfo`.
    ///
    /// # Errors
    /// [`KeyError::PublicKey`] unless it is an Ed25519 SPKI.
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, KeyError> {
        let verifying = VerifyingKey::from_public_key_der(der).map_err(KeyError::PublicKey)?;
        Ok(PublicKey { verifying })
    }

    /// The SPKI as PEM (`-----BEGIN PUBLIC KEY-----`, RFC 7468 §13), newline-terminated.
    pub fn to_spki_pem(&self) -> String {
        use base64::Engine as _;
        // 44 DER bytes are 60 base64 characters: one line, under the 64-column limit.
        let body = base64::engine::general_purpose::STANDARD.encode(self.spki_der());
        format!("-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n")
    }

    /// Reads an SPKI PEM public key.
    ///
    /// # Errors
    /// [`KeyError::PublicKey`] unless it is an Ed25519 SPKI PEM.
    pub fn from_spki_pem(pem: &str) -> Result<PublicKey, KeyError> {
        let verifying = VerifyingKey::from_public_key_pem(pem.trim()).map_err(KeyError::PublicKey)?;
        Ok(PublicKey { verifying })
    }

    /// Lowercase hex SHA-256 of [`PublicKey::spki_der`]: the DSSE `keyid` we write, and the
    /// same fingerprint `openssl pkey -pubin -outform DER | sha256sum` gives.
    pub fn keyid(&self) -> String {
        signoff_core::Digest::of(&self.spki_der()).to_hex()
    }

    /// Checks an Ed25519 signature over `message`.
    ///
    /// Uses the strict check of ed25519-dalek (`verify_strict`): it rejects small-order
    /// keys and non-canonical signatures, so one message has at most one valid
    /// signature per key and an envelope cannot be re-signed by malleation.
    ///
    /// # Errors
    /// [`KeyError::BadSignature`] when the signature is not 64 bytes or does not verify.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        let bad = || KeyError::BadSignature { keyid: self.keyid() };
        let signature = Signature::from_slice(signature).map_err(|_| bad())?;
        self.verifying.verify_strict(message, &signature).map_err(|_| bad())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey(ed25519:{})", hex::encode(self.verifying.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spec's TEST key: seed bytes 0x00..=0x1f.
    fn test_key() -> LedgerKey {
        LedgerKey::from_seed(std::array::from_fn(|i| i as u8))
    }

    #[test]
    fn test_key_matches_the_spec_vector() {
        let public = test_key().public();
        assert_eq!(hex::encode(public.to_bytes()), "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8");
        use base64::Engine as _;
        assert_eq!(
            base64::engine::general_purpose::STANDARD.encode(public.spki_der()),
            "MCowBQYDK2VwAyEAA6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg="
        );
        assert_eq!(public.keyid(), "a050837d85070582ccf7394b0988847cc312cb88259b894899f6f239cf1791a5");
    }

    #[test]
    fn spki_matches_the_der_encoder() {
        use ed25519_dalek::pkcs8::EncodePublicKey as _;
        let public = test_key().public();
        let library = public.verifying.to_public_key_der().unwrap();
        assert_eq!(public.spki_der(), library.as_bytes());
        let library_pem = public.verifying.to_public_key_pem(LineEnding::LF).unwrap();
        assert_eq!(public.to_spki_pem(), library_pem);
    }

    #[test]
    fn pem_round_trips() {
        let key = LedgerKey::generate().unwrap();
        let pem = key.to_pkcs8_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{}", pem.as_str());
        let back = LedgerKey::from_pkcs8_pem(&pem).unwrap();
        assert_eq!(back.public(), key.public());
        assert_eq!(back.sign(b"m"), key.sign(b"m"));

        let public_pem = key.public().to_spki_pem();
        assert_eq!(PublicKey::from_spki_pem(&public_pem).unwrap(), key.public());
        assert_eq!(PublicKey::from_spki_der(&key.public().spki_der()).unwrap(), key.public());
        assert_eq!(PublicKey::from_bytes(&key.public().to_bytes()).unwrap(), key.public());
    }

    #[test]
    fn private_pem_is_what_openssl_writes() {
        // RFC 8410 §10.3 / `openssl genpkey -algorithm ed25519` layout: version 0,
        // id-Ed25519, OCTET STRING wrapping the 32-byte seed.
        let pem = test_key().to_pkcs8_pem().unwrap();
        assert_eq!(
            pem.as_str(),
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f\n-----END PRIVATE KEY-----\n"
        );
    }

    #[test]
    fn reads_pkcs8_v2_and_rejects_a_mismatched_public_key() {
        let key = test_key();
        let mut with_public = KeypairBytes { secret_key: key.signing.to_bytes(), public_key: None };
        with_public.public_key = Some(ed25519_dalek::pkcs8::PublicKeyBytes(key.public().to_bytes()));
        let pem = with_public.to_pkcs8_pem(LineEnding::LF).unwrap();
        assert_eq!(LedgerKey::from_pkcs8_pem(&pem).unwrap().public(), key.public());

        let other = LedgerKey::from_seed([9; 32]).public();
        let mismatched = KeypairBytes {
            secret_key: key.signing.to_bytes(),
            public_key: Some(ed25519_dalek::pkcs8::PublicKeyBytes(other.to_bytes())),
        };
        let pem = mismatched.to_pkcs8_pem(LineEnding::LF).unwrap();
        assert!(matches!(LedgerKey::from_pkcs8_pem(&pem), Err(KeyError::PrivateKey(_))));
    }

    #[test]
    fn rejects_malformed_keys() {
        let public_pem = test_key().public().to_spki_pem();
        for text in ["", "not a key", public_pem.as_str()] {
            assert!(matches!(LedgerKey::from_pkcs8_pem(text), Err(KeyError::PrivateKey(_))), "{text:?}");
        }
        let private_pem = test_key().to_pkcs8_pem().unwrap();
        for text in ["", "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n", private_pem.as_str()] {
            assert!(matches!(PublicKey::from_spki_pem(text), Err(KeyError::PublicKey(_))), "{text:?}");
        }
        // An ECDSA P-256 SPKI is well-formed DER but not an Ed25519 key.
        let p256 = hex::decode(
            "3059301306072a8648ce3d020106082a8648ce3d03010703420004\
             6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296\
             4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5",
        )
        .unwrap();
        assert!(PublicKey::from_spki_der(&p256).is_err());
        assert!(PublicKey::from_spki_der(&test_key().public().spki_der()[1..]).is_err());
    }

    #[test]
    fn verify_accepts_only_the_signed_message() {
        let key = test_key();
        let signature = key.sign(b"message");
        key.public().verify(b"message", &signature).unwrap();
        assert!(key.public().verify(b"messagE", &signature).is_err());
        assert!(key.public().verify(b"message", &signature[..63]).is_err());
        let mut altered = signature;
        altered[10] ^= 1;
        assert!(key.public().verify(b"message", &altered).is_err());
        assert!(LedgerKey::from_seed([1; 32]).public().verify(b"message", &signature).is_err());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let key = test_key();
        let shown = format!("{key:?} {:#?}", key);
        let seed_hex = hex::encode(key.signing.to_bytes());
        assert!(!shown.contains(&seed_hex), "{shown}");
        assert!(!shown.contains("000102030405"), "{shown}");
        assert!(shown.contains("03a107bff3ce10be"), "{shown}");
    }
}
