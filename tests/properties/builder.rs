//! The builder that turns a plan into contract-valid JSON events: its state, opening an
//! account, promises and contact choice, and merging the accounts into one stream.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde_json::{json, Map, Value};

use crate::{plan::*, vocab::*};

#[derive(Debug, Clone)]
pub struct Ev {
    pub acct: usize,
    pub seq: usize,
    pub at: Timestamp,
    /// An exact re-delivery of the account's previous event (must come back `Duplicate`).
    pub dup: bool,
    pub value: Value,
}

#[derive(Debug, Clone)]
pub struct Stream {
    pub ids: Vec<String>,
    pub events: Vec<Ev>,
    /// Account index → partition (0 or 1) for the split-pipeline check.
    pub part: Vec<usize>,
    pub end: Timestamp,
}

impl Stream {
    pub fn jsonl(&self, upto: usize) -> String {
        let mut s = String::new();
        for ev in &self.events[..upto.min(self.events.len())] {
            s.push_str(&serde_json::to_string(&ev.value).unwrap());
            s.push('\n');
        }
        s
    }
}

#[derive(Debug, Clone)]
pub struct ContactSpec {
    pub id: String,
    pub role: &'static str,
    pub phone: String,
    pub consent: bool,
    pub informed: bool,
}

pub struct Builder<'a> {
    pub plan: &'a AccountPlan,
    pub acct: usize,
    pub id: String,
    pub tz_name: &'static str,
    pub tz: TimeZone,
    pub t: Timestamp,
    pub n: usize,
    pub opened: bool,
    pub closed: bool,
    pub contacts: Vec<ContactSpec>,
    pub payments: Vec<(String, i64)>,
    pub flags: Vec<&'static str>,
    pub dnc: Vec<String>,
    pub out: Vec<Ev>,
}

pub fn mins(m: i64) -> SignedDuration {
    SignedDuration::from_secs(m * 60)
}

pub fn phone(seed: u64) -> String {
    format!("+{}", 10_000_000_000u64 + seed % 89_999_999_999)
}

impl<'a> Builder<'a> {
    pub fn new(plan: &'a AccountPlan, acct: usize, start: Timestamp) -> Builder<'a> {
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

    pub fn stamp_at(&self, t: Timestamp, utc: bool) -> String {
        if utc {
            t.to_string()
        } else {
            t.to_zoned(self.tz.clone())
                .strftime("%Y-%m-%dT%H:%M:%S%.f%:z")
                .to_string()
        }
    }

    pub fn local_date(&self) -> Date {
        self.t.to_zoned(self.tz.clone()).date()
    }

    pub fn emit(&mut self, ty: &str, fields: Value, utc: bool) {
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

    pub fn contacts_json(&self) -> Value {
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

    pub fn open(&mut self) {
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

    pub fn promise(&mut self, r: [u32; 4], contact: Option<String>) {
        let due = self.local_date() + ((r[1] % 15) as i64).days();
        let mut f = json!({"promise_id": format!("p{}", self.n), "amount": 500 + (r[0] % 100_000) as i64,
                           "due_date": due.to_string(), "confirmed_in_writing": r[2] & 1 == 1});
        if let Some(c) = contact {
            f["contact_id"] = json!(c);
        }
        self.emit("promise_made", f, r[3] & 1 == 1);
    }

    pub fn pick_contact(&self, r: u32) -> Option<&ContactSpec> {
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
}

pub fn build(case: &Case) -> Stream {
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
