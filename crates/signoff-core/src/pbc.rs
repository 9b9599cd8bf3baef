//! Audit requests (F4): the auditor's request list — what auditors call a PBC
//! ("prepared by client") list — and the answers given to it. Each is the payload
//! of a ledger entry, so who answered what, with which bytes, and when, is as
//! tamper-evident as the evidence itself.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::digest::Digest;
use crate::records::Actor;

time::serde::format_description!(day, Date, "[year]-[month]-[day]");

/// One request of the auditor's list, as imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PbcRequestRecord {
    /// The auditor's own id for it (`REQ-12`, `PBC-3.1`): how it is named everywhere.
    pub id: String,
    /// What the auditor asks for, in their words.
    pub text: String,
    /// When the answer is due.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "day::option")]
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    pub due: Option<Date>,
    /// When the auditor asked, when the list says; otherwise the import's own time
    /// is when it was asked.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "day::option")]
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    pub received: Option<Date>,
    /// The control or criterion it concerns, when the list says (`CC8.1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<String>,
    /// The list it came from.
    pub source: PbcSource,
    /// Who imported it.
    pub imported_by: Actor,
}

/// Where an imported request came from: the file, its digest and the line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PbcSource {
    /// The file name as given (no directories).
    pub file_name: String,
    /// SHA-256 of the whole file.
    pub digest: Digest,
    /// The line of the request (1 is the header).
    pub line: u64,
}

/// An answer to a request. A request may be answered more than once (a follow-up,
/// a corrected population); every answer stays on the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PbcAnswerRecord {
    /// The request answered (its id).
    pub request: String,
    /// This answer's id (a UUIDv7).
    pub id: String,
    /// What was given.
    pub answer: PbcAnswer,
    /// A note to the auditor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Who answered.
    pub answered_by: Actor,
}

/// What a request was answered with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PbcAnswer {
    /// A saved query, run when answering: its text (which can be run again), and
    /// the table it gave, stored as CSV under `digest`.
    Query {
        /// The saved query, as written (`population env=prod from=2026-07-01 to=2026-09-30`).
        query: String,
        /// Rows in the table.
        rows: u64,
        /// SHA-256 of the CSV stored as the answer.
        digest: Digest,
        /// Size of the CSV.
        size: u64,
    },
    /// A document handed over: an evidence package, a report, or any other file,
    /// stored under `digest`.
    Document {
        /// `package`, `report` or `file`.
        kind: DocumentKind,
        /// The file name as given (no directories).
        file_name: String,
        /// SHA-256 of the stored bytes.
        digest: Digest,
        /// Size of the stored bytes.
        size: u64,
    },
}

impl PbcAnswer {
    /// The digest of the stored bytes of the answer.
    pub fn digest(&self) -> Digest {
        match self {
            PbcAnswer::Query { digest, .. } | PbcAnswer::Document { digest, .. } => *digest,
        }
    }
}

/// The kind of a document given as an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// An evidence package (`signoff package export`), verified before it was given.
    Package,
    /// A report (`signoff report`, `audit trace --format html`, OSCAL).
    Report,
    /// Any other file.
    File,
}

impl DocumentKind {
    /// `package`, `report` or `file`.
    pub const fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Package => "package",
            DocumentKind::Report => "report",
            DocumentKind::File => "file",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::ActorKind;

    #[test]
    fn a_request_keeps_its_dates_as_days() {
        let record = PbcRequestRecord {
            id: "REQ-1".into(),
            text: "Population of production changes".into(),
            due: Some(Date::from_calendar_date(2026, time::Month::October, 15).unwrap()),
            received: None,
            control: Some("CC8.1".into()),
            source: PbcSource { file_name: "requests.csv".into(), digest: Digest::of(b"x"), line: 2 },
            imported_by: Actor { id: "alice".into(), kind: ActorKind::Human, on_behalf_of: None, source: None },
        };
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["due"], "2026-10-15");
        assert!(json.get("received").is_none());
        let back: PbcRequestRecord = serde_json::from_value(json).unwrap();
        assert_eq!(back, record);
    }
}
