//! `signoff capture` and `signoff inspect`.

use std::path::Path;

use signoff_app::capture::{CaptureContext, CaptureRequest, InputFile};
use signoff_app::{Environment, Signoff};
use signoff_core::context::CiContext;
use signoff_core::{Format, ProjectName};
use signoff_ingest::Limits;

use crate::Outcome;
use crate::cli::{CaptureArgs, InspectArgs, ParseArgs};
use crate::render::{Progress, done, evidence_line, json_line, note, outln, warning};

/// `--max-size` is one knob for the user: it bounds the file, streamed or not (and
/// what is read from a pipe); `--read-timeout` bounds the wait for a pipe.
fn limits(parse: &ParseArgs) -> Limits {
    let mut limits = match parse.max_size {
        Some(size) => Limits { max_size: size, max_document: size, ..Limits::default() },
        None => Limits::default(),
    };
    if let Some(seconds) = parse.read_timeout {
        limits.max_wait = std::time::Duration::from_secs(seconds);
    }
    limits
}

/// `--input-format`, or its previous spelling `--format` (with a warning).
fn input_format(parse: &ParseArgs, command: &str) -> Option<Format> {
    if let Some(format) = parse.legacy_format {
        warning!(
            "`signoff {command} --format` is deprecated: the input format is `--input-format {format}` (`--format` now means an output form)"
        );
    }
    parse.input_format.or(parse.legacy_format)
}

fn inputs(files: &[std::path::PathBuf]) -> Vec<InputFile> {
    files.iter().map(InputFile::new).collect()
}

/// What the evidence is for: the flags, else what the CI system's environment says,
/// else the git work tree here.
fn target(args: &CaptureArgs, environment: &Environment) -> anyhow::Result<CaptureContext> {
    let detected = environment.ci_context();
    let release = args
        .release
        .as_deref()
        .map(|text| super::qualifying_release(text, args.project.as_deref(), "capture"))
        .transpose()?;
    let project = args
        .project
        .clone()
        .or_else(|| release.as_ref().map(|release| release.project.to_string()))
        .or_else(|| detected.project_hint())
        .ok_or_else(|| {
            anyhow::anyhow!("no project: pass --project NAME (in CI it is taken from the repository name)")
        })?;
    let commit = if args.no_commit {
        None
    } else {
        match crate::store::commit(args.commit.as_deref(), detected.commit.as_deref())? {
            Some(commit) => Some(commit),
            None if release.is_some() => None,
            None => anyhow::bail!(
                "no commit: pass --commit SHA, run in a git work tree or in CI, or say --no-commit (evidence without a commit joins a release only through --release)"
            ),
        }
    };
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
        release: release.map(|release| release.version),
        context,
    })
}

pub(crate) async fn capture(store: &Path, args: CaptureArgs) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    for problem in signoff.warnings() {
        warning!("{problem}");
    }
    let format = input_format(&args.parse, "capture");
    let target = target(&args, &Environment::from_process())?;
    let total: u64 =
        args.files.iter().filter_map(|file| std::fs::metadata(file).ok()).map(|metadata| metadata.len()).sum();
    let request = CaptureRequest {
        files: inputs(&args.files),
        target,
        format,
        kind: args.parse.kind,
        limits: limits(&args.parse),
    };
    let message = format!("capturing {}", crate::render::count(args.files.len() as u64, "file", "files"));
    let progress = Progress::start_if(total > 16 << 20, total, &message, true);
    let ticker = progress.handle().map(|bar| {
        // The blob store grows as the capture copies the input: its staging folder's
        // size is the capture's progress (reads of a file the parser is ahead of).
        let staging = store.join("blobs/tmp");
        tokio::spawn(async move {
            loop {
                let staged: u64 = std::fs::read_dir(&staging)
                    .map(|entries| {
                        entries.filter_map(Result::ok).filter_map(|entry| entry.metadata().ok()).map(|m| m.len()).sum()
                    })
                    .unwrap_or(0);
                bar.set_position(staged);
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
        })
    });
    let reports = signoff_app::capture::capture(&signoff, request).await;
    if let Some(ticker) = ticker {
        ticker.abort();
    }
    drop(progress);
    let reports = reports?;
    for report in &reports {
        if args.output.json || crate::render::jq_set() {
            json_line(report)?;
        } else {
            done!("{}", evidence_line(report))?;
        }
    }
    let late = reports.iter().filter(|report| report.captured.as_ref().is_some_and(|c| c.post_certification)).count();
    if late > 0 {
        note!(
            "{late} of these attach to a release that is already certified: they are recorded as captured after its certification"
        );
    }
    Ok(Outcome::Success)
}

pub(crate) async fn inspect(args: InspectArgs) -> anyhow::Result<Outcome> {
    let format = input_format(&args.parse, "inspect");
    let results =
        signoff_app::capture::inspect(&inputs(&args.files), format, args.parse.kind, limits(&args.parse)).await;
    let mut failed = 0;
    for result in results {
        match result {
            Ok(report) if args.output.json || crate::render::jq_set() => json_line(&report)?,
            Ok(report) => outln!("{}", evidence_line(&report))?,
            Err(error) => {
                failed += 1;
                eprintln!("error: {}", crate::render::neutralize(&crate::error_text(&anyhow::Error::from(error))));
            }
        }
    }
    if failed > 0 {
        anyhow::bail!(
            "{failed} of {} could not be read",
            crate::render::count(args.files.len() as u64, "file", "files")
        );
    }
    Ok(Outcome::Success)
}
