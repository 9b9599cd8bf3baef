//! `signoff completions`, `signoff man` and `signoff schema`: shell completions,
//! manual pages and the JSON Schemas of JSON outputs, generated from the same clap grammar the command line parses with, so they
//! cannot drift from it.

use anyhow::Context;
use clap::CommandFactory;

use crate::Outcome;
use crate::cli::{Cli, CompletionsArgs, ManArgs, SchemaArgs};
use crate::render::{done, json_line, outln, write_bytes};

pub(crate) fn completions(args: &CompletionsArgs) -> anyhow::Result<Outcome> {
    let mut command = Cli::command();
    // Rendered whole, then written like any output (a closed pipe ends quietly;
    // clap_complete's own writer panics on one).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "signoff", &mut script);
    write_bytes(None, &script)?;
    Ok(Outcome::Success)
}

pub(crate) fn man(args: &ManArgs) -> anyhow::Result<Outcome> {
    let mut command = Cli::command();
    command.build();
    let Some(dir) = &args.dir else {
        let mut page = Vec::new();
        clap_mangen::Man::new(command).render(&mut page)?;
        write_bytes(None, &page)?;
        return Ok(Outcome::Success);
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut written = 0;
    write_pages(&command, "signoff", dir, &mut written)?;
    done!("wrote {} to {}", crate::render::count(written, "manual page", "manual pages"), dir.display())?;
    Ok(Outcome::Success)
}

/// Writes `name.1` for `command` and a page for each of its subcommands, named
/// after their path (`signoff-ledger-verify.1`), as git names its pages.
fn write_pages(command: &clap::Command, name: &str, dir: &std::path::Path, written: &mut u64) -> anyhow::Result<()> {
    let page = command.clone().name(name.to_owned());
    let path = dir.join(format!("{name}.1"));
    let mut bytes = Vec::new();
    clap_mangen::Man::new(page).render(&mut bytes)?;
    std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    *written += 1;
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set() && sub.get_name() != "help") {
        write_pages(sub, &format!("{name}-{}", sub.get_name()), dir, written)?;
    }
    Ok(())
}

pub(crate) fn schema(args: &SchemaArgs) -> anyhow::Result<Outcome> {
    if args.list {
        for documented in crate::schemas::DOCUMENTED {
            if args.json || crate::render::jq_set() {
                json_line(&crate::schemas::SchemaListJson {
                    name: documented.name.to_owned(),
                    commands: documented.commands.to_owned(),
                    lines: documented.lines,
                })?;
                continue;
            }
            let form = if documented.lines { "JSON lines" } else { "one document" };
            outln!("{:<20} signoff {} --json ({form})", documented.name, documented.commands)?;
        }
        return Ok(Outcome::Success);
    }
    if let Some(dir) = &args.dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        for documented in crate::schemas::DOCUMENTED {
            let path = dir.join(format!("{}.schema.json", documented.name));
            std::fs::write(&path, documented.text()?).with_context(|| format!("cannot write {}", path.display()))?;
        }
        let written = crate::schemas::DOCUMENTED.len() as u64;
        done!("wrote {} to {}", crate::render::count(written, "schema", "schemas"), dir.display())?;
        return Ok(Outcome::Success);
    }
    let name = args.name.as_deref().unwrap_or_default();
    let text = crate::schemas::find(name)?.text()?;
    if crate::render::jq_set() {
        // A schema is itself JSON: --jq filters it (`signoff schema findings --jq '.required'`).
        crate::render::json_raw(text.as_bytes())?;
    } else {
        write_bytes(None, text.as_bytes())?;
    }
    Ok(Outcome::Success)
}
