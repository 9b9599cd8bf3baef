//! Each tool's severity scale mapped onto signoff's one scale
//! (critical / high / medium / low / info).
//!
//! # The table
//!
//! | Tool | Read from | Mapping |
//! |---|---|---|
//! | any CVSS score | a numeric score, or one computed from a CVSS v3.x / v2 vector | ≥ 9.0 critical, ≥ 7.0 high, ≥ 4.0 medium, > 0 low, 0 info |
//! | SARIF | `security-severity`, else `level` | score bands; `error` high, `warning` medium, `note` low, `none` info |
//! | Trivy | `Severity` | CRITICAL, HIGH, MEDIUM, LOW as named; UNKNOWN or absent → the highest CVSS score in `CVSS` (v3 before v2) if any, else info |
//! | Grype | `vulnerability.severity` | Critical, High, Medium, Low as named; Negligible → info; Unknown or absent → the highest CVSS base score of the vulnerability (then of its related vulnerabilities) if any, else info |
//! | Gitleaks | — | always high: a secret committed to a repository is exposed to everyone who can read it |
//! | Semgrep | `extra.severity` (else `extra.metadata.severity`) | CRITICAL critical; ERROR, HIGH high; WARNING, MEDIUM medium; INFO, LOW low; EXPERIMENT, INVENTORY info; anything else medium |
//! | Checkov | `severity` | CRITICAL, HIGH, MEDIUM, LOW, INFO as named; absent (`null`, as open-source Checkov always writes it) → medium |
//! | ZAP | `riskcode` (flat API shape: `risk`) | 3 high, 2 medium, 1 low, 0 info; `High`, `Medium`, `Low`, `Informational` likewise; absent → medium |
//! | npm audit | `severity` | critical, high as named; moderate → medium; low; info; absent → the advisory's CVSS score if any, else info |
//! | OSV-Scanner | `database_specific.severity`, then `severity[]` | CRITICAL, HIGH, MODERATE/MEDIUM, LOW as named; else the highest score of `severity[]` (computed from CVSS v3/v2 vectors); else the group's `max_severity`; else the highest severity of the vulnerability's aliases reported for the same package; else critical for OpenSSF malicious-package entries (`MAL-…`), info otherwise |
//! | CycloneDX | `ratings[]` | the highest over the ratings, each rating's `severity` word (critical, high, medium, low, info, none → info) or else its score band; `unknown` ratings ignored; no usable rating → info |
//! | in-toto vulns predicate | `severity[]` | the highest over its entries, a score band or a severity word; none → info |
//!
//! Why *unranked* differs by tool: vulnerability databases have an explicit
//! "unknown" bucket that the scanners themselves rank lowest (Trivy's `UNKNOWN`,
//! Grype's `Unknown`), and we do not invent a rank they did not give: info. Rule-based
//! scanners that leave a check unranked (open-source Checkov ranks none of its checks)
//! get the middle of the scale, as SARIF does for a result without a level
//! (`warning`, §3.27.10): ranking every failed check high would make a
//! "no high findings" policy fail on tagging hygiene, ranking it info would hide
//! public buckets.

use signoff_core::Severity;

/// A severity word as the tools write it (case-insensitive): critical, high (and
/// Semgrep's `error`), medium/moderate (and `warning`), low (and `note`),
/// info/informational/negligible/none. `None` for anything else (including
/// `unknown`, which callers treat as "not ranked").
pub fn word(word: &str) -> Option<Severity> {
    match word.trim().to_ascii_lowercase().as_str() {
        "unknown" | "unspecified" | "" => None,
        other => Severity::from_word(other),
    }
}

/// The band of a score (CVSS bands).
pub fn score(score: f64) -> Option<Severity> {
    Severity::from_score(score)
}

/// Semgrep's `extra.severity`.
pub fn semgrep(level: &str) -> Severity {
    match level.trim().to_ascii_uppercase().as_str() {
        "CRITICAL" => Severity::Critical,
        "ERROR" | "HIGH" => Severity::High,
        "WARNING" | "MEDIUM" => Severity::Medium,
        "INFO" | "LOW" => Severity::Low,
        "EXPERIMENT" | "INVENTORY" => Severity::Info,
        _ => Severity::Medium,
    }
}

/// ZAP's `riskcode`.
pub fn zap_risk_code(code: &str) -> Severity {
    match code.trim() {
        "3" => Severity::High,
        "2" => Severity::Medium,
        "1" => Severity::Low,
        "0" => Severity::Info,
        other => zap_risk_word(other),
    }
}

/// ZAP's `risk` word (`High`, `Medium`, `Low`, `Informational`), as in its API's
/// alert list; also the first word of `riskdesc`.
pub fn zap_risk_word(risk: &str) -> Severity {
    let first = risk.split_whitespace().next().unwrap_or("");
    word(first).unwrap_or(Severity::Medium)
}

/// The score of a CVSS v3.x or v2 vector (base metrics only; temporal and
/// environmental metrics are ignored). `None` for CVSS v4 and anything unparsable.
pub fn cvss_vector_score(vector: &str) -> Option<f64> {
    let vector = vector.trim();
    if vector.starts_with("CVSS:4") {
        return None;
    }
    if vector.starts_with("CVSS:3") {
        return cvss3(vector);
    }
    // A v3 vector without its prefix has `S:` (scope); v2 has `Au:`.
    if vector.contains("Au:") { cvss2(vector) } else { cvss3(vector) }
}

fn metric<'v>(vector: &'v str, name: &str) -> Option<&'v str> {
    vector.split('/').find_map(|part| part.strip_prefix(name)?.strip_prefix(':'))
}

/// CVSS v3.1 §7.1 base score (v3.0 differs only in rounding, by at most 0.1).
fn cvss3(vector: &str) -> Option<f64> {
    let changed = match metric(vector, "S")? {
        "U" => false,
        "C" => true,
        _ => return None,
    };
    let attack_vector = match metric(vector, "AV")? {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        "P" => 0.2,
        _ => return None,
    };
    let complexity = match metric(vector, "AC")? {
        "L" => 0.77,
        "H" => 0.44,
        _ => return None,
    };
    let privileges = match (metric(vector, "PR")?, changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        ("H", false) => 0.27,
        ("H", true) => 0.5,
        _ => return None,
    };
    let interaction = match metric(vector, "UI")? {
        "N" => 0.85,
        "R" => 0.62,
        _ => return None,
    };
    let impact_of = |name: &str| match metric(vector, name) {
        Some("H") => Some(0.56),
        Some("L") => Some(0.22),
        Some("N") => Some(0.0),
        _ => None,
    };
    let sub_score = 1.0 - (1.0 - impact_of("C")?) * (1.0 - impact_of("I")?) * (1.0 - impact_of("A")?);
    let impact =
        if changed { 7.52 * (sub_score - 0.029) - 3.25 * (sub_score - 0.02_f64).powi(15) } else { 6.42 * sub_score };
    if impact <= 0.0 {
        return Some(0.0);
    }
    let exploitability = 8.22 * attack_vector * complexity * privileges * interaction;
    let base = if changed { (1.08 * (impact + exploitability)).min(10.0) } else { (impact + exploitability).min(10.0) };
    Some(round_up(base))
}

/// CVSS v3.1 Appendix A `Roundup`: the smallest one-decimal number ≥ the input,
/// computed on integers to avoid floating-point surprises.
fn round_up(value: f64) -> f64 {
    let scaled = (value * 100_000.0).round() as i64;
    if scaled % 10_000 == 0 { scaled as f64 / 100_000.0 } else { ((scaled / 10_000) + 1) as f64 / 10.0 }
}

/// CVSS v2 §3.2.1 base score.
fn cvss2(vector: &str) -> Option<f64> {
    let access_vector = match metric(vector, "AV")? {
        "L" => 0.395,
        "A" => 0.646,
        "N" => 1.0,
        _ => return None,
    };
    let complexity = match metric(vector, "AC")? {
        "H" => 0.35,
        "M" => 0.61,
        "L" => 0.71,
        _ => return None,
    };
    let authentication = match metric(vector, "Au")? {
        "M" => 0.45,
        "S" => 0.56,
        "N" => 0.704,
        _ => return None,
    };
    let impact_of = |name: &str| match metric(vector, name) {
        Some("N") => Some(0.0),
        Some("P") => Some(0.275),
        Some("C") => Some(0.660),
        _ => None,
    };
    let impact = 10.41 * (1.0 - (1.0 - impact_of("C")?) * (1.0 - impact_of("I")?) * (1.0 - impact_of("A")?));
    let exploitability = 20.0 * access_vector * complexity * authentication;
    let factor = if impact == 0.0 { 0.0 } else { 1.176 };
    let base: f64 = ((0.6 * impact) + (0.4 * exploitability) - 1.5) * factor;
    Some((base * 10.0).round() / 10.0)
}

/// The highest of some severities.
pub(crate) fn highest(severities: impl IntoIterator<Item = Severity>) -> Option<Severity> {
    severities.into_iter().max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(word("CRITICAL"), Some(Severity::Critical));
        assert_eq!(word("Negligible"), Some(Severity::Info));
        assert_eq!(word("moderate"), Some(Severity::Medium));
        assert_eq!(word("UNKNOWN"), None);
        assert_eq!(word("bogus"), None);
    }

    #[test]
    fn semgrep_levels() {
        let cases = [
            ("ERROR", Severity::High),
            ("WARNING", Severity::Medium),
            ("INFO", Severity::Low),
            ("CRITICAL", Severity::Critical),
            ("HIGH", Severity::High),
            ("MEDIUM", Severity::Medium),
            ("LOW", Severity::Low),
            ("INVENTORY", Severity::Info),
            ("odd", Severity::Medium),
        ];
        for (level, expected) in cases {
            assert_eq!(semgrep(level), expected, "{level}");
        }
    }

    #[test]
    fn zap_risks() {
        assert_eq!(zap_risk_code("3"), Severity::High);
        assert_eq!(zap_risk_code("2"), Severity::Medium);
        assert_eq!(zap_risk_code("1"), Severity::Low);
        assert_eq!(zap_risk_code("0"), Severity::Info);
        assert_eq!(zap_risk_word("Informational"), Severity::Info);
        assert_eq!(zap_risk_word("High (Medium)"), Severity::High);
        assert_eq!(zap_risk_word("!reports.report.risk.3!"), Severity::Medium);
    }

    #[test]
    fn cvss_vectors() {
        // Scores as NVD's calculator gives them.
        let cases = [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
            ("CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:C/C:N/I:H/A:N", 6.5),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 8.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", 5.3),
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
            ("AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N", 7.5),
            ("AV:N/AC:M/Au:N/C:C/I:C/A:C", 9.3),
            ("AV:L/AC:L/Au:N/C:N/I:P/A:N", 2.1),
            ("AV:N/AC:L/Au:N/C:N/I:N/A:P", 5.0),
            ("AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5),
        ];
        for (vector, expected) in cases {
            assert_eq!(cvss_vector_score(vector), Some(expected), "{vector}");
        }
        assert_eq!(cvss_vector_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"), None);
        assert_eq!(cvss_vector_score("garbage"), None);
        assert_eq!(cvss_vector_score("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"), None);
    }

    #[test]
    fn score_bands() {
        assert_eq!(score(9.8), Some(Severity::Critical));
        assert_eq!(score(7.0), Some(Severity::High));
        assert_eq!(score(5.3), Some(Severity::Medium));
        assert_eq!(score(2.1), Some(Severity::Low));
        assert_eq!(score(0.0), Some(Severity::Info));
    }
}
