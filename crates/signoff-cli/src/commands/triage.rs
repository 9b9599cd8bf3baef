//! `signoff triage`, `signoff triage approve` and `signoff triage list`.

use std::path::Path;

use signoff_app::Signoff;
use signoff_app::request::DayEnd;
use signoff_app::triage::{Triage, TriageState, TriageView};
use signoff_core::ProjectName;
use signoff_core::triage::{Disposition, VexJustification};

use crate::Outcome;
use crate::cli::{DispositionArg, JustificationArg, TriageArgs, TriageCommand};
use crate::render::{cell, done, json, json_line, outln, table, time};

pub(crate) async fn run(store: &Path, args: TriageArgs) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    match args.command {
        Some(TriageCommand::Approve(approve)) => {
            let approver = super::actor(&signoff, approve.actor.as_deref())?;
            let view = signoff_app::triage::approve(&signoff, &approve.id, approve.comment, approver).await?;
            if approve.output.json || crate::render::jq_set() {
                json(&view)?;
            } else {
                let approver = view.approved_by.as_ref().map(|actor| actor.id.as_str()).unwrap_or("?");
                done!("{} approved by {approver}: {}", view.record.id, state_text(&view))?;
            }
        }
        Some(TriageCommand::List(list)) => {
            let project = super::known_project(&signoff, list.project.as_deref()).await?;
            let views = signoff_app::triage::decisions(&signoff, project.as_ref()).await?;
            if list.json || crate::render::jq_set() {
                for view in &views {
                    json_line(view)?;
                }
                return Ok(Outcome::Success);
            }
            if views.is_empty() {
                outln!("no triage decisions")?;
                return Ok(Outcome::Success);
            }
            let mut rows = table();
            rows.set_header([
                "id",
                "state",
                "finding",
                "project",
                "as",
                "requested by",
                "approved by",
                "expires",
                "reason",
            ]);
            for view in &views {
                let disposition = match view.record.justification {
                    Some(justification) => format!("{} ({justification})", view.record.disposition),
                    None => view.record.disposition.to_string(),
                };
                rows.add_row([
                    cell(&view.record.id),
                    cell(view.state.as_str()),
                    cell(&short(&view.record.fingerprint.to_string())),
                    cell(view.record.project.as_str()),
                    cell(&disposition),
                    cell(&view.record.requested_by.id),
                    cell(&view.approved_by.as_ref().map(|actor| actor.id.clone()).unwrap_or_default()),
                    cell(&view.record.expires_at.map(time).unwrap_or_default()),
                    cell(&view.record.reason.chars().take(50).collect::<String>()),
                ]);
            }
            crate::render::print_table(&rows)?;
        }
        None => {
            let (Some(finding), Some(disposition), Some(project), Some(reason)) =
                (args.finding, args.disposition, args.project, args.reason)
            else {
                anyhow::bail!("give FINDING, --as, --project and --reason (see `signoff triage --help`)");
            };
            let request = Triage {
                project: ProjectName::new(&project)?,
                finding,
                disposition: match disposition {
                    DispositionArg::FalsePositive => Disposition::FalsePositive,
                    DispositionArg::NotAffected => Disposition::NotAffected,
                    DispositionArg::AcceptedRisk => Disposition::AcceptedRisk,
                },
                justification: args.justification.map(justification),
                reason,
                expires: args.expires.as_deref().map(|text| super::time(text, DayEnd::End)).transpose()?,
                actor: super::actor(&signoff, args.actor.as_deref())?,
            };
            let view = signoff_app::triage::triage(&signoff, request).await?;
            if args.output.json || crate::render::jq_set() {
                json(&view)?;
            } else {
                done!(
                    "{}: finding {} of {} triaged {} — {}",
                    view.record.id,
                    short(&view.record.fingerprint.to_string()),
                    view.record.project,
                    view.record.disposition,
                    state_text(&view)
                )?;
            }
        }
    }
    Ok(Outcome::Success)
}

fn justification(arg: JustificationArg) -> VexJustification {
    match arg {
        JustificationArg::ComponentNotPresent => VexJustification::ComponentNotPresent,
        JustificationArg::VulnerableCodeNotPresent => VexJustification::VulnerableCodeNotPresent,
        JustificationArg::VulnerableCodeNotInExecutePath => VexJustification::VulnerableCodeNotInExecutePath,
        JustificationArg::VulnerableCodeCannotBeControlledByAdversary => {
            VexJustification::VulnerableCodeCannotBeControlledByAdversary
        }
        JustificationArg::InlineMitigationsAlreadyExist => VexJustification::InlineMitigationsAlreadyExist,
    }
}

/// The fingerprint as the findings table shows it: 12 hex digits.
pub(crate) fn short(fingerprint: &str) -> String {
    fingerprint.trim_start_matches("sha256:").chars().take(12).collect()
}

fn state_text(view: &TriageView) -> String {
    let until = view.record.expires_at.map(|at| format!(" until {}", time(at))).unwrap_or_default();
    match view.state {
        TriageState::InEffect => format!("in effect{until}; later scans of the same finding carry it"),
        TriageState::Pending => format!(
            "it applies once someone other than {} approves it: signoff triage approve {}",
            view.record.requested_by.id, view.record.id
        ),
        TriageState::Expired => "expired".to_owned(),
        TriageState::Superseded => "superseded by a later decision for the same finding".to_owned(),
    }
}
