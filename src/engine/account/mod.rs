//! Per-account state: the ledger of statements, payments, reversals, fees, promises, contact attempts,
//! flags and profile, built by applying events in order.
//!
//! Owns the rules that need state to check an event (unknown references, duplicate ids). Pure and
//! clock-free: what the state *means* at a given time is computed by `features`.

mod numbers;
pub mod records;
mod seen;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::engine::domain::*;
use crate::engine::events::{Attempt, Contact, Event, EventBody, ProfileFields, Reject};

pub use records::{AttemptRec, BadNumber, Fee, Payment, Promise, Reversal, Statement};

/// The account's profile, complete once `account_opened` has been applied.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Profile {
    /// The profile fields as merged from `account_opened` and every `account_updated`.
    pub fields: ProfileFields,
    /// True once `account_opened` arrived; until then the account is held with `profile_missing`.
    pub opened: bool,
}

impl Profile {
    /// The listed contacts (empty until a list arrives).
    pub fn contacts(&self) -> &[Contact] {
        self.fields.contacts.as_deref().unwrap_or(&[])
    }
    /// The listed contact with this id, if any.
    pub fn contact(&self, id: &str) -> Option<&Contact> {
        self.contacts().iter().find(|c| c.contact_id == id)
    }
    /// The account's time zone, `None` while unknown (the account is then not contacted).
    pub fn timezone(&self) -> Option<&jiff::tz::TimeZone> {
        self.fields.timezone.as_ref().map(|(_, tz)| tz)
    }
    /// The account's ISO 4217 currency, `XXX` while unknown.
    pub fn currency(&self) -> &str {
        self.fields.currency.as_deref().unwrap_or("XXX")
    }
    /// The account's portfolio, `consumer` unless set.
    pub fn portfolio(&self) -> Portfolio {
        self.fields.portfolio.unwrap_or(Portfolio::Consumer)
    }
    fn merge(&mut self, patch: ProfileFields) {
        let f = &mut self.fields;
        macro_rules! take {
            ($($name:ident),*) => { $( if patch.$name.is_some() { f.$name = patch.$name; } )* };
        }
        take!(
            timezone,
            currency,
            product,
            portfolio,
            credit_limit,
            payday_day_of_month,
            contacts
        );
    }
}

/// An account's whole ledger; serializable as a state snapshot (e.g. a changelog record).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    /// The account id (the Kafka key).
    pub id: String,
    /// The profile from `account_opened` and `account_updated`.
    pub profile: Profile,
    /// Event time of the first `account_opened` (UTC), `None` before it.
    pub opened_at: Option<Timestamp>,
    /// Earliest event time applied to this account (UTC).
    pub first_event_at: Timestamp,
    /// Latest event time applied to this account: the account's own clock.
    pub last_event_at: Timestamp,
    /// Kept sorted by (due_date, id): allocation pays oldest first.
    pub statements: Vec<Statement>,
    /// Payments received, in the order applied.
    pub payments: Vec<Payment>,
    /// Payment reversals, in the order applied.
    pub reversals: Vec<Reversal>,
    /// Fees charged, in the order applied.
    pub fees: Vec<Fee>,
    /// Promises made, in the order applied.
    pub promises: Vec<Promise>,
    /// Kept sorted by time.
    pub attempts: Vec<AttemptRec>,
    /// Bit set of flags in force (see [`Flag::bit`]); `do_not_call` lives in `do_not_call`.
    pub flags: u16,
    /// When Breathing Space was last set (it ends by itself after a configured number of days).
    pub breathing_space_since: Option<Timestamp>,
    /// Disputes and complaints put in force over the account's lifetime.
    pub disputes_lifetime: u32,
    /// Contact ids a `do_not_call` was set for (kept even for a contact not listed yet).
    pub do_not_call: Vec<String>,
    /// The normalised numbers on do-not-call: the rule follows the number across every listing,
    /// role and re-keyed contact list, for calls and texts.
    #[serde(default)]
    pub dnc_numbers: Vec<String>,
    /// Every contact id the account's lists have carried, with its (normalised) number: a
    /// do-not-call set on an id that a later list re-keyed away still finds its number.
    #[serde(default)]
    pub listed_numbers: std::collections::BTreeMap<String, String>,
    /// Per flag (and per do-not-call listing), the event time and kind of the latest change
    /// applied: a change older than it does not undo it.
    #[serde(default)]
    pub flag_changes: std::collections::BTreeMap<String, (Timestamp, bool)>,
    /// Contact attempts under a contact id the profile does not list: applied to the caps.
    #[serde(default)]
    pub unknown_contact_attempts: u32,
    /// Numbers found wrong or invalid, at most one per contact id.
    pub bad_numbers: Vec<BadNumber>,
    /// The time the debtor's own callback request asked for (UTC); a call at or after it uses it
    /// up.
    pub callback_at: Option<Timestamp>,
    /// When a hardship was last disclosed in a call (UTC).
    pub hardship_disclosed_at: Option<Timestamp>,
    /// A dispute or complaint was cleared and no right-party contact has followed yet.
    pub complaint_resolution_due: bool,
    /// Highest tone-ladder step that was actually used in a contact.
    pub tone_used: Option<u8>,
    /// Why the account was closed, once it was.
    pub closed: Option<CloseReason>,
    /// When the account was first closed: its item is final from then on (features, days past
    /// due and scores frozen at that instant, in replay and in the daemon alike).
    #[serde(default)]
    pub closed_at: Option<Timestamp>,
    seen: seen::Seen,
}

/// Stable 64-bit hash of an event id (stable across builds: it is persisted with the state).
pub fn event_key(event_id: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(event_id.as_bytes())
}

fn dup(field: &str, id: &str) -> Reject {
    let shown: String = id.chars().take(40).collect();
    Reject::new(
        RejectReason::InvalidField,
        format!("field `{field}` `{shown}` was already used by another event of this account"),
    )
}

fn unknown_ref(what: &str, id: &str) -> Reject {
    let shown: String = id.chars().take(40).collect();
    Reject::new(
        RejectReason::UnknownReference,
        format!("{what} `{shown}` is not known for this account"),
    )
}

impl Account {
    /// An empty account `id` whose first event occurred at `at`.
    pub fn new(id: &str, at: Timestamp) -> Account {
        Account {
            id: id.to_owned(),
            profile: Profile::default(),
            opened_at: None,
            first_event_at: at,
            last_event_at: at,
            statements: Vec::new(),
            payments: Vec::new(),
            reversals: Vec::new(),
            fees: Vec::new(),
            promises: Vec::new(),
            attempts: Vec::new(),
            flags: 0,
            breathing_space_since: None,
            disputes_lifetime: 0,
            do_not_call: Vec::new(),
            dnc_numbers: Vec::new(),
            listed_numbers: std::collections::BTreeMap::new(),
            flag_changes: std::collections::BTreeMap::new(),
            unknown_contact_attempts: 0,
            bad_numbers: Vec::new(),
            callback_at: None,
            hardship_disclosed_at: None,
            complaint_resolution_due: false,
            tone_used: None,
            closed: None,
            closed_at: None,
            seen: seen::Seen::default(),
        }
    }

    /// Whether `flag` is in force (never for `do_not_call`, which is kept per number).
    pub fn has(&self, flag: Flag) -> bool {
        self.flags & flag.bit() != 0
    }

    /// Whether this event id was already applied to the account.
    pub fn seen(&self, event_id: &str) -> bool {
        self.seen.contains(event_key(event_id))
    }

    /// How many distinct event ids were applied to the account.
    pub fn events_applied(&self) -> usize {
        self.seen.count()
    }

    /// Estimated heap bytes owned by this account (collections by capacity, strings by
    /// capacity; allocator overhead and the shared time-zone data not counted).
    pub fn heap_bytes(&self) -> usize {
        fn vec<T>(v: &Vec<T>) -> usize {
            v.capacity() * std::mem::size_of::<T>()
        }
        let s = |s: &String| s.capacity();
        let opt = |o: &Option<String>| o.as_ref().map_or(0, String::capacity);
        let f = &self.profile.fields;
        let contacts = f.contacts.as_ref().map_or(0, |c| {
            vec(c)
                + c.iter()
                    .map(|c| s(&c.contact_id) + s(&c.phone))
                    .sum::<usize>()
        });
        s(&self.id)
            + f.timezone.as_ref().map_or(0, |(n, _)| n.capacity())
            + opt(&f.currency)
            + opt(&f.product)
            + contacts
            + vec(&self.statements)
            + self.statements.iter().map(|x| s(&x.id)).sum::<usize>()
            + vec(&self.payments)
            + self.payments.iter().map(|x| s(&x.id)).sum::<usize>()
            + vec(&self.reversals)
            + vec(&self.fees)
            + self.fees.iter().map(|x| s(&x.id)).sum::<usize>()
            + vec(&self.promises)
            + self.promises.iter().map(|x| s(&x.id)).sum::<usize>()
            + vec(&self.attempts)
            + self
                .attempts
                .iter()
                .map(|x| opt(&x.contact_id))
                .sum::<usize>()
            + vec(&self.do_not_call)
            + self.do_not_call.iter().map(s).sum::<usize>()
            + vec(&self.bad_numbers)
            + self
                .bad_numbers
                .iter()
                .map(|b| s(&b.contact_id) + s(&b.phone))
                .sum::<usize>()
            // A hash set: 8-byte keys plus one control byte per bucket.
            + self.seen.heap_bytes()
    }

    /// Applies a decoded event; on `Err` the state is unchanged.
    pub fn apply(&mut self, ev: &Event) -> Result<(), Reject> {
        let at = ev.occurred_at;
        match &ev.body {
            EventBody::AccountOpened(p) => {
                let rezone = p.timezone.is_some();
                self.profile.merge(p.clone());
                if rezone {
                    self.relocalize_attempts();
                }
                if self.profile.fields.portfolio.is_none() {
                    self.profile.fields.portfolio = Some(Portfolio::Consumer);
                }
                self.profile.opened = true;
                self.opened_at.get_or_insert(at);
                self.forget_changed_bad_numbers();
                self.resolve_do_not_call();
            }
            EventBody::AccountUpdated(p) => {
                let rezone = p.timezone.is_some();
                self.profile.merge(p.clone());
                if rezone {
                    self.relocalize_attempts();
                }
                self.forget_changed_bad_numbers();
                self.resolve_do_not_call();
            }
            EventBody::StatementIssued {
                statement_id,
                amount_due,
                minimum_due,
                due_date,
            } => {
                if self.statements.iter().any(|s| &s.id == statement_id) {
                    return Err(dup("statement_id", statement_id));
                }
                let s = Statement {
                    id: statement_id.clone(),
                    issued_at: at,
                    amount_due: *amount_due,
                    minimum_due: *minimum_due,
                    due_date: *due_date,
                };
                let pos = self
                    .statements
                    .partition_point(|o| (o.due_date, &o.id) <= (s.due_date, &s.id));
                self.statements.insert(pos, s);
            }
            EventBody::PaymentReceived { payment_id, amount } => {
                if self.payments.iter().any(|p| &p.id == payment_id) {
                    return Err(dup("payment_id", payment_id));
                }
                self.payments.push(Payment {
                    id: payment_id.clone(),
                    at,
                    amount: *amount,
                    reversed: 0,
                });
            }
            EventBody::PaymentReversed {
                payment_id,
                amount,
                reason,
            } => {
                let Some(p) = self.payments.iter_mut().find(|p| &p.id == payment_id) else {
                    return Err(unknown_ref("payment", payment_id));
                };
                if p.reversed + amount > p.amount {
                    return Err(Reject::new(
                        RejectReason::InvalidField,
                        format!(
                            "field `amount` {amount} exceeds the {} left to reverse on that payment",
                            p.amount - p.reversed
                        ),
                    ));
                }
                p.reversed += amount;
                self.reversals.push(Reversal {
                    at,
                    amount: *amount,
                    reason: *reason,
                });
            }
            EventBody::FeeCharged {
                fee_id,
                amount,
                kind,
            } => {
                if self.fees.iter().any(|f| &f.id == fee_id) {
                    return Err(dup("fee_id", fee_id));
                }
                self.fees.push(Fee {
                    id: fee_id.clone(),
                    at,
                    amount: *amount,
                    kind: *kind,
                });
            }
            EventBody::PromiseMade {
                promise_id,
                amount,
                due_date,
                confirmed_in_writing,
                contact_id,
            } => {
                if self.promises.iter().any(|p| &p.id == promise_id) {
                    return Err(dup("promise_id", promise_id));
                }
                if let Some(c) = contact_id {
                    self.check_contact(c)?;
                }
                self.promises.push(Promise {
                    id: promise_id.clone(),
                    made_at: at,
                    amount: *amount,
                    due_date: *due_date,
                    confirmed_in_writing: *confirmed_in_writing,
                });
            }
            EventBody::FlagSet { flag, contact_id } => {
                if *flag == Flag::DoNotCall {
                    // Recorded even for a contact not (yet) known: a do-not-call request is never dropped.
                    let c = contact_id.clone().unwrap_or_default();
                    if self.change_applies(&format!("do_not_call:{c}"), at, true) {
                        if !self.do_not_call.contains(&c) {
                            self.do_not_call.push(c);
                        }
                        self.resolve_do_not_call();
                    }
                } else if self.change_applies(flag.as_str(), at, true) {
                    self.set_flag(*flag, at);
                }
            }
            EventBody::FlagCleared { flag, contact_id } => {
                if *flag == Flag::DoNotCall {
                    let c = contact_id.as_deref().unwrap_or_default();
                    if self.change_applies(&format!("do_not_call:{c}"), at, false) {
                        let was = self.do_not_call.iter().any(|d| d == c);
                        self.do_not_call.retain(|d| d != c);
                        let number = self.listed_numbers.get(c).cloned();
                        if let (true, Some(n)) = (was, number) {
                            // The number stays blocked while another listing of it is on do-not-call.
                            let still = self
                                .do_not_call
                                .iter()
                                .any(|d| self.listed_numbers.get(d) == Some(&n));
                            if !still {
                                self.dnc_numbers.retain(|d| *d != n);
                            }
                        }
                    }
                } else if self.change_applies(flag.as_str(), at, false) {
                    if matches!(flag, Flag::Dispute | Flag::Complaint) && self.has(*flag) {
                        self.complaint_resolution_due = true;
                    }
                    self.flags &= !flag.bit();
                }
            }
            EventBody::AccountClosed { reason } => {
                self.closed = Some(*reason);
                self.closed_at = Some(self.closed_at.map_or(at, |c| c.min(at)));
            }
            EventBody::ContactAttempt(a) => self.apply_attempt(a, at)?,
        }
        self.seen.insert(event_key(&ev.event_id));
        self.last_event_at = self.last_event_at.max(at);
        self.first_event_at = self.first_event_at.min(at);
        Ok(())
    }

    /// Whether a flag change (`set` or clear) at `at` applies: only when it is not older than the
    /// latest change applied to the same flag (in event time); at the same instant a set wins
    /// (fail closed). Records it when it applies.
    fn change_applies(&mut self, key: &str, at: Timestamp, set: bool) -> bool {
        let applies = match self.flag_changes.get(key) {
            None => true,
            Some(&(last, _)) if at > last => true,
            Some(&(last, _)) if at == last => set,
            Some(_) => false,
        };
        if applies {
            self.flag_changes.insert(key.to_owned(), (at, set));
        }
        applies
    }

    fn set_flag(&mut self, flag: Flag, at: Timestamp) {
        if matches!(flag, Flag::Dispute | Flag::Complaint) && !self.has(flag) {
            self.disputes_lifetime += 1;
        }
        self.flags |= flag.bit();
        if flag == Flag::BreathingSpace {
            self.breathing_space_since = Some(at);
        }
    }

    /// Rejects references to contacts the profile does not list (once the profile is known).
    fn check_contact(&self, contact_id: &str) -> Result<(), Reject> {
        if self.profile.opened && self.profile.contact(contact_id).is_none() {
            return Err(unknown_ref("contact", contact_id));
        }
        Ok(())
    }

    fn apply_attempt(&mut self, a: &Attempt, at: Timestamp) -> Result<(), Reject> {
        // An attempt under a contact id the profile does not list still happened: it counts
        // toward the caps (as the debtor's), and is counted, never rejected.
        let contact = a
            .contact_id
            .as_deref()
            .and_then(|c| self.profile.contact(c));
        let known = contact.is_some();
        if a.contact_id.is_some() && !known && self.profile.opened {
            self.unknown_contact_attempts += 1;
        }
        let party = match contact {
            Some(c) if c.role != Role::Debtor => Party::ThirdParty,
            _ => Party::Debtor,
        };
        let phone = contact.map(|c| normalise_phone(&c.phone));
        // Only the debtor's own listed number makes a callback request the debtor's.
        let debtor_own = known && party == Party::Debtor;
        let local = self.zone().to_datetime(at);
        let rec = AttemptRec {
            at,
            local_date: local.date(),
            local_hour: local.hour() as u8,
            channel: a.channel,
            contact_id: a.contact_id.clone(),
            phone,
            party,
            outcome: a.outcome,
            disposition: a.disposition,
        };
        let pos = self.attempts.partition_point(|o| o.at <= at);
        self.attempts.insert(pos, rec);
        if matches!(a.outcome, Outcome::WrongNumber | Outcome::InvalidNumber) {
            if let Some(c) = a
                .contact_id
                .as_deref()
                .and_then(|c| self.profile.contact(c))
            {
                let bad = BadNumber {
                    contact_id: c.contact_id.clone(),
                    phone: c.phone.clone(),
                    outcome: a.outcome,
                };
                self.bad_numbers.retain(|b| b.contact_id != bad.contact_id);
                self.bad_numbers.push(bad);
            }
        }
        if a.outcome == Outcome::RightParty {
            self.complaint_resolution_due = false;
        }
        // A call to the debtor at or after the requested time answers the callback.
        if let Some(cb) = self.callback_at {
            // A call under an unlisted id may have been that call: it uses the callback up too
            // (fail closed: the exemption is never granted twice).
            if (debtor_own || !known) && a.channel == AttemptChannel::Call && at >= cb {
                self.callback_at = None;
            }
        }
        // A flag a disposition sets is a change in event time like `flag_set`: an older clear
        // arriving later cannot undo it.
        let flag = match a.disposition {
            Some(Disposition::Dispute) => Some(Flag::Dispute),
            Some(Disposition::Complaint) => Some(Flag::Complaint),
            Some(Disposition::DeceasedReported) => Some(Flag::DeceasedReported),
            _ => None,
        };
        if let Some(flag) = flag {
            if self.change_applies(flag.as_str(), at, true) {
                self.set_flag(flag, at);
            }
        }
        match a.disposition {
            Some(Disposition::Hardship) => self.hardship_disclosed_at = Some(at),
            Some(Disposition::CallbackRequested) if debtor_own => {
                // A callback time not after the request is ignored.
                if let Some(cb) = a.callback_at.filter(|cb| *cb > at) {
                    self.callback_at = Some(cb);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The account's zone, UTC while unknown.
    fn zone(&self) -> jiff::tz::TimeZone {
        self.profile
            .timezone()
            .cloned()
            .unwrap_or(jiff::tz::TimeZone::UTC)
    }

    /// Recomputes the local date and hour of every attempt (after the zone changed).
    fn relocalize_attempts(&mut self) {
        let tz = self.zone();
        for a in &mut self.attempts {
            let local = tz.to_datetime(a.at);
            a.local_date = local.date();
            a.local_hour = local.hour() as u8;
        }
    }
}
