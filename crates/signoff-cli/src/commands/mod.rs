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
//! | `package` | `export`, `verify-package` |
//! | `retention` | `retention apply`, `hold` |
//! | `ledger` | `ledger verify`, `ledger checkpoint`, `ledger prove` |
//! | `key` | `key public` |
//! | `demo` | `demo` |

mod audit;
mod capture;
mod certify;
mod controls;
mod decide;
mod demo;
mod deploy;
mod findings;
mod init;
mod key;
mod ledger;
mod package;
mod release;
mod report;
mod retention;

use anyhow::Context as _;
use signoff_app::request::{DayEnd, parse_time};
use signoff_app::{Environment, Period, Signoff};
use signoff_core::records::Actor;
use signoff_core::{Digest, ReleaseRef};
use time::OffsetDateTime;

use crate::Outcome;
use crate::cli::{Cli, Command};

/// Runs the parsed command line.
pub(crate) async fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let store = cli.store.as_path();
    match cli.command {
        Command::Init(args) => init::run(store, args).await,
        Command::Capture(args) => capture::capture(store, args).await,
        Command::Inspect(args) => capture::inspect(args).await,
        Command::Release(command) => release::run(store, command).await,
        Command::Findings(args) => findings::run(store, args).await,
        Command::Policy(command) => decide::policy(store, command).await,
        Command::Approve(args) => decide::approve(store, args).await,
        Command::Exception(command) => decide::exception(store, command).await,
        Command::Certify(args) => certify::certify(store, args).await,
        Command::Certificate(command) => certify::certificate(store, command).await,
        Command::Gate(args) => certify::gate(store, args).await,
        Command::Replay(args) => certify::replay(store, args).await,
        Command::Deploy(command) => deploy::deploy(store, command).await,
        Command::Env(command) => deploy::env(store, command).await,
        Command::Controls(command) => controls::run(store, command).await,
        Command::Audit(command) => audit::run(store, command).await,
        Command::Report(args) => report::report(store, args).await,
        Command::Metrics(args) => report::metrics(store, args).await,
        Command::Export(args) => package::export(store, args).await,
        Command::VerifyPackage(args) => package::verify(args),
        Command::Retention(command) => retention::retention(store, command).await,
        Command::Hold(command) => retention::hold(store, command).await,
        Command::Ledger(command) => ledger::run(store, command).await,
        Command::Key(command) => key::run(store, command).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Dev(command) => dev(store, command).await,
    }
}

/// Who is acting: `--actor`, else the identity the environment gives.
pub(crate) fn actor(signoff: &Signoff, flag: Option<&str>) -> anyhow::Result<Actor> {
    Ok(signoff.current_actor(&Environment::from_process(), flag)?)
}

/// A release named `PROJECT@VERSION`.
pub(crate) fn release(text: &str) -> anyhow::Result<ReleaseRef> {
    Ok(text.parse::<ReleaseRef>()?)
}

/// A period from `--from` and `--to`.
pub(crate) fn period(from: Option<&str>, to: Option<&str>) -> anyhow::Result<Period> {
    Ok(Period::parse(from, to)?)
}

/// A time as people give one (`2026-12-31` or RFC 3339).
pub(crate) fn time(text: &str, day: DayEnd) -> anyhow::Result<OffsetDateTime> {
    Ok(parse_time(text, day)?)
}

/// Artifact digests, `sha256:<hex>`, without repeats.
pub(crate) fn digests(texts: &[String]) -> anyhow::Result<Vec<Digest>> {
    let mut digests = Vec::new();
    for text in texts {
        let digest = text.parse::<Digest>().with_context(|| format!("--artifact {text}"))?;
        if !digests.contains(&digest) {
            digests.push(digest);
        }
    }
    Ok(digests)
}

async fn dev(store: &std::path::Path, command: crate::cli::DevCommand) -> anyhow::Result<Outcome> {
    let crate::cli::DevCommand::Generate(args) = command;
    let signoff = signoff_app::Signoff::open(store).await?;
    let bar = indicatif::ProgressBar::new(args.releases);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} releases, {per_sec}, eta {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let shape = signoff_app::synthetic::Shape {
        releases: args.releases,
        evidence_per_release: args.evidence_per_release,
        findings_per_scan: args.findings_per_scan,
        projects: args.projects,
    };
    let started = std::time::Instant::now();
    let generated = signoff_app::synthetic::generate(&signoff, shape, &|done| bar.set_position(done)).await?;
    bar.finish_and_clear();
    println!(
        "generated {} releases, {} evidence items, {} findings, {} ledger entries in {:.1} s",
        generated.releases,
        generated.evidence,
        generated.findings,
        generated.entries,
        started.elapsed().as_secs_f64()
    );
    Ok(Outcome::Success)
}
