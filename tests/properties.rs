//! Property tests over generated, contract-valid event streams.
//!
//! A proptest strategy builds a plan for 1–4 accounts (time zone, contacts, and a list of abstract
//! steps); a deterministic builder turns each plan into contract-valid JSON events, tracking what
//! it has emitted so that every reference is valid (reversals only of earlier payments and never
//! more than is left, calls and texts only to listed contacts, `do_not_call` with a contact id,
//! `callback_at` with `callback_requested`, a `promise_made` after every `promise_to_pay`). The
//! accounts' events are merged into one time-ordered stream (gaps of minutes to days, over up to
//! 120 days of 2026, so it crosses the March/April and October/November DST changes of the
//! northern and southern hemispheres) and fed to [`Pipeline::process_record`] as bytes.
//!
//! Because the plan is abstract, shrinking drops steps and the builder still produces a valid
//! stream; a failure reports the events (JSONL) up to the failing observation.
//!
//! An independent, deliberately small model of each account (flags, do-not-call numbers, contacts
//! and consent, attempts, callbacks, hardship) is kept from the same events; the properties compare
//! each work item against it after every event and after `evaluate_all` at later clocks. Items are
//! checked in their published form (the JSON of the contract), not through the crate's structs.

use std::borrow::Borrow;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use arrears::engine::pipeline::{Applied, Pipeline};
use arrears::engine::scoring::Scorer;
use arrears::engine::settings::Settings;
use arrears::engine::workitem::WorkItem;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use serde::Deserialize;
use serde_json::{json, Map, Value};

// ------------------------------------------------------------------------------------------------
// Vocabulary
// ------------------------------------------------------------------------------------------------

const ZONES: &[&str] = &[
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Asia/Shanghai",
    "Pacific/Honolulu",
    "Pacific/Kiritimati",
    "America/St_Johns",
    "Asia/Kathmandu",
    "UTC",
];
const CURRENCIES: &[&str] = &["USD", "GBP", "AUD", "CNY", "EUR", "NZD", "JPY", "INR"];
const THIRD_ROLES: &[&str] = &[
    "spouse",
    "relative",
    "employer",
    "guarantor",
    "colleague",
    "other",
];
const FLAGS: &[&str] = &[
    "deceased_reported",
    "deceased_verified",
    "dispute",
    "complaint",
    "bankruptcy",
    "cease_contact",
    "hardship",
    "fraud",
    "legal_hold",
    "breathing_space",
    "do_not_call",
];
/// Flags that put the account on hold while in force (breathing space: for 60 days).
const HOLD_FLAGS: &[&str] = &[
    "deceased_reported",
    "deceased_verified",
    "dispute",
    "complaint",
    "bankruptcy",
    "fraud",
    "legal_hold",
    "breathing_space",
];
/// Every outcome, weighted towards what calls usually produce.
const OUTCOMES: [&str; 20] = [
    "right_party",
    "right_party",
    "right_party",
    "right_party",
    "third_party",
    "no_answer",
    "no_answer",
    "no_answer",
    "no_answer",
    "no_answer",
    "busy",
    "busy",
    "voicemail",
    "voicemail",
    "voicemail",
    "wrong_number",
    "invalid_number",
    "refused",
    "delivered",
    "failed",
];
/// Every disposition, weighted (the sticky holds rarely: `deceased_reported` is further thinned).
const DISPOSITIONS: &[&str] = &[
    "promise_to_pay",
    "promise_to_pay",
    "promise_to_pay",
    "promise_to_pay",
    "refused_to_pay",
    "refused_to_pay",
    "refused_to_pay",
    "dispute",
    "complaint",
    "hardship",
    "hardship",
    "callback_requested",
    "callback_requested",
    "callback_requested",
    "callback_requested",
    "deceased_reported",
    "claims_paid",
    "abusive",
    "none",
    "none",
    "none",
];
/// Flags for `flag_set`, weighted towards the ones that leave the account open.
const SET_FLAGS: &[&str] = &[
    "deceased_reported",
    "deceased_verified",
    "dispute",
    "complaint",
    "bankruptcy",
    "cease_contact",
    "cease_contact",
    "hardship",
    "hardship",
    "hardship",
    "fraud",
    "legal_hold",
    "breathing_space",
    "breathing_space",
    "do_not_call",
    "do_not_call",
    "do_not_call",
    "do_not_call",
];
const REVERSAL_REASONS: &[&str] = &["insufficient_funds", "chargeback", "other"];
const FEE_KINDS: &[&str] = &["late_fee", "failed_debit", "interest", "other"];
const CLOSE_REASONS: &[&str] = &["paid_off", "settled", "charged_off", "sold", "other"];
const ID_PREFIXES: &[&str] = &["A-", "b_", "Z.", "acc:", "0"];

const MAX_STEPS: usize = 48;
const MAX_SPAN_DAYS: i64 = 120;
/// `evaluate_all` clocks after the last event.
const LATER: &[(i64, &str)] = &[
    (3600, "+1h"),
    (13 * 3600, "+13h"),
    (3 * 86_400, "+3d"),
    (9 * 86_400, "+9d"),
    (61 * 86_400, "+61d"),
];

const DAY: i64 = 86_400;

// ------------------------------------------------------------------------------------------------
// Plans (what proptest generates and shrinks)
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Statement,
    Payment,
    Reversal,
    Fee,
    Promise,
    FlagSet,
    FlagCleared,
    Attempt,
    Updated,
    Closed,
    Redeliver,
    /// A burst of 2–8 calls minutes to hours apart (stresses the caps).
    Burst,
}

#[derive(Debug, Clone)]
struct Step {
    /// Seconds since the account's previous event (0: the same instant).
    gap_s: u32,
    kind: Kind,
    r: [u32; 4],
}

#[derive(Debug, Clone)]
struct ThirdSpec {
    role: usize,
    consent: bool,
    informed: bool,
}

#[derive(Debug, Clone)]
struct AccountPlan {
    id_prefix: usize,
    tz: usize,
    currency: usize,
    /// 0: field absent, 1: consumer, 2: commercial.
    portfolio: u8,
    payday: Option<u8>,
    credit_limit: Option<i64>,
    debtors: u8,
    third: Vec<ThirdSpec>,
    /// `account_opened` comes after this many steps (0: first).
    open_after: u8,
    start_offset_min: u32,
    phone_seed: u64,
    /// (amount_due, minimum %, due date offset in days from the opening's local date)
    first_statement: Option<(u32, u8, i32)>,
    steps: Vec<Step>,
}

#[derive(Debug, Clone)]
struct Case {
    start_day: u32,
    start_min: u32,
    accounts: Vec<AccountPlan>,
    split_mask: u8,
}

/// Gaps of seconds to days: mostly whole minutes, sometimes with odd seconds, rarely zero.
fn gap() -> impl Strategy<Value = u32> {
    let minutes = prop_oneof![
        9 => 1u32..=180,
        6 => 180u32..=36 * 60,
        5 => 1440u32..=10 * 1440,
    ];
    (
        minutes,
        prop_oneof![6 => Just(0u32), 1 => 1u32..60],
        0u8..40,
    )
        .prop_map(|(m, s, z)| if z == 0 { 0 } else { m * 60 + s })
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        10 => Just(Kind::Statement),
        7 => Just(Kind::Payment),
        4 => Just(Kind::Reversal),
        3 => Just(Kind::Fee),
        4 => Just(Kind::Promise),
        3 => Just(Kind::FlagSet),
        3 => Just(Kind::FlagCleared),
        32 => Just(Kind::Attempt),
        3 => Just(Kind::Updated),
        1 => Just(Kind::Closed),
        1 => Just(Kind::Redeliver),
        4 => Just(Kind::Burst),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    (gap(), kind(), any::<[u32; 4]>()).prop_map(|(gap_s, kind, r)| Step { gap_s, kind, r })
}

fn account_plan() -> impl Strategy<Value = AccountPlan> {
    (
        (
            0..ID_PREFIXES.len(),
            0..ZONES.len(),
            0..CURRENCIES.len(),
            0u8..3,
            proptest::option::of(1u8..=31),
            proptest::option::of(0i64..2_000_000),
        ),
        (
            prop_oneof![1 => Just(0u8), 5 => Just(1u8), 2 => Just(2u8)],
            prop::collection::vec(
                (0..THIRD_ROLES.len(), any::<bool>(), any::<bool>()).prop_map(
                    |(role, consent, informed)| ThirdSpec {
                        role,
                        consent,
                        informed,
                    },
                ),
                0..=3,
            ),
            prop_oneof![5 => Just(0u8), 1 => 1u8..=4],
            0u32..3 * 1440,
            any::<u64>(),
        ),
        proptest::option::weighted(0.85, (2_000u32..300_000, 0u8..=100, -60i32..=10)),
        prop::collection::vec(step(), 0..=MAX_STEPS),
    )
        .prop_map(
            |(
                (id_prefix, tz, currency, portfolio, payday, credit_limit),
                (debtors, third, open_after, start_offset_min, phone_seed),
                first_statement,
                steps,
            )| AccountPlan {
                id_prefix,
                tz,
                currency,
                portfolio,
                payday,
                credit_limit,
                debtors,
                third,
                open_after,
                start_offset_min,
                phone_seed,
                first_statement,
                steps,
            },
        )
}

fn case() -> impl Strategy<Value = Case> {
    (
        0u32..=240,
        0u32..1440,
        prop::collection::vec(account_plan(), 1..=4),
        any::<u8>(),
    )
        .prop_map(|(start_day, start_min, accounts, split_mask)| Case {
            start_day,
            start_min,
            accounts,
            split_mask,
        })
}

// ------------------------------------------------------------------------------------------------
// Builder: plan → contract-valid JSON events
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Ev {
    acct: usize,
    seq: usize,
    at: Timestamp,
    /// An exact re-delivery of the account's previous event (must come back `Duplicate`).
    dup: bool,
    value: Value,
}

#[derive(Debug, Clone)]
struct Stream {
    ids: Vec<String>,
    events: Vec<Ev>,
    /// Account index → partition (0 or 1) for the split-pipeline check.
    part: Vec<usize>,
    end: Timestamp,
}

impl Stream {
    fn jsonl(&self, upto: usize) -> String {
        let mut s = String::new();
        for ev in &self.events[..upto.min(self.events.len())] {
            s.push_str(&serde_json::to_string(&ev.value).unwrap());
            s.push('\n');
        }
        s
    }
}

#[derive(Debug, Clone)]
struct ContactSpec {
    id: String,
    role: &'static str,
    phone: String,
    consent: bool,
    informed: bool,
}

struct Builder<'a> {
    plan: &'a AccountPlan,
    acct: usize,
    id: String,
    tz_name: &'static str,
    tz: TimeZone,
    t: Timestamp,
    n: usize,
    opened: bool,
    closed: bool,
    contacts: Vec<ContactSpec>,
    payments: Vec<(String, i64)>,
    flags: Vec<&'static str>,
    dnc: Vec<String>,
    out: Vec<Ev>,
}

fn mins(m: i64) -> SignedDuration {
    SignedDuration::from_secs(m * 60)
}

fn phone(seed: u64) -> String {
    format!("+{}", 10_000_000_000u64 + seed % 89_999_999_999)
}

impl<'a> Builder<'a> {
    fn new(plan: &'a AccountPlan, acct: usize, start: Timestamp) -> Builder<'a> {
        let tz_name = ZONES[plan.tz];
        let mut contacts = Vec::new();
        for d in 0..plan.debtors {
            contacts.push(ContactSpec {
                id: format!("c-d{d}"),
                role: "debtor",
                phone: phone(plan.phone_seed.wrapping_add(d as u64 * 7919)),
                consent: true,
                informed: true,
            });
        }
        for (i, t) in plan.third.iter().enumerate() {
            contacts.push(ContactSpec {
                id: format!("c-t{i}"),
                role: THIRD_ROLES[t.role],
                phone: phone(
                    plan.phone_seed
                        .wrapping_mul(31)
                        .wrapping_add(i as u64 * 104_729),
                ),
                consent: t.consent,
                informed: t.informed,
            });
        }
        Builder {
            plan,
            acct,
            id: format!("{}{}", ID_PREFIXES[plan.id_prefix], acct),
            tz_name,
            tz: TimeZone::get(tz_name).expect("listed zones exist"),
            t: start + mins(plan.start_offset_min as i64),
            n: 0,
            opened: false,
            closed: false,
            contacts,
            payments: Vec::new(),
            flags: Vec::new(),
            dnc: Vec::new(),
            out: Vec::new(),
        }
    }

    fn stamp_at(&self, t: Timestamp, utc: bool) -> String {
        if utc {
            t.to_string()
        } else {
            t.to_zoned(self.tz.clone())
                .strftime("%Y-%m-%dT%H:%M:%S%.f%:z")
                .to_string()
        }
    }

    fn local_date(&self) -> Date {
        self.t.to_zoned(self.tz.clone()).date()
    }

    fn emit(&mut self, ty: &str, fields: Value, utc: bool) {
        let mut m = Map::new();
        m.insert("event_id".into(), json!(format!("{}-e{}", self.id, self.n)));
        m.insert("type".into(), json!(ty));
        m.insert("account_id".into(), json!(self.id));
        m.insert("occurred_at".into(), json!(self.stamp_at(self.t, utc)));
        if let Value::Object(f) = fields {
            m.extend(f);
        }
        self.out.push(Ev {
            acct: self.acct,
            seq: self.n,
            at: self.t,
            dup: false,
            value: Value::Object(m),
        });
        self.n += 1;
    }

    fn contacts_json(&self) -> Value {
        Value::Array(
            self.contacts
                .iter()
                .map(|c| {
                    json!({"contact_id": c.id, "role": c.role, "phone": c.phone,
                           "consent_to_contact": c.consent, "informed": c.informed})
                })
                .collect(),
        )
    }

    fn open(&mut self) {
        let p = self.plan;
        let mut f = json!({
            "timezone": self.tz_name,
            "currency": CURRENCIES[p.currency],
            "product": "card",
            "contacts": self.contacts_json(),
        });
        match p.portfolio {
            1 => f["portfolio"] = json!("consumer"),
            2 => f["portfolio"] = json!("commercial"),
            _ => {}
        }
        if let Some(d) = p.payday {
            f["payday_day_of_month"] = json!(d);
        }
        if let Some(l) = p.credit_limit {
            f["credit_limit"] = json!(l);
        }
        self.emit("account_opened", f, false);
        self.opened = true;
        if let Some((amount, pct, due)) = p.first_statement {
            self.t += mins(1);
            let amount = amount as i64;
            let due = self.local_date() + (due as i64).days();
            let f = json!({"statement_id": format!("s{}", self.n), "amount_due": amount,
                           "minimum_due": amount * pct as i64 / 100, "due_date": due.to_string()});
            self.emit("statement_issued", f, false);
        }
    }

    fn promise(&mut self, r: [u32; 4], contact: Option<String>) {
        let due = self.local_date() + ((r[1] % 15) as i64).days();
        let mut f = json!({"promise_id": format!("p{}", self.n), "amount": 500 + (r[0] % 100_000) as i64,
                           "due_date": due.to_string(), "confirmed_in_writing": r[2] & 1 == 1});
        if let Some(c) = contact {
            f["contact_id"] = json!(c);
        }
        self.emit("promise_made", f, r[3] & 1 == 1);
    }

    fn pick_contact(&self, r: u32) -> Option<&ContactSpec> {
        if self.contacts.is_empty() {
            return None;
        }
        let debtors: Vec<&ContactSpec> = self
            .contacts
            .iter()
            .filter(|c| c.role == "debtor")
            .collect();
        if !debtors.is_empty() && !(r >> 8).is_multiple_of(4) {
            Some(debtors[r as usize % debtors.len()])
        } else {
            Some(&self.contacts[r as usize % self.contacts.len()])
        }
    }

    fn step(&mut self, st: &Step) {
        let r = st.r;
        let utc = r[3] & 1 == 1;
        match st.kind {
            Kind::Statement => {
                let amount = 2_000 + (r[0] % 300_000) as i64;
                let due = self.local_date() + ((r[2] % 31) as i64 - 5).days();
                let f = json!({"statement_id": format!("s{}", self.n), "amount_due": amount,
                               "minimum_due": amount * (r[1] % 101) as i64 / 100,
                               "due_date": due.to_string()});
                self.emit("statement_issued", f, utc);
            }
            Kind::Payment => {
                let id = format!("pay{}", self.n);
                let amount = 100 + (r[0] % 150_000) as i64;
                self.payments.push((id.clone(), amount));
                self.emit(
                    "payment_received",
                    json!({"payment_id": id, "amount": amount}),
                    utc,
                );
            }
            Kind::Reversal => {
                let open: Vec<usize> = (0..self.payments.len())
                    .filter(|i| self.payments[*i].1 > 0)
                    .collect();
                if open.is_empty() {
                    return;
                }
                let i = open[r[0] as usize % open.len()];
                let left = self.payments[i].1;
                let amount = if r[2].is_multiple_of(3) {
                    left
                } else {
                    1 + (r[1] as i64) % left
                };
                self.payments[i].1 -= amount;
                let f = json!({"payment_id": self.payments[i].0, "amount": amount,
                               "reason": REVERSAL_REASONS[(r[2] >> 4) as usize % REVERSAL_REASONS.len()]});
                self.emit("payment_reversed", f, utc);
            }
            Kind::Fee => {
                let f = json!({"fee_id": format!("f{}", self.n), "amount": 100 + (r[0] % 5_000) as i64,
                               "kind": FEE_KINDS[r[1] as usize % FEE_KINDS.len()]});
                self.emit("fee_charged", f, utc);
            }
            Kind::Promise => {
                let contact = if (r[2] >> 1).is_multiple_of(3) {
                    self.pick_contact(r[3] >> 1).map(|c| c.id.clone())
                } else {
                    None
                };
                self.promise(r, contact);
            }
            Kind::FlagSet => {
                let mut flag = SET_FLAGS[r[0] as usize % SET_FLAGS.len()];
                if flag.starts_with("deceased") && !(r[0] >> 16).is_multiple_of(3) {
                    flag = "hardship";
                }
                if flag == "do_not_call" {
                    let Some(c) = self.pick_contact(r[1]).map(|c| c.id.clone()) else {
                        return;
                    };
                    if !self.dnc.contains(&c) {
                        self.dnc.push(c.clone());
                    }
                    self.emit("flag_set", json!({"flag": flag, "contact_id": c}), utc);
                } else {
                    if !self.flags.contains(&flag) {
                        self.flags.push(flag);
                    }
                    self.emit("flag_set", json!({"flag": flag}), utc);
                }
            }
            Kind::FlagCleared => {
                let mut options: Vec<(&'static str, Option<String>)> =
                    self.flags.iter().map(|f| (*f, None)).collect();
                options.extend(self.dnc.iter().map(|c| ("do_not_call", Some(c.clone()))));
                let (flag, contact) = if !options.is_empty() && !r[0].is_multiple_of(5) {
                    options.swap_remove(r[1] as usize % options.len())
                } else {
                    let flag = FLAGS[r[1] as usize % FLAGS.len()];
                    if flag == "do_not_call" {
                        match self.pick_contact(r[2]) {
                            Some(c) => (flag, Some(c.id.clone())),
                            None => return,
                        }
                    } else {
                        (flag, None)
                    }
                };
                match &contact {
                    Some(c) => {
                        self.dnc.retain(|d| d != c);
                        self.emit("flag_cleared", json!({"flag": flag, "contact_id": c}), utc);
                    }
                    None => {
                        self.flags.retain(|f| *f != flag);
                        self.emit("flag_cleared", json!({"flag": flag}), utc);
                    }
                }
            }
            Kind::Attempt => self.attempt(r),
            Kind::Burst => {
                let Some(c) = self.pick_contact(r[1]).map(|c| c.id.clone()) else {
                    return;
                };
                let mut x = (r[0] as u64) << 32 | r[2] as u64 | 1;
                let answered = (r[3] >> 8).is_multiple_of(3);
                for k in 0..2 + r[3] % 7 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    if k > 0 {
                        self.t += mins(5 + (x % 240) as i64);
                    }
                    // Mostly unanswered; one burst in three mostly answered without a conversation
                    // (connected calls that do not start the cool-down: the daily connected cap).
                    let outcome = match (answered, x >> 40 & 15) {
                        (false, 0) => "right_party",
                        (false, 1) | (true, 0..=4) => "refused",
                        (true, 5..=10) => "third_party",
                        (_, 2..=7) => "no_answer",
                        (_, 8..=10) => "voicemail",
                        (_, 11 | 12) => "busy",
                        _ => "failed",
                    };
                    let f = json!({"attempt_id": format!("a{}", self.n), "channel": "call",
                                   "contact_id": c, "outcome": outcome});
                    self.emit("contact_attempt", f, x >> 50 & 1 == 1);
                }
            }
            Kind::Updated => {
                if !self.opened {
                    return;
                }
                let third: Vec<usize> = (0..self.contacts.len())
                    .filter(|i| self.contacts[*i].role != "debtor")
                    .collect();
                match r[0] % 5 {
                    0 if !third.is_empty() => {
                        let i = third[r[1] as usize % third.len()];
                        self.contacts[i].consent = !self.contacts[i].consent;
                        let f = json!({"contacts": self.contacts_json()});
                        self.emit("account_updated", f, utc);
                    }
                    1 if !self.contacts.is_empty() => {
                        let i = r[1] as usize % self.contacts.len();
                        self.contacts[i].phone = phone(r[2] as u64 * 1_000_003);
                        let f = json!({"contacts": self.contacts_json()});
                        self.emit("account_updated", f, utc);
                    }
                    3 if !self.contacts.is_empty() => {
                        let i = r[1] as usize % self.contacts.len();
                        self.contacts.remove(i);
                        let f = json!({"contacts": self.contacts_json()});
                        self.emit("account_updated", f, utc);
                    }
                    4 => {
                        let role = if r[1].is_multiple_of(3) {
                            "debtor"
                        } else {
                            THIRD_ROLES[r[1] as usize % THIRD_ROLES.len()]
                        };
                        self.contacts.push(ContactSpec {
                            id: format!("c-n{}", self.n),
                            role,
                            phone: phone(r[2] as u64 * 7_777_777),
                            consent: r[2] & 1 == 1,
                            informed: r[2] & 2 == 2,
                        });
                        let f = json!({"contacts": self.contacts_json()});
                        self.emit("account_updated", f, utc);
                    }
                    _ => {
                        self.tz_name = ZONES[r[1] as usize % ZONES.len()];
                        self.tz = TimeZone::get(self.tz_name).expect("listed zones exist");
                        let f = json!({"timezone": self.tz_name});
                        self.emit("account_updated", f, utc);
                    }
                }
            }
            Kind::Closed => {
                if self.opened && !self.closed && r[0].is_multiple_of(4) {
                    self.closed = true;
                    let f = json!({"reason": CLOSE_REASONS[r[1] as usize % CLOSE_REASONS.len()]});
                    self.emit("account_closed", f, utc);
                }
            }
            Kind::Redeliver => {
                if let Some(last) = self.out.last() {
                    let mut again = last.clone();
                    again.dup = true;
                    again.seq = self.n;
                    self.n += 1;
                    self.out.push(again);
                }
            }
        }
    }

    fn attempt(&mut self, r: [u32; 4]) {
        let mut channel = match r[0] % 20 {
            0..=9 => "call",
            10..=14 => "sms",
            15 | 16 => "email",
            17 | 18 => "letter",
            _ => "visit",
        };
        let contact = self.pick_contact(r[1]).map(|c| c.id.clone());
        if matches!(channel, "call" | "sms") && contact.is_none() {
            channel = "letter";
        }
        let outcome = if channel == "call" || (r[2] >> 8).is_multiple_of(4) {
            OUTCOMES[r[2] as usize % OUTCOMES.len()]
        } else if r[2].is_multiple_of(4) {
            "failed"
        } else {
            "delivered"
        };
        let d = r[3] >> 1;
        let mut disposition = d
            .is_multiple_of(4)
            .then(|| DISPOSITIONS[(d / 4) as usize % DISPOSITIONS.len()]);
        if disposition == Some("deceased_reported") && !(d >> 24).is_multiple_of(3) {
            disposition = Some("none");
        }
        let mut f =
            json!({"attempt_id": format!("a{}", self.n), "channel": channel, "outcome": outcome});
        if matches!(channel, "call" | "sms") {
            f["contact_id"] = json!(contact.clone().expect("checked above"));
        }
        if let Some(disp) = disposition {
            f["disposition"] = json!(disp);
            if disp == "callback_requested" {
                // Any time of day (calling hours must still apply), sometimes with fractional seconds.
                let mut cb = self.t + mins(15 + ((d >> 8) % (4 * 1440)) as i64);
                if (d >> 21) & 3 == 0 {
                    cb += SignedDuration::from_millis(((d >> 2) % 60_000) as i64);
                }
                f["callback_at"] = json!(self.stamp_at(cb, (d >> 20) & 1 == 1));
            }
            if matches!(disp, "dispute" | "complaint" | "deceased_reported")
                && !self.flags.contains(&disp)
            {
                let flag = FLAGS.iter().find(|x| **x == disp).expect("a flag");
                self.flags.push(flag);
            }
        }
        if matches!(outcome, "right_party" | "third_party" | "refused") {
            f["duration_s"] = json!(((r[1] >> 16) % 900) as f64 + 0.5);
        }
        self.emit("contact_attempt", f, r[3] & 1 == 1);
        if disposition == Some("promise_to_pay") {
            self.t += mins(1);
            let debtor = contact.filter(|c| {
                self.contacts
                    .iter()
                    .any(|x| &x.id == c && x.role == "debtor")
            });
            self.promise([r[1], r[2] >> 3, r[0] >> 5, r[3] >> 9], debtor);
        }
    }
}

fn build(case: &Case) -> Stream {
    let start = jiff::civil::date(2026, 2, 1)
        .at(0, 0, 0, 0)
        .to_zoned(TimeZone::UTC)
        .expect("valid")
        .timestamp()
        + SignedDuration::from_secs(case.start_day as i64 * DAY + case.start_min as i64 * 60);
    let limit = start + SignedDuration::from_secs(MAX_SPAN_DAYS * DAY);
    let mut ids = Vec::new();
    let mut events = Vec::new();
    let mut part = Vec::new();
    for (i, plan) in case.accounts.iter().enumerate() {
        let mut b = Builder::new(plan, i, start);
        for (k, st) in plan.steps.iter().enumerate() {
            if !b.opened && k >= plan.open_after as usize {
                b.open();
            }
            b.t += SignedDuration::from_secs(st.gap_s as i64);
            if b.t > limit {
                break;
            }
            b.step(st);
        }
        ids.push(b.id.clone());
        part.push(((case.split_mask >> i) & 1) as usize);
        events.extend(b.out);
    }
    events.sort_by_key(|a| (a.at, a.acct, a.seq));
    let end = events.iter().map(|e| e.at).max().unwrap_or(start);
    Stream {
        ids,
        events,
        part,
        end,
    }
}

// ------------------------------------------------------------------------------------------------
// Independent model of an account (only what the properties need)
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct MContact {
    id: String,
    debtor: bool,
    consent: bool,
    phone: String,
}

#[derive(Debug, Clone)]
struct MAttempt {
    at: Timestamp,
    channel: String,
    contact: Option<String>,
    outcome: String,
}

#[derive(Debug, Clone, Default)]
struct Model {
    opened: bool,
    tz: Option<TimeZone>,
    contacts: Vec<MContact>,
    /// Flags in force (not do_not_call) → when last set.
    flags: HashMap<String, Timestamp>,
    dnc: HashSet<String>,
    /// (contact id, phone) found wrong or invalid.
    bad: Vec<(String, String)>,
    attempts: Vec<MAttempt>,
    callback: Option<Timestamp>,
    hardship_disclosed: Option<Timestamp>,
    closed: bool,
}

fn parse_ts(s: &str) -> Result<Timestamp, String> {
    s.parse::<Timestamp>()
        .map_err(|e| format!("bad timestamp {s:?}: {e}"))
}

fn s<'v>(v: &'v Value, k: &str) -> Option<&'v str> {
    v.get(k).and_then(Value::as_str)
}

impl Model {
    fn contact(&self, id: &str) -> Option<&MContact> {
        self.contacts.iter().find(|c| c.id == id)
    }

    fn apply(&mut self, v: &Value, at: Timestamp) {
        let ty = s(v, "type").expect("type");
        match ty {
            "account_opened" | "account_updated" => {
                self.opened |= ty == "account_opened";
                if let Some(tz) = s(v, "timezone") {
                    self.tz = Some(TimeZone::get(tz).expect("zone"));
                }
                if let Some(cs) = v.get("contacts").and_then(Value::as_array) {
                    self.contacts = cs
                        .iter()
                        .map(|c| MContact {
                            id: s(c, "contact_id").unwrap().to_owned(),
                            debtor: s(c, "role") == Some("debtor"),
                            consent: c["consent_to_contact"].as_bool().unwrap_or(false),
                            phone: s(c, "phone").unwrap().to_owned(),
                        })
                        .collect();
                    let contacts = self.contacts.clone();
                    self.bad
                        .retain(|(id, ph)| contacts.iter().any(|c| &c.id == id && &c.phone == ph));
                }
            }
            "flag_set" => {
                let flag = s(v, "flag").unwrap();
                if flag == "do_not_call" {
                    self.dnc.insert(s(v, "contact_id").unwrap().to_owned());
                } else {
                    self.flags.insert(flag.to_owned(), at);
                }
            }
            "flag_cleared" => {
                let flag = s(v, "flag").unwrap();
                if flag == "do_not_call" {
                    self.dnc.remove(s(v, "contact_id").unwrap());
                } else {
                    self.flags.remove(flag);
                }
            }
            "account_closed" => self.closed = true,
            "contact_attempt" => {
                let channel = s(v, "channel").unwrap().to_owned();
                let contact = s(v, "contact_id").map(str::to_owned);
                let outcome = s(v, "outcome").unwrap().to_owned();
                let to_third = contact
                    .as_deref()
                    .and_then(|c| self.contact(c))
                    .is_some_and(|c| !c.debtor);
                if let Some(cb) = self.callback {
                    if channel == "call" && !to_third && at >= cb {
                        self.callback = None;
                    }
                }
                if matches!(outcome.as_str(), "wrong_number" | "invalid_number") {
                    if let Some(c) = contact.as_deref().and_then(|c| self.contact(c)) {
                        let entry = (c.id.clone(), c.phone.clone());
                        self.bad.retain(|(id, _)| id != &entry.0);
                        self.bad.push(entry);
                    }
                }
                match s(v, "disposition") {
                    Some(d @ ("dispute" | "complaint" | "deceased_reported")) => {
                        self.flags.insert(d.to_owned(), at);
                    }
                    Some("hardship") => self.hardship_disclosed = Some(at),
                    Some("callback_requested") => {
                        self.callback = Some(parse_ts(s(v, "callback_at").unwrap()).unwrap());
                    }
                    _ => {}
                }
                self.attempts.push(MAttempt {
                    at,
                    channel,
                    contact,
                    outcome,
                });
            }
            _ => {}
        }
    }

    /// The hold flag in force at `now`, if any (breathing space lasts 60 days from when it was set).
    fn hold_in_force(&self, now: Timestamp) -> Option<&'static str> {
        HOLD_FLAGS
            .iter()
            .copied()
            .find(|f| match self.flags.get(*f) {
                None => false,
                Some(set) if *f == "breathing_space" => {
                    now < *set + SignedDuration::from_secs(60 * DAY)
                }
                Some(_) => true,
            })
    }

    fn hardship(&self, now: Timestamp) -> bool {
        self.flags.contains_key("hardship")
            || self
                .hardship_disclosed
                .is_some_and(|h| h > now - SignedDuration::from_secs(90 * DAY))
    }

    fn usable(&self, c: &MContact) -> bool {
        !self.dnc.contains(&c.id) && !self.bad.iter().any(|(id, _)| id == &c.id)
    }

    /// The debtor counts as unreachable: no usable debtor number, or no right-party contact in
    /// 14 days and at least 5 failed calls since the last one.
    fn unreachable(&self, now: Timestamp) -> bool {
        if !self.contacts.iter().any(|c| c.debtor && self.usable(c)) {
            return true;
        }
        let last_rpc = self
            .attempts
            .iter()
            .rposition(|a| a.outcome == "right_party");
        let failed = self.attempts[last_rpc.map_or(0, |i| i + 1)..]
            .iter()
            .filter(|a| {
                a.channel == "call"
                    && matches!(
                        a.outcome.as_str(),
                        "no_answer" | "busy" | "voicemail" | "failed"
                    )
            })
            .count();
        let quiet = last_rpc.is_none_or(|i| {
            now.duration_since(self.attempts[i].at) >= SignedDuration::from_secs(14 * DAY)
        });
        quiet && failed >= 5
    }
}

// ------------------------------------------------------------------------------------------------
// Work items as published (contract field names and spellings)
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Deserialize)]
struct ScoresView {
    willingness: f64,
    ability: f64,
}

#[derive(Debug, Clone, Deserialize)]
struct ActionView {
    channel: String,
    contact_id: Option<String>,
    party: String,
    strategy: String,
    disclosure: String,
    not_before: String,
    not_after: String,
}

/// The contract's required work-item fields, read back from the item's JSON.
#[derive(Debug, Clone, Deserialize)]
struct View {
    account_id: String,
    version: u64,
    status: String,
    hold_reason: Option<String>,
    priority: f64,
    expected_recovery: i64,
    days_past_due: i64,
    stage: String,
    overdue_amount: i64,
    scores: ScoresView,
    action: Option<ActionView>,
    as_of: String,
    /// The whole item, for messages and content comparison.
    #[serde(skip)]
    json: String,
}

/// The item's JSON (works whether the pipeline hands out items by reference or by value).
fn json_of<T: Borrow<WorkItem>>(item: T) -> String {
    serde_json::to_string(item.borrow()).expect("work items serialize")
}

fn view<T: Borrow<WorkItem>>(item: T) -> Result<View, String> {
    let json = json_of(item);
    let mut v: View = serde_json::from_str(&json)
        .map_err(|e| format!("item lacks a contract field: {e}\n  {json}"))?;
    v.json = json;
    Ok(v)
}

fn status_rank(s: &str) -> u8 {
    match s {
        "open" => 0,
        "held" => 1,
        _ => 2,
    }
}

// ------------------------------------------------------------------------------------------------
// Driver
// ------------------------------------------------------------------------------------------------

fn engine() -> (Arc<Settings>, Arc<Scorer>) {
    static E: OnceLock<(Arc<Settings>, Arc<Scorer>)> = OnceLock::new();
    E.get_or_init(|| {
        (
            Arc::new(Settings::defaults()),
            Arc::new(Scorer::shipped().expect("shipped models load")),
        )
    })
    .clone()
}

fn pipeline() -> Pipeline {
    let (s, m) = engine();
    Pipeline::new(s, m)
}

/// One moment at which an account's current item is inspected.
struct Obs<'a> {
    id: &'a str,
    model: &'a Model,
    item: &'a View,
    /// The clock the item was evaluated at (the account's last event, or the `evaluate_all` clock).
    now: Timestamp,
    pipeline: &'a Pipeline,
}

fn feed(p: &mut Pipeline, ev: &Ev) -> Result<(), String> {
    let bytes = serde_json::to_vec(&ev.value).expect("serializes");
    match p.process_record(&bytes) {
        Ok(Applied::Duplicate) if ev.dup => Ok(()),
        Ok(Applied::Changed | Applied::Unchanged) if !ev.dup => Ok(()),
        other => Err(format!(
            "record {} (re-delivery: {}) gave {other:?}; expected {}",
            ev.value,
            ev.dup,
            if ev.dup { "Duplicate" } else { "acceptance" }
        )),
    }
}

/// Feeds the stream to a fresh pipeline, calling `check` on the account's item after every event
/// and on every item after each `evaluate_all` clock; returns the pipeline and the last clock.
fn drive(
    stream: &Stream,
    check: &mut dyn FnMut(&Obs) -> Result<(), String>,
) -> Result<(Pipeline, Timestamp), String> {
    let mut p = pipeline();
    let mut models = vec![Model::default(); stream.ids.len()];
    let fail = |upto: usize, msg: String, item: Option<&View>| {
        format!(
            "{msg}\n  item: {}\n  events (JSONL) up to here:\n{}",
            item.map_or("none", |i| i.json.as_str()),
            stream.jsonl(upto)
        )
    };
    for (i, ev) in stream.events.iter().enumerate() {
        feed(&mut p, ev).map_err(|m| fail(i + 1, m, None))?;
        let model = &mut models[ev.acct];
        if !ev.dup {
            model.apply(&ev.value, ev.at);
        }
        let id = &stream.ids[ev.acct];
        let item = p.item(id).ok_or_else(|| {
            fail(
                i + 1,
                format!("no item for {id} after an accepted event"),
                None,
            )
        })?;
        let item = view(item).map_err(|m| fail(i + 1, m, None))?;
        let obs = Obs {
            id,
            model,
            item: &item,
            now: ev.at,
            pipeline: &p,
        };
        check(&obs).map_err(|m| fail(i + 1, format!("{id} after event {i}: {m}"), Some(&item)))?;
    }
    let mut last = stream.end;
    for (secs, label) in LATER {
        let t = stream.end + SignedDuration::from_secs(*secs);
        p.evaluate_all(t);
        last = t;
        for (a, id) in stream.ids.iter().enumerate() {
            let Some(item) = p.item(id) else { continue };
            let item = view(item)?;
            let obs = Obs {
                id,
                model: &models[a],
                item: &item,
                now: t,
                pipeline: &p,
            };
            check(&obs).map_err(|m| {
                fail(
                    usize::MAX,
                    format!("{id} at evaluate_all {label} ({t}): {m}"),
                    Some(&item),
                )
            })?;
        }
    }
    Ok((p, last))
}

/// Runs one property over `cases` generated streams (`PROPTEST_CASES` overrides, for deeper runs).
fn run_property(name: &str, cases: u32, test: impl Fn(&Stream) -> Result<(), String>) {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..Config::default()
    });
    let started = std::time::Instant::now();
    let result = runner.run(&case(), |c| {
        let stream = build(&c);
        test(&stream).map_err(TestCaseError::fail)
    });
    match result {
        Ok(()) => eprintln!("{name}: {cases} cases passed in {:.1?}", started.elapsed()),
        Err(TestError::Fail(why, c)) => {
            let stream = build(&c);
            panic!(
                "{name} failed (minimal case after shrinking):\n{why}\n\nwhole minimal stream ({} events):\n{}",
                stream.events.len(),
                stream.jsonl(usize::MAX)
            )
        }
        Err(e) => panic!("{name}: {e}"),
    }
}

fn action_times(item: &View) -> Result<(Timestamp, Timestamp, Timestamp), String> {
    let a = item.action.as_ref().ok_or("no action")?;
    Ok((
        parse_ts(&a.not_before)?,
        parse_ts(&a.not_after)?,
        parse_ts(&item.as_of)?,
    ))
}

fn local_midnight(d: Date, tz: &TimeZone) -> Timestamp {
    d.to_zoned(tz.clone()).expect("in range").timestamp()
}

fn is_call_or_sms(item: &View) -> Option<&ActionView> {
    item.action
        .as_ref()
        .filter(|a| item.status == "open" && matches!(a.channel.as_str(), "call" | "sms"))
}

// ------------------------------------------------------------------------------------------------
// Properties
// ------------------------------------------------------------------------------------------------

/// Coverage counters, printed with `--nocapture` so that a vacuous pass is visible.
#[derive(Default)]
struct Seen(RefCell<HashMap<&'static str, u64>>);

impl Seen {
    fn hit(&self, k: &'static str) {
        *self.0.borrow_mut().entry(k).or_default() += 1;
    }
    fn print(&self, name: &str) {
        let mut v: Vec<_> = self.0.borrow().iter().map(|(k, n)| (*k, *n)).collect();
        v.sort();
        eprintln!("{name} coverage: {v:?}");
    }
}

/// 1. Calling hours: an open call/SMS item's window starts within 08:00–21:00 local (the account's
///    current zone, DST included), ends after it starts, no later than 21:00 local the same local
///    day, and has not already ended when the item is read (`as_of`, or the later clock at which
///    the pipeline re-evaluated it without a change).
#[test]
fn calls_and_texts_only_in_local_calling_hours() {
    let seen = Seen::default();
    run_property("calling hours", 256, |stream| {
        drive(stream, &mut |o| {
            let Some(a) = is_call_or_sms(o.item) else {
                return Ok(());
            };
            seen.hit(if a.channel == "call" {
                "call windows"
            } else {
                "sms windows"
            });
            let tz = o
                .model
                .tz
                .as_ref()
                .ok_or("open call/sms item but the account has no time zone")?;
            let (nb, na, as_of) = action_times(o.item)?;
            let now = as_of.max(o.now);
            let lnb = nb.to_zoned(tz.clone());
            let minute = lnb.hour() as i32 * 60 + lnb.minute() as i32;
            if !(8 * 60..21 * 60).contains(&minute) {
                return Err(format!(
                    "not_before {nb} is {lnb} local: outside 08:00-21:00"
                ));
            }
            if na <= nb {
                return Err(format!("not_after {na} is not after not_before {nb}"));
            }
            let close = lnb
                .date()
                .at(21, 0, 0, 0)
                .to_zoned(tz.clone())
                .unwrap()
                .timestamp();
            if na > close {
                return Err(format!(
                    "not_after {na} ({} local) is after 21:00 local of the window's day ({close})",
                    na.to_zoned(tz.clone())
                ));
            }
            if na <= now {
                return Err(format!(
                    "window ends at {na}, before the clock {now} (as_of {as_of}): not the next window"
                ));
            }
            if lnb.date() != tz.to_datetime(now).date() {
                seen.hit("windows on a later local day");
            }
            Ok(())
        })
        .map(|_| ())
    });
    seen.print("calling hours");
}

/// 2. Holds: a held (or closed) item has no action and an open one has one; no account with a hold
///    flag in force is ever open; cease_contact leaves letters only; a do-not-call contact is never
///    the target; an account whose profile has not arrived is held with `profile_missing`; a target
///    is always a listed contact.
#[test]
fn holds_cease_contact_and_do_not_call() {
    let seen = Seen::default();
    run_property("holds", 256, |stream| {
        drive(stream, &mut |o| {
            let item = o.item;
            let m = o.model;
            if item.status != "open" && item.action.is_some() {
                return Err(format!("status {} with an action", item.status));
            }
            if item.status == "open" && item.action.is_none() {
                return Err("open with no action".into());
            }
            if !m.opened && !m.closed {
                seen.hit("before account_opened");
                if item.status != "held" || item.hold_reason.as_deref() != Some("profile_missing") {
                    return Err(format!(
                        "no account_opened yet, but status {} hold {:?}",
                        item.status, item.hold_reason
                    ));
                }
            }
            if let Some(flag) = m.hold_in_force(o.now) {
                seen.hit("hold flag in force");
                if item.status == "open" {
                    return Err(format!("{flag} in force but the item is open"));
                }
            }
            let Some(a) = &item.action else { return Ok(()) };
            if m.flags.contains_key("cease_contact") {
                seen.hit("cease_contact, open");
                if a.channel != "letter" {
                    return Err(format!("cease_contact in force but channel {}", a.channel));
                }
            }
            if let Some(c) = &a.contact_id {
                if m.dnc.contains(c) {
                    return Err(format!(
                        "contact {c} is on do-not-call but is the action's target"
                    ));
                }
                if m.contact(c).is_none() {
                    return Err(format!(
                        "contact {c} is not a listed contact of the account"
                    ));
                }
            }
            if !m.dnc.is_empty() {
                seen.hit("open with a do_not_call number");
            }
            Ok(())
        })
        .map(|_| ())
    });
    seen.print("holds");
}

/// 3. Third parties: disclosure follows the party (debtor: full; third party: none); a debtor-party
///    action targets a debtor number; a third party is only a consenting contact, only to locate
///    an unreachable debtor, never in pre_due or early, and at most once per person.
#[test]
fn third_parties_are_never_told_and_only_located_with_consent() {
    let seen = Seen::default();
    run_property("third parties", 256, |stream| {
        drive(stream, &mut |o| {
            let Some(a) = &o.item.action else {
                return Ok(());
            };
            let m = o.model;
            match a.party.as_str() {
                "debtor" => {
                    if a.disclosure != "full" {
                        return Err(format!("debtor action with disclosure {}", a.disclosure));
                    }
                    if let Some(c) = a.contact_id.as_deref().and_then(|c| m.contact(c)) {
                        if !c.debtor {
                            return Err(format!(
                                "party debtor (full disclosure) but contact {} is a third party",
                                c.id
                            ));
                        }
                    }
                }
                "third_party" => {
                    seen.hit("third-party actions");
                    if a.disclosure != "none" {
                        return Err(format!(
                            "third-party action with disclosure {}",
                            a.disclosure
                        ));
                    }
                    let id = a
                        .contact_id
                        .as_deref()
                        .ok_or("third-party action without a contact")?;
                    let c = m
                        .contact(id)
                        .ok_or_else(|| format!("{id} is not a listed contact"))?;
                    if c.debtor {
                        return Err(format!("party third_party but {id} is a debtor number"));
                    }
                    if !c.consent {
                        return Err(format!("third party {id} has consent_to_contact false"));
                    }
                    if matches!(o.item.stage.as_str(), "pre_due" | "early" | "current") {
                        return Err(format!("third party contacted in stage {}", o.item.stage));
                    }
                    if a.strategy != "locate" {
                        return Err(format!("third party given strategy {}", a.strategy));
                    }
                    if !m.unreachable(o.now) {
                        return Err("third party contacted while the debtor is reachable".into());
                    }
                    let before = m
                        .attempts
                        .iter()
                        .filter(|x| x.contact.as_deref() == Some(id))
                        .count();
                    if before >= 1 {
                        return Err(format!(
                            "third party {id} already attempted {before} time(s)"
                        ));
                    }
                }
                other => return Err(format!("party {other:?} is not in the contract")),
            }
            Ok(())
        })
        .map(|_| ())
    });
    seen.print("third parties");
}

fn content(item: &View) -> String {
    let mut v: Value = serde_json::from_str(&item.json).expect("json");
    let o = v.as_object_mut().expect("object");
    o.remove("version");
    o.remove("as_of");
    v.to_string()
}

/// 4. Versions: an account's item version never decreases and strictly increases whenever the
///    item's content (everything but version and as_of) changes, across events and evaluate_all
///    calls; re-evaluating at the same clock changes nothing.
#[test]
fn versions_only_grow() {
    let seen = Seen::default();
    run_property("versions", 256, |stream| {
        let last: RefCell<HashMap<String, (u64, String)>> = RefCell::default();
        let (mut p, clock) = drive(stream, &mut |o| {
            let c = content(o.item);
            let v = o.item.version;
            let mut last = last.borrow_mut();
            if let Some((pv, pc)) = last.get(o.id) {
                if v < *pv {
                    return Err(format!("version went down from {pv} to {v}"));
                }
                if *pc != c && v <= *pv {
                    return Err(format!(
                        "content changed but version stayed {v}:\n  before: {pc}\n  after:  {c}"
                    ));
                }
                if *pc != c {
                    seen.hit("content changes");
                }
            } else if v == 0 {
                return Err("first version is 0".into());
            }
            last.insert(o.id.to_owned(), (v, c));
            Ok(())
        })?;
        let again = p.evaluate_all(clock);
        if again != 0 {
            return Err(format!(
                "evaluate_all at the same clock {clock} again changed {again} item(s)\n{}",
                stream.jsonl(usize::MAX)
            ));
        }
        Ok(())
    });
    seen.print("versions");
}

fn item_json(p: &Pipeline, id: &str) -> Option<String> {
    p.item(id).map(json_of)
}

fn ranked_jsonl(p: &Pipeline) -> String {
    p.ranked().into_iter().map(|i| json_of(i) + "\n").collect()
}

/// 5. Determinism: two fresh pipelines fed the same bytes give byte-identical ranked JSONL (after
///    the stream and after each evaluate_all); splitting the accounts over two pipelines (two
///    partitions), or feeding accounts one after another, gives the same per-account items.
#[test]
fn deterministic_across_runs_and_partitions() {
    run_property("determinism", 128, |stream| {
        let mut a = pipeline();
        let mut b = pipeline();
        let mut parts = [pipeline(), pipeline()];
        let mut serial = pipeline();
        for (i, ev) in stream.events.iter().enumerate() {
            let bytes = serde_json::to_vec(&ev.value).unwrap();
            let ra = a.process_record(&bytes);
            let rb = b.process_record(&bytes);
            if ra != rb {
                return Err(format!(
                    "event {i}: {ra:?} vs {rb:?}\n{}",
                    stream.jsonl(i + 1)
                ));
            }
            let id = &stream.ids[ev.acct];
            if item_json(&a, id) != item_json(&b, id) {
                return Err(format!(
                    "event {i}: items differ between runs\n{}",
                    stream.jsonl(i + 1)
                ));
            }
        }
        for ev in &stream.events {
            let bytes = serde_json::to_vec(&ev.value).unwrap();
            parts[stream.part[ev.acct]]
                .process_record(&bytes)
                .map_err(|e| format!("partition rejected: {e}"))?;
        }
        for acct in 0..stream.ids.len() {
            for ev in stream.events.iter().filter(|e| e.acct == acct) {
                let bytes = serde_json::to_vec(&ev.value).unwrap();
                serial
                    .process_record(&bytes)
                    .map_err(|e| format!("serial rejected: {e}"))?;
            }
        }
        let compare =
            |when: &str, a: &Pipeline, b: &Pipeline, parts: &[Pipeline; 2], serial: &Pipeline| {
                let (ja, jb) = (ranked_jsonl(a), ranked_jsonl(b));
                if ja != jb {
                    return Err(format!(
                        "{when}: ranked JSONL differs between two runs:\n{ja}\nvs\n{jb}"
                    ));
                }
                for (acct, id) in stream.ids.iter().enumerate() {
                    let one = item_json(a, id);
                    let split = item_json(&parts[stream.part[acct]], id);
                    let ser = item_json(serial, id);
                    if one != split {
                        return Err(format!(
                            "{when}: {id} differs when partitioned:\n{one:?}\nvs\n{split:?}"
                        ));
                    }
                    if one != ser {
                        return Err(format!(
                        "{when}: {id} differs when fed account by account:\n{one:?}\nvs\n{ser:?}"
                    ));
                    }
                }
                Ok(())
            };
        compare("after the stream", &a, &b, &parts, &serial)
            .map_err(|m| format!("{m}\nevents:\n{}", stream.jsonl(usize::MAX)))?;
        for (secs, label) in LATER {
            let t = stream.end + SignedDuration::from_secs(*secs);
            let na = a.evaluate_all(t);
            let nb = b.evaluate_all(t);
            let np = parts[0].evaluate_all(t) + parts[1].evaluate_all(t);
            let ns = serial.evaluate_all(t);
            if na != nb || na != np || na != ns {
                return Err(format!(
                    "evaluate_all {label}: changed {na} / {nb} / {np} (partitioned) / {ns} (serial)"
                ));
            }
            compare(&format!("evaluate_all {label}"), &a, &b, &parts, &serial)
                .map_err(|m| format!("{m}\nevents:\n{}", stream.jsonl(usize::MAX)))?;
        }
        Ok(())
    });
}

/// 6. Ranking: `ranked()` is open by priority descending, then held, then closed, ties by
///    account_id; priority is finite, ≥ 0, and 0 unless open; scores are in [0, 1]; money and
///    days past due are never negative.
#[test]
fn ranking_order_and_item_ranges() {
    let seen = Seen::default();
    run_property("ranking", 192, |stream| {
        drive(stream, &mut |o| {
            let ranked = o
                .pipeline
                .ranked()
                .into_iter()
                .map(view)
                .collect::<Result<Vec<View>, String>>()?;
            for w in ranked.windows(2) {
                let (x, y) = (&w[0], &w[1]);
                let ok = match status_rank(&x.status).cmp(&status_rank(&y.status)) {
                    std::cmp::Ordering::Less => true,
                    std::cmp::Ordering::Greater => false,
                    std::cmp::Ordering::Equal => {
                        x.priority > y.priority
                            || (x.priority == y.priority && x.account_id < y.account_id)
                    }
                };
                if !ok {
                    return Err(format!(
                        "ranked out of order: {} {} {} before {} {} {}",
                        x.account_id, x.status, x.priority, y.account_id, y.status, y.priority
                    ));
                }
                if x.status == "open" && y.status == "open" {
                    seen.hit("pairs of open items");
                }
            }
            for it in &ranked {
                if !matches!(it.status.as_str(), "open" | "held" | "closed") {
                    return Err(format!("{}: status {:?}", it.account_id, it.status));
                }
                if !(it.priority.is_finite() && it.priority >= 0.0) {
                    return Err(format!("{}: priority {}", it.account_id, it.priority));
                }
                if it.status != "open" && it.priority != 0.0 {
                    return Err(format!(
                        "{}: status {} with priority {}",
                        it.account_id, it.status, it.priority
                    ));
                }
                if it.status == "open" {
                    seen.hit("open items");
                }
                for (name, v) in [
                    ("willingness", it.scores.willingness),
                    ("ability", it.scores.ability),
                ] {
                    if !(0.0..=1.0).contains(&v) {
                        return Err(format!("{}: {name} {v} outside [0, 1]", it.account_id));
                    }
                }
                if it.expected_recovery < 0 || it.overdue_amount < 0 || it.days_past_due < 0 {
                    return Err(format!(
                        "{}: negative expected_recovery {} / overdue {} / dpd {}",
                        it.account_id, it.expected_recovery, it.overdue_amount, it.days_past_due
                    ));
                }
            }
            Ok(())
        })
        .map(|_| ())
    });
    seen.print("ranking");
}

/// 7. Contact caps (strict profile): a dialer that acts as early as the item allows
///    (max(not_before, now), now being the clock at which the item is read) never makes the 7th call attempt in a rolling 7 days (the 3rd while
///    in hardship), never calls in the 7 local days after a right-party conversation (its date
///    being day 1), never makes a 4th connected call in a local day, and never sends a 4th SMS in
///    7 days. A debtor-requested callback that is due is exempt (`callback_exempt_from_caps`).
#[test]
fn calls_stay_within_strict_caps() {
    let seen = Seen::default();
    run_property("caps", 256, |stream| {
        drive(stream, &mut |o| {
            let Some(a) = is_call_or_sms(o.item) else {
                return Ok(());
            };
            let m = o.model;
            if m.callback.is_some_and(|cb| cb <= o.now) {
                seen.hit("exempt: callback due");
                return Ok(());
            }
            let tz = m.tz.as_ref().ok_or("no time zone")?;
            let (nb, _, as_of) = action_times(o.item)?;
            let t = nb.max(as_of).max(o.now);
            let week = t - SignedDuration::from_secs(7 * DAY);
            let in_week = |ch: &str| {
                m.attempts
                    .iter()
                    .filter(|x| x.channel == ch && x.at > week && x.at <= t)
                    .count()
            };
            if a.channel == "sms" {
                seen.hit("sms checked");
                let n = in_week("sms");
                if n >= 3 {
                    return Err(format!(
                        "an SMS at {t} would be SMS {} in 7 days (cap 3)",
                        n + 1
                    ));
                }
                return Ok(());
            }
            seen.hit("calls checked");
            let n = in_week("call");
            let hardship = m.hardship(o.now);
            let cap = if hardship { 2 } else { 7 };
            if hardship {
                seen.hit("calls checked in hardship");
            }
            if n + 1 == cap {
                seen.hit("calls checked at the last allowed attempt");
            }
            if n >= cap {
                return Err(format!(
                    "a call at {t} would be attempt {} in the rolling 7 days (cap {cap}{})",
                    n + 1,
                    if hardship { ", hardship" } else { "" }
                ));
            }
            let conversation = m
                .attempts
                .iter()
                .rev()
                .find(|x| x.channel == "call" && x.outcome == "right_party");
            if let Some(c) = conversation {
                let day1 = tz.to_datetime(c.at).date();
                let free = local_midnight(day1 + 7.days(), tz);
                if t < free {
                    return Err(format!(
                        "a call at {t} is inside the cool-down after the conversation at {} \
                         (local day 1 {day1}); lawful from {free}",
                        c.at
                    ));
                }
            }
            let today = tz.to_datetime(t).date();
            let connected = m
                .attempts
                .iter()
                .filter(|x| {
                    x.channel == "call"
                        && matches!(
                            x.outcome.as_str(),
                            "right_party" | "third_party" | "refused"
                        )
                        && tz.to_datetime(x.at).date() == today
                })
                .count();
            if connected >= 3 {
                return Err(format!(
                    "a call at {t} would be connected call {} of local day {today}",
                    connected + 1
                ));
            }
            Ok(())
        })
        .map(|_| ())
    });
    seen.print("caps");
}

/// The generator itself: every record is accepted and the streams reach the states the properties
/// are about (a guard against vacuous passes; the tallies print with `--nocapture`).
#[test]
fn generator_covers_the_interesting_states() {
    let stats: RefCell<HashMap<String, u64>> = RefCell::default();
    let cases = Cell::new(0u32);
    run_property("generator", 64, |stream| {
        cases.set(cases.get() + 1);
        let mut st = stats.borrow_mut();
        for ev in &stream.events {
            let key = match s(&ev.value, "disposition") {
                Some(x) => format!("event disposition {x}"),
                None => format!("event {}", s(&ev.value, "type").unwrap()),
            };
            *st.entry(key).or_default() += 1;
        }
        drop(st);
        drive(stream, &mut |o| {
            let mut st = stats.borrow_mut();
            let key = match (&o.item.action, &o.item.hold_reason) {
                (Some(a), _) => format!(
                    "item {} {} {} {}",
                    o.item.status, a.channel, a.party, a.strategy
                ),
                (None, Some(h)) => format!("item held {h}"),
                (None, None) => format!("item {}", o.item.status),
            };
            *st.entry(key).or_default() += 1;
            *st.entry(format!("stage {}", o.item.stage)).or_default() += 1;
            Ok(())
        })
        .map(|_| ())
    });
    let mut v: Vec<_> = stats.into_inner().into_iter().collect();
    v.sort();
    eprintln!("generator: {} cases", cases.get());
    for (k, n) in v {
        eprintln!("  {k}: {n}");
    }
}
