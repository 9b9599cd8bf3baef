//! `signoff outbox status` and `signoff outbox flush`.

use serde::Serialize;

use crate::Outcome;
use crate::cli::{JsonArg, OutboxCommand};
use crate::remote::Remote;
use crate::remote::outbox::{self, Delivered, KeptJson};
use crate::render::{count, done, evidence_line, json, note, print_table, table, warning};
use crate::schemas::Items;

pub(crate) async fn run(remote: Option<&Remote>, command: OutboxCommand) -> anyhow::Result<Outcome> {
    match command {
        OutboxCommand::Status(output) => status(&output),
        OutboxCommand::Flush(output) => {
            let remote = remote.ok_or_else(|| {
                anyhow::anyhow!(
                    "no server to deliver to: set SIGNOFF_SERVER and SIGNOFF_TOKEN (or --server and --token)"
                )
            })?;
            flush(remote, &output).await
        }
    }
}

fn status(output: &JsonArg) -> anyhow::Result<Outcome> {
    let folder = outbox::folder()?;
    let entries = outbox::entries(&folder)?;
    if output.json || crate::render::jq_set() {
        let items = entries.iter().map(|entry| KeptJson::from(&entry.kept)).collect();
        json(&Items { items })?;
        return Ok(Outcome::Success);
    }
    if entries.is_empty() {
        done!("the outbox is empty ({})", folder.display())?;
        return Ok(Outcome::Success);
    }
    let mut rows = table();
    rows.set_header(["captured", "file", "project", "server", "size", "why it waits"]);
    for entry in &entries {
        let project = entry.kept.query.iter().find(|(name, _)| name == "project").map_or("", |(_, value)| value);
        rows.add_row([
            entry.kept.captured_at.as_str(),
            entry.kept.file.as_str(),
            project,
            entry.kept.server.as_str(),
            &entry.kept.size.to_string(),
            entry.kept.reason.as_str(),
        ]);
    }
    print_table(&rows)?;
    note!("{} waiting in {}", count(entries.len() as u64, "capture", "captures"), folder.display());
    Ok(Outcome::Success)
}

/// What a flush did (`signoff outbox flush --json`).
#[derive(Debug, Default, Serialize, schemars::JsonSchema)]
pub(crate) struct Flushed {
    /// The evidence the server stored, as `capture --json` prints it.
    delivered: Vec<signoff_app::report::EvidenceReport>,
    /// Captures for this server still kept.
    waiting: u64,
    /// Captures the server refused (they stay kept, for a person to look at).
    refused: Vec<Refused>,
    /// Captures kept for other servers.
    other_servers: u64,
    /// Why the server could not be reached, when the flush stopped at that.
    #[serde(skip_serializing_if = "Option::is_none")]
    unavailable: Option<String>,
}

/// A kept capture the server refused.
#[derive(Debug, Serialize, schemars::JsonSchema)]
struct Refused {
    /// The file as the user named it.
    file: String,
    /// Its idempotency key.
    key: String,
    /// The server's reason.
    detail: String,
}

/// Delivers every capture kept for `remote`, oldest first; stops at the first
/// that still cannot be delivered (the server is still out of reach).
async fn deliver_all(remote: &Remote) -> anyhow::Result<Flushed> {
    let folder = outbox::folder()?;
    let mut flushed = Flushed::default();
    let entries = outbox::entries(&folder)?;
    let mut pending = entries.iter().filter(|entry| entry.kept.server == remote.base());
    flushed.other_servers = entries.iter().filter(|entry| entry.kept.server != remote.base()).count() as u64;
    for entry in pending.by_ref() {
        match outbox::deliver(remote, entry).await? {
            Delivered::Stored(reports) => flushed.delivered.extend(reports),
            Delivered::Refused(detail) => {
                flushed.refused.push(Refused { file: entry.kept.file.clone(), key: entry.kept.key.clone(), detail })
            }
            Delivered::Kept(why) => {
                flushed.unavailable = Some(why);
                flushed.waiting += 1;
                break;
            }
        }
    }
    flushed.waiting += pending.count() as u64;
    Ok(flushed)
}

async fn flush(remote: &Remote, output: &JsonArg) -> anyhow::Result<Outcome> {
    let flushed = deliver_all(remote).await?;
    if output.json || crate::render::jq_set() {
        json(&flushed)?;
    } else {
        for report in &flushed.delivered {
            done!("{}", evidence_line(report))?;
        }
        report(&flushed);
    }
    if flushed.refused.is_empty() {
        Ok(Outcome::Success)
    } else {
        anyhow::bail!("the server refused {} kept", count(flushed.refused.len() as u64, "capture", "captures"))
    }
}

fn report(flushed: &Flushed) {
    for refused in &flushed.refused {
        warning!(
            "{} (outbox {}): refused by the server: {}; left in the outbox",
            refused.file,
            refused.key,
            refused.detail
        );
    }
    if !flushed.delivered.is_empty() {
        note!("delivered {} from the outbox", count(flushed.delivered.len() as u64, "capture", "captures"));
    }
    if flushed.waiting > 0 {
        let why = flushed.unavailable.as_deref().unwrap_or("the server is out of reach");
        warning!("{} still waiting in the outbox: {why}", count(flushed.waiting, "capture", "captures"));
    }
    if flushed.other_servers > 0 {
        note!("{} in the outbox are for another server", count(flushed.other_servers, "capture", "captures"));
    }
}

/// Before a command against the server: delivers what waits, saying so on stderr
/// only, so the command's own output is what it would be without an outbox.
pub(crate) async fn flush_quietly(remote: &Remote) {
    match deliver_all(remote).await {
        Ok(flushed) => {
            for report in &flushed.delivered {
                note!("from the outbox: {}", evidence_line(report));
            }
            report(&flushed);
        }
        Err(error) => warning!("the outbox could not be delivered: {}", crate::error_text(&error)),
    }
}
