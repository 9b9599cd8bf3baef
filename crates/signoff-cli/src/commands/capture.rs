//! `signoff capture` and `signoff inspect`.

use std::path::Path;

use signoff_app::capture::{CaptureContext, CaptureRequest, InputFile};
use signoff_app::{Environment, Signoff};
use signoff_core::context::CiContext;
use signoff_core::{CommitSha, ProjectName, ReleaseVersion};
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

/// What the evidence is for: the flags, else what the CI system's environment says.
fn target(args: &CaptureArgs, environment: &Environment) -> anyhow::Result<CaptureContext> {
    let detected = environment.ci_context();
    let project = args.project.clone().or_else(|| detected.project_hint()).ok_or_else(|| {
        anyhow::anyhow!("no project: pass --project NAME (in CI it is taken from the repository name)")
    })?;
    let commit = args.commit.clone().or_else(|| detected.commit.clone());
    let commit = commit.as_deref().map(CommitSha::new).transpose()?;
    let context = CiContext {
        system: detected.system.clone().or_else(|| Some("local".into())),
        repository: detected.repository.clone(),
        commit: commit.as_ref().map(ToString::to_string),
        branch: args.branch.clone().or(detected.branch.clone()),
        run_id: args.run_id.clone().or(detected.run_id.clone()),
        run_url: args.run_url.clone().or(detected.run_url.clone()),
        job: args.job.clone().or(detected.job.clone()),
        actor: args.actor.clone().or(detected.actor.clone()).or_else(|| environment.var("USER")),
    };
    Ok(CaptureContext {
        project: ProjectName::new(&project)?,
        commit,
        release: args.release.as_deref().map(ReleaseVersion::new).transpose()?,
        context,
    })
}

pub(crate) async fn capture(store: &Path, args: CaptureArgs) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let target = target(&args, &Environment::from_process())?;
    let total: u64 =
        args.files.iter().filter_map(|file| std::fs::metadata(file).ok()).map(|metadata| metadata.len()).sum();
    let request = CaptureRequest {
        files: inputs(&args.files),
        target,
        format: args.parse.format,
        kind: args.parse.kind,
        limits: limits(&args.parse),
    };
    let spinner = Spinner::start_if(
        total > 16 << 20,
        format!("capturing {} file(s), {}", args.files.len(), crate::render::bytes(total)),
    );
    let reports = signoff_app::capture::capture(&signoff, request).await;
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
        signoff_app::capture::inspect(&inputs(&args.files), args.parse.format, args.parse.kind, limits(&args.parse))
            .await;
    let mut failed = 0;
    for result in results {
        match result {
            Ok(report) if args.json => print_json_line(&report)?,
            Ok(report) => println!("{}", evidence_line(&report)),
            Err(error) => {
                failed += 1;
                eprintln!("error: {}", crate::error_text(&anyhow::Error::from(error)));
            }
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} of {} file(s) could not be read", args.files.len());
    }
    Ok(Outcome::Success)
}
