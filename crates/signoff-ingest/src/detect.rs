//! Format detection from content: the first bytes of a file decide, never its name.
//!
//! - **XML** by the root element: `testsuites`/`testsuite` JUnit, `coverage`
//!   Cobertura, `report` JaCoCo, `bom` CycloneDX, `OWASPZAPReport` ZAP.
//! - **LCOV** by its first line: `TN:` or `SF:`.
//! - **JSON** by an outline of the head: the top-level keys, short top-level string
//!   values, the keys of top-level objects and the keys of the first element of
//!   top-level arrays (of the first element, for a top-level array). The outline
//!   stops where the head (or the document) stops, so a key after a huge array is
//!   not seen: the rules therefore also recognise formats by the first element of
//!   their big arrays (a Grype `matches` entry, an npm 6 `actions` entry).
//!
//! Overlaps are settled in a fixed order, most specific first: SARIF (`runs`),
//! in-toto (DSSE `payloadType` or a Statement's `_type`) before anything that may
//! be inside a payload, CycloneDX (`bomFormat`, whoever wrote it: Trivy and Grype
//! CycloneDX is CycloneDX), SPDX, then the vendor formats. Semgrep JSON has
//! `results` with `check_id` entries (or `errors`), OSV-Scanner `results` with
//! `packages`/`source`; a list of GitHub reviews has `state` and
//! `pull_request_url`, review comments `pull_request_review_id` and `diff_hunk`.
//! A JSON `null` or an empty array is valid output of several tools (Trivy and
//! Gitleaks write `null` for "nothing found") and cannot be told apart: it needs
//! `--format`.

use quick_xml::Reader;
use quick_xml::events::Event;
use signoff_core::Format;

use crate::json_scan::{JsonScanner, ScanResult};

/// How many bytes detection looks at.
pub const HEAD_SIZE: usize = 64 * 1024;

/// What the start of a file looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detected {
    /// A format signoff reads.
    Format(Format),
    /// Nothing but whitespace (or a byte order mark).
    Empty,
    /// Something else; says what it looked like.
    Unknown(String),
}

/// Detects the format of a file from its first [`HEAD_SIZE`] bytes.
pub fn detect(head: &[u8]) -> Detected {
    let Some(body) = content(head) else {
        return Detected::Empty;
    };
    match body[0] {
        b'<' => detect_xml(body),
        b'{' | b'[' | b'n' => detect_json(body),
        _ if is_lcov(body) => Detected::Format(Format::Lcov),
        _ => Detected::Unknown(format!("not JSON, XML or LCOV (it starts with {:?})", preview(body))),
    }
}

/// The head without a byte order mark and leading whitespace; `None` if nothing
/// is left.
fn content(head: &[u8]) -> Option<&[u8]> {
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = body.iter().position(|byte| !byte.is_ascii_whitespace())?;
    Some(&body[start..])
}

/// The encoding of a head written in UTF-16 or UTF-32, by its byte order mark or,
/// without one, by the zero bytes ASCII text has in those encodings.
pub(crate) fn utf16_or_32(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"\xFF\xFE\0\0") {
        return Some("UTF-32LE");
    }
    if head.starts_with(b"\0\0\xFE\xFF") {
        return Some("UTF-32BE");
    }
    if head.starts_with(b"\xFF\xFE") {
        return Some("UTF-16LE");
    }
    if head.starts_with(b"\xFE\xFF") {
        return Some("UTF-16BE");
    }
    // No mark: ASCII in UTF-16 has a zero byte in every other position.
    match head {
        [a, 0, b, 0, ..] if *a != 0 && *b != 0 => Some("UTF-16LE"),
        [0, a, 0, b, ..] if *a != 0 && *b != 0 => Some("UTF-16BE"),
        _ => None,
    }
}

/// Whether the head starts like a JSON document (for `--kind` on an unknown one).
pub(crate) fn looks_like_json(head: &[u8]) -> bool {
    content(head).is_some_and(|body| matches!(body[0], b'{' | b'[' | b'n'))
}

fn preview(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(24)]).into_owned();
    text.lines().next().unwrap_or("").to_owned()
}

fn is_lcov(body: &[u8]) -> bool {
    let first = body.split(|byte| *byte == b'\n').next().unwrap_or(b"");
    first.starts_with(b"TN:") || first.starts_with(b"SF:")
}

fn detect_xml(body: &[u8]) -> Detected {
    let mut reader = Reader::from_reader(body);
    let mut buffer = Vec::new();
    loop {
        match reader.read_event_into(&mut buffer) {
            Ok(Event::Start(element) | Event::Empty(element)) => {
                let name = element.local_name().as_ref().to_owned();
                return match name.as_str() {
                    "testsuites" | "testsuite" => Detected::Format(Format::Junit),
                    "coverage" => Detected::Format(Format::Cobertura),
                    "report" => Detected::Format(Format::Jacoco),
                    "bom" => Detected::Format(Format::Cyclonedx),
                    "OWASPZAPReport" => Detected::Format(Format::Zap),
                    _ => Detected::Unknown(format!("an XML document with root element <{name}>")),
                };
            }
            Ok(Event::Eof) => return Detected::Unknown("an XML document without elements".into()),
            Err(_) => return Detected::Unknown("malformed XML".into()),
            Ok(_) => buffer.clear(),
        }
    }
}

/// What the head of a JSON document shows.
#[derive(Debug, Default)]
struct Outline {
    /// The top-level value is an array (its first element is outlined as `keys`).
    array: bool,
    /// The top-level value is `null`.
    null: bool,
    /// A top-level array with no elements.
    empty_array: bool,
    keys: Vec<String>,
    /// Top-level members with string values.
    strings: Vec<(String, String)>,
    /// Keys of top-level objects, and of the first element of top-level arrays.
    children: Vec<(String, Vec<String>)>,
}

impl Outline {
    fn has(&self, key: &str) -> bool {
        self.keys.iter().any(|candidate| candidate == key)
    }

    fn string(&self, key: &str) -> Option<&str> {
        self.strings.iter().find(|(name, _)| name == key).map(|(_, value)| value.as_str())
    }

    fn child_has(&self, key: &str, child: &str) -> bool {
        self.children.iter().any(|(name, keys)| name == key && keys.iter().any(|candidate| candidate == child))
    }
}

fn outline(body: &[u8]) -> Outline {
    let mut outline = Outline::default();
    let mut scanner = JsonScanner::new(body, body.len());
    // A truncated head simply ends the outline.
    let _ = fill_outline(&mut scanner, &mut outline);
    outline
}

fn fill_outline(scanner: &mut JsonScanner<&[u8]>, outline: &mut Outline) -> ScanResult<()> {
    match scanner.peek_value()? {
        Some(b'n') => {
            scanner.skip_value()?;
            outline.null = true;
            return Ok(());
        }
        Some(b'[') => {
            outline.array = true;
            scanner.begin_array()?;
            if !scanner.next_element()? {
                outline.empty_array = true;
                return Ok(());
            }
            if scanner.peek_value()? == Some(b'{') {
                return object_keys_into(scanner, &mut outline.keys);
            }
            return Ok(());
        }
        Some(b'{') => {}
        _ => return Ok(()),
    }
    scanner.begin_object()?;
    while let Some(key) = scanner.next_key()? {
        outline.keys.push(key.clone());
        match scanner.peek_value()? {
            Some(b'"') => {
                let mut value = scanner.read_string()?;
                value.truncate(value.floor_char_boundary(256));
                outline.strings.push((key, value));
            }
            Some(b'{') => {
                outline.children.push((key, Vec::new()));
                if let Some((_, keys)) = outline.children.last_mut() {
                    object_keys_into(scanner, keys)?;
                }
            }
            Some(b'[') => {
                scanner.begin_array()?;
                let mut first = true;
                while scanner.next_element()? {
                    if first && scanner.peek_value()? == Some(b'{') {
                        outline.children.push((key.clone(), Vec::new()));
                        if let Some((_, keys)) = outline.children.last_mut() {
                            object_keys_into(scanner, keys)?;
                        }
                    } else {
                        scanner.skip_value()?;
                    }
                    first = false;
                }
            }
            _ => scanner.skip_value()?,
        }
    }
    Ok(())
}

/// The keys of the object about to be read, pushed as they are seen (so a
/// truncated object still shows its first keys).
fn object_keys_into(scanner: &mut JsonScanner<&[u8]>, keys: &mut Vec<String>) -> ScanResult<()> {
    scanner.begin_object()?;
    while let Some(key) = scanner.next_key()? {
        keys.push(key);
        scanner.skip_value()?;
    }
    Ok(())
}

/// Top-level keys of a JSON object, as far as the head shows them.
#[cfg(test)]
pub(crate) fn object_keys(body: &[u8]) -> Vec<String> {
    outline(body).keys
}

fn detect_json(body: &[u8]) -> Detected {
    let outline = outline(body);
    if let Some(format) = classify(&outline) {
        return Detected::Format(format);
    }
    if outline.null {
        return Detected::Unknown(
            "the JSON literal null, which several tools write for \"nothing found\" (Trivy and Gitleaks among them)"
                .into(),
        );
    }
    if outline.empty_array {
        return Detected::Unknown("an empty JSON array".into());
    }
    if outline.keys.is_empty() {
        return Detected::Unknown(if outline.array {
            "a JSON array that does not start with an object".into()
        } else {
            "a JSON object without keys, or malformed JSON".into()
        });
    }
    let mut shown: Vec<&str> = outline.keys.iter().take(6).map(String::as_str).collect();
    if outline.keys.len() > 6 {
        shown.push("...");
    }
    let what = if outline.array { "a JSON array of objects with keys" } else { "a JSON object with keys" };
    Detected::Unknown(format!("{what} {}", shown.join(", ")))
}

fn classify(outline: &Outline) -> Option<Format> {
    if outline.array {
        return classify_array(outline);
    }
    let has = |key: &str| outline.has(key);
    let child = |key: &str, child: &str| outline.child_has(key, child);
    if has("runs") {
        return Some(Format::Sarif);
    }
    // in-toto: a DSSE envelope of an in-toto payload, a bare Statement, or a
    // Sigstore bundle around an envelope.
    if let Some(payload_type) = outline.string("payloadType") {
        return payload_type.contains("in-toto").then_some(Format::InToto);
    }
    if outline.string("_type").is_some_and(|kind| kind.contains("in-toto.io/Statement"))
        || (has("predicateType") && has("subject"))
        || (has("dsseEnvelope") && outline.string("mediaType").is_some_and(|media| media.contains("sigstore.bundle")))
    {
        return Some(Format::InToto);
    }
    if outline.string("bomFormat").is_some_and(|name| name.eq_ignore_ascii_case("CycloneDX"))
        || outline.string("$schema").is_some_and(|schema| schema.contains("cyclonedx"))
    {
        return Some(Format::Cyclonedx);
    }
    // SPDX by its version, or, where a writer sorted the keys and `spdxVersion`
    // comes after the file and package lists, by the document's SPDX identifier.
    if has("spdxVersion")
        || outline.string("SPDXID").is_some_and(|id| id == "SPDXRef-DOCUMENT")
        || (has("SPDXID") && (has("creationInfo") || has("dataLicense")))
        || child("files", "SPDXID")
        || child("packages", "SPDXID")
    {
        return Some(Format::Spdx);
    }
    if (has("SchemaVersion") && (has("ArtifactName") || has("Results") || has("ArtifactType")))
        || has("ClusterName")
        || (has("Results") && child("Results", "Target"))
    {
        return Some(Format::Trivy);
    }
    if has("matches")
        && (has("descriptor") || has("distro") || child("matches", "vulnerability") || child("matches", "artifact"))
    {
        return Some(Format::Grype);
    }
    if has("check_type") || (has("checkov_version") && has("failed")) || child("summary", "checkov_version") {
        return Some(Format::Checkov);
    }
    if has("site") && (has("@version") || has("@programName") || has("@generated") || child("site", "alerts")) {
        return Some(Format::Zap);
    }
    for list in ["alerts", "vulnerabilities"] {
        if child(list, "pluginId") || child(list, "pluginid") || (child(list, "alertRef") && child(list, "risk")) {
            return Some(Format::Zap);
        }
    }
    if has("auditReportVersion")
        || (has("advisories") && (has("actions") || has("muted") || has("metadata")))
        || (child("actions", "resolves") && child("actions", "module"))
        || (outline.keys.len() == 1 && child("error", "code") && child("error", "summary"))
    {
        return Some(Format::NpmAudit);
    }
    if has("results") {
        if has("errors") || child("results", "check_id") {
            return Some(Format::Semgrep);
        }
        if has("experimental_config") || child("results", "packages") || child("results", "source") {
            return Some(Format::OsvScanner);
        }
    }
    if has("approved_by")
        && (has("approvals_required") || has("approvals_left") || has("user_has_approved") || has("approved"))
        || (has("approval_rules_overwritten") && has("rules"))
    {
        return Some(Format::GitlabMr);
    }
    let pull_request =
        has("number") && has("user") && (has("diff_url") || has("merge_commit_sha") || (has("head") && has("base")));
    let webhook = has("pull_request") && (has("action") || has("review"));
    let review = has("pull_request_url") && has("state") && has("user");
    if pull_request || webhook || review {
        return Some(Format::GithubPr);
    }
    None
}

fn classify_array(outline: &Outline) -> Option<Format> {
    let has = |key: &str| outline.has(key);
    if has("check_type") {
        return Some(Format::Checkov);
    }
    if has("Target") && (has("Vulnerabilities") || has("Type") || has("Class")) {
        return Some(Format::Trivy);
    }
    if (has("offender") && has("rule")) || (has("RuleID") && (has("Secret") || has("Match"))) {
        return Some(Format::Gitleaks);
    }
    if (has("pull_request_review_id") && has("diff_hunk"))
        || (has("state") && has("user") && (has("pull_request_url") || has("submitted_at")))
    {
        return Some(Format::GithubPr);
    }
    if has("pluginId") || (has("alertRef") && has("risk")) {
        return Some(Format::Zap);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format(text: &str) -> Option<Format> {
        match detect(text.as_bytes()) {
            Detected::Format(format) => Some(format),
            _ => None,
        }
    }

    #[test]
    fn detects_by_content() {
        assert_eq!(detect(b"\xEF\xBB\xBF  {\"version\": \"2.1.0\", \"runs\": []}"), Detected::Format(Format::Sarif));
        assert_eq!(detect(b"<?xml version=\"1.0\"?>\n<!-- x -->\n<testsuites>"), Detected::Format(Format::Junit));
        assert_eq!(detect(b"<testsuite name=\"a\"/>"), Detected::Format(Format::Junit));
        assert_eq!(detect(b" \n\t"), Detected::Empty);
        assert_eq!(detect(b""), Detected::Empty);
        assert!(matches!(detect(b"{\"a\": 1, \"b\": 2}"), Detected::Unknown(text) if text.contains("keys a, b")));
        assert!(matches!(detect(b"hello"), Detected::Unknown(text) if text.contains("not JSON, XML or LCOV")));
        assert!(matches!(detect(b"<html><body/></html>"), Detected::Unknown(text) if text.contains("<html>")));
        assert!(matches!(detect(b"null"), Detected::Unknown(text) if text.contains("null")));
        assert!(matches!(detect(b"[]"), Detected::Unknown(text) if text.contains("empty")));
    }

    #[test]
    fn truncated_heads_still_detect() {
        let mut sarif = b"{\"runs\": [{\"results\": [".to_vec();
        sarif.extend(std::iter::repeat_n(b' ', 10));
        assert_eq!(detect(&sarif), Detected::Format(Format::Sarif));
        // Only the start of Grype's first match is in the head.
        assert_eq!(format(r#"{"matches": [{"vulnerability": {"id": "CVE-1"#), Some(Format::Grype));
    }

    #[test]
    fn xml_roots() {
        let doctype = "<?xml version=\"1.0\"?>\n<!DOCTYPE coverage SYSTEM \"http://cobertura.sourceforge.net/xml/coverage-04.dtd\">\n";
        assert_eq!(format(&format!("{doctype}<coverage line-rate=\"1\">")), Some(Format::Cobertura));
        assert_eq!(
            format("<!DOCTYPE report PUBLIC \"-//JACOCO//DTD Report 1.1//EN\" \"report.dtd\"><report name=\"x\">"),
            Some(Format::Jacoco)
        );
        assert_eq!(
            format("<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\" version=\"1\">"),
            Some(Format::Cyclonedx)
        );
        assert_eq!(format("<?xml version=\"1.0\"?><OWASPZAPReport version=\"2.9.0\">"), Some(Format::Zap));
    }

    #[test]
    fn lcov() {
        assert_eq!(format("TN:\nSF:/src/a.js\nDA:1,1\nend_of_record\n"), Some(Format::Lcov));
        assert_eq!(format("SF:a.c\n"), Some(Format::Lcov));
    }

    #[test]
    fn vendor_json() {
        let cases = [
            (r#"{"SchemaVersion": 2, "ArtifactName": "alpine", "Results": []}"#, Format::Trivy),
            (r#"[{"Target": "alpine (alpine 3.10)", "Type": "alpine", "Vulnerabilities": []}]"#, Format::Trivy),
            (r#"{"ClusterName": "k", "Resources": []}"#, Format::Trivy),
            (r#"{"matches": [], "source": {}, "distro": {}, "descriptor": {"name": "grype"}}"#, Format::Grype),
            (r#"[{"Description": "AWS", "Secret": "x", "RuleID": "aws"}]"#, Format::Gitleaks),
            (r#"[{"line": "x", "offender": "y", "rule": "AWS"}]"#, Format::Gitleaks),
            (r#"{"results": [], "errors": []}"#, Format::Semgrep),
            (r#"{"version": "1.97.0", "results": [{"check_id": "a"}]}"#, Format::Semgrep),
            (r#"{"check_type": "terraform", "results": {}}"#, Format::Checkov),
            (r#"[{"check_type": "terraform"}, {"check_type": "dockerfile"}]"#, Format::Checkov),
            (r#"{"passed": 0, "failed": 0, "skipped": 0, "checkov_version": "2.0.1"}"#, Format::Checkov),
            (r#"{"@programName": "ZAP", "@version": "2.14.0", "site": []}"#, Format::Zap),
            (r#"{"alerts": [{"pluginId": "10038", "risk": "Medium", "url": "https://x"}]}"#, Format::Zap),
            (r#"{"vulnerabilities": [{"alertRef": "1", "risk": "High"}]}"#, Format::Zap),
            (r#"{"auditReportVersion": 2, "vulnerabilities": {}}"#, Format::NpmAudit),
            (r#"{"actions": [], "advisories": {}, "muted": [], "metadata": {}}"#, Format::NpmAudit),
            (r#"{"error": {"code": "ENOAUDIT", "summary": "x", "detail": ""}}"#, Format::NpmAudit),
            (r#"{"results": [{"source": {"path": "a"}, "packages": []}]}"#, Format::OsvScanner),
            (r#"{"bomFormat": "CycloneDX", "specVersion": "1.5"}"#, Format::Cyclonedx),
            (
                r#"{"$schema": "http://cyclonedx.org/schema/bom-1.4.schema.json", "bomFormat": "CycloneDX"}"#,
                Format::Cyclonedx,
            ),
            (r#"{"spdxVersion": "SPDX-2.3", "packages": []}"#, Format::Spdx),
            // Keys sorted (as by json.dump(sort_keys=True)), the head cut before
            // spdxVersion, which comes last.
            (
                r#"{"SPDXID": "SPDXRef-DOCUMENT", "creationInfo": {"creators": ["Tool: x"]}, "files": [{"SPDXID": "SPDXRef-File-1", "fileName": "./a"}]"#,
                Format::Spdx,
            ),
            (r#"{"url": "u", "id": 1, "diff_url": "d", "number": 4, "user": {}}"#, Format::GithubPr),
            (r#"{"action": "submitted", "review": {}, "pull_request": {}}"#, Format::GithubPr),
            (r#"[{"id": 1, "user": {}, "state": "APPROVED", "pull_request_url": "u"}]"#, Format::GithubPr),
            (r#"[{"pull_request_review_id": 1, "diff_hunk": "@@", "user": {}}]"#, Format::GithubPr),
            (r#"{"id": 1, "user": {}, "state": "PENDING", "pull_request_url": "u"}"#, Format::GithubPr),
            (r#"{"id": 5, "iid": 5, "approvals_required": 2, "approved_by": []}"#, Format::GitlabMr),
            (r#"{"payloadType": "application/vnd.in-toto+json", "payload": "e30=", "signatures": []}"#, Format::InToto),
            (r#"{"_type": "https://in-toto.io/Statement/v1", "subject": []}"#, Format::InToto),
        ];
        for (text, expected) in cases {
            assert_eq!(format(text), Some(expected), "{text}");
        }
    }

    #[test]
    fn overlaps_resolve_to_the_specific_format() {
        // Trivy's and Grype's CycloneDX output is CycloneDX.
        assert_eq!(
            format(r#"{"$schema": "x", "bomFormat": "CycloneDX", "metadata": {"tools": [{"name": "trivy"}]}}"#),
            Some(Format::Cyclonedx)
        );
        // Semgrep's SARIF is SARIF.
        assert_eq!(
            format(r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Semgrep"}}, "results": []}]}"#),
            Some(Format::Sarif)
        );
        // A DSSE envelope of something else is not in-toto.
        assert!(matches!(
            detect(br#"{"payloadType": "text/plain", "payload": "aGk=", "signatures": []}"#),
            Detected::Unknown(_)
        ));
        // Generic arrays and objects stay unknown.
        assert!(matches!(detect(br#"[{"state": "open", "title": "x"}]"#), Detected::Unknown(_)));
        assert!(matches!(detect(br#"{"results": [{"name": "x"}]}"#), Detected::Unknown(_)));
        assert_eq!(object_keys(br#"{"a": {"b": 1}, "c": [1]}"#), ["a", "c"]);
    }
}
