//! The command-line grammar (clap). What the user typed, validated; no I/O.
//!
//! One grammar everywhere: a release is `PROJECT@VERSION`, positional where it is
//! the command's subject (`certify shop@4.2.1`) and `--release PROJECT@VERSION`
//! where it qualifies (`capture --release shop@4.2.1`); every command that prints
//! takes `--json` (and `--format` where it has other forms); input formats are
//! `--input-format`; `-` names standard input or output. Spellings of the previous
//! release still parse (hidden) and warn; `tests/it/grammar.rs` walks every help
//! page and checks the rules.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod audit;
mod capture;
mod docs;
mod pbc;
pub(crate) mod policy_pin;
mod release;
mod server;
mod sync;
mod triage;

pub(crate) use audit::*;
pub(crate) use capture::*;
pub(crate) use docs::*;
pub(crate) use pbc::*;
pub(crate) use release::*;
pub(crate) use server::*;
pub(crate) use sync::*;
pub(crate) use triage::*;

const AFTER_HELP: &str = "\
Examples:
  signoff init
  signoff capture bandit.sarif junit.xml --project shop
  signoff release create shop@4.2.1 --artifact dist/shop.tar.gz
  signoff certify shop@4.2.1
  signoff gate --artifact sha256:9f1c… --env prod

Exit codes:
  0  success
  1  the answer is no (not certified, gate closed, ledger failed verification)
  2  error (bad input, bad arguments, no store)

The store is the nearest .signoff folder in this directory or a parent, unless
--store or SIGNOFF_HOME names another. NO_COLOR turns colour off. Set
SIGNOFF_LOG=debug for diagnostic logs on stderr.";

/// signoff turns what CI pipelines produce (scans, tests, coverage, reviews) into
/// release-bound, tamper-evident compliance evidence.
#[derive(Debug, Parser)]
#[command(name = "signoff", version = crate::VERSION, long_version = crate::long_version(), after_help = AFTER_HELP, propagate_version = true)]
pub(crate) struct Cli {
    /// The store folder (default: the nearest .signoff in this folder or a parent).
    #[arg(long, global = true, env = "SIGNOFF_HOME", value_name = "DIR")]
    pub(crate) store: Option<PathBuf>,

    /// Print only what was asked for: no progress, notes or success lines.
    #[arg(long, short, global = true)]
    pub(crate) quiet: bool,

    /// When to colour output: auto (a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub(crate) color: ColorChoice,

    /// Filter JSON output through a jq expression (implies --json), as `gh --jq` does.
    #[arg(long, global = true, value_name = "EXPR")]
    pub(crate) jq: Option<String>,

    /// Work against this signoff server instead of a local store (capture, release
    /// create, approve, certify, gate, deploy record, env snapshot, export, findings,
    /// audit, controls coverage).
    #[arg(long, global = true, env = "SIGNOFF_SERVER", value_name = "URL")]
    pub(crate) server: Option<String>,

    /// The server's access token (prefer SIGNOFF_TOKEN: a flag stays in shell history).
    #[arg(long, global = true, env = "SIGNOFF_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    pub(crate) token: Option<String>,

    /// Also trust these PEM certificates (a private CA's) for an https:// --server,
    /// besides the system's roots.
    #[arg(long, global = true, env = "SIGNOFF_CA_CERT", value_name = "FILE")]
    pub(crate) ca_cert: Option<PathBuf>,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create a store: a SQLite database, a blob folder, a signing key and signoff.toml.
    #[command(
        after_help = "Examples:\n  signoff init\n  signoff init --database postgres://signoff@db.internal/signoff"
    )]
    Init(InitArgs),
    /// Record evidence files (SARIF, JUnit, ...) for a project and commit.
    #[command(
        after_help = "Examples:\n  signoff capture bandit.sarif junit.xml coverage.xml\n  signoff capture trivy.json --project shop --commit \"$SHA\"\n  trivy image -f json app:latest | signoff capture - --project shop\n\nIn CI the project, commit, run and actor come from the environment; in a git\nwork tree the commit defaults to HEAD."
    )]
    Capture(CaptureArgs),
    /// Show what capture would record, without storing anything.
    #[command(after_help = "Examples:\n  signoff inspect results.sarif\n  cat junit.xml | signoff inspect - --json")]
    Inspect(InspectArgs),
    /// Create, show and list releases.
    #[command(
        subcommand,
        after_help = "Examples:\n  signoff release create shop@4.2.1 --artifact dist/shop.tar.gz\n  signoff release show shop@4.2.1\n  signoff release list --project shop --status uncertified"
    )]
    Release(ReleaseCommand),
    /// List a project's findings across runs: first seen, last seen, fixed in.
    #[command(
        after_help = "Examples:\n  signoff findings --project shop\n  signoff findings --project shop --release shop@4.2.1 --status open --json"
    )]
    Findings(FindingsArgs),
    /// Write, check and publish certification policies.
    #[command(
        subcommand,
        after_help = "Examples:\n  signoff policy init\n  signoff policy check signoff-policy.yaml\n  signoff policy publish signoff-policy.yaml\n  signoff policy pin shop --latest --reason \"Q4 audit closed\""
    )]
    Policy(PolicyCommand),
    /// Approve (or reject) a release, bound to its exact content.
    #[command(
        after_help = "Examples:\n  signoff approve shop@4.2.1 --role release-manager\n  signoff approve shop@4.2.1 --role security --decision reject --comment \"CVE-2026-1234 open\""
    )]
    Approve(ApproveArgs),
    /// Request, approve and list exceptions (time-boxed risk acceptances).
    #[command(
        subcommand,
        after_help = "Examples:\n  signoff exception request --finding sha256:… --reason \"fix ships in 4.3\" --expires 2026-12-31\n  signoff exception list\n  signoff exception approve EXC-3"
    )]
    Exception(ExceptionCommand),
    /// Triage a finding: false positive, not affected or accepted risk (D3).
    #[command(
        after_help = "Examples:\n  signoff triage 3f9a1c0e --project shop --as false-positive --reason \"test fixture, never deployed\"\n  signoff triage sha256:3f9a… --project shop --as not-affected --justification vulnerable_code_not_in_execute_path --reason \"the parser is not used\"\n  signoff triage 3f9a1c0e --project shop --as accepted-risk --reason \"fix ships in 4.3 (JIRA-88)\" --expires 2026-12-31\n  signoff triage approve TRI-3\n  signoff triage list --project shop\n\nThe decision carries to every later scan that reports the same finding. An\naccepted risk, and any decision where the policy says `triage: {approval: required}`,\napplies once a human other than you approves it."
    )]
    Triage(TriageArgs),
    /// Certify a release against policy: exit 0 certified, 1 not certified, 2 error.
    #[command(
        after_help = "Examples:\n  signoff certify shop@4.2.1\n  signoff certify shop@4.2.1 --dry-run --at 2026-12-31\n  signoff certify shop@4.2.1 --env prod --format markdown >> \"$GITHUB_STEP_SUMMARY\""
    )]
    Certify(CertifyArgs),
    /// Show, export or revoke a release's certificate (a signed DSSE envelope).
    #[command(
        subcommand,
        after_help = "Examples:\n  signoff certificate show shop@4.2.1\n  signoff certificate export shop@4.2.1 -o shop-4.2.1.dsse.json\n  signoff certificate export shop@4.2.1 --jq '.payload | @base64d | fromjson | .subject'"
    )]
    Certificate(CertificateCommand),
    /// Deploy gate: exit 0 only if a valid certificate covers the artifact.
    #[command(
        after_help = "Examples:\n  signoff gate --artifact sha256:9f1c… --env prod\n  signoff gate --artifact dist/shop.tar.gz --env staging --json"
    )]
    Gate(GateArgs),
    /// Re-evaluate past certifications under another policy; writes nothing.
    #[command(after_help = "Examples:\n  signoff replay --policy stricter.yaml --since 2026-01-01")]
    Replay(ReplayArgs),
    /// Record deployments of releases to environments.
    #[command(
        subcommand,
        after_help = "Examples:\n  signoff deploy record shop@4.2.1 --env prod\n  signoff deploy record shop@4.2.1 --env staging --json"
    )]
    Deploy(DeployCommand),
    /// Report what runs in an environment; anything never certified is flagged.
    #[command(
        subcommand,
        after_help = "Examples:\n  signoff env snapshot --env prod --artifact sha256:…\n  kubectl get pods -A -o json | signoff env snapshot --env prod -"
    )]
    Env(EnvCommand),
    /// Control coverage per framework (SOC 2, ISO 27001, PCI DSS, HIPAA, NIST 800-53).
    #[command(
        subcommand,
        after_help = "Examples:\n  signoff controls coverage --framework soc2 --from 2026-07-01 --to 2026-09-30\n  signoff controls coverage --release shop@4.2.1 --json"
    )]
    Controls(ControlsCommand),
    /// Answer auditors: release trace, search, and the standard questions.
    #[command(
        subcommand,
        after_help = "Examples:\n  signoff audit trace shop@4.2.1\n  signoff audit search --project shop --severity high --from 2026-07-01\n  signoff audit ask who-approved shop@4.2.1"
    )]
    Audit(AuditCommand),
    /// The auditor's request list (PBC): import it, answer each request, see what is open.
    #[command(
        subcommand,
        after_help = "Examples:\n  signoff pbc import requests.csv\n  signoff pbc answer REQ-12 --query \"population env=prod from=2026-07-01 to=2026-09-30\"\n  signoff pbc status"
    )]
    Pbc(PbcCommand),
    /// A self-contained report for a period, framework or project (HTML, JSON, CSV).
    #[command(
        after_help = "Examples:\n  signoff report --from 2026-07-01 --to 2026-09-30 -o q3.html\n  signoff report --release shop@4.2.1 --format json -o -"
    )]
    Report(ReportArgs),
    /// Metrics: first-attempt pass rate, evidence completeness, time to fix, exceptions.
    #[command(after_help = "Examples:\n  signoff metrics --from 2026-07-01 --to 2026-09-30")]
    Metrics(MetricsArgs),
    /// Every source of evidence per project: when it last reported, the releases lacking it, gaps.
    #[command(
        after_help = "Exits 1 when a source is silent (absent from each of the last --silent-after releases).\n\nExamples:\n  signoff inventory\n  signoff inventory --project shop --silent-after 5 --json"
    )]
    Inventory(InventoryArgs),
    /// Export a release's evidence package: a deterministic zip an auditor verifies offline.
    #[command(
        after_help = "Examples:\n  signoff export shop@4.2.1 -o shop-4.2.1.zip\n  signoff export shop@4.2.1 -o - | ssh auditor 'cat > shop.zip'"
    )]
    Export(ExportArgs),
    /// Verify an evidence package offline, without a store.
    #[command(
        after_help = "Examples:\n  signoff verify-package shop-4.2.1.zip --key \"$(signoff key public --format note)\"\n  signoff verify-package shop-4.2.1.zip --key trusted-key.txt --json"
    )]
    VerifyPackage(VerifyPackageArgs),
    /// Retention: purge raw evidence past retention, keeping hashes and the ledger.
    #[command(subcommand, after_help = "Examples:\n  signoff retention apply --dry-run\n  signoff retention apply")]
    Retention(RetentionCommand),
    /// Legal holds on a project or release: held evidence is never purged.
    #[command(
        subcommand,
        after_help = "Examples:\n  signoff hold place --project shop --reason \"litigation hold, matter 2026-17\"\n  signoff hold lift HOLD-1 --project shop --reason \"matter closed\""
    )]
    Hold(HoldCommand),
    /// Verify the ledger, print checkpoints, prove inclusion and consistency.
    #[command(
        subcommand,
        after_help = "Examples:\n  signoff ledger verify\n  signoff ledger checkpoint > kept-checkpoint.txt\n  signoff ledger prove 42"
    )]
    Ledger(LedgerCommand),
    /// Print the ledger's public key, for people who verify signoff's signatures.
    #[command(
        subcommand,
        after_help = "Examples:\n  signoff key public > signoff.pub.pem\n  signoff key public --format note"
    )]
    Key(KeyCommand),
    /// Serve this store over HTTP to pipelines, people and auditors, with scoped tokens.
    #[command(
        after_help = "Examples:\n  signoff serve\n  signoff serve --listen 0.0.0.0:8437 --tls-cert /etc/signoff/cert.pem --tls-key /etc/signoff/key.pem\n  signoff serve --listen 0.0.0.0:8437   # behind a TLS proxy\n  signoff serve --listen 127.0.0.1:0 --json   # prints {\"listening\": \"http://127.0.0.1:40123\", ...}\n\nRequests carry `Authorization: Bearer <token>` (see `signoff token create`).\nThe API is described at /api/openapi.json; logs are JSON lines on stderr\n(SIGNOFF_LOG=debug for more)."
    )]
    Serve(ServeArgs),
    /// Issue, list, revoke and rotate the server's access tokens.
    #[command(
        subcommand,
        after_help = "Examples:\n  signoff token create --name ci-shop --scope capture,release --project shop --expires 90d\n  signoff token list\n  signoff token revoke 3f9a0c2e71b4d856"
    )]
    Token(TokenCommand),
    /// Captures kept on this machine while the server was out of reach.
    #[command(subcommand, after_help = "Examples:\n  signoff outbox status\n  signoff outbox flush")]
    Outbox(OutboxCommand),
    /// Deliver evidence to GRC tools (Vanta, Drata, webhooks, a folder), exactly once.
    #[command(
        subcommand,
        after_help = "Examples:\n  signoff sync add vanta --client-id b2f1c0 --client-secret-env VANTA_SECRET\n  signoff sync status\n  signoff sync run --once"
    )]
    Sync(SyncCommand),
    /// OSCAL assessment results of releases, for assessors and GRC tools.
    #[command(
        subcommand,
        after_help = "Examples:\n  signoff oscal export --release shop@4.2.1 -o ar.json\n  signoff oscal export --from 2026-07-01 --to 2026-09-30 --framework soc2 -o q3-ar.json"
    )]
    Oscal(OscalCommand),
    /// VEX documents (OpenVEX, CycloneDX) of a project's finding dispositions.
    #[command(
        subcommand,
        after_help = "Examples:\n  signoff vex export --project shop --format openvex -o shop.vex.json"
    )]
    Vex(VexCommand),
    /// Walk through signoff on the example app's real pipeline outputs.
    #[command(after_help = "Examples:\n  signoff demo\n  signoff demo --keep ./demo-store")]
    Demo(DemoArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Examples:\n  signoff completions bash > /etc/bash_completion.d/signoff\n  signoff completions zsh > \"${fpath[1]}/_signoff\"\n  signoff completions fish > ~/.config/fish/completions/signoff.fish"
    )]
    Completions(CompletionsArgs),
    /// Write the manual pages: signoff(1) and one page per subcommand.
    #[command(after_help = "Examples:\n  signoff man --dir /usr/local/share/man/man1\n  signoff man | man -l -")]
    Man(ManArgs),
    /// Print the JSON Schema of a command's `--json` output (docs/schemas/).
    #[command(
        after_help = "Examples:\n  signoff schema --list\n  signoff schema findings\n  signoff schema --dir ./schemas"
    )]
    Schema(SchemaArgs),
}

/// `--json`: for commands whose only output forms are text and JSON.
#[derive(Debug, Clone, Copy, Args)]
pub(crate) struct JsonArg {
    /// Print JSON (documented in docs/schemas/).
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// The checkpoint origin (log name); default `signoff.local/<uuid>`.
    #[arg(long)]
    pub(crate) origin: Option<String>,
    /// Keep the ledger in PostgreSQL (postgres://...) instead of SQLite in the store
    /// folder; written to the folder's signoff.toml (SIGNOFF_DATABASE_URL overrides).
    #[arg(long, value_name = "URL")]
    pub(crate) database: Option<String>,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PolicyCommand {
    /// Write a commented starter policy (SAST and tests required, no critical or high
    /// findings, tests pass, every change reviewed).
    #[command(
        after_help = "Examples:\n  signoff policy init\n  signoff policy init our-policy.yaml --force\n  signoff policy init - | less"
    )]
    Init(PolicyInitArgs),
    /// Validate a policy and publish it: digested, versioned, ledgered; certify then
    /// uses it by default.
    #[command(after_help = "Examples:\n  signoff policy publish signoff-policy.yaml")]
    Publish(PolicyPublishArgs),
    /// Check a policy file without publishing it.
    #[command(
        after_help = "Examples:\n  signoff policy check signoff-policy.yaml\n  git show main:signoff-policy.yaml | signoff policy check -"
    )]
    Check(PolicyPublishArgs),
    /// Pin a project to a published policy version (or unpin it): ledgered;
    /// certification and the gate then use that version for the project.
    #[command(
        after_help = "Examples:\n  signoff policy pin shop --policy shop-release-gate --policy-version 2 --reason \"audited for Q4\"\n  signoff policy pin shop --latest --reason \"Q4 audit closed\""
    )]
    Pin(policy_pin::PolicyPinArgs),
}

#[derive(Debug, Args)]
pub(crate) struct PolicyInitArgs {
    /// Where to write it (`-`: standard output).
    #[arg(default_value = "signoff-policy.yaml")]
    pub(crate) path: PathBuf,
    /// Overwrite an existing file.
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct PolicyPublishArgs {
    /// The policy file (`-`: standard input; its Rego files are then read from here).
    pub(crate) path: PathBuf,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Subcommand)]
pub(crate) enum LedgerCommand {
    /// Recompute every hash and the Merkle tree against every signed checkpoint.
    #[command(
        after_help = "Examples:\n  signoff ledger verify\n  signoff ledger verify --checkpoint kept-checkpoint.txt --json"
    )]
    Verify(VerifyArgs),
    /// Print the latest signed checkpoint (C2SP signed note).
    #[command(after_help = "Examples:\n  signoff ledger checkpoint > kept-checkpoint.txt")]
    Checkpoint(CheckpointArgs),
    /// Prove an entry is in the ledger, or that an older checkpoint is a prefix of a newer one.
    #[command(
        after_help = "Examples:\n  signoff ledger prove 42\n  signoff ledger prove 42 --format tlog-proof\n  signoff ledger prove --consistency 100"
    )]
    Prove(ProveArgs),
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// Also check against a checkpoint kept outside the store (a file with the signed
    /// note; `-`: standard input).
    #[arg(long, value_name = "FILE")]
    pub(crate) checkpoint: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct CheckpointArgs {
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["entry", "consistency"])))]
pub(crate) struct ProveArgs {
    /// The entry to prove included.
    pub(crate) entry: Option<u64>,
    /// Prove the checkpoint at this size consistent with the one at --size.
    #[arg(long, value_name = "OLD_SIZE")]
    pub(crate) consistency: Option<u64>,
    /// The checkpoint (tree size) to prove against; default the latest.
    #[arg(long)]
    pub(crate) size: Option<u64>,
    /// Output form.
    #[arg(long, value_enum, default_value_t = ProofFormat::Text)]
    pub(crate) format: ProofFormat,
    /// Print JSON (same as --format json).
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProofFormat {
    /// A summary for people.
    Text,
    /// Everything, as JSON.
    Json,
    /// The C2SP tlog-proof text (inclusion proofs only).
    TlogProof,
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeyCommand {
    /// Print the public key.
    #[command(after_help = "Examples:\n  signoff key public > signoff.pub.pem\n  signoff key public --format note")]
    Public(KeyPublicArgs),
}

#[derive(Debug, Args)]
pub(crate) struct KeyPublicArgs {
    /// PEM (SubjectPublicKeyInfo) or the C2SP note verifier key.
    #[arg(long, value_enum, default_value_t = KeyFormat::Pem)]
    pub(crate) format: KeyFormat,
    /// Print JSON with both forms.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum KeyFormat {
    /// SPKI PEM, as cosign, OpenSSL and securesystemslib read it.
    Pem,
    /// `name+keyid+base64` verifier key for signed notes.
    Note,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
