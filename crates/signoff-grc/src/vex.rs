//! Finding dispositions as VEX (G2): OpenVEX 0.2 and CycloneDX 1.6, exported and read
//! back.
//!
//! A [`Disposition`] is what signoff's triage decided about one vulnerability in one
//! product: not affected (with a justification), a false positive, fixed, or an
//! accepted risk. Exported, scanners that read VEX stop re-reporting it; read back
//! ([`import_openvex`], [`import_cyclonedx`]) it gives the same dispositions, so
//! signoff can take VEX documents from elsewhere too.
//!
//! # OpenVEX 0.2 (openvex/spec, `OPENVEX-SPEC.md` and `openvex_json_schema.json`)
//!
//! | disposition | `status` | also |
//! |---|---|---|
//! | not affected | `not_affected` | `justification`, `impact_statement` = detail |
//! | false positive | `not_affected` | `justification: vulnerable_code_not_present`, `status_notes: "signoff:false_positive"` |
//! | fixed | `fixed` | |
//! | accepted risk | `affected` | `action_statement` = action (OpenVEX requires one for `affected`), `status_notes: "signoff:accepted_risk"` |
//!
//! OpenVEX has no false-positive or accepted-risk status; the `status_notes` marker is
//! how signoff reads its own documents back, and other readers see a valid
//! `not_affected` or `affected` statement. Statements of other tools: `not_affected`
//! is not affected, `fixed` fixed, `affected` with an action statement an accepted
//! risk; `under_investigation` is not a disposition and is refused.
//!
//! # CycloneDX 1.6 (`vulnerabilities[].analysis`)
//!
//! | disposition | `analysis.state` | also |
//! |---|---|---|
//! | not affected | `not_affected` | `justification` mapped below, the exact one in property `signoff:justification` |
//! | false positive | `false_positive` | |
//! | fixed | `resolved` | `response: ["update"]` |
//! | accepted risk | `exploitable` | `response: ["will_not_fix"]` |
//!
//! `detail` is the analysis detail, the action is the vulnerability's
//! `recommendation`, aliases are `references`, and `affects` names the product (or its
//! affected subcomponents, nested under it in `components`). Justifications (OpenVEX
//! → CycloneDX, as CISA's VEX minimum-requirements crosswalk pairs them):
//! component_not_present → `code_not_present`, vulnerable_code_not_present →
//! `code_not_present`, vulnerable_code_not_in_execute_path → `code_not_reachable`,
//! vulnerable_code_cannot_be_controlled_by_adversary → `requires_environment`,
//! inline_mitigations_already_exist → `protected_by_mitigating_control`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use crate::artifact::{parse_time, stable_uuid};

/// The OpenVEX context of version 0.2.0.
pub const OPENVEX_CONTEXT: &str = "https://openvex.dev/ns/v0.2.0";
const FALSE_POSITIVE_NOTE: &str = "signoff:false_positive";
const ACCEPTED_RISK_NOTE: &str = "signoff:accepted_risk";
const JUSTIFICATION_PROPERTY: &str = "signoff:justification";

/// What triage decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DispositionStatus {
    /// The product is not affected (needs a justification or a detail).
    NotAffected,
    /// The scanner was wrong: the vulnerability is not there.
    FalsePositive,
    /// Fixed in this product.
    Fixed,
    /// Affected, and the risk is accepted (needs an action statement).
    AcceptedRisk,
}

/// Why a product is not affected: OpenVEX's (and CISA's) five justifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Justification {
    /// The vulnerable component is not in the product.
    ComponentNotPresent,
    /// The component is there, the vulnerable code is not.
    VulnerableCodeNotPresent,
    /// The vulnerable code cannot be executed.
    VulnerableCodeNotInExecutePath,
    /// The vulnerable code cannot be reached by an attacker's input.
    VulnerableCodeCannotBeControlledByAdversary,
    /// Built-in protections prevent exploitation.
    InlineMitigationsAlreadyExist,
}

impl Justification {
    const ALL: [Justification; 5] = [
        Justification::ComponentNotPresent,
        Justification::VulnerableCodeNotPresent,
        Justification::VulnerableCodeNotInExecutePath,
        Justification::VulnerableCodeCannotBeControlledByAdversary,
        Justification::InlineMitigationsAlreadyExist,
    ];

    /// The OpenVEX name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Justification::ComponentNotPresent => "component_not_present",
            Justification::VulnerableCodeNotPresent => "vulnerable_code_not_present",
            Justification::VulnerableCodeNotInExecutePath => "vulnerable_code_not_in_execute_path",
            Justification::VulnerableCodeCannotBeControlledByAdversary => {
                "vulnerable_code_cannot_be_controlled_by_adversary"
            }
            Justification::InlineMitigationsAlreadyExist => "inline_mitigations_already_exist",
        }
    }

    fn parse(text: &str) -> Option<Justification> {
        Justification::ALL.into_iter().find(|justification| justification.as_str() == text)
    }

    /// The CycloneDX `analysis.justification` (module doc).
    pub const fn cyclonedx(self) -> &'static str {
        match self {
            Justification::ComponentNotPresent | Justification::VulnerableCodeNotPresent => "code_not_present",
            Justification::VulnerableCodeNotInExecutePath => "code_not_reachable",
            Justification::VulnerableCodeCannotBeControlledByAdversary => "requires_environment",
            Justification::InlineMitigationsAlreadyExist => "protected_by_mitigating_control",
        }
    }

    /// The justification a CycloneDX one stands for, when read from another tool.
    fn from_cyclonedx(text: &str) -> Option<Justification> {
        Some(match text {
            "code_not_present" => Justification::VulnerableCodeNotPresent,
            "code_not_reachable" => Justification::VulnerableCodeNotInExecutePath,
            "requires_configuration" | "requires_dependency" | "requires_environment" => {
                Justification::VulnerableCodeCannotBeControlledByAdversary
            }
            "protected_by_compiler"
            | "protected_at_runtime"
            | "protected_at_perimeter"
            | "protected_by_mitigating_control" => Justification::InlineMitigationsAlreadyExist,
            _ => return None,
        })
    }
}

/// One disposition: the plain input the lead maps triage records onto.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disposition {
    /// The vulnerability (`CVE-2024-3094`, `GHSA-…`).
    pub vulnerability: String,
    /// Other ids of it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The product: a purl (`pkg:oci/shop@sha256:…`) or another IRI.
    pub product: String,
    /// The affected packages inside it (purls), if narrower than the product.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subcomponents: Vec<String>,
    /// The decision.
    pub status: DispositionStatus,
    /// Why not affected (only with `not_affected`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<Justification>,
    /// Why, in words (OpenVEX impact statement, CycloneDX detail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// What is done about it (required for an accepted risk).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// When it was decided, RFC 3339.
    pub decided_at: String,
}

/// Why dispositions could not be exported or a document read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VexError {
    /// A disposition breaks a rule of the formats.
    #[error("disposition {index} ({vulnerability}): {why}")]
    Invalid {
        /// Its position in the input.
        index: usize,
        /// Its vulnerability.
        vulnerability: String,
        /// What is wrong.
        why: String,
    },
    /// A document is not what the format says.
    #[error("{format} document: {place}: {why}")]
    Document {
        /// `OpenVEX` or `CycloneDX`.
        format: &'static str,
        /// JSON path of the problem.
        place: String,
        /// What is wrong.
        why: String,
    },
    /// A date-time is not RFC 3339.
    #[error(transparent)]
    Time(#[from] crate::artifact::ArtifactError),
}

impl Disposition {
    /// Checks the rules both formats need (module doc).
    ///
    /// # Errors
    ///
    /// [`VexError::Invalid`] saying which rule.
    pub fn validate(&self, index: usize) -> Result<(), VexError> {
        let invalid =
            |why: &str| VexError::Invalid { index, vulnerability: self.vulnerability.clone(), why: why.to_owned() };
        if self.vulnerability.trim().is_empty() || self.product.trim().is_empty() {
            return Err(invalid("vulnerability and product are required"));
        }
        match self.status {
            DispositionStatus::NotAffected if self.justification.is_none() && self.detail.is_none() => {
                Err(invalid("not_affected needs a justification or a detail"))
            }
            DispositionStatus::AcceptedRisk if self.action.as_deref().is_none_or(|action| action.trim().is_empty()) => {
                Err(invalid("an accepted risk needs an action statement"))
            }
            status if status != DispositionStatus::NotAffected && self.justification.is_some() => {
                Err(invalid("only not_affected takes a justification"))
            }
            _ => {
                parse_time("decided_at", &self.decided_at)?;
                Ok(())
            }
        }
    }

    /// The same disposition with `decided_at` in canonical RFC 3339 (UTC as given).
    fn normalised(&self) -> Result<Disposition, VexError> {
        let mut copy = self.clone();
        copy.decided_at = normalise_time(&self.decided_at)?;
        Ok(copy)
    }
}

fn normalise_time(value: &str) -> Result<String, VexError> {
    let at = parse_time("decided_at", value)?;
    Ok(at.format(&Rfc3339).unwrap_or_else(|_| value.to_owned()))
}

fn latest(dispositions: &[Disposition]) -> Result<String, VexError> {
    let mut latest = None;
    for disposition in dispositions {
        let at = parse_time("decided_at", &disposition.decided_at)?;
        latest = Some(latest.map_or(at, |latest: time::OffsetDateTime| latest.max(at)));
    }
    Ok(latest.and_then(|at| at.format(&Rfc3339).ok()).unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned()))
}

fn checked(dispositions: &[Disposition]) -> Result<Vec<Disposition>, VexError> {
    dispositions
        .iter()
        .enumerate()
        .map(|(index, disposition)| {
            disposition.validate(index)?;
            disposition.normalised()
        })
        .collect()
}

fn content_id(kind: &str, author: &str, dispositions: &[Disposition]) -> uuid::Uuid {
    let body = serde_json::to_string(dispositions).unwrap_or_default();
    stable_uuid(&[kind, author, &body])
}

/// An OpenVEX 0.2 document of `dispositions` by `author` (module doc). Its `@id` and
/// timestamp derive from the content, so the same input gives the same bytes.
///
/// # Errors
///
/// [`VexError`] for a disposition that breaks a rule.
pub fn export_openvex(dispositions: &[Disposition], author: &str) -> Result<Value, VexError> {
    let dispositions = checked(dispositions)?;
    let statements: Vec<Value> = dispositions
        .iter()
        .map(|disposition| {
            let mut vulnerability = json!({"name": disposition.vulnerability});
            if !disposition.aliases.is_empty() {
                vulnerability["aliases"] = json!(disposition.aliases);
            }
            let mut product = json!({"@id": disposition.product});
            if !disposition.subcomponents.is_empty() {
                product["subcomponents"] =
                    Value::Array(disposition.subcomponents.iter().map(|purl| json!({"@id": purl})).collect());
            }
            let mut statement = json!({
                "vulnerability": vulnerability,
                "products": [product],
                "timestamp": disposition.decided_at,
            });
            let (status, justification, note) = match disposition.status {
                DispositionStatus::NotAffected => ("not_affected", disposition.justification, None),
                DispositionStatus::FalsePositive => {
                    ("not_affected", Some(Justification::VulnerableCodeNotPresent), Some(FALSE_POSITIVE_NOTE))
                }
                DispositionStatus::Fixed => ("fixed", None, None),
                DispositionStatus::AcceptedRisk => ("affected", None, Some(ACCEPTED_RISK_NOTE)),
            };
            statement["status"] = json!(status);
            if let Some(justification) = justification {
                statement["justification"] = json!(justification.as_str());
            }
            if let Some(note) = note {
                statement["status_notes"] = json!(note);
            }
            if let Some(detail) = &disposition.detail {
                statement["impact_statement"] = json!(detail);
            }
            if let Some(action) = &disposition.action {
                statement["action_statement"] = json!(action);
            }
            statement
        })
        .collect();
    Ok(json!({
        "@context": OPENVEX_CONTEXT,
        "@id": format!("https://signoff.dev/vex/{}", content_id("openvex", author, &dispositions)),
        "author": author,
        "timestamp": latest(&dispositions)?,
        "version": 1,
        "tooling": concat!("signoff ", env!("CARGO_PKG_VERSION")),
        "statements": statements,
    }))
}

fn text(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| items.iter().filter_map(|item| item.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// The dispositions of an OpenVEX document, one per (statement, product); a
/// statement without its own timestamp takes the document's.
///
/// # Errors
///
/// [`VexError::Document`] naming the statement for anything that is not a
/// disposition or breaks the format.
pub fn import_openvex(document: &Value) -> Result<Vec<Disposition>, VexError> {
    let problem = |place: String, why: &str| VexError::Document { format: "OpenVEX", place, why: why.to_owned() };
    if !document["@context"].as_str().is_some_and(|context| context.starts_with("https://openvex.dev/ns")) {
        return Err(problem("@context".into(), "not an OpenVEX context"));
    }
    let statements = document["statements"].as_array().ok_or_else(|| problem("statements".into(), "missing"))?;
    let mut dispositions = Vec::new();
    for (index, statement) in statements.iter().enumerate() {
        let place = |field: &str| format!("statements[{index}].{field}");
        let vulnerability =
            text(&statement["vulnerability"]["name"]).ok_or_else(|| problem(place("vulnerability.name"), "missing"))?;
        let notes = statement["status_notes"].as_str();
        let justification = match statement["justification"].as_str() {
            Some(name) => Some(
                Justification::parse(name).ok_or_else(|| problem(place("justification"), "unknown justification"))?,
            ),
            None => None,
        };
        let (status, justification) = match (statement["status"].as_str(), notes) {
            (Some("not_affected"), Some(FALSE_POSITIVE_NOTE)) => (DispositionStatus::FalsePositive, None),
            (Some("not_affected"), _) => (DispositionStatus::NotAffected, justification),
            (Some("fixed"), _) => (DispositionStatus::Fixed, None),
            (Some("affected"), _) => (DispositionStatus::AcceptedRisk, None),
            (Some("under_investigation"), _) => {
                return Err(problem(place("status"), "under_investigation is not a disposition"));
            }
            _ => return Err(problem(place("status"), "missing or unknown status")),
        };
        let decided_at = text(&statement["timestamp"])
            .or_else(|| text(&document["timestamp"]))
            .ok_or_else(|| problem(place("timestamp"), "missing (and no document timestamp)"))?;
        let products = statement["products"].as_array().ok_or_else(|| problem(place("products"), "missing"))?;
        for (product_index, product) in products.iter().enumerate() {
            let id = text(&product["@id"])
                .or_else(|| text(&product["identifiers"]["purl"]))
                .ok_or_else(|| problem(place(&format!("products[{product_index}].@id")), "missing"))?;
            let subcomponents = product["subcomponents"]
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|item| text(&item["@id"]).or_else(|| text(&item["identifiers"]["purl"])))
                        .collect()
                })
                .unwrap_or_default();
            let disposition = Disposition {
                vulnerability: vulnerability.clone(),
                aliases: strings(&statement["vulnerability"]["aliases"]),
                product: id,
                subcomponents,
                status,
                justification,
                detail: text(&statement["impact_statement"]),
                action: text(&statement["action_statement"]),
                decided_at: normalise_time(&decided_at)?,
            };
            disposition.validate(dispositions.len()).map_err(|error| problem(place("status"), &error.to_string()))?;
            dispositions.push(disposition);
        }
    }
    Ok(dispositions)
}

fn alias_source(alias: &str) -> &'static str {
    if alias.starts_with("GHSA-") {
        "GitHub Advisory Database"
    } else if alias.starts_with("CVE-") {
        "NVD"
    } else if alias.starts_with("OSV-") || alias.starts_with("PYSEC-") || alias.starts_with("GO-") {
        "OSV"
    } else {
        "other"
    }
}

fn component(bom_ref: &str, name: &str, kind: &str) -> Value {
    let mut component = json!({"type": kind, "bom-ref": bom_ref, "name": name});
    if name.starts_with("pkg:") {
        component["purl"] = json!(name);
    }
    component
}

fn subcomponent_ref(product: &str, purl: &str) -> String {
    format!("{product}#{purl}")
}

/// A CycloneDX 1.6 BOM carrying `dispositions` as VEX (module doc). Its serial number
/// and timestamp derive from the content.
///
/// # Errors
///
/// [`VexError`] for a disposition that breaks a rule.
pub fn export_cyclonedx(dispositions: &[Disposition], author: &str) -> Result<Value, VexError> {
    let dispositions = checked(dispositions)?;
    // Products and their affected subcomponents, each once.
    let mut products: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for disposition in &dispositions {
        products.entry(&disposition.product).or_default().extend(disposition.subcomponents.iter().map(String::as_str));
    }
    let components: Vec<Value> = products
        .iter()
        .map(|(product, subcomponents)| {
            let mut product_component = component(product, product, "application");
            if !subcomponents.is_empty() {
                product_component["components"] = Value::Array(
                    subcomponents
                        .iter()
                        .map(|purl| component(&subcomponent_ref(product, purl), purl, "library"))
                        .collect(),
                );
            }
            product_component
        })
        .collect();
    let vulnerabilities: Vec<Value> = dispositions
        .iter()
        .enumerate()
        .map(|(index, disposition)| {
            let (state, response) = match disposition.status {
                DispositionStatus::NotAffected => ("not_affected", None),
                DispositionStatus::FalsePositive => ("false_positive", None),
                DispositionStatus::Fixed => ("resolved", Some("update")),
                DispositionStatus::AcceptedRisk => ("exploitable", Some("will_not_fix")),
            };
            let mut analysis = json!({
                "state": state,
                "firstIssued": disposition.decided_at,
                "lastUpdated": disposition.decided_at,
            });
            if let Some(justification) = disposition.justification {
                analysis["justification"] = json!(justification.cyclonedx());
            }
            if let Some(response) = response {
                analysis["response"] = json!([response]);
            }
            if let Some(detail) = &disposition.detail {
                analysis["detail"] = json!(detail);
            }
            let affects: Vec<Value> = if disposition.subcomponents.is_empty() {
                vec![json!({"ref": disposition.product})]
            } else {
                disposition
                    .subcomponents
                    .iter()
                    .map(|purl| json!({"ref": subcomponent_ref(&disposition.product, purl)}))
                    .collect()
            };
            let mut vulnerability = json!({
                "bom-ref": format!("vulnerability-{}-{}", index + 1, disposition.vulnerability),
                "id": disposition.vulnerability,
                "analysis": analysis,
                "affects": affects,
            });
            if !disposition.aliases.is_empty() {
                vulnerability["references"] = Value::Array(
                    disposition
                        .aliases
                        .iter()
                        .map(|alias| json!({"id": alias, "source": {"name": alias_source(alias)}}))
                        .collect(),
                );
            }
            if let Some(action) = &disposition.action {
                vulnerability["recommendation"] = json!(action);
            }
            if let Some(justification) = disposition.justification {
                vulnerability["properties"] =
                    json!([{"name": JUSTIFICATION_PROPERTY, "value": justification.as_str()}]);
            }
            vulnerability
        })
        .collect();
    Ok(json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", content_id("cyclonedx", author, &dispositions)),
        "version": 1,
        "metadata": {
            "timestamp": latest(&dispositions)?,
            "tools": {"components": [{"type": "application", "name": "signoff", "version": env!("CARGO_PKG_VERSION")}]},
            "authors": [{"name": author}],
        },
        "components": components,
        "vulnerabilities": vulnerabilities,
    }))
}

/// The dispositions of a CycloneDX VEX BOM: one per (vulnerability, product), its
/// affected subcomponents gathered; `in_triage` is refused.
///
/// # Errors
///
/// [`VexError::Document`] naming the vulnerability for anything that is not a
/// disposition or breaks the format.
pub fn import_cyclonedx(document: &Value) -> Result<Vec<Disposition>, VexError> {
    let problem = |place: String, why: &str| VexError::Document { format: "CycloneDX", place, why: why.to_owned() };
    if document["bomFormat"] != "CycloneDX" {
        return Err(problem("bomFormat".into(), "not a CycloneDX BOM"));
    }
    // bom-ref → (product, subcomponent purl or None), from the component tree.
    let mut refs: BTreeMap<String, (String, Option<String>)> = BTreeMap::new();
    for product in document["components"].as_array().into_iter().flatten() {
        let Some(product_ref) = text(&product["bom-ref"]) else { continue };
        let product_id =
            text(&product["purl"]).or_else(|| text(&product["name"])).unwrap_or_else(|| product_ref.clone());
        for sub in product["components"].as_array().into_iter().flatten() {
            if let Some(sub_ref) = text(&sub["bom-ref"]) {
                let purl = text(&sub["purl"]).or_else(|| text(&sub["name"])).unwrap_or_else(|| sub_ref.clone());
                refs.insert(sub_ref, (product_id.clone(), Some(purl)));
            }
        }
        refs.insert(product_ref, (product_id, None));
    }
    let fallback_time = text(&document["metadata"]["timestamp"]);
    let mut dispositions = Vec::new();
    for (index, vulnerability) in document["vulnerabilities"].as_array().into_iter().flatten().enumerate() {
        let place = |field: &str| format!("vulnerabilities[{index}].{field}");
        let id = text(&vulnerability["id"]).ok_or_else(|| problem(place("id"), "missing"))?;
        let analysis = &vulnerability["analysis"];
        let exact = vulnerability["properties"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|property| property["name"] == JUSTIFICATION_PROPERTY)
            .and_then(|property| property["value"].as_str())
            .and_then(Justification::parse);
        let status = match analysis["state"].as_str() {
            Some("not_affected") => DispositionStatus::NotAffected,
            Some("false_positive") => DispositionStatus::FalsePositive,
            Some("resolved" | "resolved_with_pedigree") => DispositionStatus::Fixed,
            Some("exploitable") => DispositionStatus::AcceptedRisk,
            Some("in_triage") => return Err(problem(place("analysis.state"), "in_triage is not a disposition")),
            _ => return Err(problem(place("analysis.state"), "missing or unknown state")),
        };
        let justification = match status {
            DispositionStatus::NotAffected => {
                exact.or_else(|| analysis["justification"].as_str().and_then(Justification::from_cyclonedx))
            }
            _ => None,
        };
        let decided_at = text(&analysis["lastUpdated"])
            .or_else(|| text(&analysis["firstIssued"]))
            .or_else(|| fallback_time.clone())
            .ok_or_else(|| problem(place("analysis.lastUpdated"), "missing (and no metadata timestamp)"))?;
        // Gather the affected refs per product, in document order.
        let mut by_product: Vec<(String, Vec<String>)> = Vec::new();
        for (affect_index, affect) in vulnerability["affects"].as_array().into_iter().flatten().enumerate() {
            let reference = text(&affect["ref"])
                .ok_or_else(|| problem(place(&format!("affects[{affect_index}].ref")), "missing"))?;
            let (product, sub) = refs.get(&reference).cloned().unwrap_or((reference, None));
            match by_product.iter_mut().find(|(existing, _)| *existing == product) {
                Some((_, subs)) => subs.extend(sub),
                None => by_product.push((product, sub.into_iter().collect())),
            }
        }
        if by_product.is_empty() {
            return Err(problem(place("affects"), "names no product"));
        }
        for (product, subcomponents) in by_product {
            let disposition = Disposition {
                vulnerability: id.clone(),
                aliases: vulnerability["references"]
                    .as_array()
                    .map(|items| items.iter().filter_map(|item| text(&item["id"])).collect())
                    .unwrap_or_default(),
                product,
                subcomponents,
                status,
                justification,
                detail: text(&analysis["detail"]),
                action: text(&vulnerability["recommendation"]),
                decided_at: normalise_time(&decided_at)?,
            };
            disposition.validate(dispositions.len()).map_err(|error| problem(place("analysis"), &error.to_string()))?;
            dispositions.push(disposition);
        }
    }
    Ok(dispositions)
}
