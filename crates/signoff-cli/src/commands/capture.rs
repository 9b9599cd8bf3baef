//! `signoff capture` and `signoff inspect`.

use std::path::Path;

use signoff_app::{CaptureRequest, ContextOverrides, Environment, InputFile, Signoff};
use signoff_ingest::Limits;

use crate::Outcome;
use crate::cli::{CaptureArgs, InspectArgs, ParseArgs};
use crate::render::{Spinner, evidence_line, print_json_line};

/// `--max-size` is one knob for the user: it bounds the file, streamed or not.
fn limits(parse: &ParseArgs) -> Limits {
    match parse.max_size {
        Some(size) => Limits { max_size: size, max_document: size, ..Limits::default() },
        None => Limits::default(),
    }
}

fn inputs(files: &[std::path::PathBuf]) -> Vec<InputFile> {
    files.iter().map(InputFile::new).collect()
}

pub(crate) async fn capture(store: &Path, args: CaptureArgs) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let files = inputs(&args.files);
    let total: u64 =
        args.files.iter().filter_map(|file| std::fs::metadata(file).ok()).map(|metadata| metadata.len()).sum();
    let request = CaptureRequest {
        files,
        overrides: ContextOverrides {
            project: args.project,
            commit: args.commit,
            branch: args.branch,
            release: args.release,
            run_id: args.run_id,
            run_url: args.run_url,
            job: args.job,
            actor: args.actor,
        },
        format: args.parse.format,
        kind: args.parse.kind,
        limits: limits(&args.parse),
        environment: Environment::from_process(),
    };
    let spinner = Spinner::start_if(
        total > 16 << 20,
        format!("capturing {} file(s), {}", args.files.len(), crate::render::bytes(total)),
    );
    let reports = signoff_app::capture(&signoff, request).await;
    drop(spinner);
    for report in reports? {
        if args.json {
            print_json_line(&report)?;
        } else {
            println!("{}", evidence_line(&report));
        }
    }
    Ok(Outcome::Success)
}

pub(crate) async fn inspect(args: InspectArgs) -> anyhow::Result<Outcome> {
    let results =
        signoff_app::inspect(&inputs(&args.files), args.parse.format, args.parse.kind, limits(&args.parse)).await;
    let mut failed = 0;
    for result in results {
        match result {
            Ok(report) if args.json => print_json_line(&report)?,
            Ok(report) => println!("{}", evidence_line(&report)),
            Err(error) => {
                failed += 1;
                eprintln!("error: {error}");
            }
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} of {} file(s) could not be read", args.files.len());
    }
    Ok(Outcome::Success)
}
