//! One executed contact judged against the account's true ledger under one profile's [`Rules`].
//!
//! Readings of `domain.md` this audit makes: calling hours, do-not-call, cease-contact, holds and
//! a pending promise apply to calls and texts alike; the 7-day call cap, the cool-down, the
//! connected-call cap and the hardship cap to calls, the SMS cap to texts, the calls + texts cap
//! to both. Do-not-call and "once per person" follow the phone number, not the contact id. Only
//! the debtor's own callback, at or after the requested time and within 7 days of it, exempts
//! that call from the 7-day caps and the cool-down, never from the connected-call or hardship
//! caps. The debtor is unreachable (third parties allowed) when no right-party conversation
//! happened in the last `locate_days` local days (or ever) and, if the debtor has a usable number,
//! at least `locate_failed` calls failed since the last one. A connected call is one someone
//! answered (right party, third party, refused).

use super::counts::Violations;
use super::rules::{Rules, ThirdParties};
use crate::tools::sim::account::{Account, Flag, NEVER};
use crate::tools::sim::calendar::DAY;
use crate::tools::sim::channel::Channel;
use crate::tools::sim::traits::Role;

/// When and to what a contact was made.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Contact {
    pub channel: Channel,
    /// The contact index, for calls and texts.
    pub contact: Option<usize>,
    pub disclose_debt: bool,
    pub at: i64,
    /// Debtor-local date and second of day of `at`.
    pub local_day: i32,
    pub local_sod: u32,
    /// Days past due at `at`.
    pub dpd: u32,
}

/// Whether the debtor's own callback request covers a call at `at`.
pub(crate) fn callback_due(acct: &Account, at: i64) -> bool {
    acct.callback_at != NEVER && at >= acct.callback_at && at < acct.callback_at + 7 * DAY
}

fn over(cap: u32, so_far: u32) -> bool {
    cap > 0 && so_far + 1 > cap
}

impl Violations {
    /// Judges one contact about to be executed and adds what it breaks; returns how many rules it
    /// broke.
    pub(crate) fn judge(&mut self, r: &Rules, acct: &Account, k: &Contact) -> u32 {
        let before = self.total();
        let (at, day) = (k.at, k.local_day);
        let call = k.channel == Channel::Call;
        let text = k.channel == Channel::Sms;
        let remote = call || text;
        let person = k.contact.and_then(|i| acct.contacts.get(i));
        let to_debtor = person.is_none_or(|c| c.role == Role::Debtor);
        let exempt = call && to_debtor && r.callback_exempt && callback_due(acct, at);
        let calls = acct.calls_between(at - 7 * DAY, at);
        let texts = acct.texts_between(at - 7 * DAY, at);

        if remote && !(r.hours_start..r.hours_end).contains(&k.local_sod) {
            self.outside_hours += 1;
        }
        if call && !exempt {
            if over(r.max_calls_7d, calls) {
                self.over_frequency += 1;
            }
            let cooled = acct.last_rpc_day.saturating_add(r.cooldown_days);
            if r.cooldown_days > 0 && acct.last_rpc_at <= at && day < cooled {
                self.after_conversation += 1;
            }
        }
        if remote && !exempt && over(r.max_contacts_7d, calls + texts) {
            self.over_contacts += 1;
        }
        if text && over(r.max_sms_7d, texts) {
            self.over_sms += 1;
        }
        if call && over(r.max_connected_per_day, acct.connected_on(day)) {
            self.over_connected_daily += 1;
        }
        if call && acct.has(Flag::Hardship) && over(r.hardship_max_calls_7d, calls) {
            self.over_hardship += 1;
        }
        if acct.hold() {
            self.during_hold += 1;
        }
        if remote && acct.has(Flag::CeaseContact) {
            self.cease_contact += 1;
        }
        let pending = acct.promise.is_some() && acct.promise_due.is_some_and(|d| day < d);
        if remote && pending {
            self.promise_pending += 1;
        }
        let Some(c) = person.filter(|_| remote) else {
            return (self.total() - before) as u32;
        };
        if acct.number_dnc(c.number) {
            self.do_not_call += 1;
        }
        if c.role != Role::Debtor {
            if r.third_parties == ThirdParties::Never {
                self.third_party_not_allowed += 1;
            } else {
                if k.dpd < r.third_party_min_dpd || !unreachable(r, acct, day) {
                    self.third_party_not_locating += 1;
                }
                if r.third_parties == ThirdParties::LocateWithConsent && !c.consent {
                    self.third_party_without_consent += 1;
                }
                if u32::from(acct.third_party_attempts(c.number)) >= r.third_party_per_person {
                    self.third_party_repeated += 1;
                }
            }
            if k.disclose_debt {
                self.third_party_disclosure += 1;
            }
        }
        (self.total() - before) as u32
    }
}

/// The debtor cannot be reached: third parties may be contacted to locate them.
fn unreachable(r: &Rules, acct: &Account, day: i32) -> bool {
    let quiet = acct.last_rpc_at == NEVER || day - acct.last_rpc_day >= r.locate_days;
    let usable = acct.debtor_contact().is_some_and(|d| {
        let c = &acct.contacts[d];
        !c.known_bad && !acct.number_dnc(c.number)
    });
    quiet && (!usable || u32::from(acct.failed_since_rpc) >= r.locate_failed)
}
