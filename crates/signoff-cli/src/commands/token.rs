//! `signoff token create|list|revoke|rotate`: the server's access tokens.

use std::path::Path;

use signoff_app::Signoff;
use signoff_app::access::{IssuedToken, NewToken, Scope, TokenView, parse_duration};
use signoff_core::ProjectName;
use signoff_core::records::ActorKind;

use crate::Outcome;
use crate::cli::TokenCommand;
use crate::render::{cell, done, json, json_line, note, outln, table, time, warning};

fn scopes(view: &TokenView) -> String {
    view.scopes.iter().map(|scope| scope.as_str()).collect::<Vec<_>>().join(",")
}

fn projects(view: &TokenView) -> String {
    if view.projects.is_empty() {
        "all".to_owned()
    } else {
        view.projects.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
    }
}

fn issued(issued: &IssuedToken, json_out: bool, verb: &str) -> anyhow::Result<()> {
    if json_out || crate::render::jq_set() {
        return json(issued);
    }
    let token = &issued.token;
    done!(
        "{verb} token {} ({}, {}) with scope {} on {}{} — ledger entry {}",
        token.id,
        token.name,
        token.kind,
        scopes(token),
        match token.projects.len() {
            0 => "all projects".to_owned(),
            1 => format!("project {}", projects(token)),
            _ => format!("projects {}", projects(token)),
        },
        token.expires_at.map(|at| format!(", expires {}", time(at))).unwrap_or_default(),
        issued.entry
    )?;
    warning!("the token is shown once, now; keep it as a secret (SIGNOFF_TOKEN)");
    outln!("{}", issued.secret)?;
    Ok(())
}

pub(crate) async fn run(store: &Path, command: TokenCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    match command {
        TokenCommand::Create(args) => {
            let kind = if args.agent {
                ActorKind::AiAgent
            } else {
                args.kind.parse::<ActorKind>().map_err(|error| anyhow::anyhow!("--kind: {error}"))?
            };
            let request = NewToken {
                name: args.name,
                scopes: args.scope.iter().map(|text| text.trim().parse::<Scope>()).collect::<Result<_, _>>()?,
                projects: args.project.iter().map(|text| ProjectName::new(text.trim())).collect::<Result<_, _>>()?,
                kind,
                expires_in: args.expires.as_deref().map(parse_duration).transpose()?,
                actor: super::actor(&signoff, args.actor.as_deref())?,
            };
            if request.expires_in.is_none() && request.scopes == [Scope::Read] {
                note!("a read-only token for an auditor should expire: --expires 14d");
            }
            let token = signoff_app::access::create(&signoff, request).await?;
            issued(&token, args.output.json, "issued")?;
        }
        TokenCommand::List(output) => {
            let tokens = signoff_app::access::list(&signoff).await?;
            if output.json || crate::render::jq_set() {
                for token in &tokens {
                    json_line(token)?;
                }
                return Ok(Outcome::Success);
            }
            let mut rows = table();
            rows.set_header(["id", "name", "kind", "scopes", "projects", "state", "expires", "last used"]);
            for token in &tokens {
                rows.add_row([
                    cell(&token.id),
                    cell(&token.name),
                    cell(token.kind.as_str()),
                    cell(&scopes(token)),
                    cell(&projects(token)),
                    cell(token.state.as_str()),
                    cell(&token.expires_at.map(time).unwrap_or_else(|| "never".into())),
                    cell(&token.last_used_at.map(time).unwrap_or_else(|| "never".into())),
                ]);
            }
            crate::render::print_table(&rows)?;
        }
        TokenCommand::Revoke(args) => {
            let actor = super::actor(&signoff, args.actor.as_deref())?;
            let token = signoff_app::access::revoke(&signoff, &args.id, actor).await?;
            if args.output.json || crate::render::jq_set() {
                json(&token)?;
            } else {
                done!("revoked token {} ({}); it is no longer accepted", token.id, token.name)?;
            }
        }
        TokenCommand::Rotate(args) => {
            let grace = parse_duration(&args.grace)?;
            let actor = super::actor(&signoff, args.actor.as_deref())?;
            let token = signoff_app::access::rotate(&signoff, &args.id, grace, actor).await?;
            issued(&token, args.output.json, "rotated: issued")?;
            note!(
                "token {} stays valid for {}, until {}",
                args.id,
                args.grace,
                time(time::OffsetDateTime::now_utc() + grace)
            );
        }
    }
    Ok(Outcome::Success)
}
