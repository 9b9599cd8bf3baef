//! `signoff audit trace|search|ask` (B2, F1): the auditor's questions.

use std::path::Path;

use signoff_app::Signoff;
use signoff_app::audit::{Answer, Question, ReleaseStatus, Search};
use signoff_core::{EvidenceKind, ProjectName, Severity};
use signoff_report::TraceReport;

use crate::Outcome;
use crate::cli::{AskCommand, AuditCommand, TableFormat, TableOutput, TraceArgs, TraceFormat};
use crate::remote::Remote;
use crate::render::{cell, choose_format, count, json, out, outln, table, warning, write_out};

/// How many rows to ask for: exports (JSON, CSV, a file) are complete unless
/// `--limit` says otherwise; the table on a terminal lists 1000 rows and says
/// how many more there are.
fn table_limit(output: &TableOutput) -> anyhow::Result<Option<u64>> {
    let file = output.output.as_deref();
    let format = choose_format(output.format, output.json, file, TableFormat::Json, TableFormat::Table)?;
    Ok(match (output.limit, format) {
        (Some(limit), _) => Some(limit),
        (None, TableFormat::Table) if !crate::render::jq_set() => Some(1000),
        (None, _) => None,
    })
}

/// Prints an answer as a table, JSON or CSV, to stdout or `-o FILE`.
fn print_answer(answer: &Answer, output: &TableOutput) -> anyhow::Result<()> {
    let file = output.output.as_deref();
    match choose_format(output.format, output.json, file, TableFormat::Json, TableFormat::Table)? {
        TableFormat::Json if file.is_some() => {
            write_out(file, &crate::render::json_text(&crate::schemas::AnswerJson::new(answer))?)?
        }
        TableFormat::Json => json(&crate::schemas::AnswerJson::new(answer))?,
        TableFormat::Csv => write_out(file, &answer.to_csv()?)?,
        TableFormat::Table => {
            if answer.rows.is_empty() {
                outln!("no rows ({}, {:.1} ms)", answer.question, answer.elapsed_ms)?;
                return Ok(());
            }
            let mut rows = table();
            rows.set_header(answer.columns.iter().map(|column| cell(column)));
            for row in &answer.rows {
                rows.add_row(row.iter().map(|text| {
                    if text.chars().count() > 70 {
                        cell(&format!("{}…", text.chars().take(69).collect::<String>()))
                    } else {
                        cell(text)
                    }
                }));
            }
            crate::render::print_table(&rows)?;
            let more = if answer.more > 0 {
                format!(" ({} more not listed; use --limit, or --format csv -o FILE for all of them)", answer.more)
            } else {
                String::new()
            };
            outln!(
                "{}{more}, answered in {:.1} ms",
                count(answer.rows.len() as u64, "row", "rows"),
                answer.elapsed_ms
            )?;
        }
    }
    Ok(())
}

/// Prints a trace as text, JSON or HTML, to stdout or `-o FILE`.
fn print_trace(trace: &TraceReport, args: &TraceArgs) -> anyhow::Result<()> {
    let (format, file) = match &args.html {
        Some(path) => {
            warning!(
                "`signoff audit trace --html FILE` is deprecated: write `--format html -o FILE` (the old spelling goes in the next release)"
            );
            (TraceFormat::Html, Some(path.as_path()))
        }
        None => {
            let file = args.output.as_deref();
            (choose_format(args.format, args.json, file, TraceFormat::Json, TraceFormat::Text)?, file)
        }
    };
    match format {
        TraceFormat::Json if file.is_some() => write_out(file, &crate::render::json_text(trace)?)?,
        TraceFormat::Json => json(trace)?,
        TraceFormat::Html => write_out(file, &signoff_report::render_trace_html(trace)?)?,
        TraceFormat::Text if file.is_some() => write_out(file, &signoff_report::text::trace_text(trace))?,
        TraceFormat::Text => out!("{}", signoff_report::text::trace_text(trace))?,
    }
    Ok(())
}

/// The most rows the server lists in one answer to a search.
const SERVER_ROWS: u64 = 10_000;

/// `signoff audit ...` against a server (a `read` token): the same questions,
/// answered by its routes and printed by the same code as locally.
pub(crate) async fn run_remote(remote: &Remote, command: AuditCommand) -> anyhow::Result<Outcome> {
    let get = reqwest::Method::GET;
    match command {
        AuditCommand::Trace(args) => {
            let release = super::release(&args.release)?;
            let path = format!("{}/trace", super::remote_release_path(&release));
            let trace: TraceReport = remote.call(get, &path, &[], None).await?;
            print_trace(&trace, &args)?;
        }
        AuditCommand::Search(args) => {
            let limit = table_limit(&args.output)?.unwrap_or(SERVER_ROWS).min(SERVER_ROWS);
            let mut query = super::present([
                ("project", args.project),
                ("kind", args.kind),
                ("tool", args.tool),
                ("severity", args.severity),
                ("status", args.status),
                ("approver", args.approver),
                ("environment", args.environment),
                ("from", args.from),
                ("to", args.to),
            ]);
            query.push(("limit", limit.to_string()));
            let answer: Answer = remote.call(get, "/api/v1/audit/search", &query, None).await?;
            if answer.more > 0 && limit == SERVER_ROWS {
                warning!("a server lists at most {SERVER_ROWS} rows of a search; narrow it (--from/--to, --project)");
            }
            print_answer(&answer, &args.output)?;
        }
        AuditCommand::Ask(question) => {
            let (name, query, output) = match question {
                AskCommand::DeployedWithoutCertification(args) => (
                    "deployed-without-certification",
                    [("environment", Some(args.environment)), ("from", args.from), ("to", args.to)],
                    args.output,
                ),
                AskCommand::ScansForPeriod(args) => {
                    ("scans-for-period", [("project", args.project), ("from", args.from), ("to", args.to)], args.output)
                }
                AskCommand::WhoApproved(args) => {
                    let release = super::release(&args.release)?;
                    (
                        "who-approved",
                        [("release", Some(release.to_string())), ("from", None), ("to", None)],
                        args.output,
                    )
                }
                AskCommand::Population(args) => (
                    "population",
                    [("environment", Some(args.environment)), ("from", args.from), ("to", args.to)],
                    args.output,
                ),
            };
            let query = super::present(query);
            let path = format!("/api/v1/audit/questions/{name}");
            let mut answer: Answer = remote.call(get, &path, &query, None).await?;
            // The server answers in full; the table on a terminal lists as many as locally.
            if let Some(limit) = table_limit(&output)?.and_then(|limit| usize::try_from(limit).ok())
                && answer.rows.len() > limit
            {
                answer.more += (answer.rows.len() - limit) as u64;
                answer.rows.truncate(limit);
            }
            print_answer(&answer, &output)?;
        }
    }
    Ok(Outcome::Success)
}

pub(crate) async fn run(store: &Path, command: AuditCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    match command {
        AuditCommand::Trace(args) => {
            let trace = signoff_app::audit::trace(&signoff, &super::release(&args.release)?).await?;
            print_trace(&trace, &args)?;
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
                limit: table_limit(&args.output)?,
            };
            let answer = signoff_app::audit::search(&signoff, &search).await?;
            print_answer(&answer, &args.output)?;
        }
        AuditCommand::Ask(question) => {
            let (question, output) = match question {
                AskCommand::DeployedWithoutCertification(args) => (
                    Question::DeployedWithoutCertification {
                        period: super::period(args.from.as_deref(), args.to.as_deref())?,
                        environment: args.environment,
                    },
                    args.output,
                ),
                AskCommand::ScansForPeriod(args) => (
                    Question::ScansForPeriod {
                        period: super::period(args.from.as_deref(), args.to.as_deref())?,
                        project: args.project.as_deref().map(ProjectName::new).transpose()?,
                    },
                    args.output,
                ),
                AskCommand::WhoApproved(args) => {
                    (Question::WhoApproved { release: super::release(&args.release)? }, args.output)
                }
                AskCommand::Population(args) => (
                    Question::Population {
                        period: super::period(args.from.as_deref(), args.to.as_deref())?,
                        environment: args.environment,
                    },
                    args.output,
                ),
            };
            let answer = signoff_app::audit::ask_limited(&signoff, &question, table_limit(&output)?).await?;
            print_answer(&answer, &output)?;
        }
    }
    Ok(Outcome::Success)
}
