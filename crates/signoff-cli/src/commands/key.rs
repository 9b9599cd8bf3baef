//! `signoff key public`.

use std::path::Path;

use signoff_app::Signoff;

use crate::Outcome;
use crate::cli::{KeyCommand, KeyFormat};
use crate::render::{json, out, outln};
use crate::schemas::PublicKeyJson;

pub(crate) async fn run(store: &Path, command: KeyCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    match command {
        KeyCommand::Public(args) if args.json || crate::render::jq_set() => json(&PublicKeyJson {
            origin: signoff.origin().to_string(),
            pem: signoff.public_key().to_spki_pem(),
            note: signoff.verifier()?.to_text(),
        })?,
        KeyCommand::Public(args) => match args.format {
            KeyFormat::Pem => out!("{}", signoff.public_key().to_spki_pem())?,
            KeyFormat::Note => outln!("{}", signoff.verifier()?.to_text())?,
        },
    }
    Ok(Outcome::Success)
}
