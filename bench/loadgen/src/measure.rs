//! What the scenarios measure besides time: a process's resident memory and CPU time from
//! `/proc`, latency percentiles, and the one JSON line each run prints.

use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::Result;

/// The resident memory of process `pid` in KiB (`VmRSS` of `/proc/<pid>/status`).
pub(crate) fn rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    parse_rss_kib(&status).ok_or_else(|| format!("no VmRSS in /proc/{pid}/status").into())
}

fn parse_rss_kib(status: &str) -> Option<u64> {
    let rest = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?;
    rest.trim().trim_end_matches("kB").trim().parse().ok()
}

/// The CPU time process `pid` has used, user and system (`utime + stime` of
/// `/proc/<pid>/stat`, all threads), in seconds.
pub(crate) fn cpu_secs(pid: u32) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let ticks = parse_cpu_ticks(&stat).ok_or(format!("unreadable /proc/{pid}/stat"))?;
    Ok(ticks as f64 / clock_ticks_per_sec())
}

/// `utime + stime` in clock ticks; the fields are counted after the command name, which is in
/// parentheses and may hold spaces.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    // Fields 3 (state) .. 13 come first; utime is field 14 and stime field 15.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// `getconf CLK_TCK` (100 on Linux when it cannot be read).
fn clock_ticks_per_sec() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// CPU time of a process and of the load generator itself, read at the start of a window.
pub(crate) struct CpuWindow {
    server: Option<(u32, f64)>,
    own: f64,
}

impl CpuWindow {
    /// Starts a window; `server` is the server's pid when known.
    pub(crate) fn start(server: Option<u32>) -> Result<Self> {
        let server = match server {
            Some(pid) => Some((pid, cpu_secs(pid)?)),
            None => None,
        };
        Ok(Self {
            server,
            own: cpu_secs(std::process::id())?,
        })
    }

    /// The server's CPU seconds since the start (`None` without a pid) and the load
    /// generator's share of one core over `elapsed`.
    pub(crate) fn finish(&self, elapsed: Duration) -> Result<(Option<f64>, f64)> {
        let server = match self.server {
            Some((pid, start)) => Some(cpu_secs(pid)? - start),
            None => None,
        };
        let own = cpu_secs(std::process::id())? - self.own;
        Ok((server, own / elapsed.as_secs_f64().max(1e-9)))
    }
}

/// The `q` quantile (0..=1) of sorted samples, nearest rank; 0 when empty.
pub(crate) fn percentile(sorted: &[u32], q: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A duration in whole microseconds, saturating.
pub(crate) fn micros(duration: Duration) -> u32 {
    u32::try_from(duration.as_micros()).unwrap_or(u32::MAX)
}

/// The figures of one run of one scenario, printed as one JSON object on one line.
pub(crate) struct Record(Map<String, Value>);

impl Record {
    /// A record of `scenario` measured against the server labelled `server`.
    pub(crate) fn new(scenario: &str, server: &str) -> Self {
        let mut map = Map::new();
        map.insert("scenario".into(), scenario.into());
        map.insert("server".into(), server.into());
        Self(map)
    }

    /// Adds a figure.
    pub(crate) fn set(&mut self, key: &str, value: impl Into<Value>) -> &mut Self {
        self.0.insert(key.to_owned(), value.into());
        self
    }

    /// Adds p50, p90 and p99 of `samples` (microseconds) in milliseconds, `<prefix>_p50_ms`...
    pub(crate) fn set_percentiles(&mut self, prefix: &str, samples: &mut [u32]) -> &mut Self {
        samples.sort_unstable();
        for (name, q) in [("p50", 0.50), ("p90", 0.90), ("p99", 0.99)] {
            let ms = f64::from(percentile(samples, q)) / 1000.0;
            self.set(&format!("{prefix}_{name}_ms"), ms);
        }
        self
    }

    /// The record as one line of JSON.
    pub(crate) fn to_line(&self) -> String {
        Value::Object(self.0.clone()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_is_read_from_status() {
        let status = "Name:\tnode\nVmPeak:\t 100 kB\nVmRSS:\t   54321 kB\nThreads:\t7\n";
        assert_eq!(parse_rss_kib(status), Some(54321));
        assert_eq!(parse_rss_kib("Name:\tx\n"), None);
        assert!(rss_kib(std::process::id()).expect("own rss") > 0);
    }

    #[test]
    fn cpu_ticks_skip_a_command_name_with_spaces() {
        let stat = "42 (tokio (rt) w) S 1 42 42 0 -1 4194560 100 0 0 0 250 17 0 0 20 0 2 0";
        assert_eq!(parse_cpu_ticks(stat), Some(267));
        assert_eq!(parse_cpu_ticks("42 (x) S 1"), None);
        assert!(cpu_secs(std::process::id()).expect("own cpu") >= 0.0);
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let samples: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&samples, 0.50), 50);
        assert_eq!(percentile(&samples, 0.99), 99);
        assert_eq!(percentile(&samples, 1.0), 100);
        assert_eq!(percentile(&samples, 0.0), 1);
        assert_eq!(percentile(&[], 0.5), 0);
    }

    #[test]
    fn records_are_one_json_line() {
        let mut record = Record::new("echo", "ours");
        record
            .set("n", 3)
            .set_percentiles("latency", &mut [3000, 1000, 2000]);
        let line = record.to_line();
        assert!(!line.contains('\n'));
        let value: Value = serde_json::from_str(&line).expect("json");
        assert_eq!(value["scenario"], "echo");
        assert_eq!(value["latency_p50_ms"], 2.0);
        assert_eq!(value["latency_p99_ms"], 3.0);
    }
}
