//! signoff's control catalog (E1), control coverage (E2) and retention (E3).
//!
//! Architecture Invariant: this crate does no I/O and reads no clock. The built-in
//! catalog is compiled in ([`BUILT_IN_YAML`], a verbatim copy of the research
//! catalog `shared/controls/controls.yaml`); users' catalog files arrive as text
//! ([`Catalog::merge`]); coverage and retention are pure functions of their
//! arguments.
//!
//! ```text
//! let catalog = Catalog::built_in().merge(&text, "acme-controls.yaml")?;   // E1, file:line:column errors
//! let pci = coverage(&catalog, "pci-dss", &input)?;                         // E2: status, evidence, gaps
//! let keep = retention_days(&catalog, &["soc2", "hipaa"])?;                 // E3: Some(2192 days, [hipaa])
//! ```
//!
//! # Frameworks
//!
//! | id | also accepted | framework | retention |
//! |---|---|---|---|
//! | `soc2` | | AICPA SOC 2 Trust Services Criteria | 365 days (practice) |
//! | `iso27001` | | ISO/IEC 27001:2022 Annex A | 1095 days (practice) |
//! | `pci-dss` | `pci_dss` (the file's id) | PCI DSS v4.0.1 | 365 days, 90 immediately available |
//! | `hipaa` | | HIPAA Security Rule | 2192 days |
//! | `nist-800-53` | `nist80053` (the file's id), `fedramp` | NIST SP 800-53 Rev. 5 / FedRAMP Rev. 5 | 913 days, 90 online |
//!
//! Names are compared ignoring case and punctuation, so `PCI DSS` works too.
//! `fedramp` is an alias rather than a framework of its own because FedRAMP Rev. 5
//! baselines are selections of 800-53 Rev. 5 controls and the catalog maps them as
//! one (with FedRAMP's retention).
//!
//! # The catalog file
//!
//! ```yaml
//! schema_version: 1                  # optional in users' files; only 1 exists
//! evidence_types:                    # type: description; users may re-describe, not add
//!   sast: Static application security testing result for the release commit
//! evidence_aliases:                  # type: [other names]
//!   vulnerability_disposition: [exception, risk_acceptance]
//! frameworks:
//!   - id: pci_dss                    # required; matches an existing framework or adds one
//!     name: PCI DSS                  # required for a new framework
//!     version: "4.0"                 # optional
//!     retention_days: 365            # required for a new framework
//!     retention_basis: mandated      # optional: mandated | practice
//!     retention_note: text           # optional
//!     immediately_available_days: 90 # optional
//!     online_retention_days: 90      # optional
//!     controls:
//!       - id: "6.2.3"                # required; an existing id is replaced, a new one added
//!         title: Custom software reviewed before release   # required
//!         title_kind: headline       # optional: official (default) | headline
//!         summary: text              # optional
//!         evidence: [code_review, sast]                    # required; types or aliases
//!         fit: strong                # required: strong | partial
//! ```
//!
//! Unknown keys, unknown evidence kinds, duplicates and bad ids are errors at their
//! line and column; see [`Catalog::merge`] for the merge rules and [the `coverage`
//! module](mod@coverage) for how coverage is decided.

pub mod catalog;
pub mod coverage;
pub mod error;
pub mod evidence;
mod parse;
pub mod retention;

pub use catalog::{BUILT_IN_FILE, BUILT_IN_YAML, Catalog, Control, Fit, Framework, Origin, RetentionBasis, TitleKind};
pub use coverage::{
    ControlCoverage, Coverage, CoverageFacts, CoverageInput, EvidenceItem, EvidenceRef, Gap, GapReason,
    OUTSIDE_PIPELINE_HINT, Source, Status, Totals, coverage, coverage_all, framework_coverage,
};
pub use error::{CatalogError, CatalogErrorKind, UnknownFramework};
pub use evidence::{EvidenceType, UnknownEvidenceType};
pub use retention::{Retention, retention_days};
