//! A release's life: create, show and list it, approve it, grant exceptions,
//! certify it, export or revoke its certificate, gate a deployment on it, and
//! replay its certification.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::JsonArg;

#[derive(Debug, Subcommand)]
pub(crate) enum ReleaseCommand {
    /// Create a release at a commit; evidence captured at that commit attaches to it.
    #[command(
        after_help = "Examples:\n  signoff release create shop@4.2.1 --artifact dist/shop.tar.gz\n  signoff release create shop@4.2.1 --commit 9f1c2e7 --artifact sha256:…"
    )]
    Create(ReleaseCreateArgs),
    /// Show a release and its evidence.
    #[command(after_help = "Examples:\n  signoff release show shop@4.2.1\n  signoff release show shop@4.2.1 --json")]
    Show(ReleaseShowArgs),
    /// List releases, newest first, with their verdicts.
    #[command(
        after_help = "Examples:\n  signoff release list\n  signoff release list --project shop --status rejected --json"
    )]
    List(ReleaseListArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ReleaseCreateArgs {
    /// The release, PROJECT@VERSION.
    #[arg(value_name = "PROJECT@VERSION")]
    pub(crate) release: String,
    /// The version, in the previous spelling `release create PROJECT VERSION`.
    #[arg(id = "legacy_version", value_name = "VERSION", hide = true)]
    pub(crate) legacy_version: Option<String>,
    /// The commit released (default: from CI, else HEAD of the git work tree here,
    /// or of --repo).
    #[arg(long)]
    pub(crate) commit: Option<String>,
    /// An artifact: a digest (sha256:<hex>), a file, a directory, an OCI layout or
    /// `docker inspect` output; repeat for each artifact.
    #[arg(long = "artifact", value_name = "ARTIFACT")]
    pub(crate) artifacts: Vec<String>,
    /// The git repository to read the release's commit (HEAD, short ids) and changes
    /// from (default: the current directory's).
    #[arg(long, value_name = "DIR")]
    pub(crate) repo: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct ReleaseShowArgs {
    /// The release, PROJECT@VERSION.
    #[arg(value_name = "PROJECT@VERSION")]
    pub(crate) release: String,
    /// The version, in the previous spelling `release show PROJECT VERSION`.
    #[arg(id = "legacy_version", value_name = "VERSION", hide = true)]
    pub(crate) legacy_version: Option<String>,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct ReleaseListArgs {
    /// Only this project.
    #[arg(long)]
    pub(crate) project: Option<String>,
    /// Only releases whose latest certificate says this (or never certified).
    #[arg(long, value_enum)]
    pub(crate) status: Option<ReleaseStatusArg>,
    /// At most this many releases.
    #[arg(long, default_value_t = 100)]
    pub(crate) limit: u64,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReleaseStatusArg {
    /// Certified.
    Certified,
    /// Rejected.
    Rejected,
    /// Never certified.
    Uncertified,
}

#[derive(Debug, Args)]
pub(crate) struct ApproveArgs {
    /// The release, PROJECT@VERSION.
    #[arg(value_name = "PROJECT@VERSION", required_unless_present = "legacy_release")]
    pub(crate) release: Option<String>,
    /// The previous spelling, `--release PROJECT@VERSION`.
    #[arg(long = "release", id = "legacy_release", value_name = "PROJECT@VERSION", hide = true)]
    pub(crate) legacy_release: Option<String>,
    /// Approve or reject.
    #[arg(long, value_enum, default_value_t = DecisionArg::Approve)]
    pub(crate) decision: DecisionArg,
    /// The role you decide in (release-manager, security, ...).
    #[arg(long)]
    pub(crate) role: String,
    /// Why.
    #[arg(long)]
    pub(crate) comment: Option<String>,
    /// Who you are (default: SIGNOFF_ACTOR, the CI actor, the git identity, the OS user).
    #[arg(long)]
    pub(crate) actor: Option<String>,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DecisionArg {
    /// Approve.
    Approve,
    /// Reject.
    Reject,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ExceptionCommand {
    /// Ask for an exception for one finding or one criterion.
    #[command(
        after_help = "Examples:\n  signoff exception request --finding sha256:… --reason \"false positive: test fixture\" --expires 2026-12-31\n  signoff exception request --criterion coverage --project shop --reason \"coverage tool broken (INC-88)\" --expires 2026-12-15"
    )]
    Request(ExceptionRequestArgs),
    /// Approve an exception (someone other than the requester).
    #[command(after_help = "Examples:\n  signoff exception approve EXC-3 --comment \"accepted until the fix ships\"")]
    Approve(ExceptionApproveArgs),
    /// List exceptions and their state.
    #[command(after_help = "Examples:\n  signoff exception list\n  signoff exception list --json")]
    List(ExceptionListArgs),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["finding", "criterion"])))]
pub(crate) struct ExceptionRequestArgs {
    /// The finding's fingerprint (sha256:..., from `signoff findings` or certify).
    #[arg(long)]
    pub(crate) finding: Option<String>,
    /// The criterion id.
    #[arg(long)]
    pub(crate) criterion: Option<String>,
    /// Only for this project (default: all projects).
    #[arg(long)]
    pub(crate) project: Option<String>,
    /// The justification.
    #[arg(long)]
    pub(crate) reason: String,
    /// When it stops applying: YYYY-MM-DD (end of day, UTC) or RFC 3339.
    #[arg(long)]
    pub(crate) expires: String,
    /// Who you are.
    #[arg(long)]
    pub(crate) actor: Option<String>,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct ExceptionApproveArgs {
    /// The exception id (EXC-n).
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
pub(crate) struct ExceptionListArgs {
    /// Print JSON lines, one exception per line.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CertifyArgs {
    /// The release, PROJECT@VERSION.
    #[arg(value_name = "PROJECT@VERSION", required_unless_present = "legacy_release")]
    pub(crate) release: Option<String>,
    /// The previous spelling, `--release PROJECT@VERSION`.
    #[arg(long = "release", id = "legacy_release", value_name = "PROJECT@VERSION", hide = true)]
    pub(crate) legacy_release: Option<String>,
    /// With --dry-run: predict under this policy file instead of the policy in
    /// force. A real certification uses only the published policy in force for
    /// the project (its pin, else the latest); publish a file with `signoff policy
    /// publish FILE`.
    #[arg(long, value_name = "FILE")]
    pub(crate) policy: Option<PathBuf>,
    /// Certify for this environment (criteria scoped to it apply).
    #[arg(long = "env", value_name = "ENV")]
    pub(crate) environment: Option<String>,
    /// Output form.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub(crate) format: ReportFormat,
    /// Predict the outcome without writing anything.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// With --dry-run: evaluate as of this date (YYYY-MM-DD or RFC 3339).
    #[arg(long, requires = "dry_run")]
    pub(crate) at: Option<String>,
    /// Who certifies (not needed for a dry run).
    #[arg(long)]
    pub(crate) actor: Option<String>,
    /// Print JSON (same as --format json).
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    /// For terminals.
    Text,
    /// Everything, as JSON.
    Json,
    /// For PR comments; also appended to $GITHUB_STEP_SUMMARY when set.
    Markdown,
    /// JUnit XML, one test case per criterion, for CI test views.
    Junit,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CertificateCommand {
    /// Show a release's latest certificate.
    #[command(after_help = "Examples:\n  signoff certificate show shop@4.2.1")]
    Show(CertificateArgs),
    /// Print the certificate's DSSE envelope (verifiable with any DSSE/in-toto tool).
    #[command(after_help = "Examples:\n  signoff certificate export shop@4.2.1 -o shop-4.2.1.dsse.json")]
    Export(CertificateExportArgs),
    /// Revoke a release's latest certificate: the gate stops honouring it.
    #[command(
        after_help = "Examples:\n  signoff certificate revoke shop@4.2.1 --reason \"built from a compromised runner\""
    )]
    Revoke(CertificateRevokeArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CertificateArgs {
    /// The release, PROJECT@VERSION.
    #[arg(value_name = "PROJECT@VERSION")]
    pub(crate) release: String,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct CertificateExportArgs {
    /// The release, PROJECT@VERSION.
    #[arg(value_name = "PROJECT@VERSION")]
    pub(crate) release: String,
    /// Write to this file (`-` or absent: standard output).
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct CertificateRevokeArgs {
    /// The release, PROJECT@VERSION.
    #[arg(value_name = "PROJECT@VERSION")]
    pub(crate) release: String,
    /// Why.
    #[arg(long)]
    pub(crate) reason: String,
    /// Who you are.
    #[arg(long)]
    pub(crate) actor: Option<String>,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct GateArgs {
    /// The artifact: a digest (sha256:<hex>), a file, a directory, an OCI layout or
    /// `docker inspect` output.
    #[arg(long, value_name = "ARTIFACT")]
    pub(crate) artifact: String,
    /// The environment being deployed to.
    #[arg(long = "env", value_name = "ENV")]
    pub(crate) environment: Option<String>,
    /// Who deploys: where the policy separates duties, the gate stays closed for
    /// someone who approved or authored the release.
    #[arg(long, value_name = "NAME")]
    pub(crate) deployer: Option<String>,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct ReplayArgs {
    /// The policy to replay with.
    #[arg(long, value_name = "FILE")]
    pub(crate) policy: PathBuf,
    /// Only certifications evaluated since this date.
    #[arg(long)]
    pub(crate) since: Option<String>,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}
