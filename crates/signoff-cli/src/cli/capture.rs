//! What `capture`, `inspect` and `findings` take: the files, how to read them,
//! and the limits.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use signoff_core::{EvidenceKind, Format};

use super::JsonArg;

#[derive(Debug, Args)]
pub(crate) struct ParseArgs {
    /// Read the files as this format instead of detecting it (sarif, junit, trivy, ...).
    #[arg(long, value_parser = parse_format, value_name = "FORMAT")]
    pub(crate) input_format: Option<Format>,
    /// Deprecated spelling of --input-format.
    #[arg(long = "format", value_parser = parse_format, value_name = "FORMAT", hide = true, conflicts_with = "input_format")]
    pub(crate) legacy_format: Option<Format>,
    /// Record the evidence as this kind (sast, sca, test_results, ...).
    #[arg(long, value_parser = parse_kind, value_name = "KIND")]
    pub(crate) kind: Option<EvidenceKind>,
    /// Largest file accepted, in bytes (suffixes K, M, G). Default: 4G for SARIF and
    /// JUnit, which are streamed, and 512M for formats read whole.
    #[arg(long, value_parser = parse_size, value_name = "SIZE")]
    pub(crate) max_size: Option<u64>,
    /// Longest wait, in seconds, for standard input or a pipe to end (default 600).
    #[arg(long, value_name = "SECONDS")]
    pub(crate) read_timeout: Option<u64>,
}

#[derive(Debug, Args)]
pub(crate) struct CaptureArgs {
    /// Evidence files; `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) parse: ParseArgs,
    /// Project (default: the CI repository's name).
    #[arg(long)]
    pub(crate) project: Option<String>,
    /// Commit the evidence was produced for (default: from CI, else HEAD of the git
    /// work tree here); a short id is resolved in the repository.
    #[arg(long, conflicts_with = "no_commit")]
    pub(crate) commit: Option<String>,
    /// Record the evidence without a commit (it then joins a release only through
    /// --release).
    #[arg(long)]
    pub(crate) no_commit: bool,
    /// The release the evidence is for, PROJECT@VERSION, when known already.
    #[arg(long, value_name = "PROJECT@VERSION")]
    pub(crate) release: Option<String>,
    /// Branch (default: from CI).
    #[arg(long)]
    pub(crate) branch: Option<String>,
    /// Pipeline run id (default: from CI).
    #[arg(long)]
    pub(crate) run_id: Option<String>,
    /// Pipeline run URL (default: from CI).
    #[arg(long)]
    pub(crate) run_url: Option<String>,
    /// Job (default: from CI).
    #[arg(long)]
    pub(crate) job: Option<String>,
    /// Actor (default: from CI, else the git identity, else the OS user).
    #[arg(long)]
    pub(crate) actor: Option<String>,
    /// Against a server: fail when it cannot be reached instead of keeping the
    /// capture in the outbox for later delivery.
    #[arg(long)]
    pub(crate) no_outbox: bool,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// Evidence files; `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) parse: ParseArgs,
    #[command(flatten)]
    pub(crate) output: JsonArg,
}

#[derive(Debug, Args)]
pub(crate) struct FindingsArgs {
    /// Project.
    #[arg(long)]
    pub(crate) project: Option<String>,
    /// Only findings reported in this release's evidence, PROJECT@VERSION.
    #[arg(long, value_name = "PROJECT@VERSION")]
    pub(crate) release: Option<String>,
    /// Only open or only fixed findings.
    #[arg(long, value_enum)]
    pub(crate) status: Option<StatusArg>,
    /// Print JSON lines, one finding per line (streamed).
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum StatusArg {
    /// Still reported by the tool's latest scan.
    Open,
    /// No longer reported by a later scan of the same tool.
    Fixed,
}

fn parse_format(text: &str) -> Result<Format, String> {
    text.parse().map_err(|error: signoff_core::evidence::UnknownName| error.to_string())
}

fn parse_kind(text: &str) -> Result<EvidenceKind, String> {
    text.parse().map_err(|error: signoff_core::evidence::UnknownName| error.to_string())
}

/// `123`, `64K`, `200M`, `4G` (binary multiples).
fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let (digits, multiplier) = match trimmed.char_indices().last() {
        Some((index, 'k' | 'K')) => (&trimmed[..index], 1u64 << 10),
        Some((index, 'm' | 'M')) => (&trimmed[..index], 1 << 20),
        Some((index, 'g' | 'G')) => (&trimmed[..index], 1 << 30),
        _ => (trimmed, 1),
    };
    let number: u64 =
        digits.parse().map_err(|_| format!("not a size: {text:?} (use bytes, or a number with K, M or G)"))?;
    number.checked_mul(multiplier).ok_or_else(|| format!("size too large: {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("123"), Ok(123));
        assert_eq!(parse_size("64K"), Ok(65536));
        assert_eq!(parse_size("2m"), Ok(2 << 20));
        assert!(parse_size("x").is_err());
    }
}
