//! The chat example as a library, so that tests can start it in-process.
//!
//! [`start`] builds the Socket.IO server with the chat's events; [`serve`] runs it with the
//! web page on a listener until the future it is given completes.

mod events;
mod room;
mod web;

use std::convert::Infallible;
use std::future::Future;

use hyper::body::Incoming;
use hyper::service::service_fn;
use socketio::server::{serve_with_shutdown, SocketIo};

pub use web::Site;

/// The chat's Socket.IO server, with its events registered.
pub fn start() -> SocketIo {
    let io = SocketIo::new();
    events::register(&io, room::Chat::default());
    io
}

/// Serves the page and `io` on `listener` until `stop` completes, then closes every
/// connection (`server shutting down`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    io: SocketIo,
    site: Site,
    stop: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let routes = {
        let io = io.clone();
        service_fn(move |request: http::Request<Incoming>| {
            let (io, site) = (io.clone(), site.clone());
            async move {
                let response = match io.matches(&request) {
                    true => io.handle(request).await,
                    false => site.serve(request.uri().path()),
                };
                Ok::<_, Infallible>(response)
            }
        })
    };
    let served = serve_with_shutdown(listener, routes, stop).await;
    io.close().await;
    served
}
