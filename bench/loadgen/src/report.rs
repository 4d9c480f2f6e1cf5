//! `loadgen report`: the JSON lines of every run become the "Load: side by side" section of
//! `docs/benchmarks.md` (one table per scenario, server rows, median of the runs column by
//! column), which replaces the section if it is there and is appended otherwise.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{Map, Value};

use crate::{targets, Options, Result};

/// The options of `loadgen report`.
pub(crate) const OPTIONS: &[&str] = &["results", "doc", "server", "meta", "notes"];
/// The heading of the section this command writes.
const HEADING: &str = "## Load: side by side";

/// The records of every run, by scenario and server.
pub(crate) struct Runs(BTreeMap<(String, String), Vec<Map<String, Value>>>);

impl Runs {
    /// Reads one JSON object per non-empty line.
    pub(crate) fn parse(lines: &str) -> Result<Self> {
        let mut runs: BTreeMap<_, Vec<_>> = BTreeMap::new();
        for line in lines.lines().filter(|line| !line.trim().is_empty()) {
            let Value::Object(record) = serde_json::from_str(line)? else {
                return Err(format!("not a JSON object: {line}").into());
            };
            let field = |key: &str| record.get(key).and_then(Value::as_str).map(str::to_owned);
            let (Some(scenario), Some(server)) = (field("scenario"), field("server")) else {
                return Err(format!("no scenario or server: {line}").into());
            };
            runs.entry((scenario, server)).or_default().push(record);
        }
        Ok(Self(runs))
    }

    fn values(&self, scenario: &str, server: &str, key: &str) -> Vec<f64> {
        let records = self.0.get(&(scenario.to_owned(), server.to_owned()));
        let values = records
            .into_iter()
            .flatten()
            .filter_map(|r| r.get(key)?.as_f64());
        values.collect()
    }

    /// The median over the runs of one figure.
    pub(crate) fn median(&self, scenario: &str, server: &str, key: &str) -> Option<f64> {
        let mut values = self.values(scenario, server, key);
        values.sort_by(f64::total_cmp);
        let mid = values.len() / 2;
        match values.len() {
            0 => None,
            n if n % 2 == 1 => Some(values[mid]),
            _ => Some((values[mid - 1] + values[mid]) / 2.0),
        }
    }

    /// The largest value over the runs of one figure.
    pub(crate) fn max(&self, scenario: &str, server: &str, key: &str) -> Option<f64> {
        self.values(scenario, server, key)
            .into_iter()
            .reduce(f64::max)
    }

    /// How many runs of a scenario there are for a server.
    fn count(&self, scenario: &str, server: &str) -> usize {
        self.0
            .get(&(scenario.to_owned(), server.to_owned()))
            .map_or(0, Vec::len)
    }

    /// A parameter of the scenario, from its first record.
    fn parameter(&self, scenario: &str, key: &str) -> Option<String> {
        let (_, records) = self.0.iter().find(|((s, _), _)| s == scenario)?;
        records.first()?.get(key).map(|value| match value {
            Value::String(text) => text.clone(),
            other => {
                let value = other.as_f64().unwrap_or(0.0);
                number(value, if value.fract() == 0.0 { 0 } else { 1 })
            }
        })
    }
}

/// A number with `decimals` digits after the point and the thousands of its integer part set
/// apart by spaces (`1 234 567`).
pub(crate) fn number(value: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = text
        .split_once('.')
        .map_or((text.as_str(), None), |(w, f)| (w, Some(f)));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(' ');
        }
        grouped.push(digit);
    }
    let sign = if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    match fraction {
        Some(fraction) => format!("{sign}{grouped}.{fraction}"),
        None => format!("{sign}{grouped}"),
    }
}

/// How a column sums up the runs.
#[derive(Clone, Copy)]
enum Agg {
    Median,
    Max,
}

/// One column of a scenario's table.
struct Column(&'static str, &'static str, Agg, usize);

/// One scenario's table: its record name, its title (`{key}` is replaced by the parameter of
/// the first record), what it measures, and its columns.
struct Table {
    scenario: &'static str,
    title: &'static str,
    about: &'static str,
    columns: &'static [Column],
}

const TABLES: &[Table] = &[
    Table {
        scenario: "connect",
        title: "Connect: {clients} WebSocket clients, {concurrency} handshakes in flight",
        about: "Connects per second count the whole Socket.IO handshake (WebSocket upgrade, `0{...}`, `40`, `40{\"sid\":...}`). Memory per idle connection is the growth of the server's `VmRSS` (`/proc/<pid>/status`) over the freshly started server's, 2 s after the last connection, divided by the connections.",
        columns: &[
            Column("connects_per_s", "connects/s", Agg::Median, 0),
            Column("kib_per_conn", "KiB per idle connection", Agg::Median, 1),
            Column("rss_before_kib", "RSS idle (KiB)", Agg::Median, 0),
            Column("rss_after_kib", "RSS with all connected (KiB)", Agg::Median, 0),
            Column("cpu_us_per_connect", "server CPU µs per connect", Agg::Median, 1),
            Column("failed", "failed (max)", Agg::Max, 0),
            Column("dropped", "dropped while idle (max)", Agg::Max, 0),
            Column("loadgen_cpu_pct", "load generator CPU %", Agg::Median, 0),
        ],
    },
    Table {
        scenario: "echo",
        title: "Echo over WebSocket: {clients} clients, 1 event in flight each",
        about: "Each client sends `42[\"echo\",\"<64 B>\"]` and waits for the echo before the next; echoes answered within the measuring window (`ECHO_WINDOW_MS`, after a `WARMUP_MS` warm-up: see the command line) count. Server CPU per echo is the growth of `utime + stime` (`/proc/<pid>/stat`) over the window divided by the echoes.",
        columns: ECHO_COLUMNS,
    },
    Table {
        scenario: "echo-x16",
        title: "Echo over WebSocket: {clients} clients, {in_flight} events in flight each",
        about: "The same with 16 echoes outstanding per client (a new one sent as each echo arrives): the latency is that of a loaded connection.",
        columns: ECHO_COLUMNS,
    },
    Table {
        scenario: "broadcast",
        title: "Broadcast: {receivers} receivers, {messages} messages sent back to back",
        about: "One more client sends `42[\"broadcast\",i,<sent µs>,\"<64 B>\"]` M times as fast as it can; the server sends each to every other socket of `/`. Deliveries per second and \"all delivered\" run from the first send to the last delivery; the latency of each delivery is measured from its send; lost is N×M minus the deliveries that arrived within 10 s of the last send.",
        columns: BROADCAST_COLUMNS,
    },
    Table {
        scenario: "echo-msgpack",
        title: "Echo over WebSocket, msgpack parser: {clients} clients, 1 event in flight each",
        about: "The echo scenario with the server on the msgpack parser (`socket.io-msgpack-parser`'s wire: ours with `--parser msgpack`, Node with `parser: require(\"socket.io-msgpack-parser\")`); the load generator sends and reads each event as one binary frame, encoded and decoded with the socketio core's `MsgpackParser`.",
        columns: ECHO_COLUMNS,
    },
    Table {
        scenario: "broadcast-msgpack",
        title: "Broadcast, msgpack parser: {receivers} receivers, {messages} messages sent back to back",
        about: "The broadcast scenario with the server on the msgpack parser: the same arguments (index, send time, 64 B) in one binary frame per packet.",
        columns: BROADCAST_COLUMNS,
    },
    Table {
        scenario: "polling-echo",
        title: "Echo over long-polling only: {clients} clients, 1 event in flight each",
        about: "Each client holds two HTTP/1.1 connections, one for the `GET` loop and one for its `POST`s; an echo is a `POST` of the event and the `GET` that brings the answer.",
        columns: ECHO_COLUMNS,
    },
];

const BROADCAST_COLUMNS: &[Column] = &[
    Column("deliveries_per_s", "deliveries/s", Agg::Median, 0),
    Column("all_delivered_ms", "all delivered (ms)", Agg::Median, 1),
    Column("latency_p50_ms", "p50 (ms)", Agg::Median, 1),
    Column("latency_p90_ms", "p90 (ms)", Agg::Median, 1),
    Column("latency_p99_ms", "p99 (ms)", Agg::Median, 1),
    Column("lost", "lost (max)", Agg::Max, 0),
    Column("loadgen_cpu_pct", "load generator CPU %", Agg::Median, 0),
];

const ECHO_COLUMNS: &[Column] = &[
    Column("echoes_per_s", "echoes/s", Agg::Median, 0),
    Column("latency_p50_ms", "p50 (ms)", Agg::Median, 2),
    Column("latency_p90_ms", "p90 (ms)", Agg::Median, 2),
    Column("latency_p99_ms", "p99 (ms)", Agg::Median, 2),
    Column("cpu_us_per_echo", "server CPU µs per echo", Agg::Median, 2),
    Column("errors", "errors (max)", Agg::Max, 0),
    Column("loadgen_cpu_pct", "load generator CPU %", Agg::Median, 0),
];

/// The servers, in table order: `(label in the records, name in the tables)`.
pub(crate) type Servers = Vec<(String, String)>;

fn render_table(out: &mut String, runs: &Runs, servers: &Servers, table: &Table) {
    let rows: Vec<_> = servers
        .iter()
        .filter(|(label, _)| runs.count(table.scenario, label) > 0)
        .collect();
    if rows.is_empty() {
        return;
    }
    let mut title = table.title.to_owned();
    for key in [
        "clients",
        "concurrency",
        "in_flight",
        "receivers",
        "messages",
    ] {
        let value = runs.parameter(table.scenario, key).unwrap_or_default();
        title = title.replace(&format!("{{{key}}}"), &value);
    }
    let _ = writeln!(out, "### {title}\n\n{}\n", table.about);
    let headers: Vec<_> = table.columns.iter().map(|c| c.1).collect();
    let _ = writeln!(out, "| server | runs | {} |", headers.join(" | "));
    let _ = writeln!(out, "|---|---:|{}", "---:|".repeat(headers.len()));
    for (label, name) in rows {
        let cells: Vec<String> = table
            .columns
            .iter()
            .map(|Column(key, _, agg, decimals)| {
                let value = match agg {
                    Agg::Median => runs.median(table.scenario, label, key),
                    Agg::Max => runs.max(table.scenario, label, key),
                };
                value.map_or_else(|| "n/a".to_owned(), |v| number(v, *decimals))
            })
            .collect();
        let count = runs.count(table.scenario, label);
        let _ = writeln!(out, "| {name} | {count} | {} |", cells.join(" | "));
    }
    out.push('\n');
}

/// The whole section, heading included.
pub(crate) fn render(runs: &Runs, servers: &Servers, meta: &[String], notes: &str) -> String {
    let mut out = format!("{HEADING}\n\n");
    out.push_str(
        "Every scenario against every server in turn, from one run of one command; the figures \
         are medians over the runs, column by column (the \"max\" columns are the largest over \
         the runs). The server is pinned to core 0 and the load generator (`bench/loadgen`, one \
         thread, speaking the protocol itself) to core 1 with `taskset`; each server is started \
         afresh for every scenario and run.\n\n",
    );
    for line in meta {
        let (key, value) = line.split_once('=').unwrap_or((line.as_str(), ""));
        let _ = writeln!(out, "- {key}: {value}");
    }
    out.push('\n');
    for table in TABLES {
        render_table(&mut out, runs, servers, table);
    }
    out.push_str(&targets::render(runs));
    if !notes.trim().is_empty() {
        let _ = write!(out, "\n### Notes\n\n{}\n", notes.trim());
    }
    out
}

/// `doc` with its "Load: side by side" section replaced by `section`, or with `section`
/// appended when there is none. The section runs to the next `## ` heading or the end.
pub(crate) fn splice(doc: &str, section: &str) -> String {
    let start = if doc.starts_with(HEADING) {
        Some(0)
    } else {
        doc.find(&format!("\n{HEADING}\n")).map(|at| at + 1)
    };
    let Some(start) = start else {
        return format!("{}\n\n{section}", doc.trim_end());
    };
    let after = &doc[start + HEADING.len()..];
    let rest = after.find("\n## ").map_or("", |at| &after[at + 1..]);
    let before = doc[..start].trim_end();
    let joined = format!("{before}\n\n{}", section.trim_end());
    if rest.is_empty() {
        format!("{joined}\n")
    } else {
        format!("{joined}\n\n{rest}")
    }
}

/// `loadgen report`: reads the results, writes the section into the doc, prints the ratios.
pub(crate) fn run(options: &Options) -> Result<()> {
    let runs = Runs::parse(&std::fs::read_to_string(options.required("results")?)?)?;
    let servers: Servers = options
        .all("server")
        .iter()
        .map(|pair| match pair.split_once('=') {
            Some((label, name)) => (label.to_owned(), name.to_owned()),
            None => (pair.clone(), pair.clone()),
        })
        .collect();
    let notes = match options.all("notes").last() {
        Some(path) => std::fs::read_to_string(path)?,
        None => String::new(),
    };
    let section = render(&runs, &servers, options.all("meta"), &notes);
    let doc_path = options.required("doc")?;
    let doc = std::fs::read_to_string(doc_path)?;
    std::fs::write(doc_path, splice(&doc, &section))?;
    print!("{}", targets::summary(&runs));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINES: &str = concat!(
        r#"{"scenario":"echo","server":"ours","echoes_per_s":100.0,"errors":0}"#,
        "\n",
        r#"{"scenario":"echo","server":"ours","echoes_per_s":300.0,"errors":2}"#,
        "\n\n",
        r#"{"scenario":"echo","server":"ours","echoes_per_s":200.0,"errors":1,"clients":100}"#,
        "\n",
        r#"{"scenario":"echo","server":"node","echoes_per_s":50.0,"clients":100}"#,
    );

    fn servers() -> Servers {
        vec![
            ("ours".into(), "ours (bench-server)".into()),
            ("node".into(), "Node".into()),
            ("bare".into(), "bare".into()),
        ]
    }

    #[test]
    fn medians_and_maxima_over_runs() {
        let runs = Runs::parse(LINES).expect("records");
        assert_eq!(runs.median("echo", "ours", "echoes_per_s"), Some(200.0));
        assert_eq!(runs.max("echo", "ours", "errors"), Some(2.0));
        assert_eq!(runs.median("echo", "node", "errors"), None);
        assert!(Runs::parse("[1]").is_err());
        assert!(Runs::parse(r#"{"server":"x"}"#).is_err());
    }

    #[test]
    fn numbers_group_their_thousands() {
        assert_eq!(number(1_234_567.0, 0), "1 234 567");
        assert_eq!(number(999.0, 0), "999");
        assert_eq!(number(1234.5678, 2), "1 234.57");
        assert_eq!(number(-0.001, 1), "0.0");
        assert_eq!(number(-1500.0, 0), "-1 500");
    }

    #[test]
    fn tables_have_a_row_per_measured_server() {
        let runs = Runs::parse(LINES).expect("records");
        let section = render(&runs, &servers(), &["Machine=test box".into()], "a note");
        assert!(section.starts_with(HEADING));
        assert!(section.contains("- Machine: test box"));
        assert!(section.contains("### Echo over WebSocket: 100 clients, 1 event in flight each"));
        assert!(section.contains("| ours (bench-server) | 3 | 200 |"));
        assert!(section.contains("| Node | 1 | 50 |"));
        assert!(!section.contains("| bare |"));
        assert!(section.contains("### Notes\n\na note"));
    }

    #[test]
    fn the_section_is_replaced_or_appended() {
        let section = format!("{HEADING}\n\nnew\n");
        let appended = splice("# B\n\n## Other\n\ntext\n", &section);
        assert_eq!(
            appended,
            format!("# B\n\n## Other\n\ntext\n\n{HEADING}\n\nnew\n")
        );
        let replaced = splice(&format!("# B\n\n{HEADING}\n\nold\n"), &section);
        assert_eq!(replaced, format!("# B\n\n{HEADING}\n\nnew\n"));
        let middle = splice(
            &format!("# B\n\n{HEADING}\n\nold\n\n## After\n\nx\n"),
            &section,
        );
        assert_eq!(
            middle,
            format!("# B\n\n{HEADING}\n\nnew\n\n## After\n\nx\n")
        );
    }
}
