//! The pipeline: decoded events → account state → features → scores → policy → priority → work
//! item, with versioning. The one engine that `replay`, the tests, the simulator's backtest and the
//! daemon all drive.
//!
//! Pure and synchronous: time arrives as a value (each account is evaluated at its own latest event
//! time, and at whatever clock the caller passes to [`Pipeline::evaluate_all`]). A work item's
//! `version` grows by one each time its content changes, so the same events give the same items,
//! byte for byte, however they are batched or partitioned.
//!
//! The clock rule: an account's item at clock T is its evaluation at T, and an evaluation's content
//! is constant until its `wake_at` (`engine::wake`: the earliest instant after its clock at which
//! evaluating again could give other content). So [`Pipeline::evaluate_due`], which re-evaluates
//! only the accounts whose `wake_at` has passed (the daemon's timer), and
//! [`Pipeline::evaluate_all_items`], which re-evaluates every account (`replay --as-of`), give the
//! same content at every clock; only the versions, which count evaluations that changed
//! something, may differ.

mod entry;
mod evaluate;
pub mod records;
pub mod snapshot;

use std::sync::Arc;

use jiff::Timestamp;

use crate::engine::account::Account;
use crate::engine::decisions::{DecisionRecord, Position};
use crate::engine::domain::*;
use crate::engine::events::{self, Event, EventBody, Reject};
use crate::engine::scoring::Scorer;
use crate::engine::settings::Settings;
use crate::engine::workitem::WorkItem;

pub use entry::Entry;
pub use evaluate::{arm_profile, evaluate, segment_of, Evaluation};

/// Every entry's latest item in worklist order; [`Pipeline::ranked`] away from the pipeline.
pub fn rank(entries: &[Entry], settings: &Settings, scorer: &Scorer) -> Vec<WorkItem> {
    let mut items: Vec<WorkItem> = entries
        .iter()
        .map(|e| materialize(e, settings, scorer))
        .collect();
    items.sort_by(crate::engine::workitem::rank_order);
    items
}

fn materialize(e: &Entry, settings: &Settings, scorer: &Scorer) -> WorkItem {
    let mut item = evaluate(&e.account, e.evaluated_at, settings, scorer).item;
    item.version = e.version;
    item.as_of = e.as_of;
    item
}

/// When a closed account is forgotten with a retention of `days` (never while open, or with 0).
fn expiry(days: i64, account: &Account) -> Option<Timestamp> {
    let closed = account.closed_at.filter(|_| days > 0)?;
    Some(crate::engine::domain::shift(closed, days * 86_400))
}

/// What applying one event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The account's work item changed (a new version is available through [`Pipeline::item`]).
    Changed,
    /// The event was applied but the work item's content is the same.
    Unchanged,
    /// The event id was already applied to this account; ignored.
    Duplicate,
}

/// Counters of what the pipeline did (the metrics layer reads these).
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Events applied.
    pub applied: u64,
    /// Events ignored because their id was already applied to the account.
    pub duplicates: u64,
    /// Records rejected, indexed by [`RejectReason`] (`reason as usize`).
    pub rejected: [u64; RejectReason::ALL.len()],
    /// Work items whose content changed (each a new version).
    pub items_changed: u64,
    /// Contact attempts under a contact id the account's profile does not list: applied to the
    /// caps (the call happened) and counted here.
    pub unknown_contacts: u64,
    /// Closed accounts forgotten after `events.closed_retention_days`.
    pub expired: u64,
}

/// One account's id and entry as it was, for [`Pipeline::rollback`].
pub type Checkpoint = (String, Option<Box<Entry>>);

/// The engine: every account's state and item identity, the settings, the scorer and the stats.
pub struct Pipeline {
    settings: Arc<Settings>,
    scorer: Arc<Scorer>,
    accounts: ahash::AHashMap<String, Box<Entry>>,
    stats: Stats,
    /// Largest event time seen.
    clock: Option<Timestamp>,
    /// The external clock last passed (`set_clock_floor`): event times more than
    /// `events.max_clock_skew_hours` ahead of it are refused.
    clock_floor: Option<Timestamp>,
    /// Changed items waiting for a sink, when collecting (see `collect_published`).
    published: Option<Vec<WorkItem>>,
    /// The decision records of changed items, when collecting (see `collect_decisions`).
    decisions: Option<Vec<DecisionRecord>>,
    /// What the next evaluations are caused by (for decision records).
    position: Position,
    panic_on: Option<String>, // Test-only: see [`Pipeline::inject_panic_on`].
}

impl Pipeline {
    /// An empty pipeline with these settings and models.
    pub fn new(settings: Arc<Settings>, scorer: Arc<Scorer>) -> Pipeline {
        Pipeline {
            settings,
            scorer,
            accounts: ahash::AHashMap::new(),
            stats: Stats::default(),
            clock: None,
            clock_floor: None,
            published: None,
            decisions: None,
            position: Position::Clock,
            panic_on: None,
        }
    }

    /// Test-only: `apply` panics on event `event_id` after changing the account (no input reaches it).
    #[doc(hidden)]
    pub fn inject_panic_on(&mut self, event_id: Option<String>) {
        self.panic_on = event_id;
    }

    /// A copy of one account's entry (or its absence), for [`Pipeline::rollback`].
    pub fn checkpoint(&self, account_id: &str) -> Checkpoint {
        let entry = self.accounts.get(account_id).cloned();
        (account_id.to_string(), entry)
    }

    /// Puts an account back as [`Pipeline::checkpoint`] found it; drops unpublished items.
    pub fn rollback(&mut self, (id, entry): Checkpoint) {
        match entry {
            Some(e) => self.accounts.insert(id, e),
            None => self.accounts.remove(&id),
        };
        self.take_published();
    }

    /// The validated settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The willingness and ability models.
    pub fn scorer(&self) -> &Scorer {
        &self.scorer
    }

    /// What the pipeline has done so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Largest event time applied so far.
    pub fn clock(&self) -> Option<Timestamp> {
        self.clock
    }

    /// Counts a reject that happened outside `apply` (e.g. a Kafka key mismatch).
    pub fn count_reject(&mut self, reason: RejectReason) {
        self.stats.rejected[reason as usize] += 1;
    }

    /// Decodes and applies one record.
    pub fn process_record(&mut self, bytes: &[u8]) -> Result<Applied, Reject> {
        match events::decode(bytes) {
            Ok(ev) => self.apply(&ev),
            Err(r) => {
                self.count_reject(r.reason);
                Err(r)
            }
        }
    }

    /// Applies a decoded event and re-evaluates its account at the account's own clock.
    pub fn apply(&mut self, ev: &Event) -> Result<Applied, Reject> {
        if let Some(r) = self.clock_floor {
            let skew = self.settings.raw.events.max_clock_skew_hours;
            if ev.occurred_at > shift(r, skew * 3600) {
                self.stats.rejected[RejectReason::InvalidField as usize] += 1;
                return Err(Reject::new(
                    RejectReason::InvalidField,
                    format!(
                        "field `occurred_at` is more than {skew} h ahead of the clock {r} \
                         (events.max_clock_skew_hours)"
                    ),
                ));
            }
        }
        // An event after a closed account's retention starts a new account, as in the daemon
        // once its timer has forgotten it.
        let days = self.settings.raw.events.closed_retention_days;
        let id = ev.account_id.as_str();
        let known = self
            .accounts
            .get(id)
            .map(|e| expiry(days, &e.account).is_some_and(|x| ev.occurred_at >= x));
        let entry = match known {
            Some(false) => self.accounts.get_mut(id).expect("found above"),
            _ => {
                if known == Some(true) {
                    self.accounts.remove(id);
                    self.stats.expired += 1;
                }
                let entry = Entry {
                    account: Account::new(&ev.account_id, ev.occurred_at),
                    version: 0,
                    fingerprint: 0,
                    as_of: ev.occurred_at,
                    evaluated_at: ev.occurred_at,
                    tone: None,
                    wake_at: None,
                };
                self.accounts
                    .entry(ev.account_id.clone())
                    .or_insert_with(|| Box::new(entry))
            }
        };
        if self.panic_on.as_deref() == Some(ev.event_id.as_str()) {
            entry.version += 1000;
            panic!("injected panic on event {}", ev.event_id);
        }
        if entry.account.seen(&ev.event_id) {
            self.stats.duplicates += 1;
            return Ok(Applied::Duplicate);
        }
        let tone_before = entry.account.tone_used;
        let unknown_before = entry.account.unknown_contact_attempts;
        if let EventBody::ContactAttempt(a) = &ev.body {
            // The tone ladder advances when a message at that tone actually reached the debtor.
            let reached = matches!(a.outcome, Outcome::RightParty | Outcome::Delivered);
            if reached {
                if let Some(t) = Self::tone_at(&self.settings, &self.scorer, entry, ev.occurred_at)
                {
                    entry.account.tone_used = Some(entry.account.tone_used.map_or(t, |u| u.max(t)));
                }
            }
        }
        if let Err(r) = entry.account.apply(ev) {
            entry.account.tone_used = tone_before;
            self.stats.rejected[r.reason as usize] += 1;
            if entry.account.events_applied() == 0 {
                self.accounts.remove(&ev.account_id);
            }
            return Err(r);
        }
        self.stats.applied += 1;
        self.stats.unknown_contacts +=
            u64::from(entry.account.unknown_contact_attempts - unknown_before);
        self.clock = Some(self.clock.map_or(ev.occurred_at, |c| c.max(ev.occurred_at)));
        let now = entry.account.last_event_at;
        let records = self.decisions.as_mut().map(|d| (d, &self.position));
        let (item, changed) = Self::refresh(&self.settings, &self.scorer, entry, now, records);
        if changed {
            self.stats.items_changed += 1;
            if let Some(out) = self.published.as_mut() {
                out.push(item);
            }
            Ok(Applied::Changed)
        } else {
            Ok(Applied::Unchanged)
        }
    }

    /// The tone of the debtor action the account's item had when a contact attempt at `at` was
    /// made: its content at the clock `max(at, latest event)`, before the attempt is applied. The
    /// latest evaluation's tone when its content still holds then (evaluated at or before that
    /// clock and not yet woken), otherwise evaluated at that clock: the same however often (and at
    /// which clocks) a timer re-evaluated the account in between, as in replay and the daemon.
    fn tone_at(settings: &Settings, scorer: &Scorer, entry: &Entry, at: Timestamp) -> Option<u8> {
        let clock = at.max(entry.account.last_event_at);
        let holds = entry.evaluated_at <= clock && entry.wake_at.is_none_or(|w| clock < w);
        if entry.version == 0 || holds {
            return entry.tone;
        }
        let tone = evaluate::debtor_tone(&entry.account, clock, settings, scorer);
        debug_assert_eq!(
            tone,
            evaluate(&entry.account, clock, settings, scorer)
                .item
                .action
                .filter(|a| a.party == Party::Debtor)
                .and_then(|a| a.strategy.tone()),
            "debtor_tone is the evaluated item's tone"
        );
        tone
    }

    /// Re-evaluates one entry at `now`: returns its current item (version and `as_of` filled) and
    /// whether it changed (then the version grew by one).
    fn refresh(
        settings: &Settings,
        scorer: &Scorer,
        entry: &mut Entry,
        now: Timestamp,
        records: Option<(&mut Vec<DecisionRecord>, &Position)>,
    ) -> (WorkItem, bool) {
        let mut ev = evaluate(&entry.account, now, settings, scorer);
        let fp = ev.item.fingerprint();
        entry.wake_at = ev.decision.wake_at;
        entry.evaluated_at = now;
        entry.tone = ev
            .item
            .action
            .as_ref()
            .filter(|a| a.party == Party::Debtor)
            .and_then(|a| a.strategy.tone());
        let changed = entry.version == 0 || fp != entry.fingerprint;
        if changed {
            entry.version += 1;
            entry.fingerprint = fp;
            entry.as_of = now;
        }
        ev.item.version = entry.version;
        ev.item.as_of = entry.as_of;
        if let (true, Some((out, position))) = (changed, records) {
            out.push(records::record_of(
                &ev,
                &entry.account,
                &ev.item,
                position.clone(),
                settings,
            ));
        }
        (ev.item, changed)
    }

    /// Keeps a decision record of every changed item from now on, for
    /// [`Pipeline::take_decisions`].
    pub fn collect_decisions(&mut self) {
        self.decisions.get_or_insert_with(Vec::new);
    }

    /// The decision records since the last call, in the order their items changed.
    pub fn take_decisions(&mut self) -> Vec<DecisionRecord> {
        self.decisions
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// What the next applied event is (for its decision records); clock-driven evaluations
    /// record [`Position::Clock`].
    pub fn set_position(&mut self, position: Position) {
        self.position = position;
    }

    /// Raises the external clock event times are checked against: the daemon passes the wall clock
    /// before each record, replay its `--as-of`. Without one (replay of a file alone) there is no
    /// clock to check against: a sparse history legitimately has gaps of months.
    pub fn set_clock_floor(&mut self, now: Timestamp) {
        self.clock_floor = Some(self.clock_floor.map_or(now, |c| c.max(now)));
    }

    /// Keeps every changed item from now on, for [`Pipeline::take_published`] (a sink to publish).
    pub fn collect_published(&mut self) {
        self.published.get_or_insert_with(Vec::new);
    }

    /// The items that changed since the last call, in the order they changed.
    pub fn take_published(&mut self) -> Vec<WorkItem> {
        self.published
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    fn sorted_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.accounts.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// Re-evaluates every account at `now` (the clock moving with no event); returns how many
    /// items changed.
    pub fn evaluate_all(&mut self, now: Timestamp) -> usize {
        self.evaluate_all_items(now).1
    }

    /// Re-evaluates every account at `now`; returns every current item in worklist order and how
    /// many changed.
    pub fn evaluate_all_items(&mut self, now: Timestamp) -> (Vec<WorkItem>, usize) {
        let mut changed = 0;
        let mut items = Vec::with_capacity(self.accounts.len());
        for id in self.sorted_ids() {
            let entry = self.accounts.get_mut(&id).expect("id from keys");
            let records = self.decisions.as_mut().map(|d| (d, &Position::Clock));
            let (item, c) = Self::refresh(&self.settings, &self.scorer, entry, now, records);
            if c {
                changed += 1;
                if let Some(out) = self.published.as_mut() {
                    out.push(item.clone());
                }
            }
            items.push(item);
        }
        self.stats.items_changed += changed as u64;
        items.sort_by(crate::engine::workitem::rank_order);
        (items, changed)
    }

    /// Re-evaluates only the accounts whose decision may have changed by `now`; returns the
    /// items that changed.
    pub fn evaluate_due(&mut self, now: Timestamp) -> Vec<WorkItem> {
        let mut due: Vec<String> = self
            .accounts
            .iter()
            .filter(|(_, e)| e.wake_at.is_some_and(|w| w <= now))
            .map(|(id, _)| id.clone())
            .collect();
        due.sort();
        let mut out = Vec::new();
        for id in due {
            let entry = self.accounts.get_mut(&id).expect("id from keys");
            let records = self.decisions.as_mut().map(|d| (d, &Position::Clock));
            let (item, changed) = Self::refresh(&self.settings, &self.scorer, entry, now, records);
            if changed {
                out.push(item);
            }
        }
        self.stats.items_changed += out.len() as u64;
        if let Some(p) = self.published.as_mut() {
            p.extend(out.iter().cloned());
        }
        out
    }

    /// How many accounts' items may change by `now` (their `wake_at` has passed): the work of
    /// [`Pipeline::evaluate_due`] at `now`.
    pub fn due(&self, now: Timestamp) -> usize {
        let due = |e: &Entry| e.wake_at.is_some_and(|w| w <= now);
        self.accounts.values().filter(|e| due(e)).count()
    }

    /// The account's latest published item.
    pub fn item(&self, account_id: &str) -> Option<WorkItem> {
        let e = self.accounts.get(account_id)?;
        (e.version > 0).then(|| self.materialize(e))
    }

    fn materialize(&self, e: &Entry) -> WorkItem {
        materialize(e, &self.settings, &self.scorer)
    }

    /// The account's entry (ledger and item identity), if known.
    pub fn entry(&self, account_id: &str) -> Option<&Entry> {
        self.accounts.get(account_id).map(|e| &**e)
    }

    /// Number of accounts held.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// Estimated heap bytes of the whole state (entries, their keys and accounts).
    pub fn state_bytes(&self) -> usize {
        self.accounts
            .iter()
            .map(|(id, e)| {
                // The map slot (key and box, one control byte), the key, the boxed entry.
                std::mem::size_of::<(String, Box<Entry>)>()
                    + 1
                    + id.capacity()
                    + std::mem::size_of::<Entry>()
                    + e.account.heap_bytes()
            })
            .sum()
    }

    /// Whether no account is held.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// Every account's latest item, in worklist order.
    pub fn ranked(&self) -> Vec<WorkItem> {
        let (entries, settings, scorer) = self.ranking();
        rank(&entries, &settings, &scorer)
    }

    /// What [`rank`] needs, copied: the entries with an item, the settings and the scorer.
    pub fn ranking(&self) -> (Vec<Entry>, Arc<Settings>, Arc<Scorer>) {
        let entries = self.accounts.values().filter(|e| e.version > 0);
        let entries = entries.map(|e| (**e).clone()).collect();
        (entries, self.settings.clone(), self.scorer.clone())
    }

    /// The account's whole state (ledger and published-item identity) as bytes, for a changelog
    /// (the binary form of [`snapshot`]).
    pub fn snapshot(&self, account_id: &str) -> Option<Vec<u8>> {
        let e = self.accounts.get(account_id)?;
        Some(snapshot::encode(e))
    }

    /// Restores an account from [`Pipeline::snapshot`] bytes (binary, or the JSON earlier
    /// versions wrote), replacing any state it had; the item is not re-published (its version
    /// and fingerprint come with the state).
    pub fn restore(&mut self, bytes: &[u8]) -> Result<String, snapshot::SnapshotError> {
        let e = snapshot::decode(bytes)?;
        let id = e.account.id.clone();
        let t = e.account.last_event_at;
        self.clock = Some(self.clock.map_or(t, |c| c.max(t)));
        self.accounts.insert(id.clone(), Box::new(e));
        Ok(id)
    }

    /// When a closed account is forgotten: `events.closed_retention_days` after its closure
    /// (never while open, or with retention 0).
    pub fn expires_at(&self, account: &Account) -> Option<Timestamp> {
        expiry(self.settings.raw.events.closed_retention_days, account)
    }

    /// Forgets every account closed longer than the retention at `now`; returns their ids,
    /// sorted (the daemon writes a changelog tombstone for each).
    pub fn expire_closed(&mut self, now: Timestamp) -> Vec<String> {
        let mut gone: Vec<String> = self
            .accounts
            .iter()
            .filter(|(_, e)| self.expires_at(&e.account).is_some_and(|x| x <= now))
            .map(|(id, _)| id.clone())
            .collect();
        gone.sort();
        for id in &gone {
            self.accounts.remove(id);
        }
        self.stats.expired += gone.len() as u64;
        gone
    }

    /// Forgets an account (its partition was revoked, or its state is being rebuilt).
    pub fn drop_account(&mut self, account_id: &str) -> bool {
        self.accounts.remove(account_id).is_some()
    }

    /// Every account's ledger, in no particular order.
    pub fn accounts(&self) -> impl Iterator<Item = &Account> + '_ {
        self.accounts.values().map(|e| &e.account)
    }

    /// Explains an account now: its features, scores, decision and current item.
    pub fn explain(&self, account_id: &str, now: Timestamp) -> Option<Evaluation> {
        let e = self.accounts.get(account_id)?;
        Some(evaluate(&e.account, now, &self.settings, &self.scorer))
    }
}

#[cfg(test)]
mod tests;
