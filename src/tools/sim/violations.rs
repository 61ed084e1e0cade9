//! The world's own contact-policy audit. It judges every executed contact against the account's
//! true ledger as the world recorded it (not against anything a dialer claims), using the strict
//! profile: 08:00–21:00 debtor-local calling hours, at most 7 call attempts in any rolling 7 days,
//! no call in the 7 local days that start with a right-party conversation's date (a call at the
//! time the debtor asked to be called back is the debtor's request and counts against neither),
//! no contact during a hold, letters only under cease-contact, no calls to do-not-call numbers, and third parties only
//! with consent and at most once each.

use std::fmt;

use super::account::{Account, Flag};
use super::calendar::{DAY, HOUR};
use super::channel::Channel;

/// Counts of contacts that broke the contact policy (a contact can break several rules).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Violations {
    /// Calls outside 08:00–21:00 in the debtor's time zone.
    pub outside_hours: u64,
    /// Calls that made more than 7 call attempts on the account within 7 × 24 hours.
    pub over_frequency: u64,
    /// Calls within the 7 local days starting with a right-party conversation's date.
    pub after_conversation: u64,
    /// Any contact while a hold was in force (deceased, dispute, complaint, bankruptcy, fraud,
    /// legal hold, Breathing Space).
    pub during_hold: u64,
    /// Calls or texts under cease-contact (letters stay allowed).
    pub cease_contact: u64,
    /// Calls to a number with a do-not-call flag in force.
    pub do_not_call: u64,
    /// Calls or texts to a third party who did not consent to contact.
    pub third_party_without_consent: u64,
    /// Second and later calls or texts to the same third party.
    pub third_party_repeated: u64,
    /// Calls or texts to a third party whose script discloses the debt.
    pub third_party_disclosure: u64,
}

impl Violations {
    pub fn total(&self) -> u64 {
        self.outside_hours
            + self.over_frequency
            + self.after_conversation
            + self.during_hold
            + self.cease_contact
            + self.do_not_call
            + self.third_party_without_consent
            + self.third_party_repeated
            + self.third_party_disclosure
    }

    pub fn is_clean(&self) -> bool {
        self.total() == 0
    }

    /// Judges one contact about to be executed and adds what it breaks; returns how many rules it
    /// broke. `local_day` / `local_sod` are the debtor-local date and second of day of `at`;
    /// `contact` is the contact index when the channel dials a number.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn judge(
        &mut self,
        acct: &Account,
        channel: Channel,
        contact: Option<usize>,
        disclose_debt: bool,
        at: i64,
        local_day: i32,
        local_sod: u32,
    ) -> u32 {
        let before = self.total();
        let call = channel == Channel::Call;
        // A call to the debtor at the time the debtor asked to be called back is made at the
        // debtor's request: not counted against frequency caps or the post-conversation pause.
        let to_debtor = contact
            .and_then(|i| acct.contacts.get(i))
            .is_none_or(|c| c.role == super::traits::Role::Debtor);
        let requested =
            to_debtor && acct.callback_at != super::account::NEVER && at >= acct.callback_at;
        if call && !requested {
            if acct.calls_between(at - 7 * DAY, at) + 1 > 7 {
                self.over_frequency += 1;
            }
            if acct.last_rpc_at <= at && local_day < acct.last_rpc_day.saturating_add(7) {
                self.after_conversation += 1;
            }
        }
        if call && !(8 * HOUR..=21 * HOUR).contains(&i64::from(local_sod)) {
            self.outside_hours += 1;
        }
        if acct.hold() {
            self.during_hold += 1;
        }
        if channel != Channel::Letter && acct.has(Flag::CeaseContact) {
            self.cease_contact += 1;
        }
        if let Some(c) = contact.and_then(|i| acct.contacts.get(i).map(|c| (i, c))) {
            let (i, c) = c;
            if call && c.dnc {
                self.do_not_call += 1;
            }
            if channel != Channel::Letter && c.role != super::traits::Role::Debtor {
                if !c.consent {
                    self.third_party_without_consent += 1;
                }
                if acct.third_party_called & (1 << i) != 0 {
                    self.third_party_repeated += 1;
                }
                if disclose_debt {
                    self.third_party_disclosure += 1;
                }
            }
        }
        (self.total() - before) as u32
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (outside hours {}, over 7 in 7 days {}, within 7 days of a conversation {}, \
             during a hold {}, cease-contact {}, do-not-call {}, third party without consent {}, \
             third party repeated {}, third-party disclosure {})",
            self.total(),
            self.outside_hours,
            self.over_frequency,
            self.after_conversation,
            self.during_hold,
            self.cease_contact,
            self.do_not_call,
            self.third_party_without_consent,
            self.third_party_repeated,
            self.third_party_disclosure
        )
    }
}
