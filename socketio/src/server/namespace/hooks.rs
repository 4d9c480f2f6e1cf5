//! The namespace's callbacks: connection handlers, connect middlewares, server-side event
//! handlers, room listeners, and the predicate of a dynamic parent. Each is a plain closure
//! or an async one (see [`Plain`] and [`Async`]).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::Value;

use super::{Namespace, RoomEvent};
use crate::payload::Payload;
use crate::server::callback::{Async, CallbackFuture, Plain};
use crate::server::error::ConnectError;
use crate::server::socket::Socket;
use crate::server::ServerAck;

pub(crate) type ConnectionFn = Arc<dyn Fn(Socket) -> Option<CallbackFuture> + Send + Sync>;
pub(crate) type MiddlewareFn = Arc<dyn Fn(Socket) -> Admission + Send + Sync>;
pub(crate) type ServerEventFn =
    Arc<dyn Fn(Payload, Option<ServerAck>) -> Option<CallbackFuture> + Send + Sync>;
pub(crate) type RoomListenerFn = Arc<dyn Fn(RoomEvent) -> Option<CallbackFuture> + Send + Sync>;
pub(crate) type PredicateFn = Arc<dyn Fn(&str, &Value) -> Verdict + Send + Sync>;
pub(crate) type NewNamespaceFn = Arc<dyn Fn(Namespace) -> Option<CallbackFuture> + Send + Sync>;

/// A future of a connect middleware's answer.
pub(crate) type Admission = Pin<Box<dyn Future<Output = Result<(), ConnectError>> + Send>>;

/// A future of a dynamic parent's answer.
pub(crate) type Verdict = Pin<Box<dyn Future<Output = bool> + Send>>;

/// Runs for each socket that joins: `Fn(Socket)` or `Fn(Socket) -> impl Future`.
pub trait ConnectionHandler<M>: Send + Sync + 'static {
    /// Runs the handler; an async one returns its future.
    fn call(&self, socket: Socket) -> Option<CallbackFuture>;
}

impl<F: Fn(Socket) + Send + Sync + 'static> ConnectionHandler<Plain> for F {
    fn call(&self, socket: Socket) -> Option<CallbackFuture> {
        self(socket);
        None
    }
}

impl<F, Fut> ConnectionHandler<Async> for F
where
    F: Fn(Socket) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn call(&self, socket: Socket) -> Option<CallbackFuture> {
        Some(Box::pin(self(socket)))
    }
}

/// Admits or refuses a connection (the reference's `io.use`):
/// `Fn(&Socket) -> Result<(), ConnectError>` or
/// `Fn(Socket) -> impl Future<Output = Result<(), ConnectError>>`.
pub trait ConnectMiddleware<M>: Send + Sync + 'static {
    /// The middleware's answer, as a future.
    fn call(&self, socket: Socket) -> Admission;
}

impl<F> ConnectMiddleware<Plain> for F
where
    F: Fn(&Socket) -> Result<(), ConnectError> + Send + Sync + 'static,
{
    fn call(&self, socket: Socket) -> Admission {
        Box::pin(std::future::ready(self(&socket)))
    }
}

impl<F, Fut> ConnectMiddleware<Async> for F
where
    F: Fn(Socket) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), ConnectError>> + Send + 'static,
{
    fn call(&self, socket: Socket) -> Admission {
        Box::pin(self(socket))
    }
}

/// Handles an event another server emitted: `Fn(&Payload, Option<ServerAck>)` or
/// `Fn(Payload, Option<ServerAck>) -> impl Future`.
pub trait ServerEventHandler<M>: Send + Sync + 'static {
    /// Runs the handler; an async one returns its future.
    fn call(&self, args: Payload, ack: Option<ServerAck>) -> Option<CallbackFuture>;
}

impl<F: Fn(&Payload, Option<ServerAck>) + Send + Sync + 'static> ServerEventHandler<Plain> for F {
    fn call(&self, args: Payload, ack: Option<ServerAck>) -> Option<CallbackFuture> {
        self(&args, ack);
        None
    }
}

impl<F, Fut> ServerEventHandler<Async> for F
where
    F: Fn(Payload, Option<ServerAck>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn call(&self, args: Payload, ack: Option<ServerAck>) -> Option<CallbackFuture> {
        Some(Box::pin(self(args, ack)))
    }
}

/// Hears of the namespace's room changes: `Fn(&RoomEvent)` or `Fn(RoomEvent) -> impl Future`.
pub trait RoomListener<M>: Send + Sync + 'static {
    /// Runs the listener; an async one returns its future.
    fn call(&self, event: RoomEvent) -> Option<CallbackFuture>;
}

impl<F: Fn(&RoomEvent) + Send + Sync + 'static> RoomListener<Plain> for F {
    fn call(&self, event: RoomEvent) -> Option<CallbackFuture> {
        self(&event);
        None
    }
}

impl<F, Fut> RoomListener<Async> for F
where
    F: Fn(RoomEvent) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn call(&self, event: RoomEvent) -> Option<CallbackFuture> {
        Some(Box::pin(self(event)))
    }
}

/// Decides whether a dynamic parent takes a namespace a client asks for, from its name and
/// the CONNECT payload: `Fn(&str, &Value) -> bool` or `Fn(String, Value) -> impl Future<Output
/// = bool>` (the reference's `(name, auth, next) => next(null, allow)`).
pub trait NamespacePredicate<M>: Send + Sync + 'static {
    /// The answer, as a future.
    fn call(&self, name: &str, auth: &Value) -> Verdict;
}

impl<F: Fn(&str, &Value) -> bool + Send + Sync + 'static> NamespacePredicate<Plain> for F {
    fn call(&self, name: &str, auth: &Value) -> Verdict {
        Box::pin(std::future::ready(self(name, auth)))
    }
}

impl<F, Fut> NamespacePredicate<Async> for F
where
    F: Fn(String, Value) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send + 'static,
{
    fn call(&self, name: &str, auth: &Value) -> Verdict {
        Box::pin(self(name.to_owned(), auth.clone()))
    }
}

/// Hears of each namespace the server creates (the reference's `new_namespace`):
/// `Fn(Namespace)` or `Fn(Namespace) -> impl Future`.
pub trait NewNamespaceHandler<M>: Send + Sync + 'static {
    /// Runs the handler; an async one returns its future.
    fn call(&self, namespace: Namespace) -> Option<CallbackFuture>;
}

impl<F: Fn(Namespace) + Send + Sync + 'static> NewNamespaceHandler<Plain> for F {
    fn call(&self, namespace: Namespace) -> Option<CallbackFuture> {
        self(namespace);
        None
    }
}

impl<F, Fut> NewNamespaceHandler<Async> for F
where
    F: Fn(Namespace) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn call(&self, namespace: Namespace) -> Option<CallbackFuture> {
        Some(Box::pin(self(namespace)))
    }
}

/// Connection handlers, middlewares and server-side event handlers; a dynamic child shares
/// its parent's.
#[derive(Default)]
pub(crate) struct Hooks {
    pub(crate) connection: Vec<ConnectionFn>,
    pub(crate) middlewares: Vec<MiddlewareFn>,
    pub(crate) server_events: HashMap<String, ServerEventFn>,
}
