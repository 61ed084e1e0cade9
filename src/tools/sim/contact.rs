//! Contacts as the debtor experiences them: whether a call is answered (reachability × the local
//! hour curve × the weekday), by whom, what is said (promise, callback, refusal, hardship, dispute,
//! complaint), what a text or letter does, and how over-contact provokes complaints, disputes and
//! do-not-call or cease-contact requests. Every contact is judged by the violation counter before
//! it is executed; a violating contact still happens.

use rand::Rng;

use super::account::{Flag, Follow, PayMode, PayPlan};
use super::behaviour::Ctx;
use super::calendar::{weekday, DAY, HOUR};
use super::channel::{Channel, PlannedContact};
use super::rng::mix;
use super::rng::{chance, pick_weighted};
use super::traits::Role;
use super::violations::Contact;

/// The contact id an attempt is sometimes reported under: one the account never listed (a
/// dialer's stale or foreign record; a call that happened all the same).
pub const UNKNOWN_CONTACT_NO: u8 = 200;

/// Relative chance of answering by local time of day (peak in the first working hour, a lunch dip).
fn hour_factor(sod: u32, best_hour: u8) -> f64 {
    let h = f64::from(sod) / 3600.0;
    let base: f64 = match sod / 3600 {
        0..=6 => 0.12,
        7 => 0.5,
        8 => 1.0,
        9..=11 => 0.8,
        12 | 13 => 0.45,
        14..=16 => 0.7,
        17 | 18 => 0.75,
        19 | 20 => 0.6,
        21 => 0.4,
        _ => 0.15,
    };
    let near_best = (h - f64::from(best_hour) - 0.5).abs() < 1.0;
    (if near_best { base * 1.3 } else { base }).min(1.0)
}

/// Relative chance of answering by local weekday (Monday = 0).
fn weekday_factor(wd: u32) -> f64 {
    [0.9, 1.0, 0.95, 1.0, 0.95, 0.8, 0.7][wd as usize % 7]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    RightParty,
    ThirdParty,
    NoAnswer,
    Busy,
    Voicemail,
    WrongNumber,
    InvalidNumber,
    Refused,
    Delivered,
    Failed,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::RightParty => "right_party",
            Outcome::ThirdParty => "third_party",
            Outcome::NoAnswer => "no_answer",
            Outcome::Busy => "busy",
            Outcome::Voicemail => "voicemail",
            Outcome::WrongNumber => "wrong_number",
            Outcome::InvalidNumber => "invalid_number",
            Outcome::Refused => "refused",
            Outcome::Delivered => "delivered",
            Outcome::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Disposition {
    PromiseToPay,
    RefusedToPay,
    Dispute,
    Complaint,
    Hardship,
    CallbackRequested(i64),
    DeceasedReported,
    ClaimsPaid,
    None,
}

impl Disposition {
    fn as_str(self) -> &'static str {
        match self {
            Disposition::PromiseToPay => "promise_to_pay",
            Disposition::RefusedToPay => "refused_to_pay",
            Disposition::Dispute => "dispute",
            Disposition::Complaint => "complaint",
            Disposition::Hardship => "hardship",
            Disposition::CallbackRequested(_) => "callback_requested",
            Disposition::DeceasedReported => "deceased_reported",
            Disposition::ClaimsPaid => "claims_paid",
            Disposition::None => "none",
        }
    }
}

/// What a debtor promised: the amount, the local due day, days from the conversation to it, and
/// whether it was confirmed in writing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Terms {
    pub amount: i64,
    pub due: i32,
    pub days: i32,
    pub confirmed: bool,
}

impl Ctx<'_> {
    /// Executes one planned contact at `at`.
    pub fn run_contact(&mut self, at: i64, plan: &PlannedContact) {
        if !self.a.opened {
            self.stats.contacts_rejected += 1;
            return;
        }
        let contact = match plan.channel {
            Channel::Letter => None,
            Channel::Call | Channel::Sms => {
                let idx = match plan.contact_id.as_deref() {
                    Some(id) => id
                        .strip_prefix("c-")
                        .and_then(|n| n.parse::<usize>().ok())
                        .and_then(|n| n.checked_sub(1))
                        .filter(|&i| self.a.contacts.get(i).is_some_and(|c| c.active)),
                    None => self.a.debtor_contact(),
                };
                let Some(idx) = idx else {
                    self.stats.contacts_rejected += 1;
                    return;
                };
                Some(idx)
            }
        };
        let (day, sod) = self.zones.local(self.tr.zone, at);
        let judged = Contact {
            channel: plan.channel,
            contact,
            disclose_debt: plan.disclose_debt,
            at,
            local_day: day,
            local_sod: sod,
            dpd: self.a.ledger.dpd(day),
        };
        let broken = self.violations.judge(self.rules, self.a, &judged);
        let to_debtor = contact
            .and_then(|i| self.a.contacts.get(i))
            .is_none_or(|c| c.role == super::traits::Role::Debtor);
        if plan.channel == Channel::Call && to_debtor && at >= self.a.callback_at {
            // The requested callback is answered by this call (or has expired).
            self.a.callback_at = super::account::NEVER;
        }
        self.a.attempts += 1;
        match (plan.channel, contact) {
            (Channel::Call, Some(c)) => self.call(at, c, day, sod, broken),
            (Channel::Sms, Some(c)) => self.text(at, c),
            _ => self.letter(at),
        }
        if broken > 0 || plan.channel == Channel::Call {
            self.provoke(at, contact, broken);
        }
        self.a.refresh_next();
    }

    fn attempt_line(
        &mut self,
        at: i64,
        channel: Channel,
        contact: Option<usize>,
        outcome: Outcome,
    ) -> super::output::Line {
        let n = self.a.attempts;
        let mut l = self
            .line("contact_attempt", at)
            .id("attempt_id", &self.tr.account_id, "a", n)
            .str("channel", channel.as_str());
        if let Some(c) = contact {
            // Rarely (0.3%), the attempt is reported under a contact id nobody listed.
            let key = mix(&[self.cfg.seed, self.idx as u64, u64::from(n), 0x0dd1d]);
            let no = if key % 1000 < 3 {
                UNKNOWN_CONTACT_NO
            } else {
                (c + 1) as u8
            };
            l = l.contact("contact_id", no);
        }
        l.str("outcome", outcome.as_str())
    }

    fn letter(&mut self, at: i64) {
        let outcome = if chance(&mut self.rng, 0.96) {
            Outcome::Delivered
        } else {
            Outcome::Failed
        };
        let l = self.attempt_line(at, Channel::Letter, None, outcome);
        self.emit(l);
        self.stats.letters += 1;
        self.a.last_letter_at = at;
        if outcome == Outcome::Delivered {
            if self.calibrated() {
                self.remind_by_letter(at);
            } else {
                let p = 0.03 + 0.08 * self.w() * self.ab();
                self.nudge(at, p, 12);
            }
        }
    }

    fn text(&mut self, at: i64, c: usize) {
        let contact = self.a.contacts[c];
        let outcome = if contact.invalid {
            Outcome::Failed
        } else {
            Outcome::Delivered
        };
        let l = self.attempt_line(at, Channel::Sms, Some(c), outcome);
        self.emit(l);
        self.a.record_text(at);
        self.stats.texts += 1;
        if contact.role != Role::Debtor {
            self.a.record_third_party(c);
            return;
        }
        if outcome == Outcome::Delivered && !contact.wrong && !self.a.dead && self.calibrated() {
            self.text_calibrated(at);
        } else if outcome == Outcome::Delivered && !contact.wrong && !self.a.dead {
            let (w, ab) = (self.w(), self.ab());
            if let (Some(p), true) = (self.a.promise, self.a.pay.is_none()) {
                // A reminder on the promise's day can rescue a promise about to be broken.
                if chance(&mut self.rng, 0.25 * w * ab) {
                    let pay_at = at + self.rng.random_range(HOUR..8 * HOUR);
                    if pay_at < p.deadline {
                        let mode = PayMode::Fixed((p.amount - p.paid).max(100));
                        self.a.pay = Some(PayPlan { at: pay_at, mode });
                    }
                }
            }
            self.nudge(at, 0.05 + 0.12 * w * ab, 4);
        }
    }

    fn call(&mut self, at: i64, c: usize, day: i32, sod: u32, broken: u32) {
        self.a.record_call(at);
        self.stats.calls += 1;
        self.stats.today().calls += 1;
        let contact = self.a.contacts[c];
        let third = contact.role != Role::Debtor;
        if third {
            self.a.record_third_party(c);
        }
        let timing = hour_factor(sod, self.tr.best_hour) * weekday_factor(weekday(day));
        let pressure = self.a.calls_between(at - 7 * DAY, at);
        let avoidance = 0.85f64.powi(pressure.saturating_sub(3) as i32);
        let missed = |rng: &mut rand_chacha::ChaCha8Rng| match pick_weighted(rng, &[55, 35, 10]) {
            0 => Outcome::NoAnswer,
            1 => Outcome::Voicemail,
            _ => Outcome::Busy,
        };
        let mut disposition = None;
        let w = self.w();
        let outcome = if contact.invalid {
            Outcome::InvalidNumber
        } else if contact.wrong {
            if chance(&mut self.rng, 0.6 * timing) {
                Outcome::WrongNumber
            } else {
                missed(&mut self.rng)
            }
        } else if third {
            if chance(&mut self.rng, 0.55 * timing) {
                if self.a.dead && chance(&mut self.rng, 0.8) {
                    disposition = Some(Disposition::DeceasedReported);
                }
                Outcome::ThirdParty
            } else {
                missed(&mut self.rng)
            }
        } else {
            let reach = if self.a.dead {
                0.25
            } else {
                f64::from(self.tr.reachability) * avoidance
            };
            if !chance(&mut self.rng, reach * timing) {
                missed(&mut self.rng)
            } else if self.a.dead {
                if chance(&mut self.rng, 0.7) {
                    disposition = Some(Disposition::DeceasedReported);
                }
                Outcome::ThirdParty
            } else if chance(&mut self.rng, 0.07) {
                Outcome::ThirdParty
            } else if chance(&mut self.rng, 0.04 + 0.22 * (1.0 - w)) {
                Outcome::Refused
            } else {
                Outcome::RightParty
            }
        };
        if matches!(
            outcome,
            Outcome::RightParty | Outcome::ThirdParty | Outcome::Refused
        ) {
            self.a.record_connected(day);
        }
        if outcome == Outcome::ThirdParty && third && disposition.is_none() {
            // A third party sometimes asks to be called back (it changes nothing for the debtor).
            let key = mix(&[
                self.cfg.seed,
                self.idx as u64,
                u64::from(self.a.attempts),
                0xcb3,
            ]);
            if key % 100 < 5 {
                let cb = at + HOUR + (key >> 8) as i64 % (2 * DAY);
                disposition = Some(Disposition::CallbackRequested(cb));
            }
        }
        if matches!(outcome, Outcome::WrongNumber | Outcome::InvalidNumber) {
            self.a.contacts[c].known_bad = true;
        }
        if outcome == Outcome::RightParty {
            self.a.last_rpc_at = at;
            self.a.last_rpc_day = day;
            self.a.failed_since_rpc = 0;
            self.a.record_rpc(at);
            self.stats.right_party_contacts += 1;
            self.stats.today().right_party_contacts += 1;
            disposition = Some(self.conversation(at, day, c, pressure, broken));
        } else {
            self.a.failed_since_rpc = self.a.failed_since_rpc.saturating_add(1);
        }
        if outcome == Outcome::ThirdParty && third {
            self.stats.third_party_contacts += 1;
        }
        let duration = match outcome {
            Outcome::RightParty => self.rng.random_range(90..900),
            Outcome::ThirdParty => self.rng.random_range(30..240),
            Outcome::Refused => self.rng.random_range(5..40),
            Outcome::Voicemail => self.rng.random_range(20..50),
            Outcome::NoAnswer => self.rng.random_range(25..50),
            Outcome::WrongNumber => self.rng.random_range(10..60),
            _ => self.rng.random_range(1..6),
        };
        let mut l = self.attempt_line(at, Channel::Call, Some(c), outcome);
        if let Some(d) = disposition {
            l = l.str("disposition", d.as_str());
            if let Disposition::CallbackRequested(cb) = d {
                l = l.timestamp("callback_at", cb);
            }
        }
        let l = l.int("duration_s", duration);
        self.emit(l);

        // Effects of what was said (the disposition is the flag: no separate flag_set).
        match disposition {
            Some(Disposition::DeceasedReported) => {
                self.disposition_flag(at, Flag::DeceasedReported)
            }
            Some(Disposition::Dispute) => self.disposition_flag(at, Flag::Dispute),
            Some(Disposition::Complaint) => self.disposition_flag(at, Flag::Complaint),
            _ => {}
        }
        if outcome == Outcome::ThirdParty && third && !self.a.dead {
            self.relay(at);
        }
    }

    fn disposition_flag(&mut self, at: i64, flag: Flag) {
        if !self.a.has(flag) {
            self.a.flags |= flag.bit();
            self.after_flag(at, flag, 0);
        }
    }

    /// A third party who answered may pass the message on or give a new number.
    fn relay(&mut self, at: i64) {
        let lost = self
            .a
            .debtor_contact()
            .is_none_or(|d| self.a.contacts[d].wrong || self.a.contacts[d].invalid);
        let queued = self
            .a
            .followups
            .iter()
            .any(|f| matches!(f.what, Follow::NewNumber));
        if lost && !queued && chance(&mut self.rng, 0.4) {
            let when = at + self.rng.random_range(HOUR..3 * DAY);
            self.a.follow(when, Follow::NewNumber);
        }
        if self.calibrated() {
            self.remind_by_relay(at);
        } else {
            let p = 0.12 * self.w();
            self.nudge(at, p, 7);
        }
    }

    /// A right-party conversation: what the debtor says and does.
    fn conversation(
        &mut self,
        at: i64,
        day: i32,
        c: usize,
        pressure: u32,
        broken: u32,
    ) -> Disposition {
        let owed = self.a.ledger.owed();
        if owed <= 0 || self.a.closed.is_some() {
            return if chance(&mut self.rng, 0.5) {
                Disposition::ClaimsPaid
            } else {
                Disposition::None
            };
        }
        let (w, ab) = (self.w(), self.ab());
        let extra = f64::from(pressure.saturating_sub(3));
        let angry = if broken > 0 { 1.0 } else { 0.0 };
        if chance(&mut self.rng, 0.003 + 0.012 * extra + 0.1 * angry) {
            return Disposition::Complaint;
        }
        if chance(&mut self.rng, 0.005 + 0.008 * extra + 0.05 * angry) {
            return Disposition::Dispute;
        }
        if self.calibrated() {
            return self.talk_calibrated(at, day, c);
        }
        if ab < 0.35 && chance(&mut self.rng, 0.3) {
            if !self.a.has(Flag::Hardship) && chance(&mut self.rng, 0.6) {
                let when = at + self.rng.random_range(HOUR..2 * DAY);
                self.a.follow(when, Follow::FlagSet(Flag::Hardship, 0));
            }
            self.nudge(at, 0.2 * w, 10);
            return Disposition::Hardship;
        }
        let p_promise = (0.08 + 0.72 * w) * if ab < 0.2 { 0.7 } else { 1.0 };
        if chance(&mut self.rng, p_promise) {
            self.promise(at, day, c);
            return Disposition::PromiseToPay;
        }
        if chance(&mut self.rng, 0.1) {
            let cb_day = day + self.rng.random_range(0..3);
            let sod = self.rng.random_range(10 * 3600..19 * 3600);
            let cb = self.at_local(cb_day, sod).max(at + 2 * HOUR);
            self.a.callback_at = cb;
            return Disposition::CallbackRequested(cb);
        }
        if chance(&mut self.rng, 0.6 * (1.0 - w)) {
            return Disposition::RefusedToPay;
        }
        self.nudge(at, 0.35 * w * ab, 5);
        Disposition::None
    }

    /// The debtor promises: amount and date now, the `promise_made` event a few seconds later,
    /// and (hidden) whether it will be kept.
    fn promise(&mut self, at: i64, day: i32, c: usize) {
        let (w, ab) = (self.w(), self.ab());
        let Terms {
            amount,
            due,
            days: k,
            confirmed,
        } = self.promise_terms(at, day, c);
        let p_keep =
            0.03 + 0.92 * w.powf(1.5) * (0.35 + 0.65 * ab) + if confirmed { 0.04 } else { 0.0 };
        if chance(&mut self.rng, p_keep) {
            let pay_day = if chance(&mut self.rng, 0.5) {
                due
            } else {
                day + self.rng.random_range(0..=k)
            };
            let last = self.at_local(due + 1, 0) - 1;
            let pay_at = self.day_time(pay_day).clamp(at + 600, last.max(at + 600));
            self.a.pay = Some(PayPlan {
                at: pay_at,
                mode: PayMode::Fixed(amount),
            });
        } else if chance(&mut self.rng, 0.3) {
            let late = due + self.rng.random_range(2..7);
            let part =
                (amount as f64 * self.rng.random_range(0.2..0.6) / 100.0).round() as i64 * 100;
            let pay_at = self.day_time(late).max(at + 600);
            self.a.pay = Some(PayPlan {
                at: pay_at,
                mode: PayMode::Fixed(part.max(100)),
            });
        }
    }

    /// What the debtor promises (amount, date, written confirmation); schedules `promise_made`.
    pub(crate) fn promise_terms(&mut self, at: i64, day: i32, c: usize) -> Terms {
        let ab = self.ab();
        let owed = self.a.ledger.owed();
        let cover = self.a.ledger.to_cover(i32::MAX);
        let base = if cover > 0 { cover } else { owed };
        let amount = if ab >= 0.5 || chance(&mut self.rng, ab) {
            base
        } else {
            (base as f64 * self.rng.random_range(0.3..0.8) / 100.0).round() as i64 * 100
        }
        .clamp(100.min(owed), owed);
        let mut k = [0, 1, 2, 3, 4, 5, 6, 7]
            [pick_weighted(&mut self.rng, &[10, 20, 15, 15, 10, 10, 10, 10])];
        if let Some(p) = self.tr.payday {
            let payday = super::calendar::next_dom(day, u32::from(p));
            if payday - day < 7 && chance(&mut self.rng, 0.5) {
                k = payday - day + 1;
            }
        }
        let due = day + k;
        let confirmed = chance(&mut self.rng, 0.35);
        let when = at + self.rng.random_range(5..60);
        self.a.follow(
            when,
            Follow::PromiseMade {
                amount,
                due,
                confirmed,
                contact: c as u8,
            },
        );
        Terms {
            amount,
            due,
            days: k,
            confirmed,
        }
    }

    /// Over-contact and unlawful contact provoke complaints, disputes and requests to stop.
    fn provoke(&mut self, at: i64, contact: Option<usize>, broken: u32) {
        let extra = f64::from(self.a.calls_between(at - 7 * DAY, at).saturating_sub(3));
        let p = (0.004 * extra + 0.04 * f64::from(broken)) * (1.3 - self.w());
        if p <= 0.0 || self.a.dead || !chance(&mut self.rng, p) {
            return;
        }
        let when = at + self.rng.random_range(HOUR..2 * DAY);
        let debtor_number = contact.filter(|&c| self.a.contacts[c].role == Role::Debtor);
        let what = match (
            pick_weighted(&mut self.rng, &[45, 30, 15, 10]),
            debtor_number,
        ) {
            (1, Some(c)) => Follow::FlagSet(Flag::DoNotCall, c as u8),
            (0 | 1, _) => Follow::FlagSet(Flag::Complaint, 0),
            (2, _) => Follow::FlagSet(Flag::CeaseContact, 0),
            _ => Follow::FlagSet(Flag::Dispute, 0),
        };
        self.a.follow(when, what);
    }
}
