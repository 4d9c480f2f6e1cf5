//! tower and hyper `Service` impls, and a `Layer` that mounts the server in front of another
//! service (an axum router, a hyper service).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use engineio::server::{BoxError, EngineResponse};
use http::{Request, Response};
use http_body::Body;
use http_body_util::{Either, Full};
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

/// Mounts a [`SocketIo`] in front of a service: requests under its path are answered by it,
/// the others go to the inner service untouched.
///
/// ```ignore
/// let app = axum::Router::new()
///     .route("/", axum::routing::get(|| async { "hello" }))
///     .layer(SocketIoLayer::new(io));
/// ```
#[derive(Clone)]
pub struct SocketIoLayer {
    io: SocketIo,
}

impl SocketIoLayer {
    /// A layer serving `io`.
    pub fn new(io: SocketIo) -> Self {
        Self { io }
    }
}

impl<S> tower_layer::Layer<S> for SocketIoLayer {
    type Service = SocketIoService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SocketIoService {
            inner,
            io: self.io.clone(),
        }
    }
}

/// The service a [`SocketIoLayer`] makes.
#[derive(Clone)]
pub struct SocketIoService<S> {
    inner: S,
    io: SocketIo,
}

impl<S, B, ResBody> tower_service::Service<Request<B>> for SocketIoService<S>
where
    S: tower_service::Service<Request<B>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response<Either<Full<Bytes>, ResBody>>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        if self.io.matches(&request) {
            let io = self.io.clone();
            Box::pin(async move { Ok(io.handle(request).await.map(Either::Left)) })
        } else {
            let future = self.inner.call(request);
            Box::pin(async move { Ok(future.await?.map(Either::Right)) })
        }
    }
}
