//! The calibrated response model (`ResponseModel::Calibrated`): how a debtor self-cures, what a
//! right-party conversation, a text, a letter or a relayed message does, and how a new payment
//! plan is weighed against the debtor's own. Every parameter is a constant here, with its source
//! or the reasoning behind it (docs/simulator.md has them as a table and the measured result).
//!
//! The legacy model's code paths (`behaviour.rs`, `contact.rs`) are left as they were; those call
//! into this module only when the world runs the calibrated model.

use rand::Rng;

use super::account::{Flag, Follow, PayMode, PayPlan, NEVER};
use super::behaviour::Ctx;
use super::calendar::{next_dom, DAY, HOUR};
use super::contact::{Disposition, Terms};
use super::rng::{chance, exp_wait};

// --- Self-cure (no contact at all) -----------------------------------------------------------
//
// Assumption, calibrated to the target of docs/simulator.md: of an untouched collections book
// about 55-70% make a payment within 150 days, much less often the later the stage. The hazard
// is steep in willingness (only the willing pay unprompted), moderate in ability, and falls with
// days past due (each missed cycle makes the next payment less likely: roll rates rise by stage).

/// Daily self-cure hazard of a fully willing, fully able debtor at 0 days past due.
pub(crate) const CURE_RATE: f64 = 0.13;
/// Exponent on willingness in the self-cure hazard.
pub(crate) const CURE_W_EXP: f64 = 3.0;
/// Share of the hazard left at zero ability (the rest scales with ability).
pub(crate) const CURE_AB_FLOOR: f64 = 0.15;
/// The hazard falls as `(1 + dpd / 30) ^ -CURE_STAGE_EXP`.
pub(crate) const CURE_STAGE_EXP: f64 = 1.5;
/// Hazard multiplier under a hardship flag (as in the legacy model).
pub(crate) const CURE_HARDSHIP: f64 = 0.6;
/// A draw beyond this many days plans nothing (as in the legacy model); redrawn at the next due
/// date, partial payment or cleared flag.
pub(crate) const CURE_HORIZON_DAYS: f64 = 150.0;

// --- Right-party conversation -----------------------------------------------------------------
//
// Laudenbach, Pirschel & Siegel, "Personal Communication in an Automated World: Evidence from
// Loan Repayments" (Journal of Finance; CESifo WP 7295): speaking to an agent raises on-time
// repayment by 34.4 pp and lowers default by 23.8 pp. Here a conversation *persuades* a debtor
// with probability q, and a persuaded debtor commits to a payment within a week (most with a
// promise they keep); one not persuaded may still be engaged (`ENGAGE`). q is heterogeneous:
// rising with willingness and ability, falling with days past due, higher just before payday,
// lower while a promise is already in force or just after one was broken, and halved by each
// conversation in the 30 days before (fatigue). Tuned so that a right-party conversation on day 0
// of the collections book lifts P(any payment within 30 days) by about 34 pp.

/// Scale of the persuasion probability q.
pub(crate) const TALK_MAX: f64 = 1.0;
/// Exponent on willingness in q (flatter than self-cure's, so the half-willing, who rarely pay
/// unprompted, are the most persuadable: the "persuadable middle").
pub(crate) const TALK_W_EXP: f64 = 1.5;
/// Share of q left at zero ability (the rest scales with ability).
pub(crate) const TALK_AB_FLOOR: f64 = 0.3;
/// q falls as `1 / (1 + dpd / TALK_STAGE_DAYS)`.
pub(crate) const TALK_STAGE_DAYS: f64 = 150.0;
/// q multiplier when the debtor's payday is at most 7 days away (money is about to arrive).
pub(crate) const TALK_PAYDAY: f64 = 1.15;
/// q multiplier while a promise is in force (the debtor has already committed).
pub(crate) const TALK_PENDING: f64 = 0.4;
/// q multiplier within 30 days of a broken promise.
pub(crate) const TALK_BROKEN: f64 = 0.6;
/// q multiplier per earlier conversation in the last 30 days.
pub(crate) const TALK_REPEAT: f64 = 0.5;
/// Upper bound of q.
pub(crate) const TALK_CAP: f64 = 0.9;
/// Persuaded debtors who make a formal promise (the rest arrange to pay within 3 days).
pub(crate) const PROMISE_SHARE: f64 = 0.85;
/// Unpersuaded debtors who promise anyway, times willingness (the promise is broken).
pub(crate) const LIP_PROMISE: f64 = 0.35;
/// A broken promise still brings a late partial payment this often (legacy: 0.3).
pub(crate) const BROKEN_PARTIAL: f64 = 0.2;
/// q multiplier for a debtor who reports hardship (pays a part, if anything).
pub(crate) const HARDSHIP_TALK: f64 = 0.5;
/// An unpersuaded conversation (no refusal) still engages the debtor with probability
/// willingness: a fresh self-cure draw with the hazard times this (times `TALK_REPEAT` per earlier
/// conversation in 30 days). It carries the lasting part of the effect (LPS: spoken-to borrowers
/// are also less likely to default later), which shows at 90 and 150 days more than at 30.
pub(crate) const ENGAGE: f64 = 4.0;

// --- Reminders: texts, letters, a message passed on by a third party --------------------------
//
// Cadena & Schoar, "Remembering to Pay? Reminders vs. Financial Incentives for Loan Payments"
// (NBER w17020): monthly SMS reminders raise on-time payment by 7-9% (relative) and cut days late
// by about 2 a month. Karlan, Morten & Zinman, "A Personal Touch: Text Messaging for Loan
// Repayment" (NBER w17952): reminders only work when they carry a personal connection. Here a
// reminder mostly brings an *existing* intention forward (a planned payment within 60 days moves
// to the next 3 days); it rarely creates one; it is weaker without a recent conversation.

/// Chance (× strength × (0.5 + 0.5 × willingness)) that a reminder brings a planned payment
/// forward.
pub(crate) const REMIND_PULL: f64 = 0.3;
/// Only a payment planned within this many days is brought forward.
pub(crate) const REMIND_WINDOW_DAYS: i64 = 60;
/// Chance (× strength × willingness² × ability) that a reminder makes a debtor with no plan pay.
pub(crate) const REMIND_NEW: f64 = 0.03;
/// Strength of a reminder with no right-party conversation in the last `TOUCH_DAYS` days.
pub(crate) const REMIND_IMPERSONAL: f64 = 0.4;
/// A conversation this recent gives reminders the personal touch.
pub(crate) const TOUCH_DAYS: i64 = 60;
/// Chance (× willingness × ability) that a text on a promise about to be broken rescues it
/// (legacy: 0.25).
pub(crate) const RESCUE: f64 = 0.15;
/// Strength of a letter relative to a text (slower, less personal).
pub(crate) const LETTER_STRENGTH: f64 = 0.5;
/// Strength of a message a third party passes on, relative to a text.
pub(crate) const RELAY_STRENGTH: f64 = 0.5;

impl Ctx<'_> {
    /// When a delinquent debtor will next pay on their own (if at all), calibrated.
    pub(crate) fn plan_cure_calibrated(&mut self, t: i64) {
        self.draw_cure(t, 1.0);
    }

    /// A self-cure draw with the hazard multiplied by `boost`; keeps an earlier plan.
    fn draw_cure(&mut self, t: i64, boost: f64) {
        if !self.can_plan() {
            return;
        }
        let today = self.today(t);
        let dpd = f64::from(self.a.ledger.dpd(today));
        let (w, ab) = (self.w(), self.ab());
        let mut rate = CURE_RATE
            * w.powf(CURE_W_EXP)
            * (CURE_AB_FLOOR + (1.0 - CURE_AB_FLOOR) * ab)
            * (1.0 + dpd / 30.0).powf(-CURE_STAGE_EXP)
            * boost;
        if self.a.has(Flag::Hardship) {
            rate *= CURE_HARDSHIP;
        }
        let wait = exp_wait(&mut self.rng, rate);
        if wait > CURE_HORIZON_DAYS {
            return;
        }
        let mut day = today + wait.ceil() as i32;
        if let (Some(p), true) = (self.tr.payday, chance(&mut self.rng, 0.6)) {
            day = next_dom(day, u32::from(p)) + self.rng.random_range(0..3);
        }
        let mode = self.own_mode();
        let at = self.day_time(day).max(t + 60);
        self.offer_plan(PayPlan { at, mode });
    }

    /// How much a debtor who decides to pay pays: everything that would cure, if able.
    fn own_mode(&mut self) -> PayMode {
        let p_cure = self.ab().powf(0.7);
        if chance(&mut self.rng, p_cure) {
            PayMode::Cure
        } else {
            PayMode::Partial(self.rng.random_range(250..850))
        }
    }

    /// The probability that a right-party conversation at `at` (debtor-local day `day`) persuades
    /// the debtor to pay.
    pub(crate) fn persuasion(&self, at: i64, day: i32) -> f64 {
        let (w, ab) = (self.w(), self.ab());
        let dpd = f64::from(self.a.ledger.dpd(day));
        let mut q = TALK_MAX * w.powf(TALK_W_EXP) * (TALK_AB_FLOOR + (1.0 - TALK_AB_FLOOR) * ab)
            / (1.0 + dpd / TALK_STAGE_DAYS);
        if let Some(p) = self.tr.payday {
            if next_dom(day, u32::from(p)) - day <= 7 {
                q *= TALK_PAYDAY;
            }
        }
        if self.a.promise.is_some() {
            q *= TALK_PENDING;
        }
        if self.a.broken_at != NEVER && at - self.a.broken_at < 30 * DAY {
            q *= TALK_BROKEN;
        }
        q *= TALK_REPEAT.powi(self.a.rpcs_between(at - 30 * DAY, at) as i32);
        q.min(TALK_CAP)
    }

    /// A right-party conversation about money owed, after the complaint and dispute draws.
    pub(crate) fn talk_calibrated(&mut self, at: i64, day: i32, c: usize) -> Disposition {
        let (w, ab) = (self.w(), self.ab());
        let q = self.persuasion(at, day);
        if ab < 0.35 && chance(&mut self.rng, 0.3) {
            if !self.a.has(Flag::Hardship) && chance(&mut self.rng, 0.6) {
                let when = at + self.rng.random_range(HOUR..2 * DAY);
                self.a.follow(when, Follow::FlagSet(Flag::Hardship, 0));
            }
            if chance(&mut self.rng, q * HARDSHIP_TALK) {
                let pay_day = day + self.rng.random_range(0..10);
                let at_pay = self.day_time(pay_day).max(at + 2 * HOUR);
                let mode = PayMode::Partial(self.rng.random_range(250..700));
                self.offer_plan(PayPlan { at: at_pay, mode });
            }
            return Disposition::Hardship;
        }
        if chance(&mut self.rng, q) {
            if chance(&mut self.rng, PROMISE_SHARE) {
                let terms = self.promise_terms(at, day, c);
                self.keep_promise(at, day, terms);
                return Disposition::PromiseToPay;
            }
            let pay_day = day + self.rng.random_range(0..=3);
            let at_pay = self.day_time(pay_day).max(at + 2 * HOUR);
            let mode = self.own_mode();
            self.offer_plan(PayPlan { at: at_pay, mode });
            return Disposition::None;
        }
        if chance(&mut self.rng, LIP_PROMISE * w) {
            let terms = self.promise_terms(at, day, c);
            if chance(&mut self.rng, BROKEN_PARTIAL) {
                let late = terms.due + self.rng.random_range(2..7);
                let part = (terms.amount as f64 * self.rng.random_range(0.2..0.6) / 100.0).round()
                    as i64
                    * 100;
                let pay_at = self.day_time(late).max(at + 600);
                let mode = PayMode::Fixed(part.max(100));
                self.offer_plan(PayPlan { at: pay_at, mode });
            }
            self.engage(at);
            return Disposition::PromiseToPay;
        }
        if chance(&mut self.rng, 0.1) {
            let cb_day = day + self.rng.random_range(0..3);
            let sod = self.rng.random_range(10 * 3600..19 * 3600);
            let cb = self.at_local(cb_day, sod).max(at + 2 * HOUR);
            self.a.callback_at = cb;
            self.engage(at);
            return Disposition::CallbackRequested(cb);
        }
        if chance(&mut self.rng, 0.6 * (1.0 - w)) {
            return Disposition::RefusedToPay;
        }
        self.engage(at);
        Disposition::None
    }

    /// A conversation that did not persuade still leaves the debtor likelier to pay later: a
    /// fresh self-cure draw with a boosted hazard (fatigued by recent conversations).
    fn engage(&mut self, at: i64) {
        let w = self.w();
        if !chance(&mut self.rng, w) {
            return;
        }
        let fatigue = TALK_REPEAT.powi(self.a.rpcs_between(at - 30 * DAY, at) as i32);
        self.draw_cure(at, ENGAGE * fatigue);
    }

    /// Plans the payment of a promise the debtor means to keep: on the due day or before it.
    fn keep_promise(&mut self, at: i64, day: i32, terms: Terms) {
        let pay_day = if chance(&mut self.rng, 0.5) {
            terms.due
        } else {
            day + self.rng.random_range(0..=terms.days)
        };
        let last = self.at_local(terms.due + 1, 0) - 1;
        let pay_at = self.day_time(pay_day).clamp(at + 600, last.max(at + 600));
        self.offer_plan(PayPlan {
            at: pay_at,
            mode: PayMode::Fixed(terms.amount),
        });
    }

    /// What a delivered text to the debtor's own number does.
    pub(crate) fn text_calibrated(&mut self, at: i64) {
        if let (Some(p), true) = (self.a.promise, self.a.pay.is_none()) {
            // A reminder on the promise's day can rescue a promise about to be broken.
            let p_rescue = RESCUE * self.w() * self.ab();
            if chance(&mut self.rng, p_rescue) {
                let pay_at = at + self.rng.random_range(HOUR..8 * HOUR);
                if pay_at < p.deadline {
                    let mode = PayMode::Fixed((p.amount - p.paid).max(100));
                    self.a.pay = Some(PayPlan { at: pay_at, mode });
                }
                return;
            }
        }
        self.remind(at, 1.0);
    }

    /// What a delivered letter does.
    pub(crate) fn remind_by_letter(&mut self, at: i64) {
        self.remind(at, LETTER_STRENGTH);
    }

    /// What a message passed on by a third party who answered does.
    pub(crate) fn remind_by_relay(&mut self, at: i64) {
        self.remind(at, RELAY_STRENGTH);
    }

    /// A reminder of relative strength `strength` (a text is 1): brings a planned payment forward
    /// or, rarely, makes a debtor with no plan pay soon.
    fn remind(&mut self, at: i64, strength: f64) {
        if !self.can_plan() || self.a.ledger.to_cover(i32::MAX) == 0 {
            return;
        }
        let (w, ab) = (self.w(), self.ab());
        let personal = self.a.last_rpc_at != NEVER && at - self.a.last_rpc_at < TOUCH_DAYS * DAY;
        let s = strength * if personal { 1.0 } else { REMIND_IMPERSONAL };
        let today = self.today(at);
        match self.a.pay {
            Some(p) if p.at > at + 3 * DAY && p.at <= at + REMIND_WINDOW_DAYS * DAY => {
                if chance(&mut self.rng, REMIND_PULL * s * (0.5 + 0.5 * w)) {
                    let day = today + self.rng.random_range(0..=3);
                    let sooner = self.day_time(day).max(at + 2 * HOUR);
                    if sooner < p.at {
                        self.a.pay = Some(PayPlan {
                            at: sooner,
                            mode: p.mode,
                        });
                    }
                }
            }
            Some(_) => {}
            None => {
                if chance(&mut self.rng, REMIND_NEW * s * w * w * ab) {
                    let day = today + self.rng.random_range(0..4);
                    let at_pay = self.day_time(day).max(at + 2 * HOUR);
                    let mode = self.own_mode();
                    self.a.pay = Some(PayPlan { at: at_pay, mode });
                }
            }
        }
    }

    /// Weighs a new payment plan against the one in force: the earlier of the two is the plan;
    /// the later one follows it (`pay_next`) only if it pays more, so that neither a promise nor a
    /// reminder erases the debtor's own better plan, and a promise's bigger payment is not lost to
    /// an earlier small one.
    pub(crate) fn offer_plan(&mut self, new: PayPlan) {
        let Some(own) = self.a.pay else {
            self.a.pay = Some(new);
            return;
        };
        let (first, second) = if new.at <= own.at {
            (new, own)
        } else {
            (own, new)
        };
        self.a.pay = Some(first);
        if self.amount_for(second.mode) > self.amount_for(first.mode) {
            let keep = match self.a.pay_next {
                Some(n) if n.at <= second.at => n,
                _ => second,
            };
            self.a.pay_next = Some(keep);
        }
    }

    /// After a payment, the plan that was to follow it comes back if there is still something to
    /// cover; a fixed amount (a promise's) shrinks to what is left to cover.
    pub(crate) fn follow_plan(&mut self, t: i64, next: PayPlan) {
        let left = self.a.ledger.to_cover(i32::MAX);
        if next.at <= t || left == 0 || !self.can_plan() {
            return;
        }
        let mode = match next.mode {
            PayMode::Fixed(x) => PayMode::Fixed(x.min(left)),
            m => m,
        };
        self.offer_plan(PayPlan { at: next.at, mode });
    }
}
