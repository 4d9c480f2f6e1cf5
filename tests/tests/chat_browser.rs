//! Browser tests of the chat example: its own page in a real headless Chromium (Debian's
//! `chromium`, which `scripts/browser` installs), driven by playwright-core from
//! `tests/node/chat-browser.mjs`, against the chat started here in-process (`chat::serve`) on a
//! free port.
//!
//! One test per scenario, each with a fresh server; they take turns, one browser at a time.
//! The script checks what the pages show and what went over the wire, and reports it as JSON
//! lines; the tests assert on those lines, and fail on the script's `fail`. For `restart` the
//! script asks for the server to be stopped and started again (same port) and waits for the
//! answer on its stdin.
//!
//! `rooms` also rewrites `docs/chat.png`, the README's picture, on each run.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

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
        let task = tokio::spawn(chat::serve(listener, chat::start(), site, async {
            let _ = stopped.await;
        }));
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

fn screenshot_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/chat.png")
}

/// Runs one scenario of `chat-browser.mjs` against a fresh chat server and returns every line
/// it printed. Panics when the script reports a failure or stops answering.
async fn run(scenario: &str, extra: &[&str]) -> Vec<Value> {
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

/// The lines `ev`.
fn all<'a>(lines: &'a [Value], ev: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["ev"] == ev).collect()
}

/// The only line `ev` about `page`.
fn one<'a>(lines: &'a [Value], ev: &str, page: &str) -> &'a Value {
    let found: Vec<_> = all(lines, ev)
        .into_iter()
        .filter(|l| l["page"] == page)
        .collect();
    assert_eq!(found.len(), 1, "one {ev} line for {page}: {found:?}");
    found[0]
}

/// Every `delivery` summary says each expected message was there exactly once, and nothing
/// else; returns them as (page, where, expected).
fn deliveries(lines: &[Value]) -> Vec<(String, String, u64)> {
    all(lines, "delivery")
        .into_iter()
        .map(|d| {
            for key in ["missing", "doubled", "unexpected"] {
                assert_eq!(d[key], json!([]), "{key} in {d}");
            }
            assert_eq!(d["once"], d["expected"], "{d}");
            let text = |key: &str| d[key].as_str().expect("a string").to_owned();
            (
                text("page"),
                text("where"),
                d["expected"].as_u64().expect("a count"),
            )
        })
        .collect()
}

fn has(deliveries: &[(String, String, u64)], page: &str, place: &str, expected: u64) -> bool {
    deliveries
        .iter()
        .any(|(p, w, n)| p == page && w == place && *n == expected)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_pages_chat_in_a_room_and_a_third_in_another_sees_nothing() {
    let started = SystemTime::now();
    let screenshot = screenshot_path();
    let screenshot_arg = screenshot.to_string_lossy().into_owned();
    let lines = run("rooms", &["--screenshot", &screenshot_arg]).await;

    let d = deliveries(&lines);
    for page in ["alice", "bob"] {
        // A greeting and three messages each way, on the page and on the wire.
        assert!(has(&d, page, "page", 7), "{page} page: {d:?}");
        assert!(has(&d, page, "wire-in", 7), "{page} wire-in: {d:?}");
        assert_eq!(
            one(&lines, "members", page)["names"],
            json!(["alice", "bob"])
        );
    }
    assert!(has(&d, "alice", "wire-out", 4) && has(&d, "bob", "wire-out", 3));
    // carol, in #ops, sees and receives only her own message.
    assert!(has(&d, "carol", "page", 1) && has(&d, "carol", "wire-in", 1));
    assert!(has(&d, "carol", "page", 0), "carol's #general is empty");
    let isolation = one(&lines, "isolation", "carol");
    assert_eq!(isolation["rustEvents"], 0);
    assert_eq!(isolation["rooms"], json!(["general", "ops"]));
    let typing = one(&lines, "typing", "alice");
    assert_eq!(typing["indicator"], "bob is typing…");
    assert_eq!(typing["membersTyping"], json!(["bob"]));

    // The README's picture was written now, by this browser.
    let shot = one(&lines, "screenshot", "alice");
    assert_eq!(shot["path"], screenshot_arg.as_str());
    let png = std::fs::read(&screenshot).expect("docs/chat.png");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000);
    let modified = std::fs::metadata(&screenshot)
        .and_then(|m| m.modified())
        .expect("mtime");
    assert!(modified >= started, "docs/chat.png was not rewritten");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_is_upgraded_to_websocket_in_the_middle_of_a_burst() {
    let lines = run("upgrade", &[]).await;

    let connected = one(&lines, "connected", "alice");
    assert_eq!(
        connected["transport"], "polling",
        "the page shows polling first"
    );
    let upgrade = one(&lines, "upgrade", "alice");
    assert_eq!(upgrade["handshake"], "polling");
    assert_eq!(upgrade["frames"], json!(["2probe", "3probe", "5"]));
    let count = |path: &str| upgrade.pointer(path).and_then(Value::as_u64).unwrap_or(0);
    assert!(
        count("/sent/polling") >= 1,
        "sent before the upgrade: {upgrade}"
    );
    assert!(
        count("/sentWhileUpgrading") >= 1,
        "sent during the upgrade: {upgrade}"
    );
    assert!(
        count("/sent/websocket") >= 1,
        "sent after the upgrade: {upgrade}"
    );
    assert_eq!(count("/sent/polling") + count("/sent/websocket"), 20);
    assert_eq!(
        count("/received/polling") + count("/received/websocket"),
        40
    );
    assert_eq!(upgrade["pollingRequestsAfterUpgrade"], 0);
    assert_eq!(upgrade["transportShown"], "websocket");

    let d = deliveries(&lines);
    for page in ["alice", "bob"] {
        assert!(has(&d, page, "page", 40), "{page}: {d:?}");
        assert!(has(&d, page, "wire-in", 40), "{page}: {d:?}");
        assert!(has(&d, page, "wire-out", 20), "{page}: {d:?}");
    }
}

/// Checks a `file` line: the same bytes everywhere, on the expected transports.
fn same_bytes_everywhere(file: &Value, out: &str, into: &str) {
    let original = &file["original"];
    assert!(original.as_str().is_some_and(|h| h.len() == 64), "{file}");
    for key in ["shown", "saved", "senderSees"] {
        assert_eq!(&file[key], original, "{key} in {file}");
    }
    assert_eq!(file["wireOut"], json!([original]), "{file}");
    assert_eq!(file["wireIn"], json!([original]), "{file}");
    assert_eq!(file["wireOutPacket"], json!(["BINARY_EVENT"]));
    assert_eq!(file["wireOutTransport"], json!([out]));
    assert_eq!(file["wireInTransport"], json!([into]));
    assert_eq!(file["wireInFrom"], json!([file["from"]]));
    assert_eq!(file["acked"], json!([true]));
    assert_eq!(file["shownTimes"], 1);
    let image = file["type"]
        .as_str()
        .is_some_and(|t| t.starts_with("image/"));
    assert_eq!(file["image"], image, "images inline, other files as links");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_without_websocket_chats_on_long_polling() {
    let lines = run("polling", &[]).await;

    let blocked = one(&lines, "blocked", "pat");
    assert!(blocked["attempts"].as_u64() >= Some(1), "{blocked}");
    assert_eq!(blocked["websockets"], 0);
    assert_eq!(blocked["notPolling"], 0);
    assert_eq!(blocked["transportShown"], "polling");
    assert_eq!(blocked["wes"], "websocket");

    let d = deliveries(&lines);
    for page in ["pat", "wes"] {
        assert!(has(&d, page, "page", 6) && has(&d, page, "wire-in", 6));
        assert!(has(&d, page, "wire-out", 3));
    }
    let files = all(&lines, "file");
    assert_eq!(files.len(), 2);
    same_bytes_everywhere(files[0], "polling", "websocket");
    same_bytes_everywhere(files[1], "websocket", "polling");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_reach_the_other_page_byte_identical() {
    let lines = run("file", &[]).await;

    let files = all(&lines, "file");
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["name"], "diagram.png");
    assert!(
        files[0]["naturalWidth"].as_u64() > Some(0),
        "the image shows"
    );
    same_bytes_everywhere(files[0], "websocket", "websocket");
    assert_eq!(files[1]["name"], "random.bin");
    assert_eq!(files[1]["size"], 256_000);
    same_bytes_everywhere(files[1], "websocket", "websocket");
    let d = deliveries(&lines);
    assert!(has(&d, "alice", "page-files", 2) && has(&d, "bob", "page-files", 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_recover_when_the_server_restarts() {
    let lines = run("restart", &[]).await;

    let actions: Vec<_> = all(&lines, "serverDone")
        .into_iter()
        .map(|l| l["action"].clone())
        .collect();
    assert_eq!(actions, [json!("stop"), json!("start")]);
    for page in ["alice", "bob"] {
        let offline = one(&lines, "offline", page);
        assert_eq!(offline["state"], "reconnecting", "{offline}");
        assert!(offline["banner"]
            .as_str()
            .is_some_and(|b| b.contains("offline")));
        assert_eq!(offline["composerDisabled"], true);
        assert_eq!(offline["membersStale"], true);
        assert_eq!(offline["websocketClosed"], true);
        assert_eq!(offline["typing"], "");

        let back = one(&lines, "recovered", page);
        assert_eq!(back["state"], "connected", "{back}");
        assert_eq!(back["nickname"], page);
        assert_eq!(back["room"], "rust");
        assert_eq!(back["rooms"], json!(["general", "rust"]));
        assert_eq!(back["membersShown"], json!(["alice", "bob"]));
        assert_eq!(back["nicknameSent"], json!([page]));
        assert_eq!(back["joinSent"], json!(["rust"]));
        assert_eq!(back["sessions"], 2, "a new Engine.IO session");
        assert_eq!(back["transport"], "websocket");
    }
    let typing = one(&lines, "typing", "bob");
    assert_eq!(typing["indicator"], "alice is typing…");
    assert_eq!(typing["membersTyping"], json!(["alice"]));
    let d = deliveries(&lines);
    for page in ["alice", "bob"] {
        assert!(has(&d, page, "page", 4) && has(&d, page, "wire-in", 4));
        assert!(has(&d, page, "wire-out", 2));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_pages_get_every_message_exactly_once() {
    let lines = run("crowd", &[]).await;

    let crowd = &all(&lines, "crowd")[..];
    assert_eq!(crowd.len(), 1);
    assert_eq!(crowd[0]["pages"], 20);
    assert_eq!(crowd[0]["messages"], 40);
    assert_eq!(crowd[0]["deliveredOnce"], 800);
    let d = deliveries(&lines);
    for i in 1..=20 {
        let page = format!("user{i:02}");
        assert!(has(&d, &page, "page", 40), "{page}: {d:?}");
        assert!(has(&d, &page, "wire-in", 40), "{page}: {d:?}");
        assert!(has(&d, &page, "wire-out", 2), "{page}: {d:?}");
    }
}
