//! Audit requests (F4): the auditor's request list (a "PBC" list), each request
//! answered by a saved query or a document, and the measured time to answer.
//!
//! - [`import`] reads the list as CSV (a header row naming at least `id` and
//!   `text`; `due`, `received` and `control` are read when present) and ledgers one
//!   `pbc_requested` entry per new request, all in one write: a bad row stores
//!   nothing. Importing the same list again changes nothing; a request whose id is
//!   known with other words is refused (the auditor's id names one request).
//! - [`answer`] runs a [`SavedQuery`] or takes a document (an evidence package is
//!   verified first), stores the bytes as a blob and ledgers a `pbc_answered`
//!   entry naming who answered, what with, and the bytes' digest.
//! - [`requests`] and [`status`] say what is open, overdue and answered, and how
//!   long answering took: from when the auditor asked (the list's `received`
//!   date, else the import) to the first answer.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::Serialize;
use signoff_core::entry::Event;
use signoff_core::pbc::{DocumentKind, PbcAnswer, PbcAnswerRecord, PbcRequestRecord, PbcSource};
use signoff_core::records::{Actor, ActorKind};
use signoff_core::{Digest, EvidenceKind, ProjectName, ReleaseRef, Severity};
use signoff_store::{RecordQuery, Stored};
use time::{Date, OffsetDateTime};

use crate::audit::{self, Answer, Question, ReleaseStatus, Search};
use crate::error::{AppError, Missing, Refusal};
use crate::home::Signoff;
use crate::ledger::now;
use crate::refuse::Attempt;
use crate::request::Period;

// ---------------------------------------------------------------------------
// Import.

/// What an import did.
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct ImportReport {
    /// The file imported.
    pub file_name: String,
    /// Ids of the requests it added, in the file's order.
    pub imported: Vec<String>,
    /// Ids already imported with the same words (left as they were).
    pub unchanged: Vec<String>,
}

/// A request list that cannot be read: the file, the line and what is wrong.
fn bad_list(file_name: &str, line: u64, message: impl fmt::Display) -> AppError {
    AppError::Invalid(format!("{file_name}:{line}: {message} (audit request list, CSV)"))
}

/// The columns of the list, found by their header names.
struct Columns {
    id: usize,
    text: usize,
    due: Option<usize>,
    received: Option<usize>,
    control: Option<usize>,
}

impl Columns {
    /// Finds the columns in the header row (names compared without case, spaces
    /// and `_`; a few names auditors' tools use are accepted for each).
    fn find(file_name: &str, header: &csv::StringRecord) -> Result<Columns, AppError> {
        let normal: Vec<String> = header
            .iter()
            .map(|name| name.trim().trim_start_matches('\u{feff}').to_lowercase().replace([' ', '_', '-'], ""))
            .collect();
        let find = |names: &[&str]| normal.iter().position(|name| names.contains(&name.as_str()));
        let id = find(&["id", "requestid", "ref", "reference", "pbcid", "no", "number"]);
        let text = find(&["text", "request", "description", "requestdescription", "item", "details"]);
        let (Some(id), Some(text)) = (id, text) else {
            return Err(bad_list(
                file_name,
                1,
                format!(
                    "the header needs an `id` and a `text` column (found: {})",
                    header.iter().collect::<Vec<_>>().join(", ")
                ),
            ));
        };
        Ok(Columns {
            id,
            text,
            due: find(&["due", "duedate", "deadline"]),
            received: find(&["received", "requested", "requestdate", "daterequested", "asked"]),
            control: find(&["control", "controlid", "criterion", "criteria"]),
        })
    }
}

/// A day as the list gives it: `YYYY-MM-DD` (a time after it is ignored).
fn day(text: &str) -> Result<Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let head = text.get(..10).unwrap_or(text);
    Date::parse(head, &format).map_err(|_| format!("{text:?} is not a date (YYYY-MM-DD)"))
}

/// Reads a request list (CSV) without writing anything: the records it holds, in
/// order, each with its line.
///
/// # Errors
/// [`AppError::Invalid`] naming the file, line and column of the first problem.
pub fn read_list(file_name: &str, bytes: &[u8], actor: &Actor) -> Result<Vec<PbcRequestRecord>, AppError> {
    let text = std::str::from_utf8(bytes).map_err(|error| {
        let line = bytes[..error.valid_up_to()].iter().filter(|byte| **byte == b'\n').count() as u64 + 1;
        bad_list(file_name, line, "not UTF-8 text")
    })?;
    let digest = Digest::of(bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let header = reader.headers().map_err(|error| bad_list(file_name, 1, error))?.clone();
    let columns = Columns::find(file_name, &header)?;
    let mut records = Vec::new();
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    for row in reader.records() {
        // The line from the byte offset: the reader's own line count skips blank lines.
        let line_at = |position: Option<&csv::Position>| {
            position.map_or(0, |position| {
                let bytes = text.as_bytes();
                let mut start = usize::try_from(position.byte()).unwrap_or(usize::MAX).min(bytes.len());
                // A record's position is where the reader began it, before blank lines.
                while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
                    start += 1;
                }
                bytes[..start].iter().filter(|byte| **byte == b'\n').count() as u64 + 1
            })
        };
        let row = row.map_err(|error| bad_list(file_name, line_at(error.position()), error))?;
        let line = line_at(row.position());
        if row.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let cell = |index: usize| row.get(index).map(str::trim).unwrap_or_default();
        let optional = |index: Option<usize>| index.map(cell).filter(|value| !value.is_empty());
        let id = cell(columns.id);
        if id.is_empty() {
            return Err(bad_list(file_name, line, "the request has no id"));
        }
        if id.len() > 64 || id.chars().any(|c| c.is_control() || c == '/') {
            return Err(bad_list(
                file_name,
                line,
                format!("{id:?} is not a request id (at most 64 characters, no `/`)"),
            ));
        }
        if let Some(first) = seen.insert(id.to_owned(), line) {
            return Err(bad_list(file_name, line, format!("request {id} is listed twice (first on line {first})")));
        }
        let words = cell(columns.text);
        if words.is_empty() {
            return Err(bad_list(file_name, line, format!("request {id} says nothing (its `text` is empty)")));
        }
        let date = |index: Option<usize>, name: &str| {
            optional(index)
                .map(day)
                .transpose()
                .map_err(|message| bad_list(file_name, line, format!("{name}: {message}")))
        };
        records.push(PbcRequestRecord {
            id: id.to_owned(),
            text: words.to_owned(),
            due: date(columns.due, "due")?,
            received: date(columns.received, "received")?,
            control: optional(columns.control).map(str::to_owned),
            source: PbcSource { file_name: file_name.to_owned(), digest, line },
            imported_by: actor.clone(),
        });
    }
    if records.is_empty() {
        return Err(bad_list(file_name, 2, "the list has no requests"));
    }
    Ok(records)
}

/// Imports a request list: one ledger entry per request not yet imported.
///
/// # Errors
/// A list that does not read (nothing is stored), a known id with other words,
/// or a store failure.
pub async fn import(signoff: &Signoff, file_name: &str, bytes: &[u8], actor: Actor) -> Result<ImportReport, AppError> {
    let records = read_list(file_name, bytes, &actor)?;
    let known: BTreeMap<String, PbcRequestRecord> = signoff
        .store
        .records::<PbcRequestRecord>(&RecordQuery::default())
        .await?
        .into_iter()
        .map(|row| (row.record.id.clone(), row.record))
        .collect();
    let mut report = ImportReport { file_name: file_name.to_owned(), imported: Vec::new(), unchanged: Vec::new() };
    let mut new = Vec::new();
    for record in records {
        match known.get(&record.id) {
            Some(old) if same_request(old, &record) => report.unchanged.push(record.id),
            Some(old) => {
                return Err(bad_list(
                    file_name,
                    record.source.line,
                    format!(
                        "request {} was imported from {} line {} with other words or dates; an id names one request (give the changed request a new id)",
                        record.id, old.source.file_name, old.source.line
                    ),
                ));
            }
            None => {
                report.imported.push(record.id.clone());
                new.push(record);
            }
        }
    }
    if !new.is_empty() {
        let mut batch = signoff.begin_batch().await?;
        for record in new {
            batch.append(Event::PbcRequested(Box::new(record))).await?;
        }
        batch.commit(signoff).await?;
    }
    Ok(report)
}

fn same_request(old: &PbcRequestRecord, new: &PbcRequestRecord) -> bool {
    old.text == new.text && old.due == new.due && old.received == new.received && old.control == new.control
}

// ---------------------------------------------------------------------------
// Saved queries.

/// A query saved as an answer: one of the standard audit questions or a search,
/// written as a name and `key=value` words, so it can be stored on the ledger and
/// run again later:
///
/// ```text
/// population env=prod from=2026-07-01 to=2026-09-30
/// deployed-without-certification env=prod from=2026-07-01 to=2026-09-30
/// scans-for-period from=2026-07-01 to=2026-09-30 project=shop
/// who-approved release=shop@4.2.1
/// search project=shop kind=sast severity=high status=certified tool=semgrep approver=alice env=prod from=.. to=..
/// ```
#[derive(Debug, Clone)]
pub struct SavedQuery {
    text: String,
    query: Query,
}

#[derive(Debug, Clone)]
enum Query {
    Question(Question),
    Search(Box<Search>),
}

/// The names a saved query may start with.
pub const QUERY_NAMES: [&str; 5] =
    ["population", "deployed-without-certification", "scans-for-period", "who-approved", "search"];

impl SavedQuery {
    /// Parses a saved query.
    ///
    /// # Errors
    /// [`AppError::Invalid`] naming the word that is wrong and what is allowed.
    pub fn parse(text: &str) -> Result<SavedQuery, AppError> {
        let bad = |message: String| AppError::Invalid(format!("saved query {text:?}: {message}"));
        let mut words = text.split_whitespace();
        let name = words.next().ok_or_else(|| bad(format!("empty; start with one of {}", QUERY_NAMES.join(", "))))?;
        let mut values: BTreeMap<&str, &str> = BTreeMap::new();
        for word in words {
            let (key, value) =
                word.split_once('=').ok_or_else(|| bad(format!("{word:?} is not key=value (e.g. from=2026-07-01)")))?;
            if values.insert(key, value).is_some() {
                return Err(bad(format!("{key} is given twice")));
            }
        }
        let allowed: &[&str] = match name {
            "population" | "deployed-without-certification" => &["env", "from", "to"],
            "scans-for-period" => &["from", "to", "project"],
            "who-approved" => &["release"],
            "search" => &["project", "kind", "tool", "severity", "status", "approver", "env", "from", "to"],
            other => return Err(bad(format!("{other:?} is not a query; use one of {}", QUERY_NAMES.join(", ")))),
        };
        if let Some(key) = values.keys().find(|key| !allowed.contains(key)) {
            return Err(bad(format!("{name} takes {}, not {key}", allowed.join(", "))));
        }
        let period = Period::parse(values.get("from").copied(), values.get("to").copied())
            .map_err(|error| bad(error.to_string()))?;
        let environment = || values.get("env").map_or_else(|| "prod".to_owned(), |env| (*env).to_owned());
        let project = |key: &str| {
            values
                .get(key)
                .map(|value| value.parse::<ProjectName>())
                .transpose()
                .map_err(|error| bad(error.to_string()))
        };
        let query = match name {
            "population" => Query::Question(Question::Population { environment: environment(), period }),
            "deployed-without-certification" => {
                Query::Question(Question::DeployedWithoutCertification { environment: environment(), period })
            }
            "scans-for-period" => Query::Question(Question::ScansForPeriod { period, project: project("project")? }),
            "who-approved" => {
                let release =
                    values.get("release").ok_or_else(|| bad("who-approved needs release=PROJECT@VERSION".into()))?;
                Query::Question(Question::WhoApproved {
                    release: release.parse::<ReleaseRef>().map_err(|error| bad(error.to_string()))?,
                })
            }
            _ => Query::Search(Box::new(Search {
                project: project("project")?,
                kind: values
                    .get("kind")
                    .map(|kind| kind.parse::<EvidenceKind>())
                    .transpose()
                    .map_err(|error| bad(error.to_string()))?,
                tool: values.get("tool").map(|tool| (*tool).to_owned()),
                severity: values
                    .get("severity")
                    .map(|severity| severity.parse::<Severity>())
                    .transpose()
                    .map_err(|error| bad(error.to_string()))?,
                status: values
                    .get("status")
                    .map(|status| match *status {
                        "certified" => Ok(ReleaseStatus::Certified),
                        "rejected" => Ok(ReleaseStatus::Rejected),
                        "uncertified" => Ok(ReleaseStatus::Uncertified),
                        other => Err(bad(format!("status {other:?} is not certified, rejected or uncertified"))),
                    })
                    .transpose()?,
                approver: values.get("approver").map(|approver| (*approver).to_owned()),
                environment: values.get("env").map(|env| (*env).to_owned()),
                period,
                limit: None,
            })),
        };
        Ok(SavedQuery { text: text.split_whitespace().collect::<Vec<_>>().join(" "), query })
    }

    /// The query as written (words separated by single spaces).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Runs the query: every row.
    ///
    /// # Errors
    /// A store failure, or a release that does not exist.
    pub async fn run(&self, signoff: &Signoff) -> Result<Answer, AppError> {
        match &self.query {
            Query::Question(question) => audit::ask(signoff, question).await,
            Query::Search(search) => audit::search(signoff, search).await,
        }
    }
}

// ---------------------------------------------------------------------------
// Answers.

/// What a request is answered with.
#[derive(Debug, Clone)]
pub enum AnswerWith {
    /// A saved query, run now; its table is stored as CSV.
    Query(SavedQuery),
    /// A document: its kind, file name and bytes.
    Document {
        /// Package, report or file. A package must verify (with the store's own
        /// key) before it is accepted.
        kind: DocumentKind,
        /// The file name (no directories).
        file_name: String,
        /// The bytes.
        bytes: Vec<u8>,
    },
}

/// Answers a request. The answerer must be a person (an answer to an auditor is
/// a person's statement); the attempt of a bot or agent is refused and ledgered.
///
/// # Errors
/// An unknown request, a query that does not run, a package that does not
/// verify, or a store failure.
pub async fn answer(
    signoff: &Signoff,
    request: &str,
    with: AnswerWith,
    note: Option<String>,
    actor: Actor,
) -> Result<RequestView, AppError> {
    if signoff.store.records_with_id::<PbcRequestRecord>(request).await?.is_empty() {
        return Err(Missing::PbcRequest(request.to_owned()).into());
    }
    if actor.kind != ActorKind::Human {
        let refusal =
            Refusal::NotHuman { actor: actor.id.clone(), kind: actor.kind, action: "answer an audit request" };
        return Err(signoff.refuse(Attempt::on("pbc answer", request, &actor), refusal).await);
    }
    let (answer, bytes) = match with {
        AnswerWith::Query(query) => {
            let table = query.run(signoff).await?;
            let csv = table.to_csv()?.into_bytes();
            let answer = PbcAnswer::Query {
                query: query.text().to_owned(),
                rows: table.rows.len() as u64,
                digest: Digest::of(&csv),
                size: csv.len() as u64,
            };
            (answer, csv)
        }
        AnswerWith::Document { kind, file_name, bytes } => {
            if kind == DocumentKind::Package {
                let key = signoff.verifier()?.to_text();
                let report = crate::package::verify(&bytes, Some(&key))?;
                if !report.is_ok() {
                    let problems: Vec<String> = report
                        .failures()
                        .map(|check| match check.failure() {
                            Some(failure) => format!("{}: {failure}", check.member),
                            None => check.member.clone(),
                        })
                        .collect();
                    return Err(AppError::Invalid(format!(
                        "{file_name} does not verify as an evidence package of this store: {}",
                        if problems.is_empty() { "no check ran".to_owned() } else { problems.join("; ") }
                    )));
                }
            }
            let answer = PbcAnswer::Document { kind, file_name, digest: Digest::of(&bytes), size: bytes.len() as u64 };
            (answer, bytes)
        }
    };
    let blobs = signoff.blobs.clone();
    let staged = tokio::task::spawn_blocking(move || blobs.stage(&mut bytes.as_slice()))
        .await
        .map_err(|error| AppError::Invalid(format!("storing the answer stopped: {error}")))??;
    let note = note.map(|note| note.trim().to_owned()).filter(|note| !note.is_empty());
    let record = PbcAnswerRecord {
        request: request.to_owned(),
        id: uuid::Uuid::now_v7().to_string(),
        answer,
        note,
        answered_by: actor,
    };
    let mut batch = signoff.begin_batch().await?;
    batch.append(Event::PbcAnswered(Box::new(record))).await?;
    signoff.blobs.commit(staged).await?;
    batch.commit(signoff).await?;
    one(signoff, request).await
}

/// The stored bytes of an answer (the query's CSV or the document).
///
/// # Errors
/// An unknown request or answer, or a blob that is gone.
pub async fn answer_bytes(
    signoff: &Signoff,
    request: &str,
    answer: &str,
) -> Result<(PbcAnswerRecord, Vec<u8>), AppError> {
    let view = one(signoff, request).await?;
    let found = view.answers.into_iter().find(|each| each.record.id == answer).ok_or_else(|| {
        AppError::NotFound(Missing::PbcAnswer { request: request.to_owned(), answer: answer.to_owned() })
    })?;
    let digest = found.record.answer.digest();
    let bytes = signoff.blobs.get(&digest).await?.ok_or(AppError::NotFound(Missing::Blob(digest)))?;
    Ok((found.record, bytes))
}

// ---------------------------------------------------------------------------
// What is open, overdue and answered.

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// Not answered, not yet due.
    Open,
    /// Not answered and past its due date.
    Overdue,
    /// Answered by its due date (or it has none).
    Answered,
    /// Answered after its due date.
    AnsweredLate,
}

impl RequestState {
    /// `open`, `overdue`, `answered` or `answered_late`.
    pub const fn as_str(self) -> &'static str {
        match self {
            RequestState::Open => "open",
            RequestState::Overdue => "overdue",
            RequestState::Answered => "answered",
            RequestState::AnsweredLate => "answered_late",
        }
    }
}

/// One request with its answers and state.
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct RequestView {
    /// The request as imported.
    pub request: PbcRequestRecord,
    /// Its ledger entry.
    pub entry: u64,
    /// When it was asked: the list's `received` day, else the import.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub asked_at: OffsetDateTime,
    /// Where it stands.
    pub state: RequestState,
    /// Hours from being asked to the first answer, when answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours_to_answer: Option<f64>,
    /// Every answer, oldest first.
    pub answers: Vec<AnswerView>,
}

/// One answer with its entry.
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct AnswerView {
    /// The answer.
    #[serde(flatten)]
    pub record: PbcAnswerRecord,
    /// Its ledger entry.
    pub entry: u64,
    /// When it was given.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub at: OffsetDateTime,
}

/// Which requests to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Filter {
    /// Every request.
    #[default]
    All,
    /// Not answered (open or overdue).
    Unanswered,
    /// Past due and not answered.
    Overdue,
    /// Answered (on time or late).
    Answered,
}

/// Every request (by `filter`), in the order imported, as of `today`.
///
/// # Errors
/// A store failure.
pub async fn requests(signoff: &Signoff, filter: Filter, today: Date) -> Result<Vec<RequestView>, AppError> {
    let records = signoff.store.records::<PbcRequestRecord>(&RecordQuery::default()).await?;
    let answers = signoff.store.records::<PbcAnswerRecord>(&RecordQuery::default()).await?;
    let views = views(records, answers, today);
    Ok(views
        .into_iter()
        .filter(|view| match filter {
            Filter::All => true,
            Filter::Unanswered => matches!(view.state, RequestState::Open | RequestState::Overdue),
            Filter::Overdue => view.state == RequestState::Overdue,
            Filter::Answered => matches!(view.state, RequestState::Answered | RequestState::AnsweredLate),
        })
        .collect())
}

/// One request with its answers.
///
/// # Errors
/// [`Missing::PbcRequest`] when there is none with that id.
pub async fn one(signoff: &Signoff, id: &str) -> Result<RequestView, AppError> {
    let records = signoff.store.records_with_id::<PbcRequestRecord>(id).await?;
    if records.is_empty() {
        return Err(Missing::PbcRequest(id.to_owned()).into());
    }
    let answers = signoff.store.records_with_id::<PbcAnswerRecord>(id).await?;
    views(records, answers, now().date()).pop().ok_or_else(|| Missing::PbcRequest(id.to_owned()).into())
}

fn views(
    records: Vec<Stored<PbcRequestRecord>>,
    answers: Vec<Stored<PbcAnswerRecord>>,
    today: Date,
) -> Vec<RequestView> {
    let mut by_request: BTreeMap<String, Vec<AnswerView>> = BTreeMap::new();
    for row in answers {
        by_request.entry(row.record.request.clone()).or_default().push(AnswerView {
            record: row.record,
            entry: row.seq,
            at: row.at,
        });
    }
    let mut seen = HashSet::new();
    let mut views = Vec::with_capacity(records.len());
    for row in records {
        // The first import of an id is the request; import never writes a second.
        if !seen.insert(row.record.id.clone()) {
            continue;
        }
        let mut answers = by_request.remove(&row.record.id).unwrap_or_default();
        answers.sort_by_key(|answer| answer.entry);
        let asked_at = row.record.received.map_or(row.at, |day| day.midnight().assume_utc());
        let first = answers.first().map(|answer| answer.at);
        let hours_to_answer = first
            .map(|at| ((at - asked_at).as_seconds_f64() / 3600.0).max(0.0))
            .map(|hours| (hours * 100.0).round() / 100.0);
        let state = match (first, row.record.due) {
            (Some(at), Some(due)) if at.date() > due => RequestState::AnsweredLate,
            (Some(_), _) => RequestState::Answered,
            (None, Some(due)) if today > due => RequestState::Overdue,
            (None, _) => RequestState::Open,
        };
        views.push(RequestView { request: row.record, entry: row.seq, asked_at, state, hours_to_answer, answers });
    }
    views
}

/// The request list in figures.
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Status {
    /// The day the figures are for.
    pub today: String,
    /// Requests in all.
    pub requests: u64,
    /// Not answered and not yet due.
    pub open: u64,
    /// Not answered and past due.
    pub overdue: u64,
    /// Answered by the due date.
    pub answered: u64,
    /// Answered after the due date.
    pub answered_late: u64,
    /// The median time to answer, in hours, over answered requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_hours_to_answer: Option<f64>,
    /// The longest time to answer, in hours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_hours_to_answer: Option<f64>,
    /// Unanswered requests due soonest first (overdue ones first of all).
    pub next_due: Vec<RequestView>,
}

/// The figures of the request list as of `today`.
///
/// # Errors
/// A store failure.
pub async fn status(signoff: &Signoff, today: Date) -> Result<Status, AppError> {
    let all = requests(signoff, Filter::All, today).await?;
    let count = |state: RequestState| all.iter().filter(|view| view.state == state).count() as u64;
    let mut hours: Vec<f64> = all.iter().filter_map(|view| view.hours_to_answer).collect();
    hours.sort_by(f64::total_cmp);
    let median = (!hours.is_empty()).then(|| {
        let middle = hours.len() / 2;
        if hours.len() % 2 == 1 {
            hours[middle]
        } else {
            ((hours[middle - 1] + hours[middle]) / 2.0 * 100.0).round() / 100.0
        }
    });
    let mut next_due: Vec<RequestView> =
        all.iter().filter(|view| matches!(view.state, RequestState::Open | RequestState::Overdue)).cloned().collect();
    next_due.sort_by_key(|view| (view.request.due.is_none(), view.request.due, view.entry));
    Ok(Status {
        today: today.to_string(),
        requests: all.len() as u64,
        open: count(RequestState::Open),
        overdue: count(RequestState::Overdue),
        answered: count(RequestState::Answered),
        answered_late: count(RequestState::AnsweredLate),
        median_hours_to_answer: median,
        max_hours_to_answer: hours.last().copied(),
        next_due,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor() -> Actor {
        Actor { id: "carol@example.com".into(), kind: ActorKind::Human, on_behalf_of: None, source: None }
    }

    #[test]
    fn a_list_reads_with_the_header_names_auditors_use() {
        let list = "\u{feff}Request ID,Request Description,Due Date,Control\nREQ-1,\"Population of changes, Q3\",2026-10-15,CC8.1\n\nREQ-2,Access review evidence,,\n";
        let records = read_list("requests.csv", list.as_bytes(), &actor()).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].id, "REQ-1");
        assert_eq!(records[0].text, "Population of changes, Q3");
        assert_eq!(records[0].due.map(|due| due.to_string()).as_deref(), Some("2026-10-15"));
        assert_eq!(records[0].control.as_deref(), Some("CC8.1"));
        assert_eq!(records[0].source.line, 2);
        assert_eq!(records[1].source.line, 4, "the blank line is counted");
        assert_eq!(records[1].due, None);
    }

    #[test]
    fn a_bad_list_names_the_file_and_line() {
        let error = |list: &str| read_list("q3.csv", list.as_bytes(), &actor()).unwrap_err().to_string();
        assert_eq!(
            error("id,text,due\nA,x,2026-13-01\n"),
            "q3.csv:2: due: \"2026-13-01\" is not a date (YYYY-MM-DD) (audit request list, CSV)"
        );
        assert!(error("id,text\nA,x\nA,y\n").starts_with("q3.csv:3: request A is listed twice (first on line 2)"));
        assert!(error("number,what\n1,x\n").starts_with("q3.csv:1: the header needs an `id` and a `text` column"));
        assert!(error("id,text\n,x\n").starts_with("q3.csv:2: the request has no id"));
        assert!(error("id,text\n").starts_with("q3.csv:2: the list has no requests"));
    }

    #[test]
    fn saved_queries_parse_and_refuse_what_they_do_not_take() {
        let query = SavedQuery::parse("population   env=prod from=2026-07-01 to=2026-09-30").unwrap();
        assert_eq!(query.text(), "population env=prod from=2026-07-01 to=2026-09-30");
        assert!(SavedQuery::parse("search project=shop kind=sast severity=high status=certified").is_ok());
        assert!(SavedQuery::parse("who-approved release=shop@1.0.0").is_ok());
        let error = |text: &str| SavedQuery::parse(text).unwrap_err().to_string();
        assert!(error("population release=shop@1").contains("population takes env, from, to, not release"));
        assert!(error("everything").contains("is not a query"));
        assert!(error("search severity=urgent").contains("urgent"));
        assert!(error("who-approved").contains("needs release="));
        assert!(error("population from=yesterday").contains("yesterday"));
    }
}
