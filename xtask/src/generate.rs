//! Realistic generated inputs: SARIF logs shaped like CodeQL's (rules with
//! `security-severity`, results with partial fingerprints, regions, messages and a
//! short code flow), written pretty-printed as most tools write them.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

const RULES: u64 = 200;

/// Writes a SARIF log with `results` results; returns its size in bytes.
pub(crate) fn sarif(path: &Path, results: u64) -> anyhow::Result<u64> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    writeln!(
        out,
        "{{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"version\": \"2.1.0\",\n  \"runs\": [\n    {{"
    )?;
    writeln!(
        out,
        "      \"tool\": {{\n        \"driver\": {{\n          \"name\": \"CodeQL\",\n          \"semanticVersion\": \"2.20.7\",\n          \"rules\": ["
    )?;
    for rule in 0..RULES {
        let severity = [9.8, 8.1, 7.5, 6.1, 5.3, 4.3, 3.1, 0.0][(rule % 8) as usize];
        let level = ["error", "warning", "note"][(rule % 3) as usize];
        let comma = if rule + 1 < RULES { "," } else { "" };
        writeln!(
            out,
            "            {{\n              \"id\": \"js/rule-{rule}\",\n              \"name\": \"js/rule-{rule}\",\n              \"shortDescription\": {{ \"text\": \"Generated rule {rule}\" }},\n              \"defaultConfiguration\": {{ \"level\": \"{level}\" }},\n              \"properties\": {{ \"tags\": [\"security\", \"external/cwe/cwe-{:03}\"], \"precision\": \"high\", \"security-severity\": \"{severity}\" }}\n            }}{comma}",
            rule % 900 + 20
        )?;
    }
    writeln!(out, "          ]\n        }}\n      }},\n      \"results\": [")?;
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    for index in 0..results {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let rule = (state >> 33) % RULES;
        let file = (state >> 20) % 5000;
        let line = (state >> 8) % 2000 + 1;
        let comma = if index + 1 < results { "," } else { "" };
        writeln!(
            out,
            "        {{\n          \"ruleId\": \"js/rule-{rule}\",\n          \"ruleIndex\": {rule},\n          \"message\": {{ \"text\": \"This value flows from [user input](1) to a sensitive sink in handler {index}.\" }},\n          \"locations\": [ {{ \"physicalLocation\": {{ \"artifactLocation\": {{ \"uri\": \"src/module{file}/handler.js\", \"uriBaseId\": \"%SRCROOT%\" }}, \"region\": {{ \"startLine\": {line}, \"startColumn\": 12, \"endColumn\": 40 }} }} }} ],\n          \"partialFingerprints\": {{ \"primaryLocationLineHash\": \"{state:016x}:1\", \"primaryLocationStartColumnFingerprint\": \"8\" }},\n          \"codeFlows\": [ {{ \"threadFlows\": [ {{ \"locations\": [ {{ \"location\": {{ \"physicalLocation\": {{ \"artifactLocation\": {{ \"uri\": \"src/module{file}/input.js\" }}, \"region\": {{ \"startLine\": {} }} }}, \"message\": {{ \"text\": \"req.body\" }} }} }} ] }} ] }} ]\n        }}{comma}",
            line + 3
        )?;
    }
    writeln!(out, "      ]\n    }}\n  ]\n}}")?;
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}
