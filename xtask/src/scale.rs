//! Large inputs of every format, grown from real files of the corpus: the bulk of a
//! document (its largest array in JSON, its most repeated record in XML or LCOV) is
//! repeated until the file reaches the size asked for. The result is the same tool's
//! output shape at benchmark scale; findings repeat, which parsers and the store
//! handle like any others.

use std::path::Path;

use anyhow::{Context, bail};
use serde_json::Value;

/// The record element repeated to grow an XML document of `format`.
fn xml_record(format: &str) -> Option<&'static str> {
    Some(match format {
        "junit-xml" => "testcase",
        "cobertura-xml" => "class",
        "jacoco-xml" => "class",
        "zap-xml" => "alertitem",
        "cyclonedx-xml" => "component",
        _ => return None,
    })
}

/// Writes `source` grown to at least `target` bytes to `out`; returns the size.
pub(crate) fn grow(format: &str, source: &Path, out: &Path, target: u64) -> anyhow::Result<u64> {
    let bytes = std::fs::read(source).with_context(|| format!("reading {}", source.display()))?;
    let grown = if let Some(tag) = xml_record(format) {
        grow_xml(&String::from_utf8(bytes)?, tag, target)?
    } else if format == "lcov" {
        let text = String::from_utf8(bytes)?;
        let copies = (target as usize).div_ceil(text.len().max(1));
        text.repeat(copies).into_bytes()
    } else {
        let mut document: Value = serde_json::from_slice(&bytes)?;
        grow_json(&mut document, bytes.len() as u64, target)?;
        serde_json::to_vec_pretty(&document)?
    };
    std::fs::write(out, &grown)?;
    Ok(grown.len() as u64)
}

fn grow_json(document: &mut Value, size: u64, target: u64) -> anyhow::Result<()> {
    let Some(array) = largest_array(document) else { bail!("no array to grow") };
    let original = array.clone();
    let bulk = serde_json::to_vec(&original)?.len() as u64;
    if original.is_empty() || bulk == 0 {
        bail!("the largest array is empty");
    }
    let copies = target.saturating_sub(size) / bulk + 1;
    for _ in 0..copies {
        array.extend(original.iter().cloned());
    }
    Ok(())
}

/// The array holding the most bytes, anywhere in the document.
fn largest_array(value: &mut Value) -> Option<&mut Vec<Value>> {
    fn weigh(value: &Value, path: &mut Vec<usize>, best: &mut (usize, Vec<usize>)) {
        let children: Vec<&Value> = match value {
            Value::Array(items) => {
                let size = serde_json::to_vec(value).map_or(0, |bytes| bytes.len());
                if size > best.0 && !items.is_empty() {
                    *best = (size, path.clone());
                }
                items.iter().collect()
            }
            Value::Object(map) => map.values().collect(),
            _ => return,
        };
        for (index, child) in children.into_iter().enumerate() {
            path.push(index);
            weigh(child, path, best);
            path.pop();
        }
    }
    let mut best = (0, Vec::new());
    weigh(value, &mut Vec::new(), &mut best);
    let mut at = value;
    for index in best.1 {
        at = match at {
            Value::Array(items) => items.get_mut(index)?,
            Value::Object(map) => map.values_mut().nth(index)?,
            _ => return None,
        };
    }
    at.as_array_mut()
}

fn grow_xml(text: &str, tag: &str, target: u64) -> anyhow::Result<Vec<u8>> {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let is_open = |at: usize| text[at + open.len()..].starts_with([' ', '>', '/', '\n', '\t', '\r']);
    // CycloneDX names the described component in its metadata; grow the list instead.
    let from = if tag == "component" { text.find("<components>").unwrap_or(0) } else { 0 };
    let start = text[from..]
        .match_indices(&open)
        .map(|(at, _)| at + from)
        .find(|at| is_open(*at))
        .with_context(|| format!("no <{tag}> element"))?;
    // The element's end, counting nested elements of the same name.
    let mut depth = 0usize;
    let mut at = start;
    let end = loop {
        let next_open = text[at..].match_indices(&open).map(|(i, _)| i + at).find(|i| is_open(*i));
        let next_close = text[at..].find(&close).map(|i| i + at);
        let tag_end = |i: usize| text[i..].find('>').map(|j| i + j);
        match (next_open, next_close) {
            (Some(o), close_at) if close_at.is_none_or(|c| o < c) => {
                let head_end = tag_end(o).context("unclosed tag")?;
                if text[..=head_end].ends_with("/>") {
                    if depth == 0 {
                        break head_end + 1;
                    }
                } else {
                    depth += 1;
                }
                at = head_end + 1;
            }
            (_, Some(c)) => {
                depth = depth.checked_sub(1).context("unbalanced elements")?;
                at = c + close.len();
                if depth == 0 {
                    break at;
                }
            }
            _ => bail!("unclosed <{tag}> element"),
        }
    };
    let record = &text[start..end];
    let copies = (target as usize).saturating_sub(text.len()) / record.len().max(1) + 1;
    let mut grown = String::with_capacity(text.len() + copies * (record.len() + 1));
    grown.push_str(&text[..end]);
    for _ in 0..copies {
        grown.push('\n');
        grown.push_str(record);
    }
    grown.push_str(&text[end..]);
    Ok(grown.into_bytes())
}
