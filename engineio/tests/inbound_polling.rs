//! The polling flood of issue 17: 20 POSTs of 666 KB, each 222 222 one-byte messages (`4x`
//! joined by `\x1e`), sent one after another while a slow handler consumes. Every POST waits at
//! the session's inbound mark and answers once its messages are taken, so the heap stays
//! bounded however many packets a body holds; every message arrives, in order.
//!
//! The heap is counted exactly by a counting global allocator (`cap`, with its peak): the
//! growth over the heap held before the flood is what the server holds at worst. Without the
//! mark each POST held its decoded packets and its events at once, tens of megabytes, and the
//! events of POSTs the handler had not reached yet piled up on top. The resident set size is
//! printed beside it, for the record. Alone in its binary, so that no other test allocates
//! meanwhile.
#![allow(clippy::unwrap_used)]

use std::alloc::System;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use cap::Cap;
use engineio::packet::Message;
use engineio::server::{Builder, EngineIo, Handler, Socket};
use engineio::DisconnectReason;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use tokio::sync::Notify;

#[global_allocator]
static HEAP: Cap<System> = Cap::new(System, usize::MAX);

const POSTS: usize = 20;
/// Messages per POST: `4x` and a separator each, 666 665 bytes.
const PER_POST: usize = 222_222;
/// What the server may hold beyond the heap before the flood: a body's worth of decoding and
/// queue several times over, far below the tens of megabytes one unpaced POST held.
const BUDGET: usize = 1024 * 1024;

/// Takes messages slowly: a millisecond's pause every 2 000, on the session's driver task.
struct Slow {
    taken: Arc<AtomicUsize>,
    /// Messages that were not the `x` the client sent.
    wrong: Arc<AtomicUsize>,
    /// Told when every message of the flood was taken.
    all_taken: Arc<Notify>,
}

impl Handler for Slow {
    type Connection = ();
    fn on_connect(&self, _socket: Socket) {}
    fn on_message(&self, _: &mut (), message: Message) {
        if !matches!(&message, Message::Text(text) if text.as_str() == "x") {
            self.wrong.fetch_add(1, Ordering::Relaxed);
        }
        let taken = self.taken.fetch_add(1, Ordering::Relaxed) + 1;
        if taken % 2000 == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        if taken == (POSTS + 1) * PER_POST {
            self.all_taken.notify_one();
        }
    }
    fn on_close(&self, _: (), reason: DisconnectReason) {
        panic!("the session ended: {reason}");
    }
}

async fn request(server: &EngineIo<Slow>, method: Method, query: &str, body: Bytes) -> String {
    let request = Request::builder()
        .method(method)
        .uri(format!("/engine.io/?EIO=4&transport=polling{query}"))
        .body(Full::new(body))
        .unwrap();
    let response = server.handle(request).await;
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(body.to_vec()).unwrap()
}

/// The resident set size, in MiB, from `/proc/self/statm` (0 where there is none).
fn rss_mib() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096 / (1024 * 1024)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_tiny_packets_is_paced_and_the_heap_stays_bounded() {
    let taken = Arc::new(AtomicUsize::new(0));
    let wrong = Arc::new(AtomicUsize::new(0));
    let all_taken = Arc::new(Notify::new());
    let handler = Slow {
        taken: taken.clone(),
        wrong: wrong.clone(),
        all_taken: all_taken.clone(),
    };
    // No heartbeat during the flood: its time is the handler's, not the client's.
    let server = Builder::new()
        .ping_interval(Duration::from_secs(3600))
        .build(handler);
    let open = request(&server, Method::GET, "", Bytes::new()).await;
    let open: serde_json::Value = serde_json::from_str(&open[1..]).unwrap();
    let query = format!("&sid={}", open["sid"].as_str().unwrap());
    let mut body = "4x\u{1e}".repeat(PER_POST);
    body.pop();
    let body = Bytes::from(body);
    assert_eq!(body.len(), 666_665);
    // One POST first, so that what the server allocates once is in the baseline.
    assert_eq!(
        request(&server, Method::POST, &query, body.clone()).await,
        "ok"
    );
    let baseline = HEAP.allocated();
    let rss_before = rss_mib();
    for post in 1..=POSTS {
        assert_eq!(
            request(&server, Method::POST, &query, body.clone()).await,
            "ok"
        );
        // The POST answered once the driver took its messages; the handler has them, or is
        // being handed the last mark's worth.
        let seen = taken.load(Ordering::Relaxed);
        assert!(
            seen + 1024 >= (post + 1) * PER_POST,
            "POST {post} answered with {seen} messages taken"
        );
    }
    let peak = HEAP.max_allocated();
    let growth = peak.saturating_sub(baseline);
    println!(
        "heap: {baseline} bytes before the flood, peak {peak} (+{growth}); \
         RSS {rss_before} MiB before, {} MiB after",
        rss_mib()
    );
    assert!(
        growth < BUDGET,
        "the flood grew the heap by {growth} bytes, over {BUDGET}"
    );
    // Every message arrives: the last mark's worth at the latest a moment after the answer.
    tokio::time::timeout(Duration::from_secs(30), all_taken.notified())
        .await
        .expect("every message taken");
    assert_eq!(taken.load(Ordering::Relaxed), (POSTS + 1) * PER_POST);
    assert_eq!(wrong.load(Ordering::Relaxed), 0);
}
