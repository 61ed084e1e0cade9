//! `arrears simulate --calibration-report`: the figures the response models are judged by, for
//! both models on a collections book (every account starts delinquent) of `--accounts` accounts
//! and `--seed`: the share of untouched accounts (no contact at all) that make a payment within
//! 30, 90 and 150 days, by starting stage; and the paired effect ([`World::paired_outcomes`], 8
//! replicates) of one call attempt and of one text to the debtor's own number at 10:00 local on
//! day 0, over every account with a dialable debtor number, at 30, 90 and 150 days: in US cents
//! and in percentage points of P(any payment), also for the replicates in which the call was a
//! right-party conversation, and by starting stage and hidden willingness. Last, the oracle's
//! speed. Printed as Markdown tables (docs/simulator.md quotes them).

use std::io::Write;
use std::time::Instant;

use super::channel::{Channel, PlannedContact};
use super::config::{ResponseModel, SimConfig, SimulateArgs};
use super::dialer::{HouseDialer, IdleDialer};
use super::paired::PairedOutcome;
use super::traits::account_index;
use super::world::World;

const HORIZONS: [u32; 3] = [30, 90, 150];
const REPLICATES: u32 = 8;
const STAGES: [&str; 4] = ["m1 (1-30 dpd)", "m2 (31-60)", "m3 (61-90)", "m4+ (91+)"];
const BANDS: [&str; 3] = ["w < 0.4", "0.4 <= w < 0.75", "w >= 0.75"];

/// Starting stage of an account: cycles missed when the run starts, 1 → 0 … 4+ → 3.
fn stage(missed: u8) -> usize {
    usize::from(missed.clamp(1, 4) - 1)
}

fn band(w: f32) -> usize {
    match w {
        w if w < 0.4 => 0,
        w if w < 0.75 => 1,
        _ => 2,
    }
}

/// Sums of paired outcomes over accounts, per horizon.
#[derive(Debug, Clone, Copy, Default)]
struct Sum {
    accounts: u64,
    gain: [f64; 3],
    paid_gain: [f64; 3],
    paid_without: [f64; 3],
    rpc: [u64; 3],
    rpc_gain: [f64; 3],
    rpc_paid_gain: [f64; 3],
}

impl Sum {
    fn add(&mut self, o: &[PairedOutcome]) {
        self.accounts += 1;
        for (k, o) in o.iter().enumerate() {
            self.gain[k] += o.value.gain();
            self.paid_gain[k] += o.paid_with_contact - o.paid_without;
            self.paid_without[k] += o.paid_without;
            self.rpc[k] += u64::from(o.right_party_replicates);
            self.rpc_gain[k] += o.right_party_gain;
            self.rpc_paid_gain[k] += o.right_party_paid_gain;
        }
    }
    fn n(&self) -> f64 {
        self.accounts.max(1) as f64
    }
    /// Mean gain in US cents, in pp of P(any payment), and relative to P(paid without).
    fn cells(&self, k: usize) -> String {
        let rel = self.paid_gain[k] / self.paid_without[k].max(1e-9);
        format!(
            "{:.0} | {:+.2} pp | {:+.1}%",
            self.gain[k] / self.n(),
            100.0 * self.paid_gain[k] / self.n(),
            100.0 * rel
        )
    }
    fn rpc_cells(&self, k: usize) -> String {
        let n = self.rpc[k].max(1) as f64;
        format!(
            "{:.0} | {:+.2} pp",
            self.rpc_gain[k] / n,
            100.0 * self.rpc_paid_gain[k] / n
        )
    }
}

fn config(args: &SimulateArgs, model: ResponseModel) -> SimConfig {
    let mut cfg = SimConfig::new(args.accounts, 150, args.seed);
    cfg.start = args.start;
    cfg.collections_book = true;
    cfg.response = model;
    cfg
}

/// Prints the report for both models.
pub(crate) fn print(args: &SimulateArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(
        out,
        "# Calibration report: collections book, {} accounts, seed {}, start {}\n",
        args.accounts, args.seed, args.start
    )?;
    let mut speed = Vec::new();
    for model in [ResponseModel::Legacy, ResponseModel::Calibrated] {
        writeln!(out, "## Response model `{}`\n", model.as_str())?;
        self_cure(&config(args, model), out)?;
        speed.push((model, contacts(&config(args, model), out)?));
    }
    writeln!(
        out,
        "## Speed of `paired_value` (replicates {REPLICATES}; a call on day 30 after 30 days of the \
         house dialer, up to 2,000 open delinquent accounts; wall clock on this machine)\n"
    )?;
    writeln!(out, "| model | horizon 30 days | horizon 90 days |")?;
    writeln!(out, "|---|---|---|")?;
    for (model, (h30, h90)) in speed {
        writeln!(
            out,
            "| {} | {h30:.1} µs per call | {h90:.1} µs per call |",
            model.as_str()
        )?;
    }
    out.flush()?;
    Ok(())
}

/// Share of untouched accounts paying within each horizon, by starting stage.
fn self_cure(cfg: &SimConfig, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut world = World::new(cfg);
    let stages: Vec<usize> = world.traits().map(|t| stage(t.opening_missed)).collect();
    let mut first: Vec<Option<u32>> = vec![None; cfg.accounts];
    let mut lines = Vec::new();
    for day in 0..cfg.days {
        world.step_day(day, &mut IdleDialer, &mut lines);
        for l in lines.drain(..) {
            if !l.contains("\"type\":\"payment_received\"") {
                continue;
            }
            let id = l
                .split("\"account_id\":\"")
                .nth(1)
                .and_then(|r| r.split('"').next());
            if let Some(i) = id.and_then(account_index) {
                first[i].get_or_insert(day);
            }
        }
    }
    writeln!(
        out,
        "Untouched (no contact at all): share of accounts making a payment within\n"
    )?;
    writeln!(
        out,
        "| starting stage | accounts | 30 days | 90 days | 150 days |"
    )?;
    writeln!(out, "|---|---|---|---|---|")?;
    let row = |pick: &dyn Fn(usize) -> bool| {
        let n = (0..cfg.accounts).filter(|&i| pick(i)).count();
        let share = |h: u32| {
            let k = (0..cfg.accounts)
                .filter(|&i| pick(i) && first[i].is_some_and(|d| d < h))
                .count();
            100.0 * k as f64 / n.max(1) as f64
        };
        (n, share(30), share(90), share(150))
    };
    for (s, name) in STAGES.iter().enumerate() {
        let (n, a, b, c) = row(&|i| stages[i] == s);
        writeln!(out, "| {name} | {n} | {a:.1}% | {b:.1}% | {c:.1}% |")?;
    }
    let (n, a, b, c) = row(&|_| true);
    writeln!(out, "| all | {n} | {a:.1}% | {b:.1}% | {c:.1}% |\n")?;
    Ok(())
}

/// The paired effect of one call and one text on day 0; returns the oracle's µs per call at 30
/// and 90 days.
fn contacts(cfg: &SimConfig, out: &mut dyn Write) -> anyhow::Result<(f64, f64)> {
    let world = World::new(cfg);
    let (ds, de) = (world.day_start(0), world.day_start(1));
    let view = world.view_at(ds);
    let mut plans = Vec::new();
    for acct in view.accounts() {
        let Some(debtor) = acct.debtor_contact().filter(|c| c.dialable()) else {
            continue;
        };
        let Some(at) = acct.instant_at_local(ds, de, 10, 0) else {
            continue;
        };
        let plan = |channel| PlannedContact {
            account_id: acct.account_id().to_owned(),
            contact_id: Some(debtor.contact_id()),
            channel,
            at,
            third_party: false,
            disclose_debt: true,
        };
        plans.push((acct.index(), plan(Channel::Call), plan(Channel::Sms)));
    }
    let traits: Vec<(usize, usize)> = world
        .traits()
        .map(|t| (stage(t.opening_missed), band(t.willingness)))
        .collect();
    let (mut call, mut text) = (Sum::default(), Sum::default());
    let mut by_stage = [Sum::default(); 4];
    let mut by_band = [Sum::default(); 3];
    for (i, c, s) in &plans {
        let oc = world.paired_outcomes(*i, c, &HORIZONS, REPLICATES);
        call.add(&oc);
        by_stage[traits[*i].0].add(&oc);
        by_band[traits[*i].1].add(&oc);
        text.add(&world.paired_outcomes(*i, s, &HORIZONS, REPLICATES));
    }
    writeln!(
        out,
        "Paired effect of one contact at 10:00 local on day 0 ({} accounts with a dialable debtor \
         number, {REPLICATES} replicates each): mean gain in collections, in percentage points of \
         P(any payment), and relative to P(any payment) without it\n",
        plans.len()
    )?;
    writeln!(
        out,
        "| contact | horizon | gain (US cents) | P(any payment) | relative to P without |"
    )?;
    writeln!(out, "|---|---|---|---|---|")?;
    for (name, sum) in [("call attempt", &call), ("text", &text)] {
        for (k, h) in HORIZONS.iter().enumerate() {
            writeln!(out, "| {name} | {h} days | {} |", sum.cells(k))?;
        }
    }
    let share = 100.0 * call.rpc[0] as f64 / (call.n() * f64::from(REPLICATES));
    writeln!(
        out,
        "\nCalls that were a right-party conversation ({share:.1}% of attempts): mean gain and \
         P(pay) effect per conversation\n"
    )?;
    writeln!(
        out,
        "| group | ¢ 30 d | P(pay) 30 d | ¢ 90 d | P(pay) 90 d | ¢ 150 d | P(pay) 150 d |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|")?;
    let rpc_row = |name: &str, s: &Sum| {
        let cell = |k: usize| s.rpc_cells(k);
        format!("| {name} | {} | {} | {} |", cell(0), cell(1), cell(2))
    };
    writeln!(out, "{}", rpc_row("all", &call))?;
    for (s, name) in STAGES.iter().enumerate() {
        writeln!(out, "{}", rpc_row(name, &by_stage[s]))?;
    }
    for (b, name) in BANDS.iter().enumerate() {
        writeln!(out, "{}", rpc_row(name, &by_band[b]))?;
    }
    writeln!(out)?;
    Ok((timing(cfg, 30), timing(cfg, 90)))
}

/// Mean µs per `paired_value` call (a call at 10:00 local, 8 replicates) over up to 2,000 open,
/// delinquent accounts with a dialable number, after 30 days of the house dialer (as a backtest
/// would call it: accounts opened, with a history).
fn timing(cfg: &SimConfig, horizon: u32) -> f64 {
    let mut world = World::new(cfg);
    let mut dialer = HouseDialer::new(cfg.calls_per_day(), cfg.seed);
    let mut lines = Vec::new();
    for day in 0..30 {
        world.step_day(day, &mut dialer, &mut lines);
        lines.clear();
    }
    let (ds, de) = (world.day_start(30), world.day_start(31));
    let view = world.view_at(ds);
    let plans: Vec<(usize, PlannedContact)> = view
        .accounts()
        .filter(|a| !a.closed() && !a.on_hold() && a.days_past_due() > 0)
        .filter_map(|a| {
            let debtor = a.debtor_contact().filter(|c| c.dialable())?;
            let at = a.instant_at_local(ds, de, 10, 0)?;
            Some((
                a.index(),
                PlannedContact {
                    account_id: a.account_id().to_owned(),
                    contact_id: Some(debtor.contact_id()),
                    channel: Channel::Call,
                    at,
                    third_party: false,
                    disclose_debt: true,
                },
            ))
        })
        .take(2_000)
        .collect();
    let t0 = Instant::now();
    let mut total = 0.0;
    for (i, c) in &plans {
        total += world.paired_value(*i, c, horizon, REPLICATES).gain();
    }
    std::hint::black_box(total);
    t0.elapsed().as_secs_f64() * 1e6 / plans.len().max(1) as f64
}
