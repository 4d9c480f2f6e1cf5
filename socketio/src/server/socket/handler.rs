//! The callbacks a socket runs, each a plain closure or an async one, and the lists of them
//! that the socket's connection owns.
//!
//! Each trait has two implementations told apart by their marker, [`Plain`] or [`Async`]: a
//! plain closure gets a `&Socket` and returns at once; an async one gets the socket by value
//! (a cheap clone) and returns a future. The compiler picks the right one from the closure:
//!
//! ```
//! use socketio::server::{Event, Socket, SocketIo};
//! let io = SocketIo::new();
//! io.on_connection(|socket: Socket| {
//!     socket.on("plain", |socket: &Socket, event: Event| {
//!         socket.emit("echo", event.payload().value());
//!     });
//!     socket.on("async", |socket: Socket, event: Event| async move {
//!         tokio::time::sleep(std::time::Duration::from_millis(10)).await;
//!         socket.emit("late echo", event.payload().value());
//!     });
//! });
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use super::Socket;
use crate::payload::Payload;
use crate::server::callback::{Async, CallbackFuture, Plain};
use crate::server::event::Event;
use crate::server::reason::DisconnectReason;

pub(crate) type EventFn = Arc<dyn Fn(Socket, Event) -> Option<CallbackFuture> + Send + Sync>;
pub(crate) type AnyFn = Arc<dyn Fn(Socket, Event) -> Option<CallbackFuture> + Send + Sync>;
pub(crate) type MiddlewareFn = Arc<dyn Fn(Socket, Event) -> Decision + Send + Sync>;
pub(crate) type ErrorFn = Arc<dyn Fn(Socket, String) -> Option<CallbackFuture> + Send + Sync>;
pub(crate) type EndFn =
    Arc<dyn Fn(Socket, DisconnectReason) -> Option<CallbackFuture> + Send + Sync>;
pub(crate) type OutgoingFn =
    Arc<dyn Fn(Socket, &str, &Payload) -> Option<CallbackFuture> + Send + Sync>;

/// Handles one event of a client: `Fn(&Socket, Event)` or `Fn(Socket, Event) -> impl Future`.
pub trait EventHandler<M>: Send + Sync + 'static {
    /// Runs the handler; an async one returns its future.
    fn call(&self, socket: Socket, event: Event) -> Option<CallbackFuture>;
}

impl<F: Fn(&Socket, Event) + Send + Sync + 'static> EventHandler<Plain> for F {
    fn call(&self, socket: Socket, event: Event) -> Option<CallbackFuture> {
        self(&socket, event);
        None
    }
}

impl<F, Fut> EventHandler<Async> for F
where
    F: Fn(Socket, Event) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn call(&self, socket: Socket, event: Event) -> Option<CallbackFuture> {
        Some(Box::pin(self(socket, event)))
    }
}

/// Sees every incoming event first: `Fn(&Socket, &Event)` or `Fn(Socket, Event) -> impl Future`.
pub trait AnyHandler<M>: Send + Sync + 'static {
    /// Runs the handler; an async one returns its future.
    fn call(&self, socket: Socket, event: Event) -> Option<CallbackFuture>;
}

impl<F: Fn(&Socket, &Event) + Send + Sync + 'static> AnyHandler<Plain> for F {
    fn call(&self, socket: Socket, event: Event) -> Option<CallbackFuture> {
        self(&socket, &event);
        None
    }
}

impl<F, Fut> AnyHandler<Async> for F
where
    F: Fn(Socket, Event) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn call(&self, socket: Socket, event: Event) -> Option<CallbackFuture> {
        Some(Box::pin(self(socket, event)))
    }
}

/// Sees every event sent to the client: `Fn(&Socket, &str, &Payload)` or
/// `Fn(Socket, String, Payload) -> impl Future`.
pub trait OutgoingHandler<M>: Send + Sync + 'static {
    /// Runs the handler; an async one returns its future.
    fn call(&self, socket: Socket, event: &str, args: &Payload) -> Option<CallbackFuture>;
}

impl<F: Fn(&Socket, &str, &Payload) + Send + Sync + 'static> OutgoingHandler<Plain> for F {
    fn call(&self, socket: Socket, event: &str, args: &Payload) -> Option<CallbackFuture> {
        self(&socket, event, args);
        None
    }
}

impl<F, Fut> OutgoingHandler<Async> for F
where
    F: Fn(Socket, String, Payload) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn call(&self, socket: Socket, event: &str, args: &Payload) -> Option<CallbackFuture> {
        Some(Box::pin(self(socket, event.to_owned(), args.clone())))
    }
}

/// Decides on an incoming event before its handlers run (the reference's `socket.use`):
/// `Fn(&Socket, &Event) -> Result<(), String>` or
/// `Fn(Socket, Event) -> impl Future<Output = Result<(), String>>`. An `Err` stops the event
/// and goes to the socket's error handlers.
pub trait EventMiddleware<M>: Send + Sync + 'static {
    /// Decides, at once or later.
    fn call(&self, socket: Socket, event: Event) -> Decision;
}

impl<F> EventMiddleware<Plain> for F
where
    F: Fn(&Socket, &Event) -> Result<(), String> + Send + Sync + 'static,
{
    fn call(&self, socket: Socket, event: Event) -> Decision {
        Decision::Now(Some(self(&socket, &event)))
    }
}

impl<F, Fut> EventMiddleware<Async> for F
where
    F: Fn(Socket, Event) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    fn call(&self, socket: Socket, event: Event) -> Decision {
        Decision::Later(Box::pin(self(socket, event)))
    }
}

/// A middleware's decision: made at once, or a future of it. It is itself a future.
pub enum Decision {
    /// Decided (taken once awaited).
    Now(Option<Result<(), String>>),
    /// To be awaited.
    Later(Pin<Box<dyn Future<Output = Result<(), String>> + Send>>),
}

impl Future for Decision {
    type Output = Result<(), String>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            Decision::Now(decision) => Poll::Ready(decision.take().unwrap_or(Ok(()))),
            Decision::Later(future) => future.as_mut().poll(cx),
        }
    }
}

/// Hears why a middleware refused an event: `Fn(&Socket, &str)` or
/// `Fn(Socket, String) -> impl Future`.
pub trait ErrorHandler<M>: Send + Sync + 'static {
    /// Runs the handler; an async one returns its future.
    fn call(&self, socket: Socket, error: String) -> Option<CallbackFuture>;
}

impl<F: Fn(&Socket, &str) + Send + Sync + 'static> ErrorHandler<Plain> for F {
    fn call(&self, socket: Socket, error: String) -> Option<CallbackFuture> {
        self(&socket, &error);
        None
    }
}

impl<F, Fut> ErrorHandler<Async> for F
where
    F: Fn(Socket, String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn call(&self, socket: Socket, error: String) -> Option<CallbackFuture> {
        Some(Box::pin(self(socket, error)))
    }
}

/// Runs when a socket leaves: `Fn(&Socket, DisconnectReason)` or
/// `Fn(Socket, DisconnectReason) -> impl Future`.
pub trait DisconnectHandler<M>: Send + Sync + 'static {
    /// Runs the handler; an async one returns its future.
    fn call(&self, socket: Socket, reason: DisconnectReason) -> Option<CallbackFuture>;
}

impl<F: Fn(&Socket, DisconnectReason) + Send + Sync + 'static> DisconnectHandler<Plain> for F {
    fn call(&self, socket: Socket, reason: DisconnectReason) -> Option<CallbackFuture> {
        self(&socket, reason);
        None
    }
}

impl<F, Fut> DisconnectHandler<Async> for F
where
    F: Fn(Socket, DisconnectReason) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn call(&self, socket: Socket, reason: DisconnectReason) -> Option<CallbackFuture> {
        Some(Box::pin(self(socket, reason)))
    }
}

/// Names a catch-all handler, to remove it with `off_any` or `off_any_outgoing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListenerId(u64);

impl ListenerId {
    /// A new id, unique in the process.
    pub(crate) fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// Where a catch-all handler goes among the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// After the others (`onAny`).
    Last,
    /// Before the others (`prependAny`).
    First,
}

/// An ordered list of catch-all handlers, shared so that a dispatch clones one pointer.
pub(crate) type Listeners<T> = Arc<[(ListenerId, T)]>;

/// `list` with `handler` added at `place`.
pub(crate) fn with_listener<T: Clone>(
    list: &Listeners<T>,
    id: ListenerId,
    handler: T,
    place: Place,
) -> Listeners<T> {
    let added = std::iter::once((id, handler));
    match place {
        Place::Last => list.iter().cloned().chain(added).collect(),
        Place::First => added.chain(list.iter().cloned()).collect(),
    }
}

/// `list` without `id`, or empty for `None`.
pub(crate) fn without_listener<T: Clone>(
    list: &Listeners<T>,
    id: Option<ListenerId>,
) -> Listeners<T> {
    match id {
        Some(id) => list.iter().filter(|(i, _)| *i != id).cloned().collect(),
        None => Arc::from([]),
    }
}

/// The incoming side of one socket: what its connection runs for what the client sends.
/// Owned by the connection's task, never shared; other tasks reach it through the
/// connection's inbox.
#[derive(Default)]
pub(crate) struct Handlers {
    /// Each event's handlers, in the order they were added.
    events: HashMap<String, Arc<[EventFn]>>,
    pub(crate) any: Option<Listeners<AnyFn>>,
    pub(crate) middlewares: Option<Arc<[MiddlewareFn]>>,
    pub(crate) errors: Option<Arc<[ErrorFn]>>,
    pub(crate) disconnecting: Vec<EndFn>,
    pub(crate) disconnect: Vec<EndFn>,
}

impl Handlers {
    pub(crate) fn on(&mut self, event: String, handler: EventFn) {
        let handlers = match self.events.get(&event) {
            Some(old) => old.iter().cloned().chain([handler]).collect(),
            None => Arc::from([handler]),
        };
        self.events.insert(event, handlers);
    }

    pub(crate) fn off(&mut self, event: &str) {
        self.events.remove(event);
    }

    pub(crate) fn event(&self, event: &str) -> Option<Arc<[EventFn]>> {
        self.events.get(event).cloned()
    }

    pub(crate) fn on_any(&mut self, id: ListenerId, handler: AnyFn, place: Place) {
        let list = self.any.take().unwrap_or_else(|| Arc::from([]));
        self.any = Some(with_listener(&list, id, handler, place));
    }

    pub(crate) fn off_any(&mut self, id: Option<ListenerId>) {
        self.any = self
            .any
            .take()
            .map(|list| without_listener(&list, id))
            .filter(|list| !list.is_empty());
    }

    pub(crate) fn use_middleware(&mut self, middleware: MiddlewareFn) {
        let list = self.middlewares.take().unwrap_or_else(|| Arc::from([]));
        self.middlewares = Some(list.iter().cloned().chain([middleware]).collect());
    }

    pub(crate) fn on_error(&mut self, handler: ErrorFn) {
        let list = self.errors.take().unwrap_or_else(|| Arc::from([]));
        self.errors = Some(list.iter().cloned().chain([handler]).collect());
    }
}
