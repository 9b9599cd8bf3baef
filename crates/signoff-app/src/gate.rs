//! The deploy gate (D6), certificates (show, export, revoke) and replay (D8).

use serde::Serialize;
use signoff_core::Digest;
use signoff_core::entry::Event;
use signoff_core::records::RevocationRecord;
use signoff_ledger::{Envelope, Statement};
use signoff_policy::{Evaluation, EvaluationDiff};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::certify::{CertificateView, PREDICATE_TYPE, build_input, certificates};
use crate::decisions::{parse_release, parse_time};
use crate::error::AppError;
use crate::home::{Environment, Signoff};
use crate::policy::parse_file;

/// The gate's answer.
#[derive(Debug, Clone, Serialize)]
pub struct GateDecision {
    /// True only when a valid, unrevoked certificate covers the artifact for the
    /// environment.
    pub allowed: bool,
    /// The artifact asked about.
    pub artifact: Digest,
    /// The environment asked about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Why, in a sentence.
    pub reason: String,
    /// The release and certificate that decided, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateView>,
}

/// Ids of revoked certificates.
async fn revoked(signoff: &Signoff) -> Result<Vec<(String, RevocationRecord)>, AppError> {
    signoff
        .store
        .records_of("certificate_revoked", None, None)
        .await?
        .into_iter()
        .map(|row| {
            serde_json::from_str::<RevocationRecord>(&row.record)
                .map(|record| (record.certificate.clone(), record))
                .map_err(|error| AppError::Invalid(format!("revocation {} is unreadable: {error}", row.seq)))
        })
        .collect()
}

/// Checks a certificate's envelope: signed by this store's key, an in-toto
/// statement of our predicate type naming the artifact.
fn check_envelope(signoff: &Signoff, view: &CertificateView, artifact: &Digest) -> Result<Statement, String> {
    let envelope = Envelope::from_json(view.record.envelope.as_bytes()).map_err(|error| error.to_string())?;
    let statement = Statement::from_envelope(&envelope, &signoff.public_key()).map_err(|error| error.to_string())?;
    if statement.predicate_type() != PREDICATE_TYPE {
        return Err(format!("unexpected predicate type {}", statement.predicate_type()));
    }
    let names_artifact = statement
        .subject()
        .iter()
        .any(|subject| subject.digest.get("sha256").is_some_and(|hex| *hex == artifact.to_hex()));
    if !names_artifact {
        return Err(format!("the signed statement does not name {artifact}"));
    }
    Ok(statement)
}

/// Decides whether an artifact may be deployed (to `environment`).
///
/// # Errors
/// A malformed digest or a store failure; "no" is an answer, not an error.
pub async fn gate(signoff: &Signoff, artifact: &str, environment: Option<&str>) -> Result<GateDecision, AppError> {
    let artifact: Digest =
        artifact.parse().map_err(|error: signoff_core::DigestParseError| AppError::Invalid(error.to_string()))?;
    let environment_owned = environment.map(str::to_owned);
    let deny = |reason: String, certificate: Option<CertificateView>| GateDecision {
        allowed: false,
        artifact,
        environment: environment_owned.clone(),
        reason,
        certificate,
    };
    let all = certificates(signoff, None, None).await?;
    let covering: Vec<&CertificateView> = all.iter().filter(|view| view.record.artifacts.contains(&artifact)).collect();
    if covering.is_empty() {
        return Ok(deny(format!("no certificate covers {artifact}: certify the release that ships it"), None));
    }
    let revocations = revoked(signoff).await?;
    // The latest certificate of each release decides for that release.
    let mut releases: Vec<(String, String)> =
        covering.iter().map(|view| (view.record.project.to_string(), view.record.version.to_string())).collect();
    releases.dedup();
    let mut reasons = Vec::new();
    for (project, version) in releases {
        let Some(latest) = covering
            .iter()
            .filter(|view| view.record.project.as_str() == project && view.record.version.as_str() == version)
            .max_by_key(|view| view.entry)
        else {
            continue;
        };
        let label = format!("{project}@{version} (certificate entry {})", latest.entry);
        if let Some((_, revocation)) = revocations.iter().find(|(id, _)| *id == latest.record.id) {
            reasons.push(format!("{label} was revoked by {}: {}", revocation.actor.id, revocation.reason));
            continue;
        }
        if !latest.record.certifies(environment) {
            let scope = environment.map(|name| format!(" for {name}")).unwrap_or_default();
            reasons.push(format!("{label} was {}{scope}", latest.record.decision));
            continue;
        }
        if let Err(problem) = check_envelope(signoff, latest, &artifact) {
            reasons.push(format!("{label} does not verify: {problem}"));
            continue;
        }
        let scope = environment.map(|name| format!(" for {name}")).unwrap_or_default();
        return Ok(GateDecision {
            allowed: true,
            artifact,
            environment: environment_owned,
            reason: format!(
                "{label} certifies it{scope}, under policy {} ({})",
                latest.record.policy.name, latest.record.policy.digest
            ),
            certificate: Some((*latest).clone()),
        });
    }
    Ok(deny(reasons.join("; "), None))
}

/// The latest certificate of a release.
///
/// # Errors
/// An unknown release or one never certified.
pub async fn certificate_of(signoff: &Signoff, release: &str) -> Result<CertificateView, AppError> {
    let (project, version) = parse_release(release)?;
    certificates(signoff, Some(project.as_str()), Some(version.as_str())).await?.pop().ok_or_else(|| {
        AppError::NotFound(format!(
            "{project}@{version} has no certificate (run `signoff certify --release {project}@{version}`)"
        ))
    })
}

/// Revokes a release's latest certificate.
///
/// # Errors
/// No certificate, or an empty reason.
pub async fn revoke(
    signoff: &Signoff,
    release: &str,
    reason: &str,
    actor: Option<&str>,
    environment: &Environment,
) -> Result<RevocationRecord, AppError> {
    if reason.trim().is_empty() {
        return Err(AppError::Invalid("say why with --reason".into()));
    }
    let certificate = certificate_of(signoff, release).await?;
    let record = RevocationRecord {
        certificate: certificate.record.id.clone(),
        project: certificate.record.project.clone(),
        version: certificate.record.version.clone(),
        reason: reason.trim().to_owned(),
        actor: signoff.current_actor(environment, actor)?,
    };
    let mut batch = signoff.begin_batch().await?;
    batch.append(Event::CertificateRevoked(Box::new(record.clone()))).await?;
    batch.commit(signoff).await?;
    Ok(record)
}

/// A past verdict that would change under another policy.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayChange {
    /// Project.
    pub project: String,
    /// Version.
    pub version: String,
    /// The certificate replayed.
    pub certificate_entry: u64,
    /// When it was evaluated.
    pub evaluated_at: String,
    /// What changed.
    pub diff: EvaluationDiff,
}

/// The outcome of a replay.
#[derive(Debug, Clone, Serialize)]
pub struct Replay {
    /// The policy replayed with.
    pub policy: String,
    /// Its digest.
    pub digest: Digest,
    /// Certificates re-evaluated.
    pub replayed: u64,
    /// Those whose result would change.
    pub changes: Vec<ReplayChange>,
}

/// Re-evaluates past certifications under another policy, each on the evidence and
/// decisions the ledger held when it was certified. Writes nothing.
///
/// # Errors
/// A policy mistake, a bad date, or an unreadable certificate.
pub async fn replay(signoff: &Signoff, policy_file: &std::path::Path, since: Option<&str>) -> Result<Replay, AppError> {
    let (policy, _, _) = parse_file(policy_file)?;
    let since: Option<OffsetDateTime> = since.map(|text| parse_time(text, false)).transpose()?;
    let mut replayed = 0;
    let mut changes = Vec::new();
    for view in certificates(signoff, None, None).await? {
        let evaluated_at = OffsetDateTime::parse(&view.record.evaluated_at, &Rfc3339)
            .map_err(|error| AppError::Invalid(format!("certificate {}: {error}", view.entry)))?;
        if since.is_some_and(|since| evaluated_at < since) {
            continue;
        }
        let Some(release) = signoff.store.release(&view.record.project, &view.record.version).await? else {
            continue;
        };
        let envelope = Envelope::from_json(view.record.envelope.as_bytes())
            .map_err(|error| AppError::Invalid(error.to_string()))?;
        let statement = Statement::from_envelope(&envelope, &signoff.public_key())
            .map_err(|error| AppError::Invalid(format!("certificate {} does not verify: {error}", view.entry)))?;
        let before: Evaluation = serde_json::from_value(statement.predicate()["evaluation"].clone())
            .map_err(|error| AppError::Invalid(format!("certificate {}: {error}", view.entry)))?;
        let input = build_input(
            signoff,
            &release.record,
            &release.created_at,
            &view.record.certifier,
            evaluated_at,
            before.environment.clone(),
            Some(view.entry),
        )
        .await?;
        let after = signoff_policy::evaluate(&policy.for_project(view.record.project.as_str()), &input);
        replayed += 1;
        let diff = signoff_policy::diff(&before, &after);
        if !diff.is_empty() {
            changes.push(ReplayChange {
                project: view.record.project.to_string(),
                version: view.record.version.to_string(),
                certificate_entry: view.entry,
                evaluated_at: view.record.evaluated_at.clone(),
                diff,
            });
        }
    }
    Ok(Replay { policy: policy.name().to_owned(), digest: policy.digest(), replayed, changes })
}
