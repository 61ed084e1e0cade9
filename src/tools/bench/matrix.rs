//! `arrears bench --matrix 10000x30,…`: the replay benchmark over a grid of portfolio sizes and
//! history lengths, each cell simulated, measured and deleted in turn by a process of its own
//! (`arrears bench --accounts A --days D --json`: its memory is its own, not what an earlier cell
//! freed); a table of every cell, the chart (`--chart`) and the JSON (`--json`) of all of them.

use std::io::Write;

use anyhow::{bail, Context};
use serde::Serialize;

use super::args::BenchArgs;
use super::replay::{generate, measure_in_child, ReplayReport};
use crate::tools::chart::{line_chart_styled, Series};

/// One cell of the grid.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub accounts: usize,
    pub days: u32,
    pub report: ReplayReport,
}

fn parse_cell(s: &str) -> anyhow::Result<(usize, u32)> {
    let (a, d) = s
        .trim()
        .split_once(['x', 'X'])
        .with_context(|| format!("--matrix cell {s:?}: expected ACCOUNTSxDAYS, e.g. 10000x30"))?;
    let accounts: usize = a.replace('_', "").parse().context("accounts")?;
    let days: u32 = d.parse().context("days")?;
    if accounts == 0 || days == 0 {
        bail!("--matrix cell {s:?}: accounts and days must be positive");
    }
    Ok((accounts, days))
}

pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let cells: Vec<(usize, u32)> = args
        .matrix
        .iter()
        .map(|c| parse_cell(c))
        .collect::<anyhow::Result<_>>()?;
    let mut done = Vec::with_capacity(cells.len());
    for (i, (accounts, days)) in cells.iter().copied().enumerate() {
        eprintln!(
            "cell {}/{}: {accounts} accounts × {days} days",
            i + 1,
            cells.len()
        );
        let dir = tempfile::tempdir().context("creating a temporary directory")?;
        let path = dir.path().join("events.jsonl");
        generate(&path, Some(accounts), 0, days, args.seed)?;
        let report = measure_in_child(&path, days, args.no_stages)?;
        drop(dir);
        done.push(Cell {
            accounts,
            days,
            report,
        });
    }
    let mut out: Box<dyn Write> = if args.kafka_args.json {
        Box::new(std::io::stderr())
    } else {
        Box::new(std::io::stdout())
    };
    table(&mut out, &done)?;
    out.flush()?;
    if let Some(path) = &args.chart {
        chart(path, &done)?;
        eprintln!("chart written to {}", path.display());
    }
    if args.kafka_args.json {
        println!("{}", serde_json::to_string_pretty(&done)?);
    }
    Ok(())
}

fn table(out: &mut dyn Write, cells: &[Cell]) -> std::io::Result<()> {
    writeln!(
        out,
        "\n| accounts | days | events | typed anchor ev/s | replay ev/s | ratio | µs/event | sweep s | B/account (RSS) |"
    )?;
    writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|")?;
    for c in cells {
        let r = &c.report;
        writeln!(
            out,
            "| {} | {} | {} | {:.0} | {:.0} | {:.3} | {:.2} | {:.3} | {:.0} |",
            c.accounts,
            c.days,
            r.events,
            r.parse_typed_per_sec,
            r.replay_per_sec,
            r.ratio_typed,
            1e6 / r.replay_per_sec.max(1e-9),
            r.replay.sweep_secs,
            r.replay.rss_bytes_per_account,
        )?;
    }
    Ok(())
}

/// Replay and the typed anchor, in thousands of events per second, against log10(accounts):
/// a line per history length.
fn chart(path: &std::path::Path, cells: &[Cell]) -> anyhow::Result<()> {
    let mut days: Vec<u32> = cells.iter().map(|c| c.days).collect();
    days.sort_unstable();
    days.dedup();
    let (mut series, mut styles) = (Vec::new(), Vec::new());
    for (k, d) in days.iter().enumerate() {
        let of = |f: &dyn Fn(&ReplayReport) -> f64| {
            let mut pts: Vec<(f64, f64)> = cells
                .iter()
                .filter(|c| c.days == *d)
                .map(|c| ((c.accounts as f64).log10(), f(&c.report) / 1e3))
                .collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            pts
        };
        series.push(Series {
            name: format!("replay, {d} days"),
            points: of(&|r| r.replay_per_sec),
        });
        styles.push((k, 0));
        series.push(Series {
            name: format!("JSON parse anchor (typed struct), {d} days"),
            points: of(&|r| r.parse_typed_per_sec),
        });
        styles.push((k, 1));
    }
    line_chart_styled(
        path,
        "arrears replay vs parsing the same lines (one core)",
        "log10(accounts)",
        "thousand events/s",
        &series,
        &styles,
    )
}
