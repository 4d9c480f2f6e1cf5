//! An event from the client, through its socket's callbacks in the reference's order: the
//! catch-all handlers, the event middlewares, then, if none refused it and the socket is
//! still connected, the event's handlers.
//!
//! Everything starts on the connection's task, in the order the events arrived. A callback
//! that awaits goes on as a task of its own: an async middleware holds back only the event it
//! decides on, an async handler nothing at all.

use std::fmt;
use std::sync::Arc;

use super::pacing::Pacing;
use super::slot::Slot;
use crate::payload::Payload;
use crate::server::callback;
use crate::server::event::{AckSender, Event};
use crate::server::socket::handler::{ErrorFn, EventFn, MiddlewareFn};
use crate::server::socket::Socket;

/// Names what runs, for the log of a panic.
struct Running<'a>(&'static str, &'a str);

impl fmt::Display for Running<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} of event \"{}\"", self.0, self.1)
    }
}

/// Dispatches one event of a joined socket; each callback that goes on as a task holds a
/// ticket of `pacing` while it runs.
pub(super) fn event(
    slot: &Slot,
    pacing: &Arc<Pacing>,
    name: &str,
    args: Payload,
    ack: Option<u64>,
) {
    let socket = &slot.socket;
    let ack = ack.map(|id| {
        let parser = socket.nsp().0.config.parser.clone();
        AckSender::new(
            socket.conn().clone(),
            parser,
            socket.namespace().clone(),
            id,
        )
    });
    let event = Event::new(name, args, ack);
    let handlers = &slot.handlers;
    if let Some(any) = &handlers.any {
        for (_, handler) in any.iter() {
            let (socket, event) = (socket.clone(), event.clone());
            let what = Running("catch-all handler", name);
            callback::run_holding(&what, || handler(socket, event), || pacing.ticket());
        }
    }
    let listeners = handlers.event(name);
    match handlers.middlewares.clone() {
        None => start(listeners, pacing, socket, &event),
        Some(middlewares) => {
            let errors = handlers.errors.clone();
            let decide = Decision {
                middlewares,
                errors,
                handlers: listeners,
                pacing: pacing.clone(),
            };
            let decide = decide.run(socket.clone(), event);
            let what = Running("middleware", name);
            callback::start_holding(&what, Box::pin(decide), || pacing.ticket());
        }
    }
}

/// Starts the event's handlers, in the order they were added.
fn start(handlers: Option<Arc<[EventFn]>>, pacing: &Arc<Pacing>, socket: &Socket, event: &Event) {
    let Some(handlers) = handlers else {
        return;
    };
    let what = Running("handler", event.name());
    for handler in handlers.iter() {
        let (socket, event) = (socket.clone(), event.clone());
        callback::run_holding(&what, || handler(socket, event), || pacing.ticket());
    }
}

/// The event middlewares' decision on one event, and what it leads to.
struct Decision {
    middlewares: Arc<[MiddlewareFn]>,
    errors: Option<Arc<[ErrorFn]>>,
    handlers: Option<Arc<[EventFn]>>,
    pacing: Arc<Pacing>,
}

impl Decision {
    /// Runs the middlewares in order, then the handlers; a refusal goes to the error
    /// handlers.
    async fn run(self, socket: Socket, event: Event) {
        for middleware in self.middlewares.iter() {
            if let Err(error) = middleware(socket.clone(), event.clone()).await {
                return refused(self.errors, &socket, event.name(), &error);
            }
        }
        // A socket that left while a middleware decided gets no event.
        if socket.connected() {
            start(self.handlers, &self.pacing, &socket, &event);
        }
    }
}

/// A middleware refused an event: the socket's error handlers hear why (the reference
/// emits `error`, and logs when nobody listens).
fn refused(errors: Option<Arc<[ErrorFn]>>, socket: &Socket, name: &str, error: &str) {
    let Some(errors) = errors.filter(|errors| !errors.is_empty()) else {
        tracing::warn!(socket = %socket.id(), event = name, %error, "event refused by a middleware, and no error handler");
        return;
    };
    for handler in errors.iter() {
        let (socket, error) = (socket.clone(), error.to_owned());
        callback::run(&Running("error handler", name), || handler(socket, error));
    }
}
