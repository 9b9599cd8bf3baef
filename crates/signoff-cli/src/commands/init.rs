//! `signoff init`.

use std::path::Path;

use signoff_app::Signoff;

use crate::Outcome;
use crate::cli::InitArgs;
use crate::render::print_json;

pub(crate) async fn run(store: &Path, args: InitArgs) -> anyhow::Result<Outcome> {
    let report = Signoff::init(store, args.origin.as_deref(), args.database.as_deref()).await?;
    if args.json {
        print_json(&report)?;
    } else {
        let verb = if report.created { "created" } else { "already a store:" };
        println!("{verb} {}", report.home);
        match &args.database {
            Some(url) => println!("  database   {} (PostgreSQL)", redact_password(url)),
            None => println!("  database   {}", store.join("signoff.db").display()),
        }
        println!("  blobs      {}", store.join("blobs").display());
        println!("  key        {} (private, mode 0600)", store.join("keys/ledger.key").display());
        println!("  origin     {}", report.origin);
        println!("  verifier   {}", report.verifier_key);
        println!();
        println!("next: signoff capture FILE... --project NAME --commit SHA");
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
