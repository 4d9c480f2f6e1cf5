//! One connection of the accept loop: its TLS handshake when there is one, then HTTP/1.1 with
//! upgrades until it closes or the loop shuts it down.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Request, Response};
use http_body::Body;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::Service;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{watch, Notify, OwnedSemaphorePermit};

use super::listen::ServeOptions;
use super::{BoxError, RemoteAddr, Secure};

/// A connection's hold on the loop: its slot under the connection cap, and the notice to the
/// loop that it closed. Both are given back when the connection's socket is dropped.
#[derive(Debug)]
pub(crate) struct Live {
    _slot: Option<OwnedSemaphorePermit>,
    closed: Arc<Notify>,
}

impl Live {
    pub(crate) fn new(slot: Option<OwnedSemaphorePermit>, closed: Arc<Notify>) -> Self {
        Self {
            _slot: slot,
            closed,
        }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.closed.notify_one();
    }
}

/// A socket that holds its [`Live`] for as long as it exists. The socket, not the HTTP
/// connection task, carries it: a WebSocket outlives its connection task (hyper hands the
/// socket over at the upgrade), and must still count under the cap.
#[derive(Debug)]
pub(crate) struct Counted<I> {
    io: I,
    _live: Live,
}

impl<I> Counted<I> {
    pub(crate) fn new(io: I, live: Live) -> Self {
        Self { io, _live: live }
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for Counted<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Counted<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// Serves one accepted connection on its own task.
pub(crate) fn spawn<I, S, B>(
    io: I,
    peer: SocketAddr,
    service: S,
    options: &ServeOptions,
    shutdown: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let timeout = options.header_timeout;
    #[cfg(feature = "tls")]
    if let Some(config) = options.tls.clone() {
        tokio::spawn(async move {
            if let Some(tls) = super::tls::accept(config, io, timeout).await {
                let service = with_extensions(service, peer, true);
                serve(TokioIo::new(tls), service, timeout, shutdown).await;
            }
        });
        return;
    }
    let service = with_extensions(service, peer, false);
    tokio::spawn(serve(TokioIo::new(io), service, timeout, shutdown));
}

/// `service`, with the connection's [`RemoteAddr`] (and [`Secure`] over TLS) inserted in
/// every request.
#[derive(Clone)]
struct WithExtensions<S> {
    service: S,
    peer: SocketAddr,
    secure: bool,
}

fn with_extensions<S>(service: S, peer: SocketAddr, secure: bool) -> WithExtensions<S> {
    WithExtensions {
        service,
        peer,
        secure,
    }
}

impl<S: Service<Request<Incoming>>> Service<Request<Incoming>> for WithExtensions<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn call(&self, mut request: Request<Incoming>) -> S::Future {
        let extensions = request.extensions_mut();
        extensions.insert(RemoteAddr(self.peer));
        if self.secure {
            extensions.insert(Secure);
        }
        self.service.call(request)
    }
}

/// Completes once the loop shuts its connections down, or is gone.
async fn stopped(mut shutdown: watch::Receiver<bool>) {
    if shutdown.wait_for(|stop| *stop).await.is_err() {
        // The loop's future was dropped without a stop: its connections end as at one.
        tracing::debug!("the accept loop is gone; closing its connection");
    }
}

fn serve<I, S, B>(
    io: TokioIo<I>,
    service: S,
    header_timeout: Duration,
    shutdown: watch::Receiver<bool>,
) -> impl Future<Output = ()> + Send
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: Service<Request<Incoming>, Response = Response<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(io, service)
        .with_upgrades();
    async move {
        tokio::pin!(connection);
        let ended = tokio::select! {
            ended = connection.as_mut() => ended,
            () = stopped(shutdown) => {
                // Closes the connection if idle, else once its response is written.
                connection.as_mut().graceful_shutdown();
                connection.await
            }
        };
        if let Err(error) = ended {
            tracing::debug!(%error, "connection ended with an error");
        }
    }
}
