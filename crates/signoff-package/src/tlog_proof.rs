//! C2SP `tlog-proof@v1` (c2sp.org/tlog-proof): an entry's index, its RFC 6962 audit
//! path and the signed checkpoint of the tree, in one offline-verifiable text.
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! [extra <base64>]
//! index <decimal, no leading zeros>
//! <base64 hash, leaf's sibling first>
//! ...
//!
//! <signed checkpoint note, verbatim>
//! ```
//!
//! The format is only parsed here; the hashes are checked against the checkpoint by
//! `signoff_ledger::merkle::verify_inclusion`, and the checkpoint by
//! `signoff_ledger::checkpoint::open`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use signoff_core::Digest;

use crate::layout::parse_index;

/// The first line of every proof.
pub const HEADER: &str = "c2sp.org/tlog-proof@v1";

/// A tree of at most 2^64 leaves has audit paths of at most 64 hashes.
pub const MAX_HASHES: usize = 64;

/// Why a text is not a tlog-proof.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlogProofError {
    /// The first line is not [`HEADER`].
    #[error("first line is not {HEADER:?}")]
    MissingHeader,
    /// The `extra` line does not hold standard base64.
    #[error("extra line is not standard base64")]
    InvalidExtra,
    /// There is no `index <N>` line after the header.
    #[error("missing index line")]
    MissingIndex,
    /// The index is not a decimal number without leading zeros.
    #[error("index {text:?} is not a decimal number without leading zeros")]
    InvalidIndex {
        /// The text after `index `.
        text: String,
    },
    /// A proof line is not the standard base64 of 32 bytes.
    #[error("proof line {line} is not the base64 of a 32-byte hash")]
    InvalidHash {
        /// Line number, from 1.
        line: usize,
    },
    /// More than [`MAX_HASHES`] hashes.
    #[error("proof has more than {MAX_HASHES} hashes")]
    TooManyHashes,
    /// No empty line ends the proof hashes, or nothing follows it.
    #[error("missing checkpoint after the proof hashes")]
    MissingCheckpoint,
}

/// A parsed `tlog-proof@v1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlogProof {
    /// Opaque, unauthenticated extra data (we never write it).
    pub extra: Option<Vec<u8>>,
    /// The entry's index in the log.
    pub index: u64,
    /// The audit path, from the leaf's sibling up to the root's child.
    pub hashes: Vec<Digest>,
    /// The signed checkpoint note, verbatim.
    pub checkpoint: String,
}

impl TlogProof {
    /// The text form.
    pub fn to_text(&self) -> String {
        let mut text = format!("{HEADER}\n");
        if let Some(extra) = &self.extra {
            text.push_str("extra ");
            text.push_str(&STANDARD.encode(extra));
            text.push('\n');
        }
        text.push_str(&format!("index {}\n", self.index));
        for hash in &self.hashes {
            text.push_str(&STANDARD.encode(hash.as_bytes()));
            text.push('\n');
        }
        text.push('\n');
        text.push_str(&self.checkpoint);
        text
    }

    /// Reads the text form. The checkpoint is returned as it stands, unverified.
    ///
    /// # Errors
    /// A [`TlogProofError`] naming the first thing that is malformed.
    pub fn parse(text: &str) -> Result<TlogProof, TlogProofError> {
        let mut rest = text;
        let mut line_number = 0;
        let mut next_line = |rest: &mut &str| -> Option<(usize, String)> {
            let (line, after) = rest.split_once('\n')?;
            *rest = after;
            line_number += 1;
            Some((line_number, line.to_owned()))
        };
        match next_line(&mut rest) {
            Some((_, line)) if line == HEADER => {}
            _ => return Err(TlogProofError::MissingHeader),
        }
        let (_, mut line) = next_line(&mut rest).ok_or(TlogProofError::MissingIndex)?;
        let mut extra = None;
        if let Some(encoded) = line.strip_prefix("extra ") {
            extra = Some(STANDARD.decode(encoded).map_err(|_| TlogProofError::InvalidExtra)?);
            (_, line) = next_line(&mut rest).ok_or(TlogProofError::MissingIndex)?;
        }
        let index_text = line.strip_prefix("index ").ok_or(TlogProofError::MissingIndex)?;
        let index =
            parse_index(index_text).ok_or_else(|| TlogProofError::InvalidIndex { text: index_text.to_owned() })?;
        let mut hashes = Vec::new();
        loop {
            let (number, line) = next_line(&mut rest).ok_or(TlogProofError::MissingCheckpoint)?;
            if line.is_empty() {
                break;
            }
            if hashes.len() == MAX_HASHES {
                return Err(TlogProofError::TooManyHashes);
            }
            let bytes = STANDARD.decode(&line).map_err(|_| TlogProofError::InvalidHash { line: number })?;
            hashes.push(Digest::from_slice(&bytes).map_err(|_| TlogProofError::InvalidHash { line: number })?);
        }
        if rest.is_empty() {
            return Err(TlogProofError::MissingCheckpoint);
        }
        Ok(TlogProof { extra, index, hashes, checkpoint: rest.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTE: &str = "log.example\n2\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— log.example AAAA\n";

    #[test]
    fn round_trips() {
        let proof = TlogProof {
            extra: None,
            index: 1,
            hashes: vec![Digest::of(b"a"), Digest::of(b"b")],
            checkpoint: NOTE.to_owned(),
        };
        let text = proof.to_text();
        assert!(text.starts_with("c2sp.org/tlog-proof@v1\nindex 1\n"), "{text}");
        assert!(text.ends_with(&format!("\n\n{NOTE}")), "{text}");
        assert_eq!(TlogProof::parse(&text), Ok(proof.clone()));

        let with_extra = TlogProof { extra: Some(b"context".to_vec()), hashes: vec![], index: 0, ..proof };
        let text = with_extra.to_text();
        assert!(text.starts_with("c2sp.org/tlog-proof@v1\nextra Y29udGV4dA==\nindex 0\n\n"), "{text}");
        assert_eq!(TlogProof::parse(&text), Ok(with_extra));
    }

    #[test]
    fn names_what_is_malformed() {
        let hash = STANDARD.encode(Digest::of(b"a").as_bytes());
        let cases = [
            (String::new(), TlogProofError::MissingHeader),
            ("c2sp.org/tlog-proof@v2\nindex 0\n\nx".to_owned(), TlogProofError::MissingHeader),
            ("c2sp.org/tlog-proof@v1\n".to_owned(), TlogProofError::MissingIndex),
            ("c2sp.org/tlog-proof@v1\nextra !\nindex 0\n\nx".to_owned(), TlogProofError::InvalidExtra),
            ("c2sp.org/tlog-proof@v1\nindex 01\n\nx".to_owned(), TlogProofError::InvalidIndex { text: "01".into() }),
            ("c2sp.org/tlog-proof@v1\nindex 0\nAAAA\n\nx".to_owned(), TlogProofError::InvalidHash { line: 3 }),
            ("c2sp.org/tlog-proof@v1\nindex 0\n!!\n\nx".to_owned(), TlogProofError::InvalidHash { line: 3 }),
            (format!("c2sp.org/tlog-proof@v1\nindex 0\n{hash}\n"), TlogProofError::MissingCheckpoint),
            (format!("c2sp.org/tlog-proof@v1\nindex 0\n{hash}\n\n"), TlogProofError::MissingCheckpoint),
            (
                format!("c2sp.org/tlog-proof@v1\nindex 0\n{}\nx", format!("{hash}\n").repeat(65)),
                TlogProofError::TooManyHashes,
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(TlogProof::parse(&text), Err(expected), "{text:?}");
        }
    }
}
