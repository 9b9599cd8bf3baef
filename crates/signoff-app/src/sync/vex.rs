//! The VEX export (G2, D3): a project's finding dispositions — its triage
//! decisions in effect and its approved exceptions for findings — as OpenVEX 0.2 or
//! CycloneDX 1.6 VEX, through `signoff_grc::vex`.

use std::collections::HashMap;

use serde::Serialize;
use signoff_grc::http::error_chain;

use super::rfc3339;
use crate::error::AppError;
use crate::home::Signoff;

/// A VEX document and what went into it.
#[derive(Debug, Clone, Serialize)]
pub struct VexExport {
    /// The document.
    #[serde(skip)]
    pub document: serde_json::Value,
    /// The dispositions it states.
    pub dispositions: Vec<signoff_grc::vex::Disposition>,
}

/// VEX formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VexFormat {
    /// OpenVEX 0.2.
    OpenVex,
    /// CycloneDX 1.6.
    CycloneDx,
}

/// A project's finding dispositions as VEX. signoff's dispositions are its triage
/// decisions in effect (D3: a false positive, not affected with its OpenVEX
/// justification, an accepted risk with its reason and expiry as the action
/// statement) and its approved exceptions for findings without one (each an
/// accepted risk), stated for every vulnerability id (CVE, GHSA, ...) the finding
/// names, in product `pkg:generic/<project>`, the finding's package as the
/// subcomponent. Findings without a vulnerability id (a SAST rule) have no VEX form
/// and are left out.
///
/// # Errors
/// A project with no such disposition, a store failure.
pub async fn vex(
    signoff: &Signoff,
    project: &signoff_core::ProjectName,
    format: VexFormat,
) -> Result<VexExport, AppError> {
    use signoff_core::records::ExceptionTarget;
    use signoff_grc::vex::{Disposition, DispositionStatus};

    let exceptions = crate::decide::exceptions(signoff).await?;
    let history = signoff.store.finding_history(project).await?;
    let mut by_fingerprint: HashMap<signoff_core::Digest, &signoff_core::Finding> = HashMap::new();
    for row in &history {
        by_fingerprint.insert(row.finding.fingerprint, &row.finding);
    }
    let subcomponents_of = |finding: &signoff_core::Finding| match (&finding.package, &finding.package_version) {
        (Some(package), Some(version)) => vec![format!("pkg:generic/{package}@{version}")],
        (Some(package), None) => vec![format!("pkg:generic/{package}")],
        _ => Vec::new(),
    };
    let mut dispositions = Vec::new();
    let mut triaged = std::collections::HashSet::new();
    let mut decisions: Vec<crate::triage::TriageView> =
        crate::triage::latest(signoff, project, None).await?.into_values().collect();
    decisions.sort_by_key(|view| view.entry);
    for view in decisions {
        if view.state != crate::triage::TriageState::InEffect {
            continue;
        }
        let Some(finding) = by_fingerprint.get(&view.record.fingerprint) else { continue };
        triaged.insert(view.record.fingerprint);
        let (status, justification, action) = match view.record.disposition {
            signoff_core::triage::Disposition::FalsePositive => (DispositionStatus::FalsePositive, None, None),
            signoff_core::triage::Disposition::NotAffected => {
                (DispositionStatus::NotAffected, view.record.justification.map(vex_justification), None)
            }
            signoff_core::triage::Disposition::AcceptedRisk => (
                DispositionStatus::AcceptedRisk,
                None,
                Some(match view.record.expires_at {
                    Some(expires) => format!("{} (accepted until {})", view.record.reason, rfc3339(expires)),
                    None => view.record.reason.clone(),
                }),
            ),
        };
        for vulnerability in &finding.cve {
            dispositions.push(Disposition {
                vulnerability: vulnerability.clone(),
                aliases: Vec::new(),
                product: format!("pkg:generic/{project}"),
                subcomponents: subcomponents_of(finding),
                status,
                justification,
                detail: Some(format!(
                    "{}: {} (triage {})",
                    view.record.disposition, view.record.reason, view.record.id
                )),
                action: action.clone(),
                decided_at: rfc3339(view.approved_at.unwrap_or(view.recorded_at)),
            });
        }
    }
    for view in exceptions {
        if view.state != crate::decide::ExceptionState::Approved || !view.covers(project) {
            continue;
        }
        let ExceptionTarget::Finding { fingerprint } = &view.record.target else { continue };
        if triaged.contains(fingerprint) {
            continue;
        }
        let Some(finding) = by_fingerprint.get(fingerprint) else { continue };
        let Some(approved_at) = view.approved_at else { continue };
        let subcomponents = subcomponents_of(finding);
        for vulnerability in &finding.cve {
            dispositions.push(Disposition {
                vulnerability: vulnerability.clone(),
                aliases: Vec::new(),
                product: format!("pkg:generic/{project}"),
                subcomponents: subcomponents.clone(),
                status: DispositionStatus::AcceptedRisk,
                justification: None,
                detail: Some(format!("exception {} approved", view.record.id)),
                action: Some(format!("{} (accepted until {})", view.record.reason, rfc3339(view.record.expires_at))),
                decided_at: rfc3339(approved_at),
            });
        }
    }
    if dispositions.is_empty() {
        return Err(AppError::Invalid(format!(
            "{project} has no finding dispositions to state as VEX: none of its triage decisions in effect or approved exceptions is for a finding with a vulnerability id (CVE, GHSA)"
        )));
    }
    let author = format!("signoff ({})", signoff.origin());
    let document = match format {
        VexFormat::OpenVex => signoff_grc::vex::export_openvex(&dispositions, &author),
        VexFormat::CycloneDx => signoff_grc::vex::export_cyclonedx(&dispositions, &author),
    }
    .map_err(|error| AppError::Invalid(error_chain(&error)))?;
    Ok(VexExport { document, dispositions })
}

/// signoff-core's name of an OpenVEX justification as signoff-grc's.
fn vex_justification(justification: signoff_core::triage::VexJustification) -> signoff_grc::vex::Justification {
    use signoff_core::triage::VexJustification as Core;
    use signoff_grc::vex::Justification;
    match justification {
        Core::ComponentNotPresent => Justification::ComponentNotPresent,
        Core::VulnerableCodeNotPresent => Justification::VulnerableCodeNotPresent,
        Core::VulnerableCodeNotInExecutePath => Justification::VulnerableCodeNotInExecutePath,
        Core::VulnerableCodeCannotBeControlledByAdversary => Justification::VulnerableCodeCannotBeControlledByAdversary,
        Core::InlineMitigationsAlreadyExist => Justification::InlineMitigationsAlreadyExist,
    }
}
