//! Probes of contact attempts: channels, outcomes, dispositions and callbacks.

use serde_json::{json, Value};

use crate::probe_kit::*;

/// Probes of `contact_attempt`.
pub fn contact_attempt(add: &mut dyn FnMut(&str, Verdict, Value)) {
    let inv = Rejected("invalid_field");
    let miss = Rejected("missing_field");

    let ca = || base("contact_attempt");
    for ch in ["call", "sms", "email", "letter", "visit"] {
        add(
            &format!("{ch} to c1"),
            Accepted,
            with(ca(), "channel", Some(json!(ch))),
        );
    }
    for ch in ["email", "letter", "visit"] {
        add(
            &format!("{ch} without contact_id"),
            Accepted,
            with(with(ca(), "channel", Some(json!(ch))), "contact_id", None),
        );
    }
    for ch in ["call", "sms"] {
        add(
            &format!("{ch} without contact_id"),
            miss,
            with(with(ca(), "channel", Some(json!(ch))), "contact_id", None),
        );
    }
    // The call happened: applied to the caps and counted, never rejected (contract).
    add(
        "call to an unknown contact",
        Accepted,
        with(ca(), "contact_id", Some(json!("c9"))),
    );
    add(
        "attempt in year 9999 (outside the engine's time range)",
        StateOrCrossField("invalid_field"),
        with(ca(), "occurred_at", Some(json!("9999-12-30T16:00:00Z"))),
    );
    add(
        "channel fax",
        inv,
        with(ca(), "channel", Some(json!("fax"))),
    );
    for o in [
        "right_party",
        "third_party",
        "no_answer",
        "busy",
        "voicemail",
        "wrong_number",
        "invalid_number",
        "refused",
        "delivered",
        "failed",
    ] {
        add(
            &format!("outcome {o}"),
            Accepted,
            with(ca(), "outcome", Some(json!(o))),
        );
    }
    add("outcome x", inv, with(ca(), "outcome", Some(json!("x"))));
    add("outcome missing", miss, with(ca(), "outcome", None));
    add("attempt_id missing", miss, with(ca(), "attempt_id", None));
    let talk = || with(ca(), "outcome", Some(json!("right_party")));
    for d in [
        json!("promise_to_pay"),
        json!("refused_to_pay"),
        json!("dispute"),
        json!("complaint"),
        json!("hardship"),
        json!("deceased_reported"),
        json!("claims_paid"),
        json!("abusive"),
        json!("none"),
        Value::Null,
    ] {
        add(
            &format!("disposition {d}"),
            Accepted,
            with(talk(), "disposition", Some(d)),
        );
    }
    add(
        "disposition x",
        inv,
        with(talk(), "disposition", Some(json!("x"))),
    );
    let cb = || with(talk(), "disposition", Some(json!("callback_requested")));
    add(
        "callback_requested with callback_at",
        Accepted,
        with(cb(), "callback_at", Some(json!("2026-01-04T01:00:00Z"))),
    );
    add("callback_requested without callback_at", miss, cb());
    add(
        "callback_requested with callback_at null",
        miss,
        with(cb(), "callback_at", Some(Value::Null)),
    );
    add(
        "callback_at not a timestamp",
        inv,
        with(cb(), "callback_at", Some(json!("tomorrow"))),
    );
    add(
        "callback_at not a timestamp, no callback requested",
        inv,
        with(ca(), "callback_at", Some(json!("tomorrow"))),
    );
    for d in [json!(0), json!(12.5), Value::Null] {
        add(
            &format!("duration_s {d}"),
            Accepted,
            with(ca(), "duration_s", Some(d)),
        );
    }
    for d in [json!(-1), json!("5")] {
        add(
            &format!("duration_s {d}"),
            inv,
            with(ca(), "duration_s", Some(d)),
        );
    }
}
