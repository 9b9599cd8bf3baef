//! Local servers that speak the documented Vanta, Drata and webhook APIs, with fault
//! injection, and realistic sample certifications (feature `testkit`).
//!
//! Each server is an axum router on `127.0.0.1`, port 0, in a task that ends when the
//! [`TestServer`] is dropped (and with the test's runtime). The shapes are those the
//! connectors implement, after the same sections of the research notes; where the
//! notes are silent the servers answer what the connectors assume (marked ⚠ in the
//! connectors' docs), so a change of assumption shows up on both sides.
//!
//! Faults ([`Fault`]) are queued on a server and consumed one per API request:
//! an error status, 429 with `Retry-After`, a slow answer, a connection dropped
//! before or after the request took effect, an authentication failure, or a hang after
//! the request took effect (to kill a client mid-delivery).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Notify;

pub mod drata;
pub mod outbox;
pub mod sample;
pub mod vanta;
pub mod webhook;

/// A server running on loopback until dropped.
#[derive(Debug)]
pub struct TestServer {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    /// Serves `router` on `127.0.0.1:0`.
    ///
    /// # Errors
    ///
    /// The I/O error when no port can be bound.
    pub async fn start(router: Router) -> std::io::Result<TestServer> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::debug!(%error, "test server stopped");
            }
        });
        Ok(TestServer { addr, task })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One injected fault.
#[derive(Debug, Clone)]
pub enum Fault {
    /// No fault for this request (to aim a later fault at a later request).
    Pass,
    /// Answer this status without doing anything.
    Status(u16),
    /// Answer 429 with `Retry-After: <seconds>` without doing anything.
    TooManyRequests {
        /// The `Retry-After` value.
        retry_after: u64,
    },
    /// Answer 401 without doing anything.
    Unauthorized,
    /// Wait this long, then do the request and answer.
    Slow(Duration),
    /// Drop the connection (headers sent, body cut off) without doing anything.
    DropBefore,
    /// Do the request, then drop the connection: the client cannot know it worked.
    DropAfter,
    /// Do the request, signal `received`, then never answer.
    HangAfter {
        /// Notified once the request took effect.
        received: Arc<Notify>,
    },
}

/// A queue of faults, one consumed per request.
#[derive(Debug, Default)]
pub struct Faults(Mutex<VecDeque<Fault>>);

impl Faults {
    /// Queues `fault` for the next `times` requests.
    pub fn push(&self, fault: Fault, times: usize) {
        let mut queue = lock(&self.0);
        for _ in 0..times {
            queue.push_back(fault.clone());
        }
    }

    /// The next fault, if any.
    pub fn next(&self) -> Option<Fault> {
        lock(&self.0).pop_front()
    }

    /// Faults still queued.
    pub fn remaining(&self) -> usize {
        lock(&self.0).len()
    }
}

/// Locks a test server's state, ignoring poisoning (a panicking test already failed).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A body that fails at once: hyper aborts the connection after the headers.
struct BrokenBody;

impl HttpBody for BrokenBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::other("connection dropped by fault injection"))))
    }
}

fn dropped() -> Response {
    Response::new(Body::new(BrokenBody))
}

/// The middleware applying [`Faults`] to the routes it wraps.
pub(crate) async fn apply_faults(State(faults): State<Arc<Faults>>, request: Request, next: Next) -> Response {
    match faults.next() {
        None | Some(Fault::Pass) => next.run(request).await,
        Some(Fault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, axum::Json(serde_json::json!({"message": "injected failure"}))).into_response()
        }
        Some(Fault::TooManyRequests { retry_after }) => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", retry_after.to_string())],
            axum::Json(serde_json::json!({"message": "rate limited"})),
        )
            .into_response(),
        Some(Fault::Unauthorized) => {
            (StatusCode::UNAUTHORIZED, axum::Json(serde_json::json!({"message": "unauthorized"}))).into_response()
        }
        Some(Fault::Slow(delay)) => {
            tokio::time::sleep(delay).await;
            next.run(request).await
        }
        Some(Fault::DropBefore) => dropped(),
        Some(Fault::DropAfter) => {
            let _ = next.run(request).await;
            dropped()
        }
        Some(Fault::HangAfter { received }) => {
            let _ = next.run(request).await;
            received.notify_one();
            std::future::pending::<Response>().await
        }
    }
}
