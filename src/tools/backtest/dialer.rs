//! The engine behind a simulated dialer: the strategies (the order in which the engine's lawful
//! open items are worked), the exploration policy that logs decision rows with their
//! propensities, and what the dialer counts on the way (complaints, disputes, hardship entries,
//! calls per account).

use jiff::{Span, Timestamp};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::engine::domain::{Channel, Party, Status};
use crate::engine::pipeline::Pipeline;
use crate::engine::ranking::amount_at_stake;
use crate::engine::workitem::WorkItem;
use crate::tools::sim::{self, Dialer, PlannedContact, WorldView};
use crate::tools::uplift::rows::{Ledger, Row};

/// How a dialer orders the engine's open items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// Whatever the engine ships as its default (the shipped configuration's champion arm).
    Arrears,
    /// The learned incremental ranking: the champion ranks by what a call adds.
    Uplift,
    /// Today's expected-recovery order (P(pay) × amount × urgency ÷ effort), for comparison.
    #[value(name = "expected_recovery")]
    ExpectedRecovery,
    /// Knows the simulated debtors' hidden response: ranks by the true extra collections of each
    /// call (paired counterfactual runs of the world); an upper bound.
    Oracle,
    /// Oldest delinquency first.
    #[value(name = "dpd_first")]
    DpdFirst,
    /// Largest overdue amount first.
    #[value(name = "balance_first")]
    BalanceFirst,
    /// Random order (seeded).
    Random,
    /// No contacts at all: what the portfolio pays on its own.
    Idle,
    /// Exploration: every account is held out of calls for whole blocks of
    /// [`EXPLORE_BLOCK_DAYS`] days with probability one half (a hash of the account and the
    /// block); the others' calls go in random order. At each block start every open call item is
    /// logged as an outcome row, treated unless held out, with propensity one half (training data
    /// for uplift: what being worked for a block adds, not only what calling today rather than
    /// tomorrow adds).
    Explore,
}

impl Order {
    pub fn name(self) -> &'static str {
        match self {
            Order::Arrears => "arrears",
            Order::Uplift => "uplift",
            Order::ExpectedRecovery => "expected_recovery",
            Order::Oracle => "oracle",
            Order::DpdFirst => "dpd_first",
            Order::BalanceFirst => "balance_first",
            Order::Random => "random",
            Order::Idle => "idle",
            Order::Explore => "explore",
        }
    }
}

/// Length of an exploration block (days).
pub const EXPLORE_BLOCK_DAYS: i64 = 14;

/// The exploration block of an instant (days since the epoch / block length).
fn block_of(t: Timestamp) -> i64 {
    t.as_second().div_euclid(86_400) / EXPLORE_BLOCK_DAYS
}

/// Whether exploration holds `account` out of calls during block `block`.
fn explore_held(account: &str, block: i64) -> bool {
    crate::engine::stable_hash(&[account.as_bytes(), &block.to_le_bytes(), b"explore"])
        .is_multiple_of(2)
}

/// What the dialer counted from the events it observed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counted {
    /// Complaints raised (dispositions and flags).
    pub complaints: u64,
    /// Disputes raised.
    pub disputes: u64,
    /// Hardship flags set.
    pub hardship_entries: u64,
}

/// The engine behind a simulated dialer.
pub struct EngineDialer {
    pub(crate) pipeline: Pipeline,
    order: Order,
    calls_per_day: usize,
    rng: ChaCha8Rng,
    /// Lines the engine rejected (a valid simulation has none).
    pub rejected: u64,
    letters: ahash::AHashMap<String, Timestamp>,
    /// The oracle's gain per account for the day being planned (set by the loop).
    pub oracle_gain: ahash::AHashMap<String, f64>,
    /// Calls confirmed, per account.
    pub calls_by_account: ahash::AHashMap<String, u32>,
    /// Exploration: decision rows awaiting their outcome.
    pub rows: Vec<Row>,
    /// Payments and reversals seen (to label rows).
    pub ledger: Ledger,
    /// Complaints, disputes and hardship entries seen.
    pub counted: Counted,
}

impl EngineDialer {
    pub fn new(pipeline: Pipeline, order: Order, calls_per_day: usize, seed: u64) -> EngineDialer {
        EngineDialer {
            pipeline,
            order,
            calls_per_day,
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_d1a1),
            rejected: 0,
            letters: ahash::AHashMap::new(),
            oracle_gain: ahash::AHashMap::new(),
            calls_by_account: ahash::AHashMap::new(),
            rows: Vec::new(),
            ledger: Ledger::default(),
            counted: Counted::default(),
        }
    }

    fn sort(&mut self, items: &mut [WorkItem]) {
        match self.order {
            // Already in worklist order (by the engine's priority).
            Order::Arrears | Order::Uplift | Order::ExpectedRecovery | Order::Idle => {}
            Order::Oracle => {
                let gain = |i: &WorkItem| {
                    self.oracle_gain
                        .get(&i.account_id)
                        .copied()
                        .unwrap_or(f64::NEG_INFINITY)
                };
                items.sort_by(|a, b| {
                    gain(b)
                        .total_cmp(&gain(a))
                        .then_with(|| a.account_id.cmp(&b.account_id))
                });
            }
            Order::DpdFirst => items.sort_by(|a, b| {
                b.days_past_due
                    .cmp(&a.days_past_due)
                    .then_with(|| a.account_id.cmp(&b.account_id))
            }),
            Order::BalanceFirst => items.sort_by(|a, b| {
                b.overdue_amount
                    .cmp(&a.overdue_amount)
                    .then_with(|| a.account_id.cmp(&b.account_id))
            }),
            Order::Random | Order::Explore => {
                // From a fixed order, so that the draw does not depend on the engine's ranking
                // (exploration rows must not depend on the uplift model they will train).
                items.sort_by(|a, b| a.account_id.cmp(&b.account_id));
                items.shuffle(&mut self.rng);
            }
        }
    }

    /// Logs the block's decision rows at its first day: every open debtor call item, treated
    /// unless held out for the block.
    fn log_rows(&mut self, open: &[WorkItem], day: Timestamp) {
        let block = block_of(day);
        if block_of(day - Span::new().hours(24)) == block {
            return;
        }
        for item in open {
            let call = item
                .action
                .as_ref()
                .is_some_and(|a| a.channel == Channel::Call && a.party == Party::Debtor);
            if !call {
                continue;
            }
            let Some(ev) = self.pipeline.explain(&item.account_id, day) else {
                continue;
            };
            self.rows.push(Row {
                account_id: item.account_id.clone(),
                at: day.as_second(),
                arm: "explore".into(),
                propensity: 0.5,
                treated: !explore_held(&item.account_id, block),
                stake: amount_at_stake(&ev.features) as f64,
                paid: 0.0,
                features: ev.features.vector,
                scores: [ev.scores.willingness.get(), ev.scores.ability.get()],
            });
        }
    }
}

/// When to make a contact inside both the item's window and the day, preferring `best_time`.
pub fn contact_time(
    item: &WorkItem,
    day_start: Timestamp,
    day_end: Timestamp,
) -> Option<Timestamp> {
    let a = item.action.as_ref()?;
    let from = a.not_before.max(day_start);
    let to = a.not_after.min(day_end);
    if from >= to {
        return None;
    }
    let last = to - Span::new().seconds(60);
    let at = a.best_time.unwrap_or(from).clamp(from, last.max(from));
    Some(at)
}

/// The simulator's channel for an engine channel (the simulator sends no email).
fn sim_channel(c: Channel) -> Option<sim::Channel> {
    match c {
        Channel::Call => Some(sim::Channel::Call),
        Channel::Sms => Some(sim::Channel::Sms),
        Channel::Letter => Some(sim::Channel::Letter),
        Channel::Email => None,
    }
}

/// The simulator's contact for an engine item at `at`.
pub fn planned(item: &WorkItem, at: Timestamp) -> Option<PlannedContact> {
    let action = item.action.as_ref()?;
    let channel = sim_channel(action.channel)?;
    Some(PlannedContact {
        account_id: item.account_id.clone(),
        contact_id: action.contact_id.clone(),
        channel,
        at,
        third_party: action.party == Party::ThirdParty,
        disclose_debt: action.disclosure == crate::engine::domain::Disclosure::Full,
    })
}

impl Dialer for EngineDialer {
    fn plan_day(
        &mut self,
        day_start: Timestamp,
        day_end: Timestamp,
        _: &WorldView,
    ) -> Vec<PlannedContact> {
        if self.order == Order::Idle {
            return Vec::new();
        }
        let (items, _) = self.pipeline.evaluate_all_items(day_start);
        let mut open: Vec<WorkItem> = items
            .into_iter()
            .filter(|i| i.status == Status::Open)
            .collect();
        self.sort(&mut open);
        let mut plan = Vec::new();
        let mut calls = 0;
        for item in &open {
            let Some(action) = &item.action else { continue };
            let Some(at) = contact_time(item, day_start, day_end) else {
                continue;
            };
            match action.channel {
                Channel::Call => {
                    let held = self.order == Order::Explore
                        && explore_held(&item.account_id, block_of(day_start));
                    if held || calls >= self.calls_per_day {
                        continue;
                    }
                    calls += 1;
                }
                Channel::Letter => {
                    // A letter a month at most: letters take no dialer capacity but are not free.
                    let recent = self
                        .letters
                        .get(&item.account_id)
                        .is_some_and(|t| at.as_second() - t.as_second() < 30 * 86_400);
                    if recent {
                        continue;
                    }
                    self.letters.insert(item.account_id.clone(), at);
                }
                Channel::Sms => {}
                Channel::Email => continue,
            }
            plan.extend(planned(item, at));
        }
        if self.order == Order::Explore {
            self.log_rows(&open, day_start);
        }
        plan
    }

    fn observe(&mut self, line: &str) {
        if self.pipeline.process_record(line.as_bytes()).is_err() {
            self.rejected += 1;
        }
        self.ledger.observe(line);
        let c = &mut self.counted;
        if line.contains("\"disposition\":\"complaint\"") || line.contains("\"flag\":\"complaint\"")
        {
            c.complaints += 1;
        }
        if line.contains("\"disposition\":\"dispute\"") || line.contains("\"flag\":\"dispute\"") {
            c.disputes += 1;
        }
        if line.contains("\"flag\":\"hardship\"") && line.contains("\"flag_set\"") {
            c.hardship_entries += 1;
        }
    }

    /// The dialer's last-moment check: the engine, evaluated at the contact's instant, must still
    /// recommend this contact, on this channel, and the instant must be inside its window.
    fn confirm(&mut self, c: &PlannedContact, _: &WorldView) -> bool {
        let Some(ev) = self.pipeline.explain(&c.account_id, c.at) else {
            return false;
        };
        let item = ev.item;
        let Some(a) = item.action.as_ref().filter(|_| item.status == Status::Open) else {
            return false;
        };
        let Some(channel) = sim_channel(a.channel) else {
            return false;
        };
        let ok = channel == c.channel
            && a.contact_id == c.contact_id
            && a.not_before <= c.at
            && c.at < a.not_after;
        if ok && c.channel == sim::Channel::Call {
            *self
                .calls_by_account
                .entry(c.account_id.clone())
                .or_default() += 1;
        }
        ok
    }
}

impl EngineDialer {
    /// Labels the rows with what each account paid over `horizon_days` after the decision,
    /// keeping the rows whose horizon ended by `end`.
    pub fn labelled_rows(&mut self, horizon_days: u32, end: Timestamp) -> Vec<Row> {
        let h = i64::from(horizon_days) * 86_400;
        let ledger = &self.ledger;
        std::mem::take(&mut self.rows)
            .into_iter()
            .filter(|r| r.at + h <= end.as_second())
            .map(|mut r| {
                r.paid = ledger.net(&r.account_id, r.at, h);
                r
            })
            .collect()
    }
}
