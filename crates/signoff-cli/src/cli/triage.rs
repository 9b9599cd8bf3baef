//! `signoff triage`: a finding's disposition (D3), its approval and the list.

use clap::{Args, Subcommand, ValueEnum};

use super::JsonArg;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct TriageArgs {
    #[command(subcommand)]
    pub(crate) command: Option<TriageCommand>,
    /// The finding: its fingerprint (sha256:…) or at least 8 of its hex digits, as
    /// `signoff findings --project P` shows it.
    #[arg(value_name = "FINDING", required = true)]
    pub(crate) finding: Option<String>,
    /// The decision.
    #[arg(long = "as", value_enum, value_name = "DISPOSITION", required = true)]
    pub(crate) disposition: Option<DispositionArg>,
    /// The project whose finding it is.
    #[arg(long, required = true)]
    pub(crate) project: Option<String>,
    /// Why, in your words (at least 10 characters).
    #[arg(long, required = true)]
    pub(crate) reason: Option<String>,
    /// Why not affected, one of OpenVEX's (required with --as not-affected).
    #[arg(long, value_enum)]
    pub(crate) justification: Option<JustificationArg>,
    /// When it stops applying: YYYY-MM-DD (end of day, UTC) or RFC 3339 (required
    /// with --as accepted-risk).
    #[arg(long)]
    pub(crate) expires: Option<String>,
    /// Who you are.
    #[arg(long)]
    pub(crate) actor: Option<String>,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DispositionArg {
    /// The tool was wrong: the problem is not there.
    FalsePositive,
    /// The problem is there but does not affect the product (give --justification).
    NotAffected,
    /// The risk is accepted until --expires: an exception for the finding, which
    /// a human other than you must approve.
    AcceptedRisk,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub(crate) enum JustificationArg {
    /// The vulnerable component is not in the product.
    ComponentNotPresent,
    /// The component is there, the vulnerable code is not.
    VulnerableCodeNotPresent,
    /// The vulnerable code cannot be executed.
    VulnerableCodeNotInExecutePath,
    /// The vulnerable code cannot be reached by an attacker's input.
    VulnerableCodeCannotBeControlledByAdversary,
    /// Built-in protections prevent exploitation.
    InlineMitigationsAlreadyExist,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TriageCommand {
    /// Approve a triage decision (someone other than the requester).
    #[command(after_help = "Examples:\n  signoff triage approve TRI-3 --comment \"checked: the fixture never ships\"")]
    Approve(TriageApproveArgs),
    /// List triage decisions and their state.
    #[command(after_help = "Examples:\n  signoff triage list --project shop\n  signoff triage list --json")]
    List(TriageListArgs),
}

#[derive(Debug, Args)]
pub(crate) struct TriageApproveArgs {
    /// The decision's id (TRI-n).
    pub(crate) id: String,
    /// A comment.
    #[arg(long)]
    pub(crate) comment: Option<String>,
    /// Who you are.
    #[arg(long)]
    pub(crate) actor: Option<String>,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct TriageListArgs {
    /// Only this project's decisions.
    #[arg(long)]
    pub(crate) project: Option<String>,
    /// Print JSON lines, one decision per line.
    #[arg(long)]
    pub(crate) json: bool,
}
