//! Rare life events and the flags they raise: death, disputes, complaints, bankruptcy, fraud,
//! hardship, do-not-call, cease-contact, Breathing Space, legal holds, a payday becoming known, a
//! number going stale; how long each flag stays in force; and every scheduled follow-up (promises,
//! flag changes, fees, profile updates, closures).

use rand::Rng;

use super::account::{CloseReason, ContactState, Flag, Follow, PromiseState, NEVER};
use super::behaviour::Ctx;
use super::calendar::{DAY, HOUR};
use super::rng::{chance, exp_wait};
use super::traits::Role;

/// Kinds of rare event, in the order of [`Ctx::rare_rates`].
const RARE: [Rare; 13] = [
    Rare::Death,
    Rare::Flag(Flag::Dispute),
    Rare::Flag(Flag::Complaint),
    Rare::Flag(Flag::Bankruptcy),
    Rare::Flag(Flag::Fraud),
    Rare::Flag(Flag::Hardship),
    Rare::Flag(Flag::DoNotCall),
    Rare::Flag(Flag::CeaseContact),
    Rare::Flag(Flag::BreathingSpace),
    Rare::Flag(Flag::LegalHold),
    Rare::PaydayKnown,
    Rare::NumberChange,
    Rare::Rekey,
];

#[derive(Debug, Clone, Copy)]
enum Rare {
    Death,
    Flag(Flag),
    PaydayKnown,
    NumberChange,
    /// The lender's system re-keys a contact: same person, same number, a new contact id.
    Rekey,
}

impl Ctx<'_> {
    /// Yearly hazards of each rare event. `fresh` ignores flags already in force (for the bound).
    fn rare_rates(&self, delinquent: bool, fresh: bool) -> [f64; 13] {
        let (a, r) = (self.ab(), f64::from(self.tr.reachability));
        let set = |f: Flag| !fresh && self.a.has(f);
        let d = if delinquent { 1.0 } else { 0.0 };
        let london = self.tr.timezone() == "Europe/London";
        [
            0.006,
            0.01 + 0.02 * d,
            0.006 + 0.012 * d,
            if delinquent { 0.06 * (1.0 - a) } else { 0.003 },
            if delinquent { 0.01 } else { 0.001 },
            if set(Flag::Hardship) {
                0.0
            } else {
                0.2 * (1.0 - a) * d
            },
            0.008,
            0.006 * d,
            if london && !set(Flag::BreathingSpace) {
                0.08 * d
            } else {
                0.0
            },
            0.001 + 0.003 * d,
            if self.tr.payday.is_some() && (fresh || !self.a.payday_public) {
                0.08
            } else {
                0.0
            },
            0.05 * (1.3 - r),
            0.3,
        ]
    }

    /// Upper bound of the total yearly hazard (thinning bound).
    fn rare_bound(&self) -> f64 {
        let hi = self.rare_rates(true, true);
        let lo = self.rare_rates(false, true);
        hi.iter().zip(lo.iter()).map(|(x, y)| x.max(*y)).sum()
    }

    pub(crate) fn schedule_rare(&mut self, t: i64) {
        if self.a.dead || self.a.closed.is_some() {
            return;
        }
        let per_day = self.rare_bound() * self.cfg.rare_scale / 365.0;
        let wait = exp_wait(&mut self.rng, per_day);
        self.a.rare_at = if wait < 3_650.0 {
            t + 1 + (wait * DAY as f64) as i64
        } else {
            NEVER
        };
    }

    /// A rare-event clock tick: thin to the account's current hazards and apply what happens.
    pub(crate) fn rare(&mut self, t: i64) {
        if self.a.dead || self.a.closed.is_some() {
            return;
        }
        let delinquent = self.a.ledger.dpd(self.today(t)) > 0;
        let rates = self.rare_rates(delinquent, false);
        let mut x = self.rng.random::<f64>() * self.rare_bound();
        let mut picked = None;
        for (k, &r) in rates.iter().enumerate() {
            if x < r {
                picked = Some(RARE[k]);
                break;
            }
            x -= r;
        }
        match picked {
            Some(Rare::Death) => {
                self.a.dead = true;
                self.a.pay = None;
                self.a.pay_next = None;
                if chance(&mut self.rng, 0.75) {
                    let at = t + self.rng.random_range(3 * DAY..40 * DAY);
                    self.a
                        .follow(at, Follow::FlagSet(Flag::DeceasedReported, 0));
                }
            }
            Some(Rare::Flag(Flag::DoNotCall)) => {
                if let Some(c) = self.a.debtor_contact() {
                    self.set_flag(t, Flag::DoNotCall, c as u8);
                }
            }
            Some(Rare::Flag(f)) => self.set_flag(t, f, 0),
            Some(Rare::PaydayKnown) => {
                self.a.payday_public = true;
                if let Some(d) = self.tr.payday {
                    let l = self
                        .line("account_updated", t)
                        .int("payday_day_of_month", i64::from(d));
                    self.emit(l);
                }
            }
            Some(Rare::NumberChange) => {
                if let Some(c) = self.a.debtor_contact() {
                    let invalid = chance(&mut self.rng, 0.3);
                    let contact = &mut self.a.contacts[c];
                    contact.invalid |= invalid;
                    contact.wrong |= !invalid;
                    if chance(&mut self.rng, 0.25) {
                        let at = t + self.rng.random_range(10 * DAY..40 * DAY);
                        self.a.follow(at, Follow::NewNumber);
                    }
                }
            }
            Some(Rare::Rekey) => self.rekey(t),
            None => {}
        }
        self.schedule_rare(t);
    }

    /// Sets a flag with a `flag_set` event (no-op when already in force) and applies its effects.
    /// `contact` is the contact index for `do_not_call`.
    pub(crate) fn set_flag(&mut self, t: i64, flag: Flag, contact: u8) {
        if flag == Flag::DoNotCall {
            match self.a.contacts.get_mut(contact as usize) {
                Some(c) if !c.dnc => c.dnc = true,
                _ => return,
            }
        } else if self.a.has(flag) {
            return;
        } else {
            self.a.flags |= flag.bit();
        }
        let mut l = self.line("flag_set", t).str("flag", flag.as_str());
        if flag == Flag::DoNotCall {
            l = l.contact("contact_id", contact + 1);
        }
        self.emit(l);
        self.after_flag(t, flag, contact);
    }

    fn in_days(&mut self, t: i64, lo: i64, hi: i64) -> i64 {
        t + self.rng.random_range(lo * DAY..hi * DAY)
    }

    /// What follows a flag coming into force (by event or by a contact's disposition).
    pub(crate) fn after_flag(&mut self, t: i64, flag: Flag, contact: u8) {
        let (p_clear, at) = match flag {
            Flag::Dispute => (0.85, self.in_days(t, 7, 45)),
            Flag::Complaint => (0.9, self.in_days(t, 5, 30)),
            Flag::Hardship => (1.0, self.in_days(t, 30, 120)),
            Flag::DoNotCall => (0.15, self.in_days(t, 20, 60)),
            Flag::LegalHold => (1.0, self.in_days(t, 20, 90)),
            Flag::BreathingSpace => (1.0, t + 60 * DAY + HOUR),
            Flag::Bankruptcy => {
                self.a.pay = None;
                self.a.pay_next = None;
                if chance(&mut self.rng, 0.7) {
                    let at = t + self.rng.random_range(20 * DAY..60 * DAY);
                    self.a.follow(at, Follow::Close(CloseReason::ChargedOff));
                }
                return;
            }
            Flag::Fraud => {
                let false_alarm = chance(&mut self.rng, 0.3);
                let at = t + self.rng.random_range(5 * DAY..45 * DAY);
                let what = if false_alarm {
                    Follow::FlagClear(Flag::Fraud, 0)
                } else {
                    Follow::Close(CloseReason::Other)
                };
                self.a.follow(at, what);
                return;
            }
            Flag::DeceasedReported => {
                self.a.pay = None;
                self.a.pay_next = None;
                if self.a.dead {
                    if chance(&mut self.rng, 0.8) {
                        let at = t + self.rng.random_range(10 * DAY..40 * DAY);
                        self.a
                            .follow(at, Follow::FlagSet(Flag::DeceasedVerified, 0));
                    }
                    if chance(&mut self.rng, 0.5) {
                        let at = t + self.rng.random_range(45 * DAY..90 * DAY);
                        self.a.follow(at, Follow::Close(CloseReason::Other));
                    }
                    return;
                }
                (1.0, self.in_days(t, 5, 15))
            }
            Flag::CeaseContact | Flag::DeceasedVerified => return,
        };
        if chance(&mut self.rng, p_clear) {
            self.a.follow(at, Follow::FlagClear(flag, contact));
        }
    }

    /// Runs a scheduled follow-up.
    pub(crate) fn followup(&mut self, t: i64, what: Follow) {
        match what {
            Follow::PromiseMade {
                amount,
                due,
                confirmed,
                contact,
            } => {
                if self.a.promise.take().is_some() {
                    self.a.broken_at = t;
                    self.stats.promises_broken += 1;
                }
                self.a.promises += 1;
                let n = u32::from(self.a.promises);
                let l = self
                    .line("promise_made", t)
                    .id("promise_id", &self.tr.account_id, "pr", n)
                    .int("amount", amount)
                    .date("due_date", due)
                    .bool("confirmed_in_writing", confirmed)
                    .contact("contact_id", contact + 1);
                self.emit(l);
                let deadline = self.at_local(due + 2, 0).max(t + 1);
                self.a.promise = Some(PromiseState {
                    amount,
                    made_at: t,
                    deadline,
                    paid: 0,
                });
                self.a.promise_due = Some(due);
                self.stats.promises_made += 1;
                self.stats.today().promises_made += 1;
                self.a.follow(deadline, Follow::PromiseCheck);
            }
            Follow::PromiseCheck => {
                if self.a.promise.is_some_and(|p| p.deadline <= t) {
                    self.a.promise = None;
                    self.a.promise_due = None;
                    self.a.broken_at = t;
                    self.stats.promises_broken += 1;
                }
            }
            Follow::FlagSet(flag, contact) => self.set_flag(t, flag, contact),
            Follow::FlagClear(flag, contact) => self.clear_flag(t, flag, contact),
            Follow::Fee(kind, amount) => self.emit_fee(t, kind, amount),
            Follow::NewNumber => self.new_number(t),
            Follow::Close(reason) => {
                if self.a.closed.is_none() {
                    let l = self
                        .line("account_closed", t)
                        .str("reason", reason.as_str());
                    self.emit(l);
                    match reason {
                        CloseReason::PaidOff => self.stats.paid_off += 1,
                        CloseReason::ChargedOff | CloseReason::Sold => self.stats.charged_off += 1,
                        CloseReason::Other => {}
                    }
                    self.a.close(reason);
                }
            }
        }
    }

    fn clear_flag(&mut self, t: i64, flag: Flag, contact: u8) {
        if flag == Flag::DoNotCall {
            match self.a.contacts.get_mut(contact as usize) {
                Some(c) if c.dnc => c.dnc = false,
                _ => return,
            }
        } else if self.a.has(flag) {
            self.a.flags &= !flag.bit();
        } else {
            return;
        }
        let mut l = self.line("flag_cleared", t).str("flag", flag.as_str());
        if flag == Flag::DoNotCall {
            l = l.contact("contact_id", contact + 1);
        }
        self.emit(l);
        if self.a.pay.is_none() && self.a.ledger.dpd(self.today(t)) > 0 {
            self.plan_cure(t);
        }
    }

    /// A listed contact (one under do-not-call if any, else the debtor's) is listed again under a
    /// new contact id, with the same person and number: an `account_updated`.
    fn rekey(&mut self, t: i64) {
        if self.a.contacts.len() >= 16 || self.a.closed.is_some() {
            return;
        }
        let listed = |c: &ContactState| c.active;
        let pick = self
            .a
            .contacts
            .iter()
            .position(|c| listed(c) && c.dnc)
            .or_else(|| self.a.debtor_contact());
        let Some(k) = pick else { return };
        let mut again = self.a.contacts[k];
        self.a.contacts[k].active = false;
        again.dnc = false;
        self.a.contacts.push(again);
        let l = self.line("account_updated", t);
        let l = self.contacts_array(l);
        self.emit(l);
    }

    /// The debtor's number is replaced: a new debtor contact and an `account_updated`.
    fn new_number(&mut self, t: i64) {
        if self.a.contacts.len() >= 16 || self.a.closed.is_some() {
            return;
        }
        if let Some(d) = self.a.debtor_contact() {
            if !self.a.contacts[d].wrong && !self.a.contacts[d].invalid {
                return;
            }
            self.a.contacts[d].active = false;
        }
        self.a.contacts.push(ContactState {
            role: Role::Debtor,
            consent: true,
            informed: true,
            active: true,
            wrong: false,
            invalid: false,
            dnc: false,
            known_bad: false,
            number: (self.a.contacts.len() + 1) as u8,
        });
        let l = self.line("account_updated", t);
        let l = self.contacts_array(l);
        self.emit(l);
    }
}
