//! The control catalog (E1): frameworks, their controls and the evidence types each
//! control is demonstrated by; the built-in catalog and users' additions to it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::error::{CatalogError, CatalogErrorKind, UnknownFramework};
use crate::evidence::EvidenceType;
use crate::parse::{Layer, parse_layer};

/// The built-in catalog's text: `catalog/controls.yaml` of this crate, a verbatim
/// copy of the research catalog `shared/controls/controls.yaml` (its notes are in
/// `controls.md` beside it). It ships inside the binary.
pub const BUILT_IN_YAML: &str = include_str!("../catalog/controls.yaml");

/// The name errors in the built-in catalog would be reported under.
pub const BUILT_IN_FILE: &str = "built-in controls.yaml";

/// How the product spells the built-in frameworks whose catalog ids differ
/// (`pci_dss` in the file is `pci-dss` on the command line, in reports and JSON).
const SPELLINGS: &[(&str, &str)] = &[("pci_dss", "pci-dss"), ("nist80053", "nist-800-53")];

/// Other names of a framework. FedRAMP Rev. 5 baselines are selections of NIST SP
/// 800-53 Rev. 5 controls, and the built-in framework maps both (its retention is
/// FedRAMP's), so `fedramp` names the same framework.
const FRAMEWORK_ALIASES: &[(&str, &str)] = &[("fedramp", "nist-800-53")];

static BUILT_IN: LazyLock<Catalog> = LazyLock::new(|| {
    Catalog::empty()
        .merge_origin(BUILT_IN_YAML, BUILT_IN_FILE, Origin::BuiltIn)
        .expect("the built-in catalog is valid: the test `built_in_catalog_parses` reads it")
});

/// What a framework name is compared by: lowercase letters and digits only, so
/// `pci-dss`, `pci_dss` and `PCI DSS` are one framework, and `nist-800-53` is the
/// file's `nist80053`.
fn match_key(name: &str) -> String {
    name.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// Whether two framework names (ids or aliases) name the same framework.
pub(crate) fn same_framework(left: &str, right: &str) -> bool {
    let resolve = |name: &str| {
        let key = match_key(name);
        FRAMEWORK_ALIASES
            .iter()
            .find(|(alias, _)| match_key(alias) == key)
            .map(|(_, target)| match_key(target))
            .unwrap_or(key)
    };
    resolve(left) == resolve(right)
}

/// The id a framework is known by: the product's spelling for the built-in ones,
/// otherwise as written.
fn canonical_id(written: &str) -> String {
    let key = match_key(written);
    SPELLINGS
        .iter()
        .find(|(file_id, _)| match_key(file_id) == key)
        .map(|(_, spelling)| (*spelling).to_owned())
        .unwrap_or_else(|| written.to_owned())
}

/// Where a framework or control comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The built-in catalog.
    BuiltIn,
    /// A user's catalog file, as the caller named it.
    File(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::BuiltIn => f.write_str("built-in"),
            Origin::File(name) => f.write_str(name),
        }
    }
}

/// How well release evidence demonstrates a control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    /// Pipeline evidence directly shows the control operating for a release.
    Strong,
    /// Pipeline evidence helps, but an auditor will also want proof from outside
    /// the pipeline (policy, process, runtime monitoring, HR records).
    Partial,
}

/// Whether a control's title is the framework's official short title.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TitleKind {
    /// The framework's own title (ISO, NIST, HIPAA).
    #[default]
    Official,
    /// Our abridged headline: SOC 2 criteria and PCI DSS requirements have no short
    /// titles.
    Headline,
}

/// Whether a retention period is required by the framework or common practice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionBasis {
    /// The framework states it.
    Mandated,
    /// The framework leaves it to the organisation; this is common practice.
    Practice,
}

/// One control of a framework.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Control {
    /// The framework's id for it (`CC8.1`, `8.32`, `6.2.3.1`, `CM-3`).
    pub id: String,
    /// Its title.
    pub title: String,
    /// Official title or our headline.
    pub title_kind: TitleKind,
    /// Our paraphrase of what it asks (not official text); may be empty in users'
    /// controls.
    pub summary: String,
    /// The evidence types that demonstrate it, aliases resolved, in catalog order.
    pub evidence: Vec<EvidenceType>,
    /// How well pipeline evidence demonstrates it.
    pub fit: Fit,
    /// Built-in or which user file.
    pub origin: Origin,
}

/// One framework and its controls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Framework {
    /// The id the product uses: `soc2`, `iso27001`, `pci-dss`, `hipaa`,
    /// `nist-800-53`, or a user framework's id as written.
    pub id: String,
    /// Full name.
    pub name: String,
    /// Which edition the mapping follows.
    pub version: Option<String>,
    /// The minimum retention of evidence, in days (E3).
    pub retention_days: u64,
    /// Whether that retention is required or common practice.
    pub retention_basis: Option<RetentionBasis>,
    /// Where the retention comes from.
    pub retention_note: Option<String>,
    /// How much of it must be immediately available (PCI DSS: 90 days).
    pub immediately_available_days: Option<u64>,
    /// How much of it must be online (FedRAMP: 90 days).
    pub online_retention_days: Option<u64>,
    /// Its controls, in catalog order (users' new controls after the built-in ones).
    pub controls: Vec<Control>,
    /// Built-in, or the user file that added it. A built-in framework a user file
    /// changed stays `built_in`; its changed controls carry the file.
    pub origin: Origin,
}

impl Framework {
    /// The control with this id.
    pub fn control(&self, id: &str) -> Option<&Control> {
        self.controls.iter().find(|control| control.id == id)
    }
}

/// The control catalog: evidence vocabulary, aliases and frameworks.
///
/// Invariants (why the fields are private): framework ids are unique (as
/// [`Catalog::framework`] compares them), control ids are unique in a framework, and
/// every control names at least one evidence type, each at most once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Catalog {
    evidence_types: BTreeMap<EvidenceType, String>,
    evidence_aliases: BTreeMap<String, EvidenceType>,
    frameworks: Vec<Framework>,
}

impl Catalog {
    /// The catalog signoff ships with ([`BUILT_IN_YAML`]).
    pub fn built_in() -> Catalog {
        BUILT_IN.clone()
    }

    /// A catalog with no frameworks, no descriptions and no aliases.
    pub fn empty() -> Catalog {
        Catalog { evidence_types: BTreeMap::new(), evidence_aliases: BTreeMap::new(), frameworks: Vec::new() }
    }

    /// This catalog with a user's catalog file applied.
    ///
    /// The file has the built-in's shape (`schema_version`, `evidence_types`,
    /// `evidence_aliases`, `frameworks`), every key optional but `frameworks[].id`:
    ///
    /// - a framework whose id names one of the catalog's (compared ignoring case and
    ///   punctuation, `fedramp` = `nist-800-53`) is changed: the fields written
    ///   replace the catalog's; a control with an existing id replaces that control
    ///   in place; a new id is added after the framework's controls;
    /// - a new framework is added at the end; it needs `name`, `retention_days` and
    ///   at least one control;
    /// - a control needs `id`, `title`, `evidence` and `fit` (`summary` and
    ///   `title_kind` are optional);
    /// - `evidence_types` may re-describe types but not add any: a control can only
    ///   name evidence signoff knows how to obtain; `evidence_aliases` may add
    ///   aliases of existing types.
    ///
    /// # Errors
    ///
    /// A [`CatalogError`] at the file, line and column of the first problem: YAML
    /// syntax, an unknown or missing key, an unknown evidence kind, a bad id, a
    /// duplicate, a new framework without what it needs. Nothing is applied then.
    pub fn merge(&self, text: &str, file_name: &str) -> Result<Catalog, CatalogError> {
        self.merge_origin(text, file_name, Origin::File(file_name.to_owned()))
    }

    fn merge_origin(&self, text: &str, file_name: &str, origin: Origin) -> Result<Catalog, CatalogError> {
        let layer = parse_layer(text, file_name, &origin, &self.evidence_aliases)?;
        let mut catalog = self.clone();
        catalog.apply(layer, file_name, origin)?;
        Ok(catalog)
    }

    fn apply(&mut self, layer: Layer, file_name: &str, origin: Origin) -> Result<(), CatalogError> {
        for (kind, description) in layer.evidence_types {
            self.evidence_types.insert(kind, description.trim().to_owned());
        }
        for (alias, kind) in layer.aliases {
            self.evidence_aliases.insert(alias, kind);
        }
        for framework in layer.frameworks {
            match self.frameworks.iter_mut().find(|existing| same_framework(&existing.id, &framework.id)) {
                Some(existing) => {
                    if let Some(name) = framework.name {
                        existing.name = name;
                    }
                    if framework.version.is_some() {
                        existing.version = framework.version;
                    }
                    if let Some(days) = framework.retention_days {
                        existing.retention_days = days;
                    }
                    if framework.retention_basis.is_some() {
                        existing.retention_basis = framework.retention_basis;
                    }
                    if framework.retention_note.is_some() {
                        existing.retention_note = framework.retention_note;
                    }
                    if framework.immediately_available_days.is_some() {
                        existing.immediately_available_days = framework.immediately_available_days;
                    }
                    if framework.online_retention_days.is_some() {
                        existing.online_retention_days = framework.online_retention_days;
                    }
                    for control in framework.controls {
                        match existing.controls.iter_mut().find(|old| old.id == control.id) {
                            Some(old) => *old = control,
                            None => existing.controls.push(control),
                        }
                    }
                }
                None => {
                    let missing = |field: &'static str| CatalogError {
                        file: file_name.to_owned(),
                        line: framework.place.line,
                        column: framework.place.column,
                        kind: CatalogErrorKind::MissingFrameworkField { id: framework.id.clone(), field },
                    };
                    let name = framework.name.clone().ok_or_else(|| missing("name"))?;
                    let retention_days = framework.retention_days.ok_or_else(|| missing("retention_days"))?;
                    if framework.controls.is_empty() {
                        return Err(missing("controls"));
                    }
                    self.frameworks.push(Framework {
                        id: canonical_id(&framework.id),
                        name,
                        version: framework.version,
                        retention_days,
                        retention_basis: framework.retention_basis,
                        retention_note: framework.retention_note,
                        immediately_available_days: framework.immediately_available_days,
                        online_retention_days: framework.online_retention_days,
                        controls: framework.controls,
                        origin: origin.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Every framework, in catalog order.
    pub fn frameworks(&self) -> &[Framework] {
        &self.frameworks
    }

    /// The framework `name` names: its id in any case and punctuation (`pci-dss`,
    /// `pci_dss`, `PCI DSS`), or an alias (`fedramp` for `nist-800-53`).
    ///
    /// # Errors
    ///
    /// [`UnknownFramework`], listing the ids there are.
    pub fn framework(&self, name: &str) -> Result<&Framework, UnknownFramework> {
        self.frameworks
            .iter()
            .find(|framework| same_framework(&framework.id, name))
            .ok_or_else(|| UnknownFramework { given: name.to_owned(), expected: self.framework_names().join(", ") })
    }

    /// The ids of the frameworks, then the aliases of those present.
    pub fn framework_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.frameworks.iter().map(|framework| framework.id.clone()).collect();
        for (alias, target) in FRAMEWORK_ALIASES {
            if self.frameworks.iter().any(|framework| same_framework(&framework.id, target)) {
                names.push((*alias).to_owned());
            }
        }
        names
    }

    /// The description of each evidence type, as the catalog gives it.
    pub fn evidence_types(&self) -> &BTreeMap<EvidenceType, String> {
        &self.evidence_types
    }

    /// Other names of evidence types (`exception` → `vulnerability_disposition`).
    pub fn evidence_aliases(&self) -> &BTreeMap<String, EvidenceType> {
        &self.evidence_aliases
    }

    /// The evidence type `name` names, directly or through an alias.
    pub fn resolve_evidence(&self, name: &str) -> Option<EvidenceType> {
        name.parse::<EvidenceType>().ok().or_else(|| self.evidence_aliases.get(name).copied())
    }

    /// Every evidence type some control of these frameworks asks for: what the
    /// signal inventory (E4) sets beside what was captured.
    ///
    /// # Errors
    ///
    /// [`UnknownFramework`] for the first name the catalog does not have.
    pub fn required_evidence<S: AsRef<str>>(
        &self,
        frameworks: &[S],
    ) -> Result<BTreeSet<EvidenceType>, UnknownFramework> {
        let mut kinds = BTreeSet::new();
        for name in frameworks {
            for control in &self.framework(name.as_ref())?.controls {
                kinds.extend(control.evidence.iter().copied());
            }
        }
        Ok(kinds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CatalogErrorKind;

    #[test]
    fn built_in_catalog_parses() {
        let catalog = Catalog::empty().merge_origin(BUILT_IN_YAML, BUILT_IN_FILE, Origin::BuiltIn).unwrap();
        assert_eq!(catalog, Catalog::built_in());
        let ids: Vec<&str> = catalog.frameworks().iter().map(|framework| framework.id.as_str()).collect();
        assert_eq!(ids, ["soc2", "iso27001", "pci-dss", "hipaa", "nist-800-53"]);
        let counts: Vec<usize> = catalog.frameworks().iter().map(|framework| framework.controls.len()).collect();
        assert_eq!(counts, [7, 19, 20, 9, 14]);
        // The vocabulary is the closed set of evidence types, each described.
        assert_eq!(catalog.evidence_types().keys().copied().collect::<Vec<_>>(), EvidenceType::ALL.to_vec());
        assert!(catalog.evidence_types().values().all(|description| !description.is_empty()));
        for framework in catalog.frameworks() {
            assert_eq!(framework.origin, Origin::BuiltIn);
            assert!(framework.retention_days > 0, "{}", framework.id);
            assert!(framework.retention_basis.is_some() && framework.retention_note.is_some());
            assert!(!framework.controls.is_empty());
            for control in &framework.controls {
                assert!(!control.title.is_empty() && !control.summary.is_empty() && !control.evidence.is_empty());
            }
        }
    }

    #[test]
    fn built_in_catalog_is_the_shared_research_catalog() {
        // The crate's copy is the research catalog byte for byte; compared when the
        // shared folder is beside the workspace.
        let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/controls/controls.yaml");
        match std::fs::read_to_string(&shared) {
            Ok(text) => assert_eq!(text, BUILT_IN_YAML, "catalog/controls.yaml differs from {}", shared.display()),
            Err(_) => eprintln!("skipped: {} is not there", shared.display()),
        }
    }

    #[test]
    fn fields_the_file_has_are_kept() {
        let catalog = Catalog::built_in();
        let soc2 = catalog.framework("soc2").unwrap();
        assert_eq!(soc2.retention_days, 365);
        assert_eq!(soc2.retention_basis, Some(RetentionBasis::Practice));
        let cc81 = soc2.control("CC8.1").unwrap();
        assert_eq!(cc81.title, "Change management");
        assert_eq!(cc81.title_kind, TitleKind::Headline);
        assert_eq!(cc81.fit, Fit::Strong);
        assert_eq!(cc81.evidence.len(), 11);
        let pci = catalog.framework("pci-dss").unwrap();
        assert_eq!(pci.immediately_available_days, Some(90));
        assert_eq!(pci.retention_basis, Some(RetentionBasis::Mandated));
        let nist = catalog.framework("nist-800-53").unwrap();
        assert_eq!(nist.online_retention_days, Some(90));
        assert_eq!(nist.retention_days, 913);
        let iso = catalog.framework("iso27001").unwrap();
        assert_eq!(iso.control("5.3").unwrap().title_kind, TitleKind::Official);
        assert_eq!(catalog.framework("hipaa").unwrap().control("164.312(c)(2)").unwrap().fit, Fit::Partial);
    }

    #[test]
    fn framework_names_in_every_spelling() {
        let catalog = Catalog::built_in();
        for (name, id) in [
            ("soc2", "soc2"),
            ("SOC 2", "soc2"),
            ("iso27001", "iso27001"),
            ("iso-27001", "iso27001"),
            ("pci-dss", "pci-dss"),
            ("pci_dss", "pci-dss"),
            ("PCI DSS", "pci-dss"),
            ("hipaa", "hipaa"),
            ("nist-800-53", "nist-800-53"),
            ("nist80053", "nist-800-53"),
            ("fedramp", "nist-800-53"),
            ("FedRAMP", "nist-800-53"),
        ] {
            assert_eq!(catalog.framework(name).unwrap().id, id, "{name}");
        }
        let error = catalog.framework("sox").unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown framework \"sox\" (expected one of: soc2, iso27001, pci-dss, hipaa, nist-800-53, fedramp)"
        );
    }

    #[test]
    fn aliases_resolve() {
        let catalog = Catalog::built_in();
        assert_eq!(catalog.resolve_evidence("exception"), Some(EvidenceType::VulnerabilityDisposition));
        assert_eq!(catalog.resolve_evidence("risk_acceptance"), Some(EvidenceType::VulnerabilityDisposition));
        assert_eq!(catalog.resolve_evidence("ticket"), Some(EvidenceType::ChangeRecord));
        assert_eq!(catalog.resolve_evidence("build_attestation"), Some(EvidenceType::Provenance));
        assert_eq!(catalog.resolve_evidence("sast"), Some(EvidenceType::Sast));
        assert_eq!(catalog.resolve_evidence("pentest"), None);
    }

    #[test]
    fn required_evidence_of_frameworks() {
        let catalog = Catalog::built_in();
        let kinds = catalog.required_evidence(&["pci-dss"]).unwrap();
        assert!(kinds.contains(&EvidenceType::Sbom) && kinds.contains(&EvidenceType::AuditLogIntegrity));
        assert!(!kinds.contains(&EvidenceType::Coverage));
        let all = catalog.required_evidence(&["soc2", "iso27001", "pci-dss", "hipaa", "fedramp"]).unwrap();
        assert_eq!(all.len(), EvidenceType::ALL.len());
        assert!(catalog.required_evidence(&["nope"]).is_err());
    }

    /// A user file applied to the built-in catalog, or the error's `file:line:column: message`.
    fn merge(text: &str) -> Result<Catalog, String> {
        Catalog::built_in().merge(text, "acme-controls.yaml").map_err(|error| error.to_string())
    }

    #[test]
    fn user_controls_replace_and_extend() {
        let text = "\
frameworks:
  - id: pci_dss
    retention_days: 400
    controls:
      - id: \"6.3.2\"
        title: Inventory of software components
        evidence: [sbom, sca]
        fit: strong
      - id: \"12.8.1\"
        title: Third-party service providers listed
        summary: Keep a list of TPSPs.
        evidence: [ticket]
        fit: partial
  - id: acme-internal
    name: ACME engineering standard
    retention_days: 730
    controls:
      - id: ENG-1
        title: Every release has an SBOM and provenance
        evidence: [sbom, build_attestation]
        fit: strong
";
        let catalog = merge(text).unwrap();
        let pci = catalog.framework("pci-dss").unwrap();
        assert_eq!(pci.retention_days, 400);
        assert_eq!(pci.controls.len(), 21);
        let replaced = pci.control("6.3.2").unwrap();
        assert_eq!(replaced.title, "Inventory of software components");
        assert_eq!(replaced.evidence, [EvidenceType::Sbom, EvidenceType::Sca]);
        assert_eq!(replaced.origin, Origin::File("acme-controls.yaml".into()));
        // Replaced in place, not moved.
        assert_eq!(pci.controls.iter().position(|control| control.id == "6.3.2"), Some(5));
        let added = pci.controls.last().unwrap();
        assert_eq!((added.id.as_str(), added.evidence.as_slice()), ("12.8.1", &[EvidenceType::ChangeRecord][..]));
        // Untouched fields stay.
        assert_eq!(pci.immediately_available_days, Some(90));
        assert_eq!(pci.control("6.2.3").unwrap().origin, Origin::BuiltIn);
        let acme = catalog.framework("acme-internal").unwrap();
        assert_eq!(acme.origin, Origin::File("acme-controls.yaml".into()));
        assert_eq!(acme.control("ENG-1").unwrap().evidence, [EvidenceType::Sbom, EvidenceType::Provenance]);
        assert_eq!(acme.control("ENG-1").unwrap().title_kind, TitleKind::Official);
        // The built-in catalog itself is unchanged.
        assert_eq!(Catalog::built_in().framework("pci-dss").unwrap().retention_days, 365);
    }

    #[test]
    fn fedramp_changes_nist() {
        let text = "frameworks:\n  - id: fedramp\n    retention_days: 1100\n";
        let catalog = merge(text).unwrap();
        assert_eq!(catalog.framework("nist-800-53").unwrap().retention_days, 1100);
        assert_eq!(catalog.frameworks().len(), 5);
    }

    #[test]
    fn user_aliases_and_descriptions() {
        let text = "\
evidence_types:
  sast: Static analysis (Semgrep in CI)
evidence_aliases:
  sast: [static_analysis]
frameworks:
  - id: soc2
    controls:
      - id: CC9.9
        title: Custom
        evidence: [static_analysis, exception]
        fit: strong
";
        let catalog = merge(text).unwrap();
        assert_eq!(catalog.evidence_types()[&EvidenceType::Sast], "Static analysis (Semgrep in CI)");
        assert_eq!(catalog.resolve_evidence("static_analysis"), Some(EvidenceType::Sast));
        assert_eq!(
            catalog.framework("soc2").unwrap().control("CC9.9").unwrap().evidence,
            [EvidenceType::Sast, EvidenceType::VulnerabilityDisposition]
        );
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let cases: &[(&str, &str)] = &[
            (
                "frameworks:\n  - id: soc2\n    controls:\n      - id: CC1.1\n        title: T\n        evidence: [sast, pentest]\n        fit: strong\n",
                "acme-controls.yaml:6:26: unknown evidence kind \"pentest\" (expected one of: code_review, sast,",
            ),
            (
                "frameworks:\n  - id: soc2\n    controls:\n      - id: CC1.1\n        title: T\n        evidence: [pentest]\n        fit: strong\n",
                "acme-controls.yaml:6:20: unknown evidence kind \"pentest\" (expected one of: code_review, sast, dast, sca, container_scan, secrets_scan, iac_scan, sbom, test_results, coverage, deployment_approval, change_record, provenance, signature, vulnerability_disposition, access_review, audit_log_integrity, or an alias: build_attestation, change_ticket, exception, risk_acceptance, ticket)",
            ),
            (
                "frameworks:\n  - id: soc2\n    controls:\n      - id: CC1.1\n        title: T\n        evidence: []\n        fit: strong\n",
                "acme-controls.yaml:6:19: control \"CC1.1\" names no evidence kinds",
            ),
            (
                "frameworks:\n  - id: soc2\n    controls:\n      - id: CC1.1\n        title: T\n        evidence: [sast, sast]\n        fit: strong\n",
                "acme-controls.yaml:6:26: evidence kind sast is listed twice in control \"CC1.1\"",
            ),
            (
                "frameworks:\n  - id: soc2\n    controls:\n      - id: CC1.1\n        title: T\n        evidence: [sast]\n        fit: very\n",
                "acme-controls.yaml:7:14: unknown variant `very`, expected one of strong, partial",
            ),
            (
                "frameworks:\n  - id: soc2\n    controls:\n      - id: CC1.1\n        titel: T\n        evidence: [sast]\n        fit: strong\n",
                "acme-controls.yaml:5:9: unknown field `titel`, expected one of id, title, title_kind, summary, evidence, fit",
            ),
            (
                "frameworks:\n  - id: acme\n    controls:\n      - id: A-1\n        title: T\n        evidence: [sast]\n        fit: strong\n",
                "acme-controls.yaml:2:5: new framework \"acme\" needs `name` (it is not in the catalog yet)",
            ),
            (
                "frameworks:\n  - id: acme\n    name: ACME\n    controls:\n      - id: A-1\n        title: T\n        evidence: [sast]\n        fit: strong\n",
                "acme-controls.yaml:2:5: new framework \"acme\" needs `retention_days`",
            ),
            (
                "frameworks:\n  - id: acme\n    name: ACME\n    retention_days: 10\n",
                "acme-controls.yaml:2:5: new framework \"acme\" needs `controls`",
            ),
            (
                "frameworks:\n  - id: soc2\n  - id: SOC-2\n",
                "acme-controls.yaml:3:9: framework \"SOC-2\" appears twice in this file",
            ),
            (
                "frameworks:\n  - id: soc2\n    controls:\n      - {id: X.1, title: T, evidence: [sast], fit: strong}\n      - {id: X.1, title: U, evidence: [sca], fit: strong}\n",
                "acme-controls.yaml:5:14: control \"X.1\" appears twice in framework \"soc2\"",
            ),
            (
                "frameworks:\n  - id: \"bad id\"\n    name: x\n",
                "acme-controls.yaml:2:9: invalid framework id \"bad id\"",
            ),
            ("schema_version: 2\n", "acme-controls.yaml:1:17: unsupported schema_version 2 (only 1 exists)"),
            (
                "evidence_types:\n  pentest: Penetration test\n",
                "acme-controls.yaml:2:3: unknown evidence kind \"pentest\" (expected one of: code_review, sast, dast, sca, container_scan, secrets_scan, iac_scan, sbom, test_results, coverage, deployment_approval, change_record, provenance, signature, vulnerability_disposition, access_review, audit_log_integrity)",
            ),
            ("evidence_aliases:\n  sast: [sca]\n", "acme-controls.yaml:2:10: alias \"sca\" is an evidence type itself"),
            (
                "evidence_aliases:\n  sast: [exception]\n",
                "acme-controls.yaml:2:10: alias \"exception\" already stands for vulnerability_disposition, not sast",
            ),
            ("frameworks:\n  - id: soc2\n  id: x\n", "acme-controls.yaml:3:3: "),
            ("frameworks: [\n", "acme-controls.yaml:1:13: unclosed bracket"),
        ];
        for (text, expected) in cases {
            let error = merge(text).unwrap_err();
            assert!(error.starts_with(expected), "{text}\n  got:      {error}\n  expected: {expected}…");
        }
    }

    #[test]
    fn an_error_applies_nothing() {
        let catalog = Catalog::built_in();
        let text = "frameworks:\n  - id: soc2\n    retention_days: 1\n  - id: acme\n";
        assert!(catalog.merge(text, "x.yaml").is_err());
        assert_eq!(catalog.framework("soc2").unwrap().retention_days, 365);
    }

    #[test]
    fn error_kind_is_exposed() {
        let error = Catalog::built_in().merge("schema_version: 3\n", "x.yaml").unwrap_err();
        assert_eq!(error.kind(), &CatalogErrorKind::SchemaVersion { found: 3 });
        assert_eq!((error.line, error.column), (1, 17));
    }
}
