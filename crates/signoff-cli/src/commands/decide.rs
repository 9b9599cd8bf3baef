//! `signoff policy`, `signoff approve` and `signoff exception`.

use std::path::Path;

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use signoff_app::Signoff;
use signoff_app::decide::{Approve, RequestException};
use signoff_app::request::DayEnd;
use signoff_core::ProjectName;
use signoff_core::records::{ApprovalDecision, ExceptionTarget};

use crate::Outcome;
use crate::cli::{ApproveArgs, DecisionArg, ExceptionCommand, PolicyCommand};
use crate::render::{print_json, print_json_line};

pub(crate) async fn policy(store: &Path, command: PolicyCommand) -> anyhow::Result<Outcome> {
    match command {
        PolicyCommand::Init(args) => {
            signoff_app::policy::init(&args.path, args.force)?;
            println!("wrote {} — edit it, then `signoff policy publish {}`", args.path.display(), args.path.display());
        }
        PolicyCommand::Check(args) => {
            let summary = signoff_app::policy::check(&args.path)?;
            if args.json {
                print_json(&summary)?;
            } else {
                println!(
                    "{}: ok — policy {} ({}), {} criteria",
                    args.path.display(),
                    summary.name,
                    summary.digest,
                    summary.criteria
                );
            }
        }
        PolicyCommand::Publish(args) => {
            let signoff = Signoff::open(store).await?;
            let published = signoff_app::policy::publish(&signoff, &args.path, super::actor(&signoff, None)?).await?;
            if args.json {
                print_json(&published)?;
            } else {
                println!(
                    "published policy {} version {} ({}) at ledger entry {}; certify now uses it",
                    published.record.name, published.record.version, published.record.digest, published.entry
                );
            }
        }
    }
    Ok(Outcome::Success)
}

pub(crate) async fn approve(store: &Path, args: ApproveArgs) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let request = Approve {
        release: super::release(&args.release)?,
        decision: match args.decision {
            DecisionArg::Approve => ApprovalDecision::Approve,
            DecisionArg::Reject => ApprovalDecision::Reject,
        },
        role: args.role,
        comment: args.comment,
        actor: super::actor(&signoff, args.actor.as_deref())?,
    };
    let approved = signoff_app::decide::approve(&signoff, request).await?;
    if let Some(warning) = &approved.warning {
        eprintln!("warning: {warning}");
    }
    if args.json {
        print_json(&approved)?;
    } else {
        let verb = match approved.record.decision {
            ApprovalDecision::Approve => "approved",
            ApprovalDecision::Reject => "rejected",
        };
        println!(
            "{} ({}) {verb} {} as {} — content {} — ledger entry {}",
            approved.record.actor.id,
            approved.record.actor.kind,
            args.release,
            approved.record.role,
            approved.record.content,
            approved.entry
        );
    }
    Ok(Outcome::Success)
}

pub(crate) async fn exception(store: &Path, command: ExceptionCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    match command {
        ExceptionCommand::Request(args) => {
            let target = match (&args.finding, &args.criterion) {
                (Some(fingerprint), None) => ExceptionTarget::Finding { fingerprint: fingerprint.parse()? },
                (None, Some(id)) => ExceptionTarget::Criterion { id: id.clone() },
                _ => anyhow::bail!("name exactly one of --finding FINGERPRINT or --criterion ID"),
            };
            let request = RequestException {
                target,
                project: args.project.as_deref().map(ProjectName::new).transpose()?,
                reason: args.reason,
                expires: super::time(&args.expires, DayEnd::End)?,
                actor: super::actor(&signoff, args.actor.as_deref())?,
            };
            let view = signoff_app::decide::request_exception(&signoff, request).await?;
            if args.json {
                print_json(&view)?;
            } else {
                println!(
                    "requested {} until {}; it applies once someone other than {} approves it: signoff exception approve {}",
                    view.record.id,
                    crate::render::time(view.record.expires_at),
                    view.record.requested_by.id,
                    view.record.id
                );
            }
        }
        ExceptionCommand::Approve(args) => {
            let approver = super::actor(&signoff, args.actor.as_deref())?;
            let view = signoff_app::decide::approve_exception(&signoff, &args.id, args.comment, approver).await?;
            if args.json {
                print_json(&view)?;
            } else {
                let approver = view.approved_by.as_ref().map(|actor| actor.id.as_str()).unwrap_or("?");
                println!(
                    "{} approved by {approver}; it applies until {}",
                    view.record.id,
                    crate::render::time(view.record.expires_at)
                );
            }
        }
        ExceptionCommand::List(args) => {
            let views = signoff_app::decide::exceptions(&signoff).await?;
            if args.json {
                for view in &views {
                    print_json_line(view)?;
                }
                return Ok(Outcome::Success);
            }
            if views.is_empty() {
                println!("no exceptions");
                return Ok(Outcome::Success);
            }
            let mut table = Table::new();
            table.load_style(UTF8_FULL_CONDENSED);
            table.set_header(["id", "state", "for", "project", "requested by", "approved by", "expires", "reason"]);
            for view in &views {
                let target = match &view.record.target {
                    ExceptionTarget::Finding { fingerprint } => format!("finding {}", &fingerprint.to_string()[..19]),
                    ExceptionTarget::Criterion { id } => format!("criterion {id}"),
                };
                table.add_row([
                    view.record.id.clone(),
                    view.state.as_str().to_owned(),
                    target,
                    view.record.project.as_ref().map(ToString::to_string).unwrap_or_else(|| "all".into()),
                    view.record.requested_by.id.clone(),
                    view.approved_by.as_ref().map(|actor| actor.id.clone()).unwrap_or_default(),
                    crate::render::time(view.record.expires_at),
                    view.record.reason.chars().take(50).collect(),
                ]);
            }
            println!("{table}");
        }
    }
    Ok(Outcome::Success)
}
