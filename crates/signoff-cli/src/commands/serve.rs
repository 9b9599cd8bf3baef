//! `signoff serve`: the store of this folder (or its database) over HTTP, the
//! delivery of its GRC outbox to the destinations of `[sync]` while it runs, and
//! the alerts of both (failing destinations, silent sources).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use signoff_app::Signoff;
use signoff_server::{AppState, ServerConfig};

use crate::Outcome;
use crate::cli::ServeArgs;

/// How long queued alerts may take to send when the server stops.
const ALERTS_AT_EXIT: Duration = Duration::from_secs(10);

pub(crate) async fn run(store: &Path, args: ServeArgs) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let mut config = ServerConfig {
        timeout: Duration::from_secs(args.timeout),
        rate_per_second: args.rate_limit,
        rate_burst: args.rate_limit.saturating_mul(2),
        max_group: usize::from(args.max_group),
        ..ServerConfig::default()
    };
    if let Some(max) = args.max_capture {
        config.max_capture = max;
    }
    // The outbox's deliveries (G3) run beside the server and stop with it; their
    // alerts and the silent-source checks go to the log, /metrics and the alert
    // webhook of [sync.alerts].
    let monitor = Arc::new(signoff_app::sync::Monitor::start(&signoff, Vec::new())?);
    let destinations = signoff_app::sync::settings(&signoff).destinations.len();
    let engine = if destinations > 0 {
        Some(signoff_app::sync::engine(&signoff, signoff_app::sync::retry_policy(&signoff)?, monitor.alerts())?)
    } else {
        None
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|error| anyhow::anyhow!("cannot listen on {}: {error}", args.listen))?;
    let address = listener.local_addr()?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(signoff_server::tls::server_config(cert, key)?),
        _ => None,
    };
    config.https = tls.is_some();
    let scheme = if config.https { "https" } else { "http" };
    tracing::info!(address = %address, scheme, store = %store.display(), destinations, "signoff serve listening");
    eprintln!("listening on {scheme}://{address} (store {}); ctrl-c or SIGTERM stops", store.display());
    if args.json || crate::render::jq_set() {
        crate::render::json_line(&crate::schemas::ServeJson {
            listening: format!("{scheme}://{address}"),
            store: store.display().to_string(),
            destinations,
        })?;
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let delivery = engine.map(|engine| {
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            engine
                .run_until(async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                })
                .await;
        })
    });
    let shutdown = async move {
        signoff_server::shutdown_signal().await;
        let _ = stop.send(true);
    };
    let state = AppState::with_monitor(signoff, config, Some(Arc::clone(&monitor)));
    match tls {
        Some(tls) => {
            signoff_server::serve(signoff_server::tls::TlsListener::new(listener, tls)?, state, shutdown).await?
        }
        None => signoff_server::serve(listener, state, shutdown).await?,
    }
    if let Some(delivery) = delivery {
        let _ = delivery.await;
    }
    monitor.finish(ALERTS_AT_EXIT).await;
    Ok(Outcome::Success)
}
