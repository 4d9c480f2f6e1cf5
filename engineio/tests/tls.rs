//! The accept loop over TLS (`ServeOptions::tls`), with a self-signed certificate made here:
//! polling and WebSocket sessions open over it, and their handshake says `secure`; over
//! plain TCP it does not.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use engineio::packet::Message;
use engineio::server::{serve, serve_with, tls, Builder, EngineIo, Handler, ServeOptions, Socket};
use engineio::DisconnectReason;
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

/// Reports whether each new session's handshake says `secure`.
struct Secures(mpsc::UnboundedSender<bool>);

impl Handler for Secures {
    type Connection = Socket;
    fn on_connect(&self, socket: Socket) -> Socket {
        self.0.send(socket.handshake().secure).unwrap();
        socket
    }
    fn on_message(&self, _socket: &mut Socket, _message: Message) {}
    fn on_close(&self, _socket: Socket, _reason: DisconnectReason) {}
}

/// A self-signed certificate for `localhost`: the server's configuration, and a client's
/// that trusts it.
fn certificate() -> (Arc<tls::rustls::ServerConfig>, Arc<ClientConfig>) {
    let names = vec!["localhost".to_owned()];
    let made = rcgen::generate_simple_self_signed(names).unwrap();
    let (chain, key) = (made.cert.pem(), made.signing_key.serialize_pem());
    let server = tls::config_from_pem(chain.as_bytes(), key.as_bytes()).unwrap();
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from(made.cert.der().to_vec()))
        .unwrap();
    let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let client = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (server, Arc::new(client))
}

async fn bind() -> (tokio::net::TcpListener, u16) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

fn engine() -> (EngineIo<Secures>, mpsc::UnboundedReceiver<bool>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Builder::new().build(Secures(tx)), rx)
}

async fn tls_connect(port: u16, client: Arc<ClientConfig>) -> TlsStream<TcpStream> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    TlsConnector::from(client).connect(name, tcp).await.unwrap()
}

async fn next_secure(rx: &mut mpsc::UnboundedReceiver<bool>) -> bool {
    let secure = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
    secure.expect("a session in time").unwrap()
}

#[tokio::test]
async fn polling_and_websocket_sessions_over_tls_are_secure() {
    let (server_config, client_config) = certificate();
    let (engine, mut secures) = engine();
    let (listener, port) = bind().await;
    let options = ServeOptions::new().tls(server_config);
    let stop = std::future::pending();
    tokio::spawn(serve_with(listener, engine.clone(), options, stop));

    let mut https = tls_connect(port, Arc::clone(&client_config)).await;
    let request = "GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: localhost\r\n\
                   Connection: close\r\n\r\n";
    https.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    https.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\r\n\r\n0{\"sid\":"), "{response}");
    assert!(next_secure(&mut secures).await);

    let wss = tls_connect(port, client_config).await;
    let url = "wss://localhost/engine.io/?EIO=4&transport=websocket";
    let (mut ws, _) = tokio_tungstenite::client_async(url, wss).await.unwrap();
    let open = ws.next().await.unwrap().unwrap();
    assert!(open.to_text().unwrap().starts_with("0{"), "{open:?}");
    assert!(next_secure(&mut secures).await);
    assert_eq!(engine.session_count(), 2);
}

#[tokio::test]
async fn a_plain_session_is_not_secure() {
    let (engine, mut secures) = engine();
    let (listener, port) = bind().await;
    tokio::spawn(serve(listener, engine));
    let mut http = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let request = "GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n";
    http.write_all(request.as_bytes()).await.unwrap();
    assert!(!next_secure(&mut secures).await);
}

/// A client that opens TCP and never starts its TLS handshake is dropped after the header
/// timeout, and a client that speaks plain HTTP to the TLS port is refused.
#[tokio::test]
async fn stalled_or_plain_clients_of_the_tls_port_are_dropped() {
    let (server_config, _) = certificate();
    let (engine, _secures) = engine();
    let (listener, port) = bind().await;
    let options = ServeOptions::new()
        .tls(server_config)
        .header_timeout(Duration::from_millis(200));
    tokio::spawn(serve_with(
        listener,
        engine,
        options,
        std::future::pending(),
    ));
    let mut stalled = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut plain = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let request = "GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n";
    plain.write_all(request.as_bytes()).await.unwrap();
    for stream in [&mut stalled, &mut plain] {
        let mut rest = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest));
        read.await.expect("closed in time").unwrap();
        assert!(
            !String::from_utf8_lossy(&rest).contains("HTTP/1.1 200"),
            "{rest:?}"
        );
    }
}
