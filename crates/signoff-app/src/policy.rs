//! Policies (D1, D2): the starter policy, publishing (validated, digested,
//! versioned, ledgered), and choosing the one certification uses.

use std::path::{Path, PathBuf};

use serde::Serialize;
use signoff_core::ProjectName;
use signoff_core::entry::Event;
use signoff_core::records::{Actor, ActorKind, PolicyPinRecord, PolicyRecord, PolicyReference, PolicySource};
use signoff_policy::Policy;
pub use signoff_policy::STARTER_POLICY;
use signoff_store::RecordQuery;

use crate::error::{AppError, Refusal};
use crate::home::Signoff;
use crate::refuse::Attempt;

/// A policy and where it came from.
#[derive(Debug, Clone)]
pub struct ChosenPolicy {
    /// The policy.
    pub policy: Policy,
    /// Its name, version, digest and source, as certificates record it.
    pub reference: PolicyReference,
}

/// A request to pin a project to a published policy version, or to unpin it.
#[derive(Debug, Clone)]
pub struct Pin {
    /// The project.
    pub project: ProjectName,
    /// The policy's name and published version; `None` unpins (the latest
    /// published policy is in force again).
    pub policy: Option<(String, u64)>,
    /// Why.
    pub reason: String,
    /// Who (a human).
    pub actor: Actor,
}

/// A recorded pin.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Pinned {
    /// The record.
    #[serde(flatten)]
    pub record: PolicyPinRecord,
    /// Its ledger entry.
    pub entry: u64,
}

/// Pins a project to a published policy version (or unpins it): ledgered, by a
/// human. Certificates issued under another policy stop opening the gate for the
/// project until it is certified again.
///
/// # Errors
/// An empty reason, an unknown policy version, a pinner who is not a human (the
/// attempt is ledgered), or a store failure.
pub async fn pin(signoff: &Signoff, request: Pin) -> Result<Pinned, AppError> {
    let Pin { project, policy, reason, actor } = request;
    if reason.trim().is_empty() {
        return Err(AppError::Invalid("say why with --reason".into()));
    }
    let reference = match &policy {
        None => None,
        Some((name, version)) => {
            let published = published_policies(signoff).await?;
            let record = published
                .iter()
                .map(|published| &published.record)
                .find(|record| record.name == *name && record.version == *version)
                .ok_or_else(|| {
                    AppError::Invalid(format!(
                        "no published policy {name} version {version} (publish it with `signoff policy publish`)"
                    ))
                })?;
            Some(PolicyReference {
                name: record.name.clone(),
                version: Some(record.version),
                digest: record.digest,
                source: PolicySource::Published,
            })
        }
    };
    if actor.kind != ActorKind::Human {
        let target = policy.map_or_else(|| "latest".to_owned(), |(name, version)| format!("{name} v{version}"));
        let refusal = Refusal::NotHuman { actor: actor.id.clone(), kind: actor.kind, action: "pin a policy" };
        let attempt = Attempt::on("policy pin", target, &actor).for_project(Some(project));
        return Err(signoff.refuse(attempt, refusal).await);
    }
    let record = PolicyPinRecord {
        id: uuid::Uuid::now_v7().to_string(),
        project,
        policy: reference,
        reason: reason.trim().to_owned(),
        actor,
    };
    let mut batch = signoff.begin_batch().await?;
    let entry = batch.append(Event::PolicyPinned(Box::new(record.clone()))).await?;
    batch.commit(signoff).await?;
    Ok(Pinned { record, entry: entry.seq })
}

/// Writes the commented starter policy to `path`.
///
/// # Errors
/// When the file exists (and `force` is false) or cannot be written.
pub fn init(path: &Path, force: bool) -> Result<(), AppError> {
    if path.exists() && !force {
        return Err(AppError::Invalid(format!("{} exists; pass --force to overwrite it", path.display())));
    }
    std::fs::write(path, STARTER_POLICY).map_err(AppError::io(path))
}

/// A parsed policy with its text and the Rego sources it read (file, source).
pub(crate) type ParsedPolicy = (Policy, String, Vec<(String, String)>);

/// A policy as the user gave it: its text, the name it is shown and recorded
/// under, and the folder its Rego files are read from. Where the text comes
/// from (a file, standard input, a request's body) is the front end's business.
#[derive(Debug, Clone)]
pub struct PolicyFile {
    /// The policy's YAML.
    pub text: String,
    /// How errors name it: the path, or "standard input".
    pub display: String,
    /// The name it is recorded under when published (`stdin` for standard input).
    pub file_name: String,
    /// Where the Rego files it names are read (relative to the current folder
    /// when empty).
    pub folder: PathBuf,
}

impl PolicyFile {
    /// The policy file at `path`, its Rego files beside it.
    ///
    /// # Errors
    /// When the file cannot be read.
    pub fn read(path: &Path) -> Result<PolicyFile, AppError> {
        let text = std::fs::read_to_string(path).map_err(AppError::io(path))?;
        Ok(PolicyFile {
            text,
            display: path.display().to_string(),
            file_name: path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default(),
            folder: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        })
    }

    /// A policy read from standard input: its Rego files are read from the
    /// current folder.
    pub fn piped(text: String) -> PolicyFile {
        PolicyFile { text, display: "standard input".into(), file_name: "stdin".into(), folder: PathBuf::new() }
    }

    /// Parses the policy, reading its Rego files from its folder.
    ///
    /// # Errors
    /// A policy mistake, reported as `file:line:column: message`.
    pub(crate) fn parse(&self) -> Result<ParsedPolicy, AppError> {
        let rego = std::cell::RefCell::new(Vec::new());
        let resolve = |file: &str| -> Result<String, String> {
            let full: PathBuf = self.folder.join(file);
            let source = std::fs::read_to_string(&full).map_err(|error| format!("{}: {error}", full.display()))?;
            rego.borrow_mut().push((file.to_owned(), source.clone()));
            Ok(source)
        };
        let policy = Policy::parse(&self.text, &self.display, &resolve)?;
        Ok((policy, self.text.clone(), rego.into_inner()))
    }
}

/// Parses the policy file at `path` ([`PolicyFile::read`], then parse).
///
/// # Errors
/// As [`PolicyFile::read`] and [`PolicyFile::parse`].
pub(crate) fn parse_file(path: &Path) -> Result<ParsedPolicy, AppError> {
    PolicyFile::read(path)?.parse()
}

/// A published policy.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PublishedPolicy {
    /// The record.
    #[serde(flatten)]
    pub record: PolicyRecord,
    /// Its ledger entry.
    pub entry: u64,
}

/// Validates and publishes a policy: its text is ledgered with its digest and the
/// next version number for its name. Publishing an unchanged policy again is a
/// no-op that returns the existing version.
///
/// # Errors
/// A policy mistake (nothing is written), a publisher who is not a human (the
/// attempt is ledgered), or a store failure.
pub async fn publish(signoff: &Signoff, file: &PolicyFile, actor: Actor) -> Result<PublishedPolicy, AppError> {
    let (policy, text, rego) = file.parse()?;
    if actor.kind != ActorKind::Human {
        let file = file.file_name.clone();
        let refusal = Refusal::NotHuman { actor: actor.id.clone(), kind: actor.kind, action: "publish a policy" };
        return Err(signoff.refuse(Attempt::on("policy publish", file, &actor), refusal).await);
    }
    let published = published_policies(signoff).await?;
    let same_name: Vec<&PublishedPolicy> =
        published.iter().filter(|published| published.record.name == policy.name()).collect();
    if let Some(latest) = same_name.last()
        && latest.record.digest == policy.digest()
    {
        return Ok((*latest).clone());
    }
    let record = PolicyRecord {
        id: uuid::Uuid::now_v7().to_string(),
        name: policy.name().to_owned(),
        version: same_name.last().map_or(1, |latest| latest.record.version + 1),
        digest: policy.digest(),
        file_name: file.file_name.clone(),
        text,
        rego,
        published_by: actor,
    };
    let mut batch = signoff.begin_batch().await?;
    let entry = batch.append(Event::PolicyPublished(Box::new(record.clone()))).await?;
    batch.commit(signoff).await?;
    Ok(PublishedPolicy { record, entry: entry.seq })
}

/// Every published policy, oldest first, with its entry.
pub(crate) async fn published_policies(signoff: &Signoff) -> Result<Vec<PublishedPolicy>, AppError> {
    let rows = signoff.store.records::<PolicyRecord>(&RecordQuery::default()).await?;
    Ok(rows.into_iter().map(|row| PublishedPolicy { record: row.record, entry: row.seq }).collect())
}

/// Rebuilds a published policy from its record.
pub(crate) fn policy_from_record(record: &PolicyRecord) -> Result<Policy, AppError> {
    let resolve = |file: &str| -> Result<String, String> {
        record
            .rego
            .iter()
            .find(|(name, _)| name == file)
            .map(|(_, source)| source.clone())
            .ok_or_else(|| format!("{file} is not in the published policy"))
    };
    Ok(Policy::parse(&record.text, &record.file_name, &resolve)?)
}

/// The policy a prediction uses: `--policy FILE` when given, else the policy in
/// force for `project` ([`policy_in_force`]). Only a dry run or a replay may use
/// a file: a certificate that can open a gate is issued under the policy in force.
pub(crate) async fn choose_policy(
    signoff: &Signoff,
    file: Option<&Path>,
    project: &ProjectName,
) -> Result<ChosenPolicy, AppError> {
    if let Some(path) = file {
        let (policy, _, _) = parse_file(path)?;
        let reference = PolicyReference {
            name: policy.name().to_owned(),
            version: None,
            digest: policy.digest(),
            source: PolicySource::File,
        };
        return Ok(ChosenPolicy { policy, reference });
    }
    policy_in_force(signoff, project).await
}

/// The policy in force for `project` (D1): the published policy the project is
/// pinned to by its latest pin, else the latest published policy, else the
/// built-in starter policy. Certification uses it and the gate honours only
/// certificates issued under it.
///
/// # Errors
/// A store failure, or a published policy that no longer parses.
pub async fn policy_in_force(signoff: &Signoff, project: &ProjectName) -> Result<ChosenPolicy, AppError> {
    let published = published_policies(signoff).await?;
    let pin = signoff.store.records_of::<PolicyPinRecord>(Some(project.as_str()), None).await?.pop();
    if let Some(reference) = pin.and_then(|pin| pin.record.policy) {
        let record = published
            .iter()
            .find(|published| published.record.digest == reference.digest)
            .map(|published| &published.record)
            .ok_or_else(|| {
                AppError::Inconsistent(format!(
                    "{project} is pinned to policy {} ({}), which was never published",
                    reference.name, reference.digest
                ))
            })?;
        return Ok(ChosenPolicy { policy: policy_from_record(record)?, reference });
    }
    latest(published)
}

/// The latest published policy, else the built-in starter policy: what is in
/// force for a project without a pin.
pub(crate) async fn latest_policy(signoff: &Signoff) -> Result<ChosenPolicy, AppError> {
    latest(published_policies(signoff).await?)
}

fn latest(published: Vec<PublishedPolicy>) -> Result<ChosenPolicy, AppError> {
    if let Some(PublishedPolicy { record, .. }) = published.into_iter().next_back() {
        let policy = policy_from_record(&record)?;
        let reference = PolicyReference {
            name: record.name.clone(),
            version: Some(record.version),
            digest: record.digest,
            source: PolicySource::Published,
        };
        return Ok(ChosenPolicy { policy, reference });
    }
    let policy =
        Policy::parse(STARTER_POLICY, "starter-policy.yaml", &|file: &str| Err(format!("{file}: no such file")))?;
    let reference = PolicyReference {
        name: policy.name().to_owned(),
        version: None,
        digest: policy.digest(),
        source: PolicySource::Builtin,
    };
    Ok(ChosenPolicy { policy, reference })
}

/// What a policy file holds, once checked.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PolicyCheck {
    /// Its name.
    pub name: String,
    /// Its digest.
    pub digest: signoff_core::Digest,
    /// Built-in criteria and Rego modules.
    pub criteria: usize,
    /// Projects with overrides.
    pub projects: Vec<String>,
    /// Declared environments.
    pub environments: Vec<String>,
}

/// Checks a policy without publishing it.
///
/// # Errors
/// A policy mistake, as `file:line:column: message`.
pub fn check(file: &PolicyFile) -> Result<PolicyCheck, AppError> {
    let (policy, _, _) = file.parse()?;
    let effective = policy.for_project("");
    Ok(PolicyCheck {
        name: policy.name().to_owned(),
        digest: policy.digest(),
        criteria: effective.criteria.len() + effective.rego.len(),
        projects: policy.projects().map(str::to_owned).collect(),
        environments: policy.environments().to_vec(),
    })
}
