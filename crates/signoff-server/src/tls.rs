//! HTTPS for `signoff serve --tls-cert F --tls-key F`: rustls (aws-lc-rs, TLS 1.2
//! and 1.3) in front of the same router.
//!
//! TCP connections are accepted on one task and their handshakes run on tasks of
//! their own, at most [`MAX_HANDSHAKES`] at a time and each within
//! [`HANDSHAKE_TIMEOUT`], so a client that opens a connection and never speaks
//! delays nobody else. Failed handshakes are logged and dropped.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::server::TlsStream;

/// Handshakes in progress at once; more connections wait to be accepted.
pub const MAX_HANDSHAKES: usize = 256;

/// How long a client has to complete its handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A certificate or key that cannot be used, named.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct TlsError {
    /// The file.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

/// The server's TLS settings from a PEM certificate chain (leaf first) and its
/// PEM private key (PKCS#8, PKCS#1 or SEC1).
///
/// # Errors
/// A file that cannot be read, holds no certificate or key, or a key that does
/// not match the certificate.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsError> {
    let problem = |path: &Path, message: String| TlsError { path: path.display().to_string(), message };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|error| problem(cert, format!("cannot read the certificate: {error}")))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| problem(cert, format!("not a PEM certificate chain: {error}")))?;
    if chain.is_empty() {
        return Err(problem(cert, "holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into()));
    }
    let private = PrivateKeyDer::from_pem_file(key)
        .map_err(|error| problem(key, format!("holds no usable PEM private key: {error}")))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| problem(cert, error.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|error| problem(key, format!("does not go with {}: {error}", cert.display())))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A listener whose connections are TLS streams, for [`crate::serve`].
pub struct TlsListener {
    local: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
}

impl TlsListener {
    /// Accepts on `tcp` and hands on the connections whose handshake under
    /// `config` succeeded. The accepting task ends when the listener is dropped.
    ///
    /// # Errors
    /// When the TCP listener has no local address.
    pub fn new(tcp: TcpListener, config: Arc<ServerConfig>) -> std::io::Result<TlsListener> {
        let local = tcp.local_addr()?;
        let (sender, ready) = mpsc::channel(64);
        let acceptor = TlsAcceptor::from(config);
        let permits = Arc::new(Semaphore::new(MAX_HANDSHAKES));
        tokio::spawn(async move {
            loop {
                let Ok(permit) = permits.clone().acquire_owned().await else { return };
                let (stream, peer) = match tcp.accept().await {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        tracing::warn!(%error, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                if sender.is_closed() {
                    return;
                }
                let (acceptor, sender) = (acceptor.clone(), sender.clone());
                tokio::spawn(async move {
                    let _permit = permit;
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = sender.send((tls, peer)).await;
                        }
                        Ok(Err(error)) => tracing::info!(%peer, %error, "TLS handshake failed"),
                        Err(_) => tracing::info!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(TlsListener { local, ready })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accepting task only ends when this listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
