//! Probes of the fields every event has (ids, type, time), of money, and of lines that are not objects.

use serde_json::{json, Value};

use crate::probe_kit::*;

/// Probes of the fields every event has: `occurred_at`, `account_id`, `event_id`, `type`.
pub fn common_fields(add: &mut dyn FnMut(&str, Verdict, Value)) {
    let pay = || base("payment_received");
    let inv = Rejected("invalid_field");
    let miss = Rejected("missing_field");

    add("a valid payment", Accepted, pay());
    for t in [
        "2026-01-03T00:00:00+08:00",
        "2026-01-03t00:00:00z",
        "2026-01-03 00:00:00Z",
        "2026-01-03T00:00:00.123456789Z",
        "2026-01-03T00:00:00-00:00",
        "2026-01-03T23:59:60Z",
    ] {
        add(
            &format!("occurred_at {t}"),
            Accepted,
            with(pay(), "occurred_at", Some(json!(t))),
        );
    }
    for t in [
        "2026-01-03T00:00:00",
        "2026-01-03T00:00:00.1234567891Z",
        "2026-01-03T24:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-01-03T00:00:00Z[UTC]",
        "2026-1-3T00:00:00Z",
        "2026-01-03",
        "yesterday",
    ] {
        add(
            &format!("occurred_at {t}"),
            inv,
            with(pay(), "occurred_at", Some(json!(t))),
        );
    }
    add(
        "occurred_at a number",
        inv,
        with(pay(), "occurred_at", Some(json!(1767398400))),
    );
    add(
        "occurred_at missing",
        miss,
        with(pay(), "occurred_at", None),
    );
    for a in ["A", "x:y.z_-1", &"a".repeat(64)] {
        add(
            &format!("account_id {a}"),
            Accepted,
            with(pay(), "account_id", Some(json!(a))),
        );
    }
    for a in [
        json!(""),
        json!("A B"),
        json!("A/B"),
        json!("Ä"),
        json!("a".repeat(65)),
        json!(5),
    ] {
        add(
            &format!("account_id {a}"),
            inv,
            with(pay(), "account_id", Some(a)),
        );
    }
    add("account_id missing", miss, with(pay(), "account_id", None));
    add(
        "event_id of 128 characters",
        Accepted,
        with(pay(), "event_id", Some(json!("é".repeat(128)))),
    );
    add(
        "event_id of 129 characters",
        inv,
        with(pay(), "event_id", Some(json!("x".repeat(129)))),
    );
    add(
        "event_id empty",
        inv,
        with(pay(), "event_id", Some(json!(""))),
    );
    add(
        "event_id a number",
        inv,
        with(pay(), "event_id", Some(json!(5))),
    );
    add(
        "event_id null",
        miss,
        with(pay(), "event_id", Some(Value::Null)),
    );
    add("event_id missing", miss, with(pay(), "event_id", None));
    add("type missing", miss, with(pay(), "type", None));
    add("type null", miss, with(pay(), "type", Some(Value::Null)));
    add("type a number", inv, with(pay(), "type", Some(json!(5))));
    for t in ["payment_promised", "PAYMENT_RECEIVED", ""] {
        add(
            &format!("type {t:?}"),
            Rejected("unknown_type"),
            with(pay(), "type", Some(json!(t))),
        );
    }
    add(
        "unknown extra fields are ignored",
        Accepted,
        with(pay(), "crm_segment", Some(json!({"tier": "gold"}))),
    );
    add(
        "known fields of other types are not read",
        Accepted,
        with(
            with(pay(), "flag", Some(json!(5))),
            "contacts",
            Some(json!("x")),
        ),
    );
}

/// Probes of amounts and payment ids.
pub fn money(add: &mut dyn FnMut(&str, Verdict, Value)) {
    let pay = || base("payment_received");
    let inv = Rejected("invalid_field");
    let miss = Rejected("missing_field");

    add("amount 1", Accepted, with(pay(), "amount", Some(json!(1))));
    add(
        "amount 10^15, the largest accepted",
        Accepted,
        with(pay(), "amount", Some(json!(1_000_000_000_000_000i64))),
    );
    for a in [
        json!(0),
        json!(-1),
        json!(1.5),
        json!("5"),
        json!(true),
        json!(1_000_000_000_000_001i64),
        json!(i64::MAX),
        json!(9223372036854775808u64),
    ] {
        add(&format!("amount {a}"), inv, with(pay(), "amount", Some(a)));
    }
    add(
        "amount null",
        miss,
        with(pay(), "amount", Some(Value::Null)),
    );
    add("amount missing", miss, with(pay(), "amount", None));
    add(
        "amount 1.0 (an integer to JSON Schema)",
        StateOrCrossField("invalid_field"),
        with(pay(), "amount", Some(json!(1.0))),
    );
    add("payment_id missing", miss, with(pay(), "payment_id", None));
    add(
        "payment_id reused on the account",
        StateOrCrossField("invalid_field"),
        with(pay(), "payment_id", Some(json!("PAY-1"))),
    );
}

/// Probes of lines that are JSON but not an object at all.
pub fn not_objects(add: &mut dyn FnMut(&str, Verdict, Value)) {
    for v in [json!([1, 2]), Value::Null, json!("x"), json!(5)] {
        add(&format!("a JSON {v}"), Rejected("malformed_json"), v);
    }
}
