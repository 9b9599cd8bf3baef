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
    match format {
        Format::Sarif => sarif::parse(source, display, options, sink),
        Format::Junit => junit::parse(source, display, options),
        Format::Cobertura => cobertura::parse(source, display, options),
        Format::Jacoco => jacoco::parse(source, display, options),
        Format::Lcov => lcov::parse(source, display, options),
        Format::Zap if starts_with_xml(source) => zap_xml::parse(source, display, options, sink),
        Format::Cyclonedx if starts_with_xml(source) => cyclonedx_xml::parse(source, display, options, sink),
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
    let (bytes, stored, redacted) = redact_json(format, bytes, display, options)?;
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
    parsed.stored = stored;
    parsed.redacted = redacted;
    Ok(parsed)
}

/// The bytes to parse and store, with secrets replaced where this document may
/// hold them; `(bytes, stored, redacted)`.
#[allow(clippy::type_complexity)]
fn redact_json<'a>(
    format: Format,
    bytes: Cow<'a, [u8]>,
    display: &str,
    options: &Options,
) -> Result<(Cow<'a, [u8]>, Option<Vec<u8>>, u64), IngestError> {
    let secrets_kind = options.kind == Some(EvidenceKind::SecretsScan);
    let needed = secrets_kind
        || format == Format::Gitleaks
        || (format == Format::Trivy && memchr::memmem::find(&bytes, b"\"Secrets\"").is_some());
    if !needed {
        return Ok((bytes, None, 0));
    }
    let mut value = json_value(&bytes, display, format)?;
    let mut redactor = Redactor::new(&options.redaction_key);
    match format {
        Format::Gitleaks => redactor.redact_members(&mut value, redact::GITLEAKS_KEYS),
        Format::Trivy => redact_trivy_secrets(&mut redactor, &mut value),
        _ => {}
    }
    if secrets_kind {
        redactor.redact_keys(&mut value, redact::SECRET_KEYS);
    }
    redactor.scrub(&mut value);
    if redactor.count() == 0 {
        return Ok((bytes, None, 0));
    }
    let stored = serde_json::to_vec_pretty(&value).map_err(|error| {
        IngestError::new(
            display,
            Some(format),
            IngestErrorKind::Shape { message: format!("cannot write the redacted document: {error}") },
        )
    })?;
    Ok((Cow::Owned(stored.clone()), Some(stored), redactor.count()))
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
    serde_json::from_slice(body).map_err(|error| {
        let failure = IngestError::new(
            display,
            Some(format),
            IngestErrorKind::Syntax { message: crate::json_walk::strip_position(&error.to_string()) },
        );
        match error.line() {
            0 => failure,
            line => failure.at(Place::LineColumn { line: line as u64, column: error.column() as u64 }),
        }
    })
}

/// The evidence kind: `--kind` if given, else what the format implies.
pub(crate) fn kind(options: &Options, implied: EvidenceKind) -> EvidenceKind {
    options.kind.unwrap_or(implied)
}
