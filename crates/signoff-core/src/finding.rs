//! Normalized findings: one shape for every scanner, so that a policy, a query or an
//! auditor can compare a Semgrep result with a Trivy vulnerability.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::digest::{Digest, Sha256};
use crate::evidence::UnknownName;

/// Severity on signoff's one scale. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational; no action expected.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 5] =
        [Severity::Info, Severity::Low, Severity::Medium, Severity::High, Severity::Critical];

    /// The lowercase name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The CVSS v3/v4 qualitative bands, which SARIF's `security-severity` follows
    /// (GitHub code scanning uses the same cut-offs): ≥ 9.0 critical, ≥ 7.0 high,
    /// ≥ 4.0 medium, > 0 low, 0 (or below) info. `None` for a non-finite score.
    pub fn from_score(score: f64) -> Option<Severity> {
        if !score.is_finite() {
            return None;
        }
        Some(if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score > 0.0 {
            Severity::Low
        } else {
            Severity::Info
        })
    }

    /// Reads the words tools use for their own severities, case-insensitively:
    /// `critical`, `high`, `medium`/`moderate`, `low`, `info`/`informational`/
    /// `negligible`/`none`/`unknown`. `None` for anything else, so each parser decides
    /// what an unrecognised word means for its tool.
    pub fn from_word(word: &str) -> Option<Severity> {
        match word.trim().to_ascii_lowercase().as_str() {
            "critical" | "crit" => Some(Severity::Critical),
            "high" | "error" => Some(Severity::High),
            "medium" | "moderate" | "warning" | "med" => Some(Severity::Medium),
            "low" | "note" | "minor" => Some(Severity::Low),
            "info" | "informational" | "information" | "negligible" | "none" | "unknown" => Some(Severity::Info),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = UnknownName;
    fn from_str(text: &str) -> Result<Severity, UnknownName> {
        Severity::ALL.into_iter().find(|severity| severity.as_str() == text).ok_or_else(|| UnknownName {
            what: "severity",
            given: text.to_owned(),
            expected: "info, low, medium, high, critical".to_owned(),
        })
    }
}

/// Where a finding is: a file and lines, a URL, an image layer, a package manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Location {
    // Fields are declared in alphabetical order: serde then writes them in the order
    // RFC 8785 sorts them, which lets `entry::FindingsHasher` hash a finding's
    // canonical bytes without a canonicalisation pass (see its test).
    /// Last line, 1-based.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u64>,
    /// Path or URI as the tool wrote it, with `\` turned into `/` and a leading
    /// `file://` removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// First line, 1-based.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_line: Option<u64>,
}

impl Location {
    /// Normalizes a path or URI as tools write it: Windows separators become `/`,
    /// a `file://` scheme is dropped. Anything else is kept as written.
    pub fn normalize_path(raw: &str) -> String {
        let (root, rest) = match raw.strip_prefix("file:///") {
            Some(rest) if rest.as_bytes().get(1) == Some(&b':') => ("", rest),
            Some(rest) => ("/", rest),
            None => ("", raw.strip_prefix("file://").unwrap_or(raw)),
        };
        // One allocation: this runs for every finding of a large capture.
        let mut path = String::with_capacity(root.len() + rest.len());
        path.push_str(root);
        path.extend(rest.chars().map(|character| if character == '\\' { '/' } else { character }));
        path
    }
}

/// One normalized finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Finding {
    // Fields are declared in alphabetical order, as in `Location`.
    /// CVE (and GHSA and other advisory) ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cve: Vec<String>,
    /// CWE ids, as `CWE-79`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwe: Vec<String>,
    /// The stable identity of this finding across runs; see [`Fingerprinter`].
    pub fingerprint: Digest,
    /// Where.
    #[serde(default)]
    pub location: Location,
    /// Affected package, for dependency findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// Affected package version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_version: Option<String>,
    /// The tool's rule or check id (`B307`, `CVE-2024-1234`, `CKV_AWS_20`).
    pub rule_id: String,
    /// On signoff's scale.
    pub severity: Severity,
    /// Whether the tool itself marks it suppressed (SARIF suppressions not rejected,
    /// `nosec`, a baseline). A suppressed finding still counts in `total`.
    #[serde(default)]
    pub suppressed: bool,
    /// One line a person can read.
    pub title: String,
}

/// Computes finding fingerprints for one evidence file.
///
/// A fingerprint is `SHA-256(tool name ‖ 0x00 ‖ identity ‖ 0x00 ‖ occurrence)` where
/// `identity` is the tool's own stable identity when it has one (SARIF
/// `partialFingerprints`, Semgrep's fingerprint, vulnerability id + package +
/// version) or else a description of the finding (rule, path, lines, message), and
/// `occurrence` counts earlier findings in the same file with the same identity.
/// The occurrence number keeps two different findings with the same description
/// (say, two identical calls on one line) distinct, while the same finding in the
/// next run of the tool gets the same fingerprint.
#[derive(Debug, Default)]
pub struct Fingerprinter {
    /// Occurrences so far, by identity. The key is the first 128 bits of the
    /// identity's SHA-256 (two identities that share them are not expected in the
    /// life of the universe): half the memory of the whole digest, for files with
    /// millions of findings.
    seen: HashMap<u128, u32, BuildHasherDefault<PrefixHasher>>,
    /// The last tool name asked for and its lower-case form: a file's findings all
    /// name the same tool, so it is folded once rather than once per finding.
    tool: String,
    tool_lower: String,
}

impl Fingerprinter {
    /// A fingerprinter for a new file.
    pub fn new() -> Fingerprinter {
        Fingerprinter::default()
    }

    /// The fingerprint of the next finding with these identity parts.
    pub fn fingerprint(&mut self, tool: &str, identity_parts: &[&str]) -> Digest {
        if self.tool != tool {
            tool.clone_into(&mut self.tool);
            self.tool_lower = tool.to_ascii_lowercase();
        }
        let mut identity = Sha256::new();
        identity.update(self.tool_lower.as_bytes());
        for part in identity_parts {
            identity.update(&[0]);
            identity.update(part.as_bytes());
        }
        let identity = identity.finish();
        let mut prefix = [0u8; 16];
        prefix.copy_from_slice(&identity.as_bytes()[..16]);
        let occurrence = self.seen.entry(u128::from_le_bytes(prefix)).or_insert(0);
        let mut fingerprint = Sha256::new();
        fingerprint.update(identity.as_bytes());
        fingerprint.update(&occurrence.to_be_bytes());
        *occurrence += 1;
        fingerprint.finish()
    }
}

/// Hashes a key that is already a uniformly distributed digest prefix by its low
/// 64 bits: running SipHash over it again buys nothing.
#[derive(Debug, Default)]
struct PrefixHasher(u64);

impl Hasher for PrefixHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(29) ^ u64::from_le_bytes(word);
        }
    }

    fn write_u128(&mut self, value: u128) {
        self.0 = value as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_bands() {
        let cases = [
            (10.0, Severity::Critical),
            (9.0, Severity::Critical),
            (8.9, Severity::High),
            (7.0, Severity::High),
            (6.9, Severity::Medium),
            (4.0, Severity::Medium),
            (3.9, Severity::Low),
            (0.1, Severity::Low),
            (0.0, Severity::Info),
        ];
        for (score, expected) in cases {
            assert_eq!(Severity::from_score(score), Some(expected), "{score}");
        }
        assert_eq!(Severity::from_score(f64::NAN), None);
    }

    #[test]
    fn severity_order() {
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Info);
    }

    #[test]
    fn fingerprints_stay_distinct_and_stable() {
        let mut first = Fingerprinter::new();
        let a = first.fingerprint("Bandit", &["B307", "src/app.py", "12"]);
        let b = first.fingerprint("Bandit", &["B307", "src/app.py", "12"]);
        let c = first.fingerprint("Bandit", &["B307", "src/app.py", "13"]);
        assert!(a != b && a != c && b != c);
        let mut second = Fingerprinter::new();
        assert_eq!(second.fingerprint("bandit", &["B307", "src/app.py", "12"]), a);
        assert_eq!(second.fingerprint("bandit", &["B307", "src/app.py", "12"]), b);
    }

    #[test]
    fn path_normalization() {
        assert_eq!(Location::normalize_path("file:///C:/src/a.cs"), "C:/src/a.cs");
        assert_eq!(Location::normalize_path("file:///home/a.py"), "/home/a.py");
        assert_eq!(Location::normalize_path("src\\Web\\a.cs"), "src/Web/a.cs");
        assert_eq!(Location::normalize_path("src/a.py"), "src/a.py");
        assert_eq!(Location::normalize_path("file:///C:\\src\\a.cs"), "C:/src/a.cs");
        assert_eq!(Location::normalize_path("file://server\\share\\a.cs"), "server/share/a.cs");
        assert_eq!(Location::normalize_path("\\\\"), "//");
        assert_eq!(Location::normalize_path(""), "");
    }
}
