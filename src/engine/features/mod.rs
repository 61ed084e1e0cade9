//! Features: what an account's ledger means at a point in time.
//!
//! Owns payment allocation (oldest statement first), days past due and stage, promise outcomes
//! (kept / broken / kept late, decided by the clock with no event needed), reachability, and the
//! fixed, named feature vector the models score ([`FEATURE_NAMES`]). Pure: state and clock in,
//! numbers out. No protected attributes are ever computed.

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use crate::engine::account::{Account, Promise};
use crate::engine::domain::*;

/// One feature of the model vector: its name (the models' column name), a human-readable reason
/// code used in explanations, and what it means.
pub struct FeatureDef {
    /// Column name in the model files and [`FEATURE_NAMES`].
    pub name: &'static str,
    /// Reason code in explanations (`DAYS_PAST_DUE` …).
    pub code: &'static str,
    /// What the feature measures, for people.
    pub meaning: &'static str,
}

macro_rules! features {
    ($($idx:ident = $name:literal, $code:literal, $meaning:literal;)+) => {
        /// Indices into the feature vector.
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(usize)]
        pub enum F { $(#[doc = concat!("`", $name, "`: ", $meaning, ".")] $idx),+ }
        /// Every feature's definition, in vector order.
        pub const FEATURES: &[FeatureDef] = &[$(FeatureDef { name: $name, code: $code, meaning: $meaning }),+];
        /// The feature vector's names, in order. Models must name their inputs from this list.
        pub const FEATURE_NAMES: &[&str] = &[$($name),+];
    };
}

features! {
    DaysPastDue = "days_past_due", "DAYS_PAST_DUE", "days since the oldest statement whose minimum is not covered";
    OverdueLog = "overdue_amount_log", "OVERDUE_AMOUNT", "ln(1 + overdue amount in major units)";
    BalanceLog = "balance_log", "BALANCE", "ln(1 + outstanding balance in major units)";
    OverdueToLimit = "overdue_to_limit", "OVERDUE_TO_LIMIT", "overdue amount / credit limit (0 without a limit), capped at 5";
    HasLimit = "has_credit_limit", "HAS_CREDIT_LIMIT", "1 when the account has a credit limit";
    StatementsMissed = "statements_missed", "STATEMENTS_MISSED", "past-due statements whose minimum is not covered";
    FeesLog90 = "fees_90d_log", "FEES_90D", "ln(1 + fees charged in 90 days, major units)";
    Payments30 = "payments_30d", "PAYMENTS_30D", "payments received in 30 days";
    Payments90 = "payments_90d", "PAYMENTS_90D", "payments received in 90 days";
    PaidLog90 = "paid_amount_90d_log", "PAID_90D", "ln(1 + net amount paid in 90 days, major units)";
    PaidToDue90 = "paid_to_due_ratio_90d", "PAID_TO_DUE_90D", "net paid in 90 days / minimum due in 90 days, capped at 2 (1 when nothing was due)";
    DaysSincePayment = "days_since_last_payment", "DAYS_SINCE_PAYMENT", "days since the last payment, capped at 365";
    PartialShare = "partial_payment_share", "PARTIAL_PAYMENTS", "share of due statements paid in part but below the minimum";
    Nsf90 = "nsf_reversals_90d", "NSF_REVERSALS_90D", "payments reversed for insufficient funds in 90 days";
    PromisesMade90 = "promises_made_90d", "PROMISES_MADE_90D", "promises made in 90 days";
    PromisesKept90 = "promises_kept_90d", "PROMISES_KEPT_90D", "promises made in 90 days and kept";
    PromisesBroken90 = "promises_broken_90d", "BROKEN_PROMISES_90D", "promises broken in 90 days";
    BrokenShare90 = "promise_broken_share_90d", "BROKEN_PROMISE_SHARE", "share of the promises made in 90 days that were broken (0 without promises)";
    PromisesKept = "promises_kept_lifetime", "PROMISES_KEPT", "promises kept, lifetime";
    PromisesBroken = "promises_broken_lifetime", "BROKEN_PROMISES", "promises broken, lifetime";
    PromisesKeptLate = "promises_kept_late_lifetime", "PROMISES_KEPT_LATE", "broken promises paid in full afterwards, lifetime";
    PromisePending = "promise_pending", "PROMISE_PENDING", "1 while a promise is pending";
    PromisePendingRatio = "promise_pending_amount_ratio", "PROMISE_AMOUNT", "pending promise amount / overdue amount, capped at 2";
    PromiseWritten = "promise_confirmed_in_writing", "PROMISE_IN_WRITING", "1 when the pending promise was confirmed in writing";
    Attempts24h = "attempts_24h", "ATTEMPTS_24H", "call attempts in 24 hours";
    Attempts7d = "attempts_7d", "ATTEMPTS_7D", "call attempts in 7 days";
    Attempts30d = "attempts_30d", "ATTEMPTS_30D", "call attempts in 30 days";
    Rpc30d = "right_party_contacts_30d", "RIGHT_PARTY_CONTACTS_30D", "right-party contacts in 30 days";
    RpcRate30d = "right_party_rate_30d", "RIGHT_PARTY_RATE", "right-party contacts / call attempts in 30 days, smoothed toward 1/3";
    NoAnswerStreak = "no_answer_streak", "NO_ANSWER_STREAK", "unanswered calls to the debtor since the last answered one";
    WrongNumbers = "wrong_numbers", "WRONG_NUMBERS", "contacts found to be wrong numbers";
    InvalidNumbers = "invalid_numbers", "INVALID_NUMBERS", "contacts found to be invalid numbers";
    DaysSinceRpc = "days_since_right_party", "DAYS_SINCE_CONTACT", "days since the last right-party contact, capped at 365";
    Refusals90 = "refusals_90d", "REFUSALS_90D", "refusals (refused calls or refused to pay) in 90 days";
    Abusive90 = "abusive_90d", "ABUSIVE_90D", "calls dispositioned abusive in 90 days";
    BestHourRate = "best_hour_answer_rate", "BEST_HOUR_ANSWER_RATE", "answer rate at the account's best local hour, smoothed";
    TenureDays = "tenure_days", "TENURE", "days since the account was opened, capped at 3650";
    DaysToPayday = "days_to_payday", "DAYS_TO_PAYDAY", "days to the next payday (15 when unknown)";
    PaydayKnown = "payday_known", "PAYDAY_KNOWN", "1 when the payday is known";
    Hardship = "hardship", "HARDSHIP", "1 with a hardship flag or hardship disclosed within policy.hardship_recent_days";
    DisputesLifetime = "disputes_lifetime", "DISPUTES", "disputes and complaints raised, lifetime";
    Commercial = "commercial", "COMMERCIAL", "1 for a commercial portfolio";
    UsableNumbers = "usable_debtor_numbers", "USABLE_NUMBERS", "debtor numbers that may be dialled";
    ConsentingThirdParties = "consenting_third_parties", "CONSENTING_THIRD_PARTIES", "third parties who consented to be contacted";
}

/// Length of the feature vector.
pub const N_FEATURES: usize = FEATURE_NAMES.len();

/// The state of the account's newest pending promise.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingPromise {
    /// The producer's `promise_id`.
    pub id: String,
    /// Amount promised in minor units.
    pub amount: Money,
    /// Due date in the account's local calendar.
    pub due_date: Date,
    /// The instant it is decided: the end of its due date plus the grace days, local time.
    pub deadline: Timestamp,
    /// Net paid toward it so far, in minor units.
    pub paid: Money,
    /// Whether it was confirmed in writing.
    pub confirmed_in_writing: bool,
}

/// What became of a promise as of the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromiseOutcome {
    /// Not kept yet and its deadline not passed.
    Pending,
    /// Payments since it was made reached its amount by the deadline.
    Kept,
    /// The deadline passed short of the amount.
    Broken {
        /// Payments reached the amount after the deadline.
        kept_late: bool,
    },
}

/// Everything the policy and ranking need to know about an account at a moment, plus the model vector.
#[derive(Debug, Clone)]
pub struct Features {
    /// The clock value the features are computed as of (UTC).
    pub now: Timestamp,
    /// The local date of `now` in the account's zone.
    pub today: Date,
    /// Days past due: local days since the oldest due statement whose minimum is not covered.
    pub dpd: i64,
    /// The stage: from `dpd`, else `pre_due` or `current`.
    pub stage: Stage,
    /// Amount overdue in minor units: the uncovered minimums of past-due statements.
    pub overdue: Money,
    /// Outstanding balance in minor units: billed plus fees minus net payments.
    pub balance: Money,
    /// Minimum still due on the statement that makes the account `pre_due`, if any.
    pub pre_due_amount: Money,
    /// Due date of the oldest statement not yet due whose minimum is not covered.
    pub next_due: Option<Date>,
    /// The pending promise with the latest due date, if any.
    pub promise: Option<PendingPromise>,
    /// Promises broken (deadline passed unkept) in the last 90 days.
    pub broken_90d: u32,
    /// The latest deadline at which a promise broke (UTC).
    pub last_broken_deadline: Option<Timestamp>,
    /// Local days to the next payday, when the payday is known.
    pub days_to_payday: Option<i64>,
    /// When the debtor was last reached (the latest right-party contact, UTC).
    pub last_rpc: Option<Timestamp>,
    /// Calls that reached nobody since the last right-party contact.
    pub failed_since_rpc: u32,
    /// A hardship flag is in force or a hardship was disclosed within `hardship_recent_days`.
    pub hardship: bool,
    /// The model vector, indexed by [`F`] and named by [`FEATURE_NAMES`].
    pub vector: [f64; N_FEATURES],
}

const DAY: i64 = 86_400;

fn days_between(a: Timestamp, b: Timestamp) -> i64 {
    (b.as_second() - a.as_second()).div_euclid(DAY)
}

/// `ln(1 + major units)`, with the currency's ISO 4217 minor-unit exponent.
fn major_log(minor: Money, currency: &str) -> f64 {
    (1.0 + to_major(minor.max(0), currency)).ln()
}

/// The configured numbers features depend on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// `features.promise_grace_days`.
    pub grace_days: i64,
    /// `policy.hardship_recent_days`: a disclosed hardship counts for this long.
    pub hardship_recent_days: i64,
}

impl Params {
    /// The numbers of `settings`.
    pub fn of(settings: &crate::engine::settings::Settings) -> Params {
        Params {
            grace_days: settings.raw.features.promise_grace_days,
            hardship_recent_days: settings.raw.policy.hardship_recent_days,
        }
    }
}

/// Start of a local date (00:00, or the first instant of the day where DST skips midnight).
pub fn local_midnight(date: Date, tz: &TimeZone) -> Timestamp {
    date.to_zoned(tz.clone())
        .map(|z| z.timestamp())
        .or_else(|_| date.to_zoned(TimeZone::UTC).map(|z| z.timestamp()))
        .unwrap_or(Timestamp::MAX)
}

/// The instant a promise is decided: the end of its due date plus the grace days, local time.
pub fn promise_deadline(p: &Promise, grace_days: i64, tz: &TimeZone) -> Timestamp {
    let day = p
        .due_date
        .checked_add((grace_days + 1).days())
        .unwrap_or(p.due_date);
    local_midnight(day, tz)
}

/// Net payments made from the promise's making until `until` (exclusive) and by `now` (a payment
/// at the clock's own instant has been made).
fn paid_toward(acc: &Account, p: &Promise, until: Timestamp, now: Timestamp) -> Money {
    acc.payments
        .iter()
        .filter(|x| x.at >= p.made_at && x.at < until && x.at <= now)
        .map(|x| x.amount - x.reversed)
        .sum()
}

/// What became of promise `p` as of `now`, its deadline, and the net paid toward it by then.
pub fn promise_outcome(
    acc: &Account,
    p: &Promise,
    now: Timestamp,
    grace_days: i64,
    tz: &TimeZone,
) -> (PromiseOutcome, Timestamp, Money) {
    let deadline = promise_deadline(p, grace_days, tz);
    let paid = paid_toward(acc, p, deadline, now);
    if paid >= p.amount {
        (PromiseOutcome::Kept, deadline, paid)
    } else if now >= deadline {
        // Payments land before `now`, so everything paid up to now counts toward "kept late".
        let late = paid_toward(acc, p, Timestamp::MAX, Timestamp::MAX) >= p.amount;
        (PromiseOutcome::Broken { kept_late: late }, deadline, paid)
    } else {
        (PromiseOutcome::Pending, deadline, paid)
    }
}

/// Next payday on or after `today`, clamped to the month's length.
fn next_payday(today: Date, day: u8) -> Date {
    let this = today
        .first_of_month()
        .checked_add(((day as i64).min(today.days_in_month() as i64) - 1).days())
        .unwrap_or(today);
    if this >= today {
        return this;
    }
    let next = today
        .first_of_month()
        .checked_add(1.month())
        .unwrap_or(today);
    next.checked_add(((day as i64).min(next.days_in_month() as i64) - 1).days())
        .unwrap_or(next)
}

/// Smoothed answer rate per local hour of day, from the account's calls to the debtor.
pub fn answer_rates_by_hour(acc: &Account, prior: &[f64; 24]) -> [f64; 24] {
    let mut calls = [0u32; 24];
    let mut answered = [0u32; 24];
    for a in acc
        .attempts
        .iter()
        .filter(|a| a.channel == AttemptChannel::Call && a.party == Party::Debtor)
    {
        let h = a.local_hour as usize;
        calls[h] += 1;
        if a.outcome.connected() {
            answered[h] += 1;
        }
    }
    // Beta smoothing with a prior worth two calls.
    let mut out = [0.0; 24];
    for h in 0..24 {
        out[h] = (answered[h] as f64 + 2.0 * prior[h]) / (calls[h] as f64 + 2.0);
    }
    out
}

/// Weekday of a timestamp in a zone (for reports).
pub fn local_weekday(at: Timestamp, tz: &TimeZone) -> Weekday {
    tz.to_datetime(at).weekday()
}

/// Computes the account's features at `now`. `tz` is the account's zone (UTC while unknown).
pub fn compute(acc: &Account, now: Timestamp, tz: &TimeZone, params: &Params) -> Features {
    let grace_days = params.grace_days;
    let currency = acc.profile.currency();
    let mut v = [0.0; N_FEATURES];
    let today = tz.to_datetime(now).date();
    let d90 = shift(now, -(90 * DAY));
    let d30 = shift(now, -(30 * DAY));

    // Money: allocate net payments to statements oldest first, then to fees.
    let net_paid: Money = acc.payments.iter().map(|p| p.amount - p.reversed).sum();
    let mut left = net_paid.max(0);
    let (mut overdue, mut missed, mut oldest, mut pre_due_amount) = (0, 0, None, 0);
    let mut next_due: Option<Date> = None;
    let (mut due_stmts_180, mut partial_180, mut billed) = (0u32, 0u32, 0);
    let mut min_due_90 = 0;
    let day180 = today.checked_sub(180.days()).unwrap_or(today);
    let day90 = today.checked_sub(90.days()).unwrap_or(today);
    let soon = today.checked_add(3.days()).unwrap_or(today);
    for s in &acc.statements {
        billed += s.amount_due;
        let alloc = left.min(s.amount_due);
        left -= alloc;
        let covered = alloc >= s.minimum_due;
        if s.due_date < today {
            if !covered {
                overdue += s.minimum_due - alloc;
                missed += 1;
                oldest.get_or_insert(s.due_date);
            }
            if s.due_date >= day180 {
                due_stmts_180 += 1;
                if alloc > 0 && !covered {
                    partial_180 += 1;
                }
            }
            if s.due_date >= day90 {
                min_due_90 += s.minimum_due;
            }
        } else if !covered {
            next_due.get_or_insert(s.due_date);
            if s.due_date <= soon {
                pre_due_amount += s.minimum_due - alloc;
            }
        }
    }
    let fees_total: Money = acc.fees.iter().map(|f| f.amount).sum();
    let balance = billed + fees_total - net_paid;
    let dpd = oldest
        .map_or(0, |d: Date| (today - d).get_days() as i64)
        .max(0);
    let stage = if dpd > 0 {
        Stage::from_dpd(dpd)
    } else if pre_due_amount > 0 {
        Stage::PreDue
    } else {
        Stage::Current
    };
    v[F::DaysPastDue as usize] = dpd as f64;
    v[F::OverdueLog as usize] = major_log(overdue, currency);
    v[F::BalanceLog as usize] = major_log(balance, currency);
    if let Some(limit) = acc.profile.fields.credit_limit.filter(|l| *l > 0) {
        v[F::HasLimit as usize] = 1.0;
        v[F::OverdueToLimit as usize] = (overdue as f64 / limit as f64).min(5.0);
    }
    v[F::StatementsMissed as usize] = missed as f64;
    v[F::FeesLog90 as usize] = major_log(
        acc.fees
            .iter()
            .filter(|f| f.at > d90)
            .map(|f| f.amount)
            .sum(),
        currency,
    );
    let (mut p30, mut p90, mut paid90, mut last_pay) = (0, 0, 0, None::<Timestamp>);
    for p in acc.payments.iter().filter(|p| p.reversed < p.amount) {
        if p.at > d90 {
            p90 += 1;
            paid90 += p.amount - p.reversed;
            if p.at > d30 {
                p30 += 1;
            }
        }
        last_pay = Some(last_pay.map_or(p.at, |l| l.max(p.at)));
    }
    v[F::Payments30 as usize] = p30 as f64;
    v[F::Payments90 as usize] = p90 as f64;
    v[F::PaidLog90 as usize] = major_log(paid90, currency);
    v[F::PaidToDue90 as usize] = if min_due_90 > 0 {
        (paid90 as f64 / min_due_90 as f64).clamp(0.0, 2.0)
    } else {
        1.0
    };
    v[F::DaysSincePayment as usize] =
        last_pay.map_or(365, |l| days_between(l, now).min(365)) as f64;
    v[F::PartialShare as usize] = if due_stmts_180 > 0 {
        partial_180 as f64 / due_stmts_180 as f64
    } else {
        0.0
    };
    v[F::Nsf90 as usize] = acc
        .reversals
        .iter()
        .filter(|r| r.at > d90 && r.reason == ReversalReason::InsufficientFunds)
        .count() as f64;

    // Promises.
    let (mut made90, mut kept90, mut broken90, mut kept, mut broken, mut late) = (0, 0, 0, 0, 0, 0);
    let mut pending: Option<PendingPromise> = None;
    let mut last_broken_deadline = None;
    for p in &acc.promises {
        let (outcome, deadline, paid) = promise_outcome(acc, p, now, grace_days, tz);
        let recent = p.made_at > d90;
        made90 += recent as u32;
        match outcome {
            PromiseOutcome::Kept => {
                kept += 1;
                kept90 += recent as u32;
            }
            PromiseOutcome::Broken { kept_late } => {
                broken += 1;
                late += kept_late as u32;
                if deadline > d90 {
                    broken90 += 1;
                }
                last_broken_deadline =
                    Some(last_broken_deadline.map_or(deadline, |d: Timestamp| d.max(deadline)));
            }
            PromiseOutcome::Pending => {
                let newer = pending.as_ref().is_none_or(|q| p.due_date >= q.due_date);
                if newer {
                    pending = Some(PendingPromise {
                        id: p.id.clone(),
                        amount: p.amount,
                        due_date: p.due_date,
                        deadline,
                        paid,
                        confirmed_in_writing: p.confirmed_in_writing,
                    });
                }
            }
        }
    }
    v[F::PromisesMade90 as usize] = made90 as f64;
    v[F::PromisesKept90 as usize] = kept90 as f64;
    v[F::PromisesBroken90 as usize] = broken90 as f64;
    v[F::BrokenShare90 as usize] = if made90 > 0 {
        (broken90 as f64 / made90 as f64).min(1.0)
    } else {
        0.0
    };
    v[F::PromisesKept as usize] = kept as f64;
    v[F::PromisesBroken as usize] = broken as f64;
    v[F::PromisesKeptLate as usize] = late as f64;
    if let Some(p) = &pending {
        v[F::PromisePending as usize] = 1.0;
        v[F::PromisePendingRatio as usize] = if overdue > 0 {
            (p.amount as f64 / overdue as f64).min(2.0)
        } else {
            1.0
        };
        v[F::PromiseWritten as usize] = p.confirmed_in_writing as u8 as f64;
    }

    // Reachability.
    let d1 = shift(now, -(DAY));
    let d7 = shift(now, -(7 * DAY));
    let (mut a24, mut a7, mut a30, mut rpc30, mut refusals, mut abusive) = (0, 0, 0, 0, 0, 0);
    let mut last_rpc = None;
    for a in &acc.attempts {
        if a.channel == AttemptChannel::Call {
            a24 += (a.at > d1) as u32;
            a7 += (a.at > d7) as u32;
            a30 += (a.at > d30) as u32;
        }
        if a.outcome == Outcome::RightParty {
            rpc30 += (a.at > d30) as u32;
            last_rpc = Some(a.at);
        }
        if a.at > d90 {
            refusals += (a.outcome == Outcome::Refused
                || a.disposition == Some(Disposition::RefusedToPay)) as u32;
            abusive += (a.disposition == Some(Disposition::Abusive)) as u32;
        }
    }
    let (mut streak, mut failed_since_rpc) = (0u32, 0u32);
    let mut streak_open = true;
    for a in acc.attempts.iter().rev() {
        if a.outcome == Outcome::RightParty {
            break;
        }
        if a.channel == AttemptChannel::Call && a.outcome.failed_reach() {
            failed_since_rpc += 1;
        }
        if a.channel == AttemptChannel::Call && a.party == Party::Debtor && streak_open {
            if a.outcome.failed_reach() {
                streak += 1;
            } else {
                streak_open = false;
            }
        }
    }
    v[F::Attempts24h as usize] = a24 as f64;
    v[F::Attempts7d as usize] = a7 as f64;
    v[F::Attempts30d as usize] = a30 as f64;
    v[F::Rpc30d as usize] = rpc30 as f64;
    v[F::RpcRate30d as usize] = (rpc30 as f64 + 1.0) / (a30 as f64 + 3.0);
    v[F::NoAnswerStreak as usize] = streak as f64;
    v[F::WrongNumbers as usize] = acc
        .bad_numbers
        .iter()
        .filter(|b| b.outcome == Outcome::WrongNumber)
        .count() as f64;
    v[F::InvalidNumbers as usize] = acc
        .bad_numbers
        .iter()
        .filter(|b| b.outcome == Outcome::InvalidNumber)
        .count() as f64;
    v[F::DaysSinceRpc as usize] = last_rpc.map_or(365, |l| days_between(l, now).min(365)) as f64;
    v[F::Refusals90 as usize] = refusals as f64;
    v[F::Abusive90 as usize] = abusive as f64;
    v[F::BestHourRate as usize] = best_hour_rate(acc);

    // Profile.
    let opened = acc.opened_at.unwrap_or(acc.first_event_at);
    v[F::TenureDays as usize] = days_between(opened, now).clamp(0, 3650) as f64;
    let days_to_payday = acc
        .profile
        .fields
        .payday_day_of_month
        .map(|d| (next_payday(today, d) - today).get_days() as i64);
    v[F::DaysToPayday as usize] = days_to_payday.unwrap_or(15) as f64;
    v[F::PaydayKnown as usize] = days_to_payday.is_some() as u8 as f64;
    let hardship_since = shift(now, -(params.hardship_recent_days.saturating_mul(DAY)));
    let hardship = acc.has(Flag::Hardship)
        || acc
            .hardship_disclosed_at
            .is_some_and(|h| h > hardship_since);
    v[F::Hardship as usize] = hardship as u8 as f64;
    v[F::DisputesLifetime as usize] = acc.disputes_lifetime as f64;
    v[F::Commercial as usize] = (acc.profile.portfolio() == Portfolio::Commercial) as u8 as f64;
    let contacts = acc.profile.contacts();
    v[F::UsableNumbers as usize] = contacts
        .iter()
        .filter(|c| c.role == Role::Debtor && acc.number_usable(&c.contact_id))
        .count() as f64;
    v[F::ConsentingThirdParties as usize] = contacts
        .iter()
        .filter(|c| c.role != Role::Debtor && c.consent_to_contact)
        .count() as f64;

    Features {
        now,
        today,
        dpd,
        stage,
        overdue,
        balance,
        pre_due_amount,
        next_due,
        promise: pending,
        broken_90d: broken90,
        last_broken_deadline,
        days_to_payday,
        last_rpc,
        failed_since_rpc,
        hardship,
        vector: v,
    }
}

/// Best smoothed answer rate over hours, in UTC hours (zone-free so it needs no conversion):
/// the shape matters, not the labels.
fn best_hour_rate(acc: &Account) -> f64 {
    let mut calls = [0u32; 24];
    let mut answered = [0u32; 24];
    for a in acc
        .attempts
        .iter()
        .filter(|a| a.channel == AttemptChannel::Call && a.party == Party::Debtor)
    {
        let h = (a.at.as_second().rem_euclid(DAY) / 3600) as usize;
        calls[h] += 1;
        answered[h] += a.outcome.connected() as u32;
    }
    (0..24)
        .map(|h| (answered[h] as f64 + 1.0) / (calls[h] as f64 + 3.0))
        .fold(1.0 / 3.0, f64::max)
}

#[cfg(test)]
mod tests;
