//! The `signoff` command line: argument parsing and rendering over `signoff-app`.
//!
//! Exit codes (documented in `--help`): 0 success; 1 the answer is "no" (the ledger
//! failed verification; later, a release failed certification); 2 an error (bad
//! input, bad arguments, an unusable store). Libraries never exit; only `main` does.
//!
//! Architecture Invariant: no business logic lives here. Each command turns flags
//! into a request for a use case in `signoff-app` and renders the result as text or
//! JSON.

mod cli;
mod commands;
mod render;

use std::process::ExitCode;

/// Capture allocates a few small strings per finding, millions of times for a big
/// scan; mimalloc keeps that cheap where glibc's allocator spends a fifth of the
/// time in bookkeeping (measured with perf on a 500k-result SARIF capture).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

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

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("SIGNOFF_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
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
        Err(error) => {
            // A closed pipe (`signoff ... | head`) is not an error worth reporting.
            if error.chain().any(|cause| {
                cause.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
                    || cause
                        .downcast_ref::<serde_json::Error>()
                        .is_some_and(|json| json.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {}", error_text(&error));
            ExitCode::from(2)
        }
    }
}
