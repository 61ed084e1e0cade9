//! What happens to one account on its own: opening (with the arrears it brings along), monthly
//! statements, due-date checks and late fees, the debtor's payments (driven by willingness,
//! ability and payday), reversals, payment plans, charge-off and pay-off. `Ctx` is one account's
//! processing step; `flags.rs` and `contact.rs` extend it.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::account::{
    Account, CloseReason, FeeKind, Flag, Follow, PayMode, PayPlan, ReversalPlan, Stmt, NEVER,
};
use super::calendar::{day_in_month, next_dom, Zones, DAY, HOUR};
use super::config::{ResponseModel, SimConfig};
use super::output::Line;
use super::rng::{chance, exp_wait};
use super::stats::SimStats;
use super::traits::{phone, Product, Traits};
use super::violations::{Rules, Violations};

/// One processing step of one account.
pub(crate) struct Ctx<'w> {
    pub idx: usize,
    pub tr: &'w Traits,
    pub a: &'w mut Account,
    pub zones: &'w Zones,
    pub cfg: &'w SimConfig,
    pub stats: &'w mut SimStats,
    pub violations: &'w mut Violations,
    pub rules: &'w Rules,
    pub out: &'w mut Vec<String>,
    pub rng: ChaCha8Rng,
    /// Write no event lines (a scratch fork: only the state and the statistics matter).
    pub mute: bool,
}

/// Amount of one cycle's statement (before any minimum).
fn cycle_amount(tr: &Traits, rng: &mut ChaCha8Rng) -> i64 {
    let base = tr.cycle_amount as f64;
    let x = match tr.product {
        Product::CreditCard => base * rng.random_range(0.4..1.6),
        Product::SmeCreditLine => base * rng.random_range(0.6..1.4),
        Product::TelecomPostpaid => base * rng.random_range(0.95..1.15),
        Product::PersonalLoan | Product::Bnpl => base,
    };
    (x.round() as i64).max(100)
}

fn minimum_of(tr: &Traits, amount: i64) -> i64 {
    if tr.product.due_in_full() {
        amount
    } else {
        let floor = tr.money(2_500.0);
        (amount * i64::from(tr.min_permille) / 1000)
            .max(floor)
            .min(amount)
    }
}

fn statement_time(zones: &Zones, tr: &Traits, due: i32, rng: &mut ChaCha8Rng) -> i64 {
    zones.instant(tr.zone, due - 20, 4 * 3600 + rng.random_range(0..7200))
}

/// Builds an account's state at the start: contacts, the statements it already carries (missed
/// ones and the current one if already issued) and its billing schedule.
pub(crate) fn initial_state(
    tr: &mut Traits,
    contacts: &[super::traits::ContactTrait],
    a: &mut Account,
    zones: &Zones,
    rng: &mut ChaCha8Rng,
) {
    a.contacts = contacts
        .iter()
        .enumerate()
        .map(|(i, c)| super::account::ContactState {
            role: c.role,
            consent: c.consent_to_contact,
            informed: c.informed,
            active: true,
            wrong: false,
            invalid: false,
            dnc: false,
            known_bad: false,
            number: (i + 1) as u8,
        })
        .collect();
    if tr.number_stale {
        if chance(rng, 0.7) {
            a.contacts[0].wrong = true;
        } else {
            a.contacts[0].invalid = true;
        }
    }
    a.instalments_left = tr.instalments_left;
    let today = zones.local_day(tr.zone, a.open_at);
    let next_due = next_dom(today + 1, u32::from(tr.due_day));
    for k in (1..=i32::from(tr.opening_missed)).rev() {
        let due = day_in_month(next_due, -k, u32::from(tr.due_day));
        let amount = cycle_amount(tr, rng);
        a.ledger.stmts.push(Stmt {
            due,
            amount,
            min: minimum_of(tr, amount),
        });
    }
    let mut due = next_due;
    if due - 20 <= today && (!tr.product.instalments() || a.instalments_left > 0) {
        let amount = cycle_amount(tr, rng);
        a.ledger.stmts.push(Stmt {
            due,
            amount,
            min: minimum_of(tr, amount),
        });
        if tr.product.instalments() {
            a.instalments_left -= 1;
        }
        a.due_check_due = due;
        a.due_check_at = zones.instant(tr.zone, due + 1, 2 * 3600 + rng.random_range(0..3600));
        due = day_in_month(due, 1, u32::from(tr.due_day));
    }
    if !tr.product.instalments() || a.instalments_left > 0 {
        a.statement_due = due;
        a.statement_at = statement_time(zones, tr, due, rng).max(a.open_at + 60);
    }
    tr.opening_balance = a.ledger.owed();
    a.refresh_next();
}

impl Ctx<'_> {
    /// Whether the world runs the calibrated response model (see `calibrated.rs`).
    pub(crate) fn calibrated(&self) -> bool {
        self.cfg.response == ResponseModel::Calibrated
    }
    pub(crate) fn w(&self) -> f64 {
        f64::from(self.tr.willingness)
    }
    pub(crate) fn ab(&self) -> f64 {
        f64::from(self.tr.ability)
    }
    pub(crate) fn today(&self, t: i64) -> i32 {
        self.zones.local_day(self.tr.zone, t)
    }
    pub(crate) fn at_local(&self, day: i32, sod: u32) -> i64 {
        self.zones.instant(self.tr.zone, day, sod)
    }
    /// A random daytime instant (07:00–23:00 local) on `day`.
    pub(crate) fn day_time(&mut self, day: i32) -> i64 {
        let sod = 7 * 3600 + self.rng.random_range(0..16 * 3600);
        self.at_local(day, sod)
    }

    pub(crate) fn line(&mut self, kind: &str, at: i64) -> Line {
        self.a.events += 1;
        if self.mute {
            return Line::muted();
        }
        Line::start(&self.tr.account_id, self.a.events, kind, at)
    }

    pub(crate) fn emit(&mut self, l: Line) {
        if !l.is_muted() {
            self.out.push(l.finish());
        }
        self.stats.events += 1;
        self.stats.today().events += 1;
    }

    /// Runs the agenda item due at `t` (exactly one).
    pub fn run_agenda(&mut self, t: i64) {
        let a = &mut *self.a;
        if a.open_at == t {
            a.open_at = NEVER;
            self.open(t);
        } else if let Some(k) = a.followups.iter().position(|f| f.at == t) {
            let f = a.followups.remove(k);
            self.followup(t, f.what);
        } else if a.due_check_at == t {
            a.due_check_at = NEVER;
            self.due_check(t);
        } else if a.statement_at == t {
            a.statement_at = NEVER;
            self.statement(t);
        } else if let Some(p) = a.pay.filter(|p| p.at == t) {
            a.pay = None;
            let next = a.pay_next.take();
            self.pay(t, p.mode);
            if let Some(n) = next {
                // The plan that was to follow this one (calibrated model only).
                self.follow_plan(t, n);
            }
        } else if let Some(r) = a.reversal.filter(|r| r.at == t) {
            a.reversal = None;
            self.reverse(t, r);
        } else if a.rare_at == t {
            a.rare_at = NEVER;
            self.rare(t);
        }
        self.a.refresh_next();
    }

    /// Publishes the profile and the statements the account already carries.
    fn open(&mut self, t: i64) {
        self.a.opened = true;
        self.a.payday_public = self.tr.payday_disclosed;
        let mut l = self
            .line("account_opened", t)
            .str("timezone", self.tr.timezone())
            .str("currency", self.tr.currency())
            .str("product", self.tr.product.as_str())
            .str("portfolio", self.tr.portfolio());
        if self.tr.credit_limit > 0 {
            l = l.int("credit_limit", self.tr.credit_limit);
        }
        if let (true, Some(d)) = (self.a.payday_public, self.tr.payday) {
            l = l.int("payday_day_of_month", i64::from(d));
        }
        let l = self.contacts_array(l);
        self.emit(l);
        for s in self.a.ledger.stmts.clone() {
            self.emit_statement(t, s);
        }
        let today = self.today(t);
        if self.a.ledger.dpd(today) > 0 {
            self.plan_cure(t);
        } else if let Some(s) = self.a.ledger.stmts.last().copied() {
            self.plan_statement_payment(t, today - 1, s.due);
        }
        self.schedule_rare(t);
    }

    /// Appends the current contact list to an event.
    pub(crate) fn contacts_array(&self, l: Line) -> Line {
        if l.is_muted() {
            return l;
        }
        let mut l = l.array("contacts");
        for (i, c) in self.a.contacts.iter().enumerate().filter(|(_, c)| c.active) {
            let n = (i + 1) as u8;
            let number = phone(self.cfg.seed, self.idx, self.tr.zone, c.number);
            l = l.contact_item(n, c.role.as_str(), &number, c.consent, c.informed);
        }
        l.end_array()
    }

    fn emit_statement(&mut self, t: i64, s: Stmt) {
        self.a.statements += 1;
        let n = u32::from(self.a.statements);
        let l = self
            .line("statement_issued", t)
            .id("statement_id", &self.tr.account_id, "s", n)
            .int("amount_due", s.amount)
            .int("minimum_due", s.min)
            .date("due_date", s.due);
        self.emit(l);
    }

    pub(crate) fn emit_fee(&mut self, t: i64, kind: FeeKind, amount: i64) {
        self.a.fees += 1;
        let n = u32::from(self.a.fees);
        let l = self
            .line("fee_charged", t)
            .id("fee_id", &self.tr.account_id, "f", n)
            .int("amount", amount)
            .str("kind", kind.as_str());
        self.emit(l);
        self.a.ledger.fees += amount;
        self.stats.fees += 1;
    }

    /// Issues the statement due on `a.statement_due` and schedules the next one.
    fn statement(&mut self, t: i64) {
        let due = self.a.statement_due;
        let today = self.today(t);
        let arrears = self.a.ledger.arrears(today);
        let dpd = arrears.oldest_due.map_or(0, |d| today - d);
        let blocked =
            self.a.dead || self.a.flags & (Flag::Fraud.bit() | Flag::Bankruptcy.bit()) != 0;
        let amount = match self.tr.product {
            Product::CreditCard | Product::SmeCreditLine => {
                if dpd > 0 || blocked || chance(&mut self.rng, 0.08) {
                    0
                } else {
                    cycle_amount(self.tr, &mut self.rng)
                }
            }
            Product::TelecomPostpaid if dpd > 60 || blocked => 0,
            Product::TelecomPostpaid => cycle_amount(self.tr, &mut self.rng),
            Product::PersonalLoan | Product::Bnpl if self.a.instalments_left > 0 => {
                self.a.instalments_left -= 1;
                cycle_amount(self.tr, &mut self.rng)
            }
            Product::PersonalLoan | Product::Bnpl => 0,
        };
        let revolving = matches!(
            self.tr.product,
            Product::CreditCard | Product::SmeCreditLine
        );
        if revolving && arrears.overdue > 0 && !self.a.has(Flag::BreathingSpace) {
            let interest = (arrears.overdue / 50).max(100);
            self.emit_fee(t, FeeKind::Interest, interest);
        }
        if amount > 0 {
            let s = Stmt {
                due,
                amount,
                min: minimum_of(self.tr, amount),
            };
            self.a.ledger.stmts.push(s);
            self.emit_statement(t, s);
            self.a.due_check_due = due;
            let sod = 2 * 3600 + self.rng.random_range(0..3600);
            self.a.due_check_at = self.at_local(due + 1, sod).max(t + 60);
            if dpd == 0 {
                self.plan_statement_payment(t, today, due);
            }
        }
        if dpd >= 180 {
            self.charge_off(t);
            return;
        }
        if !self.tr.product.instalments() || self.a.instalments_left > 0 {
            let next = day_in_month(due, 1, u32::from(self.tr.due_day));
            self.a.statement_due = next;
            self.a.statement_at =
                statement_time(self.zones, self.tr, next, &mut self.rng).max(t + 60);
        }
    }

    /// The day after a due date: late fee if the minimum is not covered, charge-off when long
    /// delinquent, and the debtor's next move.
    fn due_check(&mut self, t: i64) {
        if self.a.ledger.covered(self.a.due_check_due) {
            return;
        }
        let frozen = self.a.flags & (Flag::BreathingSpace.bit() | Flag::Bankruptcy.bit()) != 0;
        if !frozen {
            let usd = match self.tr.product {
                Product::CreditCard => 2_900.0,
                Product::PersonalLoan => 1_500.0,
                Product::Bnpl => 700.0,
                Product::TelecomPostpaid => 500.0,
                Product::SmeCreditLine => 5_000.0,
            };
            let fee = self.tr.money(usd);
            self.emit_fee(t, FeeKind::LateFee, fee);
        }
        let dpd = self.a.ledger.dpd(self.today(t));
        if dpd >= 180 {
            self.charge_off(t);
        } else if self.a.pay.is_none() {
            self.plan_cure(t);
        }
    }

    /// Long delinquency ends in charge-off (sometimes a sale of the debt).
    fn charge_off(&mut self, t: i64) {
        let reason = if chance(&mut self.rng, 0.85) {
            CloseReason::ChargedOff
        } else {
            CloseReason::Sold
        };
        let at = t + self.rng.random_range(HOUR..6 * HOUR);
        self.a.follow(at, Follow::Close(reason));
    }

    /// How much a payment of `mode` comes to now (0 = nothing to pay).
    pub(crate) fn amount_for(&self, mode: PayMode) -> i64 {
        let owed = self.a.ledger.owed();
        if owed <= 0 {
            return 0;
        }
        let cover = self.a.ledger.to_cover(i32::MAX);
        let x = match mode {
            PayMode::Cure | PayMode::Minimum => cover,
            PayMode::Statement => owed,
            PayMode::Partial(pm) => (cover * i64::from(pm) / 100_000 * 100).max(100),
            PayMode::Fixed(x) => x,
        };
        x.min(owed)
    }

    /// A planned payment falls due.
    fn pay(&mut self, t: i64, mode: PayMode) {
        let stop = Flag::Bankruptcy.bit() | Flag::Dispute.bit() | Flag::Complaint.bit();
        if self.a.dead || self.a.closed.is_some() || self.a.flags & stop != 0 {
            return;
        }
        let amount = self.amount_for(mode);
        if amount <= 0 {
            return;
        }
        let today = self.today(t);
        let was_late = self.a.ledger.dpd(today) > 0;
        self.a.payments += 1;
        let n = self.a.payments;
        let l = self
            .line("payment_received", t)
            .id("payment_id", &self.tr.account_id, "p", n)
            .int("amount", amount);
        self.emit(l);
        self.a.ledger.paid += amount;
        self.a.last_payment = Some((n, amount));
        self.count_collected(amount);
        self.stats.payments += 1;
        self.stats.today().payments += 1;
        if let Some(p) = self.a.promise.as_mut() {
            if t >= p.made_at && t < p.deadline {
                p.paid += amount;
                if p.paid >= p.amount {
                    self.a.promise = None;
                    self.a.promise_due = None;
                    self.stats.promises_kept += 1;
                    self.stats.today().promises_kept += 1;
                }
            }
        }
        let dpd = self.a.ledger.dpd(today);
        if was_late && dpd == 0 {
            self.stats.accounts_cured += 1;
            self.stats.today().accounts_cured += 1;
        }
        let p_reverse = 0.01 + 0.3 * (1.0 - self.ab()).powf(2.5);
        if self.a.reversal.is_none() && chance(&mut self.rng, p_reverse) {
            let amount = if chance(&mut self.rng, 0.9) || amount < 200 {
                amount
            } else {
                self.rng.random_range(100..amount)
            };
            let at = t + self.rng.random_range(DAY..5 * DAY);
            self.a.reversal = Some(ReversalPlan {
                at,
                payment_no: n,
                amount,
            });
            return;
        }
        // Paid statements are dropped only when no reversal is still to come: a pending reversal
        // (of an earlier payment) reopens them, as the engine's allocation does. The legacy model
        // keeps its original bytes, and with them this flaw: its audit can misjudge a call made
        // after such a reversal (the world's ledger then shows nothing overdue).
        let legacy = self.cfg.response == super::config::ResponseModel::Legacy;
        if legacy || self.a.reversal.is_none() {
            self.a.ledger.compact();
        }
        if self.a.ledger.owed() == 0 {
            let close = match self.tr.product {
                Product::PersonalLoan | Product::Bnpl => self.a.instalments_left == 0,
                Product::CreditCard | Product::SmeCreditLine => chance(&mut self.rng, 0.02),
                Product::TelecomPostpaid => false,
            };
            if close {
                let at = t + self.rng.random_range(HOUR..30 * HOUR);
                self.a.follow(at, Follow::Close(CloseReason::PaidOff));
            }
        } else if dpd > 0 {
            self.plan_cure(t);
        }
    }

    pub(crate) fn count_collected(&mut self, amount: i64) {
        let usd = self.tr.to_usd_cents(amount);
        self.stats.collected_usd_cents += usd;
        self.stats.today().collected_usd_cents += usd;
        *self
            .stats
            .collected_by_currency
            .entry(self.tr.currency())
            .or_default() += amount;
    }

    /// A payment bounces.
    fn reverse(&mut self, t: i64, r: ReversalPlan) {
        let reason = match self.rng.random_range(0..100) {
            0..=5 if self.tr.product == Product::CreditCard => "chargeback",
            0..=3 => "other",
            _ => "insufficient_funds",
        };
        let l = self
            .line("payment_reversed", t)
            .id("payment_id", &self.tr.account_id, "p", r.payment_no)
            .int("amount", r.amount)
            .str("reason", reason);
        self.emit(l);
        self.a.ledger.paid -= r.amount;
        self.count_collected(-r.amount);
        self.stats.reversals += 1;
        self.stats.today().reversals += 1;
        if let Some(p) = self.a.promise.as_mut() {
            p.paid = (p.paid - r.amount).max(0);
        }
        if reason == "insufficient_funds" && chance(&mut self.rng, 0.5) {
            let fee = self.tr.money(1_500.0);
            let at = t + self.rng.random_range(600..7_200);
            self.a.follow(at, Follow::Fee(FeeKind::FailedDebit, fee));
        }
        let p_retry = 0.3 + 0.4 * self.ab();
        if self.a.pay.is_none() && chance(&mut self.rng, p_retry) {
            let day = self.today(t) + self.rng.random_range(3..10);
            let at = self.day_time(day).max(t + 60);
            self.plan_at(at, PayMode::Cure);
        }
    }

    /// Keeps the earlier of the current plan and a new one.
    pub(crate) fn plan_at(&mut self, at: i64, mode: PayMode) {
        if self.a.pay.is_none_or(|p| p.at > at) {
            self.a.pay = Some(PayPlan { at, mode });
        }
    }

    /// Whether the debtor is in a position to plan a payment at all.
    pub(crate) fn can_plan(&self) -> bool {
        let stop = Flag::Bankruptcy.bit() | Flag::Dispute.bit() | Flag::Complaint.bit();
        !self.a.dead && self.a.closed.is_none() && self.a.flags & stop == 0
    }

    /// The debtor's own decision about a fresh statement, while current.
    fn plan_statement_payment(&mut self, t: i64, issued: i32, due: i32) {
        if self.a.pay.is_some() || !self.can_plan() {
            return;
        }
        let (w, ab) = (self.w(), self.ab());
        let risk = 0.6 * (1.0 - w) + 0.4 * (1.0 - ab);
        if chance(&mut self.rng, 0.01 + 0.25 * risk.powf(2.5)) {
            return;
        }
        let partial = chance(&mut self.rng, 0.25 * (1.0 - ab).powi(3));
        let mode = if partial {
            PayMode::Partial(self.rng.random_range(300..900))
        } else if self.tr.product == Product::CreditCard && chance(&mut self.rng, 0.25 + 0.6 * ab) {
            PayMode::Statement
        } else {
            PayMode::Minimum
        };
        let payday = self
            .tr
            .payday
            .map(|d| next_dom(issued + 1, u32::from(d)))
            .filter(|&d| d <= due);
        let day = if chance(&mut self.rng, 0.2 * (1.0 - w).powf(1.5)) {
            due + self.rng.random_range(1..=8)
        } else if let (Some(p), true) = (payday, chance(&mut self.rng, 0.75)) {
            (p + [0, 0, 1, 2][self.rng.random_range(0..4)]).min(due)
        } else {
            let span = f64::from((due - issued - 1).clamp(0, 12));
            due - (self.rng.random::<f64>().powf(0.6) * span) as i32
        };
        let at = self.day_time(day).max(t + 60);
        self.plan_at(at, mode);
    }

    /// When a delinquent debtor will next pay on their own (if at all).
    pub(crate) fn plan_cure(&mut self, t: i64) {
        if self.calibrated() {
            return self.plan_cure_calibrated(t);
        }
        if !self.can_plan() {
            return;
        }
        let today = self.today(t);
        let dpd = f64::from(self.a.ledger.dpd(today));
        let (w, ab) = (self.w(), self.ab());
        let mut rate = 0.005 + 0.15 * w * w * (0.3 + 0.7 * ab) / (1.0 + dpd / 30.0);
        if self.a.has(Flag::Hardship) {
            rate *= 0.6;
        }
        let wait = exp_wait(&mut self.rng, rate);
        if wait > 150.0 {
            return;
        }
        let mut day = today + wait.ceil() as i32;
        if let (Some(p), true) = (self.tr.payday, chance(&mut self.rng, 0.6)) {
            day = next_dom(day, u32::from(p)) + self.rng.random_range(0..3);
        }
        let mode = if chance(&mut self.rng, ab.powf(0.7)) {
            PayMode::Cure
        } else {
            PayMode::Partial(self.rng.random_range(250..850))
        };
        let at = self.day_time(day).max(t + 60);
        self.plan_at(at, mode);
    }

    /// A reminder may bring a payment forward: with probability `p`, within `max_days`.
    pub(crate) fn nudge(&mut self, t: i64, p: f64, max_days: i64) {
        if !self.can_plan() || self.a.ledger.to_cover(i32::MAX) == 0 || !chance(&mut self.rng, p) {
            return;
        }
        let day = self.today(t) + self.rng.random_range(0..max_days.max(1)) as i32;
        let at = self.day_time(day).max(t + 2 * HOUR);
        let p_cure = self.ab().powf(0.5);
        let mode = if chance(&mut self.rng, p_cure) {
            PayMode::Cure
        } else {
            PayMode::Partial(self.rng.random_range(300..900))
        };
        self.plan_at(at, mode);
    }
}
