//! The accept loop against a listener that fails on purpose.
#![allow(clippy::unwrap_used)]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::Full;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

/// A TCP listener whose next accepts fail with these errors (then, with `forever`, with the
/// last one for good).
struct Flaky {
    inner: TcpListener,
    failures: VecDeque<io::Error>,
    forever: bool,
}

impl Accept for Flaky {
    type Io = TcpStream;

    async fn accept(&mut self) -> io::Result<(TcpStream, SocketAddr)> {
        if self.forever && self.failures.len() == 1 {
            let error = &self.failures[0];
            return Err(io::Error::new(error.kind(), error.to_string()));
        }
        if let Some(error) = self.failures.pop_front() {
            return Err(error);
        }
        Accept::accept(&mut self.inner).await
    }
}

async fn flaky(failures: Vec<io::Error>, forever: bool) -> (Flaky, u16) {
    let inner = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = inner.local_addr().unwrap().port();
    let failures = failures.into();
    let listener = Flaky {
        inner,
        failures,
        forever,
    };
    (listener, port)
}

fn hello() -> impl Service<
    Request<Incoming>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future = impl Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send,
> + Clone {
    hyper::service::service_fn(|request: Request<Incoming>| async move {
        let peer = request
            .extensions()
            .get::<super::super::RemoteAddr>()
            .is_some();
        let body = if peer { "hello" } else { "no peer address" };
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(
            body.as_bytes(),
        ))))
    })
}

/// One request on a new connection; the response's body.
async fn get(port: u16) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let request = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    let read = tokio::time::timeout(
        Duration::from_secs(10),
        stream.read_to_string(&mut response),
    );
    read.await.expect("a response in time").unwrap();
    response
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_owned()
}

fn os_error(code: i32) -> io::Error {
    io::Error::from_raw_os_error(code)
}

// Linux's numbers: EMFILE 24, ENFILE 23, ECONNABORTED 103, EINVAL 22, ENOBUFS 105.
const EMFILE: i32 = 24;
const ENFILE: i32 = 23;
const ECONNABORTED: i32 = 103;
const EINVAL: i32 = 22;
const ENOBUFS: i32 = 105;

#[test]
fn accept_failures_are_told_apart() {
    for code in [EMFILE, ENFILE, ENOBUFS] {
        assert_eq!(failure(&os_error(code)), Failure::Resources, "{code}");
    }
    assert_eq!(failure(&os_error(ECONNABORTED)), Failure::Connection);
    assert_eq!(failure(&os_error(EINVAL)), Failure::Listener);
}

#[test]
fn the_pause_doubles_up_to_a_second() {
    let mut backoff = Backoff(None);
    let pauses: Vec<_> = (0..9).map(|_| backoff.next().as_millis()).collect();
    assert_eq!(pauses, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
}

/// Out of descriptors three times, then an aborted connection: the loop pauses after each
/// shortage (10, 20 then 40 ms), skips the aborted one, and serves the waiting client.
#[tokio::test]
async fn the_loop_survives_injected_accept_failures() {
    let failures = vec![
        os_error(EMFILE),
        os_error(ENFILE),
        os_error(EMFILE),
        os_error(ECONNABORTED),
    ];
    let (listener, port) = flaky(failures, false).await;
    let started = Instant::now();
    let server = tokio::spawn(run(
        listener,
        hello(),
        ServeOptions::new(),
        std::future::pending(),
    ));
    assert_eq!(get(port).await, "hello");
    assert!(
        started.elapsed() >= Duration::from_millis(70),
        "no pause between failed accepts: {:?}",
        started.elapsed()
    );
    assert_eq!(get(port).await, "hello", "still accepting");
    assert!(!server.is_finished());
    server.abort();
}

/// A listener that cannot accept at all ends the loop with its error.
#[tokio::test]
async fn an_unusable_listener_ends_the_loop() {
    let (listener, _) = flaky(vec![os_error(EINVAL)], false).await;
    let ended = run(
        listener,
        hello(),
        ServeOptions::new(),
        std::future::pending(),
    )
    .await;
    assert_eq!(ended.unwrap_err().raw_os_error(), Some(EINVAL));
}

/// A loop waiting out a shortage that never ends still stops when told to.
#[tokio::test]
async fn a_loop_short_of_descriptors_stops_when_told() {
    let (listener, _) = flaky(vec![os_error(EMFILE)], true).await;
    let stop = tokio::time::sleep(Duration::from_millis(50));
    let ended = tokio::time::timeout(
        Duration::from_secs(5),
        run(listener, hello(), ServeOptions::new(), stop),
    );
    ended.await.expect("stopped in time").unwrap();
}
