//! Mounting a Socket.IO server beside other routes.
//!
//! - [`axum_app`]: an axum router with its own routes, the Socket.IO server as a layer;
//! - [`hyper_service`]: a plain hyper service, the same layer around a `service_fn`.
//!
//! Both answer `/socket.io/...` with the Socket.IO server and everything else with their
//! own routes. `cargo run -p embedding --bin axum` or `--bin hyper`.

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use socketio::server::{Event, Socket, SocketIo, SocketIoLayer, SocketIoService};
use tower_layer::Layer;

/// A Socket.IO server with one event: `ping` is acked with `pong`.
pub fn socket_io() -> SocketIo {
    let io = SocketIo::new();
    io.of("/").on_connection(|socket: Socket| {
        socket.on("ping", |_socket: &Socket, event: Event| {
            if let Some(ack) = event.into_ack() {
                ack.send("pong");
            }
        });
    });
    io
}

/// An axum router: `/` and `/health` are axum's, `/socket.io/` is the Socket.IO server's.
pub fn axum_app(io: SocketIo) -> axum::Router {
    axum::Router::new()
        .route("/", axum::routing::get(|| async { "hello from axum" }))
        .route("/health", axum::routing::get(|| async { "ok" }))
        .layer(SocketIoLayer::new(io))
}

/// The routes of a plain hyper application.
async fn routes(
    request: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, body) = match request.uri().path() {
        "/" => (StatusCode::OK, "hello from hyper"),
        _ => (StatusCode::NOT_FOUND, "not found"),
    };
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    Ok(response)
}

/// The future of the application's routes.
pub type RouteFuture = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send>,
>;

/// A type-erased hyper handler function.
pub type Routes = fn(Request<hyper::body::Incoming>) -> RouteFuture;

fn boxed_routes(request: Request<hyper::body::Incoming>) -> RouteFuture {
    Box::pin(routes(request))
}

/// A tower service for hyper: the Socket.IO layer around the application's routes.
pub fn hyper_service(io: SocketIo) -> SocketIoService<tower_service_fn::ServiceFn<Routes>> {
    SocketIoLayer::new(io).layer(tower_service_fn::ServiceFn(boxed_routes as Routes))
}

/// Serves `io` and the hyper routes on `listener` with the library's accept loop
/// (HTTP/1.1, upgrades on, the header timeout, the peer address for the handshake).
pub async fn serve_hyper(listener: tokio::net::TcpListener, io: SocketIo) -> std::io::Result<()> {
    use tower_service::Service;
    let service = hyper_service(io);
    // hyper calls services by `&self`; tower's take `&mut self`, so each call gets a clone.
    let service = hyper::service::service_fn(move |request| {
        let mut service = service.clone();
        service.call(request)
    });
    socketio::server::serve(listener, service).await
}

/// A minimal tower service from a function (tower's `service_fn`, without all of tower).
pub mod tower_service_fn {
    use std::task::{Context, Poll};

    /// A function as a tower service.
    #[derive(Clone, Copy)]
    pub struct ServiceFn<F>(pub F);

    impl<F, Req, Fut, Res, E> tower_service::Service<Req> for ServiceFn<F>
    where
        F: Fn(Req) -> Fut,
        Fut: std::future::Future<Output = Result<Res, E>>,
    {
        type Response = Res;
        type Error = E;
        type Future = Fut;

        fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), E>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, request: Req) -> Fut {
            (self.0)(request)
        }
    }
}
