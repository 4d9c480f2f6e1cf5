//! Connection state recovery, the connection's side: a CONNECT that shows a session is
//! looked up in the namespace's adapter before its socket is made, and a socket that leaves
//! for a reason it can come back from leaves its session there.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use serde_json::Value;

use super::connect::finish;
use super::inbox::{Lookup, Message};
use super::Connection;
use crate::recovery::{Restored, Session};
use crate::server::callback;
use crate::server::namespace::Namespace;
use crate::server::reason::DisconnectReason;
use crate::server::socket::Socket;

type Restoring = Pin<Box<dyn Future<Output = Option<Restored>> + Send>>;

impl Connection {
    /// A CONNECT for `namespace`: with recovery on and a `pid` and an `offset` in its
    /// payload (strings, as the reference requires), the session is looked up first.
    pub(super) fn admit(&mut self, namespace: Namespace, auth: Value) {
        let credentials = (auth["pid"].as_str(), auth["offset"].as_str());
        let (Some(pid), Some(offset)) = credentials else {
            return self.admit_as(&namespace, auth, None);
        };
        if namespace.0.config.recovery.is_none() {
            return self.admit_as(&namespace, auth, None);
        }
        let (pid, offset) = (pid.to_owned(), offset.to_owned());
        let adapter = namespace.clone();
        let mut lookup: Restoring = Box::pin(async move {
            match adapter.0.adapter.restore_session(&pid, &offset).await {
                Ok(restored) => restored,
                Err(error) => {
                    tracing::debug!(%error, "no session restored");
                    None
                }
            }
        });
        match callback::poll_once(&"session restore", &mut lookup) {
            Some(Poll::Ready(restored)) => self.admit_as(&namespace, auth, restored),
            Some(Poll::Pending) => {
                self.resolving.insert(namespace.name().clone());
                let inbox = self.inbox.clone();
                tokio::spawn(async move {
                    let restored = finish("session restore", lookup).await.flatten();
                    let message = Message::Restored(Box::new(Lookup {
                        namespace,
                        auth,
                        restored,
                    }));
                    if inbox.push(message, false).is_err() {
                        tracing::trace!("session restored after its connection closed");
                    }
                });
            }
            None => self.admit_as(&namespace, auth, None),
        }
    }

    /// A session lookup that went on another task ended.
    pub(super) fn restored(
        &mut self,
        namespace: &Namespace,
        auth: Value,
        restored: Option<Restored>,
    ) {
        self.resolving.remove(namespace.name());
        self.admit_as(namespace, auth, restored);
    }
}

/// The session a leaving socket leaves, when it can come back: recovery on, a recoverable
/// reason. Read before the socket leaves its rooms.
pub(super) fn session_of(socket: &Socket, reason: DisconnectReason) -> Option<Session> {
    let pid = socket.pid()?;
    if !reason.is_recoverable() {
        return None;
    }
    let ns = socket.nsp();
    let state = ns.0.read();
    let entry = state.entry(socket.id())?;
    Some(Session {
        sid: socket.id().to_owned(),
        pid: pid.to_string(),
        rooms: state.rooms_of(socket.id()),
        data: entry.data.clone(),
    })
}

/// Leaves a session in the namespace's adapter (at once for the in-memory one).
pub(super) fn persist(namespace: Namespace, session: Session) {
    let keep = async move {
        if let Err(error) = namespace.0.adapter.persist_session(session).await {
            tracing::debug!(%error, "session not kept for recovery");
        }
    };
    callback::start(&"session persist", Box::pin(keep));
}
