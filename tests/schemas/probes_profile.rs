//! Probes of account profiles: account_opened and account_updated, contacts included.

use serde_json::{json, Value};

use crate::probe_kit::*;

/// Probes of `account_opened` and `account_updated`.
pub fn account_profile(add: &mut dyn FnMut(&str, Verdict, Value)) {
    let inv = Rejected("invalid_field");
    let miss = Rejected("missing_field");

    let ao = opened_q;
    add("a valid account_opened", Accepted, ao());
    for f in ["timezone", "currency", "product", "contacts"] {
        add(
            &format!("account_opened without {f}"),
            miss,
            with(ao(), f, None),
        );
    }
    for tz in [
        "Asia/Shanghai",
        "UTC",
        "America/Argentina/Buenos_Aires",
        "EST5EDT",
    ] {
        add(
            &format!("timezone {tz}"),
            Accepted,
            with(ao(), "timezone", Some(json!(tz))),
        );
    }
    for tz in ["", "+08:00"] {
        add(
            &format!("timezone {tz:?}"),
            inv,
            with(ao(), "timezone", Some(json!(tz))),
        );
    }
    add(
        "timezone Mars/Base (not in the database)",
        StateOrCrossField("invalid_field"),
        with(ao(), "timezone", Some(json!("Mars/Base"))),
    );
    add(
        "currency XXX",
        Accepted,
        with(ao(), "currency", Some(json!("XXX"))),
    );
    for c in ["cny", "CN", "CNYY", "C1Y"] {
        add(
            &format!("currency {c}"),
            inv,
            with(ao(), "currency", Some(json!(c))),
        );
    }
    for v in [json!("consumer"), json!("commercial"), Value::Null] {
        add(
            &format!("portfolio {v}"),
            Accepted,
            with(ao(), "portfolio", Some(v)),
        );
    }
    add(
        "portfolio retail",
        inv,
        with(ao(), "portfolio", Some(json!("retail"))),
    );
    for v in [json!(0), json!(100), Value::Null] {
        add(
            &format!("credit_limit {v}"),
            Accepted,
            with(ao(), "credit_limit", Some(v)),
        );
    }
    for v in [json!(-1), json!(1.5)] {
        add(
            &format!("credit_limit {v}"),
            inv,
            with(ao(), "credit_limit", Some(v)),
        );
    }
    for v in [json!(1), json!(31), Value::Null] {
        add(
            &format!("payday_day_of_month {v}"),
            Accepted,
            with(ao(), "payday_day_of_month", Some(v)),
        );
    }
    for v in [json!(0), json!(32)] {
        add(
            &format!("payday_day_of_month {v}"),
            inv,
            with(ao(), "payday_day_of_month", Some(v)),
        );
    }
    add(
        "product of 128 characters",
        Accepted,
        with(ao(), "product", Some(json!("p".repeat(128)))),
    );
    for v in [json!("p".repeat(129)), json!("")] {
        add(
            "product of a bad length",
            inv,
            with(ao(), "product", Some(v)),
        );
    }
    add(
        "contacts empty",
        Accepted,
        with(ao(), "contacts", Some(json!([]))),
    );
    add(
        "contacts an object",
        inv,
        with(ao(), "contacts", Some(json!({}))),
    );
    add(
        "contacts of strings",
        inv,
        with(ao(), "contacts", Some(json!(["c1"]))),
    );
    for ph in ["+12345678", "+123456789012345"] {
        add(
            &format!("phone {ph}"),
            Accepted,
            with_contact("phone", Some(json!(ph))),
        );
    }
    for ph in [
        "+1234567",
        "+1234567890123456",
        "8613800000000",
        "+86 1380000000",
        "+１２３４５６７８",
    ] {
        add(
            &format!("phone {ph}"),
            inv,
            with_contact("phone", Some(json!(ph))),
        );
    }
    for r in [
        "debtor",
        "spouse",
        "relative",
        "employer",
        "guarantor",
        "colleague",
        "other",
    ] {
        add(
            &format!("role {r}"),
            Accepted,
            with_contact("role", Some(json!(r))),
        );
    }
    add(
        "role friend",
        inv,
        with_contact("role", Some(json!("friend"))),
    );
    for f in ["contact_id", "role", "phone"] {
        add(&format!("contact without {f}"), miss, with_contact(f, None));
    }
    for f in ["consent_to_contact", "informed"] {
        add(
            &format!("contact without {f}"),
            Accepted,
            with_contact(f, None),
        );
        add(
            &format!("contact {f} null"),
            Accepted,
            with_contact(f, Some(Value::Null)),
        );
        add(
            &format!("contact {f} a string"),
            inv,
            with_contact(f, Some(json!("yes"))),
        );
    }
    add(
        "contact_id of 64 characters",
        Accepted,
        with_contact("contact_id", Some(json!("c".repeat(64)))),
    );
    for id in [json!("c".repeat(65)), json!("")] {
        add(
            "contact_id of a bad length",
            inv,
            with_contact("contact_id", Some(id)),
        );
    }
    add(
        "contacts with an extra field",
        Accepted,
        with_contact("nickname", Some(json!("x"))),
    );
    add(
        "two contacts with one contact_id",
        StateOrCrossField("invalid_field"),
        with(
            ao(),
            "contacts",
            Some(json!([
                contact(),
                with(contact(), "phone", Some(json!("+8613800000001")))
            ])),
        ),
    );
    let upd = || {
        json!({"event_id": "auto", "type": "account_updated", "account_id": "Q",
                        "occurred_at": "2026-01-03T00:00:00Z"})
    };
    add("account_updated with no field", Accepted, upd());
    add(
        "account_updated timezone",
        Accepted,
        with(upd(), "timezone", Some(json!("Europe/London"))),
    );
    add(
        "account_updated currency cny",
        inv,
        with(upd(), "currency", Some(json!("cny"))),
    );
    add(
        "account_updated bad phone",
        inv,
        with(
            upd(),
            "contacts",
            Some(json!([with(contact(), "phone", Some(json!("1")))])),
        ),
    );
}
