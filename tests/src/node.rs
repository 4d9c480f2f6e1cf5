//! [`NodeDriver`]: one Node script of `tests/node/`, driven through JSON lines.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::time::Instant;

/// A generous default for one wait on a driver: Node starts slowly on a busy 2-core machine.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// How many of the latest events a panic message shows.
const HISTORY_SHOWN: usize = 60;

/// The folder of the Node scripts and their `package.json`: `tests/node`.
pub fn node_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node")
}

/// A running Node script of `tests/node/` (a driver of an official client, or a reference
/// server), fed JSON commands on stdin and read for JSON events on stdout.
///
/// Events that [`expect`](Self::expect) passes over are kept, in order, in a backlog that later
/// waits search first; `ping` and `ok` events are dropped instead. The process is killed when
/// the driver is dropped; its stderr is inherited so Node's own failures show in the test output.
#[derive(Debug)]
pub struct NodeDriver {
    script: String,
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    backlog: VecDeque<Value>,
    history: Vec<Value>,
    next_auto_id: u64,
}

impl NodeDriver {
    /// Spawns `node tests/node/<script> <args>` (cwd `tests/node`).
    ///
    /// Must be called inside a Tokio runtime.
    ///
    /// # Panics
    ///
    /// When `tests/node/node_modules` is missing (run `scripts/test`, or `npm ci` in
    /// `tests/node`), or when `node` cannot be started.
    pub fn spawn(script: &str, args: &[&str]) -> Self {
        let dir = node_dir();
        assert!(
            dir.join("node_modules").is_dir(),
            "npm packages missing: run scripts/test (or `npm ci` in tests/node) [looked for {}]",
            dir.join("node_modules").display()
        );
        let path = dir.join(script);
        assert!(path.is_file(), "no Node script {}", path.display());
        let mut child = Command::new("node")
            .arg(&path)
            .args(args)
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|err| {
                panic!(
                    "cannot start `node {}` (is Node 20 installed?): {err}",
                    path.display()
                )
            });
        let stdin = child.stdin.take().expect("child stdin is piped");
        let stdout = child.stdout.take().expect("child stdout is piped");
        Self {
            script: script.to_owned(),
            child,
            stdin,
            stdout: BufReader::new(stdout).lines(),
            backlog: VecDeque::new(),
            history: Vec::new(),
            next_auto_id: 1,
        }
    }

    /// Spawns `eio-driver.mjs`, the driver of `engine.io-client`.
    pub fn eio() -> Self {
        Self::spawn("eio-driver.mjs", &[])
    }

    /// Spawns `eio-driver.mjs --v3`, the driver of `engine.io-client` 3.x (Engine.IO v3, the
    /// client of Socket.IO v2).
    pub fn eio_v3() -> Self {
        Self::spawn("eio-driver.mjs", &["--v3"])
    }

    /// Spawns `sio-driver.mjs`, the driver of `socket.io-client`.
    pub fn sio() -> Self {
        Self::spawn("sio-driver.mjs", &[])
    }

    /// Sends one command (a JSON object) to the script.
    ///
    /// # Panics
    ///
    /// When the script no longer reads its stdin (it has exited).
    pub async fn send(&mut self, cmd: Value) {
        let mut line = serde_json::to_string(&cmd).expect("a JSON value serializes");
        line.push('\n');
        let written = async {
            self.stdin.write_all(line.as_bytes()).await?;
            self.stdin.flush().await
        }
        .await;
        if let Err(err) = written {
            self.fail(&format!("cannot send {cmd} (driver gone?): {err}"));
        }
    }

    /// Sends `cmd` and waits for its `{"ev":"ok"}` answer, which it returns. A command without
    /// an `"id"` gets one (`"auto-N"`) so that its answer can be told apart.
    ///
    /// Events that arrive meanwhile go to the backlog, as with [`expect`](Self::expect).
    pub async fn command(&mut self, mut cmd: Value, timeout: Duration) -> Value {
        if cmd.get("id").is_none() {
            let id = format!("auto-{}", self.next_auto_id);
            self.next_auto_id += 1;
            if let Some(object) = cmd.as_object_mut() {
                object.insert("id".to_owned(), Value::String(id));
            }
        }
        let id = cmd.get("id").cloned().unwrap_or(Value::Null);
        self.send(cmd).await;
        self.expect_matching(|ev| ev["ev"] == "ok" && ev["id"] == id, timeout)
            .await
    }

    /// The next event: the oldest of the backlog, else the next line of the script.
    ///
    /// # Panics
    ///
    /// When nothing arrives within `timeout`, when the script exits, or when it reports a
    /// `driverError` (a command it could not execute). The message lists the events seen.
    pub async fn next(&mut self, timeout: Duration) -> Value {
        if let Some(event) = self.backlog.pop_front() {
            return event;
        }
        self.read(Instant::now() + timeout, "the next event").await
    }

    /// The first event whose `"ev"` is `ev`, searching the backlog first.
    ///
    /// Other events that arrive meanwhile are kept in the backlog, except `ping` and `ok`
    /// events, which are dropped (unless `ev` asks for them).
    ///
    /// # Panics
    ///
    /// As [`next`](Self::next).
    pub async fn expect(&mut self, ev: &str, timeout: Duration) -> Value {
        let what = format!("an event {ev:?}");
        self.find(&what, |event| event["ev"] == ev, timeout).await
    }

    /// The first event for which `pred` holds, searching the backlog first; otherwise as
    /// [`expect`](Self::expect).
    pub async fn expect_matching(
        &mut self,
        pred: impl FnMut(&Value) -> bool,
        timeout: Duration,
    ) -> Value {
        self.find("an event matching the predicate", pred, timeout)
            .await
    }

    /// Checks that no event `ev` arrives for `during` (nor sits in the backlog). Other events
    /// go to the backlog, `ping` and `ok` are dropped.
    ///
    /// # Panics
    ///
    /// When such an event is seen, or the script exits.
    pub async fn expect_no(&mut self, ev: &str, during: Duration) {
        if let Some(found) = self.backlog.iter().find(|event| event["ev"] == ev) {
            let found = found.clone();
            self.fail(&format!("unexpected event {found} (in the backlog)"));
        }
        let deadline = Instant::now() + during;
        loop {
            let line = match tokio::time::timeout_at(deadline, self.stdout.next_line()).await {
                Err(_elapsed) => return,
                Ok(line) => line,
            };
            let event = self.parse(line).await;
            if event["ev"] == ev {
                self.fail(&format!("unexpected event {event} within {during:?}"));
            }
            self.keep(event);
        }
    }

    /// The events passed over by [`expect`](Self::expect) and not yet taken, oldest first.
    pub fn backlog(&self) -> &VecDeque<Value> {
        &self.backlog
    }

    /// Takes the backlog, leaving it empty.
    pub fn take_backlog(&mut self) -> Vec<Value> {
        self.backlog.drain(..).collect()
    }

    /// Every event read from the script so far, in order (pings and oks included).
    pub fn history(&self) -> &[Value] {
        &self.history
    }

    /// Sends `{"cmd":"exit"}` and waits (up to [`TIMEOUT`]) for the process to end.
    pub async fn exit(mut self) {
        self.send(serde_json::json!({ "cmd": "exit" })).await;
        match tokio::time::timeout(TIMEOUT, self.child.wait()).await {
            Ok(Ok(status)) => assert!(status.success(), "{} exited with {status}", self.script),
            Ok(Err(err)) => panic!("waiting for {} failed: {err}", self.script),
            Err(_elapsed) => panic!("{} did not exit within {TIMEOUT:?} after exit", self.script),
        }
    }

    async fn find(
        &mut self,
        what: &str,
        mut pred: impl FnMut(&Value) -> bool,
        timeout: Duration,
    ) -> Value {
        if let Some(index) = self.backlog.iter().position(&mut pred) {
            return self
                .backlog
                .remove(index)
                .expect("the index was just found");
        }
        let deadline = Instant::now() + timeout;
        loop {
            let event = self.read(deadline, what).await;
            if pred(&event) {
                return event;
            }
            self.keep(event);
        }
    }

    /// Puts a passed-over event in the backlog, unless it is a `ping` or an `ok`.
    fn keep(&mut self, event: Value) {
        if event["ev"] != "ping" && event["ev"] != "ok" {
            self.backlog.push_back(event);
        }
    }

    async fn read(&mut self, deadline: Instant, what: &str) -> Value {
        match tokio::time::timeout_at(deadline, self.stdout.next_line()).await {
            Ok(line) => self.parse(line).await,
            Err(_elapsed) => self.fail(&format!("timed out waiting for {what}")),
        }
    }

    async fn parse(&mut self, line: std::io::Result<Option<String>>) -> Value {
        let line = match line {
            Ok(Some(line)) => line,
            Ok(None) => {
                let status = tokio::time::timeout(Duration::from_secs(2), self.child.wait()).await;
                self.fail(&format!("the script ended its stdout (exit: {status:?})"))
            }
            Err(err) => self.fail(&format!("reading the script's stdout failed: {err}")),
        };
        let event: Value = serde_json::from_str(&line)
            .unwrap_or_else(|err| self.fail(&format!("non-JSON line on stdout ({err}): {line}")));
        self.history.push(event.clone());
        if event["ev"] == "driverError" {
            self.fail(&format!("the driver could not execute a command: {event}"));
        }
        event
    }

    fn fail(&self, message: &str) -> ! {
        let mut text = format!("{}: {message}\n", self.script);
        let skipped = self.history.len().saturating_sub(HISTORY_SHOWN);
        let _ = writeln!(
            text,
            "events seen ({} in all, last {} shown):",
            self.history.len(),
            self.history.len() - skipped
        );
        for event in &self.history[skipped..] {
            let _ = writeln!(text, "  {event}");
        }
        let _ = writeln!(text, "backlog ({}):", self.backlog.len());
        for event in &self.backlog {
            let _ = writeln!(text, "  {event}");
        }
        panic!("{text}");
    }
}
