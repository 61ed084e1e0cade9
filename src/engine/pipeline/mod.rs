//! The pipeline: decoded events → account state → features → scores → policy → priority → work
//! item, with versioning. The one engine that `replay`, the tests, the simulator's backtest and the
//! daemon all drive.
//!
//! Pure and synchronous: time arrives as a value (each account is evaluated at its own latest event
//! time, and at whatever clock the caller passes to [`Pipeline::evaluate_all`]). A work item's
//! `version` grows by one each time its content changes, so the same events give the same items,
//! byte for byte, however they are batched or partitioned.

use std::sync::Arc;

use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::engine::account::Account;
use crate::engine::domain::*;
use crate::engine::events::{self, Event, EventBody, Reject};
use crate::engine::features::{self, Features};
use crate::engine::policy::{self, Decision};
use crate::engine::ranking;
use crate::engine::scoring::{Scorer, Scores};
use crate::engine::settings::Settings;
use crate::engine::workitem::{Action, ItemScores, WorkItem};

/// An account and what identifies its latest published work item. The item itself is not kept:
/// it is a pure function of the account and the clock, re-computed on demand from
/// `evaluated_at`, so only its fingerprint, version and `as_of` are stored.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub account: Account,
    /// Version of the latest item (0: none yet).
    pub version: u64,
    /// Content fingerprint of the latest item (everything but `version` and `as_of`).
    pub fingerprint: u64,
    /// When the latest item's content was first computed (its `as_of`).
    pub as_of: Timestamp,
    /// The clock of the latest evaluation; the state has not changed since.
    pub evaluated_at: Timestamp,
    /// Tone-ladder step of the latest item's debtor action, if any.
    pub tone: Option<u8>,
    /// When the item may change with no event (for a timer); None when only events change it.
    pub wake_at: Option<Timestamp>,
}

/// What applying one event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The account's work item changed (a new version is available through [`Pipeline::item`]).
    Changed,
    Unchanged,
    /// The event id was already applied to this account; ignored.
    Duplicate,
}

/// Counters of what the pipeline did (the metrics layer reads these).
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub applied: u64,
    pub duplicates: u64,
    pub rejected: [u64; RejectReason::ALL.len()],
    pub items_changed: u64,
    /// Contact attempts under a contact id the account's profile does not list: applied to the
    /// caps (the call happened) and counted here.
    pub unknown_contacts: u64,
}

/// Everything an evaluation produced, for explanations (`/v1/accounts/{id}`, tests).
pub struct Evaluation {
    pub features: Features,
    pub scores: Scores,
    pub segment: Segment,
    pub decision: Decision,
    pub item: WorkItem,
}

/// One account's id and entry as it was, for [`Pipeline::rollback`].
pub type Checkpoint = (String, Option<Box<Entry>>);

pub struct Pipeline {
    settings: Arc<Settings>,
    scorer: Arc<Scorer>,
    accounts: ahash::AHashMap<String, Box<Entry>>,
    stats: Stats,
    /// Largest event time seen.
    clock: Option<Timestamp>,
    /// Changed items waiting for a sink, when collecting (see `collect_published`).
    published: Option<Vec<WorkItem>>,
    panic_on: Option<String>, // Test-only: see [`Pipeline::inject_panic_on`].
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

pub fn segment_of(s: &Scores, settings: &Settings) -> Segment {
    let willing = s.willingness.get() >= settings.raw.scoring.willing_threshold;
    let able = s.ability.get() >= settings.raw.scoring.able_threshold;
    match (willing, able) {
        (true, true) => Segment::WillingAble,
        (true, false) => Segment::WillingUnable,
        (false, true) => Segment::UnwillingAble,
        (false, false) => Segment::UnwillingUnable,
    }
}

/// Evaluates one account at `now` (version and as_of are filled by the caller).
pub fn evaluate(acc: &Account, now: Timestamp, settings: &Settings, scorer: &Scorer) -> Evaluation {
    let tz = acc.profile.timezone().cloned().unwrap_or(TimeZone::UTC);
    let f = features::compute(acc, now, &tz, &features::Params::of(settings));
    let scores = scorer.score(&f.vector);
    let segment = segment_of(&scores, settings);
    let profile = settings.profile_for(acc.profile.portfolio());
    let decision = policy::decide(&policy::Context {
        acc,
        f: &f,
        segment,
        settings,
        profile,
        now,
    });
    let currency = acc.profile.currency().to_owned();
    let mut reasons = Vec::with_capacity(decision.reasons.len() + 12);
    reasons.extend_from_slice(&decision.reasons);
    let (mut priority, mut expected, mut action) = (0.0, 0, None);
    if let (Status::Open, Some(plan)) = (decision.status, &decision.action) {
        let r = ranking::rank(&f, &scores, plan, &currency, settings);
        priority = r.priority;
        expected = r.expected_recovery;
        reasons.extend(r.reasons);
        reasons.extend(ranking::score_drivers(scorer, &f, 2));
        let best_time = if matches!(plan.channel, Channel::Call | Channel::Sms) {
            best_time(acc, &f, plan, &tz, settings)
        } else {
            None
        };
        action = Some(Action {
            channel: plan.channel,
            contact_id: plan.contact_id.clone(),
            party: plan.party,
            strategy: plan.strategy,
            disclosure: plan.disclosure(),
            not_before: plan.not_before,
            not_after: plan.not_after,
            best_time,
        });
    }
    reasons.sort_by(|a, b| {
        b.weight
            .total_cmp(&a.weight)
            .then_with(|| a.code.cmp(b.code))
    });
    let mut seen: Vec<&'static str> = Vec::with_capacity(reasons.len());
    reasons.retain(|r| {
        let fresh = !seen.contains(&r.code);
        seen.push(r.code);
        fresh
    });
    reasons.truncate(10);
    reasons.shrink_to_fit();
    let mut decision = decision;
    decision.wake_at = clock_wake(acc, &f, &tz, decision.wake_at);
    let item = WorkItem {
        account_id: acc.id.clone(),
        version: 0,
        status: decision.status,
        hold_reason: decision.hold,
        priority,
        expected_recovery: expected,
        currency,
        days_past_due: f.dpd,
        stage: f.stage,
        overdue_amount: f.overdue,
        segment,
        scores: ItemScores {
            willingness: round4(scores.willingness.get()),
            ability: round4(scores.ability.get()),
            model_version: scorer.model_version.clone(),
        },
        action,
        reasons,
        policy: profile.label.clone(),
        as_of: now,
    };
    Evaluation {
        features: f,
        scores,
        segment,
        decision,
        item,
    }
}

/// When the clock alone may change the item: the decision's own wake-up, and, for an account that
/// owes or will owe, the next local midnight (days past due grow) and the day a coming statement
/// turns `pre_due`.
fn clock_wake(
    acc: &Account,
    f: &Features,
    tz: &TimeZone,
    decided: Option<Timestamp>,
) -> Option<Timestamp> {
    if acc.closed.is_some() {
        return decided;
    }
    let mut wake = decided;
    let mut consider = |t: Timestamp| {
        if t > f.now {
            wake = Some(wake.map_or(t, |w: Timestamp| w.min(t)));
        }
    };
    if f.dpd > 0 || f.stage == Stage::PreDue {
        if let Ok(d) = f.today.tomorrow() {
            consider(features::local_midnight(d, tz));
        }
    }
    if let Some(due) = f.next_due {
        for days in [-3i64, 1] {
            if let Ok(d) = due.checked_add(jiff::Span::new().days(days)) {
                consider(features::local_midnight(d, tz));
            }
        }
    }
    wake
}

/// The likeliest hour to reach the debtor inside the window: the account's own answer rates by
/// local hour, smoothed toward the portfolio prior; on a promise's due date, before 16:00.
fn best_time(
    acc: &Account,
    f: &Features,
    plan: &policy::Plan,
    tz: &TimeZone,
    settings: &Settings,
) -> Option<Timestamp> {
    let rates = features::answer_rates_by_hour(acc, &settings.hourly_prior);
    // Suggest nothing already past: start from the current hour when the window is open now.
    let from = if plan.not_before < f.now {
        let h = tz.to_datetime(f.now);
        h.date()
            .at(h.hour(), 0, 0, 0)
            .to_zoned(tz.clone())
            .ok()?
            .timestamp()
            .max(plan.not_before)
    } else {
        plan.not_before
    };
    let start = tz.to_datetime(from);
    let end = tz.to_datetime(plan.not_after);
    let promise_day = plan.strategy == Strategy::PromiseFollowup
        && f.promise
            .as_ref()
            .is_some_and(|p| p.due_date == start.date());
    // Choose the hour by its rate first (the earliest of equals), then convert only that hour.
    let first = start.hour() as i32;
    let last = if end.date() == start.date() {
        end.hour() as i32
    } else {
        24
    };
    let mut best: Option<(f64, i32)> = None;
    for h in first..last {
        if !(promise_day && h >= 16) && best.is_none_or(|(r, _)| rates[h as usize] > r) {
            best = Some((rates[h as usize], h));
        }
    }
    let h = match best {
        Some((_, h)) => h,
        // A window that starts in its last hour (or a promise day after 16:00): its start.
        None => return Some(from).filter(|t| *t < plan.not_after),
    };
    let at = if h == first {
        from
    } else {
        start
            .date()
            .at(h as i8, 0, 0, 0)
            .to_zoned(tz.clone())
            .ok()?
            .timestamp()
    };
    Some(if at < plan.not_after { at } else { from })
}

impl Pipeline {
    pub fn new(settings: Arc<Settings>, scorer: Arc<Scorer>) -> Pipeline {
        Pipeline {
            settings,
            scorer,
            accounts: ahash::AHashMap::new(),
            stats: Stats::default(),
            clock: None,
            published: None,
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

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn scorer(&self) -> &Scorer {
        &self.scorer
    }

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
        if !self.accounts.contains_key(ev.account_id.as_str()) {
            let entry = Entry {
                account: Account::new(&ev.account_id, ev.occurred_at),
                version: 0,
                fingerprint: 0,
                as_of: ev.occurred_at,
                evaluated_at: ev.occurred_at,
                tone: None,
                wake_at: None,
            };
            self.accounts.insert(ev.account_id.clone(), Box::new(entry));
        }
        let entry = self
            .accounts
            .get_mut(ev.account_id.as_str())
            .expect("inserted above");
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
            if let (true, Some(t)) = (reached, entry.tone) {
                entry.account.tone_used = Some(entry.account.tone_used.map_or(t, |u| u.max(t)));
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
        let (item, changed) = Self::refresh(&self.settings, &self.scorer, entry, now);
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

    /// Re-evaluates one entry at `now`: returns its current item (version and `as_of` filled) and
    /// whether it changed (then the version grew by one).
    fn refresh(
        settings: &Settings,
        scorer: &Scorer,
        entry: &mut Entry,
        now: Timestamp,
    ) -> (WorkItem, bool) {
        let ev = evaluate(&entry.account, now, settings, scorer);
        let mut item = ev.item;
        let fp = item.fingerprint();
        entry.wake_at = ev.decision.wake_at;
        entry.evaluated_at = now;
        entry.tone = item
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
        item.version = entry.version;
        item.as_of = entry.as_of;
        (item, changed)
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
            let (item, c) = Self::refresh(&self.settings, &self.scorer, entry, now);
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
            let (item, changed) = Self::refresh(&self.settings, &self.scorer, entry, now);
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

    /// The account's latest published item.
    pub fn item(&self, account_id: &str) -> Option<WorkItem> {
        let e = self.accounts.get(account_id)?;
        (e.version > 0).then(|| self.materialize(e))
    }

    fn materialize(&self, e: &Entry) -> WorkItem {
        let mut item = evaluate(&e.account, e.evaluated_at, &self.settings, &self.scorer).item;
        item.version = e.version;
        item.as_of = e.as_of;
        item
    }

    pub fn entry(&self, account_id: &str) -> Option<&Entry> {
        self.accounts.get(account_id).map(|e| &**e)
    }

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

    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// Every account's latest item, in worklist order.
    pub fn ranked(&self) -> Vec<WorkItem> {
        let mut items: Vec<WorkItem> = self
            .accounts
            .values()
            .filter(|e| e.version > 0)
            .map(|e| self.materialize(e))
            .collect();
        items.sort_by(crate::engine::workitem::rank_order);
        items
    }

    /// The account's whole state (ledger and published-item identity) as bytes, for a changelog.
    pub fn snapshot(&self, account_id: &str) -> Option<Vec<u8>> {
        let e = self.accounts.get(account_id)?;
        Some(serde_json::to_vec(&**e).expect("account state always serializes"))
    }

    /// Restores an account from [`Pipeline::snapshot`] bytes, replacing any state it had; the
    /// item is not re-published (its version and fingerprint come with the state).
    pub fn restore(&mut self, bytes: &[u8]) -> Result<String, serde_json::Error> {
        let e: Entry = serde_json::from_slice(bytes)?;
        let id = e.account.id.clone();
        let t = e.account.last_event_at;
        self.clock = Some(self.clock.map_or(t, |c| c.max(t)));
        self.accounts.insert(id.clone(), Box::new(e));
        Ok(id)
    }

    /// Forgets an account (its partition moved to another instance).
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
