//! The load generator of the side-by-side benchmarks (`bench/run`): it speaks Engine.IO v4 /
//! Socket.IO v5 itself, over WebSocket (tokio-tungstenite) and over long-polling (hyper's
//! HTTP/1.1 client connection), so no client library is in the loop. Every scenario is bounded
//! in count and time and only talks to a loopback address.
//!
//! ```text
//! loadgen connect      --target 127.0.0.1:PORT [--pid PID] [--label NAME] [--n 10000] [--concurrency 100] [--settle-ms 2000]
//! loadgen echo         --target ... [--n 100] [--in-flight 1] [--warmup-ms 1000] [--window-ms 5000] [--parser json|msgpack]
//! loadgen polling-echo --target ... [--n 100] [--warmup-ms 1000] [--window-ms 5000]
//! loadgen broadcast    --target ... [--n 1000] [--m 200] [--loss-timeout-ms 10000] [--parser json|msgpack]
//! loadgen report       --results FILE --doc FILE [--server LABEL=NAME]... [--meta KEY=VALUE]... [--notes FILE]
//! ```
//!
//! Each scenario prints one JSON line with its figures; `--pid` is the server's process, whose
//! memory and CPU time are read from `/proc`. Every run is also bounded by `--timeout` seconds
//! (120). With `--parser msgpack`, the echo and broadcast scenarios write and read their
//! packets as `socket.io-msgpack-parser` does (binary frames, see `wire`), and their records
//! are named `echo-msgpack` and `broadcast-msgpack`. `report` turns the lines of several runs into the "Load: side by side" section of
//! `docs/benchmarks.md` (medians) and prints the ratios the targets are about.

mod crowd;
mod echo;
mod fleet;
mod measure;
mod polling;
mod proto;
mod report;
mod targets;
mod wire;
mod ws;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

/// Any error, with its message.
type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The options every scenario accepts.
const SCENARIO_OPTIONS: &[&str] = &[
    "target",
    "pid",
    "label",
    "timeout",
    "n",
    "concurrency",
    "settle-ms",
    "in-flight",
    "warmup-ms",
    "window-ms",
    "m",
    "loss-timeout-ms",
    "parser",
];

/// `--key value` options; a key may repeat where the command allows it.
pub(crate) struct Options(HashMap<String, Vec<String>>);

impl Options {
    /// Reads `--key value` pairs, refusing keys outside `allowed`.
    fn parse(args: impl Iterator<Item = String>, allowed: &[&str]) -> Result<Self> {
        let mut values: HashMap<String, Vec<String>> = HashMap::new();
        let mut args = args;
        while let Some(arg) = args.next() {
            let key = arg
                .strip_prefix("--")
                .filter(|key| allowed.contains(key))
                .ok_or_else(|| format!("unknown argument {arg}"))?;
            let value = args.next().ok_or_else(|| format!("{arg} needs a value"))?;
            values.entry(key.to_owned()).or_default().push(value);
        }
        Ok(Self(values))
    }

    /// The last value of `key`, parsed, or `default` when absent.
    pub(crate) fn get<T: FromStr>(&self, key: &str, default: T) -> Result<T> {
        match self.0.get(key).and_then(|values| values.last()) {
            Some(value) => value
                .parse()
                .map_err(|_| format!("--{key}: cannot read {value}").into()),
            None => Ok(default),
        }
    }

    /// The last value of a key that must be given.
    pub(crate) fn required(&self, key: &str) -> Result<&str> {
        self.0
            .get(key)
            .and_then(|values| values.last())
            .map(String::as_str)
            .ok_or_else(|| format!("--{key} is required").into())
    }

    /// Every value of a repeatable key, in order.
    pub(crate) fn all(&self, key: &str) -> &[String] {
        self.0.get(key).map_or(&[], Vec::as_slice)
    }
}

/// The server under test.
pub(crate) struct Target {
    /// Its address: a loopback one, refused otherwise.
    pub(crate) addr: SocketAddr,
    /// Its process, for memory and CPU time.
    pub(crate) pid: Option<u32>,
    /// Its name in the records.
    pub(crate) label: String,
}

impl Target {
    fn from(options: &Options) -> Result<Self> {
        let addr: SocketAddr = options.required("target")?.parse()?;
        if !addr.ip().is_loopback() {
            return Err(format!("{addr} is not a loopback address: refused").into());
        }
        let pid = match options.get::<u32>("pid", 0)? {
            0 => None,
            pid => Some(pid),
        };
        let label = options.get("label", addr.to_string())?;
        Ok(Self { addr, pid, label })
    }
}

/// Runs one scenario on a single-threaded runtime (the load generator gets one core) within
/// the `--timeout`, and prints its record.
fn scenario(name: &str, options: &Options) -> Result<()> {
    let target = Target::from(options)?;
    let timeout = Duration::from_secs(options.get("timeout", 120)?);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let run = async {
        match name {
            "connect" => crowd::connect(&target, options).await,
            "echo" => echo::websocket(&target, options).await,
            "polling-echo" => echo::polling(&target, options).await,
            "broadcast" => crowd::broadcast(&target, options).await,
            other => Err(format!("unknown scenario {other}").into()),
        }
    };
    let record = runtime
        .block_on(async { tokio::time::timeout(timeout, run).await })
        .map_err(|_| format!("{name} did not finish within {timeout:?}"))??;
    println!("{}", record.to_line());
    // Tasks still running (none normally) are dropped with the runtime.
    runtime.shutdown_background();
    Ok(())
}

fn run(command: &str, args: impl Iterator<Item = String>) -> Result<()> {
    match command {
        "report" => report::run(&Options::parse(args, report::OPTIONS)?),
        "connect" | "echo" | "polling-echo" | "broadcast" => {
            scenario(command, &Options::parse(args, SCENARIO_OPTIONS)?)
        }
        other => Err(format!(
            "unknown command {other}: connect, echo, polling-echo, broadcast or report"
        )
        .into()),
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(command) = args.next() else {
        eprintln!("usage: loadgen connect|echo|polling-echo|broadcast|report --option value...");
        return ExitCode::from(2);
    };
    match run(&command, args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("loadgen {command}: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(args: &[&str]) -> Result<Options> {
        Options::parse(args.iter().map(|arg| (*arg).to_owned()), SCENARIO_OPTIONS)
    }

    #[test]
    fn options_parse_and_default() {
        let parsed = options(&["--n", "5", "--target", "127.0.0.1:1"]).expect("options");
        assert_eq!(parsed.get("n", 1).expect("n"), 5);
        assert_eq!(parsed.get("m", 200).expect("m"), 200);
        assert!(parsed.get::<u32>("target", 0).is_err());
        assert!(options(&["--nope", "1"]).is_err());
        assert!(options(&["--n"]).is_err());
    }

    #[test]
    fn only_loopback_targets_are_accepted() {
        let local = options(&["--target", "127.0.0.1:3000", "--pid", "42"]).expect("options");
        let target = Target::from(&local).expect("loopback");
        assert_eq!(target.pid, Some(42));
        assert_eq!(target.label, "127.0.0.1:3000");
        let v6 = options(&["--target", "[::1]:3000"]).expect("options");
        assert!(Target::from(&v6).is_ok());
        let remote = options(&["--target", "192.168.1.2:3000"]).expect("options");
        assert!(Target::from(&remote).is_err());
    }
}
