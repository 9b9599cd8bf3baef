//! `signoff policy`, `signoff approve` and `signoff exception`.

use std::path::Path;

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use signoff_app::{Approve, Environment, RequestException, Signoff};
use signoff_core::records::{ApprovalDecision, ExceptionTarget};

use crate::Outcome;
use crate::cli::{ApproveArgs, DecisionArg, ExceptionCommand, PolicyCommand};
use crate::render::{print_json, print_json_line};

pub(crate) async fn policy(store: &Path, command: PolicyCommand) -> anyhow::Result<Outcome> {
    match command {
        PolicyCommand::Init(args) => {
            signoff_app::policy_init(&args.path, args.force)?;
            println!("wrote {} — edit it, then `signoff policy publish {}`", args.path.display(), args.path.display());
        }
        PolicyCommand::Check(args) => {
            let summary = signoff_app::policy_check(&args.path)?;
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
            let published = signoff_app::policy_publish(&signoff, &args.path, &Environment::from_process()).await?;
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
    let approved = signoff_app::approve(
        &signoff,
        Approve {
            release: args.release.clone(),
            decision: match args.decision {
                DecisionArg::Approve => ApprovalDecision::Approve,
                DecisionArg::Reject => ApprovalDecision::Reject,
            },
            role: args.role,
            comment: args.comment,
            actor: args.actor,
            environment: Environment::from_process(),
        },
    )
    .await?;
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
    let environment = Environment::from_process();
    match command {
        ExceptionCommand::Request(args) => {
            let view = signoff_app::request_exception(
                &signoff,
                RequestException {
                    finding: args.finding,
                    criterion: args.criterion,
                    project: args.project,
                    reason: args.reason,
                    expires: args.expires,
                    actor: args.actor,
                    environment,
                },
            )
            .await?;
            if args.json {
                print_json(&view)?;
            } else {
                println!(
                    "requested {} until {}; it applies once someone other than {} approves it: signoff exception approve {}",
                    view.record.id, view.record.expires_at, view.record.requested_by.id, view.record.id
                );
            }
        }
        ExceptionCommand::Approve(args) => {
            let view =
                signoff_app::approve_exception(&signoff, &args.id, args.comment, args.actor.as_deref(), &environment)
                    .await?;
            if args.json {
                print_json(&view)?;
            } else {
                let approver = view.approved_by.as_ref().map(|actor| actor.id.as_str()).unwrap_or("?");
                println!("{} approved by {approver}; it applies until {}", view.record.id, view.record.expires_at);
            }
        }
        ExceptionCommand::List(args) => {
            let views = signoff_app::exceptions(&signoff).await?;
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
                    view.state.clone(),
                    target,
                    view.record.project.as_ref().map(ToString::to_string).unwrap_or_else(|| "all".into()),
                    view.record.requested_by.id.clone(),
                    view.approved_by.as_ref().map(|actor| actor.id.clone()).unwrap_or_default(),
                    view.record.expires_at.clone(),
                    view.record.reason.chars().take(50).collect(),
                ]);
            }
            println!("{table}");
        }
    }
    Ok(Outcome::Success)
}
