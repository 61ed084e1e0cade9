//! Unit tests of event decoding: every event type, every reject reason the decoder owns.

use super::*;
use crate::engine::domain::*;

fn ok(line: &str) -> Event {
    decode(line.as_bytes()).unwrap_or_else(|e| panic!("{line} rejected: {e}"))
}

fn rej(line: &str) -> Reject {
    match decode(line.as_bytes()) {
        Ok(e) => panic!("{line} accepted as {e:?}"),
        Err(r) => r,
    }
}

const HEAD: &str = r#""event_id":"e1","account_id":"A-1","occurred_at":"2026-03-01T10:00:00Z""#;

fn ev(body: &str) -> String {
    format!("{{{HEAD},{body}}}")
}

#[test]
fn decodes_every_event_type() {
    let opened = ok(&ev(
        r#""type":"account_opened","timezone":"Asia/Shanghai","currency":"CNY","product":"loan","payday_day_of_month":10,"credit_limit":500000,"contacts":[{"contact_id":"c1","role":"debtor","phone":"+8613900000001","consent_to_contact":true}]"#,
    ));
    match &opened.body {
        EventBody::AccountOpened(p) => {
            assert_eq!(p.timezone.as_ref().unwrap().0, "Asia/Shanghai");
            assert_eq!(p.payday_day_of_month, Some(10));
            let c = &p.contacts.as_ref().unwrap()[0];
            assert!(c.consent_to_contact);
            assert!(!c.informed, "informed defaults to false");
        }
        other => panic!("{other:?}"),
    }
    let cases = [
        (
            r#""type":"account_updated","product":"card""#,
            EventType::AccountUpdated,
        ),
        (
            r#""type":"statement_issued","statement_id":"s1","amount_due":1000,"minimum_due":100,"due_date":"2026-03-15""#,
            EventType::StatementIssued,
        ),
        (
            r#""type":"payment_received","payment_id":"p1","amount":100"#,
            EventType::PaymentReceived,
        ),
        (
            r#""type":"payment_reversed","payment_id":"p1","amount":100,"reason":"insufficient_funds""#,
            EventType::PaymentReversed,
        ),
        (
            r#""type":"fee_charged","fee_id":"f1","amount":25,"kind":"late_fee""#,
            EventType::FeeCharged,
        ),
        (
            r#""type":"promise_made","promise_id":"pr1","amount":500,"due_date":"2026-03-05","confirmed_in_writing":false"#,
            EventType::PromiseMade,
        ),
        (r#""type":"flag_set","flag":"dispute""#, EventType::FlagSet),
        (
            r#""type":"flag_cleared","flag":"do_not_call","contact_id":"c1""#,
            EventType::FlagCleared,
        ),
        (
            r#""type":"account_closed","reason":"paid_off""#,
            EventType::AccountClosed,
        ),
        (
            r#""type":"contact_attempt","attempt_id":"a1","channel":"call","contact_id":"c1","outcome":"right_party","disposition":"callback_requested","callback_at":"2026-03-02T09:00:00+08:00","duration_s":42"#,
            EventType::ContactAttempt,
        ),
        (
            r#""type":"contact_attempt","attempt_id":"a2","channel":"letter","outcome":"delivered""#,
            EventType::ContactAttempt,
        ),
    ];
    for (body, t) in cases {
        assert_eq!(ok(&ev(body)).event_type(), t, "{body}");
    }
}

#[test]
fn unknown_extra_fields_are_ignored_even_with_odd_types() {
    let e = ok(&ev(
        r#""type":"payment_received","payment_id":"p1","amount":100,"extra":{"x":1},"statement_id":7"#,
    ));
    assert_eq!(e.event_type(), EventType::PaymentReceived);
}

#[test]
fn malformed_and_too_large() {
    assert_eq!(rej("{not json").reason, RejectReason::MalformedJson);
    assert_eq!(rej("[1,2]").reason, RejectReason::MalformedJson);
    assert_eq!(rej("").reason, RejectReason::MalformedJson);
    let big = ev(&format!(
        r#""type":"fee_charged","fee_id":"f","amount":1,"kind":"other","pad":"{}""#,
        "x".repeat(70_000)
    ));
    assert_eq!(rej(&big).reason, RejectReason::TooLarge);
}

#[test]
fn unknown_type_and_missing_type() {
    assert_eq!(
        rej(&ev(r#""type":"refund_issued""#)).reason,
        RejectReason::UnknownType
    );
    assert_eq!(
        rej(&format!("{{{HEAD}}}")).reason,
        RejectReason::MissingField
    );
}

#[test]
fn missing_fields_are_named() {
    let r = rej(&ev(r#""type":"payment_received","payment_id":"p1""#));
    assert_eq!(r.reason, RejectReason::MissingField);
    assert!(r.detail.contains("amount"), "{}", r.detail);
    let r = rej(
        r#"{"type":"flag_set","flag":"dispute","account_id":"A","occurred_at":"2026-03-01T10:00:00Z"}"#,
    );
    assert!(r.detail.contains("event_id"));
    let r = rej(&ev(r#""type":"flag_set","flag":"do_not_call""#));
    assert_eq!(r.reason, RejectReason::MissingField);
    assert!(r.detail.contains("contact_id"));
    let r = rej(&ev(
        r#""type":"contact_attempt","attempt_id":"a","channel":"call","outcome":"no_answer""#,
    ));
    assert!(r.detail.contains("contact_id"));
    let r = rej(&ev(
        r#""type":"contact_attempt","attempt_id":"a","channel":"call","contact_id":"c1","outcome":"right_party","disposition":"callback_requested""#,
    ));
    assert!(r.detail.contains("callback_at"));
    let r = rej(&ev(
        r#""type":"account_opened","currency":"USD","product":"x","contacts":[]"#,
    ));
    assert!(r.detail.contains("timezone"));
}

#[test]
fn invalid_fields_are_named() {
    let bad = [
        (
            r#""type":"payment_received","payment_id":"p1","amount":-5"#,
            "amount",
        ),
        (
            r#""type":"payment_received","payment_id":"p1","amount":1.5"#,
            "amount",
        ),
        (
            r#""type":"payment_received","payment_id":"p1","amount":"100""#,
            "amount",
        ),
        (
            r#""type":"payment_received","payment_id":"","amount":1"#,
            "payment_id",
        ),
        (
            r#""type":"statement_issued","statement_id":"s","amount_due":100,"minimum_due":200,"due_date":"2026-03-01""#,
            "minimum_due",
        ),
        (
            r#""type":"statement_issued","statement_id":"s","amount_due":100,"minimum_due":20,"due_date":"2026-02-30""#,
            "due_date",
        ),
        (
            r#""type":"fee_charged","fee_id":"f","amount":1,"kind":"penalty""#,
            "kind",
        ),
        (r#""type":"flag_set","flag":"vip""#, "flag"),
        (r#""type":"account_closed","reason":"bored""#, "reason"),
        (
            r#""type":"promise_made","promise_id":"p","amount":5,"due_date":"2026-03-05","confirmed_in_writing":"yes""#,
            "confirmed_in_writing",
        ),
        (
            r#""type":"contact_attempt","attempt_id":"a","channel":"pigeon","outcome":"delivered""#,
            "channel",
        ),
        (
            r#""type":"contact_attempt","attempt_id":"a","channel":"call","contact_id":"c","outcome":"meh""#,
            "outcome",
        ),
        (
            r#""type":"account_opened","timezone":"Mars/Olympus","currency":"USD","product":"x","contacts":[]"#,
            "timezone",
        ),
        (
            r#""type":"account_opened","timezone":"UTC","currency":"usd","product":"x","contacts":[]"#,
            "currency",
        ),
        (
            r#""type":"account_opened","timezone":"UTC","currency":"USD","product":"x","payday_day_of_month":32,"contacts":[]"#,
            "payday_day_of_month",
        ),
        (
            r#""type":"account_opened","timezone":"UTC","currency":"USD","product":"x","contacts":[{"contact_id":"c1","role":"debtor","phone":"5551234"}]"#,
            "phone",
        ),
        (
            r#""type":"account_opened","timezone":"UTC","currency":"USD","product":"x","contacts":[{"contact_id":"c1","role":"cousin","phone":"+15551230001"}]"#,
            "role",
        ),
        (
            r#""type":"account_opened","timezone":"UTC","currency":"USD","product":"x","contacts":[{"contact_id":"c1","role":"debtor","phone":"+15551230001","informed":1}]"#,
            "informed",
        ),
    ];
    for (body, field) in bad {
        let r = rej(&ev(body));
        assert_eq!(r.reason, RejectReason::InvalidField, "{body}: {r}");
        assert!(r.detail.contains(field), "{body}: {}", r.detail);
    }
    let r = rej(
        r#"{"event_id":"e","type":"flag_set","flag":"dispute","account_id":"A 1","occurred_at":"2026-03-01T10:00:00Z"}"#,
    );
    assert!(r.detail.contains("account_id"));
    let r = rej(
        r#"{"event_id":"e","type":"flag_set","flag":"dispute","account_id":"A","occurred_at":"2026-03-01 10:00"}"#,
    );
    assert!(r.detail.contains("occurred_at"));
    let r = rej(
        r#"{"event_id":"e","type":"flag_set","flag":"dispute","account_id":"A","occurred_at":"2026-03-01T10:00:00"}"#,
    );
    assert!(r.detail.contains("occurred_at"), "an offset is required");
}

#[test]
fn phone_numbers_never_appear_in_reject_details() {
    let r = rej(&ev(
        r#""type":"account_opened","timezone":"UTC","currency":"USD","product":"x","contacts":[{"contact_id":"c1","role":"debtor","phone":"15551230001"}]"#,
    ));
    assert!(!r.detail.contains("15551230001"));
}

#[test]
fn timestamps_need_rfc3339_with_offset() {
    assert!(parse_timestamp("2026-03-01T10:00:00Z").is_some());
    assert!(parse_timestamp("2026-03-01T10:00:00.123+08:00").is_some());
    assert!(parse_timestamp("2026-03-01T10:00:00").is_none());
    assert!(parse_timestamp("2026-03-01").is_none());
    assert!(parse_timestamp("2026-03-01T10:00:00+08:00[Asia/Shanghai]").is_none());
    for bad in [
        "2026-03-01T10:00:00,5Z",
        "2026-03-01T10:00:00+0800",
        "2026-03-01T10:00:00+08",
        "2026-01-02T00:00+08:00:00",
        "2026-03-01T10:00:00+24:00",
        "2026-03-01T10:00:00.Z",
    ] {
        assert!(parse_timestamp(bad).is_none(), "{bad}");
    }
}

#[test]
fn amounts_above_the_limit_are_invalid_not_overflows() {
    let r = rej(&ev(
        r#""type":"payment_received","payment_id":"p1","amount":9223372036854775807"#,
    ));
    assert_eq!(r.reason, RejectReason::InvalidField);
    assert!(r.detail.contains("amount"));
    ok(&ev(
        r#""type":"payment_received","payment_id":"p1","amount":1000000000000000"#,
    ));
}

#[test]
fn peek_reads_account_id_of_bad_records() {
    assert_eq!(
        peek_account_id(br#"{"account_id":"A-9","type":"x"}"#).as_deref(),
        Some("A-9")
    );
    assert_eq!(peek_account_id(b"garbage"), None);
}

#[test]
fn a_key_named_twice_at_any_depth_is_malformed() {
    // The account id twice: one parser reads A-2, another A-3.
    let r = rej(
        r#"{"event_id":"e1","type":"payment_received","account_id":"A-2","occurred_at":"2026-03-01T10:00:00Z","payment_id":"p1","amount":5,"account_id":"A-3"}"#,
    );
    assert_eq!(r.reason, RejectReason::MalformedJson);
    assert!(
        r.detail.contains("duplicate key `account_id`"),
        "{}",
        r.detail
    );
    // Inside a contact, and inside a field arrears ignores.
    let r = rej(&ev(
        r#""type":"account_updated","contacts":[{"contact_id":"c1","role":"debtor","phone":"+8613900000001","phone":"+8613900000002"}]"#,
    ));
    assert_eq!(r.reason, RejectReason::MalformedJson);
    let r = rej(&ev(
        r#""type":"payment_received","payment_id":"p1","amount":5,"extra":{"a":1,"a":2}"#,
    ));
    assert_eq!(r.reason, RejectReason::MalformedJson);
    // The same key in two different objects is fine.
    ok(&ev(
        r#""type":"payment_received","payment_id":"p1","amount":5,"extra":{"amount":1}"#,
    ));
}

#[test]
fn deep_nesting_is_malformed_wherever_it_appears() {
    let deep = format!("{}1{}", "[".repeat(300), "]".repeat(300));
    let r = rej(&ev(&format!(
        r#""type":"payment_received","payment_id":"p1","amount":5,"extra":{deep}"#
    )));
    assert_eq!(r.reason, RejectReason::MalformedJson, "{}", r.detail);
    let r = rej(&deep);
    assert_eq!(r.reason, RejectReason::MalformedJson);
}
