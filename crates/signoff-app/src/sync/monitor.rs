//! Alerts for a front end (G3, I2): where the delivery engine's alerts go, and the
//! silent-source check that raises the same kind of alert.
//!
//! A [`Monitor`] sends every alert to the log, to a tally the server's `/metrics`
//! reads, and, when `[sync.alerts] webhook_url` is set, to the alert webhook
//! (`signoff_grc::alert_webhook`: signed, SSRF-guarded, off the delivery path).
//!
//! **Silent sources.** [`Monitor::check_sources`] takes stock of a project's sources
//! (`crate::inventory`, the same rule `signoff inventory` applies) and raises
//! [`Alert::SourceSilent`] for each source absent from each of its project's last
//! `silent_after` releases (`[sync.alerts] silent_after`, default 3, 0 turns it
//! off), once per (project, tool, kind) until the source reports again. `signoff
//! serve` checks a project after each of its certifications. What was alerted is
//! kept in the process's memory: a restarted server alerts a still-silent source
//! once more, under the same webhook id (the alert names the source's last ledger
//! entry), so a receiver that processes each id once sees it once.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use signoff_core::ProjectName;
use signoff_grc::alert_webhook::AlertWebhookWorker;
use signoff_grc::engine::{Alert, AlertSink, AlertSinks, AlertTally, LogAlerts, SilentSource};
use signoff_grc::http::{Timeouts, error_chain};

use crate::error::AppError;
use crate::home::Signoff;
use crate::inventory::{InventoryQuery, inventory};

/// The alerts of one process (module doc).
pub struct Monitor {
    sink: Arc<dyn AlertSink>,
    tally: Arc<AlertTally>,
    worker: Mutex<Option<AlertWebhookWorker>>,
    destinations: Vec<String>,
    silent_after: u64,
    /// (project, tool, kind) of the sources alerted as silent, not heard from since.
    silent: Mutex<BTreeSet<(String, String, String)>>,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor").field("silent_after", &self.silent_after).finish_non_exhaustive()
    }
}

impl Monitor {
    /// The alerts `signoff.toml` asks for: the log, the tally and, with `[sync.alerts]
    /// webhook_url`, the alert webhook (its secret read and its task started now:
    /// call it inside a Tokio runtime); `extra` sinks as well (tests).
    ///
    /// # Errors
    /// An alert webhook that cannot be built (its secret unreadable, a refused URL).
    pub fn start(signoff: &Signoff, extra: Vec<Arc<dyn AlertSink>>) -> Result<Monitor, AppError> {
        let sync = super::settings(signoff);
        let tally = Arc::new(AlertTally::default());
        let mut sinks: Vec<Arc<dyn AlertSink>> = vec![Arc::new(LogAlerts), tally.clone()];
        let started = signoff_grc::config::start_alert_webhook(&sync, Timeouts::default())
            .map_err(|error| AppError::Invalid(format!("[sync.alerts]: {}", error_chain(&error))))?;
        let worker = started.map(|(webhook, worker)| {
            sinks.push(webhook);
            worker
        });
        sinks.extend(extra);
        let silent_after =
            sync.alerts.as_ref().map_or(signoff_grc::config::DEFAULT_SILENT_AFTER, |alerts| alerts.silent_after());
        Ok(Monitor {
            sink: Arc::new(AlertSinks::new(sinks)),
            tally,
            worker: Mutex::new(worker),
            destinations: sync.destinations.keys().cloned().collect(),
            silent_after,
            silent: Mutex::new(BTreeSet::new()),
        })
    }

    /// Where the engine raises its alerts.
    pub fn alerts(&self) -> Arc<dyn AlertSink> {
        Arc::clone(&self.sink)
    }

    /// Alerts raised so far by kind (`destination_failing`, `destination_recovered`,
    /// `source_silent`), every kind listed.
    pub fn alert_counts(&self) -> Vec<(&'static str, u64)> {
        self.tally.raised().into_iter().map(|(kind, count)| (kind.as_str(), count)).collect()
    }

    /// Every configured destination, and any other an alert named, with whether it
    /// is failing now (alerted failing, not recovered since).
    pub fn failing_destinations(&self) -> Vec<(String, bool)> {
        let mut all: std::collections::BTreeMap<String, bool> =
            self.destinations.iter().map(|name| (name.clone(), false)).collect();
        all.extend(self.tally.failing());
        all.into_iter().collect()
    }

    /// Takes stock of `project`'s sources and raises an alert for each that fell
    /// silent and was not alerted yet; a source that reported again may alert again
    /// later. Answers the alerts raised.
    ///
    /// # Errors
    /// A store failure, or a policy or catalog that does not load.
    pub async fn check_sources(&self, signoff: &Signoff, project: &ProjectName) -> Result<Vec<Alert>, AppError> {
        if self.silent_after == 0 {
            return Ok(Vec::new());
        }
        let query = InventoryQuery { project: Some(project.clone()), silent_after: self.silent_after };
        let taken = inventory(signoff, &query).await?;
        let mut raised = Vec::new();
        {
            let mut alerted = self.silent.lock().unwrap_or_else(PoisonError::into_inner);
            for project in &taken.projects {
                for source in &project.sources {
                    let key = (project.project.to_string(), source.tool.clone(), source.kind.to_string());
                    if !source.silent {
                        alerted.remove(&key);
                        continue;
                    }
                    if alerted.insert(key) {
                        let releases = project
                            .recent_releases
                            .iter()
                            .take_while(|version| source.lacking.contains(version))
                            .count() as u64;
                        raised.push(Alert::SourceSilent(SilentSource {
                            project: project.project.to_string(),
                            tool: source.tool.clone(),
                            kind: source.kind,
                            releases,
                            last_entry: source.last_entry,
                            last_reported_at: source.last_reported_at,
                        }));
                    }
                }
            }
        }
        for alert in &raised {
            self.sink.raise(alert);
        }
        Ok(raised)
    }

    /// Sends what the alert webhook has queued, waiting at most `within` (before a
    /// command exits).
    pub async fn finish(&self, within: Duration) {
        let worker = self.worker.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(worker) = worker {
            worker.finish(within).await;
        }
    }
}
