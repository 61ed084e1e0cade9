//! The probes' vocabulary: the verdicts, the preamble, a valid base event of each type and the
//! helpers that set or remove one field.

use serde_json::{json, Value};

pub use Verdict::*;

/// What replay must say about a probe.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Verdict {
    /// Applied (or ignored as a duplicate).
    Accepted,
    /// Rejected with this reason; the schema must reject it too.
    Rejected(&'static str),
    /// Rejected with this reason for a rule JSON Schema cannot express: the schema is not asked.
    StateOrCrossField(&'static str),
}

pub struct Probe {
    pub what: String,
    pub verdict: Verdict,
    pub line: String,
}

/// Lines applied before the probes: account `P` with contact `c1` and a large payment `PAY-1`.
pub fn preamble() -> Vec<Value> {
    vec![
        json!({"event_id": "pre-1", "type": "account_opened", "account_id": "P",
               "occurred_at": "2026-01-02T00:00:00Z", "timezone": "Asia/Shanghai", "currency": "CNY",
               "product": "card", "contacts": [{"contact_id": "c1", "role": "debtor",
               "phone": "+8613800000000", "consent_to_contact": true, "informed": true}]}),
        json!({"event_id": "pre-2", "type": "payment_received", "account_id": "P",
               "occurred_at": "2026-01-02T00:00:00Z", "payment_id": "PAY-1", "amount": 1_000_000_000}),
    ]
}

/// A valid event of each type for account `P`; `"auto"` values are made unique per probe.
pub fn base(kind: &str) -> Value {
    let mut v = json!({"event_id": "auto", "type": kind, "account_id": "P",
                       "occurred_at": "2026-01-03T00:00:00Z"});
    let fields = match kind {
        "account_opened" | "account_updated" => json!({"timezone": "Asia/Shanghai",
            "currency": "CNY", "product": "card", "contacts": [contact()]}),
        "statement_issued" => json!({"statement_id": "auto", "amount_due": 1000,
            "minimum_due": 100, "due_date": "2026-02-01"}),
        "payment_received" => json!({"payment_id": "auto", "amount": 5}),
        "payment_reversed" => json!({"payment_id": "PAY-1", "amount": 1, "reason": "chargeback"}),
        "fee_charged" => json!({"fee_id": "auto", "amount": 5, "kind": "late_fee"}),
        "promise_made" => json!({"promise_id": "auto", "amount": 5, "due_date": "2026-02-01",
            "confirmed_in_writing": false}),
        "flag_set" | "flag_cleared" => json!({"flag": "hardship"}),
        "account_closed" => json!({"reason": "other"}),
        "contact_attempt" => json!({"attempt_id": "auto", "channel": "call", "contact_id": "c1",
            "outcome": "no_answer"}),
        other => panic!("no base event for {other}"),
    };
    v.as_object_mut()
        .unwrap()
        .extend(fields.as_object().unwrap().clone());
    v
}

pub fn contact() -> Value {
    json!({"contact_id": "c1", "role": "debtor", "phone": "+8613800000000",
           "consent_to_contact": true, "informed": true})
}

/// `v` with `key` set (`Some`) or removed (`None`).
pub fn with(mut v: Value, key: &str, val: Option<Value>) -> Value {
    let m = v.as_object_mut().unwrap();
    match val {
        Some(x) => m.insert(key.to_owned(), x),
        None => m.remove(key),
    };
    v
}

/// A valid `account_opened` of account `Q` (profile probes leave `P`'s contacts alone).
pub fn opened_q() -> Value {
    with(base("account_opened"), "account_id", Some(json!("Q")))
}

/// An `account_opened` of `Q` whose only contact has `key` set or removed.
pub fn with_contact(key: &str, val: Option<Value>) -> Value {
    with(
        opened_q(),
        "contacts",
        Some(json!([with(contact(), key, val)])),
    )
}
