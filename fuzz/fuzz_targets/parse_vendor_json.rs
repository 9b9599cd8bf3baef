//! The vendor JSON formats, forced. The first byte picks the format, so one target
//! covers them all and a seed from one format mutates into the others.
#![no_main]

use libfuzzer_sys::fuzz_target;
use signoff_core::Format;
use signoff_ingest::{Discard, Options, parse_bytes};

const FORMATS: &[Format] = &[
    Format::Trivy,
    Format::Grype,
    Format::Gitleaks,
    Format::Semgrep,
    Format::Checkov,
    Format::Zap,
    Format::NpmAudit,
    Format::OsvScanner,
    Format::Cyclonedx,
    Format::Spdx,
    Format::GithubPr,
    Format::GitlabMr,
    Format::InToto,
    Format::Generic,
];

fuzz_target!(|data: &[u8]| {
    let Some((first, rest)) = data.split_first() else { return };
    let format = FORMATS[usize::from(*first) % FORMATS.len()];
    let options = Options { format: Some(format), ..Options::default() };
    let _ = parse_bytes(rest, "fuzz.json", &options, &mut Discard);
});
