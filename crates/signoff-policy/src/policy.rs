//! The policy file: its grammar (the criteria, scopes and Rego entries are read
//! in `grammar`), its validation, and per-project overrides.
//!
//! [`Policy::parse`] reads and checks everything before anything is evaluated: every
//! key, every criterion and parameter, every scope, every Rego module (compiled
//! here, once). The grammar is documented in the crate docs.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use signoff_core::{Digest, EvidenceKind, ProjectName, Severity};

use crate::error::{Place, PolicyError, PolicyErrorKind};
use crate::rego::{RegoRules, RegoSource};
use crate::yaml::{self, MapView, Node, Reader};

/// A resolver for `file:` entries of `rego:`: given the path as written (relative to
/// the policy file), the module's text, or a reason it cannot be read.
pub type RegoResolver<'a> = &'a dyn Fn(&str) -> Result<String, String>;

/// A parsed, checked and compiled policy: the organisation's criteria plus every
/// project's overrides, and the Rego modules compiled once.
///
/// Cloning is cheap (the compiled Rego engine is shared).
#[derive(Debug, Clone)]
pub struct Policy {
    name: String,
    description: Option<String>,
    digest: Digest,
    environments: Vec<String>,
    exceptions: ExceptionRules,
    triage: TriageRules,
    release: ReleaseRules,
    criteria: Vec<CriterionSpec>,
    projects: BTreeMap<String, Vec<CriterionSpec>>,
    rego: Arc<RegoRules>,
}

/// The policy that applies to one project: the organisation's criteria with the
/// project's overrides applied. This is what [`crate::evaluate`] takes.
#[derive(Debug, Clone, Serialize)]
pub struct EffectivePolicy {
    /// The policy's `name`.
    pub name: String,
    /// The policy's digest (see [`Policy::digest`]).
    pub digest: Digest,
    /// The project whose overrides were applied, if the policy has any for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_override: Option<String>,
    /// The declared environments.
    pub environments: Vec<String>,
    /// Limits on exceptions.
    pub exceptions: ExceptionRules,
    /// Who must agree to a triage decision.
    pub triage: TriageRules,
    /// Late evidence and the preflight horizon.
    pub release: ReleaseRules,
    /// The built-in criteria, in policy order (overrides replace in place, additions
    /// come last).
    pub criteria: Vec<CriterionSpec>,
    /// The Rego modules.
    pub rego: Vec<RegoModuleInfo>,
    #[serde(skip)]
    pub(crate) rules: Arc<RegoRules>,
}

/// `exceptions:` of a policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionRules {
    /// The longest an exception may run, from approval to expiry, in days. An
    /// exception granted for longer is not applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_days: Option<u64>,
}

/// `triage:` of a policy (D3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriageRules {
    /// `approval: required`: a false positive or not-affected decision applies only
    /// once a human other than its requester approves it. (An accepted risk always
    /// needs that approval: it is an exception.)
    pub approval_required: bool,
}

/// The default of [`ReleaseRules::warn_ahead_days`].
pub const DEFAULT_WARN_AHEAD_DAYS: u64 = 14;

/// `release:` of a policy: what happens around a certification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseRules {
    /// `late_evidence: refuse`: evidence captured for a release after it was
    /// certified is refused (B4), rather than recorded and marked as captured after
    /// certification.
    pub refuse_late_evidence: bool,
    /// `warn_ahead_days: n` (default 14): how far ahead `certify` and `release show`
    /// look for exceptions that expire, scans that go stale and approvals that lapse
    /// (D7).
    pub warn_ahead_days: u64,
}

impl Default for ReleaseRules {
    fn default() -> ReleaseRules {
        ReleaseRules { refuse_late_evidence: false, warn_ahead_days: DEFAULT_WARN_AHEAD_DAYS }
    }
}

/// One built-in criterion as configured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriterionSpec {
    /// Unique within the policy.
    pub id: String,
    /// For reports; derived from the criterion and parameters when not given.
    pub title: String,
    /// The built-in criterion and its parameters (`use:` and `with:`).
    #[serde(flatten)]
    pub check: Check,
    /// A failure rejects the release (`true`), or is only reported (`false`).
    pub blocking: bool,
    /// What the criterion looks at, and where it applies.
    #[serde(skip_serializing_if = "Scope::is_empty")]
    pub scope: Scope,
    /// Where it is written.
    #[serde(skip)]
    pub(crate) line: u64,
}

/// What a criterion looks at and where it applies. Empty lists mean "all".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Scope {
    /// Only findings (or evidence) of these evidence kinds.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<EvidenceKind>,
    /// Only evidence (and findings) from these tools, compared case-insensitively.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<String>,
    /// Only when certifying for this environment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

impl Scope {
    fn is_empty(&self) -> bool {
        self.kinds.is_empty() && self.tools.is_empty() && self.environment.is_none()
    }

    /// Whether evidence (or a finding) from `tool` is in scope.
    pub(crate) fn tool_matches(&self, tool: &str) -> bool {
        self.tools.is_empty() || self.tools.iter().any(|wanted| wanted.eq_ignore_ascii_case(tool))
    }

    pub(crate) fn kind_matches(&self, kind: EvidenceKind) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&kind)
    }
}

/// The built-in criteria (D1, J3) and their parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "use", content = "with", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Check {
    /// Evidence of each kind is present.
    EvidencePresent {
        /// The kinds required.
        kinds: Vec<EvidenceKind>,
    },
    /// An SBOM and build provenance are present.
    SbomAndProvenance,
    /// At most so many findings of each severity.
    FindingsThreshold {
        /// The limit per severity; a severity not listed is unlimited.
        max: BTreeMap<Severity, u64>,
        /// Count findings the tool marked suppressed too.
        include_suppressed: bool,
    },
    /// The newest evidence of each kind and tool is at most so old.
    EvidenceFresh {
        /// The oldest allowed, in days.
        max_age_days: u64,
        /// The kinds checked.
        kinds: Vec<EvidenceKind>,
    },
    /// There are test results and nothing failed or errored.
    TestsPass,
    /// Combined coverage is at least so much.
    CoverageMin {
        /// Minimum line rate, in [0, 1].
        line_rate: f64,
        /// Minimum branch rate, in [0, 1], if required.
        #[serde(skip_serializing_if = "Option::is_none")]
        branch_rate: Option<f64>,
    },
    /// Every change has so many approvals from humans other than its authors.
    ChangesReviewed {
        /// Approvals needed per change.
        min_approvals: u64,
    },
    /// The release is approved by so many humans in a role.
    ApprovalByRole {
        /// The role.
        role: String,
        /// Approvals needed.
        min: u64,
    },
    /// Every commit is signed.
    SignedCommits {
        /// Require signatures verified as the author's, not just present.
        require_verified: bool,
    },
    /// No finding of these severities that the baseline does not have.
    NoNewFindings {
        /// The severities checked.
        severities: Vec<Severity>,
        /// Count findings the tool marked suppressed too.
        include_suppressed: bool,
    },
    /// Authors, reviewers, release approvers and the certifier are different people.
    SeparationOfDuties,
    /// Changes (co-)authored by AI agents have so many human approvals.
    AgentChangesReviewed {
        /// Human approvals needed per agent change.
        min_human_reviews: u64,
    },
}

/// The names `use:` accepts.
pub const BUILT_IN_CRITERIA: &[&str] = &[
    "evidence_present",
    "sbom_and_provenance",
    "findings_threshold",
    "evidence_fresh",
    "tests_pass",
    "coverage_min",
    "changes_reviewed",
    "approval_by_role",
    "signed_commits",
    "no_new_findings",
    "separation_of_duties",
    "agent_changes_reviewed",
];

impl Check {
    /// The built-in's name, as `use:` writes it.
    pub fn name(&self) -> &'static str {
        match self {
            Check::EvidencePresent { .. } => "evidence_present",
            Check::SbomAndProvenance => "sbom_and_provenance",
            Check::FindingsThreshold { .. } => "findings_threshold",
            Check::EvidenceFresh { .. } => "evidence_fresh",
            Check::TestsPass => "tests_pass",
            Check::CoverageMin { .. } => "coverage_min",
            Check::ChangesReviewed { .. } => "changes_reviewed",
            Check::ApprovalByRole { .. } => "approval_by_role",
            Check::SignedCommits { .. } => "signed_commits",
            Check::NoNewFindings { .. } => "no_new_findings",
            Check::SeparationOfDuties => "separation_of_duties",
            Check::AgentChangesReviewed { .. } => "agent_changes_reviewed",
        }
    }

    /// Which `scope:` keys make sense: (kinds, tools). `environment` always does.
    fn scope_support(&self) -> (bool, bool) {
        match self {
            Check::FindingsThreshold { .. } | Check::NoNewFindings { .. } => (true, true),
            Check::EvidencePresent { .. }
            | Check::SbomAndProvenance
            | Check::EvidenceFresh { .. }
            | Check::TestsPass
            | Check::CoverageMin { .. } => (false, true),
            Check::ChangesReviewed { .. }
            | Check::ApprovalByRole { .. }
            | Check::SignedCommits { .. }
            | Check::SeparationOfDuties
            | Check::AgentChangesReviewed { .. } => (false, false),
        }
    }

    /// A title for reports when the policy gives none.
    pub fn default_title(&self) -> String {
        match self {
            Check::EvidencePresent { kinds } => format!("Evidence present: {}", join(kinds)),
            Check::SbomAndProvenance => "SBOM and provenance present".to_owned(),
            Check::FindingsThreshold { max, .. } => {
                let limits: Vec<String> =
                    max.iter().rev().map(|(severity, limit)| format!("{severity} ≤ {limit}")).collect();
                format!("Findings within limits: {}", limits.join(", "))
            }
            Check::EvidenceFresh { max_age_days, .. } => format!("Scans at most {max_age_days} days old"),
            Check::TestsPass => "Tests pass".to_owned(),
            Check::CoverageMin { line_rate, branch_rate } => match branch_rate {
                Some(branch_rate) => format!(
                    "Coverage at least {} of lines and {} of branches",
                    percent(*line_rate),
                    percent(*branch_rate)
                ),
                None => format!("Coverage at least {} of lines", percent(*line_rate)),
            },
            Check::ChangesReviewed { min_approvals } => {
                format!(
                    "Every change approved by {min_approvals} reviewer{} other than its author",
                    plural(*min_approvals)
                )
            }
            Check::ApprovalByRole { role, min } => format!("Release approved by {min} {role}{}", plural(*min)),
            Check::SignedCommits { require_verified: true } => "Every commit has a verified signature".to_owned(),
            Check::SignedCommits { require_verified: false } => "Every commit is signed".to_owned(),
            Check::NoNewFindings { severities, .. } => {
                format!("No new {} findings since the last certified release", join_or(severities))
            }
            Check::SeparationOfDuties => "Separation of duties".to_owned(),
            Check::AgentChangesReviewed { min_human_reviews } => {
                format!("AI-agent changes reviewed by {min_human_reviews} human{}", plural(*min_human_reviews))
            }
        }
    }
}

fn plural(count: u64) -> &'static str {
    if count == 1 { "" } else { "s" }
}

pub(crate) fn percent(rate: f64) -> String {
    let value = rate * 100.0;
    if (value - value.round()).abs() < 1e-9 { format!("{value:.0}%") } else { format!("{value:.2}%") }
}

pub(crate) fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// `a`, `a or b`, `a, b or c`.
pub(crate) fn join_or<T: std::fmt::Display>(items: &[T]) -> String {
    match items {
        [] => String::new(),
        [only] => only.to_string(),
        [rest @ .., last] => format!("{} or {last}", join(rest)),
    }
}

/// What [`EffectivePolicy`] says about one Rego module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegoModuleInfo {
    /// The module's id in the policy.
    pub id: String,
    /// For reports.
    pub title: String,
    /// The file it was read from, or the policy file for inline `source:`.
    pub file: String,
    /// Its package, as a `data.` path.
    pub package: String,
    /// Whether it declares `deny`.
    pub deny: bool,
    /// Whether it declares `warn`.
    pub warn: bool,
    /// Whether a `deny` message rejects the release.
    pub blocking: bool,
    /// Only when certifying for this environment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

const TOP_KEYS: &[&str] = &[
    "version",
    "name",
    "description",
    "environments",
    "exceptions",
    "triage",
    "release",
    "criteria",
    "rego",
    "projects",
];
const CRITERION_KEYS: &[&str] = &["id", "title", "description", "use", "with", "blocking", "scope"];
const REGO_KEYS: &[&str] = &["id", "title", "description", "file", "source", "blocking", "scope"];
const SCOPE_KEYS: &[&str] = &["kinds", "tools", "environment"];

impl Policy {
    /// Reads, checks and compiles a policy.
    ///
    /// `file_name` is used in error messages; `resolve_rego` turns each `rego:`
    /// entry's `file:` (as written, relative to the policy file) into the module's
    /// text — the caller does the reading.
    ///
    /// # Errors
    /// The first problem found, with its file, line and column: YAML syntax, an
    /// unknown key, criterion or parameter, a missing or ill-typed value, a duplicate
    /// id, an unknown evidence kind or environment in a scope, a Rego file that cannot
    /// be read, a Rego module that does not compile.
    pub fn parse(text: &str, file_name: &str, resolve_rego: RegoResolver<'_>) -> Result<Policy, PolicyError> {
        let reader = Reader { file: file_name };
        let root = yaml::parse(text, file_name)?;
        if root.value == yaml::Value::Null {
            return Err(reader.error(
                Place { line: 1, column: 1 },
                PolicyErrorKind::MissingKey { key: "version", context: "the policy (the file is empty)".to_owned() },
            ));
        }
        let top = reader.map(&root, "the policy", TOP_KEYS)?;

        let version = top.require(&reader, "version")?;
        match &version.value {
            yaml::Value::Int(1) => {}
            yaml::Value::Int(other) => {
                return Err(
                    reader.error(version.place, PolicyErrorKind::UnsupportedVersion { found: other.to_string() })
                );
            }
            _ => {
                reader.count(version, "version")?;
            }
        }
        let name = reader.str(top.require(&reader, "name")?, "name")?.to_owned();
        let description =
            top.get("description").map(|node| reader.str(node, "description")).transpose()?.map(str::to_owned);

        let mut environments: Vec<String> = Vec::new();
        if let Some(node) = top.get("environments") {
            for (environment, item) in reader.strings(node, "environments")? {
                check_name(&reader, item, "environment name", environment)?;
                if environments.iter().any(|known| known == environment) {
                    return Err(reader.invalid(item, "environments", format!("`{environment}` is listed twice")));
                }
                environments.push(environment.to_owned());
            }
        }

        let mut exceptions = ExceptionRules::default();
        if let Some(node) = top.get("exceptions") {
            let map = reader.map(node, "exceptions", &["max_days"])?;
            if let Some(days) = map.get("max_days") {
                let value = reader.count(days, "exceptions.max_days")?;
                if value == 0 {
                    return Err(reader.invalid(days, "exceptions.max_days", "must be at least 1"));
                }
                exceptions.max_days = Some(value);
            }
        }

        let mut triage = TriageRules::default();
        if let Some(node) = top.get("triage") {
            let map = reader.map(node, "triage", &["approval"])?;
            if let Some(approval) = map.get("approval") {
                triage.approval_required = match reader.str(approval, "triage.approval")? {
                    "required" => true,
                    "none" => false,
                    other => {
                        return Err(reader.invalid(
                            approval,
                            "triage.approval",
                            format!("`{other}` is neither `required` nor `none`"),
                        ));
                    }
                };
            }
        }

        let mut release = ReleaseRules::default();
        if let Some(node) = top.get("release") {
            let map = reader.map(node, "release", &["late_evidence", "warn_ahead_days"])?;
            if let Some(late) = map.get("late_evidence") {
                release.refuse_late_evidence = match reader.str(late, "release.late_evidence")? {
                    "refuse" => true,
                    "record" => false,
                    other => {
                        return Err(reader.invalid(
                            late,
                            "release.late_evidence",
                            format!("`{other}` is neither `refuse` nor `record`"),
                        ));
                    }
                };
            }
            if let Some(days) = map.get("warn_ahead_days") {
                let value = reader.count(days, "release.warn_ahead_days")?;
                if value == 0 || value > 366 {
                    return Err(reader.invalid(days, "release.warn_ahead_days", "must be from 1 to 366"));
                }
                release.warn_ahead_days = value;
            }
        }

        let grammar = Grammar { reader, environments: &environments };
        let mut ids: HashMap<String, u64> = HashMap::new();
        let criteria = match top.get("criteria") {
            Some(node) => grammar.criteria(node, "criteria", &mut ids)?,
            None => Vec::new(),
        };

        // Rego modules: resolve, then compile all together.
        let mut sources = Vec::new();
        if let Some(node) = top.get("rego") {
            for (index, item) in reader.seq(node, "rego")?.iter().enumerate() {
                sources.push(grammar.rego_entry(item, index, &mut ids, resolve_rego)?);
            }
        }

        let mut projects = BTreeMap::new();
        if let Some(node) = top.get("projects") {
            for (key, value) in reader.any_map(node, "projects")? {
                if let Err(error) = ProjectName::new(&key.text) {
                    return Err(reader.error(
                        key.place,
                        PolicyErrorKind::InvalidValue { what: "project name".to_owned(), message: error.to_string() },
                    ));
                }
                let context = format!("project `{}`", key.text);
                let map = reader.map(value, &context, &["criteria"])?;
                let mut project_ids = HashMap::new();
                let overrides = match map.get("criteria") {
                    Some(list) => {
                        grammar.criteria(list, &format!("projects.{}.criteria", key.text), &mut project_ids)?
                    }
                    None => Vec::new(),
                };
                // An override may replace a criterion, not a Rego module.
                for spec in &overrides {
                    if let Some(source) = sources.iter().find(|source: &&RegoSource| source.id == spec.id) {
                        return Err(reader.error(
                            Place { line: spec.line, column: 1 },
                            PolicyErrorKind::InvalidValue {
                                what: format!("criterion `{}`", spec.id),
                                message: format!(
                                    "the id is a rego module (line {}); overrides apply to built-in criteria",
                                    source.line
                                ),
                            },
                        ));
                    }
                }
                projects.insert(key.text.clone(), overrides);
            }
        }

        let digest = policy_digest(text, &sources, file_name)?;
        let rego = RegoRules::compile(file_name, sources)?;
        Ok(Policy {
            name,
            description,
            digest,
            environments,
            exceptions,
            triage,
            release,
            criteria,
            projects,
            rego: Arc::new(rego),
        })
    }

    /// The policy's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The policy's description, if any.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The policy's content digest, recorded in every certification.
    ///
    /// For a policy without `file:` Rego modules it is the SHA-256 of the policy
    /// text's exact bytes (what `sha256sum policy.yaml` prints). With `file:`
    /// modules it is the SHA-256 of the RFC 8785 canonical JSON
    /// `{"policy": "<digest of the text>", "rego": {"<file as written>": "<digest of
    /// its text>", …}}`, so a change to any module changes the digest.
    pub fn digest(&self) -> Digest {
        self.digest
    }

    /// The declared environments.
    pub fn environments(&self) -> &[String] {
        &self.environments
    }

    /// The projects the policy has overrides for.
    pub fn projects(&self) -> impl Iterator<Item = &str> {
        self.projects.keys().map(String::as_str)
    }

    /// The policy for `project`: the organisation's criteria with the project's
    /// overrides applied (an override with an existing id replaces that criterion in
    /// place; others are added at the end). Projects without overrides get the
    /// organisation's criteria unchanged.
    pub fn for_project(&self, project: &str) -> EffectivePolicy {
        let mut criteria = self.criteria.clone();
        let overrides = self.projects.get(project);
        for spec in overrides.into_iter().flatten() {
            match criteria.iter_mut().find(|existing| existing.id == spec.id) {
                Some(existing) => *existing = spec.clone(),
                None => criteria.push(spec.clone()),
            }
        }
        EffectivePolicy {
            name: self.name.clone(),
            digest: self.digest,
            project_override: overrides.map(|_| project.to_owned()),
            environments: self.environments.clone(),
            exceptions: self.exceptions,
            triage: self.triage,
            release: self.release,
            criteria,
            rego: self.rego.infos(),
            rules: Arc::clone(&self.rego),
        }
    }
}

fn policy_digest(text: &str, sources: &[RegoSource], file_name: &str) -> Result<Digest, PolicyError> {
    let text_digest = Digest::of(text.as_bytes());
    let files: BTreeMap<&str, String> = sources
        .iter()
        .filter_map(|source| source.file.as_deref().map(|file| (file, Digest::of(source.text.as_bytes()).to_string())))
        .collect();
    if files.is_empty() {
        return Ok(text_digest);
    }
    let document = serde_json::json!({ "policy": text_digest.to_string(), "rego": files });
    // A JSON document of strings always has canonical bytes; this error cannot happen.
    let bytes = signoff_core::canonical::to_canonical_bytes(&document).map_err(|error| PolicyError {
        file: file_name.to_owned(),
        line: 1,
        column: 1,
        kind: PolicyErrorKind::Syntax { message: error.to_string() },
    })?;
    Ok(Digest::of(&bytes))
}

mod grammar;

use grammar::{Grammar, check_name};

#[cfg(test)]
mod tests;
