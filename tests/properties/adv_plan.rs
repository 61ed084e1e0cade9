//! The adversarial generator: streams built to break the "always, in every profile" rules.
//!
//! Separate from the narrow generator (`plan`/`builder`) so that the older properties keep their
//! assumptions. Per case: one contact-policy profile (`strict`, `us_reg_f`, `us_ma`, `cn_nifa`,
//! `uk_conc`); per account: a zone (real ones from UTC−10 to UTC+14, and unknown ones such as
//! `Factory`, `localtime`, `Etc/Unknown`), a currency of every ISO 4217 exponent (JPY 0, USD 2,
//! KWD 3), and contacts that share a pool of three numbers (a spouse with the debtor's number, the
//! same number under two ids). Steps re-key the contact list (same person, same number, new id),
//! set `do_not_call` on one listing of a shared number, call and text under unknown contact ids,
//! record third-party dispositions and callbacks, callbacks in the past / not after the request /
//! long expired, `flag_cleared` events whose `occurred_at` is before the `flag_set` they would undo,
//! and edge values (year 9999, `9999-12-31` due dates, the largest amount). Streams start near DST
//! changes. Events that the contract makes valid are `must_accept`; edge values may be rejected,
//! but only with a contract reason code.

use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

pub const PROFILES: &[&str] = &["strict", "us_reg_f", "us_ma", "cn_nifa", "uk_conc"];
/// Real zones (UTC−10 … UTC+14, half and quarter hours, both hemispheres' DST), then unknown ones.
pub const ADV_ZONES: &[&str] = &[
    "Pacific/Honolulu",
    "Pacific/Kiritimati",
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Asia/Kathmandu",
    "UTC",
    "Factory",
    "localtime",
    "Etc/Unknown",
];
/// The zones with fixed, known rules; every other name must fail closed.
pub const REAL_ZONES: usize = 7;
pub const ADV_CURRENCIES: &[&str] = &["JPY", "USD", "KWD", "BHD", "CNY", "EUR"];
pub const ROLES: &[&str] = &[
    "debtor",
    "spouse",
    "relative",
    "employer",
    "guarantor",
    "other",
];
const ADV_OUTCOMES: &[&str] = &[
    "right_party",
    "right_party",
    "third_party",
    "no_answer",
    "no_answer",
    "no_answer",
    "busy",
    "voicemail",
    "wrong_number",
    "invalid_number",
    "refused",
    "failed",
];
const ADV_DISPOSITIONS: &[&str] = &[
    "callback_requested",
    "callback_requested",
    "callback_requested",
    "hardship",
    "refused_to_pay",
    "claims_paid",
    "abusive",
    "none",
];
const ADV_FLAGS: &[&str] = &[
    "hardship",
    "cease_contact",
    "dispute",
    "breathing_space",
    "legal_hold",
];
/// Instants just before DST changes (US, EU, AU) and the turn of a year.
const STARTS: &[&str] = &[
    "2026-03-07T12:00:00Z",
    "2026-03-28T20:00:00Z",
    "2026-04-04T10:00:00Z",
    "2026-10-31T20:00:00Z",
    "2026-12-30T22:00:00Z",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AKind {
    Statement,
    Payment,
    Attempt,
    Burst,
    UnknownContact,
    DncSet,
    DncClear,
    FlagSet,
    FlagClearedLate,
    FlagCleared,
    Rekey,
    Relist,
    Zone,
    Edge,
}

#[derive(Debug, Clone)]
pub struct AStep {
    pub gap_min: u32,
    pub kind: AKind,
    pub r: [u32; 4],
}

#[derive(Debug, Clone)]
pub struct AAccount {
    pub zone: usize,
    pub currency: usize,
    /// (role, phone pool index, consent); the first is always the debtor.
    pub contacts: Vec<(usize, usize, bool)>,
    pub steps: Vec<AStep>,
}

#[derive(Debug, Clone)]
pub struct ACase {
    /// Edge values (year 9999, 9999-12-31, the largest amounts); off for the policy properties.
    pub edges: bool,
    pub profile: usize,
    pub start: usize,
    pub accounts: Vec<AAccount>,
}

fn kind() -> impl Strategy<Value = AKind> {
    prop_oneof![
        3 => Just(AKind::Statement),
        2 => Just(AKind::Payment),
        14 => Just(AKind::Attempt),
        4 => Just(AKind::Burst),
        3 => Just(AKind::UnknownContact),
        3 => Just(AKind::DncSet),
        1 => Just(AKind::DncClear),
        2 => Just(AKind::FlagSet),
        2 => Just(AKind::FlagClearedLate),
        1 => Just(AKind::FlagCleared),
        2 => Just(AKind::Rekey),
        2 => Just(AKind::Relist),
        1 => Just(AKind::Zone),
        1 => Just(AKind::Edge),
    ]
}

fn step() -> impl Strategy<Value = AStep> {
    (
        prop_oneof![4 => 1u32..=240, 3 => 240u32..=2 * 1440, 1 => 2 * 1440u32..=12 * 1440],
        kind(),
        any::<[u32; 4]>(),
    )
        .prop_map(|(gap_min, kind, r)| AStep { gap_min, kind, r })
}

fn account(max_steps: usize) -> impl Strategy<Value = AAccount> {
    (
        prop_oneof![6 => 0..REAL_ZONES, 1 => REAL_ZONES..ADV_ZONES.len()],
        0..ADV_CURRENCIES.len(),
        (0usize..3, any::<bool>()),
        prop::collection::vec((0..ROLES.len(), 0usize..3, any::<bool>()), 0..=3),
        prop::collection::vec(step(), 0..=max_steps),
    )
        .prop_map(|(zone, currency, (ph, _), more, steps)| {
            let mut contacts = vec![(0, ph, true)];
            contacts.extend(more);
            AAccount {
                zone,
                currency,
                contacts,
                steps,
            }
        })
}

pub fn adv_case(edges: bool) -> impl Strategy<Value = ACase> {
    (
        0..PROFILES.len(),
        0..STARTS.len(),
        prop::collection::vec(account(40), 1..=2),
    )
        .prop_map(move |(profile, start, accounts)| ACase {
            edges,
            profile,
            start,
            accounts,
        })
}

#[derive(Debug, Clone)]
pub struct AEv {
    pub acct: usize,
    pub seq: usize,
    /// When the record arrives (stream order).
    pub arrive: Timestamp,
    /// Its `occurred_at`.
    pub at: Timestamp,
    /// The contract makes this record valid: it must be accepted.
    pub must_accept: bool,
    pub value: Value,
}

#[derive(Debug, Clone)]
pub struct AStream {
    pub profile: &'static str,
    pub ids: Vec<String>,
    pub events: Vec<AEv>,
}

impl AStream {
    pub fn jsonl(&self, upto: usize) -> String {
        let mut s = format!("profile {}\n", self.profile);
        for ev in &self.events[..upto.min(self.events.len())] {
            s.push_str(&serde_json::to_string(&ev.value).expect("serializes"));
            s.push('\n');
        }
        s
    }
}

#[derive(Debug, Clone)]
struct C {
    id: String,
    role: &'static str,
    phone: String,
    consent: bool,
}

struct B {
    acct: usize,
    id: String,
    t: Timestamp,
    n: usize,
    phones: [String; 3],
    contacts: Vec<C>,
    /// Flags set, with their occurred_at (for late clears).
    set: Vec<(&'static str, Timestamp)>,
    out: Vec<AEv>,
}

fn ts(t: Timestamp) -> String {
    t.to_string()
}

impl B {
    fn emit_at(&mut self, ty: &str, at: String, when: Timestamp, ok: bool, fields: Value) {
        let mut m = Map::new();
        m.insert("event_id".into(), json!(format!("{}-x{}", self.id, self.n)));
        m.insert("type".into(), json!(ty));
        m.insert("account_id".into(), json!(self.id));
        m.insert("occurred_at".into(), json!(at));
        if let Value::Object(f) = fields {
            m.extend(f);
        }
        self.out.push(AEv {
            acct: self.acct,
            seq: self.n,
            arrive: self.t,
            at: when,
            must_accept: ok,
            value: Value::Object(m),
        });
        self.n += 1;
    }

    fn emit(&mut self, ty: &str, fields: Value) {
        let (at, t) = (ts(self.t), self.t);
        self.emit_at(ty, at, t, true, fields);
    }

    fn contacts_json(&self) -> Value {
        Value::Array(
            self.contacts
                .iter()
                .map(|c| {
                    json!({"contact_id": c.id, "role": c.role, "phone": c.phone,
                           "consent_to_contact": c.consent, "informed": false})
                })
                .collect(),
        )
    }

    fn pick(&self, r: u32) -> String {
        self.contacts
            .get(r as usize % self.contacts.len().max(1))
            .map_or_else(|| format!("c-gone{r}"), |c| c.id.clone())
    }

    fn attempt(&mut self, r: [u32; 4], contact: String, channel: &str) {
        let outcome = if channel == "sms" {
            if r[2].is_multiple_of(5) {
                "failed"
            } else {
                "delivered"
            }
        } else {
            ADV_OUTCOMES[r[2] as usize % ADV_OUTCOMES.len()]
        };
        let mut f = json!({"attempt_id": format!("a{}", self.n), "channel": channel,
                           "contact_id": contact, "outcome": outcome});
        if r[3].is_multiple_of(3) {
            let d = ADV_DISPOSITIONS[(r[3] >> 4) as usize % ADV_DISPOSITIONS.len()];
            f["disposition"] = json!(d);
            if d == "callback_requested" {
                // In the past, exactly at the request, soon, or long after (it then expires).
                let secs = match (r[3] >> 8) % 5 {
                    0 => -3600 * (1 + (r[1] % 48) as i64),
                    1 => 0,
                    2 | 3 => 900 + (r[1] % (3 * 86_400)) as i64,
                    _ => 86_400 * (8 + (r[1] % 20) as i64),
                };
                f["callback_at"] = json!(ts(self.t + SignedDuration::from_secs(secs)));
            }
        }
        self.emit("contact_attempt", f);
    }

    fn step(&mut self, st: &AStep) {
        let r = st.r;
        match st.kind {
            AKind::Statement => {
                let amount = 100 + (r[0] % 500_000) as i64;
                let due = self.t.to_zoned(jiff::tz::TimeZone::UTC).date()
                    + jiff::Span::new().days((r[1] % 40) as i64 - 30);
                self.emit(
                    "statement_issued",
                    json!({"statement_id": format!("s{}", self.n), "amount_due": amount,
                           "minimum_due": amount / 2, "due_date": due.to_string()}),
                );
            }
            AKind::Payment => self.emit(
                "payment_received",
                json!({"payment_id": format!("p{}", self.n), "amount": 1 + (r[0] % 90_000) as i64}),
            ),
            AKind::Attempt => {
                let c = self.pick(r[1]);
                let channel = if r[0].is_multiple_of(4) {
                    "sms"
                } else {
                    "call"
                };
                self.attempt(r, c, channel);
            }
            AKind::Burst => {
                for k in 0..3 + r[0] % 8 {
                    if k > 0 {
                        self.t += SignedDuration::from_secs(60 * (3 + ((r[1] >> k) % 200) as i64));
                    }
                    let c = if (r[2] >> k) & 3 == 0 {
                        format!("c-unknown{}", r[3] % 3)
                    } else {
                        self.pick(r[1] >> k)
                    };
                    let rr = [
                        r[0],
                        r[1],
                        r[2].rotate_left(k * 5),
                        r[3].rotate_left(k * 3) | 1,
                    ];
                    self.attempt(rr, c, "call");
                }
            }
            AKind::UnknownContact => {
                let channel = if r[0].is_multiple_of(3) {
                    "sms"
                } else {
                    "call"
                };
                self.attempt(r, format!("c-unknown{}", r[1] % 3), channel);
            }
            AKind::DncSet => {
                let c = self.pick(r[1]);
                self.emit("flag_set", json!({"flag": "do_not_call", "contact_id": c}));
            }
            AKind::DncClear => {
                let c = self.pick(r[1]);
                self.emit(
                    "flag_cleared",
                    json!({"flag": "do_not_call", "contact_id": c}),
                );
            }
            AKind::FlagSet => {
                let flag = ADV_FLAGS[r[0] as usize % ADV_FLAGS.len()];
                self.set.push((flag, self.t));
                self.emit("flag_set", json!({"flag": flag}));
            }
            AKind::FlagClearedLate | AKind::FlagCleared => {
                let Some(&(flag, set_at)) = self.set.get(r[0] as usize % self.set.len().max(1))
                else {
                    return;
                };
                let (at, when) = if st.kind == AKind::FlagClearedLate {
                    let before = set_at - SignedDuration::from_secs(60 * (1 + (r[1] % 600) as i64));
                    (ts(before), before)
                } else {
                    (ts(self.t), self.t)
                };
                self.emit_at("flag_cleared", at, when, true, json!({"flag": flag}));
            }
            AKind::Rekey => {
                if self.contacts.is_empty() {
                    return;
                }
                let i = r[1] as usize % self.contacts.len();
                self.contacts[i].id = format!("c-k{}", self.n);
                let f = json!({"contacts": self.contacts_json()});
                self.emit("account_updated", f);
            }
            AKind::Relist => {
                let role = ROLES[r[1] as usize % ROLES.len()];
                self.contacts.push(C {
                    id: format!("c-l{}", self.n),
                    role,
                    phone: self.phones[r[2] as usize % 3].clone(),
                    consent: r[3] & 1 == 1,
                });
                let f = json!({"contacts": self.contacts_json()});
                self.emit("account_updated", f);
            }
            AKind::Zone => {
                let z = ADV_ZONES[r[1] as usize % ADV_ZONES.len()];
                let (at, t) = (ts(self.t), self.t);
                let ok = (r[1] as usize % ADV_ZONES.len()) < REAL_ZONES;
                self.emit_at("account_updated", at, t, ok, json!({"timezone": z}));
            }
            AKind::Edge => {
                let (at, t) = (ts(self.t), self.t);
                match r[0] % 4 {
                    0 => self.emit_at(
                        "statement_issued",
                        at,
                        t,
                        false,
                        json!({"statement_id": format!("s{}", self.n), "amount_due": 1_000_000_000_000_000i64,
                               "minimum_due": 1, "due_date": "9999-12-31"}),
                    ),
                    1 => {
                        let far: Timestamp = "9999-12-30T12:00:00Z".parse().expect("in range");
                        self.emit_at(
                            "payment_received",
                            ts(far),
                            far,
                            false,
                            json!({"payment_id": format!("p{}", self.n), "amount": 1}),
                        );
                    }
                    2 => self.emit_at(
                        "fee_charged",
                        at,
                        t,
                        false,
                        json!({"fee_id": format!("f{}", self.n), "amount": i64::MAX, "kind": "other"}),
                    ),
                    _ => self.emit_at(
                        "promise_made",
                        at,
                        t,
                        false,
                        json!({"promise_id": format!("pr{}", self.n), "amount": 1,
                               "due_date": "9999-12-31", "confirmed_in_writing": false}),
                    ),
                }
            }
        }
    }
}

pub fn build_adv(case: &ACase) -> AStream {
    let start: Timestamp = STARTS[case.start].parse().expect("valid start");
    let mut events = Vec::new();
    let mut ids = Vec::new();
    for (a, plan) in case.accounts.iter().enumerate() {
        let seed = 20_000_000_000u64 + a as u64 * 1_000;
        let phones = [0, 1, 2].map(|k| format!("+{}", seed + k));
        let contacts = plan
            .contacts
            .iter()
            .enumerate()
            .map(|(i, &(role, ph, consent))| C {
                id: format!("c-{i}"),
                role: ROLES[role],
                phone: phones[ph].clone(),
                consent,
            })
            .collect();
        let mut b = B {
            acct: a,
            id: format!("X-{a}"),
            t: start + SignedDuration::from_secs(a as i64 * 600),
            n: 0,
            phones,
            contacts,
            set: Vec::new(),
            out: Vec::new(),
        };
        let zone_ok = plan.zone < REAL_ZONES;
        let f = json!({"timezone": ADV_ZONES[plan.zone], "currency": ADV_CURRENCIES[plan.currency],
                       "product": "loan", "contacts": b.contacts_json()});
        let (at, t) = (ts(b.t), b.t);
        b.emit_at("account_opened", at, t, zone_ok, f);
        b.t += SignedDuration::from_secs(60);
        b.emit(
            "statement_issued",
            json!({"statement_id": "s-first", "amount_due": 250_000, "minimum_due": 50_000,
                   "due_date": (b.t.to_zoned(jiff::tz::TimeZone::UTC).date() - jiff::Span::new().days(20)).to_string()}),
        );
        for st in &plan.steps {
            b.t += SignedDuration::from_secs(st.gap_min as i64 * 60);
            if st.kind == AKind::Edge && !case.edges {
                continue;
            }
            b.step(st);
        }
        ids.push(b.id.clone());
        events.extend(b.out);
    }
    events.sort_by_key(|e| (e.arrive, e.acct, e.seq));
    AStream {
        profile: PROFILES[case.profile],
        ids,
        events,
    }
}
