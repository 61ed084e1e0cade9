//! `arrears bench`: measures replay throughput (events per second on one core) on a generated
//! event file, and prints the numbers. A program to run on purpose, never a test.

mod args;
pub mod kafka;

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;

use crate::engine::pipeline::Pipeline;
use crate::engine::scoring::Scorer;
use crate::engine::settings::Settings;

pub use self::args::BenchArgs;

fn count_lines(path: &std::path::Path) -> anyhow::Result<u64> {
    let data = std::fs::read(path)?;
    Ok(data.iter().filter(|b| **b == b'\n').count() as u64)
}

/// Simulates a portfolio sized so that its event stream has about `events` lines: a small pilot
/// run measures events per account, then the full run is scaled from it.
fn simulate_about(
    path: &std::path::Path,
    events: u64,
    days: u32,
    seed: u64,
) -> anyhow::Result<u64> {
    let args = |accounts: usize, output: &std::path::Path| crate::tools::sim::SimulateArgs {
        accounts,
        days,
        seed,
        output: Some(output.to_path_buf()),
        truth: None,
        start: "2026-01-05".parse().expect("a valid date"),
        capacity: 0.05,
        quiet: true,
        book: crate::tools::sim::Book::Full,
        response: crate::tools::sim::ResponseModel::Calibrated,
        calibration_report: false,
    };
    let pilot_accounts = 2_000;
    crate::tools::sim::cmd_simulate(&args(pilot_accounts, path))?;
    let per_account = count_lines(path)? as f64 / pilot_accounts as f64;
    let accounts = ((events as f64 / per_account.max(1.0)).ceil() as usize).max(1);
    crate::tools::sim::cmd_simulate(&args(accounts, path))?;
    count_lines(path)
}

pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    if args.kafka {
        return kafka::run(args, &args.kafka_args);
    }
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let path = args
        .keep
        .clone()
        .unwrap_or_else(|| dir.path().join("bench-events.jsonl"));
    let t0 = Instant::now();
    let lines = simulate_about(&path, args.events, args.days, args.seed)?;
    let gen = t0.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(&path)?.len();
    eprintln!(
        "generated {lines} events ({:.1} MB) in {gen:.1}s",
        bytes as f64 / 1e6
    );

    let settings = Arc::new(Settings::defaults());
    let scorer = Arc::new(Scorer::shipped()?);
    let mut pipeline = Pipeline::new(settings, scorer);
    let file = std::fs::File::open(&path)?;
    let t1 = Instant::now();
    let summary = crate::replay::apply_lines(&mut pipeline, file, None, None)?;
    let apply = t1.elapsed().as_secs_f64();
    let t2 = Instant::now();
    let items = crate::replay::finish(&mut pipeline, None);
    let mut sink = std::io::sink();
    crate::replay::write_items(&items, &mut sink)?;
    sink.flush()?;
    let finish = t2.elapsed().as_secs_f64();
    println!("events            {}", summary.lines);
    println!("accounts          {}", summary.accounts);
    println!("rejected          {}", summary.rejected_total());
    println!(
        "apply             {apply:.3} s  ({:.0} events/s, one core)",
        summary.lines as f64 / apply
    );
    println!("finish + rank     {finish:.3} s");
    println!(
        "replay total      {:.3} s  ({:.0} events/s)",
        apply + finish,
        summary.lines as f64 / (apply + finish)
    );
    Ok(())
}
