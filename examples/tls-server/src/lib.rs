//! The standalone Socket.IO server over TLS, as a library so that tests run it in-process.
//!
//! [`socket_io`] answers `whoami` with the socket's handshake object (`secure` is true over
//! TLS), [`self_signed`] makes a certificate for local use, and [`serve`] runs the server on
//! a listener with a TLS configuration until its stop.

use std::future::Future;
use std::sync::Arc;

use engineio::server::tls::{self, rustls, TlsConfigError};
use engineio::server::{serve_with, ServeOptions};
use socketio::server::{Event, Socket, SocketIo};

/// The Socket.IO server: `whoami` is acked with the handshake object, as the reference's
/// `socket.handshake` (headers, address, `secure`, ...).
pub fn socket_io() -> SocketIo {
    let io = SocketIo::new();
    io.of("/").on_connection(|socket: Socket| {
        socket.on("whoami", |socket: &Socket, event: Event| {
            let handshake = socket.handshake().to_json();
            if let Some(ack) = event.into_ack() {
                ack.send(&handshake);
            }
        });
    });
    io
}

/// A certificate and its key, both PEM.
#[derive(Debug, Clone)]
pub struct Certificate {
    /// The certificate (the chain of one self-signed certificate).
    pub chain: String,
    /// Its private key.
    pub key: String,
}

impl Certificate {
    /// The server's TLS configuration for this certificate.
    pub fn config(&self) -> Result<Arc<rustls::ServerConfig>, TlsConfigError> {
        tls::config_from_pem(self.chain.as_bytes(), self.key.as_bytes())
    }
}

/// A self-signed certificate for these host names and IP addresses (`localhost`,
/// `127.0.0.1`). Clients must be told to trust it: Node's `ca` option or
/// `NODE_EXTRA_CA_CERTS`, curl's `--cacert`.
pub fn self_signed(names: &[&str]) -> Result<Certificate, rcgen::Error> {
    let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
    let made = rcgen::generate_simple_self_signed(names)?;
    Ok(Certificate {
        chain: made.cert.pem(),
        key: made.signing_key.serialize_pem(),
    })
}

/// Serves `io` over TLS on `listener` until `stop` completes, then closes every session
/// (`server shutting down`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    io: SocketIo,
    tls: Arc<rustls::ServerConfig>,
    stop: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let options = ServeOptions::new().tls(tls);
    let served = serve_with(listener, io.clone(), options, stop).await;
    io.close().await;
    served
}
