//! Compliance artifacts (G1): what every destination receives.
//!
//! One [`ComplianceArtifact`] per (release certification or rejection, framework,
//! control the release's evidence bears on). It says which control, whether the
//! release's evidence satisfies it, which evidence (types, digests, ledger entries and
//! their inclusion proofs, links to the raw files), and a summary an auditor can read
//! without signoff. [`build_artifacts`] is a pure function of an [`ArtifactInput`]
//! (plain data the store already holds) and the control catalog.
//!
//! # Which controls, and satisfied or not
//!
//! The evidence is run through the catalog's coverage rules
//! (`signoff_controls::coverage`, whose module doc is the reference) with two
//! additions from the certification:
//!
//! - an evidence item's `passed` is what the input says; when the input does not say,
//!   it is `false` if a criterion that **failed** relied on it, `true` if a criterion
//!   that passed or was waived relied on it, and unknown otherwise;
//! - the certificate counts as `signature` evidence only when the release was
//!   certified.
//!
//! A control *bears on* the release when coverage finds evidence of at least one of
//! its types (present or failing); controls with no evidence at all get no artifact.
//! `satisfied` is `true` only for coverage status `satisfied` (every type present and
//! the control's fit strong); `partial` is not satisfied, as OSCAL has no partial
//! state either.
//!
//! # Identity
//!
//! - `id` is a UUID v5 of (certificate statement digest, framework, control): the same
//!   certification always yields the same ids, so a destination can be asked whether
//!   it holds an artifact.
//! - `idempotency_key` is the hex SHA-256 of the artifact's canonical bytes (RFC 8785,
//!   with the key itself empty): the same artifact always has the same key, and any
//!   change of content changes it. Inclusion proofs are part of the content, so the
//!   caller should prove against a fixed tree size (the checkpoint that first covered
//!   the certification) to rebuild identical artifacts later.
//!   [`ComplianceArtifact::with_proofs`] adds the proofs to an artifact built without
//!   them (the store builds artifacts inside the certification's transaction, before
//!   that checkpoint exists, and proves them when it delivers them).
//!
//! # JSON
//!
//! Serialised with serde as documented on each field (`docs/grc.md` has an example);
//! `schema` is [`ARTIFACT_SCHEMA`], the version of this shape.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use signoff_controls::{Catalog, CoverageFacts, CoverageInput, EvidenceItem, EvidenceType, Fit, Gap, Source, Status};
use signoff_core::{Digest, EvidenceKind};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::controlmap;

/// The `schema` of every artifact: the version of its JSON shape.
pub const ARTIFACT_SCHEMA: &str = "https://signoff.dev/grc/compliance-artifact/v1";

/// The namespace of the v5 UUIDs signoff derives (artifacts, OSCAL, VEX).
pub const UUID_NAMESPACE: Uuid = Uuid::from_u128(0x6c1f_6e0a_3b7d_5d2e_9a41_0e5c_7b9d_2f11);

/// A v5 UUID of `parts` joined by newlines, in [`UUID_NAMESPACE`].
pub(crate) fn stable_uuid(parts: &[&str]) -> Uuid {
    Uuid::new_v5(&UUID_NAMESPACE, parts.join("\n").as_bytes())
}

/// What artifacts are built from: one certification and what it looked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArtifactInput {
    /// The release.
    pub release: ReleaseRef,
    /// Its certification (or rejection).
    pub certificate: CertificateRef,
    /// The policy's criteria and their results.
    #[serde(default)]
    pub criteria: Vec<CriterionRef>,
    /// The captured evidence of the release.
    #[serde(default)]
    pub evidence: Vec<EvidenceInput>,
    /// Records that count as evidence: approvals, reviews, exceptions, the
    /// checkpoint to cite for the ledger. `certificate` is ignored (it comes from
    /// [`ArtifactInput::certificate`]).
    #[serde(default)]
    pub facts: CoverageFacts,
    /// The frameworks to report on (any name the catalog accepts); empty means every
    /// framework of the catalog.
    #[serde(default)]
    pub frameworks: Vec<String>,
    /// The signoff server's base URL, when one is configured: links point there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_url: Option<String>,
}

/// A release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseRef {
    /// Project name.
    pub project: String,
    /// Version.
    pub version: String,
    /// The commit it was built from.
    pub commit: String,
    /// The artifact digests it ships.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub artifacts: Vec<Digest>,
}

impl ReleaseRef {
    /// `project@version`.
    pub fn name(&self) -> String {
        format!("{}@{}", self.project, self.version)
    }
}

/// The verdict of a certification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Every blocking criterion passed or was waived.
    Certified,
    /// A blocking criterion failed.
    Rejected,
}

impl Decision {
    /// `certified` or `rejected`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Decision::Certified => "certified",
            Decision::Rejected => "rejected",
        }
    }
}

/// A certification record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateRef {
    /// The certificate id.
    pub id: String,
    /// Certified or rejected.
    pub decision: Decision,
    /// SHA-256 of its in-toto statement (the DSSE payload): what identifies it.
    pub statement_digest: Digest,
    /// When it was evaluated, RFC 3339 with an offset.
    pub evaluated_at: String,
    /// The policy.
    pub policy: PolicyRef,
    /// Its ledger entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger: Option<LedgerRef>,
}

/// A policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyRef {
    /// Name.
    pub name: String,
    /// Published version, when published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// Content digest.
    pub digest: Digest,
}

/// One criterion's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriterionRef {
    /// Its id.
    pub id: String,
    /// For people.
    pub title: String,
    /// Pass, fail or waived.
    pub status: CriterionStatus,
    /// The evidence it relied on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Digest>,
    /// The exceptions that waived it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<String>,
}

/// A criterion's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CriterionStatus {
    /// Met.
    Pass,
    /// Not met.
    Fail,
    /// Not met, but an approved exception accepts it.
    Waived,
}

/// One piece of captured evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceInput {
    /// Its kind as captured.
    pub kind: EvidenceKind,
    /// SHA-256 of the stored file.
    pub digest: Digest,
    /// The tool that wrote it.
    pub tool: String,
    /// When it was captured, RFC 3339.
    pub captured_at: String,
    /// The file's name as captured, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// Whether it passed, when the caller knows (see the module doc for the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passed: Option<bool>,
    /// Its ledger entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger: Option<LedgerRef>,
}

/// A ledger entry and, when available, the proof that it is in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerRef {
    /// The entry's position (its `seq`, the Merkle leaf index).
    pub seq: u64,
    /// Its inclusion proof.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<InclusionProof>,
}

/// An inclusion proof, in either of the forms signoff produces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "format", rename_all = "snake_case", deny_unknown_fields)]
pub enum InclusionProof {
    /// A C2SP `tlog-proof@v1` text (index, audit path and the signed checkpoint):
    /// verifiable offline with the log's public key.
    TlogProof {
        /// The whole text.
        text: String,
    },
    /// The RFC 6962 audit path: leaf index, tree size, root and sibling hashes
    /// (lowercase hex, leaf to root).
    Rfc6962 {
        /// The leaf's index.
        leaf_index: u64,
        /// The tree size the path leads to.
        tree_size: u64,
        /// The root at that size, hex.
        root_hash: String,
        /// Sibling hashes, hex, leaf to root.
        hashes: Vec<String>,
    },
}

/// The framework an artifact is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameworkRef {
    /// Its id (`soc2`, `pci-dss`, `nist-800-53`).
    pub id: String,
    /// Its name.
    pub name: String,
    /// The edition the catalog maps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// The control an artifact is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlRef {
    /// The framework's id for it (`CC8.1`).
    pub id: String,
    /// Its title.
    pub title: String,
    /// How well pipeline evidence demonstrates it.
    pub fit: Fit,
    /// The NIST SP 800-53 Rev. 5 controls it corresponds to, as OSCAL control ids
    /// (`cm-3`), where the catalog has a mapping; empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nist_800_53: Vec<String>,
}

/// One piece of evidence behind an artifact's control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactEvidence {
    /// The evidence type it counts as.
    #[serde(rename = "type")]
    pub kind: EvidenceType,
    /// Captured file, record or ledger.
    pub source: Source,
    /// `sha256:<hex>` of a captured file or certificate, else the record's reference
    /// (`PR #42 approved by bob`).
    pub reference: String,
    /// The digest, for captured files and certificates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
    /// The tool that wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// When it was captured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captured_at: Option<String>,
    /// The captured file's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// Whether it passed, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passed: Option<bool>,
    /// Its ledger entry and inclusion proof.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger: Option<LedgerRef>,
    /// Where the raw evidence can be fetched (the server), when there is a server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A criterion that relied on an artifact's evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionOutcome {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Pass, fail or waived.
    pub status: CriterionStatus,
    /// The exceptions that waived it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<String>,
}

/// The content-derived idempotency key of an artifact: 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The key's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What every destination receives: one control of one certification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplianceArtifact {
    /// [`ARTIFACT_SCHEMA`].
    pub schema: String,
    /// Stable id: UUID v5 of (statement digest, framework, control).
    pub id: Uuid,
    /// SHA-256 of the canonical bytes (with this field empty), hex.
    pub idempotency_key: IdempotencyKey,
    /// The release.
    pub release: ReleaseRef,
    /// The certification, with its ledger entry and inclusion proof.
    pub certificate: CertificateRef,
    /// The framework.
    pub framework: FrameworkRef,
    /// The control.
    pub control: ControlRef,
    /// Coverage status: `satisfied` or `partial` (controls without evidence get no
    /// artifact).
    pub status: Status,
    /// Whether the control is satisfied (status `satisfied`).
    pub satisfied: bool,
    /// The evidence types the control asks for, in catalog order.
    pub evidence_types: Vec<EvidenceType>,
    /// For the auditor: what was released, the verdict, the evidence and the gaps.
    pub summary: String,
    /// The evidence behind the control.
    pub evidence: Vec<ArtifactEvidence>,
    /// What is missing, with how to close it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<Gap>,
    /// The criteria that relied on this evidence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub criteria: Vec<CriterionOutcome>,
    /// The release on the signoff server, when there is a server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

impl ComplianceArtifact {
    /// The key this artifact's content gives (what [`build_artifacts`] stored in
    /// `idempotency_key`); a destination or test can check a received artifact with it.
    ///
    /// # Errors
    ///
    /// [`ArtifactError::Canonical`] when the artifact has no canonical form (it
    /// always has: it holds no floats).
    pub fn content_key(&self) -> Result<IdempotencyKey, ArtifactError> {
        let mut unkeyed = self.clone();
        unkeyed.idempotency_key = IdempotencyKey(String::new());
        let bytes = signoff_core::canonical::to_canonical_bytes(&unkeyed).map_err(ArtifactError::Canonical)?;
        Ok(IdempotencyKey(Digest::of(&bytes).to_hex()))
    }

    /// The ledger entries the artifact names (its certificate's and its evidence's)
    /// that carry no inclusion proof yet.
    pub fn unproven_entries(&self) -> BTreeSet<u64> {
        let certificate = self.certificate.ledger.iter();
        let evidence = self.evidence.iter().filter_map(|item| item.ledger.as_ref());
        certificate.chain(evidence).filter(|ledger| ledger.proof.is_none()).map(|ledger| ledger.seq).collect()
    }

    /// The artifact with an inclusion proof, taken from `proofs` by entry, for every
    /// ledger entry it names without one; its summary and idempotency key follow the
    /// new content. Pure: the same artifact and proofs always give the same bytes,
    /// which is what lets the store prove an artifact when it delivers it and
    /// rebuild the identical artifact later (prove against one fixed tree size).
    ///
    /// # Errors
    ///
    /// [`ArtifactError::Unproven`] naming an entry `proofs` lacks;
    /// [`ArtifactError::Canonical`] as [`ComplianceArtifact::content_key`].
    pub fn with_proofs(mut self, proofs: &BTreeMap<u64, InclusionProof>) -> Result<ComplianceArtifact, ArtifactError> {
        let certificate = self.certificate.ledger.iter_mut();
        let evidence = self.evidence.iter_mut().filter_map(|item| item.ledger.as_mut());
        for ledger in certificate.chain(evidence).filter(|ledger| ledger.proof.is_none()) {
            let proof = proofs.get(&ledger.seq).ok_or(ArtifactError::Unproven { seq: ledger.seq })?;
            ledger.proof = Some(proof.clone());
        }
        self.summary = summary(&self);
        self.idempotency_key = self.content_key()?;
        Ok(self)
    }

    /// The artifact as pretty JSON, the bytes uploaded as a file.
    ///
    /// # Errors
    ///
    /// [`ArtifactError::Json`] (cannot happen for values built here).
    pub fn to_json_bytes(&self) -> Result<Vec<u8>, ArtifactError> {
        let mut bytes = serde_json::to_vec_pretty(self).map_err(ArtifactError::Json)?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// A file name for it: `signoff-<id>.json`.
    pub fn file_name(&self) -> String {
        format!("signoff-{}.json", self.id)
    }
}

/// Why artifacts could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArtifactError {
    /// A framework the catalog does not have.
    #[error(transparent)]
    UnknownFramework(#[from] signoff_controls::UnknownFramework),
    /// `evaluated_at` or a `captured_at` is not RFC 3339.
    #[error("{what} is not an RFC 3339 date-time: {value:?}")]
    Timestamp {
        /// Which field.
        what: String,
        /// Its value.
        value: String,
        /// Why.
        #[source]
        source: time::error::Parse,
    },
    /// The server URL is not an http(s) URL.
    #[error("server URL {value:?} is not an http(s) URL")]
    ServerUrl {
        /// Its value.
        value: String,
    },
    /// No inclusion proof was given for a ledger entry the artifact names.
    #[error("no inclusion proof for ledger entry {seq}")]
    Unproven {
        /// The entry.
        seq: u64,
    },
    /// Canonical encoding failed.
    #[error("cannot compute the idempotency key")]
    Canonical(#[source] signoff_core::canonical::CanonicalError),
    /// JSON encoding failed.
    #[error("cannot encode the artifact as JSON")]
    Json(#[source] serde_json::Error),
}

/// Parses an RFC 3339 date-time, naming the field in the error.
pub(crate) fn parse_time(what: &str, value: &str) -> Result<OffsetDateTime, ArtifactError> {
    OffsetDateTime::parse(value, &Rfc3339).map_err(|source| ArtifactError::Timestamp {
        what: what.to_owned(),
        value: value.to_owned(),
        source,
    })
}

/// The server's base URL without a trailing slash, checked (an http(s) URL with a
/// host); `None` for `None`.
///
/// # Errors
///
/// [`ArtifactError::ServerUrl`] for anything else.
pub fn server_base(server_url: Option<&str>) -> Result<Option<String>, ArtifactError> {
    let Some(value) = server_url else { return Ok(None) };
    let parsed = reqwest::Url::parse(value).map_err(|_| ArtifactError::ServerUrl { value: value.to_owned() })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(ArtifactError::ServerUrl { value: value.to_owned() });
    }
    Ok(Some(value.trim_end_matches('/').to_owned()))
}

/// Links into the signoff server's dashboard. These paths are the seam with the
/// server's routes (`signoff-server`'s `dashboard`): the release's page
/// `<base>/ui/releases/<project>/<version>`, a piece of its raw evidence
/// `<base>/ui/releases/<project>/<version>/evidence/sha256:<hex>`, and a ledger
/// entry (the certificate's) `<base>/ui/ledger/entries/<seq>`. Each path segment is
/// percent-encoded (a project name may hold `/`).
pub mod links {
    use signoff_core::Digest;

    /// `base` with `segments` appended, each percent-encoded; `base` as it is when it
    /// cannot be a base (it was checked to be an http(s) URL, so it can).
    fn join(base: &str, segments: &[&str]) -> String {
        let Ok(mut url) = reqwest::Url::parse(base) else { return base.to_owned() };
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url.to_string()
    }

    /// The release's page.
    pub fn release(base: &str, project: &str, version: &str) -> String {
        join(base, &["ui", "releases", project, version])
    }

    /// A piece of the release's raw evidence, by digest.
    pub fn evidence(base: &str, project: &str, version: &str, digest: &Digest) -> String {
        join(base, &["ui", "releases", project, version, "evidence", &digest.to_string()])
    }

    /// A ledger entry (the certificate's), by its position.
    pub fn ledger_entry(base: &str, seq: u64) -> String {
        join(base, &["ui", "ledger", "entries", &seq.to_string()])
    }
}

/// Every artifact of one certification: one per (framework, control it bears on), in
/// framework then catalog order. Pure: same input and catalog, same artifacts.
///
/// # Errors
///
/// [`ArtifactError`] for an unknown framework, a date-time that is not RFC 3339, or a
/// server URL that is not http(s).
pub fn build_artifacts(input: &ArtifactInput, catalog: &Catalog) -> Result<Vec<ComplianceArtifact>, ArtifactError> {
    parse_time("certificate.evaluated_at", &input.certificate.evaluated_at)?;
    for (index, item) in input.evidence.iter().enumerate() {
        parse_time(&format!("evidence[{index}].captured_at"), &item.captured_at)?;
    }
    let base = server_base(input.server_url.as_deref())?;
    let frameworks = if input.frameworks.is_empty() {
        catalog.frameworks().iter().collect::<Vec<_>>()
    } else {
        input.frameworks.iter().map(|name| catalog.framework(name)).collect::<Result<Vec<_>, _>>()?
    };

    // Two names of one framework (an alias and its id) report it once.
    let mut seen_frameworks = BTreeSet::new();
    let frameworks: Vec<_> = frameworks.into_iter().filter(|framework| seen_frameworks.insert(&framework.id)).collect();

    let coverage_input = coverage_input(input);
    let mut artifacts = Vec::new();
    for framework in frameworks {
        let coverage = signoff_controls::framework_coverage(framework, &coverage_input);
        for control in coverage.controls {
            if control.status == Status::Missing {
                continue;
            }
            let Some(catalog_control) = framework.control(&control.id) else { continue };
            let evidence = control
                .evidence
                .iter()
                .map(|reference| artifact_evidence(reference, input, base.as_deref()))
                .collect::<Vec<_>>();
            let digests: BTreeSet<Digest> = evidence.iter().filter_map(|item| item.digest).collect();
            let criteria = input
                .criteria
                .iter()
                .filter(|criterion| criterion.evidence.iter().any(|digest| digests.contains(digest)))
                .map(|criterion| CriterionOutcome {
                    id: criterion.id.clone(),
                    title: criterion.title.clone(),
                    status: criterion.status,
                    exceptions: criterion.exceptions.clone(),
                })
                .collect::<Vec<_>>();
            let framework_ref = FrameworkRef {
                id: framework.id.clone(),
                name: framework.name.clone(),
                version: framework.version.clone(),
            };
            let control_ref = ControlRef {
                id: control.id.clone(),
                title: control.title.clone(),
                fit: control.fit,
                nist_800_53: controlmap::nist_800_53(&framework.id, &control.id),
            };
            let statement = input.certificate.statement_digest.to_string();
            let mut artifact = ComplianceArtifact {
                schema: ARTIFACT_SCHEMA.to_owned(),
                id: stable_uuid(&["compliance-artifact", &statement, &framework.id, &control.id]),
                idempotency_key: IdempotencyKey(String::new()),
                release: input.release.clone(),
                certificate: input.certificate.clone(),
                summary: String::new(),
                framework: framework_ref,
                control: control_ref,
                status: control.status,
                satisfied: control.status == Status::Satisfied,
                evidence_types: catalog_control.evidence.clone(),
                evidence,
                gaps: control.gaps,
                criteria,
                link: base.as_deref().map(|base| links::release(base, &input.release.project, &input.release.version)),
            };
            artifact.summary = summary(&artifact);
            artifact.idempotency_key = artifact.content_key()?;
            artifacts.push(artifact);
        }
    }
    Ok(artifacts)
}

/// The coverage input: captured items with `passed` settled from the criteria, and
/// the facts with the certificate only when certified.
fn coverage_input(input: &ArtifactInput) -> CoverageInput {
    let evidence = input
        .evidence
        .iter()
        .filter_map(|item| {
            let kind = EvidenceType::from_kind(item.kind)?;
            Some(EvidenceItem {
                kind,
                digest: item.digest,
                tool: item.tool.clone(),
                captured_at: item.captured_at.clone(),
                release: Some(input.release.name()),
                passed: item.passed.or_else(|| passed_by_criteria(&item.digest, &input.criteria)),
            })
        })
        .collect();
    let mut facts = input.facts.clone();
    facts.certificate = match input.certificate.decision {
        Decision::Certified => Some(input.certificate.statement_digest),
        Decision::Rejected => None,
    };
    CoverageInput { evidence, facts }
}

/// `false` when a failed criterion relied on the digest, `true` when only passing or
/// waived ones did, unknown when none did.
fn passed_by_criteria(digest: &Digest, criteria: &[CriterionRef]) -> Option<bool> {
    let mut verdict = None;
    for criterion in criteria.iter().filter(|criterion| criterion.evidence.contains(digest)) {
        match criterion.status {
            CriterionStatus::Fail => return Some(false),
            CriterionStatus::Pass | CriterionStatus::Waived => verdict = Some(true),
        }
    }
    verdict
}

fn artifact_evidence(
    reference: &signoff_controls::EvidenceRef,
    input: &ArtifactInput,
    base: Option<&str>,
) -> ArtifactEvidence {
    let digest = reference.reference.strip_prefix("sha256:").and_then(|hex| Digest::from_hex(hex).ok());
    let captured = digest
        .filter(|_| reference.source == Source::Captured)
        .and_then(|digest| input.evidence.iter().find(|item| item.digest == digest));
    let certificate =
        digest.filter(|digest| *digest == input.certificate.statement_digest && reference.source == Source::Record);
    ArtifactEvidence {
        kind: reference.kind,
        source: reference.source,
        reference: reference.reference.clone(),
        digest,
        tool: reference.tool.clone(),
        captured_at: captured.map(|item| item.captured_at.clone()),
        file_name: captured.and_then(|item| item.file_name.clone()),
        passed: reference.passed,
        ledger: match (captured, certificate) {
            (Some(item), _) => item.ledger.clone(),
            (None, Some(_)) => input.certificate.ledger.clone(),
            (None, None) => None,
        },
        url: match (base, captured, certificate) {
            (Some(base), Some(item), _) => {
                Some(links::evidence(base, &input.release.project, &input.release.version, &item.digest))
            }
            (Some(base), None, Some(_)) => Some(match &input.certificate.ledger {
                Some(ledger) => links::ledger_entry(base, ledger.seq),
                None => links::release(base, &input.release.project, &input.release.version),
            }),
            _ => None,
        },
    }
}

/// The auditor's summary: release and verdict, the control and its status, each
/// piece of evidence, the criteria and the gaps, in plain sentences.
fn summary(artifact: &ComplianceArtifact) -> String {
    let release = &artifact.release;
    let certificate = &artifact.certificate;
    let short_commit: String = release.commit.chars().take(12).collect();
    let policy_version = certificate.policy.version.map(|version| format!(" v{version}")).unwrap_or_default();
    let mut text = format!(
        "{} {} (commit {short_commit}) was {} on {} under policy {}{policy_version} ({}).",
        release.project,
        release.version,
        certificate.decision.as_str(),
        certificate.evaluated_at,
        certificate.policy.name,
        short_digest(&certificate.policy.digest),
    );
    let state = match artifact.status {
        Status::Satisfied => "satisfied by the release's evidence",
        Status::Partial => "partially demonstrated by the release's evidence (not satisfied)",
        Status::Missing => "not demonstrated by the release's evidence",
    };
    text.push_str(&format!(
        " {} {} \"{}\": {state}.",
        artifact.framework.name, artifact.control.id, artifact.control.title
    ));
    let evidence = artifact
        .evidence
        .iter()
        .map(|item| {
            let mut line = item.kind.to_string();
            match (&item.tool, item.digest) {
                (Some(tool), Some(digest)) => line.push_str(&format!(" from {tool} ({})", short_digest(&digest))),
                (None, Some(digest)) => line.push_str(&format!(" ({})", short_digest(&digest))),
                _ => line.push_str(&format!(": {}", item.reference)),
            }
            match item.passed {
                Some(true) => line.push_str(", passed"),
                Some(false) => line.push_str(", did not pass"),
                None => {}
            }
            if let Some(ledger) = &item.ledger {
                line.push_str(&format!(", ledger entry {}", ledger.seq));
            }
            line
        })
        .collect::<Vec<_>>();
    if !evidence.is_empty() {
        text.push_str(&format!(" Evidence: {}.", evidence.join("; ")));
    }
    if !artifact.criteria.is_empty() {
        let criteria = artifact
            .criteria
            .iter()
            .map(|criterion| {
                let status = match criterion.status {
                    CriterionStatus::Pass => "passed".to_owned(),
                    CriterionStatus::Fail => "failed".to_owned(),
                    CriterionStatus::Waived => format!("waived by {}", criterion.exceptions.join(", ")),
                };
                format!("{} {status}", criterion.id)
            })
            .collect::<Vec<_>>();
        text.push_str(&format!(" Policy criteria on this evidence: {}.", criteria.join("; ")));
    }
    if !artifact.gaps.is_empty() {
        let gaps = artifact
            .gaps
            .iter()
            .map(|gap| match gap.kind {
                Some(kind) => format!("{kind} {}", gap_reason(gap.reason)),
                None => gap.hint.clone(),
            })
            .collect::<Vec<_>>();
        text.push_str(&format!(" Gaps: {}.", gaps.join("; ")));
    }
    if let Some(ledger) = &certificate.ledger {
        text.push_str(&format!(" The certificate is ledger entry {}", ledger.seq));
        text.push_str(if ledger.proof.is_some() { ", with its inclusion proof." } else { "." });
    }
    text
}

fn gap_reason(reason: signoff_controls::GapReason) -> &'static str {
    match reason {
        signoff_controls::GapReason::Missing => "missing",
        signoff_controls::GapReason::Failing => "did not pass",
        signoff_controls::GapReason::OutsidePipeline => "needs proof from outside the pipeline",
    }
}

/// `sha256:1f2e3d4c5b6a…`: enough to find the file, short enough to read.
fn short_digest(digest: &Digest) -> String {
    let hex = digest.to_hex();
    format!("sha256:{}…", &hex[..12])
}

#[cfg(test)]
mod tests;
