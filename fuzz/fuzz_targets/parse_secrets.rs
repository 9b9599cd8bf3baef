//! The redacting paths: any JSON captured as a secrets scan (detected format,
//! `--kind secrets_scan`). Also checks the redaction's promise: where the stored
//! bytes of a redacted document parse again, nothing in them needs redacting.
#![no_main]

use libfuzzer_sys::fuzz_target;
use signoff_core::EvidenceKind;
use signoff_ingest::{Discard, Options, parse_bytes};

fuzz_target!(|data: &[u8]| {
    let options = Options { kind: Some(EvidenceKind::SecretsScan), ..Options::default() };
    if let Ok(parsed) = parse_bytes(data, "fuzz.json", &options, &mut Discard) {
        if let Some(stored) = parsed.stored {
            // Re-serialised bytes may be detected differently (keys move past the
            // detection head), so only a successful parse is checked.
            if let Ok(again) = parse_bytes(&stored, "stored.json", &options, &mut Discard) {
                assert_eq!(again.redacted, 0, "redacted bytes must hold no secret");
            }
        }
    }
});
