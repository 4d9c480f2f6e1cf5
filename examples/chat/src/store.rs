//! The message store, as a real chat would have one: writes and reads go to it and are
//! awaited, as a database's would be. Here it is a task that owns the recent messages of each
//! room, reached through a bounded channel.
//!
//! A message is broadcast by the store once it is stored, so that every member sees each
//! room's messages in the store's order: handlers that await run as tasks of their own and may
//! resume in any order, but their requests reach the store in the order the handlers started,
//! which is the order the messages arrived.

use std::collections::{HashMap, VecDeque};

use socketio::server::SocketIo;
use tokio::sync::{mpsc, oneshot};

use crate::room::ChatMessage;

/// Messages kept per room for newcomers.
const HISTORY: usize = 50;

/// Requests waiting for the store at most; a handler that finds it full waits its turn.
const QUEUE: usize = 1024;

enum Request {
    /// Store a message, then broadcast it to its room.
    Post(ChatMessage, oneshot::Sender<()>),
    /// The recent messages of a room, oldest first.
    Recent(String, oneshot::Sender<Vec<ChatMessage>>),
}

/// A handle on the store; cloning is cheap.
#[derive(Clone)]
pub(crate) struct Store {
    requests: mpsc::Sender<Request>,
}

/// The store is gone (the server is shutting down).
#[derive(Debug)]
pub(crate) struct Closed;

impl Store {
    /// Starts the store's task, which broadcasts stored messages through `io`.
    pub(crate) fn start(io: SocketIo) -> Self {
        let (requests, queue) = mpsc::channel(QUEUE);
        tokio::spawn(serve(queue, io));
        Self { requests }
    }

    /// Stores a message and broadcasts it to its room; returns once both are done.
    pub(crate) async fn post(&self, message: ChatMessage) -> Result<(), Closed> {
        let (done, stored) = oneshot::channel();
        self.ask(Request::Post(message, done)).await?;
        stored.await.map_err(|_| Closed)
    }

    /// The recent messages of a room, oldest first.
    pub(crate) async fn recent(&self, room: &str) -> Result<Vec<ChatMessage>, Closed> {
        let (answer, recent) = oneshot::channel();
        self.ask(Request::Recent(room.to_owned(), answer)).await?;
        recent.await.map_err(|_| Closed)
    }

    async fn ask(&self, request: Request) -> Result<(), Closed> {
        self.requests.send(request).await.map_err(|_| Closed)
    }
}

/// The store's task: one request at a time, in the order they came.
async fn serve(mut queue: mpsc::Receiver<Request>, io: SocketIo) {
    let mut rooms: HashMap<String, VecDeque<ChatMessage>> = HashMap::new();
    while let Some(request) = queue.recv().await {
        match request {
            Request::Post(message, done) => {
                let room = rooms.entry(message.room.clone()).or_default();
                if room.len() == HISTORY {
                    room.pop_front();
                }
                room.push_back(message.clone());
                io.to(message.room.as_str()).emit("message", &(message,));
                // The poster may have gone meanwhile; the message stands.
                done.send(()).unwrap_or_default();
            }
            Request::Recent(room, answer) => {
                let recent = rooms.get(&room).map(|r| r.iter().cloned().collect());
                drop(answer.send(recent.unwrap_or_default()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> ChatMessage {
        ChatMessage {
            room: "r".into(),
            from: "a".into(),
            text: text.into(),
            at: 0,
        }
    }

    #[tokio::test]
    async fn the_history_is_bounded_and_in_order() {
        let store = Store::start(SocketIo::new());
        for i in 0..60 {
            store.post(message(&i.to_string())).await.expect("stored");
        }
        let recent = store.recent("r").await.expect("read");
        assert_eq!(recent.len(), HISTORY);
        assert_eq!(recent[0].text, "10");
        assert_eq!(recent[HISTORY - 1].text, "59");
        assert!(store.recent("empty").await.expect("read").is_empty());
    }
}
