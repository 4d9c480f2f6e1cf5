//! tower and hyper `Service` impls, and a `Layer` that mounts the server in front of another
//! service (an axum router, a hyper service).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use engineio::server::{BoxError, Endpoint, EngineResponse, MountLayer, Mounted};
use http::Request;
use http_body::Body;
use hyper::body::Incoming;

use super::SocketIo;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<B> tower_service::Service<Request<B>> for SocketIo
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = EngineResponse;
    type Error = Infallible;
    type Future = BoxFuture<Result<EngineResponse, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let io = self.clone();
        Box::pin(async move { Ok(io.handle(request).await) })
    }
}

impl hyper::service::Service<Request<Incoming>> for SocketIo {
    type Response = EngineResponse;
    type Error = Infallible;
    type Future = BoxFuture<Result<EngineResponse, Infallible>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let io = self.clone();
        Box::pin(async move { Ok(io.handle(request).await) })
    }
}

impl Endpoint for SocketIo {
    fn matches<B>(&self, request: &Request<B>) -> bool {
        SocketIo::matches(self, request)
    }

    fn respond<B>(&self, request: Request<B>) -> BoxFuture<EngineResponse>
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let io = self.clone();
        Box::pin(async move { io.handle(request).await })
    }
}

/// Mounts a [`SocketIo`] in front of a service: requests under its path are answered by it,
/// the others go to the inner service untouched.
///
/// ```
/// # use socketio::server::{SocketIo, SocketIoLayer};
/// # let io = SocketIo::new();
/// let app: axum::Router = axum::Router::new()
///     .route("/", axum::routing::get(|| async { "hello" }))
///     .layer(SocketIoLayer::new(io));
/// ```
pub type SocketIoLayer = MountLayer<SocketIo>;

/// The service a [`SocketIoLayer`] makes.
pub type SocketIoService<S> = Mounted<S, SocketIo>;
