//! `signoff policy`, `signoff approve` and `signoff exception`.

use std::path::Path;

use signoff_app::Signoff;
use signoff_app::decide::{Approve, Approved, RequestException};
use signoff_app::request::DayEnd;
use signoff_core::ReleaseRef;
use signoff_core::records::{ApprovalDecision, ExceptionTarget};

use crate::Outcome;
use crate::cli::{ApproveArgs, DecisionArg, ExceptionCommand, PolicyCommand};
use crate::remote::Remote;
use crate::render::{cell, done, json, json_line, out, outln, table, time, warning};

/// The policy at `path`; `-` reads it from standard input (its Rego files are
/// then read from the current folder).
fn policy_file(path: &Path) -> anyhow::Result<signoff_app::policy::PolicyFile> {
    if path.as_os_str() == "-" {
        let (text, _) = crate::render::read_input_text(path)?;
        return Ok(signoff_app::policy::PolicyFile::piped(text));
    }
    Ok(signoff_app::policy::PolicyFile::read(path)?)
}

pub(crate) async fn policy(store: &Path, command: PolicyCommand) -> anyhow::Result<Outcome> {
    match command {
        PolicyCommand::Init(args) => {
            if args.path.as_os_str() == "-" {
                out!("{}", signoff_app::policy::STARTER_POLICY)?;
                return Ok(Outcome::Success);
            }
            signoff_app::policy::init(&args.path, args.force)?;
            done!("wrote {} — edit it, then `signoff policy publish {}`", args.path.display(), args.path.display())?;
        }
        PolicyCommand::Check(args) => {
            let file = policy_file(&args.path)?;
            let summary = signoff_app::policy::check(&file)?;
            if args.output.json || crate::render::jq_set() {
                json(&summary)?;
            } else {
                outln!(
                    "{}: ok — policy {} ({}), {}",
                    file.display,
                    summary.name,
                    summary.digest,
                    crate::render::count(summary.criteria as u64, "criterion", "criteria")
                )?;
            }
        }
        PolicyCommand::Publish(args) => {
            let file = policy_file(&args.path)?;
            let signoff = Signoff::open(store).await?;
            let published = signoff_app::policy::publish(&signoff, &file, super::actor(&signoff, None)?).await?;
            if args.output.json || crate::render::jq_set() {
                json(&published)?;
            } else {
                done!(
                    "published policy {} version {} ({}) at ledger entry {}; certify now uses it",
                    published.record.name,
                    published.record.version,
                    published.record.digest,
                    published.entry
                )?;
            }
        }
        PolicyCommand::Pin(args) => {
            let signoff = Signoff::open(store).await?;
            let request = signoff_app::policy::Pin {
                project: super::known(&signoff, &args.project).await?,
                policy: args.policy.clone().zip(args.policy_version),
                reason: args.reason.clone(),
                actor: super::actor(&signoff, args.actor.as_deref())?,
            };
            let pinned = signoff_app::policy::pin(&signoff, request).await?;
            if args.output.json || crate::render::jq_set() {
                json(&pinned)?;
            } else {
                match &pinned.record.policy {
                    Some(policy) => done!(
                        "pinned {} to policy {} version {} ({}) at ledger entry {}; certify it again under that policy",
                        pinned.record.project,
                        policy.name,
                        policy.version.unwrap_or_default(),
                        policy.digest,
                        pinned.entry
                    )?,
                    None => done!(
                        "unpinned {} at ledger entry {}: the latest published policy is in force for it",
                        pinned.record.project,
                        pinned.entry
                    )?,
                }
            }
        }
    }
    Ok(Outcome::Success)
}

pub(crate) async fn approve(store: &Path, args: ApproveArgs) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let release = super::subject(args.release.as_deref(), args.legacy_release.as_deref(), "approve")?;
    let request = Approve {
        release: release.clone(),
        decision: match args.decision {
            DecisionArg::Approve => ApprovalDecision::Approve,
            DecisionArg::Reject => ApprovalDecision::Reject,
        },
        role: args.role,
        comment: args.comment,
        actor: super::actor(&signoff, args.actor.as_deref())?,
    };
    let approved = signoff_app::decide::approve(&signoff, request).await?;
    print_approval(&approved, &release, args.output.json)
}

/// `signoff approve` against a server, as the token's identity.
pub(crate) async fn approve_remote(remote: &Remote, args: ApproveArgs) -> anyhow::Result<Outcome> {
    super::no_actor(args.actor.as_deref())?;
    let release = super::subject(args.release.as_deref(), args.legacy_release.as_deref(), "approve")?;
    let body = serde_json::json!({
        "decision": match args.decision { DecisionArg::Approve => "approve", DecisionArg::Reject => "reject" },
        "role": args.role,
        "comment": args.comment,
    });
    let path = format!("{}/approvals", super::remote_release_path(&release));
    let approved: Approved = remote.call(reqwest::Method::POST, &path, &[], Some(&body)).await?;
    print_approval(&approved, &release, args.output.json)
}

fn print_approval(approved: &Approved, release: &ReleaseRef, as_json: bool) -> anyhow::Result<Outcome> {
    if let Some(text) = &approved.warning {
        warning!("{text}");
    }
    if as_json || crate::render::jq_set() {
        json(approved)?;
    } else {
        let verb = match approved.record.decision {
            ApprovalDecision::Approve => "approved",
            ApprovalDecision::Reject => "rejected",
        };
        done!(
            "{} ({}) {verb} {release} as {} — content {} — ledger entry {}",
            approved.record.actor.id,
            approved.record.actor.kind,
            approved.record.role,
            approved.record.content,
            approved.entry
        )?;
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
                project: super::known_project(&signoff, args.project.as_deref()).await?,
                reason: args.reason,
                expires: super::time(&args.expires, DayEnd::End)?,
                actor: super::actor(&signoff, args.actor.as_deref())?,
            };
            let view = signoff_app::decide::request_exception(&signoff, request).await?;
            if args.output.json || crate::render::jq_set() {
                json(&view)?;
            } else {
                done!(
                    "requested {} until {}; it applies once someone other than {} approves it: signoff exception approve {}",
                    view.record.id,
                    time(view.record.expires_at),
                    view.record.requested_by.id,
                    view.record.id
                )?;
            }
        }
        ExceptionCommand::Approve(args) => {
            let approver = super::actor(&signoff, args.actor.as_deref())?;
            let view = signoff_app::decide::approve_exception(&signoff, &args.id, args.comment, approver).await?;
            if args.output.json || crate::render::jq_set() {
                json(&view)?;
            } else {
                let approver = view.approved_by.as_ref().map(|actor| actor.id.as_str()).unwrap_or("?");
                done!("{} approved by {approver}; it applies until {}", view.record.id, time(view.record.expires_at))?;
            }
        }
        ExceptionCommand::List(args) => {
            let views = signoff_app::decide::exceptions(&signoff).await?;
            if args.json || crate::render::jq_set() {
                for view in &views {
                    json_line(view)?;
                }
                return Ok(Outcome::Success);
            }
            if views.is_empty() {
                outln!("no exceptions")?;
                return Ok(Outcome::Success);
            }
            let mut rows = table();
            rows.set_header(["id", "state", "for", "project", "requested by", "approved by", "expires", "reason"]);
            for view in &views {
                let target = match &view.record.target {
                    ExceptionTarget::Finding { fingerprint } => format!("finding {}", &fingerprint.to_string()[..19]),
                    ExceptionTarget::Criterion { id } => format!("criterion {id}"),
                };
                rows.add_row([
                    cell(&view.record.id),
                    cell(view.state.as_str()),
                    cell(&target),
                    cell(&view.record.project.as_ref().map(ToString::to_string).unwrap_or_else(|| "all".into())),
                    cell(&view.record.requested_by.id),
                    cell(&view.approved_by.as_ref().map(|actor| actor.id.clone()).unwrap_or_default()),
                    cell(&time(view.record.expires_at)),
                    cell(&view.record.reason.chars().take(50).collect::<String>()),
                ]);
            }
            crate::render::print_table(&rows)?;
        }
    }
    Ok(Outcome::Success)
}
