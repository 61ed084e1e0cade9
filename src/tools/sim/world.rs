//! The world: every simulated account (hidden traits and true state), the day loop that merges the
//! accounts' own agendas with the dialer's contacts in time order; it keeps the run's
//! [`SimStats`] and [`Violations`].
//!
//! Within a day, things happen in global time order (ties: account agenda before contacts, then
//! account index), and each event line goes to the dialer's `observe` as it is produced, so an
//! engine-backed dialer always knows everything that happened before it is asked to `confirm` a
//! contact.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::account::{Account, NEVER};
use super::behaviour::Ctx;
use super::calendar::{ts, Zones, DAY};
use super::config::SimConfig;
use super::dialer::Dialer;
use super::rng::{mix, stream, STREAM_STEP, STREAM_TRAITS};
use super::stats::{DayStats, SimStats};
use super::traits::{account_index, TraitDists, Traits};
use super::view::WorldView;
use super::violations::{Rules, Violations};

/// What one account's processing step borrows from the world, for a step on scratch state (the
/// paired oracle's forks).
#[derive(Clone, Copy)]
pub(crate) struct Shared<'a> {
    pub cfg: &'a SimConfig,
    pub zones: &'a Zones,
    pub traits: &'a [Traits],
    pub accounts: &'a [Account],
    pub rules: &'a Rules,
}

/// All debtors, their hidden traits and true state.
pub struct World {
    cfg: SimConfig,
    zones: Zones,
    traits: Vec<Traits>,
    accounts: Vec<Account>,
    start: i64,
    violations: Violations,
    rules: Rules,
    stats: SimStats,
    pending: Vec<String>,
}

impl World {
    /// A world whose accounts are under the shipped profile `cfg.profile`.
    ///
    /// # Panics
    /// If the shipped configuration has no such profile.
    pub fn new(cfg: &SimConfig) -> World {
        let rules = Rules::shipped(&cfg.profile)
            .unwrap_or_else(|| panic!("no shipped contact-policy profile {:?}", cfg.profile));
        World::with_rules(cfg, rules)
    }

    /// A world whose accounts are under `rules` (`cfg.profile` is only a label then).
    pub fn with_rules(cfg: &SimConfig, rules: Rules) -> World {
        let zones = Zones::load();
        let start = i64::from(super::calendar::days_of(cfg.start)) * DAY;
        let dists = TraitDists::new();
        let mut traits = Vec::with_capacity(cfg.accounts);
        let mut accounts = Vec::with_capacity(cfg.accounts);
        for i in 0..cfg.accounts {
            let mut rng = stream(cfg.seed, STREAM_TRAITS, i as u64, 0);
            let (mut tr, contacts) = dists.draw(i, &mut rng);
            if cfg.collections_book && tr.opening_missed == 0 {
                // A collections book: every account enters already behind (1-3 cycles).
                tr.start_in_arrears(1 + (mix(&[cfg.seed, i as u64, 11]) % 3) as u8);
            }
            let open_at = start + (mix(&[cfg.seed, i as u64, 7]) % 3_600) as i64;
            let mut acct = Account::new(open_at);
            let mut rng = stream(cfg.seed, STREAM_TRAITS, i as u64, 1);
            super::behaviour::initial_state(&mut tr, &contacts, &mut acct, &zones, &mut rng);
            share_numbers(cfg.seed, i, &mut acct);
            traits.push(tr);
            accounts.push(acct);
        }
        World {
            cfg: cfg.clone(),
            zones,
            traits,
            accounts,
            start,
            violations: Violations::default(),
            rules,
            stats: SimStats::default(),
            pending: Vec::new(),
        }
    }

    /// Hidden truth per account, in account order.
    pub fn traits(&self) -> impl Iterator<Item = &Traits> {
        self.traits.iter()
    }

    /// Contact-policy violations the world observed.
    pub fn violations(&self) -> &Violations {
        &self.violations
    }

    /// The contact-policy rules the accounts are under.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    pub fn stats(&self) -> &SimStats {
        &self.stats
    }

    pub fn config(&self) -> &SimConfig {
        &self.cfg
    }

    /// The world's read-only parts, for stepping a copy of one account elsewhere.
    pub(crate) fn shared(&self) -> Shared<'_> {
        Shared {
            cfg: &self.cfg,
            zones: &self.zones,
            traits: &self.traits,
            accounts: &self.accounts,
            rules: &self.rules,
        }
    }

    /// The dialer's view of the world at an instant.
    pub fn view_at(&self, at: jiff::Timestamp) -> WorldView<'_> {
        WorldView::new(&self.traits, &self.accounts, &self.zones, at.as_second())
    }

    /// Start of simulated day `day` (UTC midnight).
    pub fn day_start(&self, day: u32) -> jiff::Timestamp {
        ts(self.start + i64::from(day) * DAY)
    }

    /// Simulates one day (day index `day`, 0-based): billing events, debtor-initiated payments,
    /// rare events, and the contacts the dialer asks for; appends that day's events, in
    /// `occurred_at` order, to `out` as JSON lines. Days at or beyond `cfg.days` work the same
    /// way (a run can be continued, e.g. with no contacts, to see what is paid later).
    pub fn step_day(&mut self, day: u32, dialer: &mut dyn Dialer, out: &mut Vec<String>) {
        self.step(day, dialer, &mut |line| out.push(line));
    }

    /// [`World::step_day`], handing each line to `sink` as soon as the dialer observed it.
    fn step(&mut self, day: u32, dialer: &mut dyn Dialer, sink: &mut dyn FnMut(String)) {
        let ds = self.start + i64::from(day) * DAY;
        let de = ds + DAY;
        self.stats.days.push(DayStats {
            day,
            ..DayStats::default()
        });
        let planned = {
            let view = WorldView::new(&self.traits, &self.accounts, &self.zones, ds);
            dialer.plan_day(ts(ds), ts(de), &view)
        };
        let mut order: Vec<(i64, usize, usize)> = Vec::with_capacity(planned.len());
        for (p, c) in planned.iter().enumerate() {
            let at = c.at.as_second();
            match account_index(&c.account_id).filter(|&i| i < self.accounts.len()) {
                Some(i) if (ds..de).contains(&at) => order.push((at, i, p)),
                _ => self.stats.contacts_rejected += 1,
            }
        }
        order.sort_unstable();

        let mut heap: BinaryHeap<Reverse<(i64, usize)>> = self
            .accounts
            .iter()
            .enumerate()
            .filter(|(_, a)| a.next_at < de)
            .map(|(i, a)| Reverse((a.next_at, i)))
            .collect();
        let mut next_contact = 0;
        loop {
            let agenda = heap.peek().map(|r| r.0);
            let contact = order.get(next_contact).copied();
            let (i, before) = match (agenda, contact) {
                (Some((t, i)), c) if c.is_none_or(|c| t <= c.0) => {
                    heap.pop();
                    if self.accounts[i].next_at != t {
                        continue;
                    }
                    self.ctx(i).run_agenda(t);
                    (i, NEVER)
                }
                (_, Some((at, i, p))) => {
                    next_contact += 1;
                    let ok = {
                        let view = WorldView::new(&self.traits, &self.accounts, &self.zones, at);
                        dialer.confirm(&planned[p], &view)
                    };
                    if !ok {
                        self.stats.contacts_cancelled += 1;
                        continue;
                    }
                    let before = self.accounts[i].next_at;
                    self.ctx(i).run_contact(at, &planned[p]);
                    (i, before)
                }
                (_, None) => break,
            };
            for line in self.pending.drain(..) {
                dialer.observe(&line);
                sink(line);
            }
            let n = self.accounts[i].next_at;
            if n < de && n != before {
                heap.push(Reverse((n, i)));
            }
        }
    }

    fn ctx(&mut self, i: usize) -> Ctx<'_> {
        let acct = &mut self.accounts[i];
        let rng = stream(
            self.cfg.seed,
            STREAM_STEP,
            i as u64,
            u64::from(acct.rng_steps),
        );
        acct.rng_steps += 1;
        Ctx {
            idx: i,
            tr: &self.traits[i],
            a: acct,
            zones: &self.zones,
            cfg: &self.cfg,
            stats: &mut self.stats,
            violations: &mut self.violations,
            rules: &self.rules,
            out: &mut self.pending,
            rng,
            mute: false,
        }
    }

    /// Runs the whole simulation with one dialer, writing the lines to `sink` as they are made
    /// (newline-terminated; nothing is buffered beyond the writer) and calling `each_day` after
    /// every day.
    pub fn run(
        &mut self,
        dialer: &mut dyn Dialer,
        sink: &mut dyn std::io::Write,
        mut each_day: impl FnMut(u32),
    ) -> std::io::Result<()> {
        for day in 0..self.cfg.days {
            let mut failed = None;
            self.step(day, dialer, &mut |line| {
                if failed.is_none() {
                    let written = sink
                        .write_all(line.as_bytes())
                        .and_then(|()| sink.write_all(b"\n"));
                    failed = written.err();
                }
            });
            if let Some(e) = failed {
                return Err(e);
            }
            each_day(day);
        }
        sink.flush()
    }

    /// Writes the truth file: a header and one CSV row per account.
    pub fn write_truth(&self, sink: &mut dyn std::io::Write) -> std::io::Result<()> {
        writeln!(sink, "{}", Traits::CSV_HEADER)?;
        for t in &self.traits {
            writeln!(sink, "{}", t.csv_row())?;
        }
        sink.flush()
    }
}

/// Rarely (3% of third parties, by a hash so no random stream moves), a third party is listed
/// with the debtor's own number (a spouse sharing the phone).
fn share_numbers(seed: u64, index: usize, acct: &mut Account) {
    let Some(d) = acct.debtor_contact() else {
        return;
    };
    let number = acct.contacts[d].number;
    for (k, c) in acct.contacts.iter_mut().enumerate() {
        if c.role != super::traits::Role::Debtor
            && mix(&[seed, index as u64, k as u64, 0x5a4e]) % 100 < 3
        {
            c.number = number;
        }
    }
}
