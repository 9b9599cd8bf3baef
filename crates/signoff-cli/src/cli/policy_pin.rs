//! `signoff policy pin`.

use clap::Args;

use super::JsonArg;

#[derive(Debug, Args)]
pub(crate) struct PolicyPinArgs {
    /// The project.
    pub(crate) project: String,
    /// The published policy's name.
    #[arg(long, value_name = "NAME", required_unless_present = "latest", requires = "policy_version")]
    pub(crate) policy: Option<String>,
    /// Its published version.
    #[arg(long, value_name = "N", requires = "policy")]
    pub(crate) policy_version: Option<u64>,
    /// Unpin: the latest published policy is in force again.
    #[arg(long, conflicts_with_all = ["policy", "policy_version"])]
    pub(crate) latest: bool,
    /// Why.
    #[arg(long)]
    pub(crate) reason: String,
    /// Who pins (default: the current actor).
    #[arg(long, value_name = "NAME")]
    pub(crate) actor: Option<String>,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}
