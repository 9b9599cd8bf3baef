//! One module per format family, and the dispatch between them.
//!
//! The JSON formats other than SARIF are read into memory (bounded by
//! [`crate::Limits::max_document`]), redacted when they may hold secrets (see
//! [`crate::redact`]) and walked with [`crate::json_walk::Walker`]; their findings
//! are read from the redacted bytes. SARIF, JUnit, the XML formats and LCOV stream
//! from the source.

mod checkov;
mod cobertura;
mod cyclonedx;
mod cyclonedx_xml;
mod generic;
mod github;
mod gitlab;
mod gitleaks;
mod grype;
mod intoto;
mod jacoco;
mod junit;
mod lcov;
mod npm_audit;
mod osv;
mod sarif;
mod sarif_redact;
mod semgrep;
mod spdx;
mod trivy;
mod xml;
mod zap;
mod zap_xml;

use std::borrow::Cow;

use serde_json::Value;
use signoff_core::{EvidenceKind, Format};

use crate::error::{IngestError, IngestErrorKind, Place};
use crate::json_walk::Doc;
use crate::redact::{self, Redactor};
use crate::source::Source;
use crate::{FindingSink, Options, Parsed};

/// Parses `source` as `format`.
pub(crate) fn parse(
    format: Format,
    source: &Source<'_>,
    display: &str,
    options: &Options,
    sink: &mut dyn FindingSink,
) -> Result<Parsed, IngestError> {
    // ZAP and CycloneDX come as JSON or XML; XML is streamed.
    let xml = matches!(format, Format::Zap | Format::Cyclonedx) && starts_with_xml(source);
    // The streamed formats other than SARIF (which clears itself run by run) are
    // stored as they are, whatever they hold.
    let never_redacted = xml || matches!(format, Format::Junit | Format::Cobertura | Format::Jacoco | Format::Lcov);
    if let Some(clearance) = &options.clearance
        && never_redacted
    {
        clearance.clear_to(u64::MAX);
    }
    match format {
        Format::Sarif => sarif::parse(source, display, options, sink),
        Format::Junit => junit::parse(source, display, options),
        Format::Cobertura => cobertura::parse(source, display, options),
        Format::Jacoco => jacoco::parse(source, display, options),
        Format::Lcov => lcov::parse(source, display, options),
        Format::Zap if xml => zap_xml::parse(source, display, options, sink),
        Format::Cyclonedx if xml => cyclonedx_xml::parse(source, display, options, sink),
        _ => parse_json(format, source, display, options, sink),
    }
}

fn starts_with_xml(source: &Source<'_>) -> bool {
    let Ok(head) = source.head(1024) else { return false };
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
    body.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'<')
}

fn parse_json(
    format: Format,
    source: &Source<'_>,
    display: &str,
    options: &Options,
    sink: &mut dyn FindingSink,
) -> Result<Parsed, IngestError> {
    let bytes = source.bytes(display, format, options.limits.max_document)?;
    let (bytes, redacted) = redact_json(format, bytes, display, options)?;
    let doc = Doc::new(&bytes, display, format);
    let mut parsed = match format {
        Format::Trivy => trivy::parse(&doc, options, sink),
        Format::Grype => grype::parse(&doc, options, sink),
        Format::Gitleaks => gitleaks::parse(&doc, options, sink),
        Format::Semgrep => semgrep::parse(&doc, options, sink),
        Format::Checkov => checkov::parse(&doc, options, sink),
        Format::Zap => zap::parse(&doc, options, sink),
        Format::NpmAudit => npm_audit::parse(&doc, options, sink),
        Format::OsvScanner => osv::parse(&doc, options, sink),
        Format::Cyclonedx => cyclonedx::parse(&doc, options, sink),
        Format::Spdx => spdx::parse(&doc, options),
        Format::GithubPr => github::parse(&doc, options),
        Format::GitlabMr => gitlab::parse(&doc, options),
        Format::InToto => intoto::parse(&doc, options, sink),
        // The streamed formats never get here; reading them as generic JSON would
        // only fail, so say what happened instead.
        Format::Generic | Format::Sarif | Format::Junit | Format::Cobertura | Format::Jacoco | Format::Lcov => {
            generic::parse(&doc, options)
        }
    }?;
    // A redacted document is what gets stored, in place of the original.
    parsed.stored = (redacted > 0).then(|| bytes.into_owned());
    parsed.redacted = redacted;
    Ok(parsed)
}

/// The bytes to parse and store, with secrets replaced where this document may
/// hold them, and how many values were replaced (0: the bytes are the original).
fn redact_json<'a>(
    format: Format,
    bytes: Cow<'a, [u8]>,
    display: &str,
    options: &Options,
) -> Result<(Cow<'a, [u8]>, u64), IngestError> {
    let secrets_kind = options.kind == Some(EvidenceKind::SecretsScan);
    let needed = secrets_kind
        || format == Format::Gitleaks
        || (format == Format::Trivy && memchr::memmem::find(&bytes, b"\"Secrets\"").is_some());
    if !needed {
        return Ok((bytes, 0));
    }
    if format == Format::Gitleaks && top_level_array(&bytes) {
        return redact_elements(bytes, display, format, options, secrets_kind);
    }
    let mut value = json_value(&bytes, display, format)?;
    let mut redactor = Redactor::new(&options.redaction_key);
    redact_secrets(&mut redactor, &mut value, format, secrets_kind);
    redactor.scrub(&mut value);
    if redactor.count() == 0 {
        return Ok((bytes, 0));
    }
    // Hold the original and the tree no longer than needed: large reports are big.
    drop(bytes);
    let stored = serde_json::to_vec_pretty(&value).map_err(|error| {
        IngestError::new(
            display,
            Some(format),
            IngestErrorKind::Shape { message: format!("cannot write the redacted document: {error}") },
        )
    })?;
    drop(value);
    Ok((Cow::Owned(stored), redactor.count()))
}

/// Redacts the secret values a document (or one element of a Gitleaks array) of
/// `format` holds, and with `--kind secrets_scan` every secret-named member.
fn redact_secrets(redactor: &mut Redactor<'_>, value: &mut Value, format: Format, secrets_kind: bool) {
    match format {
        Format::Gitleaks => redactor.redact_members(value, redact::GITLEAKS_KEYS),
        Format::Trivy => redact_trivy_secrets(redactor, value),
        _ => {}
    }
    if secrets_kind {
        redactor.redact_keys(value, redact::SECRET_KEYS);
        redactor.redact_url_passwords(value);
    }
}

fn top_level_array(bytes: &[u8]) -> bool {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    body.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'[')
}

/// Redacts a report that is an array of findings (Gitleaks) one element at a time,
/// so that memory stays near the size of the file however large it is: a first
/// pass learns every secret, a second redacts and scrubs each element and writes
/// it out. The bytes are those `serde_json::to_vec_pretty` writes for the whole
/// array.
fn redact_elements<'a>(
    bytes: Cow<'a, [u8]>,
    display: &str,
    format: Format,
    options: &Options,
    secrets_kind: bool,
) -> Result<(Cow<'a, [u8]>, u64), IngestError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let mut redactor = Redactor::new(&options.redaction_key);
    let apply =
        |redactor: &mut Redactor<'_>, element: &mut Value| redact_secrets(redactor, element, format, secrets_kind);
    let syntax = |error: serde_json::Error| json_error(&error, display, format);
    for_each_element(body, |mut element| {
        apply(&mut redactor, &mut element);
        Ok(())
    })
    .map_err(syntax)?;
    if redactor.count() == 0 {
        return Ok((bytes, 0));
    }
    let scrubber = redactor.scrubber();
    redactor.reset_count();
    let mut out = Vec::with_capacity(body.len() + body.len() / 8);
    out.push(b'[');
    let mut first = true;
    for_each_element(body, |mut element| {
        apply(&mut redactor, &mut element);
        redactor.scrub_with(&mut element, &scrubber);
        out.extend_from_slice(if first { b"\n  " } else { b",\n  " });
        first = false;
        // Indented one level, as inside the pretty-printed array.
        for byte in serde_json::to_vec_pretty(&element)? {
            out.push(byte);
            if byte == b'\n' {
                out.extend_from_slice(b"  ");
            }
        }
        Ok(())
    })
    .map_err(syntax)?;
    out.extend_from_slice(if first { b"]" } else { b"\n]" });
    Ok((Cow::Owned(out), redactor.count()))
}

/// Calls `each` with every element of the top-level JSON array in `body`, one at a
/// time, then checks that nothing follows the array.
fn for_each_element(
    body: &[u8],
    each: impl FnMut(Value) -> Result<(), serde_json::Error>,
) -> Result<(), serde_json::Error> {
    struct Elements<F>(F);
    impl<'de, F: FnMut(Value) -> Result<(), serde_json::Error>> serde::de::Visitor<'de> for Elements<F> {
        type Value = ();
        fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            formatter.write_str("an array")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
            while let Some(element) = seq.next_element::<Value>()? {
                (self.0)(element).map_err(serde::de::Error::custom)?;
            }
            Ok(())
        }
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde::Deserializer::deserialize_seq(&mut deserializer, Elements(each))?;
    deserializer.end()
}

/// Every `Secrets` array in a Trivy report (plain, legacy or Kubernetes layout).
fn redact_trivy_secrets(redactor: &mut Redactor<'_>, value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, member) in map.iter_mut() {
                if key == "Secrets" {
                    redactor.redact_members(member, redact::TRIVY_SECRET_KEYS);
                } else {
                    redact_trivy_secrets(redactor, member);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| redact_trivy_secrets(redactor, item)),
        _ => {}
    }
}

/// A whole JSON document as a tree (only for documents that need redaction, which
/// are small: secrets reports).
pub(crate) fn json_value(bytes: &[u8], display: &str, format: Format) -> Result<Value, IngestError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    serde_json::from_slice(body).map_err(|error| json_error(&error, display, format))
}

/// A JSON syntax error, placed at its line and column.
fn json_error(error: &serde_json::Error, display: &str, format: Format) -> IngestError {
    let failure = IngestError::new(
        display,
        Some(format),
        IngestErrorKind::Syntax { message: crate::json_walk::strip_position(&error.to_string()) },
    );
    match error.line() {
        0 => failure,
        line => failure.at(Place::LineColumn { line: line as u64, column: error.column() as u64 }),
    }
}

/// The evidence kind: `--kind` if given, else what the format implies.
pub(crate) fn kind(options: &Options, implied: EvidenceKind) -> EvidenceKind {
    options.kind.unwrap_or(implied)
}
