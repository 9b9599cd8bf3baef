//! `signoff init`.

use std::path::Path;

use signoff_app::Signoff;

use crate::Outcome;
use crate::cli::InitArgs;
use crate::render::{json, outln};

pub(crate) async fn run(store: &Path, args: InitArgs) -> anyhow::Result<Outcome> {
    let report = Signoff::init(store, args.origin.as_deref(), args.database.as_deref()).await?;
    if args.output.json || crate::render::jq_set() {
        json(&report)?;
    } else if !crate::render::quiet() {
        // Where everything is: a success report, silenced by --quiet like `done!`.
        let verb = if report.created { "created" } else { "already a store:" };
        outln!("{verb} {}", report.home)?;
        match &args.database {
            Some(url) => outln!("  database   {} (PostgreSQL)", redact_password(url))?,
            None => outln!("  database   {}", store.join("signoff.db").display())?,
        }
        outln!("  blobs      {}", store.join("blobs").display())?;
        outln!("  key        {} (private, mode 0600)", store.join("keys/ledger.key").display())?;
        outln!("  settings   {} (commented; every setting is optional)", store.join("signoff.toml").display())?;
        outln!("  origin     {}", report.origin)?;
        outln!("  verifier   {}", report.verifier_key)?;
        outln!()?;
        outln!("next: signoff capture FILE... --project NAME   (in a git work tree the commit is HEAD)")?;
    }
    Ok(Outcome::Success)
}

/// A database URL with its password hidden, for printing.
fn redact_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
