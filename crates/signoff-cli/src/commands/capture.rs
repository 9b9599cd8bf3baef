//! `signoff capture` and `signoff inspect`.

use std::path::Path;

use signoff_app::capture::{CaptureContext, CaptureRequest, InputFile};
use signoff_app::{Environment, Signoff};
use signoff_core::context::CiContext;
use signoff_core::{Format, ProjectName};
use signoff_ingest::Limits;

use anyhow::Context as _;
use signoff_app::report::EvidenceReport;

use crate::Outcome;
use crate::cli::{CaptureArgs, InspectArgs, ParseArgs};
use crate::remote::outbox::Kept;
use crate::remote::{Failure, Remote};
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
        match crate::store::commit(args.commit.as_deref(), detected.commit.as_deref(), Path::new("."))? {
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
        delivery: None,
    };
    let message = format!("capturing {}", crate::render::count(args.files.len() as u64, "file", "files"));
    let piped = args.files.iter().any(|file| file.as_os_str() == "-");
    let mut progress = if piped {
        Progress::start_unsized(&message)
    } else {
        Progress::start_if(total > 16 << 20, total, &message, true)
    };
    // The blob store grows as the capture copies the input: its staging folder's
    // size is the capture's progress (reads of a file the parser is ahead of).
    // Standard input is first copied into a scratch file there, then staged as
    // a blob: its progress is the copy alone, or every byte would count twice.
    let staging = store.join("blobs/tmp");
    progress.follow(move || {
        std::fs::read_dir(&staging)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|entry| {
                        !piped
                            || entry.file_name().to_string_lossy().starts_with(signoff_app::capture::PIPE_COPY_PREFIX)
                    })
                    .filter_map(|entry| entry.metadata().ok())
                    .map(|metadata| metadata.len())
                    .sum()
            })
            .unwrap_or(0)
    });
    let reports = signoff_app::capture::capture(&signoff, request).await;
    drop(progress);
    // B4: a policy that refuses late evidence says no (exit 1); nothing was stored.
    if let Err(signoff_app::AppError::Refused(refusal @ signoff_app::Refusal::LateEvidence { .. })) = &reports {
        eprintln!("error: {}", crate::render::neutralize(&refusal.to_string()));
        return Ok(Outcome::No);
    }
    print_reports(&reports?, &args)?;
    Ok(Outcome::Success)
}

/// `signoff capture` against a server: every file is read here first (bad input
/// fails as it does locally, before anything is sent), then sent with an
/// idempotency key; a file the server cannot take now waits in the outbox.
pub(crate) async fn capture_remote(remote: &Remote, args: CaptureArgs) -> anyhow::Result<Outcome> {
    super::outbox::flush_quietly(remote).await;
    let format = input_format(&args.parse, "capture");
    let target = target(&args, &Environment::from_process())?;
    let limits = limits(&args.parse);
    // Standard input is read once, into a scratch file both checks and uploads use.
    let scratch = tempfile::tempdir().context("cannot create a scratch folder")?;
    let mut files = Vec::with_capacity(args.files.len());
    for (index, file) in args.files.iter().enumerate() {
        if file.as_os_str() == "-" {
            let copy = scratch.path().join(format!("stdin-{index}"));
            let mut output = std::fs::File::create(&copy).context("cannot create a scratch file")?;
            let read =
                std::io::copy(&mut std::io::Read::take(std::io::stdin().lock(), limits.max_size + 1), &mut output)
                    .context("cannot read standard input")?;
            if read > limits.max_size {
                anyhow::bail!("-: standard input is larger than {} bytes (--max-size)", limits.max_size);
            }
            files.push(InputFile::named(copy, "-"));
        } else {
            files.push(InputFile::new(file));
        }
    }
    let mut checked = Vec::with_capacity(files.len());
    for (file, report) in files.iter().zip(signoff_app::capture::inspect(&files, format, args.parse.kind, limits).await)
    {
        let report = report.map_err(anyhow::Error::from)?;
        checked.push((file, report));
    }
    let mut query: Vec<(&str, String)> = vec![("project", target.project.to_string())];
    let optional = [
        ("commit", target.commit.as_ref().map(ToString::to_string)),
        ("release", target.release.as_ref().map(ToString::to_string)),
        ("format", format.map(|format| format.to_string())),
        ("kind", args.parse.kind.map(|kind| kind.to_string())),
        ("branch", target.context.branch.clone()),
        ("run_id", target.context.run_id.clone()),
        ("run_url", target.context.run_url.clone()),
        ("job", target.context.job.clone()),
        ("system", target.context.system.clone()),
        ("repository", target.context.repository.clone()),
    ];
    query.extend(optional.into_iter().filter_map(|(name, value)| Some((name, value?))));
    let outbox = crate::remote::outbox::folder();
    let mut kept = 0;
    for (file, inspected) in checked {
        let name = if file.display == "-" { "-".to_owned() } else { file_name(&file.path) };
        let mut query = query.clone();
        query.push(("name", name));
        let digest = inspected.original_digest.unwrap_or(inspected.digest);
        let key = idempotency_key(&digest.to_string(), &query);
        let size = std::fs::metadata(&file.path).map(|metadata| metadata.len()).unwrap_or(0);
        let mut progress = Progress::start_if(size > 16 << 20, size, &format!("sending {}", file.display), true);
        let sent = remote.sent();
        progress.follow(move || sent.load(std::sync::atomic::Ordering::Relaxed));
        let sending = remote.capture(&file.path, &query, &key, None).await;
        drop(progress);
        match sending {
            Ok(mut reports) => {
                // The server names the file by its name; the user named it by its path.
                for report in &mut reports {
                    report.file.clone_from(&file.display);
                }
                print_reports(&reports, &args)?;
            }
            Err(Failure::Unavailable(why)) if !args.no_outbox => {
                let outbox = outbox.as_ref().map_err(|error| anyhow::anyhow!("{error:#}"))?;
                let record = Kept {
                    server: remote.base().to_owned(),
                    file: file.display.clone(),
                    digest: digest.to_string(),
                    size,
                    query: query.iter().map(|(name, value)| ((*name).to_owned(), value.clone())).collect(),
                    key,
                    captured_at: crate::render::time(time::OffsetDateTime::now_utc()),
                    reason: why.clone(),
                };
                let folder = crate::remote::outbox::keep(outbox, &file.path, &record)?;
                kept += 1;
                warning!(
                    "{}: {why}; kept in the outbox ({}) and delivered by the next command against {} or `signoff outbox flush`",
                    file.display,
                    folder.display(),
                    remote.base()
                );
            }
            Err(error) => return Err(anyhow::Error::from(error).context(format!("{}: not captured", file.display))),
        }
    }
    if kept > 0 {
        note!("{} waiting in the outbox; --no-outbox fails instead", crate::render::count(kept, "capture", "captures"));
    }
    Ok(Outcome::Success)
}

/// The key a server stores a capture once under: its digest and everything said
/// about it, so the same capture sent twice is one, and two captures are two.
fn idempotency_key(digest: &str, query: &[(&str, String)]) -> String {
    let mut pairs: Vec<_> = query.iter().map(|(name, value)| format!("{name}={value}")).collect();
    pairs.sort();
    let text = format!("{digest}\n{}", pairs.join("\n"));
    signoff_core::Digest::of(text.as_bytes()).to_hex()
}

/// Captured evidence, one line or JSON object per file, and the note on late
/// evidence: the same locally and against a server.
pub(crate) fn print_reports(reports: &[EvidenceReport], args: &CaptureArgs) -> anyhow::Result<()> {
    for report in reports {
        if args.output.json || crate::render::jq_set() {
            json_line(report)?;
        } else {
            done!("{}", evidence_line(report))?;
        }
    }
    let late = reports.iter().filter(|report| report.captured.as_ref().is_some_and(|c| c.post_certification)).count();
    if late > 0 {
        let (attach, they) = if late == 1 { ("attaches", "it is") } else { ("attach", "they are") };
        note!(
            "{late} of these {attach} to a release that is already certified: {they} recorded as captured after its certification"
        );
    }
    Ok(())
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

/// A path's last part, as the server names the file.
fn file_name(path: &Path) -> String {
    path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_else(|| "-".into())
}
