//! [`ReferenceServer`]: the Node reference servers (`engine.io`, `socket.io`), for checking the
//! drivers and for parity comparisons with our servers.

use std::time::Duration;

use crate::node::{NodeDriver, TIMEOUT};

/// A Node reference server listening on `127.0.0.1`, with its event stream.
///
/// `reference-eio-server.mjs` is the `engine.io` server (path `/engine.io/`, pingInterval 300,
/// pingTimeout 200, maxHttpBufferSize 1e6, CORS open) echoing every message back as it came;
/// it reports `connection`, `upgrade`, `message` and `close` events with the session `sid`.
/// `reference-sio-server.mjs` is the `socket.io` server described in that script.
#[derive(Debug)]
pub struct ReferenceServer {
    events: NodeDriver,
    port: u16,
}

impl ReferenceServer {
    /// Starts `reference-eio-server.mjs --port 0 <args>` and waits for its port. `args` may
    /// override `--path`, `--ping-interval`, `--ping-timeout`, `--max-http-buffer-size`,
    /// `--transports` (comma-separated) and `--upgrade-timeout`.
    pub async fn eio(args: &[&str]) -> Self {
        Self::start("reference-eio-server.mjs", args).await
    }

    /// Starts `reference-sio-server.mjs --port 0 <args>` and waits for its port. `args` may
    /// override `--ping-interval` and `--ping-timeout`.
    pub async fn sio(args: &[&str]) -> Self {
        Self::start("reference-sio-server.mjs", args).await
    }

    /// Starts a reference server script given `--port 0` and `args`, and reads the port of its
    /// `{"ev":"listening","port":N}` line.
    ///
    /// # Panics
    ///
    /// When the script does not report a port within [`TIMEOUT`].
    pub async fn start(script: &str, args: &[&str]) -> Self {
        let mut all = vec!["--port", "0"];
        all.extend_from_slice(args);
        let mut events = NodeDriver::spawn(script, &all);
        let listening = events.expect("listening", TIMEOUT).await;
        let port = listening["port"]
            .as_u64()
            .and_then(|port| u16::try_from(port).ok())
            .unwrap_or_else(|| panic!("{script} reported no valid port: {listening}"));
        Self { events, port }
    }

    /// The port it listens on (on `127.0.0.1`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The server's event stream (and stdin), to `expect` its events.
    pub fn events(&mut self) -> &mut NodeDriver {
        &mut self.events
    }

    /// Waits up to `timeout` for the server event `ev` (see [`NodeDriver::expect`]).
    pub async fn expect(&mut self, ev: &str, timeout: Duration) -> serde_json::Value {
        self.events.expect(ev, timeout).await
    }

    /// Stops the server cleanly (dropping it kills the process instead).
    pub async fn stop(self) {
        self.events.exit().await;
    }
}
