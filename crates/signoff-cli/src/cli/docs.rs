//! The commands about signoff itself: shell completions, manual pages, the JSON
//! Schemas of its output, and the demo.

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// Write signoff.1 and a page per subcommand (signoff-capture.1, ...) into this
    /// folder; without it, print signoff(1) on standard output.
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct SchemaArgs {
    /// The output's name (`findings`, `audit-answer`, ...; see `--list`).
    #[arg(required_unless_present_any = ["dir", "list"])]
    pub(crate) name: Option<String>,
    /// Write every schema into this folder as NAME.schema.json.
    #[arg(long, value_name = "DIR", conflicts_with = "name")]
    pub(crate) dir: Option<PathBuf>,
    /// List the documented outputs and the commands that print them.
    #[arg(long, conflicts_with_all = ["name", "dir"])]
    pub(crate) list: bool,
    /// With --list: print JSON lines.
    #[arg(long, requires = "list")]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Keep the demo store here instead of a temporary folder.
    #[arg(long, value_name = "DIR")]
    pub(crate) keep: Option<PathBuf>,
}
