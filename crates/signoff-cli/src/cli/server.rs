//! The grammar of the server side: `signoff serve` and `signoff token`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::JsonArg;

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on (loopback by default).
    #[arg(long, default_value = "127.0.0.1:8437", value_name = "ADDR:PORT")]
    pub(crate) listen: SocketAddr,
    /// Serve HTTPS with this PEM certificate chain (leaf first); needs --tls-key.
    #[arg(long, requires = "tls_key", value_name = "FILE")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, requires = "tls_cert", value_name = "FILE")]
    pub(crate) tls_key: Option<PathBuf>,
    /// The largest capture accepted, in bytes.
    #[arg(long, value_name = "BYTES")]
    pub(crate) max_capture: Option<u64>,
    /// How long a request other than a capture may take, in seconds.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub(crate) timeout: u64,
    /// Requests a second each token may make, sustained (0: no limit); bursts of
    /// twice as many pass. Beyond it: 429 with Retry-After.
    #[arg(long, default_value_t = 100, value_name = "PER_SECOND")]
    pub(crate) rate_limit: u32,
    /// The most captures written in one transaction under one checkpoint (group
    /// commit: captures arriving together share one commit); 1 writes each alone.
    #[arg(long, default_value_t = 64, value_name = "CAPTURES", value_parser = clap::value_parser!(u16).range(1..=4096))]
    pub(crate) max_group: u16,
    /// Once listening, print one JSON line with the address (for `--listen
    /// 127.0.0.1:0`, the port chosen) to standard output.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Issue a token; its secret is printed once, never again.
    #[command(
        after_help = "Examples:\n  signoff token create --name ci-shop --scope capture,release --project shop --expires 90d --kind bot\n  signoff token create --name auditor-q3 --scope read --expires 14d\n  signoff token create --name copilot --scope capture --kind ai_agent"
    )]
    Create(TokenCreateArgs),
    /// List tokens with their scopes, state and last use (never a secret).
    #[command(after_help = "Examples:\n  signoff token list\n  signoff token list --json")]
    List(JsonArg),
    /// Revoke a token at once.
    #[command(after_help = "Examples:\n  signoff token revoke 3f9a0c2e71b4d856")]
    Revoke(TokenIdArgs),
    /// Issue a successor of a token; the old one stays valid for a grace period.
    #[command(after_help = "Examples:\n  signoff token rotate 3f9a0c2e71b4d856 --grace 24h")]
    Rotate(TokenRotateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct TokenCreateArgs {
    /// Its name: the identity recorded for what it does.
    #[arg(long)]
    pub(crate) name: String,
    /// Scopes, comma separated: capture, release, approve, certify, read, admin.
    #[arg(long, value_delimiter = ',', required = true)]
    pub(crate) scope: Vec<String>,
    /// Limit it to these projects (comma separated or repeated); default: all.
    #[arg(long, value_delimiter = ',')]
    pub(crate) project: Vec<String>,
    /// How long it is valid (90d, 12h, 2w); default: until revoked.
    #[arg(long, value_name = "DURATION")]
    pub(crate) expires: Option<String>,
    /// Who acts with it: human, bot or ai_agent.
    #[arg(long, default_value = "human")]
    pub(crate) kind: String,
    /// Shorthand for `--kind ai_agent`.
    #[arg(long, conflicts_with = "kind")]
    pub(crate) agent: bool,
    /// Who issues it (default: the CI actor, the git identity, the OS user).
    #[arg(long)]
    pub(crate) actor: Option<String>,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct TokenIdArgs {
    /// The token's id (`signoff token list`).
    pub(crate) id: String,
    /// Who revokes it.
    #[arg(long)]
    pub(crate) actor: Option<String>,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct TokenRotateArgs {
    /// The token's id (`signoff token list`).
    pub(crate) id: String,
    /// How long the old token stays valid (1h, 24h, 7d).
    #[arg(long, value_name = "DURATION")]
    pub(crate) grace: String,
    /// Who rotates it.
    #[arg(long)]
    pub(crate) actor: Option<String>,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Subcommand)]
pub(crate) enum OutboxCommand {
    /// List the captures waiting for the server, oldest first.
    #[command(after_help = "Examples:\n  signoff outbox status\n  signoff outbox status --json")]
    Status(JsonArg),
    /// Deliver the waiting captures to the server (`--server`/SIGNOFF_SERVER) now.
    #[command(
        after_help = "Examples:\n  signoff outbox flush\n  SIGNOFF_SERVER=https://signoff.example.com signoff outbox flush --json\n\nEvery command against the server delivers the outbox first; this does it alone.\nThe outbox is SIGNOFF_OUTBOX, else $XDG_STATE_HOME/signoff/outbox, else\n~/.local/state/signoff/outbox."
    )]
    Flush(JsonArg),
}
