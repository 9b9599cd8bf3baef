//! The XML formats, forced: JUnit, Cobertura, JaCoCo, CycloneDX XML, ZAP XML. The
//! first byte picks the format.
#![no_main]

use libfuzzer_sys::fuzz_target;
use signoff_core::Format;
use signoff_ingest::{Discard, Options, parse_bytes};

const FORMATS: &[Format] = &[Format::Junit, Format::Cobertura, Format::Jacoco, Format::Cyclonedx, Format::Zap];

fuzz_target!(|data: &[u8]| {
    let Some((first, rest)) = data.split_first() else { return };
    let format = FORMATS[usize::from(*first) % FORMATS.len()];
    let options = Options { format: Some(format), ..Options::default() };
    let _ = parse_bytes(rest, "fuzz.xml", &options, &mut Discard);
});
