//! A client whose async handlers fall behind is slowed down, not served without bound: at
//! `max_pending_handlers` running callbacks its connection holds its messages (the POST that
//! brought them waits), and takes them again, in order, once half have finished.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{call, connected, settle};
use http::Method;
use socketio::server::{Event, Socket, SocketIo};
use tokio::sync::Semaphore;

/// A server whose `slow` handler logs its argument, then waits for a permit of `gate`.
fn gated_server(max: usize, gate: &Arc<Semaphore>, log: &Arc<Mutex<Vec<u64>>>) -> SocketIo {
    let io = SocketIo::builder()
        .ping_interval(Duration::from_secs(30))
        .max_pending_handlers(max)
        .build();
    let (gate, log) = (gate.clone(), log.clone());
    io.on_connection(move |socket: Socket| {
        let (gate, log) = (gate.clone(), log.clone());
        socket.on("slow", move |_socket: Socket, event: Event| {
            let (gate, log) = (gate.clone(), log.clone());
            async move {
                log.lock().unwrap().push(event.arg(0).unwrap());
                gate.acquire().await.unwrap().forget();
            }
        });
    });
    io
}

#[tokio::test(start_paused = true)]
async fn at_the_bound_the_messages_wait_and_then_all_come_in_order() {
    let gate = Arc::new(Semaphore::new(0));
    let log = Arc::new(Mutex::new(Vec::new()));
    let io = gated_server(4, &gate, &log);
    let sid = connected(&io, "/").await;
    let body: Vec<String> = (0..10).map(|n| format!("42[\"slow\",{n}]")).collect();
    let posting = {
        let (io, query) = (io.clone(), format!("&sid={sid}"));
        tokio::spawn(async move { call(&io, Method::POST, &query, &body.join("\u{1e}")).await })
    };
    settle().await;
    // Four handlers run; the six other events wait in the session, and so does the POST.
    assert_eq!(*log.lock().unwrap(), [0, 1, 2, 3]);
    assert!(!posting.is_finished());
    // Two finish: still above half of the bound, nothing more is taken.
    gate.add_permits(1);
    settle().await;
    assert_eq!(log.lock().unwrap().len(), 4);
    // The third brings it to half: the connection takes the messages again, in order.
    gate.add_permits(1);
    settle().await;
    assert_eq!(*log.lock().unwrap(), [0, 1, 2, 3, 4, 5]);
    gate.add_permits(100);
    let answered = posting.await.unwrap();
    assert_eq!(answered, (200, "ok".to_owned()));
    assert_eq!(*log.lock().unwrap(), (0..10).collect::<Vec<u64>>());
}

#[tokio::test(start_paused = true)]
async fn with_a_bound_of_one_each_finished_handler_lets_one_more_event_in() {
    let gate = Arc::new(Semaphore::new(0));
    let log = Arc::new(Mutex::new(Vec::new()));
    let io = gated_server(1, &gate, &log);
    let sid = connected(&io, "/").await;
    let body: Vec<String> = (0..20).map(|n| format!("42[\"slow\",{n}]")).collect();
    let posting = {
        let (io, query) = (io.clone(), format!("&sid={sid}"));
        tokio::spawn(async move { call(&io, Method::POST, &query, &body.join("\u{1e}")).await })
    };
    settle().await;
    for started in 1..20 {
        assert_eq!(log.lock().unwrap().len(), started);
        gate.add_permits(1);
        settle().await;
    }
    gate.add_permits(1);
    assert_eq!(posting.await.unwrap(), (200, "ok".to_owned()));
    assert_eq!(*log.lock().unwrap(), (0..20).collect::<Vec<u64>>());
}

#[tokio::test(start_paused = true)]
async fn handlers_that_finish_at_once_are_never_held() {
    let gate = Arc::new(Semaphore::new(1000));
    let log = Arc::new(Mutex::new(Vec::new()));
    let io = gated_server(1, &gate, &log);
    let sid = connected(&io, "/").await;
    let body: Vec<String> = (0..200).map(|n| format!("42[\"slow\",{n}]")).collect();
    let answered = call(
        &io,
        Method::POST,
        &format!("&sid={sid}"),
        &body.join("\u{1e}"),
    )
    .await;
    assert_eq!(answered, (200, "ok".to_owned()));
    assert_eq!(*log.lock().unwrap(), (0..200).collect::<Vec<u64>>());
}
