//! Reading one catalog file (the built-in or a user's) into a checked [`Layer`].
//!
//! serde-saphyr reads the YAML (1.2 core schema: only `true`/`false` are booleans,
//! duplicate keys are errors, unknown keys are errors) into raw structs whose
//! values remember where they were written. The checks that serde cannot make
//! (evidence names against the vocabulary and its aliases, id rules, duplicates)
//! follow, each reporting the exact place. A [`Layer`] is then applied to a catalog
//! by `Catalog::merge`.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_saphyr::{MessageFormatter, Spanned};

use crate::catalog::{Control, Fit, Origin, RetentionBasis, TitleKind};
use crate::error::{CatalogError, CatalogErrorKind};
use crate::evidence::{EvidenceType, expected_names};

/// A place in a file: 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Place {
    pub(crate) line: u64,
    pub(crate) column: u64,
}

fn place_of<T>(spanned: &Spanned<T>) -> Place {
    Place { line: spanned.referenced.line().max(1), column: spanned.referenced.column().max(1) }
}

/// A catalog file, read and checked, not yet applied.
#[derive(Debug, Clone)]
pub(crate) struct Layer {
    pub(crate) evidence_types: Vec<(EvidenceType, String)>,
    pub(crate) aliases: Vec<(String, EvidenceType)>,
    pub(crate) frameworks: Vec<FrameworkLayer>,
}

/// One framework of a file: every field but the id is optional here, because a
/// user's file may change only some fields of a framework the catalog has.
#[derive(Debug, Clone)]
pub(crate) struct FrameworkLayer {
    pub(crate) id: String,
    pub(crate) place: Place,
    pub(crate) name: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) retention_days: Option<u64>,
    pub(crate) retention_basis: Option<RetentionBasis>,
    pub(crate) retention_note: Option<String>,
    pub(crate) immediately_available_days: Option<u64>,
    pub(crate) online_retention_days: Option<u64>,
    pub(crate) controls: Vec<Control>,
}

/// The file as serde reads it.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    #[serde(default)]
    schema_version: Option<Spanned<u64>>,
    #[serde(default)]
    evidence_types: Option<SpannedMap<String>>,
    #[serde(default)]
    evidence_aliases: Option<SpannedMap<Vec<Spanned<String>>>>,
    #[serde(default)]
    frameworks: Vec<Spanned<RawFramework>>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFramework {
    id: Spanned<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    retention_days: Option<u64>,
    #[serde(default)]
    retention_basis: Option<RetentionBasis>,
    #[serde(default)]
    retention_note: Option<String>,
    #[serde(default)]
    immediately_available_days: Option<u64>,
    #[serde(default)]
    online_retention_days: Option<u64>,
    #[serde(default)]
    controls: Vec<Spanned<RawControl>>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControl {
    id: Spanned<String>,
    title: String,
    #[serde(default)]
    title_kind: Option<TitleKind>,
    #[serde(default)]
    summary: Option<String>,
    evidence: Spanned<Vec<Spanned<String>>>,
    fit: Fit,
}

/// A mapping whose keys keep their places, in file order.
#[derive(Debug)]
struct SpannedMap<V>(Vec<(Spanned<String>, V)>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for SpannedMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<SpannedMap<V>, D::Error> {
        struct MapVisitor<V>(PhantomData<V>);

        impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
            type Value = SpannedMap<V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SpannedMap<V>, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    let value = map.next_value()?;
                    entries.push((key, value));
                }
                Ok(SpannedMap(entries))
            }
        }

        deserializer.deserialize_map(MapVisitor(PhantomData))
    }
}

/// Reads and checks one catalog file.
///
/// `known_aliases` are the aliases of the catalog the file will be applied to; the
/// file may use them and add its own.
pub(crate) fn parse_layer(
    text: &str,
    file: &str,
    origin: &Origin,
    known_aliases: &BTreeMap<String, EvidenceType>,
) -> Result<Layer, CatalogError> {
    let error = |place: Place, kind: CatalogErrorKind| CatalogError {
        file: file.to_owned(),
        line: place.line,
        column: place.column,
        kind,
    };
    let options = serde_saphyr::options! {
        strict_booleans: true,
    };
    let raw: RawCatalog = serde_saphyr::from_str_with_options(text, options).map_err(|failure| {
        let place = failure
            .location()
            .map(|location| Place { line: location.line().max(1), column: location.column().max(1) })
            .unwrap_or(Place { line: 1, column: 1 });
        let message = serde_saphyr::DefaultMessageFormatter.format_message(failure.without_snippet()).into_owned();
        error(place, CatalogErrorKind::Syntax { message })
    })?;

    if let Some(version) = &raw.schema_version
        && version.value != 1
    {
        return Err(error(place_of(version), CatalogErrorKind::SchemaVersion { found: version.value }));
    }

    let unknown_kind =
        |given: &str| CatalogErrorKind::UnknownEvidenceKind { given: given.to_owned(), expected: expected_names() };

    let mut evidence_types = Vec::new();
    for (name, description) in raw.evidence_types.map(|map| map.0).unwrap_or_default() {
        let kind = name.value.parse::<EvidenceType>().map_err(|_| error(place_of(&name), unknown_kind(&name.value)))?;
        evidence_types.push((kind, description));
    }

    // Aliases first: the controls below may use the ones this file adds.
    let mut aliases = known_aliases.clone();
    let mut added = Vec::new();
    for (name, names) in raw.evidence_aliases.map(|map| map.0).unwrap_or_default() {
        let kind = name.value.parse::<EvidenceType>().map_err(|_| error(place_of(&name), unknown_kind(&name.value)))?;
        for alias in names {
            let text = alias.value.trim().to_owned();
            if text.parse::<EvidenceType>().is_ok() {
                return Err(error(
                    place_of(&alias),
                    CatalogErrorKind::BadAlias { alias: text, problem: "is an evidence type itself".to_owned() },
                ));
            }
            match aliases.get(&text) {
                Some(existing) if *existing != kind => {
                    return Err(error(
                        place_of(&alias),
                        CatalogErrorKind::BadAlias {
                            alias: text,
                            problem: format!("already stands for {existing}, not {kind}"),
                        },
                    ));
                }
                Some(_) => {}
                None => {
                    aliases.insert(text.clone(), kind);
                    added.push((text, kind));
                }
            }
        }
    }
    let resolve = |name: &str| name.parse::<EvidenceType>().ok().or_else(|| aliases.get(name).copied());
    let unknown_in_control = |given: &str| CatalogErrorKind::UnknownEvidenceKind {
        given: given.to_owned(),
        expected: if aliases.is_empty() {
            expected_names()
        } else {
            format!("{}, or an alias: {}", expected_names(), aliases.keys().cloned().collect::<Vec<_>>().join(", "))
        },
    };

    let mut frameworks: Vec<FrameworkLayer> = Vec::new();
    for framework in raw.frameworks {
        let place = place_of(&framework);
        let framework = framework.value;
        let id = framework.id.value.trim().to_owned();
        check_id(&id, "framework").map_err(|kind| error(place_of(&framework.id), kind))?;
        if frameworks.iter().any(|seen| crate::catalog::same_framework(&seen.id, &id)) {
            return Err(error(place_of(&framework.id), CatalogErrorKind::DuplicateFramework { id }));
        }
        let mut controls: Vec<Control> = Vec::new();
        for control in framework.controls {
            let control = control.value;
            let control_id = control.id.value.trim().to_owned();
            check_id(&control_id, "control").map_err(|kind| error(place_of(&control.id), kind))?;
            if controls.iter().any(|seen| seen.id == control_id) {
                return Err(error(
                    place_of(&control.id),
                    CatalogErrorKind::DuplicateControl { framework: id.clone(), id: control_id },
                ));
            }
            if control.evidence.value.is_empty() {
                return Err(error(place_of(&control.evidence), CatalogErrorKind::NoEvidence { id: control_id }));
            }
            let mut evidence = Vec::new();
            for name in &control.evidence.value {
                let text = name.value.trim();
                let kind = resolve(text).ok_or_else(|| error(place_of(name), unknown_in_control(text)))?;
                if evidence.contains(&kind) {
                    return Err(error(
                        place_of(name),
                        CatalogErrorKind::DuplicateEvidence { control: control_id, kind: kind.to_string() },
                    ));
                }
                evidence.push(kind);
            }
            controls.push(Control {
                id: control_id,
                title: control.title.trim().to_owned(),
                title_kind: control.title_kind.unwrap_or_default(),
                summary: control.summary.map(|text| text.trim().to_owned()).unwrap_or_default(),
                evidence,
                fit: control.fit,
                origin: origin.clone(),
            });
        }
        frameworks.push(FrameworkLayer {
            id,
            place,
            name: framework.name.map(|text| text.trim().to_owned()),
            version: framework.version.map(|text| text.trim().to_owned()),
            retention_days: framework.retention_days,
            retention_basis: framework.retention_basis,
            retention_note: framework.retention_note.map(|text| text.trim().to_owned()),
            immediately_available_days: framework.immediately_available_days,
            online_retention_days: framework.online_retention_days,
            controls,
        });
    }

    Ok(Layer { evidence_types, aliases: added, frameworks })
}

/// Framework and control ids: 1 to 64 printable characters, no spaces, starting
/// with a letter or digit (`CC8.1`, `164.308(a)(1)(ii)(A)`, `nist-800-53`).
fn check_id(id: &str, what: &'static str) -> Result<(), CatalogErrorKind> {
    let rule = "1 to 64 characters, no spaces or control characters, starting with a letter or digit";
    let ok = !id.is_empty()
        && id.chars().count() <= 64
        && id.chars().next().is_some_and(|first| first.is_alphanumeric())
        && id.chars().all(|c| !c.is_whitespace() && !c.is_control());
    if ok { Ok(()) } else { Err(CatalogErrorKind::InvalidId { what, id: id.to_owned(), rule }) }
}
