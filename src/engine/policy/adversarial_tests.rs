//! Regression tests for the contact policy under adversarial input: shared and re-keyed numbers
//! on do-not-call, third parties while the debtor is reachable, "once per person" by number,
//! third-party and stale callbacks, unknown contact ids, out-of-order flags, non-zones,
//! far-future times and currency exponents. Each failed before its fix.

use jiff::tz::TimeZone;
use serde_json::json;

use super::*;
use crate::engine::domain::*;
use crate::engine::events::decode;
use crate::engine::features::{compute, Params};
use crate::engine::settings::Settings;
use crate::engine::testkit::{t, Story};

fn decide(story: &Story, now: &str) -> Decision {
    let settings = Settings::defaults();
    let acc = story.account();
    let tz = acc.profile.timezone().cloned().unwrap_or(TimeZone::UTC);
    let f = compute(&acc, t(now), &tz, &Params::of(&settings));
    super::decide(&Context {
        acc: &acc,
        f: &f,
        segment: Segment::WillingAble,
        settings: &settings,
        profile: &settings.profiles["strict"],
        now: t(now),
        holdout: false,
    })
}

fn overdue(contacts: serde_json::Value) -> Story {
    let mut s = Story::new("A-1");
    s.open_with("2026-01-01T00:00:00Z", "UTC", contacts)
        .statement("2026-02-01T00:00:00Z", "s1", 100_000, 10_000, "2026-02-15");
    s
}

fn dialled(d: &Decision) -> Option<&str> {
    d.action
        .as_ref()
        .filter(|p| matches!(p.channel, Channel::Call | Channel::Sms))
        .and_then(|p| p.contact_id.as_deref())
}

#[test]
fn do_not_call_follows_the_number_across_listings_roles_and_re_keying() {
    // The spouse shares the debtor's number; do-not-call is set on the debtor's listing.
    let mut s = overdue(json!([
        {"contact_id": "c1", "role": "debtor", "phone": "+15551230001"},
        {"contact_id": "c2", "role": "spouse", "phone": "+15551230001", "consent_to_contact": true},
        {"contact_id": "c3", "role": "debtor", "phone": "+15551230001"}
    ]));
    s.ev(
        "2026-02-20T00:00:00Z",
        "flag_set",
        json!({"flag": "do_not_call", "contact_id": "c1"}),
    );
    for day in 21..27 {
        s.call(&format!("2026-02-{day}T15:00:00Z"), "c1", "no_answer");
    }
    let d = decide(&s, "2026-03-20T15:00:00Z");
    assert_eq!(dialled(&d), None, "{d:#?}");
    // Re-keyed: the same number under a new id is still blocked.
    s.ev(
        "2026-03-01T00:00:00Z",
        "account_updated",
        json!({"contacts": [{"contact_id": "c9", "role": "debtor", "phone": "+15551230001"}]}),
    );
    let d = decide(&s, "2026-03-20T15:00:00Z");
    assert_eq!(dialled(&d), None, "{d:#?}");
}

#[test]
fn no_third_party_while_the_debtor_is_reachable_even_without_a_usable_number() {
    let mut s = overdue(json!([
        {"contact_id": "c1", "role": "debtor", "phone": "+15551230001"},
        {"contact_id": "c2", "role": "relative", "phone": "+15551230002", "consent_to_contact": true}
    ]));
    s.call("2026-03-10T15:00:00Z", "c1", "right_party").call(
        "2026-03-11T15:00:00Z",
        "c1",
        "invalid_number",
    );
    let d = decide(&s, "2026-03-12T15:00:00Z");
    assert_ne!(dialled(&d), Some("c2"), "{d:#?}");
}

#[test]
fn once_per_third_party_follows_the_number_through_re_keying() {
    let mut s = overdue(json!([
        {"contact_id": "c1", "role": "debtor", "phone": "+15551230001"},
        {"contact_id": "c2", "role": "relative", "phone": "+15551230002", "consent_to_contact": true}
    ]));
    for day in 16..21 {
        s.call(&format!("2026-02-{day}T15:00:00Z"), "c1", "no_answer");
    }
    s.call("2026-02-22T15:00:00Z", "c2", "no_answer").ev(
        "2026-02-23T00:00:00Z",
        "account_updated",
        json!({"contacts": [
            {"contact_id": "c1", "role": "debtor", "phone": "+15551230001"},
            {"contact_id": "c7", "role": "relative", "phone": "+15551230002", "consent_to_contact": true}
        ]}),
    );
    let d = decide(&s, "2026-03-20T15:00:00Z");
    assert_ne!(dialled(&d), Some("c7"), "{d:#?}");
}

#[test]
fn only_the_debtors_own_timely_callback_counts_and_it_expires() {
    let mut s = overdue(json!([
        {"contact_id": "c1", "role": "debtor", "phone": "+15551230001"},
        {"contact_id": "c2", "role": "relative", "phone": "+15551230002", "consent_to_contact": true}
    ]));
    s.ev(
        "2026-03-01T15:00:00Z",
        "contact_attempt",
        json!({"attempt_id": "x1", "channel": "call", "contact_id": "c2", "outcome": "third_party",
               "disposition": "callback_requested", "callback_at": "2026-03-02T15:00:00Z"}),
    );
    assert_eq!(s.account().callback_at, None, "a third party's request");
    s.ev(
        "2026-03-03T15:00:00Z",
        "contact_attempt",
        json!({"attempt_id": "x2", "channel": "call", "contact_id": "c1", "outcome": "right_party",
               "disposition": "callback_requested", "callback_at": "2026-03-03T14:00:00Z"}),
    );
    assert_eq!(s.account().callback_at, None, "not after the request");
    s.ev(
        "2026-03-04T15:00:00Z",
        "contact_attempt",
        json!({"attempt_id": "x3", "channel": "call", "contact_id": "c1", "outcome": "right_party",
               "disposition": "callback_requested", "callback_at": "2026-03-05T15:00:00Z"}),
    );
    assert_eq!(s.account().callback_at, Some(t("2026-03-05T15:00:00Z")));
    let d = decide(&s, "2026-03-05T16:00:00Z");
    assert!(codes(&d).contains(&"CALLBACK_DUE"), "{d:#?}");
    let d = decide(&s, "2026-03-13T16:00:00Z");
    assert!(!codes(&d).contains(&"CALLBACK_DUE"), "expired: {d:#?}");
}

fn codes(d: &Decision) -> Vec<&str> {
    d.reasons.iter().map(|r| r.code).collect()
}

#[test]
fn attempts_under_unknown_contact_ids_count_toward_the_caps() {
    let mut s = overdue(json!([{"contact_id": "c1", "role": "debtor", "phone": "+15551230001"}]));
    for day in 14..21 {
        s.call(&format!("2026-03-{day}T15:00:00Z"), "ghost", "no_answer");
    }
    let acc = s.account();
    assert_eq!(acc.unknown_contact_attempts, 7);
    let d = decide(&s, "2026-03-20T16:00:00Z");
    let nb = d.action.as_ref().map(|p| p.not_before);
    assert!(
        d.hold == Some(HoldReason::ContactCap) || nb >= Some(t("2026-03-21T15:00:00Z")),
        "an 8th call in 7 days: {d:#?}"
    );
}

#[test]
fn a_flag_cleared_older_than_its_set_does_not_undo_it() {
    let mut s = overdue(json!([{"contact_id": "c1", "role": "debtor", "phone": "+15551230001"}]));
    s.flag("2026-03-10T00:00:00Z", "dispute")
        .clear("2026-03-05T00:00:00Z", "dispute");
    assert!(s.account().has(Flag::Dispute));
    let d = decide(&s, "2026-03-20T15:00:00Z");
    assert_eq!(d.hold, Some(HoldReason::Dispute));
}

fn opened(tz: &str) -> Vec<u8> {
    format!(
        r#"{{"event_id":"e1","type":"account_opened","account_id":"A-1","occurred_at":"2026-01-01T00:00:00Z","timezone":"{tz}","currency":"USD","product":"card","contacts":[]}}"#
    )
    .into_bytes()
}

#[test]
fn non_zones_are_refused_and_real_zones_accepted() {
    for bad in [
        "Factory",
        "localtime",
        "Etc/Unknown",
        "posixrules",
        "Mars/Base",
    ] {
        let r = decode(&opened(bad)).unwrap_err();
        assert_eq!(r.reason, RejectReason::InvalidField, "{bad}");
    }
    for good in [
        "UTC",
        "Pacific/Honolulu",
        "Pacific/Kiritimati",
        "Asia/Shanghai",
    ] {
        assert!(decode(&opened(good)).is_ok(), "{good}");
    }
}

#[test]
fn far_future_times_and_dates_are_refused_not_panicked_on() {
    let attempt = br#"{"event_id":"e2","type":"contact_attempt","account_id":"A-1","occurred_at":"9999-12-30T16:00:00Z","attempt_id":"a1","channel":"call","contact_id":"c1","outcome":"no_answer"}"#;
    assert_eq!(
        decode(attempt).unwrap_err().reason,
        RejectReason::InvalidField
    );
    let promise = br#"{"event_id":"e3","type":"promise_made","account_id":"A-1","occurred_at":"2026-03-01T00:00:00Z","promise_id":"p1","amount":100,"due_date":"9999-12-31","confirmed_in_writing":false}"#;
    assert_eq!(
        decode(promise).unwrap_err().reason,
        RejectReason::InvalidField
    );
    // The last instants of the range still evaluate.
    let mut s = overdue(json!([{"contact_id": "c1", "role": "debtor", "phone": "+15551230001"}]));
    s.call("2199-12-31T23:00:00Z", "c1", "no_answer");
    let _ = decide(&s, "2199-12-31T23:59:59Z");
}

#[test]
fn currencies_weigh_through_their_minor_unit_exponent() {
    let s = Settings::defaults();
    // 150,000 JPY (no minor unit) at 0.0067 USD is 1,005.00 USD = 100,500 cents.
    assert!((150_000.0 * s.fx("JPY") - 100_500.0).abs() < 1e-6);
    assert!((100_000.0 * s.fx("USD") - 100_000.0).abs() < 1e-9);
    // KWD has three decimals: 1,000 fils are 1 KWD, at the default weight of 1.0 → 100 cents.
    assert!((1_000.0 * s.fx("KWD") - 100.0).abs() < 1e-9);
}

#[test]
fn a_call_under_an_unlisted_id_uses_up_the_callback() {
    // Found by the backtest's own audit: the callback call was reported under an id nobody
    // listed, the engine kept the callback and exempted a later call from the cool-down.
    let mut s = overdue(json!([{"contact_id": "c1", "role": "debtor", "phone": "+15551230001"}]));
    s.ev(
        "2026-03-02T15:00:00Z",
        "contact_attempt",
        json!({"attempt_id": "x1", "channel": "call", "contact_id": "c1", "outcome": "right_party",
               "disposition": "callback_requested", "callback_at": "2026-03-03T15:00:00Z"}),
    )
    .call("2026-03-03T16:00:00Z", "ghost", "third_party");
    assert_eq!(s.account().callback_at, None);
    let d = decide(&s, "2026-03-04T15:00:00Z");
    assert!(!codes(&d).contains(&"CALLBACK_DUE"), "{d:#?}");
    assert_ne!(dialled(&d), Some("c1"), "inside the cool-down: {d:#?}");
}

#[test]
fn an_attempt_under_an_unlisted_id_counts_for_every_third_party() {
    // It may have reached the relative: "once per person" fails closed.
    let mut s = overdue(json!([
        {"contact_id": "c1", "role": "debtor", "phone": "+15551230001"},
        {"contact_id": "c2", "role": "relative", "phone": "+15551230002", "consent_to_contact": true}
    ]));
    for day in 16..21 {
        s.call(&format!("2026-02-{day}T15:00:00Z"), "c1", "no_answer");
    }
    let d = decide(&s, "2026-03-20T15:00:00Z");
    assert_eq!(dialled(&d), Some("c2"), "unreachable: locate ({d:#?})");
    s.call("2026-03-20T16:00:00Z", "ghost", "voicemail");
    let d = decide(&s, "2026-03-21T15:00:00Z");
    assert_ne!(dialled(&d), Some("c2"), "{d:#?}");
}

#[test]
fn do_not_call_on_an_id_re_keyed_away_still_blocks_its_number() {
    let mut s = overdue(json!([{"contact_id": "c1", "role": "debtor", "phone": "+15551230001"}]));
    s.ev(
        "2026-03-01T00:00:00Z",
        "account_updated",
        json!({"contacts": [{"contact_id": "c9", "role": "debtor", "phone": "+15551230001"}]}),
    )
    .ev(
        "2026-03-02T00:00:00Z",
        "flag_set",
        json!({"flag": "do_not_call", "contact_id": "c1"}),
    );
    let d = decide(&s, "2026-03-20T15:00:00Z");
    assert_eq!(dialled(&d), None, "{d:#?}");
}

#[test]
fn a_clear_older_than_a_dispute_disposition_does_not_undo_it() {
    let mut s = overdue(json!([{"contact_id": "c1", "role": "debtor", "phone": "+15551230001"}]));
    s.ev(
        "2026-03-10T15:00:00Z",
        "contact_attempt",
        json!({"attempt_id": "d1", "channel": "call", "contact_id": "c1",
               "outcome": "right_party", "disposition": "dispute"}),
    )
    .clear("2026-03-05T00:00:00Z", "dispute");
    assert!(s.account().has(Flag::Dispute));
    let d = decide(&s, "2026-03-20T15:00:00Z");
    assert_eq!(d.hold, Some(HoldReason::Dispute));
}

#[test]
fn a_wrong_number_re_listed_under_a_new_id_stays_unused() {
    let mut s = overdue(json!([{"contact_id": "c1", "role": "debtor", "phone": "+15551230001"}]));
    s.call("2026-03-01T15:00:00Z", "c1", "wrong_number").ev(
        "2026-03-02T00:00:00Z",
        "account_updated",
        json!({"contacts": [{"contact_id": "c7", "role": "debtor", "phone": "+15551230001"}]}),
    );
    assert!(!s.account().number_usable("c7"));
    let d = decide(&s, "2026-03-20T15:00:00Z");
    assert_eq!(dialled(&d), None, "{d:#?}");
    // A genuinely new number is usable again.
    s.ev(
        "2026-03-21T00:00:00Z",
        "account_updated",
        json!({"contacts": [{"contact_id": "c7", "role": "debtor", "phone": "+15559870002"}]}),
    );
    assert!(s.account().number_usable("c7"));
}
