//! Raw-bytes property: decoding and evaluation never panic on any input.
//!
//! Two generators feed one [`Pipeline`] per case: arbitrary bytes, and valid event JSON mutated
//! (a field's JSON type flipped, huge or negative numbers, deep nesting, duplicate keys, far-future
//! and malformed timestamps, odd zone names, truncation, a stray byte). For every record:
//! [`decode`] does not panic; it accepts, or rejects with one of the contract's reason codes and a
//! detail; an accepted event is applied (accepted or rejected with a contract code); and at the
//! end, evaluating every account at the final clock (and at year 9999) does not panic and gives
//! items that serialize. Deterministic: proptest's default seed, no persistence.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "integration tests drive the edges: files, timers and the environment"
)]

use std::sync::{Arc, OnceLock};

use arrears::engine::events::decode;
use arrears::engine::pipeline::Pipeline;
use arrears::engine::scoring::Scorer;
use arrears::engine::settings::Settings;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Value};

const CODES: &[&str] = &[
    "malformed_json",
    "too_large",
    "unknown_type",
    "missing_field",
    "invalid_field",
    "key_mismatch",
    "unknown_reference",
];

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

/// Valid events of one account, every type.
fn templates() -> Vec<Value> {
    let c = |ty: &str, extra: Value| {
        let mut v = json!({"event_id": format!("e-{ty}"), "type": ty, "account_id": "F-1",
                           "occurred_at": "2026-03-08T06:59:59-05:00"});
        if let (Value::Object(m), Value::Object(e)) = (&mut v, extra) {
            m.extend(e);
        }
        v
    };
    vec![
        c(
            "account_opened",
            json!({"timezone": "America/New_York", "currency": "KWD", "product": "card",
                   "contacts": [{"contact_id": "c-1", "role": "debtor", "phone": "+12025550100",
                                 "consent_to_contact": true, "informed": true},
                                {"contact_id": "c-2", "role": "spouse", "phone": "+12025550100"}]}),
        ),
        c(
            "account_updated",
            json!({"timezone": "Pacific/Kiritimati", "currency": "JPY"}),
        ),
        c(
            "statement_issued",
            json!({"statement_id": "s1", "amount_due": 5000, "minimum_due": 100, "due_date": "2026-02-01"}),
        ),
        c(
            "payment_received",
            json!({"payment_id": "p1", "amount": 700}),
        ),
        c(
            "payment_reversed",
            json!({"payment_id": "p1", "amount": 700, "reason": "insufficient_funds"}),
        ),
        c(
            "fee_charged",
            json!({"fee_id": "f1", "amount": 25, "kind": "late_fee"}),
        ),
        c(
            "promise_made",
            json!({"promise_id": "pr1", "amount": 900, "due_date": "2026-03-10", "confirmed_in_writing": false}),
        ),
        c(
            "flag_set",
            json!({"flag": "do_not_call", "contact_id": "c-2"}),
        ),
        c("flag_cleared", json!({"flag": "hardship"})),
        c("account_closed", json!({"reason": "settled"})),
        c(
            "contact_attempt",
            json!({"attempt_id": "a1", "channel": "call", "contact_id": "c-9", "outcome": "right_party",
                   "disposition": "callback_requested", "callback_at": "2026-03-08T07:00:00-05:00",
                   "duration_s": 12.5}),
        ),
    ]
}

/// A replacement value that breaks or stretches a field.
fn odd_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        Just(json!(1e308)),
        Just(json!(-0.0)),
        Just(json!("9999-12-31T23:59:59+14:00")),
        Just(json!("0000-01-01T00:00:00Z")),
        Just(json!("2026-03-08T02:30:00-05:00")),
        Just(json!("2026-13-40T25:61:61Z")),
        Just(json!("9999-12-31")),
        Just(json!("Factory")),
        Just(json!("localtime")),
        Just(json!("Etc/Unknown")),
        Just(json!("Pacific/Honolulu")),
        Just(json!("")),
        "[ -~]{0,40}".prop_map(Value::String),
        Just(json!([])),
        Just(json!({})),
        Just(json!([{"contact_id": "c-1", "role": "debtor", "phone": "+1"}])),
    ]
}

fn mutated() -> impl Strategy<Value = Vec<u8>> {
    let n = templates().len();
    (
        0..n,
        0usize..16,
        odd_value(),
        0u8..8,
        1usize..300,
        any::<(usize, u8)>(),
    )
        .prop_map(|(t, field, val, how, depth, (pos, byte))| {
            let mut v = templates()[t].clone();
            let keys: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
            let key = keys[field % keys.len()].clone();
            match how {
                0..=2 => v[&key] = val,
                3 => {
                    if let Some(o) = v.as_object_mut() {
                        o.remove(&key);
                    }
                }
                4 => {
                    let mut deep = val;
                    for _ in 0..depth {
                        deep = json!([deep]);
                    }
                    v[&key] = deep;
                }
                _ => {}
            }
            let mut text = serde_json::to_string(&v).expect("serializes");
            match how {
                5 => {
                    // A duplicate key (the first or the last one read wins: either way no panic).
                    let dup = format!(
                        "{{\"{key}\":{},",
                        serde_json::to_string(&json!("dup")).expect("json")
                    );
                    text = text.replacen('{', &dup, 1);
                }
                6 => text.truncate(pos % (text.len() + 1)),
                7 => {
                    let mut b = text.into_bytes();
                    let i = pos % (b.len() + 1);
                    b.insert(i, byte);
                    return b;
                }
                _ => {}
            }
            text.into_bytes()
        })
}

fn record() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..256),
        1 => "[ -~]{0,120}".prop_map(String::into_bytes),
        1 => (0usize..11).prop_map(|t| serde_json::to_vec(&templates()[t]).expect("json")),
        5 => mutated(),
    ]
}

#[test]
fn decode_and_evaluate_never_panic() {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..Config::default()
    });
    let (settings, scorer) = engine();
    let counts = std::cell::Cell::new((0u64, 0u64));
    let result = runner.run(&prop::collection::vec(record(), 1..10), |records| {
        let mut p = Pipeline::new(settings.clone(), scorer.clone());
        for bytes in &records {
            match decode(bytes) {
                Ok(ev) => {
                    let (a, r) = counts.get();
                    counts.set((a + 1, r));
                    if let Err(rej) = p.apply(&ev) {
                        prop_assert!(
                            CODES.contains(&rej.reason.as_str()),
                            "apply rejected with {:?}",
                            rej.reason.as_str()
                        );
                    }
                }
                Err(rej) => {
                    let (a, r) = counts.get();
                    counts.set((a, r + 1));
                    let code = rej.reason.as_str();
                    prop_assert!(
                        CODES.contains(&code),
                        "reason {code:?} is not in the contract"
                    );
                    prop_assert!(!rej.detail.is_empty(), "reject {code} without a detail");
                }
            }
        }
        if let Some(end) = p.clock() {
            p.evaluate_all(end);
            let far: jiff::Timestamp = "9999-12-30T00:00:00Z".parse().expect("in range");
            p.evaluate_all(far);
        }
        for item in p.ranked() {
            serde_json::to_string(&item)
                .map_err(|e| TestCaseError::fail(format!("item does not serialize: {e}")))?;
        }
        Ok(())
    });
    let (accepted, rejected) = counts.get();
    eprintln!("fuzz_decode: {accepted} records decoded, {rejected} rejected");
    match result {
        Ok(()) => {}
        Err(proptest::test_runner::TestError::Fail(why, records)) => {
            let lines: Vec<String> = records
                .iter()
                .map(|r| String::from_utf8_lossy(r).into_owned())
                .collect();
            panic!(
                "decode/evaluate failed: {why}\nminimal records:\n{}",
                lines.join("\n")
            );
        }
        Err(e) => panic!("{e}"),
    }
    assert!(accepted > 0 && rejected > 0, "both paths must be exercised");
}
