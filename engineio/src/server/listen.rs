//! A ready-made accept loop for standalone servers.

use std::future::Future;

use http::{Request, Response};
use http_body::Body;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::{service_fn, Service};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use super::{BoxError, RemoteAddr};

/// Time a client has to send a request's headers.
const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves HTTP/1.1 connections from `listener` with `service`, upgrades enabled and the peer
/// address inserted as a [`RemoteAddr`] request extension. Runs until accepting fails.
pub async fn serve<S, B>(listener: TcpListener, service: S) -> std::io::Result<()>
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    serve_with_shutdown(listener, service, std::future::pending()).await
}

/// Like [`serve`], until `stop` completes: then it stops accepting and returns. Close the
/// server's sessions afterwards (`EngineIo::close`) to tell the clients.
///
/// Request headers must arrive within 10 seconds (slow-header clients are dropped).
pub async fn serve_with_shutdown<S, B>(
    listener: TcpListener,
    service: S,
    stop: impl Future<Output = ()>,
) -> std::io::Result<()>
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => accepted?,
            () = &mut stop => return Ok(()),
        };
        let _ = stream.set_nodelay(true);
        let service = service.clone();
        let with_peer = service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(RemoteAddr(peer));
            let future: S::Future = service.call(request);
            future
        });
        tokio::spawn(serve_connection(TokioIo::new(stream), with_peer));
    }
}

fn serve_connection<S, B>(
    io: TokioIo<tokio::net::TcpStream>,
    service: S,
) -> impl Future<Output = ()> + Send
where
    S: Service<Request<Incoming>, Response = Response<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .serve_connection(io, service)
        .with_upgrades();
    async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "connection ended with an error");
        }
    }
}
