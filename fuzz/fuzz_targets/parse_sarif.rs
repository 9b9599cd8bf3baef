//! SARIF, forced: the streaming reader (and its two-pass and redacting paths).
#![no_main]

use libfuzzer_sys::fuzz_target;
use signoff_core::Format;
use signoff_ingest::{Discard, Options, parse_bytes};

fuzz_target!(|data: &[u8]| {
    let options = Options { format: Some(Format::Sarif), ..Options::default() };
    let _ = parse_bytes(data, "fuzz.sarif", &options, &mut Discard);
});
