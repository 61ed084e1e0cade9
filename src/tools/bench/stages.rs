//! The replay benchmark's passes over one event file held in memory: the parse-only anchors
//! (serde_json into a small typed struct, and into `serde_json::Value`), decoding alone, decoding
//! and applying to account state alone, the whole replay, and a pass that times each stage of an
//! evaluation separately (features, scores and their drivers, the contact policy, the wake edges,
//! and the whole evaluation, whose remainder is ranking and item assembly).
//!
//! Every pass streams the same file on one thread (the page cache holds it after the first),
//! so their rates compare and a file larger than memory still runs; the stage pass's
//! timers cost tens of nanoseconds each and it evaluates each stage twice (alone and inside the
//! whole evaluation), so it gives shares, not the replay rate.

use std::borrow::Cow;
use std::hint::black_box;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::engine::account::Account;
use crate::engine::events;
use crate::engine::features;
use crate::engine::pipeline::{arm_profile, evaluate, segment_of, Pipeline};
use crate::engine::policy;
use crate::engine::ranking;
use crate::engine::scoring::Scorer;
use crate::engine::settings::Settings;
use crate::engine::wake;

/// Calls `f` with every line of the file (without its line end), skipping blank ones; returns
/// how many.
pub fn each_line(path: &Path, mut f: impl FnMut(&[u8])) -> anyhow::Result<usize> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let (mut buf, mut n) = (Vec::with_capacity(4096), 0usize);
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            return Ok(n);
        }
        let mut line = &buf[..];
        while let Some(l) = line
            .strip_suffix(b"\n")
            .or_else(|| line.strip_suffix(b"\r"))
        {
            line = l;
        }
        if !line.iter().all(u8::is_ascii_whitespace) {
            n += 1;
            f(line);
        }
    }
}

/// Seconds `pass` takes over every line.
fn timed(path: &Path, pass: impl FnMut(&[u8])) -> anyhow::Result<f64> {
    let t = Instant::now();
    each_line(path, pass)?;
    Ok(t.elapsed().as_secs_f64())
}

/// The anchor's small typed struct: the fields every consumer of these events reads first.
#[derive(Deserialize)]
struct Small<'a> {
    #[serde(borrow)]
    event_id: Cow<'a, str>,
    #[serde(borrow, rename = "type")]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    account_id: Cow<'a, str>,
    #[serde(borrow)]
    occurred_at: Cow<'a, str>,
}

fn rate(n: usize, secs: f64) -> f64 {
    n as f64 / secs.max(1e-9)
}

/// Seconds to read every line (the floor under every pass).
pub fn read_only(path: &Path) -> anyhow::Result<f64> {
    let mut n = 0usize;
    let secs = timed(path, |l| n += l.len())?;
    black_box(n);
    Ok(secs)
}

/// Seconds to parse every line into [`Small`] (unknown fields skipped, as serde does).
pub fn parse_typed(path: &Path) -> anyhow::Result<f64> {
    let mut n = 0usize;
    let secs = timed(path, |l| {
        if let Ok(s) = serde_json::from_slice::<Small>(l) {
            n += s.event_id.len() + s.kind.len() + s.account_id.len() + s.occurred_at.len();
        }
    })?;
    black_box(n);
    Ok(secs)
}

/// Seconds to parse every line into a `serde_json::Value` tree.
pub fn parse_value(path: &Path) -> anyhow::Result<f64> {
    let mut n = 0usize;
    let secs = timed(path, |l| {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(l) {
            n += v.as_object().map_or(0, |o| o.len());
        }
    })?;
    black_box(n);
    Ok(secs)
}

/// Seconds to decode and validate every line into an event (the engine's own decoder).
pub fn decode_only(path: &Path) -> anyhow::Result<f64> {
    let mut n = 0usize;
    let secs = timed(path, |l| n += events::decode(l).is_ok() as usize)?;
    black_box(n);
    Ok(secs)
}

/// Seconds to decode every line and apply it to its account's state, with no evaluation.
pub fn decode_and_state(path: &Path) -> anyhow::Result<f64> {
    let mut accounts: ahash::AHashMap<String, Account> = ahash::AHashMap::new();
    let secs = timed(path, |l| {
        let Ok(ev) = events::decode(l) else { return };
        let acc = match accounts.get_mut(ev.account_id.as_str()) {
            Some(a) => a,
            None => accounts
                .entry(ev.account_id.clone())
                .or_insert_with(|| Account::new(&ev.account_id, ev.occurred_at)),
        };
        if !acc.seen(&ev.event_id) {
            let _ = acc.apply(&ev);
        }
    })?;
    black_box(accounts.len());
    Ok(secs)
}

/// Seconds spent in each stage of the evaluations a replay makes (one after every applied
/// event), each timed alone.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StageSecs {
    pub decode: f64,
    pub state: f64,
    pub features: f64,
    pub scoring: f64,
    pub drivers: f64,
    pub policy: f64,
    pub wake: f64,
    /// Priority and expected recovery (`ranking::rank`) of an open item.
    pub ranking: f64,
    /// The whole evaluation, timed alone (features to item; not a part of the sum).
    pub evaluate: f64,
    /// The item's content fingerprint (what decides a new version).
    pub fingerprint: f64,
}

impl StageSecs {
    /// `(stage, seconds)` in pipeline order; the parts of one evaluated event.
    pub fn parts(&self) -> [(&'static str, f64); 9] {
        [
            ("decode", self.decode),
            ("state apply", self.state),
            ("features", self.features),
            ("scores", self.scoring),
            ("score drivers", self.drivers),
            ("contact policy", self.policy),
            ("wake edges", self.wake),
            ("ranking", self.ranking),
            ("fingerprint", self.fingerprint),
        ]
    }
}

/// Times each stage for every line, on its own account state (see [`StageSecs`]).
pub fn stages(path: &Path, settings: &Settings, scorer: &Scorer) -> anyhow::Result<StageSecs> {
    let mut s = StageSecs::default();
    let params = features::Params::of(settings);
    let mut accounts: ahash::AHashMap<String, Account> = ahash::AHashMap::new();
    each_line(path, |l| {
        let t0 = Instant::now();
        let Ok(ev) = events::decode(l) else { return };
        let t1 = Instant::now();
        let acc = match accounts.get_mut(ev.account_id.as_str()) {
            Some(a) => a,
            None => accounts
                .entry(ev.account_id.clone())
                .or_insert_with(|| Account::new(&ev.account_id, ev.occurred_at)),
        };
        if acc.seen(&ev.event_id) || acc.apply(&ev).is_err() {
            return;
        }
        let t2 = Instant::now();
        let now = acc
            .closed_at
            .map_or(acc.last_event_at, |c| c.min(acc.last_event_at));
        let tz = acc.profile.timezone().cloned().unwrap_or(TimeZone::UTC);
        let f = features::compute(acc, now, &tz, &params);
        let t3 = Instant::now();
        let scores = scorer.score(&f.vector);
        let t4 = Instant::now();
        black_box(ranking::score_drivers(scorer, &f, 2));
        let t5 = Instant::now();
        let assignment = settings.experiments.assign(&acc.id, f.today);
        let decision = policy::decide(&policy::Context {
            acc,
            f: &f,
            segment: segment_of(&scores, settings),
            settings,
            profile: arm_profile(acc, settings, &assignment),
            now,
            holdout: assignment.holdout,
        });
        let t6 = Instant::now();
        black_box(wake::feature_changes(acc, &f, &tz, &params));
        let t7 = Instant::now();
        if let (crate::engine::domain::Status::Open, Some(plan)) =
            (decision.status, &decision.action)
        {
            let arm = &settings.experiments.arms[assignment.arm];
            let by = ranking::RankBy {
                arm,
                uplift: scorer.uplift_for(&arm.name),
                min_holdout_rows: settings.experiments.min_holdout_rows,
            };
            let currency = acc.profile.currency();
            black_box(ranking::rank(&f, &scores, plan, currency, settings, &by));
        }
        let t7r = Instant::now();
        s.ranking += (t7r - t7).as_secs_f64();
        let t7 = Instant::now();
        let e = evaluate(acc, acc.last_event_at, settings, scorer);
        let t8 = Instant::now();
        black_box(e.item.fingerprint());
        let t9 = Instant::now();
        s.decode += (t1 - t0).as_secs_f64();
        s.state += (t2 - t1).as_secs_f64();
        s.features += (t3 - t2).as_secs_f64();
        s.scoring += (t4 - t3).as_secs_f64();
        s.drivers += (t5 - t4).as_secs_f64();
        s.policy += (t6 - t5).as_secs_f64();
        s.wake += (t7 - t6).as_secs_f64();
        s.evaluate += (t8 - t7).as_secs_f64();
        s.fingerprint += (t9 - t8).as_secs_f64();
    })?;
    Ok(s)
}

/// What the replay pass measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReplayPass {
    pub apply_secs: f64,
    pub finish_secs: f64,
    pub accounts: usize,
    pub rejected: u64,
    /// `Pipeline::state_bytes` after the replay, per account (estimated heap and slots).
    pub state_bytes_per_account: f64,
    /// Resident memory the replay added (VmRSS after less before), per account.
    pub rss_bytes_per_account: f64,
    /// Re-evaluating every account whose `wake_at` has passed one day after the last event
    /// (the daily rollover the daemon's timer makes), and how many that was.
    pub sweep_secs: f64,
    pub sweep_due: usize,
    /// Of those, the items whose content changed.
    pub sweep_changed: usize,
}

/// The resident set size of this process now (Linux; 0 elsewhere).
pub fn rss_bytes() -> u64 {
    proc_status_kb("VmRSS:") * 1024
}

/// The process's peak resident set size (Linux; 0 elsewhere).
pub fn peak_rss_bytes() -> u64 {
    proc_status_kb("VmHWM:") * 1024
}

fn proc_status_kb(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// The whole replay of `data` (as `arrears replay` does it, from memory), then the final
/// ranking, then a day's rollover sweep.
pub fn replay(
    path: &Path,
    settings: Arc<Settings>,
    scorer: Arc<Scorer>,
) -> anyhow::Result<ReplayPass> {
    let rss0 = rss_bytes();
    let mut pipeline = Pipeline::new(settings, scorer);
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let t1 = Instant::now();
    let summary = crate::replay::apply_lines(&mut pipeline, file, None, None)?;
    let apply_secs = t1.elapsed().as_secs_f64();
    let rss1 = rss_bytes();
    let t2 = Instant::now();
    let items = crate::replay::finish(&mut pipeline, None);
    let mut sink = std::io::sink();
    crate::replay::write_items(&items, &mut sink)?;
    let finish_secs = t2.elapsed().as_secs_f64();
    drop(items);
    let accounts = pipeline.len().max(1);
    let state_bytes = pipeline.state_bytes() as f64 / accounts as f64;
    let day = pipeline
        .clock()
        .map(|c| crate::engine::domain::shift(c, 86_400));
    let due = day.map_or(0, |d| pipeline.due(d));
    let t3 = Instant::now();
    let changed = day.map_or(0, |d| pipeline.evaluate_due(d).len());
    let sweep_secs = t3.elapsed().as_secs_f64();
    Ok(ReplayPass {
        apply_secs,
        finish_secs,
        accounts: pipeline.len(),
        rejected: summary.rejected_total(),
        state_bytes_per_account: state_bytes,
        rss_bytes_per_account: rss1.saturating_sub(rss0) as f64 / accounts as f64,
        sweep_secs,
        sweep_due: due,
        sweep_changed: changed,
    })
}

/// The rate of `n` events in `secs`.
pub fn events_per_sec(n: usize, secs: f64) -> f64 {
    rate(n, secs)
}
