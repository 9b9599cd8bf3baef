//! `signoff pbc import|answer|list|status|show`: the auditor's request list (F4).

use std::path::Path;

use signoff_app::Signoff;
use signoff_app::pbc::{AnswerWith, Filter, RequestState, RequestView, SavedQuery};
use signoff_core::pbc::{DocumentKind, PbcAnswer};
use time::Date;

use crate::Outcome;
use crate::cli::{PbcCommand, PbcStateArg};
use crate::render::{cell, count, done, json, json_line, outln, print_table, table, time, write_bytes};

pub(crate) async fn run(store: &Path, command: PbcCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    match command {
        PbcCommand::Import(args) => {
            let (bytes, name) = read(&args.file)?;
            let actor = super::actor(&signoff, args.actor.as_deref())?;
            let report = signoff_app::pbc::import(&signoff, &name, &bytes, actor).await?;
            if args.output.json || crate::render::jq_set() {
                json(&report)?;
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
        PbcCommand::Answer(args) => {
            let with = if let Some(query) = &args.query {
                AnswerWith::Query(SavedQuery::parse(query)?)
            } else {
                let (kind, path) = match (&args.package, &args.report, &args.file) {
                    (Some(path), _, _) => (DocumentKind::Package, path),
                    (None, Some(path), _) => (DocumentKind::Report, path),
                    (None, None, Some(path)) => (DocumentKind::File, path),
                    (None, None, None) => anyhow::bail!("give --query, --package, --report or --file"),
                };
                let (bytes, file_name) = read(path)?;
                AnswerWith::Document { kind, file_name, bytes }
            };
            let actor = super::actor(&signoff, args.actor.as_deref())?;
            let view = signoff_app::pbc::answer(&signoff, &args.request, with, args.note, actor).await?;
            if args.output.json || crate::render::jq_set() {
                json(&view)?;
            } else if let Some(answer) = view.answers.last() {
                done!(
                    "{} answered with {} by {} (answer {}, entry {}){}",
                    view.request.id,
                    given(&answer.record.answer),
                    answer.record.answered_by.id,
                    answer.record.id,
                    answer.entry,
                    view.hours_to_answer
                        .map(|hours| format!("; first answered {} after it was asked", hours_text(hours)))
                        .unwrap_or_default()
                )?;
            }
            Ok(Outcome::Success)
        }
        PbcCommand::List(args) => {
            let filter = match args.state {
                PbcStateArg::All => Filter::All,
                PbcStateArg::Open => Filter::Unanswered,
                PbcStateArg::Overdue => Filter::Overdue,
                PbcStateArg::Answered => Filter::Answered,
            };
            let views = signoff_app::pbc::requests(&signoff, filter, today(args.today.as_deref())?).await?;
            if args.output.json || crate::render::jq_set() {
                for view in &views {
                    json_line(view)?;
                }
            } else if views.is_empty() {
                outln!("no audit requests (see `signoff pbc import`)")?;
            } else {
                print_table(&request_table(&views))?;
            }
            Ok(Outcome::Success)
        }
        PbcCommand::Status(args) => {
            let status = signoff_app::pbc::status(&signoff, today(args.today.as_deref())?).await?;
            let outcome = if status.overdue > 0 { Outcome::No } else { Outcome::Success };
            if args.output.json || crate::render::jq_set() {
                json(&status)?;
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
        PbcCommand::Show(args) => {
            if let Some(answer) = &args.answer {
                let (_, bytes) = signoff_app::pbc::answer_bytes(&signoff, &args.request, answer).await?;
                write_bytes(args.output_file.as_deref(), &bytes)?;
                return Ok(Outcome::Success);
            }
            let view = signoff_app::pbc::one(&signoff, &args.request).await?;
            if args.output.json || crate::render::jq_set() {
                json(&view)?;
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
    }
}

/// A file's bytes and name (`-`: standard input, named `stdin`).
fn read(path: &Path) -> anyhow::Result<(Vec<u8>, String)> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)?;
        return Ok((bytes, "stdin".to_owned()));
    }
    let bytes = std::fs::read(path).map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
    let name = path.file_name().map_or_else(|| path.display().to_string(), |name| name.to_string_lossy().into_owned());
    Ok((bytes, name))
}

fn today(flag: Option<&str>) -> anyhow::Result<Date> {
    match flag {
        Some(text) => Ok(super::time(text, signoff_app::request::DayEnd::Start)?.date()),
        None => Ok(time::OffsetDateTime::now_utc().date()),
    }
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
