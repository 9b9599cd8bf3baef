//! The shared corpus (`../shared/corpus`, or `SIGNOFF_CORPUS`): every file either
//! parses, with the counts the producing tool itself reports or that we counted by
//! other means, or, where MANIFEST.tsv says it is malformed, empty or an error
//! object, fails with an error that names the file, the format and the place.
//! Without a corpus the tests say so and pass.
//!
//! This is the crate's one integration-test binary; its modules:
//! - `manifest`: the whole MANIFEST, file by file;
//! - `secrets`: no secret of a secrets report reaches the stored bytes or a finding;
//! - `robustness`: random and mutated inputs never make a parser panic;
//! - `hostile`: documented limits, special files, growing files, encodings.

// Helpers outside `#[test]` functions panic too: here a panic is a test failure.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

// The modules live in `corpus/` so that cargo does not build each as a binary of its own.
#[path = "corpus/hostile.rs"]
mod hostile;
#[path = "corpus/manifest.rs"]
mod manifest;
#[path = "corpus/robustness.rs"]
mod robustness;
#[path = "corpus/secrets.rs"]
mod secrets;

use std::path::PathBuf;

use signoff_core::{Finding, Format};
use signoff_ingest::{Discard, IngestErrorKind, Options, Place, parse_path};

pub(crate) struct Row {
    pub(crate) path: String,
    pub(crate) format: String,
    pub(crate) notes: String,
}

/// The corpus folder, or `None` (with a message) where this checkout has none.
pub(crate) fn corpus() -> Option<PathBuf> {
    let path = std::env::var_os("SIGNOFF_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    if path.join("MANIFEST.tsv").is_file() {
        Some(path)
    } else {
        eprintln!("skipping: no corpus at {} (set SIGNOFF_CORPUS)", path.display());
        None
    }
}

pub(crate) fn manifest(corpus: &std::path::Path) -> Vec<Row> {
    let text = std::fs::read_to_string(corpus.join("MANIFEST.tsv")).unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            let columns: Vec<&str> = line.split('\t').collect();
            Row {
                path: columns[0].into(),
                format: columns[1].into(),
                notes: columns.get(6).copied().unwrap_or("").into(),
            }
        })
        .collect()
}

/// The "N result(s)" the manifest records for a SARIF file (counted by its authors).
fn manifest_results(notes: &str) -> Option<u64> {
    let end = notes.find(" result(s)")?;
    let start = notes[..end].rfind(|c: char| !c.is_ascii_digit()).map_or(0, |index| index + 1);
    notes[start..end].parse().ok()
}

#[test]
fn sarif_files_capture_with_the_manifest_result_counts() {
    let Some(corpus) = corpus() else { return };
    let rows: Vec<Row> = manifest(&corpus).into_iter().filter(|row| row.format == "sarif").collect();
    assert!(rows.len() >= 20, "expected the corpus's SARIF files, found {}", rows.len());
    for row in rows {
        let path = corpus.join(&row.path);
        let mut findings: Vec<Finding> = Vec::new();
        let parsed = parse_path(&path, &row.path, &Options::default(), &mut findings)
            .unwrap_or_else(|error| panic!("{}: {error}", row.path));
        assert_eq!(parsed.format, Format::Sarif);
        let counts = parsed.summary.findings.expect("a SARIF summary counts findings");
        let expected = manifest_results(&row.notes).unwrap_or_else(|| panic!("{}: no result count in notes", row.path));
        assert_eq!(counts.total, expected, "{}", row.path);
        assert_eq!(findings.len() as u64, expected, "{}", row.path);
        assert_eq!(
            counts.critical + counts.high + counts.medium + counts.low + counts.info,
            counts.total,
            "{}",
            row.path
        );
        assert!(!parsed.tool.name.is_empty() && parsed.tool.name != "unknown", "{}", row.path);
        // Two different results never share a fingerprint.
        let mut fingerprints: Vec<_> = findings.iter().map(|finding| finding.fingerprint).collect();
        fingerprints.sort();
        fingerprints.dedup();
        assert_eq!(fingerprints.len(), findings.len(), "{}: fingerprints collide", row.path);
    }
}

/// Test counts a JUnit root element states about itself (`tests=`, `failures=`, ...).
/// `tests` and, where stated, `failures`, `errors` and `skipped`.
type StatedCounts = (u64, Option<u64>, Option<u64>, Option<u64>);

fn stated_counts(text: &str) -> Option<StatedCounts> {
    let root_start = text.find("<testsuites").or_else(|| text.find("<testsuite"))?;
    let root_end = root_start + text[root_start..].find('>')?;
    let root = &text[root_start..root_end];
    let attribute = |name: &str| -> Option<u64> {
        let key = format!(" {name}=");
        let at = root.find(&key)? + key.len();
        let quote = root[at..].chars().next()?;
        let rest = &root[at + 1..];
        rest[..rest.find(quote)?].parse().ok()
    };
    Some((attribute("tests")?, attribute("failures"), attribute("errors"), attribute("skipped")))
}

#[test]
fn junit_files_capture_with_the_counts_they_state() {
    let Some(corpus) = corpus() else { return };
    let rows: Vec<Row> = manifest(&corpus).into_iter().filter(|row| row.format == "junit-xml").collect();
    assert!(rows.len() >= 10);
    let mut checked_against_stated = 0;
    for row in rows {
        let path = corpus.join(&row.path);
        let result = parse_path(&path, &row.path, &Options::default(), &mut Discard);
        if row.notes.contains("malformed") {
            let error = result.expect_err(&row.path);
            let message = error.to_string();
            assert!(message.starts_with(&format!("{}: junit: line ", row.path)), "{message}");
            assert!(matches!(error.kind, IngestErrorKind::Syntax { .. }), "{message}");
            // The manifest names the place: "line 18, column 25".
            if let Some(Place::LineColumn { line, .. }) = error.place {
                assert_eq!(line, 18, "{message}");
            }
            continue;
        }
        let parsed = result.unwrap_or_else(|error| panic!("{}: {error}", row.path));
        let tests = parsed.summary.tests.expect("a JUnit summary counts tests");
        assert_eq!(tests.passed + tests.failed + tests.errored + tests.skipped, tests.total, "{}", row.path);
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        let testcases = text.matches("<testcase ").count()
            + text.matches("<testcase>").count()
            + text.matches("<testcase/>").count();
        assert_eq!(tests.total, testcases as u64, "{}", row.path);
        if let Some((total, failures, errors, skipped)) = stated_counts(&text)
            && total == testcases as u64
        {
            // Compare what the root states; a root that leaves a count out says nothing about it.
            let stated = [(failures, tests.failed), (errors, tests.errored), (skipped, tests.skipped)];
            for (stated, counted) in stated {
                if let Some(stated) = stated {
                    assert_eq!(counted, stated, "{}", row.path);
                }
            }
            checked_against_stated += 1;
        }
    }
    assert!(checked_against_stated >= 5, "only {checked_against_stated} files stated usable counts");
}
