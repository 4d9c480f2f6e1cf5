//! A ready-made accept loop for standalone servers: HTTP/1.1 with upgrades, the peer address
//! as a request extension, a header timeout, accept failures survived, an optional cap on
//! open connections and, with the `tls` feature, TLS.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response};
use http_body::Body;
use hyper::body::Incoming;
use hyper::service::Service;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, Semaphore};

use super::connection::{self, Counted, Live};
use super::BoxError;

/// Time a client has to send a request's headers (and, over TLS, to finish its handshake).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// The first wait after accepting failed for want of resources; it doubles up to
/// [`MAX_BACKOFF`] while accepting keeps failing.
const FIRST_BACKOFF: Duration = Duration::from_millis(10);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// How [`serve_with`] accepts and serves connections.
///
/// ```
/// use engineio::server::ServeOptions;
/// use std::time::Duration;
/// let options = ServeOptions::new()
///     .max_connections(10_000)
///     .header_timeout(Duration::from_secs(5));
/// # let _ = options;
/// ```
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub(super) header_timeout: Duration,
    max_connections: Option<usize>,
    #[cfg(feature = "tls")]
    pub(super) tls: Option<Arc<super::tls::rustls::ServerConfig>>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            header_timeout: HEADER_TIMEOUT,
            max_connections: None,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl ServeOptions {
    /// The defaults: a 10 s header timeout, no cap on connections, plain TCP.
    pub fn new() -> Self {
        Self::default()
    }

    /// How long a client has to send a request's headers, on a new connection and between
    /// two requests of a kept-alive one; over TLS, also to finish its handshake. 10 s.
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout;
        self
    }

    /// The most connections open at once (at least 1), WebSockets included. At the cap the
    /// loop stops accepting until one closes: new clients wait in the listen backlog of the
    /// operating system. No cap by default; set one below the process's file descriptor
    /// limit (`ulimit -n`) to keep descriptors for everything else.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = Some(max.clamp(1, Semaphore::MAX_PERMITS));
        self
    }

    /// Serves TLS with this configuration (see [`tls`](super::tls)): requests then carry
    /// the [`Secure`](super::Secure) extension, and the handshake of their sessions says
    /// `secure`.
    #[cfg(feature = "tls")]
    pub fn tls(mut self, config: Arc<super::tls::rustls::ServerConfig>) -> Self {
        self.tls = Some(config);
        self
    }
}

/// Serves HTTP/1.1 connections from `listener` with `service`, upgrades enabled and the peer
/// address inserted as a [`RemoteAddr`](super::RemoteAddr) request extension, with the
/// default [`ServeOptions`]. Runs until the listener becomes unusable.
pub async fn serve<S, B>(listener: TcpListener, service: S) -> io::Result<()>
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    serve_with(
        listener,
        service,
        ServeOptions::default(),
        std::future::pending(),
    )
    .await
}

/// Like [`serve`], until `stop` completes: then it stops accepting, closes the connections
/// that are idle, lets each busy one finish its request before closing it, and returns
/// without waiting for them. Close the server's sessions afterwards (`EngineIo::close`) to
/// tell the clients: a poll in progress then gets its close packet.
///
/// Request headers must arrive within 10 seconds (slow-header clients are dropped).
pub async fn serve_with_shutdown<S, B>(
    listener: TcpListener,
    service: S,
    stop: impl Future<Output = ()>,
) -> io::Result<()>
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    serve_with(listener, service, ServeOptions::default(), stop).await
}

/// [`serve_with_shutdown`] with these options.
///
/// Accepting that fails for want of resources (too many open files, no buffer space) is
/// logged and retried after a pause, sooner when one of the server's connections closes;
/// a failure of one incoming connection (aborted, reset) is skipped. It returns an error
/// only when the listener itself is unusable.
pub async fn serve_with<S, B>(
    listener: TcpListener,
    service: S,
    options: ServeOptions,
    stop: impl Future<Output = ()>,
) -> io::Result<()>
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    run(listener, service, options, stop).await
}

/// Where the loop takes connections from: a TCP listener, or in tests one that fails on
/// purpose.
pub(crate) trait Accept: Send {
    /// The connection.
    type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// The next connection and its peer.
    fn accept(&mut self) -> impl Future<Output = io::Result<(Self::Io, SocketAddr)>> + Send;
}

impl Accept for TcpListener {
    type Io = TcpStream;

    async fn accept(&mut self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, peer) = TcpListener::accept(self).await?;
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, %peer, "cannot turn off Nagle's algorithm");
        }
        Ok((stream, peer))
    }
}

/// What a failed `accept` means for the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// One incoming connection failed (aborted, reset before it was taken): take the next.
    Connection,
    /// The process or the system is out of something (descriptors, buffers, memory): wait
    /// for some to be given back.
    Resources,
    /// The listener cannot accept at all.
    Listener,
}

fn failure(error: &io::Error) -> Failure {
    use io::ErrorKind::*;
    match error.kind() {
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted | WouldBlock
        | TimedOut | PermissionDenied => Failure::Connection,
        // EINVAL: the socket is not listening.
        InvalidInput | NotConnected | Unsupported => Failure::Listener,
        // EMFILE, ENFILE, ENOBUFS, ENOMEM and anything unforeseen: retrying later is what
        // keeps the server up.
        _ => Failure::Resources,
    }
}

/// The pause after accepting failed for want of resources: doubles while it keeps failing.
#[derive(Debug)]
struct Backoff(Option<Duration>);

impl Backoff {
    fn next(&mut self) -> Duration {
        let delay = self.0.map_or(FIRST_BACKOFF, |d| (d * 2).min(MAX_BACKOFF));
        self.0 = Some(delay);
        delay
    }
}

/// The accept loop over any [`Accept`].
pub(crate) async fn run<L, S, B>(
    mut listener: L,
    service: S,
    options: ServeOptions,
    stop: impl Future<Output = ()>,
) -> io::Result<()>
where
    L: Accept,
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    tokio::pin!(stop);
    let mut acceptor = Acceptor::new(&options);
    let result = loop {
        let accepted = tokio::select! {
            accepted = acceptor.next(&mut listener) => accepted,
            () = &mut stop => break Ok(()),
        };
        let error = match accepted {
            Ok((io, peer)) => {
                let shutdown = acceptor.shutdown.subscribe();
                connection::spawn(io, peer, service.clone(), &options, shutdown);
                continue;
            }
            Err(error) => error,
        };
        let recovered = tokio::select! {
            recovered = acceptor.recover(error) => recovered,
            () = &mut stop => break Ok(()),
        };
        if let Err(error) = recovered {
            break Err(error);
        }
    };
    // Idle connections close now, busy ones after their request; nobody waits for them.
    acceptor.shutdown.send_replace(true);
    result
}

/// The loop's state between two connections.
struct Acceptor {
    /// The connection cap's slots, when there is a cap.
    slots: Option<Arc<Semaphore>>,
    /// Told by every connection as it closes, so that a loop short of descriptors retries
    /// as soon as one is given back rather than at the end of its pause.
    closed: Arc<Notify>,
    /// Tells the connections to shut down once the loop stops.
    shutdown: watch::Sender<bool>,
    backoff: Backoff,
}

impl Acceptor {
    fn new(options: &ServeOptions) -> Self {
        Self {
            slots: options
                .max_connections
                .map(|max| Arc::new(Semaphore::new(max))),
            closed: Arc::new(Notify::new()),
            shutdown: watch::channel(false).0,
            backoff: Backoff(None),
        }
    }

    /// The next connection, once there is a slot for it; it holds its slot until its
    /// socket is dropped.
    async fn next<L: Accept>(
        &mut self,
        listener: &mut L,
    ) -> io::Result<(Counted<L::Io>, SocketAddr)> {
        let slot = match &self.slots {
            // The semaphore is never closed: `acquire_owned` cannot fail.
            Some(slots) => Arc::clone(slots).acquire_owned().await.ok(),
            None => None,
        };
        let (io, peer) = listener.accept().await?;
        self.backoff = Backoff(None);
        let live = Live::new(slot, Arc::clone(&self.closed));
        Ok((Counted::new(io, live), peer))
    }

    /// Gets over a failed accept: at once for a failed connection, after a pause for a
    /// shortage; an unusable listener's error is handed back.
    async fn recover(&mut self, error: io::Error) -> io::Result<()> {
        match failure(&error) {
            Failure::Connection => tracing::debug!(%error, "an incoming connection failed"),
            Failure::Listener => return Err(error),
            Failure::Resources => {
                let delay = self.backoff.next();
                tracing::warn!(%error, ?delay, "cannot accept connections; retrying");
                tokio::select! {
                    () = self.closed.notified() => {}
                    () = tokio::time::sleep(delay) => {}
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "listen/tests.rs"]
mod tests;
