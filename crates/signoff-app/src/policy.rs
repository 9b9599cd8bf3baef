//! Policies (D1, D2): the starter policy, publishing (validated, digested,
//! versioned, ledgered), and choosing the one certification uses.

use std::path::{Path, PathBuf};

use serde::Serialize;
use signoff_core::entry::Event;
use signoff_core::records::{Actor, PolicyRecord, PolicyReference, PolicySource};
use signoff_policy::{Policy, STARTER_POLICY};
use signoff_store::RecordQuery;

use crate::error::AppError;
use crate::home::Signoff;

/// Where the policy in force came from.
#[derive(Debug, Clone)]
pub(crate) struct ChosenPolicy {
    pub(crate) policy: Policy,
    pub(crate) reference: PolicyReference,
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

/// Parses a policy file, reading its Rego files relative to it.
///
/// # Errors
/// A policy mistake, reported as `file:line:column: message`.
pub(crate) fn parse_file(path: &Path) -> Result<ParsedPolicy, AppError> {
    let text = std::fs::read_to_string(path).map_err(AppError::io(path))?;
    let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let rego = std::cell::RefCell::new(Vec::new());
    let resolve = |file: &str| -> Result<String, String> {
        let full: PathBuf = folder.join(file);
        let source = std::fs::read_to_string(&full).map_err(|error| format!("{}: {error}", full.display()))?;
        rego.borrow_mut().push((file.to_owned(), source.clone()));
        Ok(source)
    };
    let display = path.display().to_string();
    let policy = Policy::parse(&text, &display, &resolve)?;
    Ok((policy, text, rego.into_inner()))
}

/// A published policy.
#[derive(Debug, Clone, Serialize)]
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
/// A policy mistake (nothing is written), or a store failure.
pub async fn publish(signoff: &Signoff, path: &Path, actor: Actor) -> Result<PublishedPolicy, AppError> {
    let (policy, text, rego) = parse_file(path)?;
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
        file_name: path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default(),
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

/// The policy certification uses: `--policy FILE` when given, else the latest
/// published policy, else the built-in starter policy.
pub(crate) async fn choose_policy(signoff: &Signoff, file: Option<&Path>) -> Result<ChosenPolicy, AppError> {
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
    if let Some(PublishedPolicy { record, .. }) = published_policies(signoff).await?.pop() {
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
#[derive(Debug, Clone, Serialize)]
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

/// Checks a policy file without publishing it.
///
/// # Errors
/// A policy mistake, as `file:line:column: message`.
pub fn check(path: &Path) -> Result<PolicyCheck, AppError> {
    let (policy, _, _) = parse_file(path)?;
    let effective = policy.for_project("");
    Ok(PolicyCheck {
        name: policy.name().to_owned(),
        digest: policy.digest(),
        criteria: effective.criteria.len() + effective.rego.len(),
        projects: policy.projects().map(str::to_owned).collect(),
        environments: policy.environments().to_vec(),
    })
}
