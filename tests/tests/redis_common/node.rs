//! The Node server of the cluster: `redis-node-server.mjs` driven through JSON lines.

use std::sync::atomic::{AtomicU64, Ordering};

use e2e::{NodeDriver, TIMEOUT};
use serde_json::{json, Value};

use super::Proto;

/// `socket.io` 4.8.4 with `@socket.io/redis-adapter` 8.3.0 (classic or sharded) on one key.
pub(crate) struct NodeServer {
    driver: NodeDriver,
    port: u16,
}

impl NodeServer {
    pub(crate) async fn start(redis_url: &str, proto: Proto, key: &str) -> Self {
        Self::start_with(redis_url, proto, key, &[]).await
    }

    /// With more arguments (`--subscription-mode static`, `--requests-timeout 1000`).
    pub(crate) async fn start_with(
        redis_url: &str,
        proto: Proto,
        key: &str,
        more: &[&str],
    ) -> Self {
        let mut args = vec!["--port", "0", "--redis-url", redis_url, "--key", key];
        args.extend_from_slice(&["--requests-timeout", "3000"]);
        args.extend_from_slice(proto.node_args());
        args.extend_from_slice(more);
        let mut driver = NodeDriver::spawn("redis-node-server.mjs", &args);
        let listening = driver.expect("listening", TIMEOUT).await;
        let port = listening["port"]
            .as_u64()
            .and_then(|p| u16::try_from(p).ok());
        Self {
            driver,
            port: port.expect("the Node server's port"),
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Runs a command and returns its `result` event.
    pub(crate) async fn cmd(&mut self, mut cmd: Value) -> Value {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = format!("node-{}", NEXT.fetch_add(1, Ordering::Relaxed));
        cmd["id"] = json!(id);
        self.driver.command(cmd, TIMEOUT).await;
        self.driver
            .expect_matching(|e| e["ev"] == "result" && e["id"] == id, TIMEOUT)
            .await
    }

    /// `serverCount()` of the Node adapter.
    pub(crate) async fn server_count(&mut self) -> u64 {
        let result = self.cmd(json!({"cmd": "serverCount"})).await;
        result["count"].as_u64().unwrap_or(0)
    }

    /// Waits until the Node adapter counts `servers` servers.
    pub(crate) async fn wait_for_servers(&mut self, servers: u64) {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let count = self.server_count().await;
            if count == servers {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the Node server counts {count} servers, not {servers}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// The next event `ev` the Node server reports that matches `pred`.
    pub(crate) async fn expect(&mut self, ev: &str, pred: impl Fn(&Value) -> bool) -> Value {
        self.driver
            .expect_matching(|e| e["ev"] == ev && pred(e), TIMEOUT)
            .await
    }

    /// Checks that no event `ev` arrives for `during`.
    pub(crate) async fn expect_no(&mut self, ev: &str, during: std::time::Duration) {
        self.driver.expect_no(ev, during).await;
    }

    pub(crate) async fn stop(self) {
        self.driver.exit().await;
    }
}
