//! The grammar of the auditor's side: deployments and environment snapshots,
//! control coverage, trace, search and the standard questions, reports, metrics,
//! evidence packages, retention and legal holds.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

#[derive(Debug, Subcommand)]
pub(crate) enum DeployCommand {
    /// Record that a release was deployed to an environment.
    Record(DeployRecordArgs),
}

#[derive(Debug, Args)]
pub(crate) struct DeployRecordArgs {
    /// The release, PROJECT@VERSION.
    #[arg(long)]
    pub(crate) release: String,
    /// The environment.
    #[arg(long = "env", value_name = "ENV")]
    pub(crate) environment: String,
    /// Who deployed (default: the CI actor or OS user).
    #[arg(long)]
    pub(crate) actor: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum EnvCommand {
    /// Record the artifacts running in an environment; exit 1 if any was never certified for it.
    Snapshot(SnapshotArgs),
}

#[derive(Debug, Args)]
pub(crate) struct SnapshotArgs {
    /// The environment.
    #[arg(long = "env", value_name = "ENV")]
    pub(crate) environment: String,
    /// An artifact digest running there; repeat for each.
    #[arg(long = "artifact", value_name = "DIGEST", required = true)]
    pub(crate) artifacts: Vec<String>,
    /// Who reports it.
    #[arg(long)]
    pub(crate) actor: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ControlsCommand {
    /// Each control satisfied, partial or missing, with the evidence and every gap.
    Coverage(CoverageArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CoverageArgs {
    /// soc2, iso27001, pci-dss, hipaa, nist-800-53 (repeat; default: those in force).
    #[arg(long = "framework", value_name = "FRAMEWORK")]
    pub(crate) frameworks: Vec<String>,
    /// One release, PROJECT@VERSION.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub(crate) release: Option<String>,
    /// Releases created from this date (YYYY-MM-DD).
    #[arg(long)]
    pub(crate) from: Option<String>,
    /// ...up to this date, inclusive.
    #[arg(long)]
    pub(crate) to: Option<String>,
    /// Only this project.
    #[arg(long)]
    pub(crate) project: Option<String>,
    /// Output form.
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub(crate) format: TableFormat,
    /// Print JSON (same as --format json).
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TableFormat {
    /// A table for terminals.
    Table,
    /// JSON.
    Json,
    /// CSV.
    Csv,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Everything about one release: changes and reviewers, scans, tests, coverage,
    /// exceptions, approvals, certification, deployments.
    Trace(TraceArgs),
    /// Search evidence across releases.
    Search(SearchArgs),
    /// A standard audit question.
    #[command(subcommand)]
    Ask(AskCommand),
}

#[derive(Debug, Args)]
pub(crate) struct TraceArgs {
    /// The release, PROJECT@VERSION.
    pub(crate) release: String,
    /// Print JSON.
    #[arg(long, conflicts_with = "html")]
    pub(crate) json: bool,
    /// Write a self-contained HTML page to this file.
    #[arg(long, value_name = "FILE")]
    pub(crate) html: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct SearchArgs {
    /// Project.
    #[arg(long)]
    pub(crate) project: Option<String>,
    /// Evidence kind (sast, sca, test_results, ...).
    #[arg(long)]
    pub(crate) kind: Option<String>,
    /// Tool.
    #[arg(long)]
    pub(crate) tool: Option<String>,
    /// Only evidence with findings at least this severe.
    #[arg(long)]
    pub(crate) severity: Option<String>,
    /// Releases certified, rejected or uncertified.
    #[arg(long)]
    pub(crate) status: Option<String>,
    /// Releases approved by this actor.
    #[arg(long)]
    pub(crate) approver: Option<String>,
    /// Releases deployed to this environment.
    #[arg(long = "env", value_name = "ENV")]
    pub(crate) environment: Option<String>,
    /// Captured from this date.
    #[arg(long)]
    pub(crate) from: Option<String>,
    /// Captured up to this date, inclusive.
    #[arg(long)]
    pub(crate) to: Option<String>,
    /// At most this many rows.
    #[arg(long, default_value_t = 1000)]
    pub(crate) limit: u64,
    /// Output form.
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub(crate) format: TableFormat,
    /// Print JSON (same as --format json).
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AskCommand {
    /// Releases deployed (or artifacts running) without a valid certificate.
    DeployedWithoutCertification(PeriodEnvArgs),
    /// Security scan results captured in a period.
    ScansForPeriod(ScansArgs),
    /// Who approved, certified and deployed a release.
    WhoApproved(WhoArgs),
    /// The SOC 2 sampling population: each release deployed in a period, with its reviews, scans and approvals.
    Population(PeriodEnvArgs),
}

#[derive(Debug, Args)]
pub(crate) struct PeriodEnvArgs {
    /// The environment.
    #[arg(long = "env", value_name = "ENV", default_value = "prod")]
    pub(crate) environment: String,
    /// From this date.
    #[arg(long)]
    pub(crate) from: Option<String>,
    /// Up to this date, inclusive.
    #[arg(long)]
    pub(crate) to: Option<String>,
    /// Output form.
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub(crate) format: TableFormat,
    /// Print JSON (same as --format json).
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ScansArgs {
    /// From this date.
    #[arg(long)]
    pub(crate) from: Option<String>,
    /// Up to this date, inclusive.
    #[arg(long)]
    pub(crate) to: Option<String>,
    /// Only this project.
    #[arg(long)]
    pub(crate) project: Option<String>,
    /// Output form.
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub(crate) format: TableFormat,
    /// Print JSON (same as --format json).
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct WhoArgs {
    /// The release, PROJECT@VERSION.
    pub(crate) release: String,
    /// Output form.
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub(crate) format: TableFormat,
    /// Print JSON (same as --format json).
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// From this date (YYYY-MM-DD).
    #[arg(long)]
    pub(crate) from: Option<String>,
    /// Up to this date, inclusive.
    #[arg(long)]
    pub(crate) to: Option<String>,
    /// Only this project.
    #[arg(long)]
    pub(crate) project: Option<String>,
    /// Frameworks to cover (repeat; default: those in force).
    #[arg(long = "framework", value_name = "FRAMEWORK")]
    pub(crate) frameworks: Vec<String>,
    /// One release instead of a period: its trace page.
    #[arg(long, conflicts_with_all = ["from", "to", "project"])]
    pub(crate) release: Option<String>,
    /// html, json or csv.
    #[arg(long, value_enum, default_value_t = DocumentFormat::Html)]
    pub(crate) format: DocumentFormat,
    /// Write to this file (default: stdout).
    #[arg(long, short)]
    pub(crate) output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DocumentFormat {
    /// Self-contained HTML (inline CSS and SVG charts; prints well).
    Html,
    /// JSON.
    Json,
    /// CSV (the release lines).
    Csv,
}

#[derive(Debug, Args)]
pub(crate) struct MetricsArgs {
    /// From this date.
    #[arg(long)]
    pub(crate) from: Option<String>,
    /// Up to this date, inclusive.
    #[arg(long)]
    pub(crate) to: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// The release, PROJECT@VERSION.
    pub(crate) release: String,
    /// The zip to write.
    #[arg(long, short)]
    pub(crate) output: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyPackageArgs {
    /// The package.
    pub(crate) package: PathBuf,
    /// The verifier key to trust (`signoff key public --format note`, or a file
    /// holding it); without it only the package's internal consistency is checked.
    #[arg(long, value_name = "KEY")]
    pub(crate) key: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RetentionCommand {
    /// Purge raw evidence past retention and not on hold; the purge is ledgered.
    Apply(RetentionApplyArgs),
}

#[derive(Debug, Args)]
pub(crate) struct RetentionApplyArgs {
    /// Show what would be purged; change nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Only the blob of this evidence entry (refused within retention or on hold).
    #[arg(long, value_name = "ENTRY")]
    pub(crate) evidence: Option<u64>,
    /// Who purges.
    #[arg(long)]
    pub(crate) actor: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum HoldCommand {
    /// Place a hold on a project, or on one release of it.
    Place(HoldArgs),
    /// Lift a hold.
    Lift(HoldLiftArgs),
}

#[derive(Debug, Args)]
pub(crate) struct HoldArgs {
    /// Project.
    #[arg(long)]
    pub(crate) project: String,
    /// Only this release (its version).
    #[arg(id = "release_version", long = "release", value_name = "VERSION")]
    pub(crate) version: Option<String>,
    /// Why (the matter, the request).
    #[arg(long)]
    pub(crate) reason: String,
    /// Who.
    #[arg(long)]
    pub(crate) actor: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct HoldLiftArgs {
    /// The hold (HOLD-n).
    pub(crate) id: String,
    /// Project.
    #[arg(long)]
    pub(crate) project: String,
    /// Why.
    #[arg(long)]
    pub(crate) reason: String,
    /// Who.
    #[arg(long)]
    pub(crate) actor: Option<String>,
}
