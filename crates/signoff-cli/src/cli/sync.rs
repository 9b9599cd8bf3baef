//! The grammar of the GRC side: `signoff sync`, `signoff oscal`, `signoff vex`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::JsonArg;

#[derive(Debug, Subcommand)]
pub(crate) enum SyncCommand {
    /// Add a destination (written to signoff.toml; secrets only as references).
    #[command(
        subcommand,
        after_help = "Examples:\n  signoff sync add vanta --client-id b2f1c0 --client-secret-env VANTA_SECRET\n  signoff sync add drata --api-key-env DRATA_KEY --workspace 1\n  signoff sync add webhook --url https://grc.example.com/hook --secret-env HOOK_SECRET\n  signoff sync add folder --path /mnt/evidence-drop"
    )]
    Add(SyncAddCommand),
    /// Remove a destination from signoff.toml (its delivery history stays).
    #[command(after_help = "Examples:\n  signoff sync remove vanta")]
    Remove(SyncNameArgs),
    /// List the configured destinations (secrets shown as the references they are).
    #[command(after_help = "Examples:\n  signoff sync list\n  signoff sync list --json")]
    List(JsonArg),
    /// Per destination: sent, pending, failing (why, since when), given up.
    #[command(after_help = "Examples:\n  signoff sync status\n  signoff sync status --json")]
    Status(JsonArg),
    /// Deliver the outbox: with --once until nothing is pending, else until Ctrl-C.
    #[command(
        after_help = "Examples:\n  signoff sync run --once\n  signoff sync run --once --timeout 30m --json\n  signoff sync run          # keeps delivering until Ctrl-C (signoff serve does it too)\n\nExit code 1 when a delivery was given up or is still pending at --timeout."
    )]
    Run(SyncRunArgs),
    /// List what a destination holds, then send what it lacks.
    #[command(after_help = "Examples:\n  signoff sync reconcile vanta\n  signoff sync reconcile hook --json")]
    Reconcile(SyncNameArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum SyncAddCommand {
    /// Vanta: OAuth client credentials, a custom resource and document uploads.
    #[command(
        after_help = "Examples:\n  signoff sync add vanta --client-id b2f1c0 --client-secret-env VANTA_SECRET --document-map soc2-documents.yaml\n  signoff sync add vanta --name vanta-gov --gov --client-id b2f1c0 --client-secret-file /run/secrets/vanta\n\nThe document map is `framework` or `framework:control` to a Vanta document id,\none `key: value` per line:\n  soc2: change-management-evidence\n  soc2:CC6.1: access-requests"
    )]
    Vanta(VantaArgs),
    /// Drata: an API key, evidence with its files and control ids (v2 API).
    #[command(
        after_help = "Examples:\n  signoff sync add drata --api-key-env DRATA_KEY --workspace 1\n  signoff sync add drata --name drata-eu --api-key-file /run/secrets/drata --workspace 1 --region eu --control soc2:CC8.1=DCF-37"
    )]
    Drata(DrataArgs),
    /// A webhook signed as Standard Webhooks 1.0 specifies.
    #[command(
        after_help = "Examples:\n  signoff sync add webhook --url https://grc.example.com/hook --secret-env HOOK_SECRET\n  signoff sync add webhook --name audit-hook --url https://grc.example.com/hook --secret-file /run/secrets/hook --list-url https://grc.example.com/hook/list\n\nPrivate and loopback addresses are refused unless signoff.toml has\n[sync] allow_private_networks = true."
    )]
    Webhook(WebhookArgs),
    /// A folder: one JSON file per artifact, written atomically.
    #[command(
        after_help = "Examples:\n  signoff sync add folder --path /mnt/evidence-drop\n  signoff sync add folder --name nas --path /srv/grc/inbox --json"
    )]
    Folder(FolderArgs),
}

/// What every `sync add` takes.
#[derive(Debug, Args)]
pub(crate) struct AddCommon {
    /// The destination's name (default: its type).
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// Write it without building it now (its secret need not be readable yet).
    #[arg(long)]
    pub(crate) unchecked: bool,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("secret").required(true).args(["client_secret_env", "client_secret_file"])))]
pub(crate) struct VantaArgs {
    /// The OAuth client id.
    #[arg(long)]
    pub(crate) client_id: String,
    /// The environment variable holding the client secret.
    #[arg(long, value_name = "VAR")]
    pub(crate) client_secret_env: Option<String>,
    /// A file holding the client secret.
    #[arg(long, value_name = "FILE")]
    pub(crate) client_secret_file: Option<PathBuf>,
    /// The custom resource type's id in Vanta.
    #[arg(long, default_value = "signoff-release-controls")]
    pub(crate) resource_id: String,
    /// A file mapping `framework` or `framework:control` to Vanta document ids.
    #[arg(long, value_name = "FILE")]
    pub(crate) document_map: Option<PathBuf>,
    /// Vanta's Gov cloud.
    #[arg(long)]
    pub(crate) gov: bool,
    /// Another base URL (a proxy).
    #[arg(long, value_name = "URL")]
    pub(crate) base_url: Option<String>,
    #[command(flatten)]
    pub(crate) common: AddCommon,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Region {
    /// United States.
    Us,
    /// Europe.
    Eu,
    /// Asia-Pacific.
    Apac,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("secret").required(true).args(["api_key_env", "api_key_file"])))]
pub(crate) struct DrataArgs {
    /// The environment variable holding the API key.
    #[arg(long, value_name = "VAR")]
    pub(crate) api_key_env: Option<String>,
    /// A file holding the API key.
    #[arg(long, value_name = "FILE")]
    pub(crate) api_key_file: Option<PathBuf>,
    /// The workspace id.
    #[arg(long)]
    pub(crate) workspace: u64,
    /// The region.
    #[arg(long, value_enum, default_value_t = Region::Us)]
    pub(crate) region: Region,
    /// `framework:control=DRATA-ID[,DRATA-ID]` (repeated).
    #[arg(long, value_name = "KEY=IDS")]
    pub(crate) control: Vec<String>,
    /// Another v2 base URL (a proxy).
    #[arg(long, value_name = "URL")]
    pub(crate) base_url: Option<String>,
    #[command(flatten)]
    pub(crate) common: AddCommon,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("secret").required(true).args(["secret_env", "secret_file"])))]
pub(crate) struct WebhookArgs {
    /// Where to deliver.
    #[arg(long)]
    pub(crate) url: String,
    /// The environment variable holding the `whsec_` secret.
    #[arg(long, value_name = "VAR")]
    pub(crate) secret_env: Option<String>,
    /// A file holding the `whsec_` secret.
    #[arg(long, value_name = "FILE")]
    pub(crate) secret_file: Option<PathBuf>,
    /// Where the receiver lists what it holds (for `sync reconcile`).
    #[arg(long, value_name = "URL")]
    pub(crate) list_url: Option<String>,
    #[command(flatten)]
    pub(crate) common: AddCommon,
}

#[derive(Debug, Args)]
pub(crate) struct FolderArgs {
    /// The folder (created if missing).
    #[arg(long)]
    pub(crate) path: String,
    #[command(flatten)]
    pub(crate) common: AddCommon,
}

#[derive(Debug, Args)]
pub(crate) struct SyncNameArgs {
    /// The destination's name (`signoff sync list`).
    pub(crate) name: String,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct SyncRunArgs {
    /// Deliver until nothing is pending, then stop (waiting out retries).
    #[arg(long)]
    pub(crate) once: bool,
    /// With --once: stop after this long even if deliveries are pending (they stay
    /// pending).
    #[arg(long, default_value = "15m", value_name = "DURATION")]
    pub(crate) timeout: String,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Subcommand)]
pub(crate) enum OscalCommand {
    /// OSCAL 1.1.3 assessment results of a release or of the releases of a period.
    #[command(
        after_help = "Examples:\n  signoff oscal export --release shop@4.2.1 -o ar.json\n  signoff oscal export --from 2026-07-01 --to 2026-09-30 --framework soc2 -o q3-ar.json"
    )]
    Export(OscalExportArgs),
}

#[derive(Debug, Args)]
pub(crate) struct OscalExportArgs {
    /// One release.
    #[arg(long, value_name = "PROJECT@VERSION", conflicts_with_all = ["from", "to"])]
    pub(crate) release: Option<String>,
    /// Releases created from this date (inclusive).
    #[arg(long, value_name = "DATE", requires = "to")]
    pub(crate) from: Option<String>,
    /// Releases created before this date.
    #[arg(long, value_name = "DATE", requires = "from")]
    pub(crate) to: Option<String>,
    /// Only one project's releases (with --from/--to).
    #[arg(long)]
    pub(crate) project: Option<String>,
    /// Only this framework's controls.
    #[arg(long)]
    pub(crate) framework: Option<String>,
    /// Where to write the document (`-` for standard output).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: PathBuf,
    #[command(flatten)]
    pub(crate) json: JsonArg,
}

#[derive(Debug, Subcommand)]
pub(crate) enum VexCommand {
    /// A project's finding dispositions as OpenVEX 0.2 or CycloneDX 1.6 VEX.
    #[command(
        after_help = "Examples:\n  signoff vex export --project shop --format openvex -o shop.vex.json\n  signoff vex export --project shop --format cyclonedx -o shop.cdx-vex.json"
    )]
    Export(VexExportArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum VexFormat {
    /// OpenVEX 0.2.
    Openvex,
    /// CycloneDX 1.6 VEX.
    Cyclonedx,
}

#[derive(Debug, Args)]
pub(crate) struct VexExportArgs {
    /// The project.
    #[arg(long)]
    pub(crate) project: String,
    /// The document's format.
    #[arg(long, value_enum)]
    pub(crate) format: VexFormat,
    /// Where to write the document (`-` for standard output).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: PathBuf,
    #[command(flatten)]
    pub(crate) json: JsonArg,
}
