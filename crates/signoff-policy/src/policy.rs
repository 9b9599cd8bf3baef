//! The policy file: its grammar, its validation, and per-project overrides.
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

const TOP_KEYS: &[&str] =
    &["version", "name", "description", "environments", "exceptions", "criteria", "rego", "projects"];
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
        Ok(Policy { name, description, digest, environments, exceptions, criteria, projects, rego: Arc::new(rego) })
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

/// Ids and environment names: a letter or digit, then letters, digits, `-` and `_`;
/// at most 64 characters.
fn check_name(reader: &Reader<'_>, node: &Node, what: &str, text: &str) -> Result<(), PolicyError> {
    let valid = !text.is_empty()
        && text.len() <= 64
        && text.starts_with(|c: char| c.is_ascii_alphanumeric())
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(reader.invalid(
            node,
            what,
            format!("`{text}` is not a valid name (a letter or digit, then letters, digits, `-` and `_`; at most 64)"),
        ))
    }
}

struct Grammar<'a> {
    reader: Reader<'a>,
    environments: &'a [String],
}

impl Grammar<'_> {
    fn criteria(
        &self,
        node: &Node,
        what: &str,
        ids: &mut HashMap<String, u64>,
    ) -> Result<Vec<CriterionSpec>, PolicyError> {
        let reader = &self.reader;
        let mut specs = Vec::new();
        for (index, item) in reader.seq(node, what)?.iter().enumerate() {
            let context = format!("{what}[{index}]");
            let map = reader.map(item, &context, CRITERION_KEYS)?;
            let id_node = map.require(reader, "id")?;
            let id = reader.str(id_node, "id")?;
            check_name(reader, id_node, "id", id)?;
            if let Some(first_line) = ids.get(id) {
                return Err(reader.error(
                    id_node.place,
                    PolicyErrorKind::DuplicateId { id: id.to_owned(), first_line: *first_line },
                ));
            }
            ids.insert(id.to_owned(), id_node.place.line);
            let context = format!("criterion `{id}`");
            let use_node = map.require(reader, "use")?;
            let use_name = reader.str(use_node, "use")?;
            let check = self.check(id, use_name, use_node, &map)?;
            let scope = self.scope(&map, id, &check)?;
            let blocking =
                map.get("blocking").map(|node| reader.bool(node, &format!("`blocking` of {context}"))).transpose()?;
            let title = map.get("title").map(|node| reader.str(node, "title")).transpose()?;
            if let Some(node) = map.get("description") {
                reader.str(node, "description")?;
            }
            specs.push(CriterionSpec {
                id: id.to_owned(),
                title: title.map_or_else(|| check.default_title(), str::to_owned),
                check,
                blocking: blocking.unwrap_or(true),
                scope,
                line: id_node.place.line,
            });
        }
        Ok(specs)
    }

    fn scope(&self, map: &MapView<'_>, id: &str, check: &Check) -> Result<Scope, PolicyError> {
        let reader = &self.reader;
        let Some(node) = map.get("scope") else {
            return Ok(Scope::default());
        };
        let scope_map = reader.map(node, &format!("`scope` of criterion `{id}`"), SCOPE_KEYS)?;
        let (kinds_ok, tools_ok) = check.scope_support();
        let mut scope = Scope::default();
        if let Some(kinds) = scope_map.get("kinds") {
            if !kinds_ok {
                return Err(reader.invalid(
                    kinds,
                    &format!("`scope.kinds` of criterion `{id}`"),
                    format!("`{}` does not filter by evidence kind{}", check.name(), kinds_hint(check)),
                ));
            }
            scope.kinds = self.kinds(kinds, &format!("`scope.kinds` of criterion `{id}`"))?;
        }
        if let Some(tools) = scope_map.get("tools") {
            if !tools_ok {
                return Err(reader.invalid(
                    tools,
                    &format!("`scope.tools` of criterion `{id}`"),
                    format!("`{}` does not look at evidence, so cannot filter by tool", check.name()),
                ));
            }
            let what = format!("`scope.tools` of criterion `{id}`");
            scope.tools = reader.strings(tools, &what)?.into_iter().map(|(tool, _)| tool.to_owned()).collect();
            if scope.tools.is_empty() {
                return Err(reader.invalid(tools, &what, "must list at least one tool (leave it out for all)"));
            }
        }
        if let Some(environment) = scope_map.get("environment") {
            scope.environment =
                Some(self.environment(environment, &format!("`scope.environment` of criterion `{id}`"))?);
        }
        Ok(scope)
    }

    fn environment(&self, node: &Node, what: &str) -> Result<String, PolicyError> {
        let name = self.reader.str(node, what)?;
        if !self.environments.iter().any(|known| known == name) {
            let declared = if self.environments.is_empty() {
                "none; list them under `environments:`".to_owned()
            } else {
                self.environments.join(", ")
            };
            return Err(self
                .reader
                .error(node.place, PolicyErrorKind::UnknownEnvironment { name: name.to_owned(), declared }));
        }
        Ok(name.to_owned())
    }

    fn kinds(&self, node: &Node, what: &str) -> Result<Vec<EvidenceKind>, PolicyError> {
        let mut kinds = Vec::new();
        for (name, item) in self.reader.strings(node, what)? {
            let kind =
                name.parse::<EvidenceKind>().map_err(|error| self.reader.invalid(item, what, error.to_string()))?;
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        if kinds.is_empty() {
            return Err(self.reader.invalid(node, what, "must list at least one evidence kind"));
        }
        Ok(kinds)
    }

    fn severities(&self, node: &Node, what: &str) -> Result<Vec<Severity>, PolicyError> {
        let mut severities = Vec::new();
        for (name, item) in self.reader.strings(node, what)? {
            let severity =
                name.parse::<Severity>().map_err(|error| self.reader.invalid(item, what, error.to_string()))?;
            if !severities.contains(&severity) {
                severities.push(severity);
            }
        }
        if severities.is_empty() {
            return Err(self.reader.invalid(node, what, "must list at least one severity"));
        }
        severities.sort_by(|a, b| b.cmp(a));
        Ok(severities)
    }

    fn check(&self, id: &str, name: &str, use_node: &Node, map: &MapView<'_>) -> Result<Check, PolicyError> {
        let reader = &self.reader;
        let with = map.get("with");
        let params = |criterion: &'static str, allowed: &'static [&'static str]| {
            Params::new(reader, id, criterion, with, allowed, map.key_place("with").unwrap_or(use_node.place))
        };
        let check = match name {
            "evidence_present" => {
                let params = params("evidence_present", &["kinds"])?;
                Check::EvidencePresent { kinds: self.kinds(params.require("kinds")?, &params.what("kinds"))? }
            }
            "sbom_and_provenance" => {
                params("sbom_and_provenance", &[])?;
                Check::SbomAndProvenance
            }
            "findings_threshold" => {
                let params = params("findings_threshold", &["max", "include_suppressed"])?;
                let max_node = params.require("max")?;
                let what = params.what("max");
                let severity_names: Vec<&'static str> =
                    Severity::ALL.iter().rev().map(|severity| severity.as_str()).collect();
                let max_map = reader.map(max_node, &what, &severity_names)?;
                let mut max = BTreeMap::new();
                for (key, value) in max_map.entries() {
                    if let Ok(severity) = key.text.parse::<Severity>()
                        && value.value != yaml::Value::Null
                    {
                        max.insert(severity, reader.count(value, &format!("{what}.{}", key.text))?);
                    }
                }
                if max.is_empty() {
                    return Err(reader.invalid(max_node, &what, "must set a limit for at least one severity"));
                }
                Check::FindingsThreshold { max, include_suppressed: params.bool("include_suppressed", false)? }
            }
            "evidence_fresh" => {
                let params = params("evidence_fresh", &["max_age_days", "kinds"])?;
                let max_node = params.require("max_age_days")?;
                let max_age_days = reader.count(max_node, &params.what("max_age_days"))?;
                if max_age_days == 0 {
                    return Err(reader.invalid(max_node, &params.what("max_age_days"), "must be at least 1"));
                }
                let kinds = match params.get("kinds") {
                    Some(node) => self.kinds(node, &params.what("kinds"))?,
                    None => EvidenceKind::ALL.iter().copied().filter(|kind| kind.is_scan()).collect(),
                };
                Check::EvidenceFresh { max_age_days, kinds }
            }
            "tests_pass" => {
                params("tests_pass", &[])?;
                Check::TestsPass
            }
            "coverage_min" => {
                let params = params("coverage_min", &["line_rate", "branch_rate"])?;
                let line_rate = params.rate(params.require("line_rate")?, "line_rate")?;
                let branch_rate = params.get("branch_rate").map(|node| params.rate(node, "branch_rate")).transpose()?;
                Check::CoverageMin { line_rate, branch_rate }
            }
            "changes_reviewed" => {
                let params = params("changes_reviewed", &["min_approvals"])?;
                Check::ChangesReviewed { min_approvals: params.positive("min_approvals", 1)? }
            }
            "approval_by_role" => {
                let params = params("approval_by_role", &["role", "min"])?;
                let role_node = params.require("role")?;
                let role = reader.str(role_node, &params.what("role"))?;
                if role.trim().is_empty() {
                    return Err(reader.invalid(role_node, &params.what("role"), "must not be empty"));
                }
                Check::ApprovalByRole { role: role.to_owned(), min: params.positive("min", 1)? }
            }
            "signed_commits" => {
                let params = params("signed_commits", &["require_verified"])?;
                Check::SignedCommits { require_verified: params.bool("require_verified", false)? }
            }
            "no_new_findings" => {
                let params = params("no_new_findings", &["severities", "include_suppressed"])?;
                let severities = match params.get("severities") {
                    Some(node) => self.severities(node, &params.what("severities"))?,
                    None => vec![Severity::Critical, Severity::High],
                };
                Check::NoNewFindings { severities, include_suppressed: params.bool("include_suppressed", false)? }
            }
            "separation_of_duties" => {
                params("separation_of_duties", &[])?;
                Check::SeparationOfDuties
            }
            "agent_changes_reviewed" => {
                let params = params("agent_changes_reviewed", &["min_human_reviews"])?;
                Check::AgentChangesReviewed { min_human_reviews: params.positive("min_human_reviews", 2)? }
            }
            other => {
                let mut expected = String::new();
                for (index, name) in BUILT_IN_CRITERIA.iter().enumerate() {
                    let _ = write!(expected, "{}{name}", if index == 0 { "" } else { ", " });
                }
                return Err(reader
                    .error(use_node.place, PolicyErrorKind::UnknownCriterion { name: other.to_owned(), expected }));
            }
        };
        Ok(check)
    }

    fn rego_entry(
        &self,
        item: &Node,
        index: usize,
        ids: &mut HashMap<String, u64>,
        resolve: RegoResolver<'_>,
    ) -> Result<RegoSource, PolicyError> {
        let reader = &self.reader;
        let map = reader.map(item, &format!("rego[{index}]"), REGO_KEYS)?;
        let id_node = map.require(reader, "id")?;
        let id = reader.str(id_node, "id")?;
        check_name(reader, id_node, "id", id)?;
        if let Some(first_line) = ids.get(id) {
            return Err(reader
                .error(id_node.place, PolicyErrorKind::DuplicateId { id: id.to_owned(), first_line: *first_line }));
        }
        ids.insert(id.to_owned(), id_node.place.line);
        let context = format!("rego module `{id}`");
        let title = map.get("title").map(|node| reader.str(node, "title")).transpose()?.map(str::to_owned);
        if let Some(node) = map.get("description") {
            reader.str(node, "description")?;
        }
        let blocking =
            map.get("blocking").map(|node| reader.bool(node, &format!("`blocking` of {context}"))).transpose()?;
        let mut environment = None;
        if let Some(node) = map.get("scope") {
            let scope = reader.map(node, &format!("`scope` of {context}"), &["environment"])?;
            if let Some(env) = scope.get("environment") {
                environment = Some(self.environment(env, &format!("`scope.environment` of {context}"))?);
            }
        }
        let (file, text, origin) = match (map.get("file"), map.get("source")) {
            (Some(_), Some(source)) => {
                return Err(reader.invalid(source, &context, "give either `file` or `source`, not both"));
            }
            (None, None) => {
                return Err(reader.error(
                    map.place,
                    PolicyErrorKind::MissingKey { key: "file", context: format!("{context} (or `source`)") },
                ));
            }
            (Some(file_node), None) => {
                let file = reader.str(file_node, &format!("`file` of {context}"))?;
                let text = resolve(file).map_err(|message| {
                    reader.error(file_node.place, PolicyErrorKind::RegoFile { file: file.to_owned(), message })
                })?;
                (Some(file.to_owned()), text, None)
            }
            (None, Some(source_node)) => {
                let text = reader.str(source_node, &format!("`source` of {context}"))?;
                (None, text.to_owned(), Some(source_node.place))
            }
        };
        Ok(RegoSource {
            id: id.to_owned(),
            title: title.unwrap_or_else(|| format!("Rego rules `{id}`")),
            file,
            text,
            inline_at: origin,
            line: id_node.place.line,
            blocking: blocking.unwrap_or(true),
            environment,
        })
    }
}

fn kinds_hint(check: &Check) -> &'static str {
    match check {
        Check::EvidencePresent { .. } | Check::EvidenceFresh { .. } => "; list the kinds in `with.kinds`",
        _ => "",
    }
}

/// The `with:` of one criterion, its keys checked.
struct Params<'r, 'n> {
    reader: &'r Reader<'r>,
    id: String,
    criterion: &'static str,
    map: Option<MapView<'n>>,
    place: Place,
}

impl<'r, 'n> Params<'r, 'n> {
    fn new(
        reader: &'r Reader<'r>,
        id: &str,
        criterion: &'static str,
        with: Option<&'n Node>,
        allowed: &'static [&'static str],
        place: Place,
    ) -> Result<Params<'r, 'n>, PolicyError> {
        let map = match with {
            None => None,
            Some(node) => {
                let yaml::Value::Map(entries) = &node.value else {
                    return Err(reader.error(
                        node.place,
                        PolicyErrorKind::WrongType {
                            what: format!("`with` of criterion `{id}`"),
                            expected: "a mapping",
                            found: node.value.type_name(),
                        },
                    ));
                };
                for (key, _) in entries {
                    if !allowed.contains(&key.text.as_str()) {
                        let expected = if allowed.is_empty() {
                            "it takes no parameters".to_owned()
                        } else {
                            format!("it takes: {}", allowed.join(", "))
                        };
                        return Err(reader.error(
                            key.place,
                            PolicyErrorKind::UnknownParameter { criterion, name: key.text.clone(), expected },
                        ));
                    }
                }
                Some(reader.map(node, &format!("`with` of criterion `{id}`"), allowed)?)
            }
        };
        Ok(Params { reader, id: id.to_owned(), criterion, map, place: with.map_or(place, |node| node.place) })
    }

    fn what(&self, key: &str) -> String {
        format!("`with.{key}` of criterion `{}`", self.id)
    }

    fn get(&self, key: &str) -> Option<&'n Node> {
        self.map.as_ref().and_then(|map| map.get(key))
    }

    fn require(&self, key: &'static str) -> Result<&'n Node, PolicyError> {
        self.get(key).ok_or_else(|| {
            self.reader.error(self.place, PolicyErrorKind::MissingParameter { criterion: self.criterion, name: key })
        })
    }

    fn bool(&self, key: &str, default: bool) -> Result<bool, PolicyError> {
        self.get(key)
            .map(|node| self.reader.bool(node, &self.what(key)))
            .transpose()
            .map(|value| value.unwrap_or(default))
    }

    fn positive(&self, key: &str, default: u64) -> Result<u64, PolicyError> {
        let Some(node) = self.get(key) else {
            return Ok(default);
        };
        let value = self.reader.count(node, &self.what(key))?;
        if value == 0 {
            return Err(self.reader.invalid(node, &self.what(key), "must be at least 1"));
        }
        Ok(value)
    }

    fn rate(&self, node: &Node, key: &str) -> Result<f64, PolicyError> {
        let value = self.reader.number(node, &self.what(key))?;
        if !(0.0..=1.0).contains(&value) {
            return Err(self.reader.invalid(
                node,
                &self.what(key),
                format!("must be a fraction between 0.0 and 1.0 (write 0.8 for 80%), not {value}"),
            ));
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests;
