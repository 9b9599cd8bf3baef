//! Any bytes, format detected from the content: the path `signoff capture` takes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use signoff_ingest::{Discard, Options, parse_bytes};

fuzz_target!(|data: &[u8]| {
    let _ = parse_bytes(data, "fuzz", &Options::default(), &mut Discard);
});
