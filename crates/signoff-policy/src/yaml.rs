//! The policy file as a tree of YAML nodes that remember where they were written.
//!
//! serde-saphyr reads the text (YAML 1.2 core schema: only `true`/`false` are
//! booleans, duplicate keys are an error) into [`Node`]s, each with its line and
//! column. The grammar in `policy.rs` then walks the tree by hand rather than through
//! `#[derive(Deserialize)]`: every mistake (an unknown parameter of one criterion, a
//! rate above 1) gets a message in our words and the exact place, which derived
//! deserializers cannot give once a value's meaning depends on a sibling key (`use:`).

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{MessageFormatter, Spanned};

use crate::error::{Place, PolicyError, PolicyErrorKind};

/// One YAML node and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) value: Value,
    pub(crate) place: Place,
}

/// A node's value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

/// A mapping key and where it is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Key {
    pub(crate) text: String,
    pub(crate) place: Place,
}

impl Value {
    /// The type's name, as messages say it.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "nothing",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// Reads `text` as one YAML document.
pub(crate) fn parse(text: &str, file: &str) -> Result<Node, PolicyError> {
    let options = serde_saphyr::options! {
        strict_booleans: true,
    };
    match serde_saphyr::from_str_with_options::<Spanned<RawNode>>(text, options) {
        Ok(spanned) => Ok(convert(spanned)),
        Err(error) => {
            let place = error
                .location()
                .map(|location| Place { line: location.line().max(1), column: location.column().max(1) })
                .unwrap_or(Place { line: 1, column: 1 });
            let message = serde_saphyr::DefaultMessageFormatter.format_message(error.without_snippet()).into_owned();
            Err(PolicyError {
                file: file.to_owned(),
                line: place.line,
                column: place.column,
                kind: PolicyErrorKind::Syntax { message },
            })
        }
    }
}

fn place_of<T>(spanned: &Spanned<T>) -> Place {
    Place { line: spanned.referenced.line().max(1), column: spanned.referenced.column().max(1) }
}

fn convert(spanned: Spanned<RawNode>) -> Node {
    let place = place_of(&spanned);
    let value = match spanned.value {
        RawNode::Null => Value::Null,
        RawNode::Bool(value) => Value::Bool(value),
        RawNode::Int(value) => Value::Int(value),
        RawNode::Float(value) => Value::Float(value),
        RawNode::Str(value) => Value::Str(value),
        RawNode::Seq(items) => Value::Seq(items.into_iter().map(convert).collect()),
        RawNode::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(key, value)| {
                    let key_place = place_of(&key);
                    (Key { text: key.value, place: key_place }, convert(value))
                })
                .collect(),
        ),
    };
    Node { value, place }
}

/// What serde-saphyr fills in; converted to [`Node`] right after.
enum RawNode {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<RawNode>>),
    Map(Vec<(Spanned<String>, Spanned<RawNode>)>),
}

impl<'de> Deserialize<'de> for RawNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RawNode, D::Error> {
        deserializer.deserialize_any(RawNodeVisitor)
    }
}

struct RawNodeVisitor;

impl<'de> Visitor<'de> for RawNodeVisitor {
    type Value = RawNode;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<RawNode, E> {
        Ok(RawNode::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<RawNode, E> {
        Ok(RawNode::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<RawNode, D::Error> {
        deserializer.deserialize_any(RawNodeVisitor)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<RawNode, E> {
        Ok(RawNode::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<RawNode, E> {
        Ok(RawNode::Int(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<RawNode, E> {
        // Integers beyond i64 are not meaningful in a policy; they read as numbers
        // and fail the integer checks with a clear message.
        Ok(i64::try_from(value).map(RawNode::Int).unwrap_or(RawNode::Float(value as f64)))
    }

    fn visit_i128<E: de::Error>(self, value: i128) -> Result<RawNode, E> {
        Ok(i64::try_from(value).map(RawNode::Int).unwrap_or(RawNode::Float(value as f64)))
    }

    fn visit_u128<E: de::Error>(self, value: u128) -> Result<RawNode, E> {
        Ok(i64::try_from(value).map(RawNode::Int).unwrap_or(RawNode::Float(value as f64)))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<RawNode, E> {
        Ok(RawNode::Float(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<RawNode, E> {
        Ok(RawNode::Str(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<RawNode, E> {
        Ok(RawNode::Str(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawNode, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(RawNode::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawNode, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let value = map.next_value()?;
            entries.push((key, value));
        }
        Ok(RawNode::Map(entries))
    }
}

/// Reading helpers: each turns a wrong shape into a [`PolicyError`] at the node.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    pub(crate) file: &'a str,
}

impl<'a> Reader<'a> {
    pub(crate) fn error(&self, place: Place, kind: PolicyErrorKind) -> PolicyError {
        PolicyError { file: self.file.to_owned(), line: place.line, column: place.column, kind }
    }

    fn wrong_type(&self, node: &Node, what: &str, expected: &'static str) -> PolicyError {
        self.error(
            node.place,
            PolicyErrorKind::WrongType { what: what.to_owned(), expected, found: node.value.type_name() },
        )
    }

    pub(crate) fn invalid(&self, node: &Node, what: &str, message: impl Into<String>) -> PolicyError {
        self.error(node.place, PolicyErrorKind::InvalidValue { what: what.to_owned(), message: message.into() })
    }

    /// A mapping, with the keys it may have.
    pub(crate) fn map<'n>(
        &self,
        node: &'n Node,
        what: &str,
        allowed: &[&'static str],
    ) -> Result<MapView<'n>, PolicyError> {
        let Value::Map(entries) = &node.value else {
            return Err(self.wrong_type(node, what, "a mapping"));
        };
        for (key, _) in entries {
            if !allowed.contains(&key.text.as_str()) {
                return Err(self.error(
                    key.place,
                    PolicyErrorKind::UnknownKey {
                        key: key.text.clone(),
                        context: what.to_owned(),
                        expected: allowed.join(", "),
                    },
                ));
            }
        }
        Ok(MapView { entries, place: node.place, what: what.to_owned() })
    }

    /// A mapping with any keys (project names).
    pub(crate) fn any_map<'n>(&self, node: &'n Node, what: &str) -> Result<&'n [(Key, Node)], PolicyError> {
        match &node.value {
            Value::Map(entries) => Ok(entries),
            _ => Err(self.wrong_type(node, what, "a mapping")),
        }
    }

    pub(crate) fn seq<'n>(&self, node: &'n Node, what: &str) -> Result<&'n [Node], PolicyError> {
        match &node.value {
            Value::Seq(items) => Ok(items),
            _ => Err(self.wrong_type(node, what, "a list")),
        }
    }

    pub(crate) fn str<'n>(&self, node: &'n Node, what: &str) -> Result<&'n str, PolicyError> {
        match &node.value {
            Value::Str(text) => Ok(text),
            _ => Err(self.wrong_type(node, what, "a string")),
        }
    }

    pub(crate) fn bool(&self, node: &Node, what: &str) -> Result<bool, PolicyError> {
        match node.value {
            Value::Bool(value) => Ok(value),
            _ => Err(self.wrong_type(node, what, "a boolean (true or false)")),
        }
    }

    /// A whole number ≥ 0.
    pub(crate) fn count(&self, node: &Node, what: &str) -> Result<u64, PolicyError> {
        match node.value {
            Value::Int(value) => u64::try_from(value).map_err(|_| self.invalid(node, what, "must not be negative")),
            _ => Err(self.wrong_type(node, what, "a whole number")),
        }
    }

    /// A number (integers are numbers too).
    pub(crate) fn number(&self, node: &Node, what: &str) -> Result<f64, PolicyError> {
        match node.value {
            Value::Int(value) => Ok(value as f64),
            Value::Float(value) if value.is_finite() => Ok(value),
            Value::Float(_) => Err(self.invalid(node, what, "must be a finite number")),
            _ => Err(self.wrong_type(node, what, "a number")),
        }
    }

    /// A list of strings; a single string is not accepted, so `kinds: sast` gets a
    /// message rather than a surprise.
    pub(crate) fn strings<'n>(&self, node: &'n Node, what: &str) -> Result<Vec<(&'n str, &'n Node)>, PolicyError> {
        self.seq(node, what)?
            .iter()
            .map(|item| self.str(item, &format!("{what} item")).map(|text| (text, item)))
            .collect()
    }
}

/// A mapping whose keys were checked.
#[derive(Debug, Clone)]
pub(crate) struct MapView<'n> {
    entries: &'n [(Key, Node)],
    pub(crate) place: Place,
    pub(crate) what: String,
}

impl<'n> MapView<'n> {
    /// The value at `key`; an explicit `null` counts as absent.
    pub(crate) fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _)| k.text == key)
            .map(|(_, value)| value)
            .filter(|value| value.value != Value::Null)
    }

    pub(crate) fn key_place(&self, key: &str) -> Option<Place> {
        self.entries.iter().find(|(k, _)| k.text == key).map(|(k, _)| k.place)
    }

    pub(crate) fn require(&self, reader: &Reader<'_>, key: &'static str) -> Result<&'n Node, PolicyError> {
        self.get(key)
            .ok_or_else(|| reader.error(self.place, PolicyErrorKind::MissingKey { key, context: self.what.clone() }))
    }

    pub(crate) fn entries(&self) -> &'n [(Key, Node)] {
        self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(node: &Node) -> (u64, u64) {
        (node.place.line, node.place.column)
    }

    #[test]
    fn values_and_places() {
        let text = "a: 1\nb: [x, 2.5, true, ~, 'yes', yes]\nc:\n  d: |\n    text\n";
        let root = parse(text, "p.yaml").unwrap();
        let Value::Map(entries) = &root.value else { panic!("{root:?}") };
        assert_eq!(entries[0].0.text, "a");
        assert_eq!(at(&entries[0].1), (1, 4));
        let Value::Seq(items) = &entries[1].1.value else { panic!() };
        let values: Vec<_> = items.iter().map(|item| item.value.clone()).collect();
        assert_eq!(
            values,
            [
                Value::Str("x".into()),
                Value::Float(2.5),
                Value::Bool(true),
                Value::Null,
                Value::Str("yes".into()),
                // YAML 1.2: `yes` is a string, not a boolean.
                Value::Str("yes".into()),
            ]
        );
        assert_eq!(at(&items[1]), (2, 8));
        let Value::Map(inner) = &entries[2].1.value else { panic!() };
        assert_eq!((inner[0].0.place.line, inner[0].0.place.column), (4, 3));
        assert_eq!(inner[0].1.value, Value::Str("text\n".into()));
        assert_eq!(at(&inner[0].1), (5, 5));
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..10 {
            let previous = format!("*a{}", level - 1);
            text.push_str(&format!("a{level}: &a{level} [{}]\n", [previous.as_str(); 10].join(", ")));
        }
        let error = parse(&text, "p.yaml").unwrap_err();
        assert!(matches!(error.kind, PolicyErrorKind::Syntax { .. }), "{error}");
    }

    #[test]
    fn syntax_errors_have_places() {
        let error = parse("a: 1\na: 2\n", "p.yaml").unwrap_err();
        assert_eq!((error.line, error.column), (2, 1));
        assert!(error.to_string().starts_with("p.yaml:2:1: duplicate mapping key"), "{error}");
        let error = parse("a:\n  - x\n - y\n", "p.yaml").unwrap_err();
        assert_eq!((error.line, error.column), (3, 2), "{error}");
    }
}
