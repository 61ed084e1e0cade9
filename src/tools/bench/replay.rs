//! The replay measurement behind `arrears bench`: a generated or given event file, measured in
//! this process or a child of its own, and its report as text or JSON.

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;

use crate::engine::scoring::Scorer;
use crate::engine::settings::Settings;

use super::stages;

fn count_lines(path: &std::path::Path) -> anyhow::Result<u64> {
    let data = std::fs::read(path)?;
    Ok(data.iter().filter(|b| **b == b'\n').count() as u64)
}

fn sim_args(
    accounts: usize,
    days: u32,
    seed: u64,
    output: &std::path::Path,
) -> crate::tools::sim::SimulateArgs {
    crate::tools::sim::SimulateArgs {
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
    }
}

/// Simulates a portfolio sized so that its event stream has about `events` lines: a small pilot
/// run measures events per account, then the full run is scaled from it.
fn simulate_about(
    path: &std::path::Path,
    events: u64,
    days: u32,
    seed: u64,
) -> anyhow::Result<u64> {
    let args = |accounts: usize, output: &std::path::Path| sim_args(accounts, days, seed, output);
    let pilot_accounts = 2_000;
    crate::tools::sim::cmd_simulate(&args(pilot_accounts, path))?;
    let per_account = count_lines(path)? as f64 / pilot_accounts as f64;
    let accounts = ((events as f64 / per_account.max(1.0)).ceil() as usize).max(1);
    crate::tools::sim::cmd_simulate(&args(accounts, path))?;
    count_lines(path)
}

/// Everything `arrears bench --json` prints (replay).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ReplayReport {
    pub events: usize,
    pub bytes: u64,
    pub days: u32,
    pub accounts: usize,
    /// Reading the lines alone (the floor under every pass).
    pub read_per_sec: f64,
    pub parse_typed_per_sec: f64,
    pub parse_value_per_sec: f64,
    pub decode_per_sec: f64,
    pub decode_state_per_sec: f64,
    /// Replay (decode, state, evaluation after every event), one core.
    pub replay_per_sec: f64,
    /// Including the final evaluation and ranking of every account.
    pub replay_total_per_sec: f64,
    /// replay_per_sec / parse_typed_per_sec.
    pub ratio_typed: f64,
    /// replay_per_sec / parse_value_per_sec.
    pub ratio_value: f64,
    /// Microseconds per event in each stage (the stage pass; see `stages`).
    pub stage_us: std::collections::BTreeMap<String, f64>,
    pub replay: stages::ReplayPass,
    pub peak_rss_bytes: u64,
}

fn simulate_accounts(
    path: &std::path::Path,
    accounts: usize,
    days: u32,
    seed: u64,
) -> anyhow::Result<u64> {
    crate::tools::sim::cmd_simulate(&sim_args(accounts, days, seed, path))?;
    count_lines(path)
}

/// [`measure`] run by `arrears bench --input PATH --json` in a new process.
pub fn measure_in_child(
    path: &std::path::Path,
    days: u32,
    no_stages: bool,
) -> anyhow::Result<ReplayReport> {
    let exe = std::env::current_exe().context("locating this executable")?;
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["bench", "--json", "--days", &days.to_string(), "--input"])
        .arg(path)
        .stderr(std::process::Stdio::inherit());
    if no_stages {
        cmd.arg("--no-stages");
    }
    let output = cmd.output().context("running the measurement")?;
    anyhow::ensure!(
        output.status.success(),
        "the measurement of {} failed ({})",
        path.display(),
        output.status
    );
    serde_json::from_slice(&output.stdout).context("reading the measurement's JSON")
}

/// Simulates `accounts` accounts (or about `events` events) over `days` into `path`.
pub fn generate(
    path: &std::path::Path,
    accounts: Option<usize>,
    events: u64,
    days: u32,
    seed: u64,
) -> anyhow::Result<u64> {
    let t0 = Instant::now();
    let lines = match accounts {
        Some(n) => simulate_accounts(path, n, days, seed)?,
        None => simulate_about(path, events, days, seed)?,
    };
    eprintln!(
        "generated {lines} events ({:.1} MB, {days} days) in {:.1}s",
        std::fs::metadata(path)?.len() as f64 / 1e6,
        t0.elapsed().as_secs_f64()
    );
    Ok(lines)
}

/// Every pass over the event file at `path`; the stage shares when `stages`.
pub fn measure(path: &std::path::Path, days: u32, stages: bool) -> anyhow::Result<ReplayReport> {
    let settings = Arc::new(Settings::defaults());
    let scorer = Arc::new(Scorer::shipped()?);
    let bytes = std::fs::metadata(path)?.len();
    // The replay first, so that the memory it adds is not memory an earlier pass freed.
    eprintln!("replay …");
    let replay = stages::replay(path, settings.clone(), scorer.clone())?;
    let n = stages::each_line(path, |_| {})?;
    eprintln!("anchors: reading and parsing {n} lines with serde_json …");
    let read = stages::read_only(path)?;
    let typed = stages::parse_typed(path)?;
    let value = stages::parse_value(path)?;
    eprintln!("decode and state passes …");
    let decode = stages::decode_only(path)?;
    let state = stages::decode_and_state(path)?;
    let mut stage_us = std::collections::BTreeMap::new();
    if stages {
        eprintln!("stage pass …");
        let st = stages::stages(path, &settings, &scorer)?;
        for (name, secs) in st.parts() {
            stage_us.insert(name.to_string(), secs * 1e6 / n.max(1) as f64);
        }
        stage_us.insert(WHOLE.into(), st.evaluate * 1e6 / n.max(1) as f64);
    }
    let rate = |secs: f64| stages::events_per_sec(n, secs);
    let replay_rate = rate(replay.apply_secs);
    let report = ReplayReport {
        events: n,
        bytes,
        days,
        accounts: replay.accounts,
        read_per_sec: rate(read),
        parse_typed_per_sec: rate(typed),
        parse_value_per_sec: rate(value),
        decode_per_sec: rate(decode),
        decode_state_per_sec: rate(state),
        replay_per_sec: replay_rate,
        replay_total_per_sec: rate(replay.apply_secs + replay.finish_secs),
        ratio_typed: replay_rate / rate(typed),
        ratio_value: replay_rate / rate(value),
        stage_us,
        replay,
        peak_rss_bytes: stages::peak_rss_bytes(),
    };
    Ok(report)
}

/// The `stage_us` key of one whole evaluation timed alone (not one of the parts).
const WHOLE: &str = "whole evaluation";

pub fn write_text(out: &mut dyn Write, r: &ReplayReport) -> std::io::Result<()> {
    let us = |rate: f64| 1e6 / rate.max(1e-9);
    let p = &r.replay;
    writeln!(
        out,
        "replay bench: {} events, {} accounts, {} days, {:.1} MB (one core, streamed from the file)",
        r.events,
        r.accounts,
        r.days,
        r.bytes as f64 / 1e6
    )?;
    let row = |out: &mut dyn Write, name: &str, rate: f64| {
        writeln!(
            out,
            "  {name:<30} {rate:>10.0} events/s  {:>7.2} µs/event",
            us(rate)
        )
    };
    row(out, "reading lines", r.read_per_sec)?;
    row(out, "anchor: serde_json typed", r.parse_typed_per_sec)?;
    row(out, "anchor: serde_json Value", r.parse_value_per_sec)?;
    row(out, "decode (validated events)", r.decode_per_sec)?;
    row(out, "decode + state apply", r.decode_state_per_sec)?;
    row(out, "replay", r.replay_per_sec)?;
    row(out, "replay + final ranking", r.replay_total_per_sec)?;
    writeln!(
        out,
        "  replay / typed anchor          {:.3}   (replay / Value anchor {:.3})",
        r.ratio_typed, r.ratio_value
    )?;
    if !r.stage_us.is_empty() {
        writeln!(out, "  stages (each timed alone, per event):")?;
        let names = stages::StageSecs::default().parts().map(|(n, _)| n);
        let total: f64 = names.iter().filter_map(|n| r.stage_us.get(*n)).sum();
        for name in names {
            let us = r.stage_us.get(name).copied().unwrap_or(0.0);
            let share = us / total.max(1e-12);
            writeln!(out, "    {name:<18} {:>5.1}%  {us:>6.2} µs", share * 100.0)?;
        }
        let whole = r.stage_us.get(WHOLE).copied().unwrap_or(0.0);
        writeln!(
            out,
            "    (one whole evaluation, timed alone: {whole:.2} µs)"
        )?;
    }
    writeln!(
        out,
        "  final ranking                  {:.3} s ({} accounts)",
        p.finish_secs, p.accounts
    )?;
    writeln!(
        out,
        "  rollover sweep (+1 day)        {:.3} s ({} accounts due, {} items changed; {:.0} accounts/s)",
        p.sweep_secs,
        p.sweep_due,
        p.sweep_changed,
        p.sweep_due as f64 / p.sweep_secs.max(1e-9)
    )?;
    writeln!(
        out,
        "  memory per account             {:.0} B resident added ({:.0} B estimated state); peak RSS {:.0} MiB",
        p.rss_bytes_per_account,
        p.state_bytes_per_account,
        r.peak_rss_bytes as f64 / 1048576.0
    )?;
    writeln!(out, "  rejected                       {}", p.rejected)
}
