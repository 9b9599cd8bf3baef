//! `signoff audit trace|search|ask` (B2, F1): the auditor's questions.

use std::path::Path;

use signoff_app::audit::{Answer, Question, ReleaseStatus, Search};
use signoff_app::{AppError, Signoff};
use signoff_core::{EvidenceKind, Severity};
use signoff_report::TraceReport;

use crate::Outcome;
use crate::cli::{AskCommand, AuditCommand, TableFormat, TableOutput, TraceArgs, TraceFormat};
use crate::remote::Remote;
use crate::render::{cell, choose_format, count, json, json_line, out, outln, table, warning, write_out};

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

/// The answers that can be large, printed as JSON lines (one object per row)
/// unless `--document` asks for one document.
#[derive(Debug, Clone, Copy)]
enum Rows {
    /// `audit search`.
    Search,
    /// `audit ask scans-for-period`.
    Scans,
}

impl Rows {
    /// Prints one row as a JSON line.
    fn print(self, row: Vec<String>) -> anyhow::Result<()> {
        match self {
            Rows::Search => json_line(&crate::schemas::SearchLine::new(row)?),
            Rows::Scans => json_line(&crate::schemas::ScanLine::new(row)?),
        }
    }
}

/// Whether the answer is printed as JSON lines: JSON to standard output, without
/// `--document` (a file named by `-o` holds one document).
fn as_lines(output: &TableOutput, document: bool) -> anyhow::Result<bool> {
    let file = output.output.as_deref().filter(|path| path.as_os_str() != "-");
    let format = choose_format(output.format, output.json, file, TableFormat::Json, TableFormat::Table)?;
    Ok(format == TableFormat::Json && file.is_none() && !document)
}

/// Streams an answer's rows as JSON lines, as `stream` reads them, listing at most
/// `limit` (`stream` is asked for one more, to know whether more exist).
async fn print_lines<F>(rows: Rows, limit: Option<u64>, stream: F) -> anyhow::Result<()>
where
    F: AsyncFnOnce(Option<u64>, &mut (dyn FnMut(Vec<String>) -> Result<(), AppError> + Send)) -> Result<(), AppError>,
{
    let mut listed = 0_u64;
    let mut more = false;
    stream(limit.map(|limit| limit.saturating_add(1)), &mut |row| {
        if limit.is_some_and(|limit| listed >= limit) {
            more = true;
            return Ok(());
        }
        listed += 1;
        rows.print(row).map_err(super::printing_error)
    })
    .await?;
    if more {
        warning!("more rows match than --limit {}; drop --limit for all of them", limit.unwrap_or_default());
    }
    Ok(())
}

/// Prints an answer as a table, JSON or CSV, to stdout or `-o FILE`; as JSON
/// lines for `lines`.
fn print_answer(answer: &Answer, output: &TableOutput, lines: Option<Rows>) -> anyhow::Result<()> {
    let file = output.output.as_deref();
    if let Some(rows) = lines {
        for row in &answer.rows {
            rows.print(row.clone())?;
        }
        if answer.more > 0 && output.limit.is_some() {
            warning!("{} more rows not listed; drop --limit for all of them", answer.more);
        }
        return Ok(());
    }
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
            let lines = as_lines(&args.output, args.document)?.then_some(Rows::Search);
            print_answer(&answer, &args.output, lines)?;
        }
        AuditCommand::Ask(question) => {
            let mut lines = None;
            let (name, query, output) = match question {
                AskCommand::DeployedWithoutCertification(args) => (
                    "deployed-without-certification",
                    [("environment", Some(args.environment)), ("from", args.from), ("to", args.to)],
                    args.output,
                ),
                AskCommand::ScansForPeriod(args) => {
                    lines = as_lines(&args.output, args.document)?.then_some(Rows::Scans);
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
            print_answer(&answer, &output, lines)?;
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
                project: super::known_project(&signoff, args.project.as_deref()).await?,
                kind: args.kind.as_deref().map(str::parse::<EvidenceKind>).transpose()?,
                tool: args.tool,
                severity: args.severity.as_deref().map(str::parse::<Severity>).transpose()?,
                status,
                approver: args.approver,
                environment: args.environment,
                period: super::period(args.from.as_deref(), args.to.as_deref())?,
                limit: table_limit(&args.output)?,
            };
            if as_lines(&args.output, args.document)? {
                // A line per piece of evidence as it is read: bounded memory however many match.
                print_lines(Rows::Search, search.limit, async |limit, take| {
                    signoff_app::audit::search_each(&signoff, &Search { limit, ..search.clone() }, take).await
                })
                .await?;
                return Ok(Outcome::Success);
            }
            let answer = signoff_app::audit::search(&signoff, &search).await?;
            print_answer(&answer, &args.output, None)?;
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
                AskCommand::ScansForPeriod(args) => {
                    let period = super::period(args.from.as_deref(), args.to.as_deref())?;
                    let project = super::known_project(&signoff, args.project.as_deref()).await?;
                    if as_lines(&args.output, args.document)? {
                        // A line per scan as it is read: bounded memory however many there are.
                        print_lines(Rows::Scans, args.output.limit, async |limit, take| {
                            signoff_app::audit::scans_for_period_each(&signoff, &period, project.as_ref(), limit, take)
                                .await
                        })
                        .await?;
                        return Ok(Outcome::Success);
                    }
                    (Question::ScansForPeriod { period, project }, args.output)
                }
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
            print_answer(&answer, &output, None)?;
        }
    }
    Ok(Outcome::Success)
}
