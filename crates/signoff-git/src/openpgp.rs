//! Just enough OpenPGP (RFC 9580) to say which key an unverified signature claims.
//!
//! The armored signature is decoded (§6.2), its first packet must be a signature
//! packet (tag 2, §5.2), and the issuer is taken from its subpackets: the Issuer
//! Fingerprint (type 33, §5.2.3.35) when present, else the Issuer Key ID (type 16,
//! §5.2.3.12); version 3 signatures carry the key id in a fixed field. Nothing here
//! is authenticated: a signature can claim any issuer.

use base64::Engine as _;

/// The issuer a signature claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Issuer {
    /// Upper-case hex fingerprint, or 16-digit key id.
    pub(crate) key: String,
    /// The public-key algorithm's name (RFC 9580 §9.1).
    pub(crate) algorithm: &'static str,
}

/// The issuer of an armored OpenPGP signature, or `None` when it cannot be read.
pub(crate) fn issuer(armored: &str) -> Option<Issuer> {
    let packet = dearmor(armored)?;
    let body = signature_packet(&packet)?;
    match *body.first()? {
        3 => {
            // Version 3: hashed length (5), type, creation time (4), key id (8), algorithm.
            let key_id = body.get(7..15)?;
            Some(Issuer { key: hex(key_id), algorithm: algorithm(*body.get(15)?) })
        }
        version @ (4 | 6) => {
            let algorithm = algorithm(*body.get(2)?);
            let width = if version == 4 { 2 } else { 4 };
            let mut at = 4;
            let mut areas = Vec::with_capacity(2);
            for _ in 0..2 {
                let length = be(body.get(at..at + width)?);
                at += width;
                areas.push(body.get(at..at.checked_add(length)?)?);
                at += length;
            }
            let mut key_id = None;
            for area in areas {
                for (kind, data) in subpackets(area) {
                    match kind {
                        33 if data.len() > 1 => return Some(Issuer { key: hex(&data[1..]), algorithm }),
                        16 if data.len() == 8 && key_id.is_none() => key_id = Some(hex(data)),
                        _ => {}
                    }
                }
            }
            key_id.map(|key| Issuer { key, algorithm })
        }
        _ => None,
    }
}

/// The binary content of ASCII armor: the base64 lines between the header block
/// and the checksum or END line.
fn dearmor(armored: &str) -> Option<Vec<u8>> {
    let mut lines = armored.lines().map(str::trim).skip_while(|line| !line.starts_with("-----BEGIN PGP "));
    lines.next()?;
    let mut base64 = String::new();
    let mut in_headers = true;
    for line in lines {
        if in_headers {
            in_headers = false;
            if line.is_empty() {
                continue;
            }
            if line.contains(": ") {
                in_headers = true;
                continue;
            }
        }
        if line.starts_with("-----END") || line.starts_with('=') {
            break;
        }
        base64.push_str(line);
    }
    base64::engine::general_purpose::STANDARD.decode(base64).ok()
}

/// The body of the first packet, if it is a signature packet.
fn signature_packet(data: &[u8]) -> Option<&[u8]> {
    let first = *data.first()?;
    if first & 0x80 == 0 {
        return None;
    }
    let (tag, start, length): (u8, usize, usize) = if first & 0x40 != 0 {
        // OpenPGP packet format (§4.2.1).
        let octet = *data.get(1)? as usize;
        match octet {
            0..=191 => (first & 0x3f, 2, octet),
            192..=223 => (first & 0x3f, 3, ((octet - 192) << 8) + *data.get(2)? as usize + 192),
            255 => (first & 0x3f, 6, be(data.get(2..6)?)),
            // Partial lengths are not used for signature packets.
            _ => return None,
        }
    } else {
        // Legacy packet format (§4.2.2).
        let tag = (first >> 2) & 0x0f;
        match first & 0x03 {
            0 => (tag, 2, *data.get(1)? as usize),
            1 => (tag, 3, be(data.get(1..3)?)),
            2 => (tag, 5, be(data.get(1..5)?)),
            _ => (tag, 1, data.len().saturating_sub(1)),
        }
    };
    if tag != 2 {
        return None;
    }
    data.get(start..start.checked_add(length)?)
}

/// The subpackets of a subpacket area as (type without the critical bit, data).
/// Stops at the first malformed one.
fn subpackets(mut area: &[u8]) -> Vec<(u8, &[u8])> {
    let mut found = Vec::new();
    while let Some(&first) = area.first() {
        let (header, length): (usize, usize) = match first {
            0..=191 => (1, first as usize),
            192..=254 => match area.get(1) {
                Some(&second) => (2, ((first as usize - 192) << 8) + second as usize + 192),
                None => break,
            },
            255 => match area.get(1..5) {
                Some(bytes) => (5, be(bytes)),
                None => break,
            },
        };
        let Some(body) = header.checked_add(length).and_then(|end| area.get(header..end)) else {
            break;
        };
        if let Some((&kind, data)) = body.split_first() {
            found.push((kind & 0x7f, data));
        }
        area = &area[header + length..];
    }
    found
}

/// A big-endian unsigned number of up to 4 bytes.
fn be(bytes: &[u8]) -> usize {
    bytes.iter().fold(0usize, |n, &b| (n << 8) | b as usize)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// RFC 9580 §9.1 public-key algorithm names.
fn algorithm(id: u8) -> &'static str {
    match id {
        1..=3 => "RSA",
        16 => "ElGamal",
        17 => "DSA",
        18 => "ECDH",
        19 => "ECDSA",
        22 => "EdDSA",
        25 => "X25519",
        26 => "X448",
        27 => "Ed25519",
        28 => "Ed448",
        _ => "unknown-algorithm",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn armor(bytes: &[u8]) -> String {
        let body = base64::engine::general_purpose::STANDARD.encode(bytes);
        format!("-----BEGIN PGP SIGNATURE-----\nComment: test\n\n{body}\n=abcd\n-----END PGP SIGNATURE-----\n")
    }

    #[test]
    fn gnupg_ed25519_signature() {
        // Made by GnuPG 2.2 with an ed25519 key whose fingerprint is below.
        let armored = include_str!("../tests/data/openpgp/ed25519.asc");
        assert_eq!(
            issuer(armored),
            Some(Issuer { key: "A3C3B0D002DAE61D2E0321061F077BA3AD2E25F0".into(), algorithm: "EdDSA" })
        );
    }

    #[test]
    fn key_id_only_in_new_format_packet() {
        // v4 signature, RSA, SHA-256, no hashed subpackets, an unhashed Issuer Key ID.
        let mut body = vec![4, 0x00, 1, 8, 0, 0, 0, 10, 9, 16];
        body.extend_from_slice(&[0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03, 0x04]);
        body.extend_from_slice(&[0xAB, 0xCD]);
        let mut packet = vec![0xC2, body.len() as u8];
        packet.extend_from_slice(&body);
        assert_eq!(issuer(&armor(&packet)), Some(Issuer { key: "DEADBEEF01020304".into(), algorithm: "RSA" }));
    }

    #[test]
    fn malformed_input_is_none() {
        for bytes in [&b""[..], &[0x00], &[0xC2], &[0xC2, 50, 4], &[0x88, 3, 4, 0, 1], &[0xC6, 1, 0]] {
            assert_eq!(issuer(&armor(bytes)), None, "{bytes:?}");
        }
        assert_eq!(issuer("not armor"), None);
    }
}
