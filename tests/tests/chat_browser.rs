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

mod common_chat;

use std::time::SystemTime;

use common_chat::{run, screenshot_path};
use serde_json::{json, Value};

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
    rewired_on_the_wire(&lines);
}

/// After the restart, on the new session: alice's `typing` left her page and reached bob's,
/// and both pages received the member lists again.
fn rewired_on_the_wire(lines: &[Value]) {
    let alice = one(lines, "rewire", "alice");
    let bob = one(lines, "rewire", "bob");
    let typing = json!({"room": "rust", "typing": true});
    let out = alice["typingOut"].as_array().expect("a list");
    assert!(out.contains(&typing), "alice sent no typing: {alice}");
    let from_alice = json!({"room": "rust", "from": "alice", "typing": true});
    let into = bob["typingIn"].as_array().expect("a list");
    assert!(into.contains(&from_alice), "bob received no typing: {bob}");
    // bob's own notices go to the others only.
    assert!(into.iter().all(|t| t["from"] == "alice"), "{bob}");
    for page in [alice, bob] {
        assert!(page["membersIn"].as_u64() >= Some(1), "{page}");
        assert_eq!(page["members"]["rust"], json!(["alice", "bob"]), "{page}");
        assert_eq!(
            page["members"]["general"],
            json!(["alice", "bob"]),
            "{page}"
        );
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
