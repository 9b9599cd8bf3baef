//! The deploy gate (D6), certificate revocation, and replay (D8).
//!
//! The gate's answer is a pure function of the certificates and revocations the
//! store holds (`decide`); [`gate`] only reads them.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
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
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
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

/// What the gate knows of the policy in force for a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InForce {
    /// The policy's name.
    pub(crate) name: String,
    /// Its digest: only certificates issued under it open the gate.
    pub(crate) digest: Digest,
    /// The environments it declares (any, when none).
    pub(crate) environments: Vec<String>,
    /// Whether it separates duties (a blocking `separation_of_duties` criterion
    /// for the environment): the deployer may not have approved or authored it.
    pub(crate) separates_duties: bool,
}

impl InForce {
    /// The policy in force for `project`, as the gate reads it for `environment`.
    pub(crate) async fn of(
        signoff: &Signoff,
        project: &signoff_core::ProjectName,
        environment: Option<&str>,
    ) -> Result<InForce, AppError> {
        let chosen = crate::policy::policy_in_force(signoff, project).await?;
        let effective = chosen.policy.for_project(project.as_str());
        let separates_duties = effective.criteria.iter().any(|criterion| {
            matches!(criterion.check, signoff_policy::Check::SeparationOfDuties)
                && criterion.blocking
                && criterion.scope.environment.as_deref().is_none_or(|scope| Some(scope) == environment)
        });
        Ok(InForce {
            name: chosen.reference.name,
            digest: chosen.reference.digest,
            environments: chosen.policy.environments().to_vec(),
            separates_duties,
        })
    }
}

/// Decides whether an artifact may be deployed (to `environment`).
///
/// # Errors
/// A store failure; "no" is an answer, not an error.
pub async fn gate(signoff: &Signoff, artifact: Digest, environment: Option<&str>) -> Result<GateDecision, AppError> {
    gate_as(signoff, artifact, environment, None).await
}

/// Decides whether `deployer` (when given) may deploy an artifact (to
/// `environment`): as [`gate`], and where the policy in force separates duties,
/// not when the deployer approved the release or authored one of its changes.
///
/// # Errors
/// A store failure; "no" is an answer, not an error.
pub async fn gate_as(
    signoff: &Signoff,
    artifact: Digest,
    environment: Option<&str>,
    deployer: Option<&Actor>,
) -> Result<GateDecision, AppError> {
    let certificates = certificates(signoff, None, None).await?;
    let revocations = signoff.store.records::<RevocationRecord>(&RecordQuery::default()).await?;
    let mut policies: HashMap<String, InForce> = HashMap::new();
    let mut conflicts: HashMap<(String, String), Vec<String>> = HashMap::new();
    for view in certificates.iter().filter(|view| view.record.artifacts.contains(&artifact)) {
        let project = view.record.project.to_string();
        if !policies.contains_key(&project) {
            policies.insert(project.clone(), InForce::of(signoff, &view.record.project, environment).await?);
        }
        let key = (project.clone(), view.record.version.to_string());
        if let Some(deployer) = deployer
            && policies.get(&project).is_some_and(|policy| policy.separates_duties)
            && !conflicts.contains_key(&key)
            && let Some(release) = signoff.store.release(&view.record.project, &view.record.version).await?
        {
            let found = crate::deploy::deployer_conflicts(signoff, &release.record, deployer).await?;
            conflicts.insert(key, found);
        }
    }
    let policy_of = |project: &str| policies.get(project).cloned();
    let conflicts_of = |project: &str, version: &str| {
        conflicts.get(&(project.to_owned(), version.to_owned())).cloned().unwrap_or_default()
    };
    let facts = GateFacts {
        certificates: &certificates,
        revocations: &revocations,
        policy_of: &policy_of,
        conflicts_of: &conflicts_of,
    };
    Ok(decide(artifact, environment, deployer, &facts, &|view| check_envelope(signoff, view, &artifact)))
}

/// What the gate decides from.
pub(crate) struct GateFacts<'a> {
    /// Every certificate.
    pub(crate) certificates: &'a [CertificateView],
    /// Every revocation.
    pub(crate) revocations: &'a [Stored<RevocationRecord>],
    /// The policy in force for a project.
    pub(crate) policy_of: &'a dyn Fn(&str) -> Option<InForce>,
    /// How the deployer took part in a release (project, version).
    pub(crate) conflicts_of: &'a dyn Fn(&str, &str) -> Vec<String>,
}

/// The gate's decision from what the store holds: the latest certificate of each
/// release that ships `artifact` decides for that release; the artifact may go
/// when one of them is unrevoked, was issued under the policy in force for its
/// project (which declares the environment), certifies the environment,
/// verifies (`verify` checks a certificate's signed envelope) and, where that
/// policy separates duties, names no release the deployer took part in.
pub(crate) fn decide(
    artifact: Digest,
    environment: Option<&str>,
    deployer: Option<&Actor>,
    facts: &GateFacts<'_>,
    verify: &dyn Fn(&CertificateView) -> Result<(), String>,
) -> GateDecision {
    let GateFacts { certificates, revocations, policy_of, conflicts_of } = facts;
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
        let Some(policy) = policy_of(project) else {
            reasons.push(format!("{label}: no policy is in force for {project}"));
            continue;
        };
        if let Some(name) = environment
            && !policy.environments.is_empty()
            && !policy.environments.iter().any(|known| known == name)
        {
            reasons.push(format!(
                "environment {name:?} is not declared by policy {} in force for {project} (it declares: {})",
                policy.name,
                policy.environments.join(", ")
            ));
            continue;
        }
        if latest.record.policy.digest != policy.digest {
            reasons.push(format!(
                "{label} was issued under policy {} ({}), not the policy in force for {project}, {} ({}): certify it again",
                latest.record.policy.name, latest.record.policy.digest, policy.name, policy.digest
            ));
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
        if let Some(deployer) = deployer
            && policy.separates_duties
        {
            let conflicts = conflicts_of(project, version);
            if !conflicts.is_empty() {
                reasons.push(format!(
                    "{} may not deploy {project}@{version}: {}; policy {} separates duties",
                    deployer.id,
                    conflicts.join("; "),
                    policy.name
                ));
                continue;
            }
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
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ReplayChange {
    /// Project.
    pub project: String,
    /// Version.
    pub version: String,
    /// The certificate replayed.
    pub certificate_entry: u64,
    /// When it was evaluated.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub evaluated_at: OffsetDateTime,
    /// What changed.
    pub diff: EvaluationDiff,
}

/// The outcome of a replay.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
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

    fn in_force(environments: &[&str]) -> InForce {
        InForce {
            name: "gate".into(),
            digest: Digest::of(b"policy"),
            environments: environments.iter().map(|name| (*name).to_owned()).collect(),
            separates_duties: false,
        }
    }

    /// The gate opens only under the policy in force, for an environment it
    /// declares, and — where it separates duties — not for a deployer who took
    /// part in the release.
    #[test]
    fn the_gate_honours_only_the_policy_in_force() {
        let certified = certificate(3, "shop@1.0", &["app"], Decision::Certified);
        let ask = |policy: InForce, deployer: Option<&Actor>, environment: Option<&str>, conflicts: Vec<String>| {
            let policy_of = |_: &str| Some(policy.clone());
            let conflicts_of = |_: &str, _: &str| conflicts.clone();
            let certificates = [certified.clone()];
            let facts = GateFacts {
                certificates: &certificates,
                revocations: &[],
                policy_of: &policy_of,
                conflicts_of: &conflicts_of,
            };
            decide(artifact("app"), environment, deployer, &facts, &|_| Ok(()))
        };
        let lax = InForce { digest: Digest::of(b"lax.yaml"), ..in_force(&[]) };
        let other = ask(lax, None, None, vec![]);
        assert!(!other.allowed && other.reason.contains("not the policy in force for shop"), "{}", other.reason);
        let moon = ask(in_force(&["staging", "prod"]), None, Some("moon"), vec![]);
        assert!(!moon.allowed && moon.reason.contains("\"moon\" is not declared"), "{}", moon.reason);
        let prod = ask(in_force(&["staging", "prod"]), None, Some("prod"), vec![]);
        assert!(prod.allowed, "{}", prod.reason);
        let carol = Actor { id: "carol".into(), kind: ActorKind::Human, on_behalf_of: None, source: None };
        let strict = InForce { separates_duties: true, ..in_force(&[]) };
        let own = ask(strict.clone(), Some(&carol), None, vec!["approved it as release-manager".into()]);
        assert!(!own.allowed && own.reason.contains("carol may not deploy shop@1.0"), "{}", own.reason);
        assert!(ask(strict, Some(&carol), None, vec![]).allowed);
        let relaxed = ask(in_force(&[]), Some(&carol), None, vec!["approved it as release-manager".into()]);
        assert!(relaxed.allowed, "a policy without separation of duties lets an approver deploy");
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
        let in_force = in_force(&[]);
        let policy_of = |_: &str| Some(in_force.clone());
        let conflicts_of = |_: &str, _: &str| Vec::new();
        for case in cases {
            let verify = |_: &CertificateView| if case.verifies { Ok(()) } else { Err("forged".to_owned()) };
            let facts = GateFacts {
                certificates: &case.certificates,
                revocations: &case.revocations,
                policy_of: &policy_of,
                conflicts_of: &conflicts_of,
            };
            let decision = decide(artifact(case.artifact), case.environment, None, &facts, &verify);
            assert_eq!(decision.allowed, case.allowed, "{}: {}", case.name, decision.reason);
            assert!(decision.reason.contains(case.reason), "{}: {}", case.name, decision.reason);
            assert_eq!(decision.certificate.is_some(), case.allowed, "{}", case.name);
        }
    }
}
