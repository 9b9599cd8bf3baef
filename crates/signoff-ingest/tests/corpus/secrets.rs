//! A5/R4: for every corpus file the manifest says contains secrets, no secret value
//! (collected here from the original document's secret fields) is in the bytes to
//! store or in any finding, and the redactions are counted.

use serde_json::Value;
use signoff_core::Finding;
use signoff_ingest::{Options, parse_path};

use super::{corpus, manifest};

/// The secret values of a report, from the fields the scanners put them in:
/// Gitleaks' `offender`/`Secret`/`Match`/`line`/`Line`, SARIF's
/// `properties.offender`/`Secret`/`Match` and `region.snippet.text`, Trivy's
/// `Secrets[].Match` and its code lines.
fn secrets_in(value: &Value, under_secret_key: bool, found: &mut Vec<String>) {
    match value {
        Value::String(text) if under_secret_key && !text.is_empty() => found.push(text.clone()),
        Value::Array(items) => items.iter().for_each(|item| secrets_in(item, under_secret_key, found)),
        Value::Object(map) => {
            for (key, member) in map {
                let secret_key =
                    matches!(key.to_ascii_lowercase().as_str(), "offender" | "secret" | "match" | "line" | "snippet");
                let trivy_secrets = key == "Secrets";
                if trivy_secrets {
                    for entry in member.as_array().into_iter().flatten() {
                        secrets_in(entry.get("Match").unwrap_or(&Value::Null), true, found);
                        secrets_in(entry.get("Code").unwrap_or(&Value::Null), true, found);
                    }
                } else {
                    secrets_in(member, under_secret_key || secret_key, found);
                }
            }
        }
        _ => {}
    }
}

#[test]
fn secrets_never_reach_the_stored_bytes_or_findings() {
    let Some(corpus) = corpus() else { return };
    let rows: Vec<_> = manifest(&corpus).into_iter().filter(|row| row.notes.contains("contains secret")).collect();
    assert!(rows.len() >= 5, "expected the corpus's secrets reports, found {}", rows.len());
    for row in rows {
        let path = corpus.join(&row.path);
        let original: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let mut secrets = Vec::new();
        secrets_in(&original, false, &mut secrets);
        assert!(!secrets.is_empty(), "{}: no secret values found to check", row.path);

        let options = Options { redaction_key: [42; 32], ..Options::default() };
        let mut findings: Vec<Finding> = Vec::new();
        let parsed = parse_path(&path, &row.path, &options, &mut findings).unwrap_or_else(|error| panic!("{error}"));
        assert!(parsed.redacted > 0, "{}: nothing redacted", row.path);
        let stored =
            String::from_utf8(parsed.stored.clone().unwrap_or_else(|| panic!("{}: no redacted bytes", row.path)))
                .unwrap();
        let findings_text = format!("{findings:?}");
        for secret in &secrets {
            // Redaction tokens are not secrets; trivially short values (Trivy's masked
            // `*****`) could match anywhere.
            if secret.starts_with("redacted:") || secret.chars().filter(|c| c.is_alphanumeric()).count() < 4 {
                continue;
            }
            assert!(!stored.contains(secret.as_str()), "{}: {secret:?} is in the stored bytes", row.path);
            assert!(!findings_text.contains(secret.as_str()), "{}: {secret:?} is in a finding", row.path);
        }
        // The stored bytes are the same report, minus the secrets.
        let again = signoff_ingest::parse_bytes(stored.as_bytes(), &row.path, &options, &mut Vec::new()).unwrap();
        assert_eq!((again.format, again.summary.clone()), (parsed.format, parsed.summary.clone()), "{}", row.path);
        assert_eq!(again.redacted, 0, "{}: redacting twice changed something", row.path);
    }
}
