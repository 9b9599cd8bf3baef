//! Any other JSON document, kept as a generic attestation: with `--format generic`,
//! or with `--kind` for a JSON document of no format signoff reads. The document
//! must be well-formed JSON; nothing in it is counted. Its kind is the `--kind`
//! given, else `generic`; its tool is named by a top-level `tool` (a string, or an
//! object with a `name`) when there is one, else "generic".

use serde::Deserialize;
use serde_json::Value;
use signoff_core::{EvidenceKind, Format, Summary, Tool};

use super::kind;
use crate::json_walk::{Doc, Result, scalar_text};
use crate::{Options, Parsed};

#[derive(Deserialize)]
#[serde(untagged)]
enum RawTool {
    Name(String),
    Object { name: Option<Value>, version: Option<Value> },
}

pub(crate) fn parse(doc: &Doc<'_>, options: &Options) -> Result<Parsed> {
    let mut tool: Option<Tool> = None;
    let mut walker = doc.walker()?;
    if walker.peek()? == Some(b'{') {
        walker.object("a JSON document", |walker, key| match key {
            "tool" => {
                tool = match walker.decode::<Option<RawTool>>() {
                    Ok(Some(RawTool::Name(name))) => Some(Tool::new(name, None)),
                    Ok(Some(RawTool::Object { name: Some(name), version })) => {
                        scalar_text(&name).map(|name| Tool::new(name, version.as_ref().and_then(scalar_text)))
                    }
                    Ok(_) => None,
                    // A `tool` of another shape names nothing; the document is still fine.
                    Err(_) => None,
                };
                Ok(())
            }
            _ => walker.skip(),
        })?;
    } else if walker.peek()?.is_none() {
        return Err(doc.shape("$", "expected a JSON value", None));
    } else {
        walker.skip()?;
    }
    walker.finish()?;
    Ok(Parsed {
        target: None,
        format: Format::Generic,
        kind: kind(options, EvidenceKind::Generic),
        tool: tool.filter(|tool| !tool.name.is_empty()).unwrap_or_else(|| Tool::new("generic", None)),
        summary: Summary::default(),
        produced_at: None,
        stored: None,
        redacted: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{IngestErrorKind, parse_bytes};

    #[test]
    fn kind_makes_unknown_json_generic() {
        let options = Options { kind: Some(EvidenceKind::ChangeRecord), ..Options::default() };
        let parsed = parse_bytes(
            br#"{"ticket": "CHG-1", "tool": {"name": "servicenow", "version": "2"}}"#,
            "chg.json",
            &options,
            &mut Vec::new(),
        )
        .unwrap();
        assert_eq!((parsed.format, parsed.kind), (Format::Generic, EvidenceKind::ChangeRecord));
        assert_eq!(parsed.tool, Tool::new("servicenow", Some("2".into())));

        let error =
            parse_bytes(br#"{"ticket": "CHG-1"}"#, "chg.json", &Options::default(), &mut Vec::new()).unwrap_err();
        assert!(matches!(error.kind, IngestErrorKind::UnknownFormat { .. }), "{error}");

        let options = Options { format: Some(Format::Generic), ..Options::default() };
        let parsed = parse_bytes(b"[1, 2]", "list.json", &options, &mut Vec::new()).unwrap();
        assert_eq!((parsed.kind, parsed.tool.name.as_str()), (EvidenceKind::Generic, "generic"));
        let error = parse_bytes(b"{\"a\": [1,}", "bad.json", &options, &mut Vec::new()).unwrap_err();
        assert!(matches!(error.kind, IngestErrorKind::Syntax { .. }), "{error}");
    }
}
