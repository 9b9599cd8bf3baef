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
    let subcomponents_of = |finding: &signoff_core::Finding| match &finding.package {
        Some(package) => vec![generic_purl(package, finding.package_version.as_deref())],
        None => Vec::new(),
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
                product: generic_purl(project.as_str(), None),
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
                product: generic_purl(project.as_str(), None),
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

/// What a purl leaves as it is: letters, digits, `.-_~` and `:`; everything
/// else in a namespace segment, name or version is percent-encoded.
const PURL_COMPONENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'.').remove(b'-').remove(b'_').remove(b'~').remove(b':');

/// A `pkg:generic` package URL for a package as a scanner names it: the last
/// `/`-separated part is the name, those before it the namespace (`@babel/core`,
/// `github.com/gin-gonic/gin`), each part and the version percent-encoded as the
/// purl specification says (`@` in a name is `%40`, `+` in a version `%2B`).
fn generic_purl(package: &str, version: Option<&str>) -> String {
    let encode = |part: &str| percent_encoding::utf8_percent_encode(part, PURL_COMPONENT).to_string();
    let parts: Vec<String> = package.trim_matches('/').split('/').filter(|part| !part.is_empty()).map(encode).collect();
    let mut purl = format!("pkg:generic/{}", parts.join("/"));
    if let Some(version) = version {
        purl.push('@');
        purl.push_str(&encode(version));
    }
    purl
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

#[cfg(test)]
mod tests {
    use super::generic_purl;

    #[test]
    fn package_urls_are_encoded_as_the_reference_implementation_writes_them() {
        // Each expected string is what packageurl-python 0.17.6 writes for the
        // same type, namespace, name and version, and parses back to them.
        let cases = [
            ("@babel/core", Some("7.0.0+build"), "pkg:generic/%40babel/core@7.0.0%2Bbuild"),
            ("github.com/gin-gonic/gin", Some("v1.9.1"), "pkg:generic/github.com/gin-gonic/gin@v1.9.1"),
            ("a b", Some("1:2.3-4"), "pkg:generic/a%20b@1:2.3-4"),
            ("shop", None, "pkg:generic/shop"),
        ];
        for (package, version, expected) in cases {
            assert_eq!(generic_purl(package, version), expected, "{package} {version:?}");
        }
    }
}
