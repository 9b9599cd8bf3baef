//! The CLI against a signoff server (`--server`/`SIGNOFF_SERVER` with
//! `--token`/`SIGNOFF_TOKEN`): the same commands, sent to `/api/v1` instead of run
//! on a local store, and the answers rendered by the same code.
//!
//! A capture the server cannot take now (it is out of reach, or answers 5xx after
//! retries) waits in the outbox (`outbox`) and is delivered by the next command
//! or `signoff outbox flush`. Every capture carries an idempotency key made of its
//! digest and context, so a delivery retried after a lost answer is stored once.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use backon::{ExponentialBuilder, Retryable};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use signoff_app::report::EvidenceReport;
use signoff_grc::http::error_chain;

pub(crate) mod outbox;

/// How long one request may take before it counts as unanswered.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// A signoff server and the token to use with it.
pub(crate) struct Remote {
    base: String,
    token: String,
    http: reqwest::Client,
    /// Bytes of the file being sent read so far (a progress bar follows it).
    sent: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

/// Why a request did not succeed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The server could not be reached or failed (5xx, 429 after retries): the
    /// request may succeed later.
    Unavailable(String),
    /// The server answered no (4xx): the request will not succeed as it is.
    Refused { status: StatusCode, detail: String },
    /// The server's TLS certificate is not trusted: not retried, and not a reason
    /// to keep a capture for later (it is this client's setting, or someone in the
    /// middle).
    Untrusted(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Unavailable(why) => write!(f, "the server is unavailable: {why}"),
            Failure::Refused { status, detail } => write!(f, "{detail} (the server answered {status})"),
            Failure::Untrusted(why) => write!(
                f,
                "the server's TLS certificate is not trusted ({why}); a server whose certificate a private CA signed needs that CA's certificate in --ca-cert or SIGNOFF_CA_CERT"
            ),
        }
    }
}

impl std::error::Error for Failure {}

impl Failure {
    fn transient(&self) -> bool {
        matches!(self, Failure::Unavailable(_))
    }
}

/// A request's body.
pub(crate) enum Body<'a> {
    None,
    Json(&'a serde_json::Value),
    File(&'a Path),
}

impl Remote {
    /// The server named by `--server`, with the token of `--token`, trusting the
    /// certificates of `--ca-cert` besides the system's.
    ///
    /// # Errors
    /// A server without a token, a URL that is not http(s), or a CA file that
    /// cannot be read or holds no PEM certificate.
    pub(crate) fn new(server: &str, token: Option<&str>, ca_cert: Option<&Path>) -> anyhow::Result<Remote> {
        let base = server.trim_end_matches('/').to_owned();
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            anyhow::bail!("--server {server}: expected an http:// or https:// URL");
        }
        let token = token.filter(|token| !token.is_empty()).ok_or_else(|| {
            anyhow::anyhow!(
                "--server {base} needs a token: set SIGNOFF_TOKEN (or --token); `signoff token create` on the server makes one"
            )
        })?;
        let mut builder = reqwest::Client::builder();
        if let Some(file) = ca_cert {
            let pem = std::fs::read(file).with_context(|| format!("--ca-cert {}: cannot read it", file.display()))?;
            let certificates = reqwest::Certificate::from_pem_bundle(&pem)
                .ok()
                .filter(|certificates| !certificates.is_empty())
                .ok_or_else(|| anyhow::anyhow!("--ca-cert {}: holds no PEM certificate", file.display()))?;
            builder = builder.tls_certs_merge(certificates);
        }
        let http = builder
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("signoff/", env!("CARGO_PKG_VERSION")))
            .no_proxy()
            .build()
            .context("cannot start an HTTP client")?;
        Ok(Remote { base, token: token.to_owned(), http, sent: std::sync::Arc::default() })
    }

    /// The server's URL.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// How many bytes of the file being sent have been read, shared with a
    /// progress bar (it starts again at 0 with each attempt).
    pub(crate) fn sent(&self) -> std::sync::Arc<std::sync::atomic::AtomicU64> {
        std::sync::Arc::clone(&self.sent)
    }

    /// One request, retried with backoff while the server is unavailable. Answers
    /// the status and the JSON body of a 2xx.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        headers: &[(&str, String)],
        body: Body<'_>,
    ) -> Result<(StatusCode, Vec<u8>), Failure> {
        let attempt = || async { self.send_once(method.clone(), path, query, headers, &body).await };
        attempt
            .retry(
                ExponentialBuilder::default()
                    .with_min_delay(Duration::from_millis(200))
                    .with_max_delay(Duration::from_secs(2))
                    .with_max_times(3)
                    .with_jitter(),
            )
            .when(Failure::transient)
            .await
    }

    async fn send_once(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        headers: &[(&str, String)],
        body: &Body<'_>,
    ) -> Result<(StatusCode, Vec<u8>), Failure> {
        let url = format!("{}{path}", self.base);
        let mut request = self.http.request(method, &url).bearer_auth(&self.token).query(query);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        request = match body {
            Body::None => request,
            Body::Json(value) => request.json(value),
            Body::File(file) => {
                let handle = tokio::fs::File::open(file).await.map_err(|error| Failure::Refused {
                    status: StatusCode::BAD_REQUEST,
                    detail: format!("{}: {error}", file.display()),
                })?;
                let length = handle.metadata().await.map(|metadata| metadata.len()).ok();
                let sent = self.sent();
                sent.store(0, std::sync::atomic::Ordering::Relaxed);
                let counted = tokio_util::io::InspectReader::new(handle, move |read: &[u8]| {
                    sent.fetch_add(read.len() as u64, std::sync::atomic::Ordering::Relaxed);
                });
                let mut request = request
                    .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                    .body(reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(counted)));
                if let Some(length) = length {
                    request = request.header(reqwest::header::CONTENT_LENGTH, length);
                }
                request
            }
        };
        let response = request.send().await.map_err(|error| {
            let why = error_chain(&error);
            // rustls names certificate failures so ("invalid peer certificate: UnknownIssuer").
            if why.contains("certificate") { Failure::Untrusted(why) } else { Failure::Unavailable(why) }
        })?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|error| Failure::Unavailable(error_chain(&error)))?;
        if status.is_success() {
            return Ok((status, bytes.to_vec()));
        }
        let detail = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|problem| problem.get("detail").and_then(|detail| detail.as_str()).map(str::to_owned))
            .unwrap_or_else(|| format!("{url} answered {status}"));
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::REQUEST_TIMEOUT
        {
            Err(Failure::Unavailable(format!("{status}: {detail}")))
        } else {
            Err(Failure::Refused { status, detail })
        }
    }

    /// A request whose 2xx answer is a `T`; any failure is an error.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
    ) -> anyhow::Result<T> {
        let body = body.map_or(Body::None, Body::Json);
        let (_, bytes) = self.send(method, path, query, &[], body).await?;
        serde_json::from_slice(&bytes)
            .with_context(|| format!("{}{path}: an answer this signoff does not understand", self.base))
    }

    /// A GET whose 2xx answer is bytes (a package).
    pub(crate) async fn download(&self, path: &str) -> anyhow::Result<Vec<u8>> {
        let (_, bytes) = self.send(Method::GET, path, &[], &[], Body::None).await?;
        Ok(bytes)
    }

    /// Captures one file: its reports, or why not.
    pub(crate) async fn capture(
        &self,
        file: &Path,
        query: &[(&str, String)],
        key: &str,
        captured_at: Option<&str>,
    ) -> Result<Vec<EvidenceReport>, Failure> {
        let mut query = query.to_vec();
        if let Some(at) = captured_at {
            query.push(("captured_at", at.to_owned()));
        }
        let headers = [("Idempotency-Key", key.to_owned())];
        let (_, bytes) = self.send(Method::POST, "/api/v1/captures", &query, &headers, Body::File(file)).await?;
        serde_json::from_slice(&bytes).map_err(|error| Failure::Refused {
            status: StatusCode::OK,
            detail: format!("{}/api/v1/captures: an answer this signoff does not understand: {error}", self.base),
        })
    }
}
