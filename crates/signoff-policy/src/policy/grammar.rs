//! The grammar of a policy's criteria, scopes and Rego entries: each YAML node
//! read into a [`CriterionSpec`] or [`RegoModuleInfo`], checked with its place
//! (file:line:column) before anything is evaluated.

use super::*;

/// Ids and environment names: a letter or digit, then letters, digits, `-` and `_`;
/// at most 64 characters.
pub(super) fn check_name(reader: &Reader<'_>, node: &Node, what: &str, text: &str) -> Result<(), PolicyError> {
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

pub(super) struct Grammar<'a> {
    pub(super) reader: Reader<'a>,
    pub(super) environments: &'a [String],
}

impl Grammar<'_> {
    pub(super) fn criteria(
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

    pub(super) fn rego_entry(
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
