//! Live updates: the server's write routes publish what happened (a capture, a
//! certification, a deployment) on a broadcast channel; each open page holds a
//! server-sent-events stream of those its token may read, as HTML list items
//! the page's htmx SSE extension inserts.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::Serialize;
use tokio::sync::{broadcast, watch};

use super::session::Viewer;
use crate::AppState;

/// Something that happened, for open pages.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct LiveEvent {
    /// `capture`, `certification` or `deployment`.
    pub(crate) kind: &'static str,
    /// The project.
    pub(crate) project: String,
    /// The release's version, when there is one.
    pub(crate) release: Option<String>,
    /// What, for people.
    pub(crate) text: String,
    /// When (RFC 3339).
    pub(crate) at: String,
}

impl LiveEvent {
    /// An event that happened now.
    pub(crate) fn now(kind: &'static str, project: String, release: Option<String>, text: String) -> LiveEvent {
        let at = time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        LiveEvent { kind, project, release, text, at }
    }
}

/// The channel, and the signal that ends every stream when the server stops.
pub(crate) struct Live {
    sender: broadcast::Sender<LiveEvent>,
    closed: watch::Sender<bool>,
}

impl Default for Live {
    fn default() -> Live {
        Live { sender: broadcast::channel(256).0, closed: watch::channel(false).0 }
    }
}

impl Live {
    /// Tells open pages (none listening is fine).
    pub(crate) fn publish(&self, event: LiveEvent) {
        let _ = self.sender.send(event);
    }

    /// Ends every stream (the server is shutting down: graceful shutdown waits
    /// for open responses, and these never end by themselves).
    pub(crate) fn close(&self) {
        let _ = self.closed.send(true);
    }
}

struct Listener {
    events: broadcast::Receiver<LiveEvent>,
    closed: watch::Receiver<bool>,
    viewer: Viewer,
    state: AppState,
}

/// `GET /ui/events`: the stream of what happens in the projects the session's
/// token may read.
pub(crate) async fn events(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let live = &state.dashboard().live;
    let listener =
        Listener { events: live.sender.subscribe(), closed: live.closed.subscribe(), viewer, state: state.clone() };
    let stream = futures_util::stream::unfold(listener, |mut listener| async move {
        loop {
            if *listener.closed.borrow() {
                return None;
            }
            let received = tokio::select! {
                received = listener.events.recv() => received,
                _ = listener.closed.changed() => return None,
            };
            match received {
                Ok(event) => {
                    let Ok(project) = signoff_core::ProjectName::new(&event.project) else { continue };
                    if !listener.viewer.who.covers(&project) {
                        continue;
                    }
                    let html = listener
                        .state
                        .dashboard()
                        .fragment("live.html", minijinja::context! { event => minijinja::value::Serde(event) });
                    let html = html.replace(['\n', '\r'], " ");
                    return Some((Ok(Event::default().event("live").data(html)), listener));
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "a live stream fell behind");
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
