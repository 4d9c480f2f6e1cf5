//! tower and hyper `Service` impls, and a `Layer` that mounts the server in front of
//! another service.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{Request, Response};
use http_body::Body;
use http_body_util::Either;
use hyper::body::Incoming;

use super::{BoxError, EngineIo, EngineResponse, Handler};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<H: Handler, B> tower_service::Service<Request<B>> for EngineIo<H>
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
        let engine = self.clone();
        Box::pin(async move { Ok(engine.handle(request).await) })
    }
}

impl<H: Handler> hyper::service::Service<Request<Incoming>> for EngineIo<H> {
    type Response = EngineResponse;
    type Error = Infallible;
    type Future = BoxFuture<Result<EngineResponse, Infallible>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let engine = self.clone();
        Box::pin(async move { Ok(engine.handle(request).await) })
    }
}

/// A server that answers the requests under its own path: what [`MountLayer`] puts in front
/// of another service. [`EngineIo`] is one; the Socket.IO server is another.
pub trait Endpoint: Clone + Send + Sync + 'static {
    /// Whether the request is for this server.
    fn matches<B>(&self, request: &Request<B>) -> bool;

    /// Answers a request for this server.
    fn respond<B>(&self, request: Request<B>) -> BoxFuture<EngineResponse>
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>;
}

impl<H: Handler> Endpoint for EngineIo<H> {
    fn matches<B>(&self, request: &Request<B>) -> bool {
        EngineIo::matches(self, request)
    }

    fn respond<B>(&self, request: Request<B>) -> BoxFuture<EngineResponse>
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let engine = self.clone();
        Box::pin(async move { engine.handle(request).await })
    }
}

/// Mounts an [`Endpoint`] in front of a service: requests under the endpoint's path are
/// answered by it, every other request goes to the inner service untouched.
#[derive(Clone)]
pub struct MountLayer<E> {
    endpoint: E,
}

impl<E> MountLayer<E> {
    /// A layer serving `endpoint`.
    pub fn new(endpoint: E) -> Self {
        Self { endpoint }
    }
}

/// Mounts an [`EngineIo`] in front of a service.
pub type EngineIoLayer<H> = MountLayer<EngineIo<H>>;

/// The service an [`EngineIoLayer`] makes.
pub type EngineIoService<S, H> = Mounted<S, EngineIo<H>>;

impl<S, E: Clone> tower_layer::Layer<S> for MountLayer<E> {
    type Service = Mounted<S, E>;

    fn layer(&self, inner: S) -> Self::Service {
        Mounted {
            inner,
            endpoint: self.endpoint.clone(),
        }
    }
}

/// The service a [`MountLayer`] makes.
#[derive(Clone)]
pub struct Mounted<S, E> {
    inner: S,
    endpoint: E,
}

impl<S, E, B, ResBody> tower_service::Service<Request<B>> for Mounted<S, E>
where
    E: Endpoint,
    S: tower_service::Service<Request<B>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response<Either<http_body_util::Full<bytes::Bytes>, ResBody>>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        if self.endpoint.matches(&request) {
            let response = self.endpoint.respond(request);
            Box::pin(async move { Ok(response.await.map(Either::Left)) })
        } else {
            let future = self.inner.call(request);
            Box::pin(async move { Ok(future.await?.map(Either::Right)) })
        }
    }
}
