//! Dialers: the interface through which a contact strategy plugs into the simulated world, and the
//! built-in `HouseDialer`, a conventional compliant baseline that calls the oldest delinquencies
//! first in the debtor's morning.

use jiff::Timestamp;
use rand::Rng;

use super::channel::{Channel, PlannedContact};
use super::rng::{stream, STREAM_DIALER};
use super::view::{AccountView, ContactView, WorldView};

/// A contact strategy.
pub trait Dialer {
    /// Called at the start of each simulated day (UTC midnight of that day) with the day's
    /// [start, end) instants. Returns the contacts to make that day.
    fn plan_day(
        &mut self,
        day_start: Timestamp,
        day_end: Timestamp,
        world: &WorldView,
    ) -> Vec<PlannedContact>;

    /// Every event line the world emits, in stream order (so a dialer backed by an engine can
    /// feed it); default no-op.
    fn observe(&mut self, _line: &str) {}

    /// Called just before a planned contact is made, with the world as it stands at that instant
    /// (and after every earlier event was passed to [`Dialer::observe`]); returning `false`
    /// cancels it, as a dialer's last-moment compliance check would. Default: make every contact.
    fn confirm(&mut self, _contact: &PlannedContact, _world: &WorldView) -> bool {
        true
    }
}

/// A dialer that contacts nobody.
#[derive(Debug, Clone, Copy, Default)]
pub struct IdleDialer;

impl Dialer for IdleDialer {
    fn plan_day(&mut self, _: Timestamp, _: Timestamp, _: &WorldView) -> Vec<PlannedContact> {
        Vec::new()
    }
}

/// The conventional baseline: each day, up to `calls_per_day` calls to delinquent accounts,
/// oldest days-past-due first, in the debtor's morning mostly; a text on a promise's due date;
/// a monthly letter where only letters are allowed. It follows the strict contact policy.
#[derive(Debug, Clone)]
pub struct HouseDialer {
    calls_per_day: usize,
    seed: u64,
    day: u64,
}

const SEVEN_DAYS: i64 = 7 * 86_400;

impl HouseDialer {
    pub fn new(calls_per_day: usize, seed: u64) -> HouseDialer {
        HouseDialer {
            calls_per_day,
            seed,
            day: 0,
        }
    }

    /// Whether a call to this account at `at` keeps every frequency rule.
    fn call_allowed(acct: &AccountView, at: Timestamp) -> bool {
        let local = acct.local_datetime(at);
        let minutes = i32::from(local.hour()) * 60 + i32::from(local.minute());
        let lawful = (8 * 60..21 * 60).contains(&minutes);
        let cooled = acct
            .last_right_party_date()
            .is_none_or(|d| (local.date() - d).get_days() >= 7);
        let week_ago = at
            .checked_sub(jiff::SignedDuration::from_secs(SEVEN_DAYS))
            .unwrap_or(at);
        let calls = acct.calls_between(week_ago, at);
        let hardship = acct.has_flag(super::account::Flag::Hardship);
        lawful && cooled && calls < 7 && (!hardship || calls < 2)
    }

    /// Whom to call: the debtor, or (to locate an unreachable debtor past the early stage) a
    /// consenting third party never contacted before.
    fn target(acct: &AccountView, dpd: u32) -> Option<ContactView> {
        let debtor = acct.debtor_contact().filter(ContactView::dialable);
        // Unreachable: no conversation in 14 local days and, when the debtor has a usable
        // number, at least 5 failed calls since the last one.
        let quiet = acct
            .last_right_party_at()
            .is_none_or(|t| (acct.local_date() - acct.local_datetime(t).date()).get_days() >= 14);
        let unreachable =
            quiet && (debtor.is_none() || acct.failed_attempts_since_right_party() >= 5);
        if dpd > 5 && unreachable {
            let third = acct.contacts().find(|c| {
                c.is_third_party()
                    && c.consent_to_contact
                    && c.dialable()
                    && !acct.third_party_contacted(c.number)
            });
            if third.is_some() {
                return third;
            }
        }
        debtor
    }
}

impl Dialer for HouseDialer {
    fn plan_day(
        &mut self,
        day_start: Timestamp,
        day_end: Timestamp,
        world: &WorldView,
    ) -> Vec<PlannedContact> {
        let mut rng = stream(self.seed, STREAM_DIALER, self.day, 0);
        self.day += 1;
        let mut queue: Vec<(u32, usize)> = world
            .accounts()
            .filter(|a| a.opened() && !a.closed() && !a.on_hold())
            .filter_map(|a| {
                let dpd = a.days_past_due();
                (dpd > 0).then_some((dpd, a.index()))
            })
            .collect();
        queue.sort_unstable_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));

        let mut plan = Vec::new();
        let mut calls = 0;
        for &(dpd, i) in &queue {
            let acct = world.account(i);
            if acct.cease_contact() {
                let stale = acct
                    .last_letter_at()
                    .is_none_or(|t| day_start.duration_since(t).as_secs() >= 30 * 86_400);
                if let (true, Some(at)) = (stale, acct.instant_at_local(day_start, day_end, 11, 0))
                {
                    plan.push(planned(&acct, None, Channel::Letter, at, false));
                }
                continue;
            }
            if let (Some(due), Some(debtor)) = (acct.promise_due(), acct.debtor_contact()) {
                if debtor.dialable() {
                    if let Some(at) = acct.instant_at_local(day_start, day_end, 10, 0) {
                        if acct.local_datetime(at).date() == due {
                            plan.push(planned(&acct, Some(&debtor), Channel::Sms, at, false));
                            continue;
                        }
                    }
                }
            }
            if calls >= self.calls_per_day
                || acct.promise_due().is_some_and(|d| d > acct.local_date())
            {
                continue;
            }
            let Some(target) = Self::target(&acct, dpd) else {
                continue;
            };
            let (hour, minute) = match rng.random_range(0..100) {
                0..=29 => (8, rng.random_range(0..15)),
                30..=69 => (rng.random_range(8..11), rng.random_range(0..60)),
                70..=89 => (rng.random_range(14..17), rng.random_range(0..60)),
                _ => (rng.random_range(18..20), rng.random_range(0..60)),
            };
            let Some(at) = acct.instant_at_local(day_start, day_end, hour, minute) else {
                continue;
            };
            let at = at
                .checked_add(jiff::SignedDuration::from_secs(rng.random_range(0..60)))
                .unwrap_or(at);
            if Self::call_allowed(&acct, at) {
                let third = target.is_third_party();
                plan.push(planned(&acct, Some(&target), Channel::Call, at, third));
                calls += 1;
            }
        }
        plan
    }

    fn confirm(&mut self, contact: &PlannedContact, world: &WorldView) -> bool {
        let Some(acct) = world
            .index_of(&contact.account_id)
            .map(|i| world.account(i))
        else {
            return false;
        };
        if acct.closed() || acct.on_hold() {
            return false;
        }
        if contact.channel == Channel::Letter {
            return true;
        }
        if acct.cease_contact() {
            return false;
        }
        let target = match &contact.contact_id {
            Some(id) => acct.contacts().find(|c| &c.contact_id() == id),
            None => acct.debtor_contact(),
        };
        // A third party only while the target rule still picks that person (the debtor may have
        // paid or been reached since the plan).
        let still_locating = |c: &ContactView| {
            !c.is_third_party()
                || Self::target(&acct, acct.days_past_due()).is_some_and(|t| t.number == c.number)
        };
        target.is_some_and(|c| {
            !c.do_not_call
                && still_locating(&c)
                && (contact.channel != Channel::Call || Self::call_allowed(&acct, contact.at))
        })
    }
}

fn planned(
    acct: &AccountView,
    contact: Option<&ContactView>,
    channel: Channel,
    at: Timestamp,
    third_party: bool,
) -> PlannedContact {
    PlannedContact {
        account_id: acct.account_id().to_owned(),
        contact_id: contact.map(ContactView::contact_id),
        channel,
        at,
        third_party,
        disclose_debt: !third_party,
    }
}
