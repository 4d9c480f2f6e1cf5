//! Issue 17's silent client: 10 000 broadcasts with an ack to a client that reads them and
//! never answers. Each registers a waiter on the client's socket; when the timeout passes the
//! emitter is told and the waiter is gone, so the heap comes back to where it was before the
//! broadcasts (Node keeps a broadcast's waiter until the socket leaves), and the socket is
//! far from its cap of pending acks: a last broadcast waits for its answer and gets it.
//!
//! The heap is counted exactly by a counting global allocator (`cap`); alone in its binary,
//! so that no other test allocates meanwhile.
#![allow(clippy::unwrap_used)]

mod common;

use std::alloc::System;
use std::time::Duration;

use cap::Cap;
use common::{connected, poll};
use futures_util::future::join_all;
use serde_json::Value;
use socketio::server::{AckError, SocketIo};

#[global_allocator]
static HEAP: Cap<System> = Cap::new(System, usize::MAX);

const BROADCASTS: usize = 10_000;
/// What may differ from the baseline afterwards: maps and queues keep some capacity.
const SLACK: usize = 256 * 1024;

/// `count` broadcasts with an ack, all waiting at once; each must time out with no answer.
async fn broadcasts(io: &SocketIo, count: usize) {
    let operator = &io.timeout(Duration::from_secs(1));
    let asks =
        (0..count).map(|n| async move { operator.emit_with_ack::<_, Value>("ask", &n).await });
    for result in join_all(asks).await {
        let partial = result.expect_err("nobody answers");
        assert!(partial.responses.is_empty());
        assert!(
            matches!(partial.error, AckError::Timeout),
            "{:?}",
            partial.error
        );
    }
}

#[tokio::test(start_paused = true)]
async fn timed_out_broadcast_acks_leave_nothing_behind() {
    let io = SocketIo::builder()
        .ping_interval(Duration::from_secs(3600))
        .ping_timeout(Duration::from_secs(3600))
        .build();
    let sid = connected(&io, "/").await;
    // The client reads everything and answers nothing; what it read goes to the test.
    let (read, mut bodies) = tokio::sync::mpsc::unbounded_channel();
    let reader = {
        let (io, sid) = (io.clone(), sid.clone());
        tokio::spawn(async move { while read.send(poll(&io, &sid).await).is_ok() {} })
    };
    // A first round sizes what stays allocated for good (the capacity of maps and queues).
    broadcasts(&io, BROADCASTS).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    while bodies.try_recv().is_ok() {}
    let baseline = HEAP.allocated();
    broadcasts(&io, BROADCASTS).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    while bodies.try_recv().is_ok() {}
    let after = HEAP.allocated();
    println!(
        "heap: baseline {baseline} B, after {after} B, peak {} B",
        HEAP.max_allocated()
    );
    assert!(
        after <= baseline + SLACK,
        "the waiters stayed: {after} B after, {baseline} B before"
    );
    // Every waiter is gone, so the socket is far from its cap of pending acks: one more
    // broadcast waits for its answer, and gets it.
    let last = {
        let io = io.clone();
        tokio::spawn(async move {
            let operator = io.timeout(Duration::from_secs(5));
            operator.emit_with_ack::<_, String>("ask", "last").await
        })
    };
    let id = loop {
        let body = bodies.recv().await.unwrap();
        let found = body.split('\u{1e}').find_map(|packet| {
            let rest = packet.strip_prefix("42")?;
            rest.strip_suffix(r#"["ask","last"]"#).map(str::to_owned)
        });
        if let Some(id) = found {
            break id;
        }
    };
    common::post(&io, &sid, &format!(r#"43{id}["yes"]"#)).await;
    assert_eq!(last.await.unwrap().unwrap(), ["yes"]);
    reader.abort();
}
