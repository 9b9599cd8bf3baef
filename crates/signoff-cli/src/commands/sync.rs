//! `signoff sync ...`, `signoff oscal export`, `signoff vex export`: evidence to the
//! GRC tools.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use signoff_app::Signoff;
use signoff_app::sync::{DestinationStatus, DestinationView, OscalScope};
use signoff_grc::config::DestinationConfig;
use signoff_grc::destination::drata::DrataRegion;
use signoff_grc::secret::SecretSource;

use crate::Outcome;
use crate::cli::{AddCommon, OscalCommand, Region, SyncAddCommand, SyncCommand, VexCommand, VexFormat};
use crate::render::{cell, done, json, json_line, note, outln, print_table, table, write_out};

/// Where a destination's secret is read from on every sync: a variable, or a file
/// (kept as an absolute path). Standard input is refused: it is read once, and
/// `signoff.toml` keeps only where to read the secret, never its value.
fn secret(env: Option<String>, file: Option<PathBuf>, flag: &str, what: &str) -> anyhow::Result<SecretSource> {
    match (env, file) {
        (Some(name), None) => Ok(SecretSource::Env(name)),
        (None, Some(path)) if path.as_os_str() == "-" => anyhow::bail!(
            "--{flag}-file -: {what} is read again on every sync, and signoff.toml keeps only where from; name a file, or use --{flag}-env VAR"
        ),
        (None, Some(path)) => {
            let path = std::path::absolute(&path).with_context(|| format!("{}", path.display()))?;
            Ok(SecretSource::File(path))
        }
        _ => anyhow::bail!("{what}: give one of --{flag}-env VAR or --{flag}-file FILE"),
    }
}

/// A flat `key: value` file (a YAML map of strings), for `--document-map`.
fn document_map(path: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let (text, name) = crate::render::read_input_text(path)?;
    let mut map = BTreeMap::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.split(" #").next().unwrap_or_default().trim();
        if line.is_empty() || line.starts_with('#') || line == "---" {
            continue;
        }
        // The key may hold a colon itself (`soc2:CC6.1`): the separator is the last
        // `: `.
        let Some((key, value)) = line.rsplit_once(": ") else {
            anyhow::bail!("{name}:{}: expected `framework[:control]: document-id`", number + 1);
        };
        let unquote = |text: &str| text.trim().trim_matches('"').trim_matches('\'').to_owned();
        map.insert(unquote(key), unquote(value));
    }
    Ok(map)
}

fn control_map(pairs: &[String]) -> anyhow::Result<BTreeMap<String, Vec<String>>> {
    let mut map = BTreeMap::new();
    for pair in pairs {
        let Some((key, ids)) = pair.split_once('=') else {
            anyhow::bail!("--control {pair:?}: expected framework:control=DRATA-ID[,DRATA-ID]");
        };
        map.insert(key.trim().to_owned(), ids.split(',').map(|id| id.trim().to_owned()).collect());
    }
    Ok(map)
}

fn added(view: &DestinationView, common: &AddCommon) -> anyhow::Result<()> {
    if common.output.json || crate::render::jq_set() {
        return json(view);
    }
    done!("added sync destination {} to signoff.toml", view.name)?;
    note!("certifications from now on are delivered there: `signoff sync run --once`, or `signoff serve`");
    Ok(())
}

fn add(signoff: &Signoff, command: SyncAddCommand) -> anyhow::Result<()> {
    let (name, config, common) = match command {
        SyncAddCommand::Vanta(args) => {
            let config = DestinationConfig::Vanta {
                client_id: args.client_id,
                client_secret: secret(
                    args.client_secret_env,
                    args.client_secret_file,
                    "client-secret",
                    "the client secret",
                )?,
                resource_id: args.resource_id,
                document_map: args.document_map.as_deref().map(document_map).transpose()?.unwrap_or_default(),
                gov: args.gov,
                base_url: args.base_url,
                scope: None,
            };
            ("vanta", config, args.common)
        }
        SyncAddCommand::Drata(args) => {
            let config = DestinationConfig::Drata {
                api_key: secret(args.api_key_env, args.api_key_file, "api-key", "the API key")?,
                workspace_id: args.workspace,
                region: match args.region {
                    Region::Us => DrataRegion::Us,
                    Region::Eu => DrataRegion::Eu,
                    Region::Apac => DrataRegion::Apac,
                },
                control_map: control_map(&args.control)?,
                base_url: args.base_url,
            };
            ("drata", config, args.common)
        }
        SyncAddCommand::Webhook(args) => {
            let config = DestinationConfig::Webhook {
                url: args.url,
                secret: secret(args.secret_env, args.secret_file, "secret", "the webhook secret")?,
                list_url: args.list_url,
            };
            ("webhook", config, args.common)
        }
        SyncAddCommand::Folder(args) => {
            let path = if args.path.contains("://") {
                args.path
            } else {
                std::path::absolute(&args.path).with_context(|| args.path.clone())?.display().to_string()
            };
            ("folder", DestinationConfig::Folder { path }, args.common)
        }
    };
    let name = common.name.clone().unwrap_or_else(|| name.to_owned());
    let view = signoff_app::sync::add(signoff, &name, config, common.unchecked)?;
    added(&view, &common)
}

fn status_row(status: &DestinationStatus) -> [comfy_table::Cell; 7] {
    let failing = match (&status.failing_since, &status.last_error) {
        (Some(since), Some(why)) => format!("{} since {since}: {why}", status.failing),
        _ => status.failing.to_string(),
    };
    [
        cell(&status.name),
        cell(status.kind.as_deref().unwrap_or("(removed)")),
        cell(&status.sent.to_string()),
        cell(&status.pending.to_string()),
        cell(&failing),
        cell(&status.failed.to_string()),
        cell(status.last_delivered.as_deref().unwrap_or("never")),
    ]
}

/// How long queued alerts may take to send before the command exits.
const ALERTS_AT_EXIT: std::time::Duration = std::time::Duration::from_secs(10);

pub(crate) async fn sync(store: &Path, command: SyncCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    match command {
        SyncCommand::Add(command) => add(&signoff, command)?,
        SyncCommand::Remove(args) => {
            signoff_app::sync::remove(&signoff, &args.name)?;
            if args.output.json || crate::render::jq_set() {
                json(&crate::schemas::SyncRemovedJson { removed: args.name.clone() })?;
            } else {
                done!("removed sync destination {} from signoff.toml", args.name)?;
            }
        }
        SyncCommand::List(output) => {
            let destinations = signoff_app::sync::list(&signoff);
            if output.json || crate::render::jq_set() {
                for destination in &destinations {
                    json_line(destination)?;
                }
                return Ok(Outcome::Success);
            }
            if destinations.is_empty() {
                note!("no sync destinations: `signoff sync add vanta|drata|webhook|folder ...`");
            }
            for destination in &destinations {
                let text = serde_json::to_string(&destination.config)?;
                outln!("{}  {}", destination.name, text)?;
            }
        }
        SyncCommand::Status(output) => {
            let all = signoff_app::sync::status(&signoff).await?;
            if output.json || crate::render::jq_set() {
                for status in &all {
                    json_line(status)?;
                }
                return Ok(Outcome::Success);
            }
            if all.is_empty() {
                note!("no sync destinations: `signoff sync add vanta|drata|webhook|folder ...`");
                return Ok(Outcome::Success);
            }
            let mut rows = table();
            rows.set_header(["destination", "type", "sent", "pending", "failing", "given up", "last delivered"]);
            for status in &all {
                rows.add_row(status_row(status));
            }
            print_table(&rows)?;
        }
        SyncCommand::Run(args) => {
            // Alerts go to the log and the alert webhook of [sync.alerts].
            let monitor = signoff_app::sync::Monitor::start(&signoff, Vec::new())?;
            if !args.once {
                let engine =
                    signoff_app::sync::engine(&signoff, signoff_app::sync::retry_policy(&signoff)?, monitor.alerts())?;
                note!("delivering the outbox until Ctrl-C");
                engine.run_until(signoff_server::shutdown_signal()).await;
                monitor.finish(ALERTS_AT_EXIT).await;
                return Ok(Outcome::Success);
            }
            let timeout = signoff_app::access::parse_duration(&args.timeout)?;
            let timeout = std::time::Duration::try_from(timeout).context("--timeout")?;
            let summary =
                signoff_app::sync::run(&signoff, signoff_app::sync::retry_policy(&signoff)?, monitor.alerts(), timeout)
                    .await;
            monitor.finish(ALERTS_AT_EXIT).await;
            let summary = summary?;
            let status = signoff_app::sync::status(&signoff).await?;
            let left: u64 = status.iter().map(|one| one.pending + one.failed).sum();
            if args.output.json || crate::render::jq_set() {
                json(&crate::schemas::SyncRunJson { run: summary, destinations: status })?;
            } else {
                done!(
                    "delivered {}, retried {}, gave up {}{}",
                    summary.delivered,
                    summary.retried,
                    summary.failed,
                    if summary.timed_out { format!("; stopped at --timeout {}", args.timeout) } else { String::new() }
                )?;
            }
            if left > 0 {
                return Ok(Outcome::No);
            }
        }
        SyncCommand::Reconcile(args) => {
            let monitor = signoff_app::sync::Monitor::start(&signoff, Vec::new())?;
            let report = signoff_app::sync::reconcile(
                &signoff,
                &args.name,
                signoff_app::sync::retry_policy(&signoff)?,
                monitor.alerts(),
            )
            .await;
            monitor.finish(ALERTS_AT_EXIT).await;
            let report = report?;
            if args.output.json || crate::render::jq_set() {
                json(&report)?;
            } else {
                done!(
                    "{}: holds {} of {} delivered; {} missing requeued, {} sent again{}",
                    report.destination,
                    report.held,
                    report.expected,
                    report.missing.len(),
                    report.delivered,
                    if report.retried > 0 { format!(", {} to retry", report.retried) } else { String::new() }
                )?;
            }
            if report.retried + report.failed > 0 {
                return Ok(Outcome::No);
            }
        }
    }
    Ok(Outcome::Success)
}

pub(crate) async fn oscal(store: &Path, command: OscalCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let OscalCommand::Export(args) = command;
    let scope = match &args.release {
        Some(release) => OscalScope::Release(super::release(release)?),
        None => {
            if args.from.is_none() || args.to.is_none() {
                anyhow::bail!("name a release (--release PROJECT@VERSION) or a period (--from DATE --to DATE)");
            }
            OscalScope::Period {
                period: super::period(args.from.as_deref(), args.to.as_deref())?,
                project: super::known_project(&signoff, args.project.as_deref()).await?,
            }
        }
    };
    let document = signoff_app::sync::oscal(&signoff, &scope, args.framework.as_deref()).await?;
    let text = serde_json::to_string_pretty(&document)?;
    write_out(Some(&args.output), &text)?;
    let results = document["assessment-results"]["results"].as_array().map_or(0, Vec::len);
    if args.json.json || crate::render::jq_set() {
        json(&crate::schemas::OscalWrittenJson {
            format: "oscal-assessment-results".to_owned(),
            results: results as u64,
            file: args.output.display().to_string(),
        })?;
    }
    Ok(Outcome::Success)
}

pub(crate) async fn vex(store: &Path, command: VexCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let VexCommand::Export(args) = command;
    let project = super::known(&signoff, &args.project).await?;
    let format = match args.format {
        VexFormat::Openvex => signoff_app::sync::VexFormat::OpenVex,
        VexFormat::Cyclonedx => signoff_app::sync::VexFormat::CycloneDx,
    };
    let export = signoff_app::sync::vex(&signoff, &project, format).await?;
    write_out(Some(&args.output), &serde_json::to_string_pretty(&export.document)?)?;
    let name = match args.format {
        VexFormat::Openvex => "openvex",
        VexFormat::Cyclonedx => "cyclonedx",
    };
    if args.json.json || crate::render::jq_set() {
        json(&crate::schemas::VexWrittenJson {
            format: name.to_owned(),
            dispositions: export.dispositions.len() as u64,
            file: args.output.display().to_string(),
        })?;
    }
    Ok(Outcome::Success)
}
