//! End-to-end: engine.io-client 3.x in a real headless Chromium (Debian's `chromium`, which
//! `scripts/browser` installs), driven by `tests/node/eio3-browser.mjs`, against our engine
//! with `allow_eio3`. In a browser the v3 client polls with binary payloads both ways, which
//! it never does under Node; the server records the content types that went each way.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use e2e::{b64, node_dir, NodeDriver};
use engineio::packet::Message;
use engineio::server::{serve, Builder, Decoration, Handler, Socket, StaticFiles};
use engineio::DisconnectReason;
use http::{header, HeaderValue, Method};
use serde_json::{json, Value};

/// Echoes every message.
struct Echo;

impl Handler for Echo {
    type Connection = Socket;
    fn on_connect(&self, socket: Socket) -> Socket {
        socket
    }
    fn on_message(&self, socket: &mut Socket, message: Message) {
        socket.send(message).expect("the session is open");
    }
    fn on_close(&self, _socket: Socket, _reason: DisconnectReason) {}
}

/// Content types seen on the session's requests and responses: (method, request's, response's).
type Seen = Arc<Mutex<Vec<(Method, Option<String>, Option<String>)>>>;

fn content_type(headers: &http::HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?;
    value.to_str().ok().map(str::to_owned)
}

fn chromium() -> String {
    let path = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    assert!(
        Path::new(&path).is_file(),
        "no Chromium at {path}: run scripts/browser (scripts/test does) to install Debian's chromium"
    );
    path
}

/// The page and the client's browser bundle, served by the engine itself (same origin).
fn files() -> StaticFiles {
    let bundle: PathBuf = node_dir().join("node_modules/engine.io-client-v3/engine.io.js");
    let javascript = HeaderValue::from_static("application/javascript; charset=utf-8");
    let html = HeaderValue::from_static("text/html; charset=utf-8");
    StaticFiles::new("test")
        .load("engine.io.js", &bundle, javascript)
        .expect("engine.io-client-v3 installed (npm ci in tests/node)")
        .load("eio3.html", &node_dir().join("pages/eio3.html"), html)
        .expect("tests/node/pages/eio3.html")
}

async fn start(seen: &Seen) -> String {
    let (requests, responses) = (Arc::clone(seen), Arc::clone(seen));
    let engine = Builder::new()
        .allow_eio3(true)
        .static_files(files())
        .middleware(move |request| {
            let b64 = request.uri.query().is_some_and(|q| q.contains("b64="));
            assert!(!b64, "a browser's v3 client takes binary: {}", request.uri);
            let entry = (request.method.clone(), content_type(&request.headers), None);
            requests.lock().expect("lock").push(entry);
            async { Ok(Decoration::default()) }
        })
        .headers(move |headers, request| {
            let mut seen = responses.lock().expect("lock");
            let entry = (request.method.clone(), None, content_type(headers));
            seen.push(entry);
        })
        .build(Echo);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    tokio::spawn(serve(listener, engine));
    addr
}

async fn run_page(addr: &str, transports: &str) -> Value {
    let url = format!("http://{addr}/engine.io/eio3.html?transports={transports}");
    let chromium = chromium();
    let mut script = NodeDriver::spawn(
        "eio3-browser.mjs",
        &["--url", &url, "--chromium", &chromium],
    );
    let result = script.next(Duration::from_secs(60)).await;
    assert_eq!(result["ev"], "result", "{result}");
    assert_eq!(script.next(Duration::from_secs(10)).await["ev"], "pass");
    assert_eq!(result["pageErrors"], json!([]), "{result}");
    result
}

fn expected_echo() -> Value {
    let bytes: Vec<u8> = (0..=255).collect();
    json!([
        {"text": "héllo 😀"},
        {"binary": b64(&bytes)},
        {"text": "x"},
        {"binary": b64(&bytes[..3])},
    ])
}

/// Long-polling only: text and binary both ways, in binary payloads
/// (`application/octet-stream`) in both directions.
#[tokio::test]
async fn a_browser_polls_with_binary_payloads() {
    let seen = Seen::default();
    let addr = start(&seen).await;
    let result = run_page(&addr, "polling").await;
    assert_eq!(result["got"], expected_echo(), "{result}");
    assert_eq!(result["transport"], "polling");
    let seen = seen.lock().expect("lock");
    let octets = Some("application/octet-stream".to_owned());
    assert!(
        seen.iter()
            .any(|(m, req, _)| *m == Method::POST && *req == octets),
        "a binary POST: {seen:?}"
    );
    assert!(
        seen.iter()
            .any(|(m, _, res)| *m == Method::GET && *res == octets),
        "a binary GET response: {seen:?}"
    );
}

/// Polling, then the upgrade: the echo arrives whole over either transport.
#[tokio::test]
async fn a_browser_upgrades_to_websocket() {
    let seen = Seen::default();
    let addr = start(&seen).await;
    let result = run_page(&addr, "polling,websocket").await;
    assert_eq!(result["got"], expected_echo(), "{result}");
    let seen = seen.lock().expect("lock");
    assert!(
        seen.iter().any(|(_, _, res)| res.is_none()),
        "the 101 of the upgrade went through the headers hook: {seen:?}"
    );
}
