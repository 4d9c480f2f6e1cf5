//! A `redis-server` of a test's own on a free port, without persistence, so that the test can
//! restart it or stop it (`SIGSTOP`) while the shared Redis on 6379, and the tests using it,
//! are untouched.

use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use super::{eventually, redis_cli};

pub(crate) struct OwnRedis {
    pub(crate) port: u16,
    child: Option<Child>,
    dir: std::path::PathBuf,
}

impl OwnRedis {
    pub(crate) async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let dir = std::env::temp_dir().join(format!("socketio-redis-own-{port}"));
        std::fs::create_dir_all(&dir).expect("a work dir");
        let mut redis = Self {
            port,
            child: None,
            dir,
        };
        redis.spawn().await;
        redis
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub(crate) async fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server starts (apt-get install redis-server)");
        self.child = Some(child);
        let url = self.url();
        eventually("our redis-server answers", || {
            std::future::ready(redis_cli(&url, &["PING"]) == "PONG")
        })
        .await;
    }

    /// `SHUTDOWN NOSAVE`, as an operator restarting Redis would.
    pub(crate) async fn shutdown(&mut self) {
        let answer = redis_cli(&self.url(), &["SHUTDOWN", "NOSAVE"]);
        if let Some(mut child) = self.child.take() {
            let exited = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
            assert!(
                matches!(exited, Ok(Ok(_))),
                "redis-server did not exit on SHUTDOWN ({answer}): {exited:?}"
            );
        }
    }

    /// `SIGSTOP`: Redis keeps its connections and its port, and answers nothing.
    pub(crate) fn stop(&self) {
        self.signal("-STOP");
    }

    /// `SIGCONT`: Redis goes on where it stopped.
    pub(crate) fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let pid = self
            .child
            .as_ref()
            .and_then(Child::id)
            .expect("our redis-server runs");
        let status = std::process::Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal} {pid}: {status}");
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        // A stopped redis-server still dies of the SIGKILL of `kill_on_drop`.
        if let Err(error) = std::fs::remove_dir_all(&self.dir) {
            eprintln!("cannot remove {}: {error}", self.dir.display());
        }
    }
}
