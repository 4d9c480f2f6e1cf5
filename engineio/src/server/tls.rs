//! TLS for the accept loop, with rustls (through tokio-rustls) and its default provider, aws-lc-rs.
//!
//! ```no_run
//! use engineio::server::{serve_with, tls, Builder, ServeOptions};
//! # struct Echo;
//! # impl engineio::server::Handler for Echo {
//! #     type Connection = ();
//! #     fn on_connect(&self, _: engineio::server::Socket) {}
//! #     fn on_message(&self, _: &mut (), _: engineio::packet::Message) {}
//! #     fn on_close(&self, _: (), _: engineio::DisconnectReason) {}
//! # }
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = tls::config_from_pem(
//!     &std::fs::read("cert.pem")?,
//!     &std::fs::read("key.pem")?,
//! )?;
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:443").await?;
//! let engine = Builder::new().build(Echo);
//! let options = ServeOptions::new().tls(config);
//! serve_with(listener, engine, options, std::future::pending()).await?;
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

pub use tokio_rustls::rustls;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A TLS configuration could not be made.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TlsConfigError {
    /// The PEM text holds no certificate.
    #[error("no certificate in the PEM text")]
    NoCertificate,
    /// A PEM section could not be read, or there is no private key.
    #[error("invalid PEM: {0}")]
    Pem(#[from] rustls::pki_types::pem::Error),
    /// rustls refused the certificate or the key.
    #[error("TLS configuration refused: {0}")]
    Rustls(#[from] rustls::Error),
}

/// A server configuration for a certificate chain and its private key, both PEM (the chain
/// leaf first, as `cert.pem`/`fullchain.pem` files hold it): rustls's safe defaults (TLS 1.2
/// and 1.3) with the aws-lc-rs provider (post-quantum key exchange included), no client certificates, and ALPN `http/1.1`, the one
/// protocol the loop speaks.
pub fn config_from_pem(
    chain: &[u8],
    key: &[u8],
) -> Result<Arc<rustls::ServerConfig>, TlsConfigError> {
    let chain = CertificateDer::pem_slice_iter(chain).collect::<Result<Vec<_>, _>>()?;
    if chain.is_empty() {
        return Err(TlsConfigError::NoCertificate);
    }
    let key = PrivateKeyDer::from_pem_slice(key)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The server side of a TLS handshake, within `limit`; `None` (logged) when it fails.
pub(super) async fn accept<I>(
    config: Arc<rustls::ServerConfig>,
    io: I,
    limit: Duration,
) -> Option<TlsStream<I>>
where
    I: AsyncRead + AsyncWrite + Unpin,
{
    let handshake = TlsAcceptor::from(config).accept(io);
    match tokio::time::timeout(limit, handshake).await {
        Ok(Ok(stream)) => Some(stream),
        Ok(Err(error)) => {
            tracing::debug!(%error, "TLS handshake failed");
            None
        }
        Err(_elapsed) => {
            tracing::debug!(?limit, "TLS handshake timed out");
            None
        }
    }
}
