//! The parts of SARIF we read. Everything is optional and unknown members are
//! ignored: real producers leave out much of the schema.
//!
//! A result is decoded straight from the scanner's buffer, and its strings borrow
//! from it ([`Text`]) unless they hold escapes; numbers and scalars that SARIF
//! allows in several shapes are read as a [`Scalar`], and property bags as
//! [`Properties`], which keeps only what signoff reads. So decoding a result
//! allocates almost nothing besides what the finding keeps.
//!
//! These types accept exactly what the `serde_json::Value`-based decoding before
//! them accepted: a member of the wrong type is still an error where it was one
//! (`ruleId: 3`), and the shapes that were tolerated (a `properties` that is not an
//! object, a non-string tag) still are.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A JSON string, borrowed from the input when it has no escapes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Text<'a>(pub(super) Cow<'a, str>);

impl Text<'_> {
    pub(super) fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Text<'a>, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(text)))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(text.to_owned())))
            }
            fn visit_string<E: de::Error>(self, text: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(text)))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

/// Any JSON value, kept when it is a scalar (SARIF writes versions, line numbers
/// and fingerprints as numbers or strings, depending on the producer).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Scalar<'a> {
    Text(Cow<'a, str>),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Bool(bool),
    /// `null`, an array or an object.
    Other,
}

impl Scalar<'_> {
    /// The value as text, as `serde_json` prints it; `None` for non-scalars.
    pub(super) fn text(&self) -> Option<String> {
        match self {
            Scalar::Text(text) => Some(text.to_string()),
            Scalar::Unsigned(number) => Some(number.to_string()),
            Scalar::Signed(number) => Some(number.to_string()),
            Scalar::Float(number) => serde_json::Number::from_f64(*number).map(|number| number.to_string()),
            Scalar::Bool(flag) => Some(flag.to_string()),
            Scalar::Other => None,
        }
    }

    /// A non-negative whole number, or a string holding one.
    pub(super) fn unsigned(&self) -> Option<u64> {
        match self {
            Scalar::Unsigned(number) => Some(*number),
            Scalar::Signed(number) => u64::try_from(*number).ok(),
            Scalar::Text(text) => text.trim().parse().ok(),
            _ => None,
        }
    }

    /// A finite number, or a string holding one.
    pub(super) fn float(&self) -> Option<f64> {
        match self {
            Scalar::Unsigned(number) => Some(*number as f64),
            Scalar::Signed(number) => Some(*number as f64),
            Scalar::Float(number) => Some(*number),
            Scalar::Text(text) => text.trim().parse::<f64>().ok(),
            _ => None,
        }
        .filter(|score| score.is_finite())
    }
}

/// A visitor of any JSON value: scalars go to `scalar`, arrays to `seq`, objects
/// to `map`.
macro_rules! any_value_visitor {
    ($visitor:ident, $value:ty, scalar: $scalar:expr, seq: $seq:expr, map: $map:expr) => {
        impl<'de> Visitor<'de> for $visitor {
            type Value = $value;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("any JSON value")
            }
            fn visit_bool<E: de::Error>(self, flag: bool) -> Result<$value, E> {
                Ok($scalar(Scalar::Bool(flag)))
            }
            fn visit_u64<E: de::Error>(self, number: u64) -> Result<$value, E> {
                Ok($scalar(Scalar::Unsigned(number)))
            }
            fn visit_i64<E: de::Error>(self, number: i64) -> Result<$value, E> {
                Ok($scalar(Scalar::Signed(number)))
            }
            fn visit_f64<E: de::Error>(self, number: f64) -> Result<$value, E> {
                Ok($scalar(Scalar::Float(number)))
            }
            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<$value, E> {
                Ok($scalar(Scalar::Text(Cow::Borrowed(text))))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<$value, E> {
                Ok($scalar(Scalar::Text(Cow::Owned(text.to_owned()))))
            }
            fn visit_string<E: de::Error>(self, text: String) -> Result<$value, E> {
                Ok($scalar(Scalar::Text(Cow::Owned(text))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<$value, E> {
                Ok($scalar(Scalar::Other))
            }
            fn visit_none<E: de::Error>(self) -> Result<$value, E> {
                Ok($scalar(Scalar::Other))
            }
            fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<$value, D::Error> {
                deserializer.deserialize_any(self)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<$value, A::Error> {
                $seq(&mut seq)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$value, A::Error> {
                $map(&mut map)
            }
        }
    };
}

struct ScalarVisitor;

fn keep(scalar: Scalar<'_>) -> Scalar<'_> {
    scalar
}

/// Checks and skips an array.
fn skip_seq<'de, A: SeqAccess<'de>>(seq: &mut A) -> Result<Scalar<'de>, A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(Scalar::Other)
}

/// Checks and skips an object.
fn skip_map<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Scalar<'de>, A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(Scalar::Other)
}

any_value_visitor!(ScalarVisitor, Scalar<'de>, scalar: keep, seq: skip_seq, map: skip_map);

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Scalar<'a>, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

/// Any JSON value, keeping the strings of a string or of an array's elements (a
/// `tags` list, a `cwe` property written either way).
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Strings<'a> {
    /// The value was an array.
    pub(super) array: bool,
    pub(super) items: Vec<Cow<'a, str>>,
}

struct StringsVisitor;

fn string_items<'de, A: SeqAccess<'de>>(seq: &mut A) -> Result<Strings<'de>, A::Error> {
    let mut items = Vec::new();
    while let Some(element) = seq.next_element::<Scalar<'de>>()? {
        if let Scalar::Text(text) = element {
            items.push(text);
        }
    }
    Ok(Strings { array: true, items })
}

fn string_of(scalar: Scalar<'_>) -> Strings<'_> {
    match scalar {
        Scalar::Text(text) => Strings { array: false, items: vec![text] },
        _ => Strings::default(),
    }
}

fn no_strings<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Strings<'de>, A::Error> {
    skip_map(map).map(string_of)
}

any_value_visitor!(StringsVisitor, Strings<'de>, scalar: string_of, seq: string_items, map: no_strings);

impl<'de: 'a, 'a> Deserialize<'de> for Strings<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Strings<'a>, D::Error> {
        deserializer.deserialize_any(StringsVisitor)
    }
}

/// A JSON object's members, as a map reads them (a repeated key keeps its last
/// value), without building a hash table for the two or three a result has.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Pairs<'a>(pub(super) Vec<(Text<'a>, Scalar<'a>)>);

impl<'de: 'a, 'a> Deserialize<'de> for Pairs<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Pairs<'a>, D::Error> {
        struct PairsVisitor;
        impl<'de> Visitor<'de> for PairsVisitor {
            type Value = Pairs<'de>;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Pairs<'de>, A::Error> {
                let mut pairs: Vec<(Text<'de>, Scalar<'de>)> = Vec::new();
                while let Some((key, value)) = map.next_entry::<Text<'de>, Scalar<'de>>()? {
                    match pairs.iter_mut().find(|(seen, _)| *seen == key) {
                        Some(pair) => pair.1 = value,
                        None => pairs.push((key, value)),
                    }
                }
                Ok(Pairs(pairs))
            }
        }
        deserializer.deserialize_map(PairsVisitor)
    }
}

/// What signoff reads of a property bag: `security-severity`, `tags` and `cwe`.
/// Any JSON value is accepted; one that is not an object has none of them.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Properties<'a> {
    pub(super) security_severity: Option<Scalar<'a>>,
    /// Strings of `tags` when it is an array.
    pub(super) tags: Vec<Cow<'a, str>>,
    /// `cwe` as a string or an array of strings.
    pub(super) cwe: Vec<Cow<'a, str>>,
}

impl Properties<'_> {
    /// The numeric `security-severity`, when it holds a finite number.
    pub(super) fn security_severity(&self) -> Option<f64> {
        self.security_severity.as_ref().and_then(Scalar::float)
    }
}

struct PropertiesVisitor;

fn no_properties(_: Scalar<'_>) -> Properties<'_> {
    Properties::default()
}

fn skip_properties<'de, A: SeqAccess<'de>>(seq: &mut A) -> Result<Properties<'de>, A::Error> {
    skip_seq(seq).map(no_properties)
}

fn read_properties<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Properties<'de>, A::Error> {
    let mut properties = Properties::default();
    while let Some(key) = map.next_key::<Text<'de>>()? {
        match key.as_str() {
            "security-severity" => properties.security_severity = Some(map.next_value()?),
            "tags" => {
                let tags: Strings<'de> = map.next_value()?;
                properties.tags = if tags.array { tags.items } else { Vec::new() };
            }
            "cwe" => properties.cwe = map.next_value::<Strings<'de>>()?.items,
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(properties)
}

any_value_visitor!(PropertiesVisitor, Properties<'de>, scalar: no_properties, seq: skip_properties, map: read_properties);

impl<'de: 'a, 'a> Deserialize<'de> for Properties<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Properties<'a>, D::Error> {
        deserializer.deserialize_any(PropertiesVisitor)
    }
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct RawTool<'a> {
    #[serde(borrow)]
    pub(super) driver: Option<RawComponent<'a>>,
    #[serde(borrow)]
    pub(super) extensions: Vec<RawComponent<'a>>,
    // SARIF 2.0.0 puts these on the tool itself.
    #[serde(borrow)]
    pub(super) name: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) full_name: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) version: Option<Scalar<'a>>,
    #[serde(borrow)]
    pub(super) semantic_version: Option<Scalar<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct RawComponent<'a> {
    #[serde(borrow)]
    pub(super) name: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) full_name: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) version: Option<Scalar<'a>>,
    #[serde(borrow)]
    pub(super) semantic_version: Option<Scalar<'a>>,
    #[serde(borrow)]
    pub(super) rules: Option<Vec<RawRule<'a>>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct RawResources<'a> {
    #[serde(borrow)]
    pub(super) rules: Option<HashMap<Text<'a>, RawRule<'a>>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct RawRule<'a> {
    #[serde(borrow)]
    pub(super) id: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) name: Option<Scalar<'a>>,
    #[serde(borrow)]
    pub(super) short_description: Option<RawMessage<'a>>,
    #[serde(borrow)]
    pub(super) default_configuration: Option<RawConfiguration<'a>>,
    #[serde(borrow)]
    pub(super) properties: Option<Properties<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RawConfiguration<'a> {
    #[serde(borrow)]
    pub(super) level: Option<Text<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RawMessage<'a> {
    #[serde(borrow)]
    pub(super) text: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) markdown: Option<Text<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct RawResult<'a> {
    #[serde(borrow)]
    pub(super) rule_id: Option<Text<'a>>,
    pub(super) rule_index: Option<i64>,
    #[serde(borrow)]
    pub(super) rule: Option<RawRuleReference<'a>>,
    #[serde(borrow)]
    pub(super) level: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) kind: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) message: Option<RawMessage<'a>>,
    #[serde(borrow)]
    pub(super) locations: Option<Vec<RawLocation<'a>>>,
    #[serde(borrow)]
    pub(super) fingerprints: Option<Pairs<'a>>,
    #[serde(borrow)]
    pub(super) partial_fingerprints: Option<Pairs<'a>>,
    #[serde(borrow)]
    pub(super) suppressions: Option<Vec<RawSuppression<'a>>>,
    #[serde(borrow)]
    pub(super) suppression_states: Option<Vec<Text<'a>>>,
    #[serde(borrow)]
    pub(super) properties: Option<Properties<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct RawRuleReference<'a> {
    #[serde(borrow)]
    pub(super) id: Option<Text<'a>>,
    pub(super) index: Option<i64>,
    #[serde(borrow)]
    pub(super) tool_component: Option<RawComponentReference<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RawComponentReference<'a> {
    pub(super) index: Option<i64>,
    #[serde(borrow)]
    pub(super) name: Option<Text<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct RawLocation<'a> {
    #[serde(borrow)]
    pub(super) physical_location: Option<RawPhysicalLocation<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct RawPhysicalLocation<'a> {
    #[serde(borrow)]
    pub(super) artifact_location: Option<RawArtifactLocation<'a>>,
    /// SARIF 2.0.0 name of `artifactLocation`.
    #[serde(borrow)]
    pub(super) file_location: Option<RawArtifactLocation<'a>>,
    #[serde(borrow)]
    pub(super) region: Option<RawRegion<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RawArtifactLocation<'a> {
    #[serde(borrow)]
    pub(super) uri: Option<Text<'a>>,
    pub(super) index: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct RawRegion<'a> {
    #[serde(borrow)]
    pub(super) start_line: Option<Scalar<'a>>,
    #[serde(borrow)]
    pub(super) end_line: Option<Scalar<'a>>,
    #[serde(borrow)]
    pub(super) start_column: Option<Scalar<'a>>,
    #[serde(borrow)]
    pub(super) snippet: Option<RawSnippet<'a>>,
}

/// `region.snippet`: the text of the flagged lines.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RawSnippet<'a> {
    #[serde(borrow)]
    pub(super) text: Option<Text<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RawSuppression<'a> {
    #[serde(borrow)]
    pub(super) status: Option<Text<'a>>,
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    /// The old decoding: what `serde_json::Value` made of the same property bag.
    fn by_value(json: &str) -> (Option<f64>, Vec<String>, Vec<String>) {
        let value: Value = serde_json::from_str(json).unwrap();
        let severity = match value.get("security-severity") {
            Some(Value::Number(number)) => number.as_f64(),
            Some(Value::String(text)) => text.trim().parse::<f64>().ok(),
            _ => None,
        }
        .filter(|score| score.is_finite());
        let tags = match value.get("tags") {
            Some(Value::Array(tags)) => tags.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ => Vec::new(),
        };
        let cwe = match value.get("cwe") {
            Some(Value::String(text)) => vec![text.clone()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ => Vec::new(),
        };
        (severity, tags, cwe)
    }

    #[test]
    fn properties_read_as_the_value_tree_did() {
        for json in [
            r#"{"security-severity": "7.5", "tags": ["security", "external/cwe/cwe-079"], "precision": "high"}"#,
            r#"{"security-severity": 9.8, "tags": "not-a-list", "cwe": "CWE-89"}"#,
            r#"{"security-severity": " 4 ", "tags": [1, null, {"a": 1}, "x\"y"], "cwe": ["CWE-1", 2, "CWE-3"]}"#,
            r#"{"security-severity": "high", "cwe": {"id": 79}, "tags": []}"#,
            r#"{"security-severity": 5, "security-severity": "8.0", "nested": {"tags": ["x"]}}"#,
            r#"{"security-severity": null, "tags": null, "cwe": null}"#,
            r#"[1, 2, {"tags": ["x"]}]"#,
            r#""just text""#,
            "42",
            "null",
            "{}",
        ] {
            let properties: Properties<'_> = serde_json::from_str(json).unwrap();
            let tags: Vec<String> = properties.tags.iter().map(|tag| tag.to_string()).collect();
            let cwe: Vec<String> = properties.cwe.iter().map(|id| id.to_string()).collect();
            assert_eq!((properties.security_severity(), tags, cwe), by_value(json), "{json}");
        }
    }

    #[test]
    fn scalars_print_as_serde_json_does() {
        for json in ["\"abc\"", "\"a\\u00e9\"", "12", "-3", "1.5", "1e3", "0.1", "true", "null", "[1]", "{\"a\": 1}"] {
            let scalar: Scalar<'_> = serde_json::from_str(json).unwrap();
            let value: Value = serde_json::from_str(json).unwrap();
            let expected = match &value {
                Value::String(text) => Some(text.clone()),
                Value::Number(number) => Some(number.to_string()),
                Value::Bool(flag) => Some(flag.to_string()),
                _ => None,
            };
            assert_eq!(scalar.text(), expected, "{json}");
            let unsigned = match &value {
                Value::Number(number) => number.as_u64(),
                Value::String(text) => text.trim().parse().ok(),
                _ => None,
            };
            assert_eq!(scalar.unsigned(), unsigned, "{json}");
        }
    }

    #[test]
    fn strings_borrow_unless_escaped() {
        let bytes = br#"["plain", "esc\"aped"]"#;
        let texts: Vec<Text<'_>> = serde_json::from_slice(bytes).unwrap();
        assert!(matches!(texts[0].0, Cow::Borrowed("plain")));
        assert!(matches!(&texts[1].0, Cow::Owned(text) if text == "esc\"aped"));
    }

    #[test]
    fn pairs_read_as_a_map_does() {
        let json = r#"{"a": "1", "b": 2, "a": "3", "c": null}"#;
        let pairs: Pairs<'_> = serde_json::from_str(json).unwrap();
        let map: HashMap<String, Value> = serde_json::from_str(json).unwrap();
        assert_eq!(pairs.0.len(), map.len());
        for (key, value) in &pairs.0 {
            assert_eq!(value.text(), Scalar::deserialize(&map[key.as_str()]).unwrap().text(), "{key:?}");
        }
        assert!(serde_json::from_str::<Pairs<'_>>("[1]").is_err());
    }

    #[test]
    fn wrong_types_are_still_errors() {
        assert!(serde_json::from_str::<RawResult<'_>>(r#"{"ruleId": 3}"#).is_err());
        assert!(serde_json::from_str::<RawResult<'_>>(r#"{"locations": [1]}"#).is_err());
        assert!(serde_json::from_str::<RawResult<'_>>(r#"{"partialFingerprints": []}"#).is_err());
        assert!(serde_json::from_str::<RawResult<'_>>(r#"{"properties": 3, "level": "error"}"#).is_ok());
    }
}
