//! `signoff pbc import|answer|list|status|show`: the auditor's request list (F4),
//! on a local store or against a server (`/api/v1/pbc`), printed alike.

use std::path::Path;

use signoff_app::Signoff;
use signoff_app::pbc::{AnswerWith, Filter, ImportReport, RequestState, RequestView, SavedQuery, Status};
use signoff_core::pbc::{DocumentKind, PbcAnswer};
use time::Date;

use crate::Outcome;
use crate::cli::{PbcAnswerArgs, PbcCommand, PbcStateArg};
use crate::remote::{Body, Remote};
use crate::render::{cell, count, done, json, json_line, outln, print_table, table, time, write_bytes};

pub(crate) async fn run(store: &Path, command: PbcCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    match command {
        PbcCommand::Import(args) => {
            let (bytes, name) = read(&args.file)?;
            let actor = super::actor(&signoff, args.actor.as_deref())?;
            let report = signoff_app::pbc::import(&signoff, &name, &bytes, actor).await?;
            print_import(&report, args.output.json)
        }
        PbcCommand::Answer(args) => {
            let with = match document(&args)? {
                None => AnswerWith::Query(SavedQuery::parse(args.query.as_deref().unwrap_or_default())?),
                Some((kind, path)) => {
                    let (bytes, file_name) = read(path)?;
                    AnswerWith::Document { kind, file_name, bytes }
                }
            };
            let actor = super::actor(&signoff, args.actor.as_deref())?;
            let view = signoff_app::pbc::answer(&signoff, &args.request, with, args.note, actor).await?;
            print_answered(&view, args.output.json)
        }
        PbcCommand::List(args) => {
            let filter = match args.state {
                PbcStateArg::All => Filter::All,
                PbcStateArg::Open => Filter::Unanswered,
                PbcStateArg::Overdue => Filter::Overdue,
                PbcStateArg::Answered => Filter::Answered,
            };
            let views = signoff_app::pbc::requests(&signoff, filter, today(args.today.as_deref())?).await?;
            print_list(&views, args.output.json)
        }
        PbcCommand::Status(args) => {
            let status = signoff_app::pbc::status(&signoff, today(args.today.as_deref())?).await?;
            print_status(&status, args.output.json)
        }
        PbcCommand::Show(args) => {
            if let Some(answer) = &args.answer {
                let (_, bytes) = signoff_app::pbc::answer_bytes(&signoff, &args.request, answer).await?;
                write_bytes(args.output_file.as_deref(), &bytes)?;
                return Ok(Outcome::Success);
            }
            let view = signoff_app::pbc::one(&signoff, &args.request).await?;
            print_show(&view, args.output.json)
        }
    }
}

/// `signoff pbc` against a server: the same requests and answers, the token's
/// identity as the actor (the server needs a token for every project).
pub(crate) async fn run_remote(remote: &Remote, command: PbcCommand) -> anyhow::Result<Outcome> {
    use reqwest::Method;
    match command {
        PbcCommand::Import(args) => {
            super::no_actor(args.actor.as_deref())?;
            let (bytes, file_name) = read(&args.file)?;
            let csv = String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{file_name}: not UTF-8 text"))?;
            let body = serde_json::json!({"file_name": file_name, "csv": csv});
            let report: ImportReport = remote.call(Method::POST, "/api/v1/pbc", &[], Some(&body)).await?;
            print_import(&report, args.output.json)
        }
        PbcCommand::Answer(args) => {
            super::no_actor(args.actor.as_deref())?;
            let path = format!("/api/v1/pbc/{}", encode(&args.request));
            let view: RequestView = match document(&args)? {
                None => {
                    let query = args.query.as_deref().unwrap_or_default();
                    // Checked here first, so a typo is named before anything is sent.
                    SavedQuery::parse(query)?;
                    let body = serde_json::json!({"query": query, "note": args.note});
                    remote.call(Method::POST, &format!("{path}/answers"), &[], Some(&body)).await?
                }
                Some((kind, file)) => {
                    if file.as_os_str() == "-" {
                        anyhow::bail!("against a server, name the document's file (not `-`)");
                    }
                    let file_name = name_of(file);
                    let mut query = vec![("kind", kind.as_str().to_owned()), ("file_name", file_name)];
                    if let Some(note) = &args.note {
                        query.push(("note", note.clone()));
                    }
                    let (_, bytes) =
                        remote.send(Method::POST, &format!("{path}/documents"), &query, &[], Body::File(file)).await?;
                    serde_json::from_slice(&bytes)?
                }
            };
            print_answered(&view, args.output.json)
        }
        PbcCommand::List(args) => {
            if args.today.is_some() {
                anyhow::bail!("--today works on a local store; a server compares due dates with its own day");
            }
            let state = match args.state {
                PbcStateArg::All => "all",
                PbcStateArg::Open => "open",
                PbcStateArg::Overdue => "overdue",
                PbcStateArg::Answered => "answered",
            };
            let views: Vec<RequestView> =
                remote.call(Method::GET, "/api/v1/pbc", &[("state", state.to_owned())], None).await?;
            print_list(&views, args.output.json)
        }
        PbcCommand::Status(args) => {
            if args.today.is_some() {
                anyhow::bail!("--today works on a local store; a server compares due dates with its own day");
            }
            let status: Status = remote.call(Method::GET, "/api/v1/pbc/status", &[], None).await?;
            print_status(&status, args.output.json)
        }
        PbcCommand::Show(args) => {
            let path = format!("/api/v1/pbc/{}", encode(&args.request));
            if let Some(answer) = &args.answer {
                let path = format!("{path}/answers/{}", encode(answer));
                let (_, bytes) = remote.send(Method::GET, &path, &[], &[], Body::None).await?;
                write_bytes(args.output_file.as_deref(), &bytes)?;
                return Ok(Outcome::Success);
            }
            let view: RequestView = remote.call(Method::GET, &path, &[], None).await?;
            print_show(&view, args.output.json)
        }
    }
}

/// The document an answer gives, when it is not a query.
fn document(args: &PbcAnswerArgs) -> anyhow::Result<Option<(DocumentKind, &Path)>> {
    Ok(match (&args.query, &args.package, &args.report, &args.file) {
        (Some(_), ..) => None,
        (None, Some(path), _, _) => Some((DocumentKind::Package, path.as_path())),
        (None, None, Some(path), _) => Some((DocumentKind::Report, path.as_path())),
        (None, None, None, Some(path)) => Some((DocumentKind::File, path.as_path())),
        (None, None, None, None) => anyhow::bail!("give --query, --package, --report or --file"),
    })
}

/// A path segment, percent-encoded.
fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn name_of(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |name| name.to_string_lossy().into_owned())
}

/// A file's bytes and the name it is stored under (`-`: standard input, `stdin`).
fn read(path: &Path) -> anyhow::Result<(Vec<u8>, String)> {
    let (bytes, _) = crate::render::read_input(path)?;
    let name = if path.as_os_str() == "-" { "stdin".to_owned() } else { name_of(path) };
    Ok((bytes, name))
}

fn today(flag: Option<&str>) -> anyhow::Result<Date> {
    match flag {
        Some(text) => Ok(super::time(text, signoff_app::request::DayEnd::Start)?.date()),
        None => Ok(time::OffsetDateTime::now_utc().date()),
    }
}

fn print_import(report: &ImportReport, as_json: bool) -> anyhow::Result<Outcome> {
    if as_json || crate::render::jq_set() {
        json(report)?;
    } else {
        done!(
            "{}: {} imported, {} already there",
            report.file_name,
            count(report.imported.len() as u64, "request", "requests"),
            report.unchanged.len()
        )?;
    }
    Ok(Outcome::Success)
}

fn print_answered(view: &RequestView, as_json: bool) -> anyhow::Result<Outcome> {
    if as_json || crate::render::jq_set() {
        json(view)?;
    } else if let Some(answer) = view.answers.last() {
        let first = view
            .hours_to_answer
            .map(|hours| format!("; first answered {} after it was asked", hours_text(hours)))
            .unwrap_or_default();
        done!(
            "{} answered with {} by {} (answer {}, entry {}){first}",
            view.request.id,
            given(&answer.record.answer),
            answer.record.answered_by.id,
            answer.record.id,
            answer.entry
        )?;
    }
    Ok(Outcome::Success)
}

fn print_list(views: &[RequestView], as_json: bool) -> anyhow::Result<Outcome> {
    if as_json || crate::render::jq_set() {
        for view in views {
            json_line(view)?;
        }
    } else if views.is_empty() {
        outln!("no audit requests (see `signoff pbc import`)")?;
    } else {
        print_table(&request_table(views))?;
    }
    Ok(Outcome::Success)
}

/// Exit 1 while a request is overdue.
fn print_status(status: &Status, as_json: bool) -> anyhow::Result<Outcome> {
    let outcome = if status.overdue > 0 { Outcome::No } else { Outcome::Success };
    if as_json || crate::render::jq_set() {
        json(status)?;
        return Ok(outcome);
    }
    outln!(
        "{} as of {}: {} open, {} overdue, {} answered on time, {} answered late",
        count(status.requests, "audit request", "audit requests"),
        status.today,
        status.open,
        status.overdue,
        status.answered,
        status.answered_late
    )?;
    if let (Some(median), Some(max)) = (status.median_hours_to_answer, status.max_hours_to_answer) {
        outln!("time to answer: median {}, longest {}", hours_text(median), hours_text(max))?;
    }
    if !status.next_due.is_empty() {
        outln!("still to answer, soonest due first:")?;
        print_table(&request_table(&status.next_due))?;
    }
    Ok(outcome)
}

fn print_show(view: &RequestView, as_json: bool) -> anyhow::Result<Outcome> {
    if as_json || crate::render::jq_set() {
        json(view)?;
        return Ok(Outcome::Success);
    }
    let request = &view.request;
    outln!("{}: {}", request.id, request.text)?;
    outln!("state:    {}", view.state.as_str())?;
    if let Some(due) = request.due {
        outln!("due:      {due}")?;
    }
    outln!("asked:    {}", time(view.asked_at))?;
    if let Some(control) = &request.control {
        outln!("control:  {control}")?;
    }
    outln!(
        "imported: from {} line {} by {} (entry {})",
        request.source.file_name,
        request.source.line,
        request.imported_by.id,
        view.entry
    )?;
    if view.answers.is_empty() {
        outln!("no answer yet")?;
    }
    for answer in &view.answers {
        outln!(
            "answer {} at {} by {} (entry {}): {}",
            answer.record.id,
            time(answer.at),
            answer.record.answered_by.id,
            answer.entry,
            given(&answer.record.answer)
        )?;
        if let Some(note) = &answer.record.note {
            outln!("  note: {note}")?;
        }
    }
    Ok(Outcome::Success)
}

fn given(answer: &PbcAnswer) -> String {
    match answer {
        PbcAnswer::Query { query, rows, digest, .. } => {
            format!("query `{query}` ({}, {digest})", count(*rows, "row", "rows"))
        }
        PbcAnswer::Document { kind, file_name, digest, size } => {
            format!("{} {file_name} ({size} bytes, {digest})", kind.as_str())
        }
    }
}

fn hours_text(hours: f64) -> String {
    if hours < 48.0 { format!("{hours:.1} h") } else { format!("{:.1} days", hours / 24.0) }
}

fn request_table(views: &[RequestView]) -> comfy_table::Table {
    let mut rows = table();
    rows.set_header(["id", "state", "due", "control", "answered by", "time to answer", "request"]);
    for view in views {
        let state = match view.state {
            RequestState::Overdue => "OVERDUE",
            other => other.as_str(),
        };
        rows.add_row([
            cell(&view.request.id),
            cell(state),
            cell(&view.request.due.map(|due| due.to_string()).unwrap_or_default()),
            cell(view.request.control.as_deref().unwrap_or("")),
            cell(&view.answers.first().map(|answer| answer.record.answered_by.id.clone()).unwrap_or_default()),
            cell(&view.hours_to_answer.map(hours_text).unwrap_or_default()),
            cell(&view.request.text.chars().take(60).collect::<String>()),
        ]);
    }
    rows
}
