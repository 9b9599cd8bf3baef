//! Prometheus text metrics: requests by route, method and status, a latency
//! histogram per route, captures, refusals, and the GRC sync's alerts. Route templates (`/api/v1/releases/
//! {project}/{version}`), never values, label the series: no project's name or
//! figures appear in them.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The server's counters.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    captures: AtomicU64,
    capture_groups: AtomicU64,
    refused: AtomicU64,
}

impl Metrics {
    /// Counts a request.
    pub fn request(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        if let Ok(mut requests) = self.requests.lock() {
            *requests.entry((route.to_owned(), method.to_owned(), status)).or_default() += 1;
        }
        if let Ok(mut latency) = self.latency.lock() {
            let histogram = latency.entry(route.to_owned()).or_default();
            let seconds = elapsed.as_secs_f64();
            for (count, bound) in histogram.counts.iter_mut().zip(BUCKETS) {
                if seconds <= bound {
                    *count += 1;
                }
            }
            histogram.count += 1;
            histogram.sum += seconds;
        }
        if status == 401 || status == 403 {
            self.refused.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts captured files.
    pub fn captured(&self, files: u64) {
        self.captures.fetch_add(files, Ordering::Relaxed);
    }

    /// Counts a transaction that wrote a group of captures (group commit).
    pub fn capture_group(&self) {
        self.capture_groups.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut text = String::new();
        text.push_str("# HELP signoff_http_requests_total HTTP requests by route template, method and status.\n");
        text.push_str("# TYPE signoff_http_requests_total counter\n");
        if let Ok(requests) = self.requests.lock() {
            for ((route, method, status), count) in requests.iter() {
                let _ = writeln!(
                    text,
                    "signoff_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {count}"
                );
            }
        }
        text.push_str("# HELP signoff_http_request_duration_seconds Time to answer, by route template.\n");
        text.push_str("# TYPE signoff_http_request_duration_seconds histogram\n");
        if let Ok(latency) = self.latency.lock() {
            for (route, histogram) in latency.iter() {
                for (count, bound) in histogram.counts.iter().zip(BUCKETS) {
                    let _ = writeln!(
                        text,
                        "signoff_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
                    );
                }
                let _ = writeln!(
                    text,
                    "signoff_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                    histogram.count
                );
                let _ =
                    writeln!(text, "signoff_http_request_duration_seconds_sum{{route=\"{route}\"}} {}", histogram.sum);
                let _ = writeln!(
                    text,
                    "signoff_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                    histogram.count
                );
            }
        }
        text.push_str("# HELP signoff_captures_total Files captured through the server.\n");
        text.push_str("# TYPE signoff_captures_total counter\n");
        let _ = writeln!(text, "signoff_captures_total {}", self.captures.load(Ordering::Relaxed));
        text.push_str("# HELP signoff_capture_groups_total Transactions that wrote captures (group commit: captures per transaction is captures_total / this).\n");
        text.push_str("# TYPE signoff_capture_groups_total counter\n");
        let _ = writeln!(text, "signoff_capture_groups_total {}", self.capture_groups.load(Ordering::Relaxed));
        text.push_str("# HELP signoff_refused_requests_total Requests refused for want of a valid token or scope.\n");
        text.push_str("# TYPE signoff_refused_requests_total counter\n");
        let _ = writeln!(text, "signoff_refused_requests_total {}", self.refused.load(Ordering::Relaxed));
        text
    }
}

/// The GRC sync's alert metrics: alerts raised by kind, and whether each
/// destination is failing (alerted failing and not recovered since).
pub(crate) fn render_sync(monitor: &signoff_app::sync::Monitor) -> String {
    let mut text = String::new();
    text.push_str(
        "# HELP signoff_sync_alerts_total Alerts raised: destination_failing, destination_recovered, source_silent.\n",
    );
    text.push_str("# TYPE signoff_sync_alerts_total counter\n");
    for (kind, count) in monitor.alert_counts() {
        let _ = writeln!(text, "signoff_sync_alerts_total{{kind=\"{kind}\"}} {count}");
    }
    text.push_str(
        "# HELP signoff_sync_destination_failing 1 while a GRC destination is failing (alerted, not recovered).\n",
    );
    text.push_str("# TYPE signoff_sync_destination_failing gauge\n");
    for (destination, failing) in monitor.failing_destinations() {
        let _ =
            writeln!(text, "signoff_sync_destination_failing{{destination=\"{destination}\"}} {}", u8::from(failing));
    }
    text
}
