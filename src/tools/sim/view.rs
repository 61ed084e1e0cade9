//! The read-only view a dialer gets of the world: per account only what a lender's systems would
//! know (the published profile, what is owed and overdue, flags in force, the contact history),
//! never the hidden traits.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::account::{Account, Flag};
use super::calendar::{date_of, ts, Zones, ZONES};
use super::traits::{Role, Traits};

/// The world as a dialer may see it at one instant.
pub struct WorldView<'a> {
    traits: &'a [Traits],
    accounts: &'a [Account],
    zones: &'a Zones,
    at: i64,
    zone_days: Vec<i32>,
}

impl<'a> WorldView<'a> {
    pub(crate) fn new(
        traits: &'a [Traits],
        accounts: &'a [Account],
        zones: &'a Zones,
        at: i64,
    ) -> WorldView<'a> {
        let zone_days = (0..ZONES.len())
            .map(|z| zones.local_day(z as u8, at))
            .collect();
        WorldView {
            traits,
            accounts,
            zones,
            at,
            zone_days,
        }
    }

    /// The instant this view describes.
    pub fn at(&self) -> Timestamp {
        ts(self.at)
    }

    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    pub fn account(&self, index: usize) -> AccountView<'_> {
        let tr = &self.traits[index];
        AccountView {
            index,
            tr,
            acct: &self.accounts[index],
            zones: self.zones,
            at: self.at,
            today: self.zone_days[tr.zone as usize],
        }
    }

    pub fn accounts(&self) -> impl Iterator<Item = AccountView<'_>> + '_ {
        (0..self.len()).map(|i| self.account(i))
    }

    /// Index of an account id of this world.
    pub fn index_of(&self, account_id: &str) -> Option<usize> {
        super::traits::account_index(account_id).filter(|&i| i < self.len())
    }
}

/// One account as a dialer sees it.
#[derive(Clone, Copy)]
pub struct AccountView<'a> {
    index: usize,
    tr: &'a Traits,
    acct: &'a Account,
    zones: &'a Zones,
    at: i64,
    today: i32,
}

/// A contact as a dialer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactView {
    /// The `n` of contact id `c-n`.
    pub number: u8,
    pub role: Role,
    pub consent_to_contact: bool,
    pub informed: bool,
    /// A do-not-call flag is in force on this number.
    pub do_not_call: bool,
    /// A call found this number wrong or disconnected.
    pub known_bad: bool,
}

impl ContactView {
    pub fn contact_id(&self) -> String {
        format!("c-{}", self.number)
    }
    pub fn is_third_party(&self) -> bool {
        self.role != Role::Debtor
    }
    /// Neither do-not-call nor known to be a bad number.
    pub fn dialable(&self) -> bool {
        !self.do_not_call && !self.known_bad
    }
}

impl<'a> AccountView<'a> {
    pub fn index(&self) -> usize {
        self.index
    }
    pub fn account_id(&self) -> &'a str {
        &self.tr.account_id
    }
    /// IANA name of the account's time zone.
    pub fn timezone(&self) -> &'static str {
        self.tr.timezone()
    }
    pub fn time_zone(&self) -> &'a TimeZone {
        self.zones.tz(self.tr.zone)
    }
    pub fn currency(&self) -> &'static str {
        self.tr.currency()
    }
    pub fn product(&self) -> &'static str {
        self.tr.product.as_str()
    }
    /// Whether `account_opened` has been published.
    pub fn opened(&self) -> bool {
        self.acct.opened
    }
    pub fn closed(&self) -> bool {
        self.acct.closed.is_some()
    }
    /// The account-local date at the view's instant.
    pub fn local_date(&self) -> Date {
        date_of(self.today)
    }
    /// The account-local wall clock at an instant.
    pub fn local_datetime(&self, at: Timestamp) -> DateTime {
        self.time_zone().to_datetime(at)
    }
    /// Days past due at the view's instant (0 when nothing is overdue).
    pub fn days_past_due(&self) -> u32 {
        self.acct.ledger.dpd(self.today)
    }
    /// Sum of unpaid minimums of past-due statements, minor units.
    pub fn overdue_amount(&self) -> i64 {
        self.acct.ledger.arrears(self.today).overdue
    }
    /// Everything billed plus fees, less net payments, minor units.
    pub fn balance(&self) -> i64 {
        self.acct.ledger.owed().max(0)
    }
    pub fn has_flag(&self, flag: Flag) -> bool {
        self.acct.has(flag)
    }
    /// A flag under which no contact is allowed is in force.
    pub fn on_hold(&self) -> bool {
        self.acct.hold()
    }
    /// Only letters are allowed.
    pub fn cease_contact(&self) -> bool {
        self.acct.has(Flag::CeaseContact)
    }
    /// The payday, when the lender knows it.
    pub fn payday_day_of_month(&self) -> Option<u8> {
        if self.acct.payday_public {
            self.tr.payday
        } else {
            None
        }
    }
    /// Contacts currently listed on the account.
    pub fn contacts(&self) -> impl Iterator<Item = ContactView> + 'a {
        self.acct
            .contacts
            .iter()
            .enumerate()
            .filter(|(_, c)| c.active)
            .map(|(i, c)| ContactView {
                number: (i + 1) as u8,
                role: c.role,
                consent_to_contact: c.consent,
                informed: c.informed,
                do_not_call: self.acct.number_dnc(c.number),
                known_bad: c.known_bad,
            })
    }
    /// The debtor's current number.
    pub fn debtor_contact(&self) -> Option<ContactView> {
        self.contacts().filter(|c| c.role == Role::Debtor).last()
    }
    /// Whether a third party (by contact number) was already contacted, under this contact id or
    /// another one with the same phone number.
    pub fn third_party_contacted(&self, number: u8) -> bool {
        let i = usize::from(number.max(1) - 1);
        number >= 1
            && (self.acct.third_party_called & (1 << i) != 0
                || self
                    .acct
                    .contacts
                    .get(i)
                    .is_some_and(|c| self.acct.third_party_attempts(c.number) > 0))
    }
    /// Call attempts in `(from, to]` (the last eight calls are remembered).
    pub fn calls_between(&self, from: Timestamp, to: Timestamp) -> u32 {
        self.acct.calls_between(from.as_second(), to.as_second())
    }
    pub fn last_call_at(&self) -> Option<Timestamp> {
        self.acct.last_call_at().map(ts)
    }
    pub fn last_right_party_at(&self) -> Option<Timestamp> {
        (self.acct.last_rpc_at != super::account::NEVER).then(|| ts(self.acct.last_rpc_at))
    }
    /// Account-local date of the last right-party conversation.
    pub fn last_right_party_date(&self) -> Option<Date> {
        (self.acct.last_rpc_day != i32::MIN).then(|| date_of(self.acct.last_rpc_day))
    }
    /// Calls since the last right-party conversation that did not reach the debtor.
    pub fn failed_attempts_since_right_party(&self) -> u32 {
        u32::from(self.acct.failed_since_rpc)
    }
    /// Due date of the promise in force, if any.
    pub fn promise_due(&self) -> Option<Date> {
        self.acct.promise_due.map(date_of)
    }
    /// Callback time the debtor asked for, if still ahead of the view.
    pub fn callback_at(&self) -> Option<Timestamp> {
        (self.acct.callback_at != super::account::NEVER && self.acct.callback_at >= self.at)
            .then(|| ts(self.acct.callback_at))
    }
    pub fn last_letter_at(&self) -> Option<Timestamp> {
        (self.acct.last_letter_at != super::account::NEVER).then(|| ts(self.acct.last_letter_at))
    }
    /// The first instant in `[from, to)` at local wall time `hour:minute`, if the window has one.
    pub fn instant_at_local(
        &self,
        from: Timestamp,
        to: Timestamp,
        hour: u32,
        minute: u32,
    ) -> Option<Timestamp> {
        self.zones
            .instant_in(
                self.tr.zone,
                from.as_second(),
                to.as_second(),
                hour * 3600 + minute * 60,
            )
            .map(ts)
    }
}
