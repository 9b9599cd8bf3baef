//! `signoff pbc`: the auditor's request list (F4) — import, answer, list, status.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::JsonArg;

#[derive(Debug, Subcommand)]
pub(crate) enum PbcCommand {
    /// Import the auditor's request list (CSV with id, text and optionally due, received, control).
    #[command(
        after_help = "Examples:\n  signoff pbc import requests.csv\n  signoff pbc import - < q3-requests.csv\n\nThe header row names the columns: `id` and `text` are needed (also read:\n`Request ID`, `Description`, ...); `due`, `received` (when the auditor asked) and\n`control` are read when present. Importing the same list again changes nothing;\na bad row stores nothing and names its line."
    )]
    Import(PbcImportArgs),
    /// Answer a request with a saved query, an evidence package, a report or a file.
    #[command(
        after_help = "Examples:\n  signoff pbc answer REQ-12 --query \"population env=prod from=2026-07-01 to=2026-09-30\"\n  signoff pbc answer REQ-13 --query \"search project=shop kind=sast severity=high from=2026-07-01\"\n  signoff pbc answer REQ-14 --package shop-4.2.1.zip --note \"the sampled release\"\n  signoff pbc answer REQ-15 --report q3.html\n\nSaved queries: population, deployed-without-certification (env= from= to=),\nscans-for-period (from= to= project=), who-approved (release=P@V), search\n(project= kind= tool= severity= status= approver= env= from= to=). The query is\nrun now; its table is stored as CSV and ledgered with who answered and when. A\npackage must verify against this store's key."
    )]
    Answer(PbcAnswerArgs),
    /// List requests: state, due date, who answered and how long it took.
    #[command(after_help = "Examples:\n  signoff pbc list\n  signoff pbc list --state overdue --json")]
    List(PbcListArgs),
    /// Open and overdue requests, and the measured time to answer.
    #[command(
        after_help = "Exits 1 when a request is overdue.\n\nExamples:\n  signoff pbc status\n  signoff pbc status --json"
    )]
    Status(PbcStatusArgs),
    /// One request with its answers; `--answer ID -o FILE` writes what was given.
    #[command(
        after_help = "Examples:\n  signoff pbc show REQ-12\n  signoff pbc show REQ-12 --answer 0193… -o population.csv"
    )]
    Show(PbcShowArgs),
}

#[derive(Debug, Args)]
pub(crate) struct PbcImportArgs {
    /// The request list (CSV; `-` for standard input).
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
    /// Who imports it (default: the git identity, then the OS user).
    #[arg(long)]
    pub(crate) actor: Option<String>,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Args)]
#[group(id = "with", required = true, multiple = false, args = ["query", "package", "report", "file"])]
pub(crate) struct PbcAnswerArgs {
    /// The request's id, as the auditor's list names it.
    #[arg(value_name = "REQUEST")]
    pub(crate) request: String,
    /// A saved query, run now (see the examples).
    #[arg(long, value_name = "QUERY")]
    pub(crate) query: Option<String>,
    /// An evidence package (`signoff export`), verified before it is given.
    #[arg(long, value_name = "FILE")]
    pub(crate) package: Option<PathBuf>,
    /// A report (`signoff report`, `audit trace --format html`, OSCAL).
    #[arg(long, value_name = "FILE")]
    pub(crate) report: Option<PathBuf>,
    /// Any other file.
    #[arg(long, value_name = "FILE")]
    pub(crate) file: Option<PathBuf>,
    /// A note to the auditor.
    #[arg(long)]
    pub(crate) note: Option<String>,
    /// Who answers (default: the git identity, then the OS user).
    #[arg(long)]
    pub(crate) actor: Option<String>,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct PbcListArgs {
    /// Only requests in this state.
    #[arg(long, value_enum, default_value_t = PbcStateArg::All)]
    pub(crate) state: PbcStateArg,
    /// The day the due dates are compared to (YYYY-MM-DD; default: today, UTC).
    #[arg(long, value_name = "DATE")]
    pub(crate) today: Option<String>,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

/// Which requests `pbc list` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PbcStateArg {
    /// Every request.
    All,
    /// Not answered yet (open or overdue).
    Open,
    /// Past due and not answered.
    Overdue,
    /// Answered.
    Answered,
}

#[derive(Debug, Args)]
pub(crate) struct PbcStatusArgs {
    /// The day the due dates are compared to (YYYY-MM-DD; default: today, UTC).
    #[arg(long, value_name = "DATE")]
    pub(crate) today: Option<String>,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct PbcShowArgs {
    /// The request's id.
    #[arg(value_name = "REQUEST")]
    pub(crate) request: String,
    /// Write the bytes of this answer (its id) instead of showing the request.
    #[arg(long, value_name = "ANSWER", requires = "output_file")]
    pub(crate) answer: Option<String>,
    /// Where to write the answer's bytes (`-`: standard output).
    #[arg(long = "output", short = 'o', id = "output_file", value_name = "FILE")]
    pub(crate) output_file: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}
