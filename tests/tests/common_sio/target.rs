//! [`Target`]: our server or the Node reference one, behind the same questions, so that a
//! test can run its cases against both and compare the reasons.

use std::time::Duration;

use e2e::{http, ReferenceServer, TIMEOUT};
use serde_json::Value;
use socketio::server::{Event, Socket};

use super::Server;

/// Our server or the reference one, with what it reports.
pub(crate) enum Target {
    Ours(Server),
    Reference(Box<ReferenceServer>),
}

impl Target {
    /// Our server with the reference server's test behaviour: `/` watched, and an event
    /// `ack-me` acked with its arguments.
    pub(crate) async fn ours() -> Self {
        let server = super::start().await;
        server.watch("/");
        server.io.of("/").on_connection(|socket: Socket| {
            socket.on("ack-me", |_: &Socket, event: Event| {
                let args = event.payload().clone();
                if let Some(ack) = event.into_ack() {
                    ack.send_payload(args);
                }
            });
        });
        Target::Ours(server)
    }

    /// `ours` or `reference`, for messages.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            Target::Ours(_) => "ours",
            Target::Reference(_) => "reference",
        }
    }

    pub(crate) fn url(&self) -> String {
        match self {
            Target::Ours(server) => server.url.clone(),
            Target::Reference(server) => server.url(),
        }
    }

    pub(crate) async fn connected(&mut self, id: &str) {
        match self {
            Target::Ours(server) => {
                server.connected(id).await;
            }
            Target::Reference(server) => {
                let seen = server
                    .events()
                    .expect_matching(|e| e["ev"] == "connection" && e["id"] == id, TIMEOUT)
                    .await;
                assert_eq!(seen["nsp"], "/");
            }
        }
    }

    /// The reason socket `id` ended with; `None` when our server left it connected (the
    /// reference is the oracle: a wait on it that times out fails the test).
    pub(crate) async fn ended(&mut self, id: &str) -> Option<String> {
        match self {
            Target::Ours(server) => server
                .disconnected_within(id, Duration::from_secs(3))
                .await
                .map(|reason| reason.as_str().to_owned()),
            Target::Reference(_) => Some(self.disconnected(id).await),
        }
    }

    pub(crate) async fn disconnected(&mut self, id: &str) -> String {
        match self {
            Target::Ours(server) => server.disconnected(id).await.as_str().to_owned(),
            Target::Reference(server) => {
                let seen = server
                    .events()
                    .expect_matching(|e| e["ev"] == "disconnect" && e["id"] == id, TIMEOUT)
                    .await;
                seen["reason"].as_str().expect("a reason").to_owned()
            }
        }
    }

    pub(crate) async fn no_disconnect(&mut self, id: &str) {
        match self {
            Target::Ours(server) => server.no_disconnect(id, Duration::from_millis(300)).await,
            Target::Reference(server) => {
                let events = server.events();
                events
                    .expect_no("disconnect", Duration::from_millis(300))
                    .await;
                assert!(events
                    .history()
                    .iter()
                    .all(|e| !(e["ev"] == "disconnect" && e["id"] == id)));
            }
        }
    }

    /// A socket on `/` over bare long-polling requests (for what no official client sends):
    /// the host, the query of the session's requests, and the socket id.
    pub(crate) async fn raw_polling_socket(&mut self) -> (String, String, String) {
        let host = self.url().replace("http://", "");
        let path = "/socket.io/?EIO=4&transport=polling";
        let open = http::request(&host, "GET", path, &[], "").await;
        let handshake: Value = serde_json::from_str(&open.body[1..]).expect("an open packet");
        let session = format!("{path}&sid={}", handshake["sid"].as_str().expect("sid"));
        let posted = http::request(&host, "POST", &session, &[], "40").await;
        assert_eq!((posted.status, posted.body.as_str()), (200, "ok"));
        let reply = http::request(&host, "GET", &session, &[], "").await;
        let payload: Value = serde_json::from_str(&reply.body[2..]).expect("a CONNECT reply");
        let id = payload["sid"].as_str().expect("a sid").to_owned();
        self.connected(&id).await;
        (host, session, id)
    }
}
