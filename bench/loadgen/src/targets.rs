//! The targets of issue 6 as ratios of our server's medians over another server's, measured in
//! the same run, and whether each is met.

use std::fmt::Write;

use crate::report::{number, Runs};

/// Our server's label in the records.
const OURS: &str = "ours";

/// Which way a ratio must go.
#[derive(Clone, Copy)]
enum Bound {
    AtMost(f64),
    AtLeast(f64),
}

impl Bound {
    fn met(self, ratio: f64) -> bool {
        match self {
            Self::AtMost(bound) => ratio <= bound,
            Self::AtLeast(bound) => ratio >= bound,
        }
    }

    fn text(self) -> String {
        match self {
            Self::AtMost(bound) => format!("≤ {bound}x"),
            Self::AtLeast(bound) => format!("≥ {bound}x"),
        }
    }
}

/// One target: ours over `other` for one figure of one scenario.
struct Ratio {
    what: &'static str,
    scenario: &'static str,
    key: &'static str,
    other: &'static str,
    bound: Bound,
    /// Digits after the point when the figures are shown.
    decimals: usize,
}

const RATIOS: &[Ratio] = &[
    Ratio {
        what: "memory per idle WebSocket connection vs Node",
        scenario: "connect",
        key: "kib_per_conn",
        other: "node",
        bound: Bound::AtMost(0.6),
        decimals: 1,
    },
    Ratio {
        what: "memory per idle WebSocket connection vs socketioxide",
        scenario: "connect",
        key: "kib_per_conn",
        other: "socketioxide",
        bound: Bound::AtMost(0.35),
        decimals: 1,
    },
    Ratio {
        what: "broadcast deliveries/s vs socketioxide",
        scenario: "broadcast",
        key: "deliveries_per_s",
        other: "socketioxide",
        bound: Bound::AtLeast(1.2),
        decimals: 0,
    },
    Ratio {
        what: "broadcast deliveries/s vs Node",
        scenario: "broadcast",
        key: "deliveries_per_s",
        other: "node",
        bound: Bound::AtLeast(10.0),
        decimals: 0,
    },
    Ratio {
        what: "echo server CPU per echo vs socketioxide",
        scenario: "echo",
        key: "cpu_us_per_echo",
        other: "socketioxide",
        bound: Bound::AtMost(0.85),
        decimals: 2,
    },
    Ratio {
        what: "echo server CPU per echo vs bare WebSocket",
        scenario: "echo",
        key: "cpu_us_per_echo",
        other: "bare",
        bound: Bound::AtMost(1.15),
        decimals: 2,
    },
    Ratio {
        what: "echo p99 with 16 in flight vs bare WebSocket",
        scenario: "echo-x16",
        key: "latency_p99_ms",
        other: "bare",
        bound: Bound::AtMost(1.5),
        decimals: 2,
    },
    Ratio {
        what: "connects/s vs socketioxide",
        scenario: "connect",
        key: "connects_per_s",
        other: "socketioxide",
        bound: Bound::AtLeast(1.0),
        decimals: 0,
    },
    Ratio {
        what: "connects/s vs Node",
        scenario: "connect",
        key: "connects_per_s",
        other: "node",
        bound: Bound::AtLeast(3.0),
        decimals: 0,
    },
    Ratio {
        what: "polling echoes/s vs Node",
        scenario: "polling-echo",
        key: "echoes_per_s",
        other: "node",
        bound: Bound::AtLeast(2.0),
        decimals: 0,
    },
];

/// One evaluated target: ours, the other's, the ratio, met or not (`None` when a figure is
/// missing).
struct Row {
    what: String,
    decimals: usize,
    ours: Option<f64>,
    other: Option<f64>,
    ratio: Option<f64>,
    bound: String,
    met: Option<bool>,
}

fn rows(runs: &Runs) -> Vec<Row> {
    let mut rows: Vec<Row> = RATIOS
        .iter()
        .map(|target| {
            let ours = runs.median(target.scenario, OURS, target.key);
            let other = runs.median(target.scenario, target.other, target.key);
            let ratio = ours.zip(other).map(|(o, t)| o / t);
            Row {
                what: target.what.to_owned(),
                decimals: target.decimals,
                ours,
                other,
                ratio,
                bound: target.bound.text(),
                met: ratio.map(|r| r.is_finite() && target.bound.met(r)),
            }
        })
        .collect();
    let lost = runs.max("broadcast", OURS, "lost");
    rows.insert(
        4,
        Row {
            what: "broadcast: deliveries lost (ours, largest over the runs)".to_owned(),
            decimals: 0,
            ours: lost,
            other: None,
            ratio: None,
            bound: "= 0".to_owned(),
            met: lost.map(|lost| lost == 0.0),
        },
    );
    rows
}

fn cell(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "n/a".to_owned(), |v| number(v, decimals))
}

fn verdict(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "met",
        Some(false) => "missed",
        None => "not measured",
    }
}

/// The targets table of the section.
pub(crate) fn render(runs: &Runs) -> String {
    let mut out = String::from(
        "### Targets (issue 6)\n\nRatios of our server's median over the other server's \
         median, from the runs above.\n\n| target | ours | other | ratio | target | verdict |\n\
         |---|---:|---:|---:|---:|---|\n",
    );
    for row in rows(runs) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            row.what,
            cell(row.ours, row.decimals),
            cell(row.other, row.decimals),
            row.ratio
                .map_or_else(|| "".to_owned(), |r| format!("{r:.2}x")),
            row.bound,
            verdict(row.met)
        );
    }
    out
}

/// The ratios as plain lines, for the terminal.
pub(crate) fn summary(runs: &Runs) -> String {
    let mut out = String::from("targets (ours / other, medians):\n");
    for row in rows(runs) {
        let ratio = row.ratio.map_or_else(
            || format!("ours {}", cell(row.ours, row.decimals)),
            |r| format!("{r:.2}x"),
        );
        let _ = writeln!(
            out,
            "  {:<58} {:>12}  target {:<8} {}",
            row.what,
            ratio,
            row.bound,
            verdict(row.met)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs() -> Runs {
        let lines = [
            r#"{"scenario":"connect","server":"ours","kib_per_conn":4.0,"connects_per_s":9000}"#,
            r#"{"scenario":"connect","server":"node","kib_per_conn":12.0,"connects_per_s":2000}"#,
            r#"{"scenario":"connect","server":"socketioxide","kib_per_conn":24.0,"connects_per_s":10000}"#,
            r#"{"scenario":"broadcast","server":"ours","lost":0,"deliveries_per_s":100}"#,
        ];
        Runs::parse(&lines.join("\n")).expect("records")
    }

    #[test]
    fn ratios_are_ours_over_theirs_against_the_bound() {
        let rows = rows(&runs());
        let memory_node = &rows[0];
        assert_eq!(memory_node.ratio, Some(4.0 / 12.0));
        assert_eq!(memory_node.met, Some(true));
        let memory_sx = &rows[1];
        assert_eq!(memory_sx.met, Some(4.0 / 24.0 <= 0.35));
        let connects_sx = rows.iter().find(|r| r.what == "connects/s vs socketioxide");
        assert_eq!(connects_sx.and_then(|r| r.met), Some(false));
        let connects_node = rows.iter().find(|r| r.what == "connects/s vs Node");
        assert_eq!(connects_node.and_then(|r| r.met), Some(true));
    }

    #[test]
    fn missing_figures_are_not_measured_and_losses_checked() {
        let rows = rows(&runs());
        let polling = rows.iter().find(|r| r.what.starts_with("polling"));
        assert_eq!(polling.map(|r| r.met), Some(None));
        let lost = rows.iter().find(|r| r.what.contains("lost"));
        assert_eq!(lost.and_then(|r| r.met), Some(true));
        let text = render(&runs());
        assert!(text.contains(
            "| memory per idle WebSocket connection vs Node | 4.0 | 12.0 | 0.33x | ≤ 0.6x | met |"
        ));
        assert!(summary(&runs()).contains("not measured"));
    }
}
