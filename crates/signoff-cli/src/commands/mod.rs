//! One module per subcommand family: flags in, parsed into the values a use case
//! takes, the use case called, the result rendered.
//!
//! | module | commands |
//! | --- | --- |
//! | `init` | `init` |
//! | `capture` | `capture`, `inspect` |
//! | `release` | `release create`, `release show` |
//! | `findings` | `findings` |
//! | `decide` | `policy`, `approve`, `exception` |
//! | `certify` | `certify`, `certificate`, `gate`, `replay` |
//! | `deploy` | `deploy record`, `env snapshot` |
//! | `controls` | `controls coverage` |
//! | `audit` | `audit trace`, `audit search`, `audit ask` |
//! | `report` | `report`, `metrics` |
//! | `inventory` | `inventory` |
//! | `package` | `export`, `verify-package` |
//! | `retention` | `retention apply`, `hold` |
//! | `ledger` | `ledger verify`, `ledger checkpoint`, `ledger prove` |
//! | `key` | `key public` |
//! | `serve` | `serve` |
//! | `token` | `token create`, `token list`, `token revoke`, `token rotate` |
//! | `outbox` | `outbox status`, `outbox flush` |
//! | `sync` | `sync add`, `sync remove`, `sync list`, `sync status`, `sync run`, `sync reconcile`, `oscal export`, `vex export` |
//! | `demo` | `demo` |

mod audit;
mod capture;
mod certify;
mod controls;
mod decide;
mod demo;
mod deploy;
mod docs;
mod findings;
mod init;
mod inventory;
mod key;
mod ledger;
pub(crate) mod outbox;
mod package;
mod pbc;
mod release;
mod report;
mod retention;
mod serve;
mod sync;
mod token;
mod triage;

use std::path::Path;

use anyhow::Context as _;
use signoff_app::request::{DayEnd, parse_time};
use signoff_app::{Period, Signoff};
use signoff_core::records::Actor;
use signoff_core::{Digest, ReleaseRef};
use time::OffsetDateTime;

use crate::Outcome;
use crate::cli::{Cli, Command};
use crate::remote::Remote;
use crate::render::warning;

/// Runs the parsed command line.
pub(crate) async fn run(cli: Cli) -> anyhow::Result<Outcome> {
    if let (Some(code), Some((name, prints))) = (&cli.jq, prints_no_json(&cli.command)) {
        anyhow::bail!("--jq {code:?} filters JSON output, and `signoff {name}` {prints}");
    }
    // The commands that administer a store (make it, serve it, issue its tokens,
    // print its key) run where the store is, whatever SIGNOFF_SERVER says.
    let administers = matches!(cli.command, Command::Init(_) | Command::Serve(_) | Command::Token(_) | Command::Key(_));
    if let Some(server) = cli.server.as_deref().filter(|server| !server.is_empty() && !administers) {
        let remote = Remote::new(server, cli.token.as_deref(), cli.ca_cert.as_deref())?;
        return remote_dispatch(&remote, cli.command).await;
    }
    if let Command::Outbox(command) = cli.command {
        return outbox::run(None, command).await;
    }
    let home = crate::store::home(cli.store.as_deref());
    let store = home.as_path();
    match dispatch(store, cli.command).await {
        Err(error) => Err(with_hint(store, error).await),
        done => done,
    }
}

/// What a command prints when it prints no JSON that `--jq` could filter.
fn prints_no_json(command: &Command) -> Option<(&'static str, &'static str)> {
    use crate::cli::PolicyCommand;
    match command {
        Command::Completions(_) => Some(("completions", "prints a shell script")),
        Command::Man(_) => Some(("man", "prints manual pages")),
        Command::Demo(_) => Some(("demo", "is a walkthrough for people")),
        Command::Policy(PolicyCommand::Init(_)) => Some(("policy init", "writes a policy file (YAML)")),
        Command::Schema(args) if args.dir.is_some() => Some(("schema --dir", "writes schema files")),
        _ => None,
    }
}

/// A project a command reads or configures, which the store must know (it holds
/// evidence or a release of it): a typo is refused with the closest known name,
/// rather than answered with nothing.
pub(crate) async fn known(signoff: &Signoff, text: &str) -> anyhow::Result<signoff_core::ProjectName> {
    let project = signoff_core::ProjectName::new(text)?;
    signoff_app::release::known_project(signoff, &project).await?;
    Ok(project)
}

/// [`known`] for an optional `--project`.
pub(crate) async fn known_project(
    signoff: &Signoff,
    text: Option<&str>,
) -> anyhow::Result<Option<signoff_core::ProjectName>> {
    match text {
        Some(text) => Ok(Some(known(signoff, text).await?)),
        None => Ok(None),
    }
}

/// Adds "did you mean" to a release that does not exist, when one close to it does.
async fn with_hint(store: &Path, error: anyhow::Error) -> anyhow::Error {
    let Some(signoff_app::AppError::NotFound(signoff_app::Missing::Release(wanted))) =
        error.downcast_ref::<signoff_app::AppError>()
    else {
        return error;
    };
    let Ok(signoff) = Signoff::open(store).await else { return error };
    match signoff_app::release::suggest(&signoff, wanted).await {
        Ok(Some(close)) => anyhow::anyhow!("{}; did you mean {close}?", crate::error_text(&error)),
        _ => error,
    }
}

/// A command against a server. Commands that need no store run as they do
/// locally; those of a store that are not served yet say so.
async fn remote_dispatch(remote: &Remote, command: Command) -> anyhow::Result<Outcome> {
    match command {
        Command::Capture(args) => capture::capture_remote(remote, args).await,
        Command::Release(command) => release::run_remote(remote, command).await,
        Command::Approve(args) => decide::approve_remote(remote, args).await,
        Command::Certify(args) => certify::certify_remote(remote, args).await,
        Command::Gate(args) => certify::gate_remote(remote, args).await,
        Command::Deploy(command) => deploy::deploy_remote(remote, command).await,
        Command::Env(command) => deploy::env_remote(remote, command).await,
        Command::Export(args) => package::export_remote(remote, args).await,
        Command::Findings(args) => findings::run_remote(remote, args).await,
        Command::Audit(command) => audit::run_remote(remote, command).await,
        Command::Controls(command) => controls::run_remote(remote, command).await,
        Command::Report(args) => report::report_remote(remote, args).await,
        Command::Ledger(command) => ledger::run_remote(remote, command).await,
        Command::Pbc(command) => pbc::run_remote(remote, command).await,
        Command::Outbox(command) => outbox::run(Some(remote), command).await,
        Command::Inspect(args) => capture::inspect(args).await,
        Command::VerifyPackage(args) => package::verify(args),
        Command::Completions(args) => docs::completions(&args),
        Command::Man(args) => docs::man(&args),
        Command::Schema(args) => docs::schema(&args),
        Command::Demo(args) => demo::run(args).await,
        other => {
            let name = command_name(&other);
            anyhow::bail!(
                "`signoff {name}` works on a local store only for now, and --server {} (or SIGNOFF_SERVER) is set: unset it, or use the server's API (/api/openapi.json)",
                remote.base()
            )
        }
    }
}

/// A failure to print inside a use case's callback (`findings`, `audit search`
/// as JSON lines), as the use case's error: a closed pipe stays an I/O error,
/// which `main` turns into a quiet exit.
pub(crate) fn printing_error(error: anyhow::Error) -> signoff_app::AppError {
    match error.downcast::<std::io::Error>() {
        Ok(source) => signoff_app::AppError::Io { path: "standard output".into(), source },
        Err(error) => signoff_app::AppError::Invalid(error.to_string()),
    }
}

/// A server request's query parameters: those that have a value.
pub(crate) fn present<const N: usize>(pairs: [(&'static str, Option<String>); N]) -> Vec<(&'static str, String)> {
    pairs.into_iter().filter_map(|(name, value)| value.map(|value| (name, value))).collect()
}

/// A release's path in the server's API.
pub(crate) fn remote_release_path(release: &ReleaseRef) -> String {
    format!("/api/v1/releases/{}/{}", release.project, release.version)
}

/// The subcommand's name, for messages.
fn command_name(command: &Command) -> String {
    let debug = format!("{command:?}");
    let variant = debug.split(['(', ' ', '{']).next().unwrap_or("command");
    let mut name = String::new();
    for (index, character) in variant.chars().enumerate() {
        if character.is_uppercase() && index > 0 {
            name.push('-');
        }
        name.push(character.to_ascii_lowercase());
    }
    name
}

async fn dispatch(store: &Path, command: Command) -> anyhow::Result<Outcome> {
    match command {
        Command::Init(args) => init::run(store, args).await,
        Command::Capture(args) => capture::capture(store, args).await,
        Command::Inspect(args) => capture::inspect(args).await,
        Command::Release(command) => release::run(store, command).await,
        Command::Findings(args) => findings::run(store, args).await,
        Command::Policy(command) => decide::policy(store, command).await,
        Command::Approve(args) => decide::approve(store, args).await,
        Command::Exception(command) => decide::exception(store, command).await,
        Command::Triage(args) => triage::run(store, args).await,
        Command::Certify(args) => certify::certify(store, args).await,
        Command::Certificate(command) => certify::certificate(store, command).await,
        Command::Gate(args) => certify::gate(store, args).await,
        Command::Replay(args) => certify::replay(store, args).await,
        Command::Deploy(command) => deploy::deploy(store, command).await,
        Command::Env(command) => deploy::env(store, command).await,
        Command::Controls(command) => controls::run(store, command).await,
        Command::Audit(command) => audit::run(store, command).await,
        Command::Pbc(command) => pbc::run(store, command).await,
        Command::Report(args) => report::report(store, args).await,
        Command::Metrics(args) => report::metrics(store, args).await,
        Command::Inventory(args) => inventory::run(store, args).await,
        Command::Export(args) => package::export(store, args).await,
        Command::VerifyPackage(args) => package::verify(args),
        Command::Retention(command) => retention::retention(store, command).await,
        Command::Hold(command) => retention::hold(store, command).await,
        Command::Ledger(command) => ledger::run(store, command).await,
        Command::Key(command) => key::run(store, command).await,
        Command::Serve(args) => serve::run(store, args).await,
        Command::Token(command) => token::run(store, command).await,
        Command::Outbox(command) => outbox::run(None, command).await,
        Command::Sync(command) => sync::sync(store, command).await,
        Command::Oscal(command) => sync::oscal(store, command).await,
        Command::Vex(command) => sync::vex(store, command).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Completions(args) => docs::completions(&args),
        Command::Man(args) => docs::man(&args),
        Command::Schema(args) => docs::schema(&args),
    }
}

/// Who is acting (see `store::actor`).
pub(crate) fn actor(signoff: &Signoff, flag: Option<&str>) -> anyhow::Result<Actor> {
    crate::store::actor(signoff, flag)
}

/// Against a server the token's identity is the actor: `--actor` is refused.
pub(crate) fn no_actor(flag: Option<&str>) -> anyhow::Result<()> {
    if flag.is_some() {
        anyhow::bail!("--actor: against a server, the token's identity is the actor");
    }
    Ok(())
}

/// Who a dry run acts as when no identity can be found: it writes nothing, so it
/// needs no one to answer for it.
pub(crate) fn dry_run_actor() -> Actor {
    Actor {
        id: "(dry run)".into(),
        kind: signoff_core::records::ActorKind::Human,
        on_behalf_of: None,
        source: Some("dry-run".into()),
    }
}

/// A release named `PROJECT@VERSION`.
pub(crate) fn release(text: &str) -> anyhow::Result<ReleaseRef> {
    Ok(text.parse::<ReleaseRef>()?)
}

/// The release of a subject argument, or of its previous `--release` spelling
/// (with a deprecation warning).
pub(crate) fn subject(positional: Option<&str>, legacy: Option<&str>, command: &str) -> anyhow::Result<ReleaseRef> {
    match (positional, legacy) {
        (Some(text), _) => release(text),
        (None, Some(text)) => {
            warning!(
                "`signoff {command} --release {text}` is deprecated: name the release first, `signoff {command} {text}` (the old spelling goes in the next release)"
            );
            release(text)
        }
        (None, None) => anyhow::bail!("name the release: signoff {command} PROJECT@VERSION"),
    }
}

/// A release named `PROJECT@VERSION`, or in the previous spelling `PROJECT VERSION`
/// (with a deprecation warning).
pub(crate) fn release_or_pair(first: &str, version: Option<&str>, command: &str) -> anyhow::Result<ReleaseRef> {
    match version {
        None => release(first),
        Some(version) => {
            warning!(
                "`signoff {command} {first} {version}` is deprecated: write `signoff {command} {first}@{version}` (the old spelling goes in the next release)"
            );
            Ok(ReleaseRef::new(signoff_core::ProjectName::new(first)?, signoff_core::ReleaseVersion::new(version)?))
        }
    }
}

/// A qualifying `--release`: `PROJECT@VERSION`, or in the previous spelling a bare
/// version of `project` (with a deprecation warning).
pub(crate) fn qualifying_release(text: &str, project: Option<&str>, command: &str) -> anyhow::Result<ReleaseRef> {
    if text.contains('@') {
        let release = release(text)?;
        if let Some(project) = project
            && project != release.project.as_str()
        {
            anyhow::bail!("--release {text} belongs to project {}, not --project {project}", release.project);
        }
        return Ok(release);
    }
    let project =
        project.ok_or_else(|| anyhow::anyhow!("--release takes PROJECT@VERSION (for example shop@{text})"))?;
    warning!(
        "`signoff {command} --release {text}` is deprecated: write `--release {project}@{text}` (the old spelling goes in the next release)"
    );
    Ok(ReleaseRef::new(signoff_core::ProjectName::new(project)?, signoff_core::ReleaseVersion::new(text)?))
}

/// A period from `--from` and `--to`.
pub(crate) fn period(from: Option<&str>, to: Option<&str>) -> anyhow::Result<Period> {
    Ok(Period::parse(from, to)?)
}

/// A time as people give one (`2026-12-31` or RFC 3339).
pub(crate) fn time(text: &str, day: DayEnd) -> anyhow::Result<OffsetDateTime> {
    Ok(parse_time(text, day)?)
}

/// What `--artifact TEXT` names, as digests: a digest, a pinned image reference, a
/// file, a directory (its tree digest), an OCI image layout, `docker inspect` or
/// `crane digest` output, or `-` for such output (or an artifact's bytes) on
/// standard input. See `signoff_app::artifact` and docs/artifacts.md.
pub(crate) fn artifact_digests(text: &str) -> anyhow::Result<Vec<Digest>> {
    use signoff_app::artifact::{Artifact, ArtifactKind};
    let artifact = if text == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes).context("--artifact -")?;
        signoff_app::artifact::tool_output(&bytes)
            .unwrap_or(Artifact { kind: ArtifactKind::File, digests: vec![Digest::of(&bytes)] })
    } else {
        signoff_app::artifact::resolve(text)?
    };
    if !matches!(artifact.kind, ArtifactKind::Digest | ArtifactKind::File) {
        let digests: Vec<String> = artifact.digests.iter().map(ToString::to_string).collect();
        crate::render::note!("--artifact {text}: {} → {}", artifact.kind.describe(), digests.join(", "));
    }
    Ok(artifact.digests)
}

/// One artifact (the gate's): the first digest of [`artifact_digests`], the one a
/// registry names an image by.
pub(crate) fn artifact(text: &str) -> anyhow::Result<Digest> {
    artifact_digests(text)?.into_iter().next().with_context(|| format!("--artifact {text}: no digest"))
}

/// Artifacts (see [`artifact`]), without repeats.
pub(crate) fn digests(texts: &[String]) -> anyhow::Result<Vec<Digest>> {
    let mut digests = Vec::new();
    for text in texts {
        for digest in artifact_digests(text)? {
            if !digests.contains(&digest) {
                digests.push(digest);
            }
        }
    }
    Ok(digests)
}
