//! `signoff serve`: the store of this folder (or its database) over HTTP.

use std::path::Path;
use std::time::Duration;

use signoff_app::Signoff;
use signoff_server::{AppState, ServerConfig};

use crate::Outcome;
use crate::cli::ServeArgs;

pub(crate) async fn run(store: &Path, args: ServeArgs) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let mut config = ServerConfig {
        timeout: Duration::from_secs(args.timeout),
        rate_per_second: args.rate_limit,
        rate_burst: args.rate_limit.saturating_mul(2),
        ..ServerConfig::default()
    };
    if let Some(max) = args.max_capture {
        config.max_capture = max;
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|error| anyhow::anyhow!("cannot listen on {}: {error}", args.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(address = %address, store = %store.display(), "signoff serve listening");
    eprintln!("listening on http://{address} (store {}); ctrl-c or SIGTERM stops", store.display());
    signoff_server::serve(listener, AppState::new(signoff, config), signoff_server::shutdown_signal()).await?;
    Ok(Outcome::Success)
}
