//! The msgpack side of the `socketio_msgpack*` tests: our server with `MsgpackParser`, and
//! `socket.io-client` sockets on `socket.io-msgpack-parser` over one chosen transport.

use e2e::{NodeDriver, TIMEOUT};
use serde_json::{json, Value};
use socketio::MsgpackParser;

use super::{connect, Server};

/// How the client reaches the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    /// Long-polling only: each packet a `b<base64>` record of a payload.
    Polling,
    /// WebSocket only: each packet a binary frame.
    WebSocket,
    /// Polling first, upgraded to WebSocket before the test's traffic.
    Upgrade,
}

impl Transport {
    /// The client's `transports` option.
    fn transports(self) -> Value {
        match self {
            Transport::Polling => json!(["polling"]),
            Transport::WebSocket => json!(["websocket"]),
            Transport::Upgrade => json!(["polling", "websocket"]),
        }
    }

    /// The engine transport a socket ends on.
    fn settled(self) -> &'static str {
        match self {
            Transport::Polling => "polling",
            Transport::WebSocket | Transport::Upgrade => "websocket",
        }
    }
}

/// Makes `polling`, `websocket` and `upgrade` tests of an `async fn case(t: Transport)`.
#[allow(unused_macros)] // not every test file has such cases
macro_rules! on_every_transport {
    ($case:ident) => {
        mod $case {
            use super::common_sio::Transport;

            #[tokio::test]
            async fn polling() {
                super::$case(Transport::Polling).await;
            }

            #[tokio::test]
            async fn websocket() {
                super::$case(Transport::WebSocket).await;
            }

            #[tokio::test]
            async fn upgrade() {
                super::$case(Transport::Upgrade).await;
            }
        }
    };
}

/// Our server with the msgpack parser and the conformance timings (not yet watched).
pub(crate) async fn start_msgpack() -> Server {
    super::start_with(super::builder().parser(MsgpackParser)).await
}

/// The client options of a msgpack socket on `transport`, with `extra` merged in.
pub(crate) fn msgpack_opts(transport: Transport, extra: Value) -> Value {
    let mut opts = json!({"parser": "msgpack", "transports": transport.transports()});
    if let (Some(opts), Value::Object(extra)) = (opts.as_object_mut(), extra) {
        opts.extend(extra);
    }
    opts
}

/// Connects msgpack socket `name` to `url` over `transport` (`extra` options merged in) and,
/// for [`Transport::Upgrade`], waits until its connection has upgraded; returns its id.
///
/// On a connection other sockets already share, the upgrade may be over before this socket
/// watches it: its `state` says so then.
pub(crate) async fn connect_msgpack(
    client: &mut NodeDriver,
    transport: Transport,
    name: &str,
    url: &str,
    extra: Value,
) -> String {
    let id = connect(client, name, url, msgpack_opts(transport, extra)).await;
    if transport == Transport::Upgrade && engine_transport(client, name).await != "websocket" {
        let upgraded = client
            .expect_matching(
                |e| e["ev"] == "engine_upgrade" && e["name"] == name,
                TIMEOUT,
            )
            .await;
        assert_eq!(upgraded["transport"], "websocket", "{name}: {upgraded}");
    }
    id
}

/// Checks that socket `name` is connected on the transport `transport` settles on.
pub(crate) async fn assert_on(client: &mut NodeDriver, name: &str, transport: Transport) {
    assert_eq!(
        engine_transport(client, name).await,
        transport.settled(),
        "{name} over {transport:?}"
    );
}

/// The name of the engine transport socket `name` is on now.
async fn engine_transport(client: &mut NodeDriver, name: &str) -> String {
    client
        .command(json!({"cmd": "state", "name": name}), TIMEOUT)
        .await;
    let state = client
        .expect_matching(|e| e["ev"] == "state" && e["name"] == name, TIMEOUT)
        .await;
    state["transport"].as_str().unwrap_or_default().to_owned()
}
