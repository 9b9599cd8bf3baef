//! Advisory and weakness ids found in free text: `CVE-2021-44228`,
//! `GHSA-jfh8-c2jp-5v3q`, `CWE-79` (also written `cwe-079` or
//! `external/cwe/cwe-079`).

/// CVE and GHSA ids in `text`, in order, without repeats.
pub(crate) fn advisory_ids(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let bytes = text.as_bytes();
    // Most texts (rule ids, titles) name no advisory: answer those without copying.
    let names = |prefix: &[u8]| bytes.windows(prefix.len()).any(|window| window.eq_ignore_ascii_case(prefix));
    if !names(b"CVE-") && !names(b"GHSA-") {
        return found;
    }
    let upper = text.to_ascii_uppercase();
    let mut push = |id: String| {
        if !found.contains(&id) {
            found.push(id);
        }
    };
    for (start, _) in upper.match_indices("CVE-") {
        let rest = &bytes[start + 4..];
        let year = rest.iter().take_while(|byte| byte.is_ascii_digit()).count();
        if year != 4 || rest.get(4) != Some(&b'-') {
            continue;
        }
        let number = rest[5..].iter().take_while(|byte| byte.is_ascii_digit()).count();
        if number >= 4 {
            push(upper[start..start + 9 + number].to_owned());
        }
    }
    for (start, _) in upper.match_indices("GHSA-") {
        let candidate = text.get(start..start + 19).unwrap_or("");
        let groups: Vec<&str> = candidate.get(5..).unwrap_or("").split('-').collect();
        if groups.len() == 3
            && groups.iter().all(|group| group.len() == 4 && group.bytes().all(|b| b.is_ascii_alphanumeric()))
        {
            push(format!("GHSA-{}", candidate[5..].to_ascii_lowercase()));
        }
    }
    found
}

/// CWE ids in `text`, normalised to `CWE-<number>` without leading zeros.
pub(crate) fn cwe_ids(text: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let mut found: Vec<String> = Vec::new();
    for (start, _) in lower.match_indices("cwe") {
        let rest = &lower.as_bytes()[start + 3..];
        let skip = rest.iter().take_while(|byte| matches!(byte, b'-' | b'_' | b':' | b' ')).count();
        let digits = rest[skip..].iter().take_while(|byte| byte.is_ascii_digit()).count();
        if digits == 0 || digits > 6 {
            continue;
        }
        let number: u32 = lower[start + 3 + skip..start + 3 + skip + digits].parse().unwrap_or(0);
        let id = format!("CWE-{number}");
        if number > 0 && !found.contains(&id) {
            found.push(id);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advisories() {
        assert_eq!(advisory_ids("CVE-2021-44228 in log4j, also cve-2019-10086"), ["CVE-2021-44228", "CVE-2019-10086"]);
        assert_eq!(advisory_ids("GHSA-JFH8-C2JP-5V3Q"), ["GHSA-jfh8-c2jp-5v3q"]);
        assert!(advisory_ids("CVE-21-1 and CVE-2021-12").is_empty());
    }

    #[test]
    fn weaknesses() {
        assert_eq!(cwe_ids("external/cwe/cwe-079"), ["CWE-79"]);
        assert_eq!(cwe_ids("CWE-89: Improper Neutralization; CWE-89"), ["CWE-89"]);
        assert!(cwe_ids("cwe").is_empty());
    }
}
