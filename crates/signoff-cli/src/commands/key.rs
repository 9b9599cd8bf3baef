//! `signoff key public`.

use std::path::Path;

use signoff_app::Signoff;

use crate::Outcome;
use crate::cli::{KeyCommand, KeyFormat};

pub(crate) async fn run(store: &Path, command: KeyCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    match command {
        KeyCommand::Public(args) => match args.format {
            KeyFormat::Pem => print!("{}", signoff.public_key().to_spki_pem()),
            KeyFormat::Note => println!("{}", signoff.verifier()?.to_text()),
        },
    }
    Ok(Outcome::Success)
}
