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

/// Mounts an [`EngineIo`] in front of a service: requests under the server's path are
/// answered by it, every other request goes to the inner service untouched.
#[derive(Clone)]
pub struct EngineIoLayer<H> {
    engine: EngineIo<H>,
}

impl<H> EngineIoLayer<H> {
    /// A layer serving `engine`.
    pub fn new(engine: EngineIo<H>) -> Self {
        Self { engine }
    }
}

impl<S, H> tower_layer::Layer<S> for EngineIoLayer<H> {
    type Service = EngineIoService<S, H>;

    fn layer(&self, inner: S) -> Self::Service {
        EngineIoService {
            inner,
            engine: EngineIo {
                inner: self.engine.inner.clone(),
            },
        }
    }
}

/// The service an [`EngineIoLayer`] makes.
#[derive(Clone)]
pub struct EngineIoService<S, H> {
    inner: S,
    engine: EngineIo<H>,
}

impl<S, H, B, ResBody> tower_service::Service<Request<B>> for EngineIoService<S, H>
where
    H: Handler,
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
        if self.engine.matches(&request) {
            let engine = self.engine.clone();
            Box::pin(async move { Ok(engine.handle(request).await.map(Either::Left)) })
        } else {
            let future = self.inner.call(request);
            Box::pin(async move { Ok(future.await?.map(Either::Right)) })
        }
    }
}
