//! When the clock alone changes an evaluation: the `wake_at` of every item.
//!
//! The rule that makes the daemon and `arrears replay --as-of` agree: an account's item at clock
//! `T` is its evaluation at `T`, and an evaluation's content (everything but `version` and
//! `as_of`, see `WorkItem::fingerprint`) is constant from its clock until its `wake_at`, the
//! earliest instant after it at which evaluating again could give other content. The daemon
//! re-evaluates an account once its `wake_at` has passed (`Pipeline::evaluate_due`), replay
//! evaluates every account at `T` (`Pipeline::evaluate_all_items`): both see the same content at
//! every clock. Clocks are at or after the account's latest event (the pipeline never evaluates
//! earlier), and closed accounts are final (no wake).
//!
//! So every clock-dependent quantity an evaluation reads gives its next edge, computed from the
//! quantity itself (never by evaluating again), where it is decided:
//!
//! - here, for the features ([`feature_changes`]): the local date (days past due and stage,
//!   statements falling due, turning `pre_due` or leaving the 90/180-day windows, the days to
//!   payday, a promise's due date and the day after it), promise deadlines, records leaving the
//!   24-hour, 7-, 30- and 90-day windows, whole days since the last payment, the last conversation
//!   and the opening, a disclosed hardship ageing out, and the zone's own offset transitions;
//! - in the policy: holds ending (breathing space, a promise falling due, a callback's time and
//!   its expiry), the unreachable threshold, rolling caps freeing up, cool-downs and daily caps
//!   ending, calling windows opening and closing, a `contact_cap` hold turning into an open item;
//! - in ranking (a broken promise stops being recent) and in the best time to call (the local hour
//!   it is chosen from).
//!
//! Time arithmetic saturates; an edge that cannot be represented is no edge.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use crate::engine::account::Account;
use crate::engine::domain::*;
use crate::engine::features::{local_midnight, promise_deadline, Features, Params};

const DAY: i64 = 86_400;

/// The earliest of the instants it is shown that come after `now`.
#[derive(Debug, Clone, Copy)]
pub struct Wake {
    now: Timestamp,
    at: Option<Timestamp>,
}

impl Wake {
    /// No wake yet, for an evaluation at `now`.
    pub fn new(now: Timestamp) -> Wake {
        Wake { now, at: None }
    }

    /// An instant at which something changes (ignored unless after `now`).
    pub fn at(&mut self, t: Timestamp) {
        if t > self.now && self.at.is_none_or(|w| t < w) {
            self.at = Some(t);
        }
    }

    /// An instant that may not exist (a record that never changes anything again).
    pub fn maybe(&mut self, t: Option<Timestamp>) {
        if let Some(t) = t {
            self.at(t);
        }
    }

    /// `t` plus `seconds`, saturating.
    pub fn after(&mut self, t: Timestamp, seconds: i64) {
        self.at(shift(t, seconds));
    }

    /// The start of a local date.
    pub fn date(&mut self, d: Date, tz: &TimeZone) {
        self.at(local_midnight(d, tz));
    }

    /// The whole second `s` of the Unix epoch.
    pub fn second(&mut self, s: i64) {
        if let Ok(t) = Timestamp::from_second(s) {
            self.at(t);
        }
    }

    /// The next change of the whole days from `from` to the clock, counted on whole seconds
    /// (`(now − from).div_euclid(1 day)`) and clamped to `lo..=hi`.
    pub fn day_count(&mut self, from: Timestamp, lo: i64, hi: i64) {
        let f = from.as_second();
        let days = self.now.as_second().saturating_sub(f).div_euclid(DAY);
        if days >= hi {
            return;
        }
        let next = days.saturating_add(1).max(lo.saturating_add(1));
        self.second(f.saturating_add(next.saturating_mul(DAY)));
    }

    /// The next local hour boundary after `t` (where the local date or hour of a clock changes;
    /// offset transitions are edges of their own, see [`feature_changes`]).
    pub fn next_local_hour(&mut self, t: Timestamp, tz: &TimeZone) {
        let local = tz.to_datetime(t);
        let hour: DateTime = local.date().at(local.hour(), 0, 0, 0);
        if let Some(z) = hour
            .checked_add(1.hour())
            .ok()
            .and_then(|n| n.to_zoned(tz.clone()).ok())
        {
            self.at(z.timestamp());
        }
    }

    /// The earliest instant after `now` shown so far: the account's `wake_at`.
    pub fn get(&self) -> Option<Timestamp> {
        self.at
    }
}

/// The earlier of two optional instants.
pub fn sooner(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The earliest instant after `f.now` at which [`crate::engine::features::compute`] could give
/// other features for `acc` (None: only events change them).
pub fn feature_changes(
    acc: &Account,
    f: &Features,
    tz: &TimeZone,
    params: &Params,
) -> Option<Timestamp> {
    let now = f.now;
    let mut w = Wake::new(now);
    // The zone's offset changes: the local date and hour of a clock can move by them alone.
    if let Some(t) = tz.following(now).next() {
        w.at(t.timestamp());
    }

    // The local date. Days past due and the days to payday change every day; otherwise the next
    // day a statement falls due (`due_date < today`), turns `pre_due` (within 3 days) or leaves
    // the 90- or 180-day window, or a pending promise's due date (and the day after it) comes.
    let today = f.today;
    if f.dpd > 0 || f.days_to_payday.is_some() {
        if let Ok(d) = today.tomorrow() {
            w.date(d, tz);
        }
    } else {
        let mut next: Option<Date> = None;
        let mut consider = |d: Date| {
            if d > today && next.is_none_or(|n| d < n) {
                next = Some(d);
            }
        };
        for s in &acc.statements {
            for days in [-3i64, 1, 91, 181] {
                if let Ok(d) = s.due_date.checked_add(days.days()) {
                    consider(d);
                }
            }
        }
        if let Some(p) = &f.promise {
            consider(p.due_date);
            if let Ok(d) = p.due_date.tomorrow() {
                consider(d);
            }
        }
        if let Some(d) = next {
            w.date(d, tz);
        }
    }

    // Records leaving the rolling windows (`at > now − window`); none is longer than 90 days, so
    // older records have no edge left.
    let d90 = shift(now, -(90 * DAY));
    for x in acc.fees.iter().filter(|x| x.at > d90) {
        w.after(x.at, 90 * DAY);
    }
    let mut last_pay: Option<Timestamp> = None;
    for p in acc.payments.iter().filter(|p| p.reversed < p.amount) {
        if p.at > d90 {
            w.after(p.at, 30 * DAY);
            w.after(p.at, 90 * DAY);
        }
        last_pay = Some(last_pay.map_or(p.at, |l| l.max(p.at)));
    }
    if let Some(l) = last_pay {
        w.day_count(l, i64::MIN, 365);
    }
    for r in acc.reversals.iter().filter(|r| r.at > d90) {
        if r.reason == ReversalReason::InsufficientFunds {
            w.after(r.at, 90 * DAY);
        }
    }
    // Promises: made within 90 days, decided at their deadline, broken within 90 days.
    for p in &acc.promises {
        if p.made_at > d90 {
            w.after(p.made_at, 90 * DAY);
        }
        let deadline = promise_deadline(p, params.grace_days, tz);
        if deadline > d90 {
            w.at(deadline);
            w.after(deadline, 90 * DAY);
        }
    }
    // Attempts are kept sorted by time: the newest first, down to the 90-day window's start.
    for a in acc.attempts.iter().rev().take_while(|a| a.at > d90) {
        if a.channel == AttemptChannel::Call {
            w.after(a.at, DAY);
            w.after(a.at, 7 * DAY);
            w.after(a.at, 30 * DAY);
        }
        if a.outcome == Outcome::RightParty {
            w.after(a.at, 30 * DAY);
        }
        if a.outcome == Outcome::Refused
            || matches!(
                a.disposition,
                Some(Disposition::RefusedToPay | Disposition::Abusive)
            )
        {
            w.after(a.at, 90 * DAY);
        }
    }
    if let Some(l) = f.last_rpc {
        w.day_count(l, i64::MIN, 365);
    }
    let opened = acc.opened_at.unwrap_or(acc.first_event_at);
    w.day_count(opened, 0, 3650);
    if !acc.has(Flag::Hardship) {
        if let Some(h) = acc.hardship_disclosed_at {
            w.after(h, params.hardship_recent_days.saturating_mul(DAY));
        }
    }
    w.get()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn day_counts_change_on_whole_seconds_and_stop_at_the_cap() {
        let mut w = Wake::new(t("2026-03-10T12:00:00.5Z"));
        w.day_count(t("2026-03-01T06:00:00.9Z"), 0, 3650);
        assert_eq!(w.get(), Some(t("2026-03-11T06:00:00Z")));
        let mut w = Wake::new(t("2027-03-10T12:00:00Z"));
        w.day_count(t("2026-03-01T06:00:00Z"), i64::MIN, 365);
        assert_eq!(w.get(), None);
        // Before `from`, clamped at 0 until one whole day has passed.
        let mut w = Wake::new(t("2026-02-27T00:00:00Z"));
        w.day_count(t("2026-03-01T06:00:00Z"), 0, 3650);
        assert_eq!(w.get(), Some(t("2026-03-02T06:00:00Z")));
    }

    #[test]
    fn local_hours_follow_the_zone() {
        let ktm = TimeZone::get("Asia/Kathmandu").unwrap();
        let mut w = Wake::new(t("2026-03-10T03:20:00Z"));
        w.next_local_hour(t("2026-03-10T03:20:00Z"), &ktm);
        assert_eq!(w.get(), Some(t("2026-03-10T04:15:00Z")));
        // The repeated hour of a fall-back counts once: the next hour is 02:00 after it.
        let ny = TimeZone::get("America/New_York").unwrap();
        let mut w = Wake::new(t("2026-11-01T05:30:00Z"));
        w.next_local_hour(t("2026-11-01T05:30:00Z"), &ny);
        assert_eq!(w.get(), Some(t("2026-11-01T07:00:00Z")));
    }
}
