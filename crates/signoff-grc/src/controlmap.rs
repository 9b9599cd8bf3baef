//! Control ids across vocabularies: the catalog's ids, OSCAL control-id tokens, and
//! NIST SP 800-53 Rev. 5.
//!
//! OSCAL's `control-id` is a token (`^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$` in the 1.1.3
//! schema) and NIST's own OSCAL catalog writes 800-53 controls in lowercase with
//! enhancements after a dot: `CM-3` is `cm-3`, `SA-11(1)` is `sa-11.1`. Other
//! frameworks' ids often start with a digit (`6.2.3`, `164.312(b)`) and so are not
//! tokens: they are prefixed with the framework (`pci-dss_6.2.3`,
//! `hipaa_164.312.b`). The mapping is deterministic so that documents exported twice
//! agree.
//!
//! The NIST mapping covers what the catalog maps: the catalog's `nist-800-53`
//! framework (also reached as `fedramp`) *is* 800-53 Rev. 5, so its controls map to
//! themselves. The catalog has no crosswalk from SOC 2, ISO 27001, PCI DSS or HIPAA to
//! 800-53, and this module does not invent one: those controls map to nothing.

/// The framework id the catalog gives NIST SP 800-53 Rev. 5.
pub const NIST_800_53: &str = "nist-800-53";

/// Whether `framework` (as the catalog spells it, or an alias) is 800-53 Rev. 5.
pub fn is_nist_800_53(framework: &str) -> bool {
    let key: String = framework.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
    key == "nist80053" || key == "fedramp"
}

/// A NIST 800-53 id (`SA-11(1)`) as NIST's OSCAL catalog writes it (`sa-11.1`).
pub fn nist_oscal_id(control: &str) -> String {
    let mut out = String::with_capacity(control.len());
    for part in control.trim().split('(') {
        let part = part.trim_end_matches(')').trim();
        if part.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(&part.to_lowercase());
    }
    out
}

/// The NIST SP 800-53 Rev. 5 OSCAL control ids a catalog control corresponds to
/// (see the module doc): itself for the 800-53 framework, nothing otherwise.
pub fn nist_800_53(framework: &str, control: &str) -> Vec<String> {
    if is_nist_800_53(framework) { vec![nist_oscal_id(control)] } else { Vec::new() }
}

/// The OSCAL `control-id` token for a catalog control: the NIST id for 800-53,
/// otherwise `<framework>_<id>` lowercased with parentheses and spaces turned into
/// dots (see the module doc).
pub fn oscal_control_id(framework: &str, control: &str) -> String {
    if is_nist_800_53(framework) {
        return nist_oscal_id(control);
    }
    let mut id = String::new();
    for c in control.trim().chars() {
        match c {
            '(' | ' ' | '/' => {
                if !id.ends_with('.') {
                    id.push('.');
                }
            }
            ')' => {}
            c if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') => id.extend(c.to_lowercase()),
            _ => id.push('_'),
        }
    }
    let id = id.trim_matches('.').to_owned();
    let prefix: String = framework
        .chars()
        .map(|c| if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' })
        .flat_map(char::to_lowercase)
        .collect();
    let prefix =
        if prefix.starts_with(|c: char| c.is_alphabetic() || c == '_') { prefix } else { format!("_{prefix}") };
    format!("{prefix}_{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nist_ids_follow_nist_oscal_catalog_spelling() {
        assert_eq!(nist_oscal_id("CM-3"), "cm-3");
        assert_eq!(nist_oscal_id("SA-11(1)"), "sa-11.1");
        assert_eq!(nist_oscal_id("SI-7(15)"), "si-7.15");
        assert_eq!(nist_800_53("nist-800-53", "RA-5"), vec!["ra-5"]);
        assert_eq!(nist_800_53("fedramp", "AU-9(3)"), vec!["au-9.3"]);
        assert!(nist_800_53("soc2", "CC8.1").is_empty());
    }

    #[test]
    fn other_frameworks_become_tokens() {
        let token = |id: &str| {
            let mut chars = id.chars();
            let first = chars.next().unwrap();
            (first.is_alphabetic() || first == '_')
                && chars.all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'))
        };
        let cases = [
            ("soc2", "CC8.1", "soc2_cc8.1"),
            ("pci-dss", "6.2.3.1", "pci-dss_6.2.3.1"),
            ("hipaa", "164.308(a)(1)(ii)(A)", "hipaa_164.308.a.1.ii.a"),
            ("iso27001", "8.32", "iso27001_8.32"),
            ("nist-800-53", "CM-3", "cm-3"),
            ("9lives", "A 1", "_9lives_a.1"),
        ];
        for (framework, control, expected) in cases {
            let id = oscal_control_id(framework, control);
            assert_eq!(id, expected);
            assert!(token(&id), "{id} is not an OSCAL token");
        }
    }
}
