//! Commit signatures: which kind, whether they hold, and who made them.
//!
//! A signed commit carries its signature in a `gpgsig` header (`gpgsig-sha256` in
//! SHA-256 repositories); the signed payload is the commit object without that
//! header. The kind is read from the armor line, as git does:
//!
//! - `-----BEGIN SSH SIGNATURE-----`: SSH ([PROTOCOL.sshsig], namespace `git`). The
//!   signature is checked against the public key it embeds (ed25519, sk-ed25519,
//!   ecdsa-sha2-nistp256, sk-ecdsa-sha2-nistp256 and rsa keys), then that key is
//!   looked up in the allowed signers ([`AllowedSigners`]) at the committer time.
//!   A signature that does not hold, or was made for another namespace, is
//!   [`Bad`](SignatureStatus::Bad). One that holds is
//!   [`Verified`](SignatureStatus::Verified) when an allowed-signers entry names the
//!   key, with the entry's principals as the signer, and otherwise
//!   [`Unverified`](SignatureStatus::Unverified): a good signature by a key nobody
//!   vouched for proves nothing about who made it (git shows `U` for it).
//! - `-----BEGIN PGP SIGNATURE-----`: OpenPGP ([`OpenPgpKeys`], by rPGP). The
//!   signature is checked against the configured key (primary key or subkey) its
//!   issuer names: [`Verified`](SignatureStatus::Verified) with the key's user ids
//!   as the signer when it holds, [`Bad`](SignatureStatus::Bad) when it does not.
//!   With no configured key matching, it is `Unverified` and the fingerprint (or key
//!   id) the signature claims is reported in `key`, unauthenticated.
//! - `-----BEGIN SIGNED MESSAGE-----`: X.509 (gpgsm). Not verified.
//!
//! Anything else is reported as `Unverified` with no kind.
//!
//! [PROTOCOL.sshsig]: https://github.com/openssh/openssh-portable/blob/master/PROTOCOL.sshsig

use ssh_key::public::{EcdsaPublicKey, KeyData};
use ssh_key::{HashAlg, PublicKey, SshSig};

use crate::allowed_signers::{AllowedSigners, Lookup};
use crate::openpgp_keys::{OpenPgpKeys, Outcome};

/// The namespace git signs commits in.
pub const GIT_NAMESPACE: &str = "git";

/// Whether a commit's signature holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureStatus {
    /// The commit is not signed.
    Unsigned,
    /// It is signed, but the signature could not be tied to a trusted key: the key
    /// is not among the configured ones, the kind is not verified here, or the
    /// signature could not be decoded. `detail` says which.
    Unverified,
    /// The signature holds and its key is a configured one.
    Verified,
    /// The signature does not hold for this commit.
    Bad,
}

/// The kind of a commit signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureKind {
    /// An SSH signature (`gpg.format=ssh`).
    Ssh,
    /// An OpenPGP signature (`gpg.format=openpgp`, the default).
    Gpg,
    /// An X.509 signature made with gpgsm (`gpg.format=x509`).
    X509,
}

/// A commit's signature and what came of checking it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// Whether it holds.
    pub status: SignatureStatus,
    /// Its kind, when signed in a known format.
    pub kind: Option<SignatureKind>,
    /// Who signed, when verified: the principals of the allowed-signers entry.
    pub signer: Option<String>,
    /// The signing key: `SHA256:…` fingerprint for SSH; for OpenPGP the key's
    /// fingerprint (upper-case hex), or when no configured key matches, the issuer
    /// fingerprint or key id the signature claims.
    pub key: Option<String>,
    /// What was found, in a sentence.
    pub detail: String,
}

/// The keys signatures are verified against. The application reads them from its
/// configuration.
#[derive(Debug, Clone, Default)]
pub struct VerifyKeys {
    /// Who may sign with which SSH key; without it no SSH signature is `Verified`.
    pub allowed_signers: Option<AllowedSigners>,
    /// Trusted OpenPGP public keys; without them no OpenPGP signature is `Verified`.
    pub openpgp: Option<OpenPgpKeys>,
}

impl Signature {
    /// The signature of an unsigned commit.
    pub(crate) fn unsigned() -> Self {
        Signature {
            status: SignatureStatus::Unsigned,
            kind: None,
            signer: None,
            key: None,
            detail: "the commit is not signed".to_owned(),
        }
    }

    fn unverified(kind: Option<SignatureKind>, key: Option<String>, detail: String) -> Self {
        Signature { status: SignatureStatus::Unverified, kind, signer: None, key, detail }
    }
}

/// Checks `signature` (the armored header value) over `payload` (the commit without
/// its signature header), for a commit made at `commit_time` (seconds since 1970).
pub(crate) fn check(signature: &str, payload: &[u8], commit_time: i64, keys: &VerifyKeys) -> Signature {
    let armor = signature.trim_start();
    if armor.starts_with("-----BEGIN SSH SIGNATURE-----") {
        check_ssh(armor, payload, commit_time, keys.allowed_signers.as_ref())
    } else if armor.starts_with("-----BEGIN PGP SIGNATURE-----") {
        check_openpgp(armor, payload, keys.openpgp.as_ref())
    } else if armor.starts_with("-----BEGIN SIGNED MESSAGE-----") {
        Signature::unverified(
            Some(SignatureKind::X509),
            None,
            "an X.509 signature; X.509 signatures are not verified by signoff".to_owned(),
        )
    } else {
        Signature::unverified(None, None, "a signature in an unrecognised format".to_owned())
    }
}

fn check_ssh(armor: &str, payload: &[u8], commit_time: i64, allowed: Option<&AllowedSigners>) -> Signature {
    let kind = Some(SignatureKind::Ssh);
    let signature = match SshSig::from_pem(armor) {
        Ok(signature) => signature,
        Err(error) => {
            return Signature::unverified(kind, None, format!("the SSH signature cannot be decoded: {error}"));
        }
    };
    let key_data = signature.public_key();
    let public_key = PublicKey::from(key_data.clone());
    let fingerprint = public_key.fingerprint(HashAlg::Sha256).to_string();
    let key = Some(fingerprint.clone());
    if !supported(key_data) {
        let detail = format!("SSH signatures with {} keys are not verified by signoff", key_data.algorithm());
        return Signature::unverified(kind, key, detail);
    }
    if signature.namespace() != GIT_NAMESPACE {
        let detail = format!("the SSH signature is for namespace {:?}, not {GIT_NAMESPACE:?}", signature.namespace());
        return Signature { status: SignatureStatus::Bad, kind, signer: None, key, detail };
    }
    if public_key.verify(GIT_NAMESPACE, payload, &signature).is_err() {
        let detail = format!("the SSH signature by key {fingerprint} does not match the commit");
        return Signature { status: SignatureStatus::Bad, kind, signer: None, key, detail };
    }
    let Some(allowed) = allowed else {
        let detail = format!("a good SSH signature by key {fingerprint}, but no allowed signers are configured");
        return Signature::unverified(kind, key, detail);
    };
    match allowed.lookup(key_data, GIT_NAMESPACE, commit_time) {
        Lookup::Allowed(entry) => Signature {
            status: SignatureStatus::Verified,
            kind,
            signer: Some(entry.principals.clone()),
            key,
            detail: format!("a good SSH signature by {} with key {fingerprint}", entry.principals),
        },
        Lookup::Refused(reason) => {
            Signature::unverified(kind, key, format!("a good SSH signature by key {fingerprint}, but {reason}"))
        }
    }
}

fn check_openpgp(armor: &str, payload: &[u8], keys: Option<&OpenPgpKeys>) -> Signature {
    let kind = Some(SignatureKind::Gpg);
    let issuer = crate::openpgp::issuer(armor);
    let claimed = match &issuer {
        Some(issuer) => format!("an OpenPGP signature by {} key {}", issuer.algorithm, issuer.key),
        None => "an OpenPGP signature whose issuer cannot be read".to_owned(),
    };
    let claimed_key = issuer.map(|issuer| issuer.key);
    let Some(keys) = keys else {
        let detail = format!("{claimed}, but no OpenPGP keys are configured");
        return Signature::unverified(kind, claimed_key, detail);
    };
    match keys.check(armor, payload) {
        Outcome::Good { fingerprint, signer } => Signature {
            status: SignatureStatus::Verified,
            kind,
            detail: format!("a good OpenPGP signature by {signer} with key {fingerprint}"),
            signer: Some(signer),
            key: Some(fingerprint),
        },
        Outcome::Bad { fingerprint, reason } => Signature {
            status: SignatureStatus::Bad,
            kind,
            signer: None,
            detail: format!("the OpenPGP signature by key {fingerprint} does not match the commit: {reason}"),
            key: Some(fingerprint),
        },
        Outcome::UnknownKey => {
            Signature::unverified(kind, claimed_key, format!("{claimed}, a key that is not among the configured ones"))
        }
        Outcome::Unreadable(reason) => Signature::unverified(
            kind,
            claimed_key,
            format!("{claimed}, but the signature cannot be decoded: {reason}"),
        ),
    }
}

/// Whether this build can check signatures made with the key.
fn supported(key: &KeyData) -> bool {
    match key {
        KeyData::Ed25519(_) | KeyData::SkEd25519(_) | KeyData::Rsa(_) | KeyData::SkEcdsaSha2NistP256(_) => true,
        KeyData::Ecdsa(ecdsa) => matches!(ecdsa, EcdsaPublicKey::NistP256(_)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Made with `ssh-keygen -t ed25519` and `ssh-keygen -Y sign -n git` over PAYLOAD.
    const PAYLOAD: &[u8] = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@example.com> 1700000000 +0000\ncommitter A <a@example.com> 1700000000 +0000\n\nsigned\n";
    const PUBLIC: &str = include_str!("../tests/data/ssh/key.pub");
    const SIGNATURE: &str = include_str!("../tests/data/ssh/payload.sig");
    const FILE_NAMESPACE: &str = include_str!("../tests/data/ssh/payload-file-namespace.sig");

    fn keys(line: &str) -> VerifyKeys {
        VerifyKeys { allowed_signers: Some(AllowedSigners::parse(line, "<text>").unwrap()), openpgp: None }
    }

    #[test]
    fn ssh_outcomes() {
        let allowed = keys(&format!("ada@example.com {PUBLIC}"));
        let good = check(SIGNATURE, PAYLOAD, 1_700_000_000, &allowed);
        assert_eq!(good.status, SignatureStatus::Verified, "{}", good.detail);
        assert_eq!(good.kind, Some(SignatureKind::Ssh));
        assert_eq!(good.signer.as_deref(), Some("ada@example.com"));
        assert!(good.key.as_deref().is_some_and(|key| key.starts_with("SHA256:")));

        let mut tampered = PAYLOAD.to_vec();
        tampered.extend_from_slice(b"more\n");
        let bad = check(SIGNATURE, &tampered, 1_700_000_000, &allowed);
        assert_eq!(bad.status, SignatureStatus::Bad);
        assert!(bad.detail.contains("does not match the commit"), "{}", bad.detail);

        let other_namespace = check(FILE_NAMESPACE, PAYLOAD, 1_700_000_000, &allowed);
        assert_eq!(other_namespace.status, SignatureStatus::Bad);
        assert!(other_namespace.detail.contains("namespace \"file\""), "{}", other_namespace.detail);

        let nobody = check(SIGNATURE, PAYLOAD, 1_700_000_000, &VerifyKeys::default());
        assert_eq!(nobody.status, SignatureStatus::Unverified);
        assert!(nobody.detail.contains("no allowed signers are configured"), "{}", nobody.detail);

        let expired = keys(&format!("ada@example.com valid-before=\"20200101\" {PUBLIC}"));
        let late = check(SIGNATURE, PAYLOAD, 1_700_000_000, &expired);
        assert_eq!(late.status, SignatureStatus::Unverified);
        assert!(late.detail.contains("ada@example.com has expired"), "{}", late.detail);

        let garbled = SIGNATURE.replacen("U1NIU0lH", "AAAAAAAA", 1);
        let undecodable = check(&garbled, PAYLOAD, 1_700_000_000, &allowed);
        assert_eq!(undecodable.status, SignatureStatus::Unverified);
        assert!(undecodable.detail.contains("cannot be decoded"), "{}", undecodable.detail);
    }

    #[test]
    fn other_formats() {
        let x509 = check(
            "-----BEGIN SIGNED MESSAGE-----\nMIAG\n-----END SIGNED MESSAGE-----\n",
            b"",
            0,
            &VerifyKeys::default(),
        );
        assert_eq!((x509.status, x509.kind), (SignatureStatus::Unverified, Some(SignatureKind::X509)));
        let unknown = check("hello", b"", 0, &VerifyKeys::default());
        assert_eq!((unknown.status, unknown.kind), (SignatureStatus::Unverified, None));
    }
}
