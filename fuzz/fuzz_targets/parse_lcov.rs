//! LCOV tracefiles, forced.
#![no_main]

use libfuzzer_sys::fuzz_target;
use signoff_core::Format;
use signoff_ingest::{Discard, Options, parse_bytes};

fuzz_target!(|data: &[u8]| {
    let options = Options { format: Some(Format::Lcov), ..Options::default() };
    let _ = parse_bytes(data, "fuzz.info", &options, &mut Discard);
});
