//! The grammar of the auditor's side: deployments and environment snapshots,
//! control coverage, trace, search and the standard questions, reports, metrics,
//! evidence packages, retention and legal holds.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::JsonArg;

#[derive(Debug, Subcommand)]
pub(crate) enum DeployCommand {
    /// Record that a release was deployed to an environment.
    #[command(after_help = "Examples:\n  signoff deploy record shop@4.2.1 --env prod")]
    Record(DeployRecordArgs),
}

#[derive(Debug, Args)]
pub(crate) struct DeployRecordArgs {
    /// The release, PROJECT@VERSION.
    #[arg(value_name = "PROJECT@VERSION", required_unless_present = "legacy_release")]
    pub(crate) release: Option<String>,
    /// The previous spelling, `--release PROJECT@VERSION`.
    #[arg(long = "release", id = "legacy_release", value_name = "PROJECT@VERSION", hide = true)]
    pub(crate) legacy_release: Option<String>,
    /// The environment.
    #[arg(long = "env", value_name = "ENV")]
    pub(crate) environment: String,
    /// Who deployed (default: the CI actor, the git identity, the OS user).
    #[arg(long)]
    pub(crate) actor: Option<String>,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Subcommand)]
pub(crate) enum EnvCommand {
    /// Record the artifacts running in an environment; exit 1 if any was never certified for it.
    #[command(
        after_help = "Examples:\n  signoff env snapshot --env prod --artifact sha256:… --artifact sha256:…\n  kubectl get pods -n shop -o json | signoff env snapshot --env prod --input-format kubectl -\n  aws ecs describe-tasks --cluster prod --tasks $(aws ecs list-tasks --cluster prod --query 'taskArns[]' --output text) > tasks.json\n  signoff env snapshot --env prod --input-format ecs tasks.json"
    )]
    Snapshot(SnapshotArgs),
}

#[derive(Debug, Args)]
pub(crate) struct SnapshotArgs {
    /// The environment.
    #[arg(long = "env", value_name = "ENV")]
    pub(crate) environment: String,
    /// An artifact running there: a digest (sha256:<hex>), a file, a directory, an
    /// OCI layout or `docker inspect` output; repeat for each.
    #[arg(long = "artifact", value_name = "ARTIFACT", required_unless_present = "input")]
    pub(crate) artifacts: Vec<String>,
    /// The runtime's output to read what runs from (`-` for standard input), with
    /// `--input-format`.
    #[arg(value_name = "FILE")]
    pub(crate) input: Option<PathBuf>,
    /// What FILE is: `kubectl get pods -o json`, `docker inspect` of containers,
    /// or `aws ecs describe-tasks`.
    #[arg(long, value_enum, value_name = "RUNTIME")]
    pub(crate) input_format: Option<RuntimeArg>,
    /// Deprecated spelling of --input-format.
    #[arg(long = "from", value_enum, value_name = "RUNTIME", hide = true, conflicts_with = "input_format")]
    pub(crate) legacy_from: Option<RuntimeArg>,
    /// Who reports it.
    #[arg(long)]
    pub(crate) actor: Option<String>,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

/// A container runtime whose output `env snapshot --input-format` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RuntimeArg {
    /// `kubectl get pods -o json` (any namespace or `-A`).
    Kubectl,
    /// `docker inspect` of running containers.
    Docker,
    /// `aws ecs describe-tasks`.
    Ecs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ControlsCommand {
    /// Each control satisfied, partial or missing, with the evidence and every gap.
    #[command(
        after_help = "Examples:\n  signoff controls coverage --framework soc2 --from 2026-07-01 --to 2026-09-30\n  signoff controls coverage --release shop@4.2.1 --format csv -o coverage.csv"
    )]
    Coverage(CoverageArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CoverageArgs {
    /// soc2, iso27001, pci-dss, hipaa, nist-800-53 (repeat; default: those in force).
    #[arg(long = "framework", value_name = "FRAMEWORK")]
    pub(crate) frameworks: Vec<String>,
    /// One release, PROJECT@VERSION.
    #[arg(long, value_name = "PROJECT@VERSION", conflicts_with_all = ["from", "to"])]
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
    #[command(flatten)]
    pub(crate) output: TableOutput,
}

/// How a table is printed: `--format table|json|csv` (or `--json`), to a file with
/// `-o` (whose extension chooses the format when `--format` is not given).
#[derive(Debug, Clone, Args)]
pub(crate) struct TableOutput {
    /// Output form (default: table; or from the -o file's extension).
    #[arg(long, value_enum)]
    pub(crate) format: Option<TableFormat>,
    /// Print JSON (same as --format json).
    #[arg(long)]
    pub(crate) json: bool,
    /// Write to this file (`-`: standard output).
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// List at most this many rows (the output says how many it left out).
    #[arg(long)]
    pub(crate) limit: Option<u64>,
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
    #[command(
        after_help = "Examples:\n  signoff audit trace shop@4.2.1\n  signoff audit trace shop@4.2.1 --format html -o trace.html"
    )]
    Trace(TraceArgs),
    /// Search evidence across releases.
    #[command(
        after_help = "Examples:\n  signoff audit search --project shop --severity high --from 2026-07-01\n  signoff audit search --kind sast --status uncertified --format csv -o -"
    )]
    Search(SearchArgs),
    /// A standard audit question.
    #[command(
        subcommand,
        after_help = "Examples:\n  signoff audit ask who-approved shop@4.2.1\n  signoff audit ask population --env prod --from 2026-07-01 --to 2026-09-30\n  signoff audit ask deployed-without-certification --env prod --from 2026-07-01 --to 2026-09-30"
    )]
    Ask(AskCommand),
}

#[derive(Debug, Args)]
pub(crate) struct TraceArgs {
    /// The release, PROJECT@VERSION.
    #[arg(value_name = "PROJECT@VERSION")]
    pub(crate) release: String,
    /// Output form (default: text; or from the -o file's extension).
    #[arg(long, value_enum)]
    pub(crate) format: Option<TraceFormat>,
    /// Print JSON (same as --format json).
    #[arg(long)]
    pub(crate) json: bool,
    /// Write to this file (`-`: standard output).
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// The previous spelling of `--format html -o FILE`.
    #[arg(long, value_name = "FILE", hide = true, conflicts_with_all = ["output", "format", "json"])]
    pub(crate) html: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TraceFormat {
    /// For terminals.
    Text,
    /// JSON.
    Json,
    /// A self-contained HTML page.
    Html,
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
    #[command(flatten)]
    pub(crate) output: TableOutput,
    /// With --json: print one JSON document (columns, rows, how many more) rather
    /// than a JSON line per row as they are read.
    #[arg(long)]
    pub(crate) document: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AskCommand {
    /// Releases deployed (or artifacts running) without a valid certificate.
    #[command(
        after_help = "Examples:\n  signoff audit ask deployed-without-certification --env prod --from 2026-07-01 --to 2026-09-30"
    )]
    DeployedWithoutCertification(PeriodEnvArgs),
    /// Security scan results captured in a period.
    #[command(
        after_help = "Examples:\n  signoff audit ask scans-for-period --from 2026-07-01 --to 2026-09-30 -o scans.csv"
    )]
    ScansForPeriod(ScansArgs),
    /// Who approved, certified and deployed a release.
    #[command(after_help = "Examples:\n  signoff audit ask who-approved shop@4.2.1")]
    WhoApproved(WhoArgs),
    /// The SOC 2 sampling population: each release deployed in a period, with its reviews, scans and approvals.
    #[command(
        after_help = "Examples:\n  signoff audit ask population --env prod --from 2026-07-01 --to 2026-09-30 --format csv -o population.csv"
    )]
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
    #[command(flatten)]
    pub(crate) output: TableOutput,
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
    #[command(flatten)]
    pub(crate) output: TableOutput,
    /// With --json: print one JSON document (columns, rows, how many more) rather
    /// than a JSON line per row as they are read.
    #[arg(long)]
    pub(crate) document: bool,
}

#[derive(Debug, Args)]
pub(crate) struct WhoArgs {
    /// The release, PROJECT@VERSION.
    #[arg(value_name = "PROJECT@VERSION")]
    pub(crate) release: String,
    #[command(flatten)]
    pub(crate) output: TableOutput,
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
    /// One release instead of a period: its trace page, PROJECT@VERSION.
    #[arg(long, value_name = "PROJECT@VERSION", conflicts_with_all = ["from", "to", "project"])]
    pub(crate) release: Option<String>,
    /// html, json or csv (default: html; or from the -o file's extension).
    #[arg(long, value_enum)]
    pub(crate) format: Option<DocumentFormat>,
    /// Print JSON (same as --format json).
    #[arg(long)]
    pub(crate) json: bool,
    /// Write to this file (`-` or absent: standard output).
    #[arg(long, short, value_name = "FILE")]
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
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct InventoryArgs {
    /// Only this project (default: every project with evidence).
    #[arg(long)]
    pub(crate) project: Option<String>,
    /// A source absent from each of this many latest releases is silent.
    #[arg(long, default_value_t = signoff_app::inventory::DEFAULT_SILENT_AFTER, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub(crate) silent_after: u64,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// The release, PROJECT@VERSION.
    #[arg(value_name = "PROJECT@VERSION")]
    pub(crate) release: String,
    /// The zip to write (`-`: standard output).
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: PathBuf,
    #[command(flatten)]
    pub(crate) json: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyPackageArgs {
    /// The package (`-`: standard input).
    pub(crate) package: PathBuf,
    /// The verifier key to trust (`signoff key public --format note`, a file holding
    /// it, or `-` for standard input); without it only the package's internal
    /// consistency is checked.
    #[arg(long, value_name = "KEY")]
    pub(crate) key: Option<String>,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RetentionCommand {
    /// Purge raw evidence past retention and not on hold; the purge is ledgered.
    #[command(after_help = "Examples:\n  signoff retention apply --dry-run\n  signoff retention apply --evidence 1234")]
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
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Subcommand)]
pub(crate) enum HoldCommand {
    /// Place a hold on a project, or on one release of it.
    #[command(
        after_help = "Examples:\n  signoff hold place --project shop --reason \"litigation hold, matter 2026-17\"\n  signoff hold place --release shop@4.2.1 --reason \"incident INC-88\""
    )]
    Place(HoldArgs),
    /// Lift a hold.
    #[command(after_help = "Examples:\n  signoff hold lift HOLD-1 --project shop --reason \"matter closed\"")]
    Lift(HoldLiftArgs),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("held").required(true).multiple(true).args(["project", "release"])))]
pub(crate) struct HoldArgs {
    /// Project.
    #[arg(long)]
    pub(crate) project: Option<String>,
    /// Only this release, PROJECT@VERSION.
    #[arg(long, value_name = "PROJECT@VERSION")]
    pub(crate) release: Option<String>,
    /// Why (the matter, the request).
    #[arg(long)]
    pub(crate) reason: String,
    /// Who.
    #[arg(long)]
    pub(crate) actor: Option<String>,
    #[command(flatten)]
    pub(crate) output: JsonArg,
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
    #[command(flatten)]
    pub(crate) output: JsonArg,
}
