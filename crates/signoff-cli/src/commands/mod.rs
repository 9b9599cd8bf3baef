//! One module per subcommand: flags in, a use case called, the result rendered.

mod audit;
mod capture;
mod certify;
mod decide;
mod demo;
mod findings;
mod init;
mod key;
mod ledger;
mod release;

use crate::Outcome;
use crate::cli::{Cli, Command};

/// Runs the parsed command line.
pub(crate) async fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Init(args) => init::run(&cli.store, args).await,
        Command::Capture(args) => capture::capture(&cli.store, args).await,
        Command::Inspect(args) => capture::inspect(args).await,
        Command::Release(command) => release::run(&cli.store, command).await,
        Command::Findings(args) => findings::run(&cli.store, args).await,
        Command::Policy(command) => decide::policy(&cli.store, command).await,
        Command::Approve(args) => decide::approve(&cli.store, args).await,
        Command::Exception(command) => decide::exception(&cli.store, command).await,
        Command::Certify(args) => certify::certify(&cli.store, args).await,
        Command::Certificate(command) => certify::certificate(&cli.store, command).await,
        Command::Gate(args) => certify::gate(&cli.store, args).await,
        Command::Replay(args) => certify::replay(&cli.store, args).await,
        Command::Deploy(command) => audit::deploy(&cli.store, command).await,
        Command::Env(command) => audit::env(&cli.store, command).await,
        Command::Controls(command) => audit::controls(&cli.store, command).await,
        Command::Audit(command) => audit::audit(&cli.store, command).await,
        Command::Report(args) => audit::report(&cli.store, args).await,
        Command::Metrics(args) => audit::metrics(&cli.store, args).await,
        Command::Export(args) => audit::export(&cli.store, args).await,
        Command::VerifyPackage(args) => audit::verify_package(args),
        Command::Retention(command) => audit::retention(&cli.store, command).await,
        Command::Hold(command) => audit::hold(&cli.store, command).await,
        Command::Ledger(command) => ledger::run(&cli.store, command).await,
        Command::Key(command) => key::run(&cli.store, command).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Dev(command) => dev(&cli.store, command).await,
    }
}

async fn dev(store: &std::path::Path, command: crate::cli::DevCommand) -> anyhow::Result<Outcome> {
    let crate::cli::DevCommand::Generate(args) = command;
    let signoff = signoff_app::Signoff::open(store).await?;
    let bar = indicatif::ProgressBar::new(args.releases);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} releases, {per_sec}, eta {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let shape = signoff_app::Shape {
        releases: args.releases,
        evidence_per_release: args.evidence_per_release,
        findings_per_scan: args.findings_per_scan,
        projects: args.projects,
    };
    let started = std::time::Instant::now();
    let generated = signoff_app::generate(&signoff, shape, &|done| bar.set_position(done)).await?;
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
