//! The chat browser tests' plumbing: the chat example served in-process (`chat::serve`) on
//! a free port, and [`run`], which plays one scenario of `tests/node/chat-browser.mjs` against
//! it (stopping and starting the server when the script asks) and returns the script's lines.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use e2e::NodeDriver;
use serde_json::{json, Value};
use tokio::sync::{oneshot, Mutex};
use tokio::task::JoinHandle;

/// Two cores: one browser at a time.
static ONE_BROWSER_AT_A_TIME: Mutex<()> = Mutex::const_new(());

/// The longest wait for the script's next line (each of its own steps times out sooner).
const LINE_TIMEOUT: Duration = Duration::from_secs(90);

/// The chat example, served in-process until [`Chat::stop`].
struct Chat {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Chat {
    /// Starts the chat on `addr` (port 0: a free one). The port of a stopped server may take a
    /// moment to be free again.
    async fn start(addr: SocketAddr) -> Self {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let listener = loop {
            match tokio::net::TcpListener::bind(addr).await {
                Ok(listener) => break listener,
                Err(err) if tokio::time::Instant::now() < deadline => {
                    eprintln!("chat_browser: bind {addr}: {err}; retrying");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(err) => panic!("cannot listen on {addr}: {err}"),
            }
        };
        let addr = listener.local_addr().expect("the listener's address");
        let site = chat::Site::load()
            .unwrap_or_else(|err| panic!("{err} (scripts/browser installs it too)"));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(chat::serve(
            listener,
            chat::start().expect("the chat's browser client (scripts/browser installs it)"),
            site,
            async {
                let _ = stopped.await;
            },
        ));
        Self { addr, stop, task }
    }

    /// Stops the server as its stop future would (connections closed, listener dropped).
    async fn stop(self) {
        let _ = self.stop.send(());
        // `SocketIo::close` waits up to pingTimeout (20 s) for a long-polling client to fetch
        // its close packet; a page closed between two polls never comes back for it.
        tokio::time::timeout(Duration::from_secs(25), self.task)
            .await
            .expect("chat::serve ends within pingTimeout of its stop")
            .expect("the chat task did not panic")
            .expect("chat::serve ended without an error");
    }
}

fn chromium() -> String {
    let path = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    assert!(
        Path::new(&path).is_file(),
        "no Chromium at {path}: run scripts/browser (scripts/test does) to install Debian's chromium"
    );
    path
}

pub(crate) fn screenshot_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/chat.png")
}

/// Runs one scenario of `chat-browser.mjs` against a fresh chat server and returns every line
/// it printed. Panics when the script reports a failure or stops answering.
pub(crate) async fn run(scenario: &str, extra: &[&str]) -> Vec<Value> {
    let _turn = ONE_BROWSER_AT_A_TIME.lock().await;
    let mut server = Some(Chat::start(SocketAddr::from(([127, 0, 0, 1], 0))).await);
    let addr = server.as_ref().map(|s| s.addr).expect("just started");
    let url = format!("http://{addr}");
    let chromium = chromium();
    let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR")).join("chat-browser");
    let artifacts = artifacts.to_string_lossy();
    let mut args = vec![
        "--url",
        &url,
        "--scenario",
        scenario,
        "--chromium",
        &chromium,
        "--artifacts",
        &artifacts,
    ];
    args.extend_from_slice(extra);
    let mut script = NodeDriver::spawn("chat-browser.mjs", &args);
    let mut lines = Vec::new();
    loop {
        let line = script.next(LINE_TIMEOUT).await;
        lines.push(line.clone());
        match (line["ev"].as_str(), line["action"].as_str()) {
            (Some("server"), Some("stop")) => {
                server.take().expect("a server to stop").stop().await;
                script.send(json!({"cmd": "stopped"})).await;
            }
            (Some("server"), Some("start")) => {
                assert!(server.is_none(), "the server is already running");
                let again = Chat::start(addr).await;
                assert_eq!(again.addr, addr, "restarted on another port");
                server = Some(again);
                script.send(json!({"cmd": "started"})).await;
            }
            (Some("pass"), _) => break,
            (Some("fail"), _) => panic!(
                "chat-browser.mjs --scenario {scenario} failed: {}\nlines:\n{}\n(screenshots of the pages in {artifacts})",
                line["message"],
                lines
                    .iter()
                    .map(Value::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            _ => {}
        }
    }
    assert_eq!(lines.last().map(|l| &l["scenario"]), Some(&json!(scenario)));
    eprintln!(
        "chat_browser: {scenario} passed in {} ms",
        lines.last().map(|l| l["ms"].clone()).unwrap_or_default()
    );
    if let Some(server) = server {
        server.stop().await;
    }
    lines
}
