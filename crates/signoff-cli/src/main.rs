//! The `signoff` command line: argument parsing and rendering over `signoff-app`.
//!
//! Exit codes (documented in `--help`): 0 success; 1 the answer is "no" (the ledger
//! failed verification, a release was not certified, the gate refused); 2 an error
//! (bad input, bad arguments, an unusable store). Libraries never exit; only `main`
//! does. A write to a closed pipe ends the command quietly with 0.
//!
//! Architecture Invariant: no business logic lives here. Each command turns flags
//! into a request for a use case in `signoff-app` and renders the result as text or
//! JSON through `render`.

// Doc comments on the grammar are `--help` text, written for a terminal, where
// `sha256:<hex>` is a placeholder and not an HTML tag.
#![allow(rustdoc::invalid_html_tags)]

mod cli;
mod commands;
mod remote;
mod render;
mod schemas;
mod store;

use std::process::ExitCode;

/// Capture allocates a few small strings per finding, millions of times for a big
/// scan; mimalloc keeps that cheap where glibc's allocator spends a fifth of the
/// time in bookkeeping (measured with perf on a 500k-result SARIF capture).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

/// The version `--version` prints.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `--version` with the commit it was built from and its build date, when the build
/// knew them (`SIGNOFF_BUILD_COMMIT`, `SIGNOFF_BUILD_DATE`, set by the build script;
/// the date is reproducible: `SOURCE_DATE_EPOCH`'s, else the commit's).
pub(crate) fn long_version() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| match (option_env!("SIGNOFF_BUILD_COMMIT"), option_env!("SIGNOFF_BUILD_DATE")) {
        (Some(commit), Some(date)) => format!("{VERSION} (commit {commit}, built {date})"),
        (Some(commit), None) => format!("{VERSION} (commit {commit})"),
        _ => VERSION.to_owned(),
    })
}

/// What a command concluded.
pub(crate) enum Outcome {
    /// Done; exit 0.
    Success,
    /// The question's answer is no (verification failed); exit 1.
    No,
}

/// An error with its causes, on one line: `what: why: why`. A cause already in
/// the text before it (a library that repeats its source) is not repeated.
pub(crate) fn error_text(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1).map(|cause| cause.to_string()) {
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

/// Whether an error is a write to a closed pipe (`signoff ... | head`).
fn broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .is_some_and(|json| json.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    render::init(render::Settings { quiet: cli.quiet, color: render::color_for(cli.color), jq: cli.jq.clone() });
    // Diagnostics are for whoever asks with SIGNOFF_LOG; libraries' warnings (sqlx's
    // slow statements, say) are not the user's business otherwise. No colour codes
    // into pipes or files.
    // The server logs JSON lines (with request ids) at info unless SIGNOFF_LOG says otherwise.
    let serving = matches!(cli.command, cli::Command::Serve(_));
    let filter = tracing_subscriber::EnvFilter::try_from_env("SIGNOFF_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(if serving { "info" } else { "off" }));
    if serving {
        tracing_subscriber::fmt().json().with_env_filter(filter).with_writer(std::io::stderr).init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_writer(std::io::stderr)
            .init();
    }
    // A writer kept waiting by another (or by one that was stopped) says so.
    signoff_app::on_lock_wait(|timeout| {
        render::note!(
            "waiting for the store's write lock: another capture or command is writing (up to {} s; SIGNOFF_LOCK_TIMEOUT sets it)",
            timeout.as_secs()
        );
    });
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start: {error}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::No) => ExitCode::from(1),
        Err(error) if broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", render::neutralize(&error_text(&error)));
            ExitCode::from(2)
        }
    }
}
