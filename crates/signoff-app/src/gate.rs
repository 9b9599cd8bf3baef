//! The deploy gate (D6), certificate revocation, and replay (D8).
//!
//! The gate's answer is a pure function of the certificates and revocations the
//! store holds (`decide`); [`gate`] only reads them.

use serde::Serialize;
use signoff_core::entry::Event;
use signoff_core::records::{Actor, RevocationRecord};
use signoff_core::{Digest, ReleaseRef};
use signoff_policy::EvaluationDiff;
use signoff_store::{RecordQuery, Stored};
use time::OffsetDateTime;

use crate::certify::{
    CertificateView, Facts, Occasion, certificate_of, certificates, gather, open_certificate, policy_input,
};
use crate::error::AppError;
use crate::home::Signoff;
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

/// Decides whether an artifact may be deployed (to `environment`).
///
/// # Errors
/// A store failure; "no" is an answer, not an error.
pub async fn gate(signoff: &Signoff, artifact: Digest, environment: Option<&str>) -> Result<GateDecision, AppError> {
    let certificates = certificates(signoff, None, None).await?;
    let revocations = signoff.store.records::<RevocationRecord>(&RecordQuery::default()).await?;
    Ok(decide(artifact, environment, &certificates, &revocations, &|view| check_envelope(signoff, view, &artifact)))
}

/// The gate's decision from what the store holds: the latest certificate of each
/// release that ships `artifact` decides for that release; the artifact may go
/// when one of them is unrevoked, certifies the environment and verifies
/// (`verify` checks a certificate's signed envelope).
pub(crate) fn decide(
    artifact: Digest,
    environment: Option<&str>,
    certificates: &[CertificateView],
    revocations: &[Stored<RevocationRecord>],
    verify: &dyn Fn(&CertificateView) -> Result<(), String>,
) -> GateDecision {
    let deny = |reason: String| GateDecision {
        allowed: false,
        artifact,
        environment: environment.map(str::to_owned),
        reason,
        certificate: None,
    };
    let covering: Vec<&CertificateView> =
        certificates.iter().filter(|view| view.record.artifacts.contains(&artifact)).collect();
    if covering.is_empty() {
        return deny(format!("no certificate covers {artifact}: certify the release that ships it"));
    }
    let mut releases: Vec<(&str, &str)> =
        covering.iter().map(|view| (view.record.project.as_str(), view.record.version.as_str())).collect();
    releases.dedup();
    let scope = environment.map(|name| format!(" for {name}")).unwrap_or_default();
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
        if let Some(revocation) =
            revocations.iter().find(|revocation| revocation.record.certificate == latest.record.id)
        {
            reasons
                .push(format!("{label} was revoked by {}: {}", revocation.record.actor.id, revocation.record.reason));
            continue;
        }
        if !latest.record.certifies(environment) {
            let decision =
                environment.and_then(|name| latest.record.environments.get(name)).unwrap_or(&latest.record.decision);
            reasons.push(format!("{label} was {decision}{scope}"));
            continue;
        }
        if let Err(problem) = verify(latest) {
            reasons.push(format!("{label} does not verify: {problem}"));
            continue;
        }
        return GateDecision {
            allowed: true,
            artifact,
            environment: environment.map(str::to_owned),
            reason: format!(
                "{label} certifies it{scope}, under policy {} ({})",
                latest.record.policy.name, latest.record.policy.digest
            ),
            certificate: Some((*latest).clone()),
        };
    }
    deny(reasons.join("; "))
}

/// Checks a certificate's envelope: signed by this store's key, an in-toto
/// statement of our predicate type naming the artifact.
fn check_envelope(signoff: &Signoff, view: &CertificateView, artifact: &Digest) -> Result<(), String> {
    let (statement, _) = open_certificate(signoff, view).map_err(|error| {
        let mut text = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            text = format!("{text}: {cause}");
            source = cause.source();
        }
        text
    })?;
    let names_artifact = statement
        .subject()
        .iter()
        .any(|subject| subject.digest.get("sha256").is_some_and(|hex| *hex == artifact.to_hex()));
    if names_artifact { Ok(()) } else { Err(format!("the signed statement does not name {artifact}")) }
}

/// Revokes a release's latest certificate.
///
/// # Errors
/// No certificate, or an empty reason.
pub async fn revoke(
    signoff: &Signoff,
    release: &ReleaseRef,
    reason: &str,
    actor: Actor,
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
        actor,
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
    #[serde(with = "time::serde::rfc3339")]
    pub evaluated_at: OffsetDateTime,
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
/// A policy mistake, or a certificate that does not verify.
pub async fn replay(
    signoff: &Signoff,
    policy_file: &std::path::Path,
    since: Option<OffsetDateTime>,
) -> Result<Replay, AppError> {
    let (policy, _, _) = parse_file(policy_file)?;
    let mut replayed = 0;
    let mut changes = Vec::new();
    for view in certificates(signoff, None, None).await? {
        if since.is_some_and(|since| view.record.evaluated_at < since) {
            continue;
        }
        let Some(release) = signoff.store.release(&view.record.project, &view.record.version).await? else {
            continue;
        };
        let (_, before) = open_certificate(signoff, &view)?;
        let facts: Facts = gather(signoff, &release.record, Some(view.entry)).await?;
        let occasion = Occasion {
            actor: &view.record.certifier,
            at: view.record.evaluated_at,
            environment: before.environment.clone(),
        };
        let input = policy_input(&release, &facts, &occasion, &|login| signoff.kind_of_login(login));
        let after = signoff_policy::evaluate(&policy.for_project(view.record.project.as_str()), &input);
        replayed += 1;
        let diff = signoff_policy::diff(&before, &after);
        if !diff.is_empty() {
            changes.push(ReplayChange {
                project: view.record.project.to_string(),
                version: view.record.version.to_string(),
                certificate_entry: view.entry,
                evaluated_at: view.record.evaluated_at,
                diff,
            });
        }
    }
    Ok(Replay { policy: policy.name().to_owned(), digest: policy.digest(), replayed, changes })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use signoff_core::records::{ActorKind, CertificateRecord, Decision, PolicyReference, PolicySource};
    use signoff_core::{ProjectName, ReleaseVersion};
    use time::macros::datetime;

    use super::*;

    fn artifact(name: &str) -> Digest {
        Digest::of(name.as_bytes())
    }

    fn certificate(entry: u64, release: &str, artifacts: &[&str], decision: Decision) -> CertificateView {
        let release: ReleaseRef = release.parse().unwrap();
        CertificateView {
            entry,
            record: CertificateRecord {
                id: format!("cert-{entry}"),
                project: release.project,
                version: release.version,
                commit: "a".repeat(40),
                artifacts: artifacts.iter().map(|name| artifact(name)).collect(),
                decision,
                environments: BTreeMap::new(),
                policy: PolicyReference {
                    name: "gate".into(),
                    version: Some(1),
                    digest: Digest::of(b"policy"),
                    source: PolicySource::Published,
                },
                envelope: String::new(),
                statement_digest: Digest::of(b"statement"),
                evaluated_at: datetime!(2026-11-01 12:00:00 UTC),
                certifier: Actor { id: "ci".into(), kind: ActorKind::Bot, on_behalf_of: None, source: None },
            },
        }
    }

    fn revocation(certificate: &str) -> Stored<RevocationRecord> {
        Stored {
            seq: 99,
            at: datetime!(2026-11-02 12:00:00 UTC),
            record: RevocationRecord {
                certificate: certificate.into(),
                project: ProjectName::new("shop").unwrap(),
                version: ReleaseVersion::new("1.0").unwrap(),
                reason: "key rotation drill".into(),
                actor: Actor { id: "sec".into(), kind: ActorKind::Human, on_behalf_of: None, source: None },
            },
        }
    }

    fn with_environment(mut view: CertificateView, name: &str, decision: Decision) -> CertificateView {
        view.record.environments.insert(name.into(), decision);
        view
    }

    /// One question to the gate and the answer expected.
    struct Case<'a> {
        name: &'a str,
        certificates: Vec<CertificateView>,
        revocations: Vec<Stored<RevocationRecord>>,
        artifact: &'a str,
        environment: Option<&'a str>,
        verifies: bool,
        allowed: bool,
        reason: &'a str,
    }

    #[test]
    fn the_gate_opens_only_for_a_latest_unrevoked_verified_certificate() {
        let certified = certificate(3, "shop@1.0", &["app"], Decision::Certified);
        let rejected_later = certificate(5, "shop@1.0", &["app"], Decision::Rejected);
        let other_release = certificate(7, "shop@1.1", &["app", "lib"], Decision::Certified);
        let prod_only =
            with_environment(certificate(9, "web@2.0", &["web"], Decision::Certified), "prod", Decision::Rejected);
        let case = |name, certificates: &[&CertificateView], artifact, environment, allowed, reason| Case {
            name,
            certificates: certificates.iter().map(|view| (*view).clone()).collect(),
            revocations: Vec::new(),
            artifact,
            environment,
            verifies: true,
            allowed,
            reason,
        };
        let cases = [
            case("nothing certifies it", &[], "app", None, false, "no certificate covers"),
            case("certified", &[&certified], "app", None, true, "shop@1.0 (certificate entry 3) certifies it"),
            case("a later rejection decides", &[&certified, &rejected_later], "app", None, false, "was rejected"),
            Case {
                revocations: vec![revocation("cert-3")],
                ..case("revoked", &[&certified], "app", None, false, "was revoked by sec: key rotation drill")
            },
            case(
                "another release ships it certified",
                &[&rejected_later, &other_release],
                "app",
                None,
                true,
                "shop@1.1",
            ),
            Case {
                verifies: false,
                ..case("an envelope that does not verify", &[&certified], "app", None, false, "does not verify: forged")
            },
            case("rejected for prod", &[&prod_only], "web", Some("prod"), false, "was rejected for prod"),
            case("certified for another environment", &[&prod_only], "web", Some("staging"), true, "for staging"),
        ];
        for case in cases {
            let verify = |_: &CertificateView| if case.verifies { Ok(()) } else { Err("forged".to_owned()) };
            let decision =
                decide(artifact(case.artifact), case.environment, &case.certificates, &case.revocations, &verify);
            assert_eq!(decision.allowed, case.allowed, "{}: {}", case.name, decision.reason);
            assert!(decision.reason.contains(case.reason), "{}: {}", case.name, decision.reason);
            assert_eq!(decision.certificate.is_some(), case.allowed, "{}", case.name);
        }
    }
}
