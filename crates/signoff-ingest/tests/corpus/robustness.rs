//! R3: no input makes a parser panic. Random bytes, random bytes behind each
//! format's opening, and corpus files mutated (truncated at random points, bytes
//! flipped, a slice duplicated) go through `parse_path` and `parse_bytes`, detected
//! and with every format forced. The cases are few hundred so the test takes
//! seconds; `fuzz/` runs the same entry point for as long as one wants.

use proptest::prelude::*;
use signoff_core::Format;
use signoff_ingest::{Discard, Options, parse_bytes, parse_path};

use super::{corpus, manifest};

/// Parses `bytes` detected and as every format; only panics matter here.
fn parse_every_way(bytes: &[u8]) {
    let _ = parse_bytes(bytes, "input", &Options::default(), &mut Discard);
    for format in Format::ALL {
        let options = Options { format: Some(*format), ..Options::default() };
        let _ = parse_bytes(bytes, "input", &options, &mut Discard);
    }
}

/// Cases per property: 64 in the test suite; a fuzz campaign sets
/// `SIGNOFF_FUZZ_CASES` (docs/fuzzing.md).
fn cases() -> u32 {
    std::env::var("SIGNOFF_FUZZ_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(64)
}

const OPENINGS: &[&str] = &[
    "{\"runs\": [{\"tool\": {\"driver\": {\"name\": \"gitleaks\"}}, \"results\": [",
    "{\"SchemaVersion\": 2, \"Results\": [{\"Target\": \"a\", \"Secrets\": [",
    "{\"matches\": [{\"vulnerability\": ",
    "[{\"RuleID\": \"a\", \"Secret\": ",
    "{\"bomFormat\": \"CycloneDX\", \"components\": [",
    "<?xml version=\"1.0\"?><coverage><packages><package><classes><class><lines><line ",
    "<report name=\"x\"><counter type=\"LINE\" ",
    "<bom><components><component><name>",
    "<OWASPZAPReport><site><alerts><alertitem>",
    "TN:\nSF:a\nDA:",
    "{\"payloadType\": \"application/vnd.in-toto+json\", \"payload\": \"",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        parse_every_way(&bytes);
    }

    #[test]
    fn random_tails_after_real_openings_never_panic(opening in 0..OPENINGS.len(), tail in "[\\[\\]{}\",:0-9a-zA-Z <>/=\\\\\n-]{0,200}") {
        let mut bytes = OPENINGS[opening].as_bytes().to_vec();
        bytes.extend_from_slice(tail.as_bytes());
        parse_every_way(&bytes);
    }
}

/// A small deterministic generator, so a failure reproduces.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, bound: usize) -> usize {
        if bound == 0 { 0 } else { (self.next() % bound as u64) as usize }
    }
}

#[test]
fn mutated_corpus_files_never_panic() {
    let Some(corpus) = corpus() else { return };
    let mut random = Lcg(0x0516_70ff);
    let directory = tempfile::tempdir().unwrap();
    let mut cases = 0;
    for row in manifest(&corpus) {
        let bytes = std::fs::read(corpus.join(&row.path)).unwrap();
        // Big files cost time without finding more.
        if bytes.is_empty() || bytes.len() > 256 * 1024 {
            continue;
        }
        for round in 0..3 {
            let mut mutated = bytes.clone();
            match round {
                0 => mutated.truncate(random.below(bytes.len())),
                1 => {
                    for _ in 0..4 {
                        let at = random.below(mutated.len());
                        mutated[at] ^= 1 << random.below(8);
                    }
                }
                _ => {
                    let start = random.below(mutated.len());
                    let end = (start + random.below(4096)).min(mutated.len());
                    let slice = mutated[start..end].to_vec();
                    let at = random.below(mutated.len());
                    mutated.splice(at..at, slice);
                }
            }
            let _ = parse_bytes(&mutated, &row.path, &Options::default(), &mut Discard);
            let format_options = Options { format: Some(Format::Generic), ..Options::default() };
            let _ = parse_bytes(&mutated, &row.path, &format_options, &mut Discard);
            let file = directory.path().join("mutated");
            std::fs::write(&file, &mutated).unwrap();
            let _ = parse_path(&file, &row.path, &Options::default(), &mut Discard);
            cases += 1;
        }
    }
    assert!(cases >= 200, "only {cases} mutated cases");
}

#[test]
fn deep_nesting_and_huge_values_are_refused_not_fatal() {
    for opening in ["[", "{\"a\":"] {
        let deep = opening.repeat(100_000);
        parse_every_way(deep.as_bytes());
    }
    let deep_xml = "<coverage>".to_owned() + &"<a>".repeat(100_000);
    parse_every_way(deep_xml.as_bytes());
    let options =
        Options { limits: signoff_ingest::Limits { max_document: 16, ..Default::default() }, ..Options::default() };
    let error = parse_bytes(br#"{"matches": [], "source": {}, "descriptor": {}}"#, "g.json", &options, &mut Discard)
        .unwrap_err();
    assert!(matches!(error.kind, signoff_ingest::IngestErrorKind::TooLarge { .. }), "{error}");
}
