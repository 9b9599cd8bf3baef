//! SPDX 2.2 and 2.3 JSON SBOMs.
//!
//! # Counting
//! `summary.components` counts the entries of `packages` (files and snippets are not
//! components). SPDX documents carry no findings.
//!
//! # Tool and time
//! The first `creationInfo.creators` entry `Tool: name-version` (the version is what
//! follows the last `-` when it starts with a digit or is `dev`); produced at
//! `creationInfo.created`.
//!
//! # Kind
//! `sbom`.

use serde::Deserialize;
use signoff_core::{EvidenceKind, Format, Summary, Tool};

use super::kind;
use crate::json_walk::{Doc, Result};
use crate::{Options, Parsed};

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawCreationInfo {
    created: Option<String>,
    creators: Vec<String>,
}

pub(crate) fn parse(doc: &Doc<'_>, options: &Options) -> Result<Parsed> {
    let mut packages = 0u64;
    let mut creation = RawCreationInfo::default();
    let mut version: Option<String> = None;
    let mut walker = doc.walker()?;
    walker.object("an SPDX document", |walker, key| match key {
        "packages" => walker.array("the packages", |walker, _| {
            packages += 1;
            walker.skip()
        }),
        "creationInfo" => {
            creation = walker.decode::<Option<RawCreationInfo>>()?.unwrap_or_default();
            Ok(())
        }
        "spdxVersion" => {
            version = walker.decode()?;
            Ok(())
        }
        _ => walker.skip(),
    })?;
    walker.finish()?;
    if version.is_none() {
        return Err(doc.shape("$.spdxVersion", "missing `spdxVersion`: this is not an SPDX document", None));
    }
    let tool = creation
        .creators
        .iter()
        .find_map(|creator| creator.trim().strip_prefix("Tool:"))
        .map(|tool| split_tool(tool.trim()))
        .unwrap_or_else(|| Tool::new("spdx", None));
    Ok(Parsed {
        target: None,
        format: Format::Spdx,
        kind: kind(options, EvidenceKind::Sbom),
        tool,
        summary: Summary { components: Some(packages), ..Summary::default() },
        produced_at: creation.created,
        stored: None,
        redacted: 0,
    })
}

/// `syft-1.50.0` → syft 1.50.0; `spdx-maven-plugin` → no version.
fn split_tool(text: &str) -> Tool {
    if let Some(dash) = text.rfind('-') {
        let version = &text[dash + 1..];
        if version.starts_with(|c: char| c.is_ascii_digit()) || version == "dev" {
            return Tool::new(&text[..dash], Some(version.to_owned()));
        }
    }
    Tool::new(text, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_bytes;

    #[test]
    fn packages_and_creator_tool() {
        let text = r#"{"SPDXID": "SPDXRef-DOCUMENT", "spdxVersion": "SPDX-2.3", "creationInfo": {"created": "2022-10-23T15:44:16Z",
            "creators": ["Person: Gary", "Tool: syft-1.50.0"]}, "packages": [{"name": "a"}, {"name": "b"}], "files": [{"fileName": "x"}]}"#;
        let parsed = parse_bytes(text.as_bytes(), "sbom.spdx.json", &Options::default(), &mut Vec::new()).unwrap();
        assert_eq!(parsed.format, Format::Spdx);
        assert_eq!(parsed.kind, EvidenceKind::Sbom);
        assert_eq!(parsed.summary.components, Some(2));
        assert_eq!(parsed.tool, Tool::new("syft", Some("1.50.0".into())));
        assert_eq!(parsed.produced_at.as_deref(), Some("2022-10-23T15:44:16Z"));
        assert_eq!(split_tool("spdx-maven-plugin"), Tool::new("spdx-maven-plugin", None));
        assert_eq!(split_tool("Microsoft.SBOMTool-0.2.7"), Tool::new("Microsoft.SBOMTool", Some("0.2.7".into())));
    }
}
