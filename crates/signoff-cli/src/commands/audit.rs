//! `signoff audit trace|search|ask` (B2, F1): the auditor's questions.

use std::path::Path;

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use signoff_app::Signoff;
use signoff_app::audit::{Answer, Question, ReleaseStatus, Search};
use signoff_core::{EvidenceKind, ProjectName, Severity};

use crate::Outcome;
use crate::cli::{AskCommand, AuditCommand, TableFormat};
use crate::render::{print_json, write_out};

fn print_answer(answer: &Answer, format: TableFormat, json: bool) -> anyhow::Result<()> {
    match if json { TableFormat::Json } else { format } {
        TableFormat::Json => print_json(answer)?,
        TableFormat::Csv => print!("{}", answer.to_csv()?),
        TableFormat::Table => {
            if answer.rows.is_empty() {
                println!("no rows ({}, {:.1} ms)", answer.question, answer.elapsed_ms);
                return Ok(());
            }
            let mut table = Table::new();
            table.load_style(UTF8_FULL_CONDENSED);
            table.set_header(answer.columns.clone());
            for row in &answer.rows {
                table.add_row(row.iter().map(|cell| {
                    if cell.len() > 70 {
                        format!("{}…", &cell[..cell.char_indices().nth(69).map_or(cell.len(), |(at, _)| at)])
                    } else {
                        cell.clone()
                    }
                }));
            }
            println!("{table}");
            let more = if answer.more > 0 {
                format!(" (and {} more; narrow the filters or use --format csv)", answer.more)
            } else {
                String::new()
            };
            println!("{} row(s){more}, answered in {:.1} ms", answer.rows.len(), answer.elapsed_ms);
        }
    }
    Ok(())
}

pub(crate) async fn run(store: &Path, command: AuditCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    match command {
        AuditCommand::Trace(args) => {
            let trace = signoff_app::audit::trace(&signoff, &super::release(&args.release)?).await?;
            if args.json {
                print_json(&trace)?;
            } else if let Some(path) = &args.html {
                write_out(Some(path), &signoff_report::render_trace_html(&trace)?)?;
            } else {
                print!("{}", signoff_report::text::trace_text(&trace));
            }
        }
        AuditCommand::Search(args) => {
            let status = match args.status.as_deref() {
                None => None,
                Some("certified") => Some(ReleaseStatus::Certified),
                Some("rejected") => Some(ReleaseStatus::Rejected),
                Some("uncertified") => Some(ReleaseStatus::Uncertified),
                Some(other) => anyhow::bail!("--status {other}: expected certified, rejected or uncertified"),
            };
            let search = Search {
                project: args.project.as_deref().map(ProjectName::new).transpose()?,
                kind: args.kind.as_deref().map(str::parse::<EvidenceKind>).transpose()?,
                tool: args.tool,
                severity: args.severity.as_deref().map(str::parse::<Severity>).transpose()?,
                status,
                approver: args.approver,
                environment: args.environment,
                period: super::period(args.from.as_deref(), args.to.as_deref())?,
                limit: Some(args.limit),
            };
            let answer = signoff_app::audit::search(&signoff, &search).await?;
            print_answer(&answer, args.format, args.json)?;
        }
        AuditCommand::Ask(question) => {
            let (question, format, json) = match question {
                AskCommand::DeployedWithoutCertification(args) => (
                    Question::DeployedWithoutCertification {
                        period: super::period(args.from.as_deref(), args.to.as_deref())?,
                        environment: args.environment,
                    },
                    args.format,
                    args.json,
                ),
                AskCommand::ScansForPeriod(args) => (
                    Question::ScansForPeriod {
                        period: super::period(args.from.as_deref(), args.to.as_deref())?,
                        project: args.project.as_deref().map(ProjectName::new).transpose()?,
                    },
                    args.format,
                    args.json,
                ),
                AskCommand::WhoApproved(args) => {
                    (Question::WhoApproved { release: super::release(&args.release)? }, args.format, args.json)
                }
                AskCommand::Population(args) => (
                    Question::Population {
                        period: super::period(args.from.as_deref(), args.to.as_deref())?,
                        environment: args.environment,
                    },
                    args.format,
                    args.json,
                ),
            };
            let answer = signoff_app::audit::ask(&signoff, &question).await?;
            print_answer(&answer, format, json)?;
        }
    }
    Ok(Outcome::Success)
}
