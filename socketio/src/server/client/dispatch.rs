//! An event from the client, through its socket's callbacks in the reference's order: the
//! catch-all handlers, the event middlewares, then, if none refused it and the socket is
//! still connected, the event's handlers.
//!
//! Everything starts on the connection's task, in the order the events arrived. A callback
//! that awaits goes on as a task of its own: an async middleware holds back only the event it
//! decides on, an async handler nothing at all.

use std::fmt;
use std::sync::Arc;

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

/// Dispatches one event of a joined socket.
pub(super) fn event(slot: &Slot, name: &str, args: Payload, ack: Option<u64>) {
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
            callback::run(&Running("catch-all handler", name), || {
                handler(socket, event)
            });
        }
    }
    let listeners = handlers.event(name);
    match handlers.middlewares.clone() {
        None => start(listeners, socket, &event, name),
        Some(middlewares) => {
            let errors = handlers.errors.clone();
            let decide = decide(middlewares, errors, listeners, socket.clone(), event);
            callback::start(&Running("middleware", name), Box::pin(decide));
        }
    }
}

/// Starts the event's handlers, in the order they were added.
fn start(handlers: Option<Arc<[EventFn]>>, socket: &Socket, event: &Event, name: &str) {
    let Some(handlers) = handlers else {
        return;
    };
    for handler in handlers.iter() {
        let (socket, event) = (socket.clone(), event.clone());
        callback::run(&Running("handler", name), || handler(socket, event));
    }
}

/// Runs the middlewares in order, then the handlers; a refusal goes to the error handlers.
async fn decide(
    middlewares: Arc<[MiddlewareFn]>,
    errors: Option<Arc<[ErrorFn]>>,
    handlers: Option<Arc<[EventFn]>>,
    socket: Socket,
    event: Event,
) {
    for middleware in middlewares.iter() {
        if let Err(error) = middleware(socket.clone(), event.clone()).await {
            return refused(errors, &socket, event.name(), &error);
        }
    }
    // A socket that left while a middleware decided gets no event.
    if socket.connected() {
        let name = event.name().to_owned();
        start(handlers, &socket, &event, &name);
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
