//! Unit tests of the pipeline: snapshot and restore continue an account exactly.

use super::*;
use crate::engine::testkit::Story;

fn pipeline() -> Pipeline {
    Pipeline::new(
        Arc::new(Settings::defaults()),
        Arc::new(Scorer::shipped().unwrap()),
    )
}

#[test]
fn a_restored_account_continues_exactly_like_the_original() {
    let mut s = Story::new("A-1");
    s.open("2026-01-01T00:00:00Z", "America/New_York")
        .statement("2026-03-01T00:00:00Z", "s1", 100_000, 10_000, "2026-03-15")
        .call("2026-03-20T14:00:00Z", "c1", "right_party")
        .promise("2026-03-20T14:01:00Z", "p1", 5_000, "2026-03-25");
    let (before, after) = s.events.split_at(3);
    let mut original = pipeline();
    for e in before {
        original.apply(e).unwrap();
    }
    let bytes = original.snapshot("A-1").unwrap();
    let mut restored = pipeline();
    assert_eq!(restored.restore(&bytes).unwrap(), "A-1");
    assert_eq!(restored.item("A-1"), original.item("A-1"));
    // A replayed event at or below the restored position is a duplicate, not applied twice.
    assert_eq!(restored.apply(&before[2]).unwrap(), Applied::Duplicate);
    for e in after {
        assert_eq!(original.apply(e).unwrap(), restored.apply(e).unwrap());
    }
    let end = "2026-04-01T00:00:00Z".parse().unwrap();
    assert_eq!(
        original.evaluate_all_items(end).0,
        restored.evaluate_all_items(end).0
    );
    assert!(restored.drop_account("A-1"));
    assert!(restored.item("A-1").is_none());
}

#[test]
fn binary_and_json_snapshots_restore_the_same_state() {
    let mut s = Story::new("A-1");
    s.open("2026-01-01T00:00:00Z", "Europe/London")
        .statement("2026-03-01T00:00:00Z", "s1", 100_000, 10_000, "2026-03-15")
        .call("2026-03-20T14:00:00Z", "c1", "right_party")
        .promise("2026-03-20T14:01:00Z", "p1", 5_000, "2026-03-25");
    let mut original = pipeline();
    for e in &s.events {
        original.apply(e).unwrap();
    }
    let entry = original.entry("A-1").unwrap();
    let binary = snapshot::encode(entry);
    let json = snapshot::encode_json(entry);
    assert_eq!(binary[0], snapshot::BINARY_V1);
    assert!(
        binary.len() < json.len(),
        "{} vs {}",
        binary.len(),
        json.len()
    );
    let (mut a, mut b) = (pipeline(), pipeline());
    a.restore(&binary).unwrap();
    b.restore(&json).unwrap();
    // The same state: the same bytes again, the same item now and later.
    assert_eq!(snapshot::encode(a.entry("A-1").unwrap()), binary);
    assert_eq!(snapshot::encode(b.entry("A-1").unwrap()), binary);
    let end = "2026-04-02T00:00:00Z".parse().unwrap();
    assert_eq!(a.evaluate_all_items(end).0, b.evaluate_all_items(end).0);
    for cut in [0, 1, binary.len() / 2, binary.len() - 1] {
        assert!(pipeline().restore(&binary[..cut]).is_err(), "cut at {cut}");
    }
}

#[test]
fn a_closed_accounts_item_is_final_at_every_clock() {
    let mut s = Story::new("A-1");
    s.open("2026-01-01T00:00:00Z", "America/New_York")
        .statement("2026-02-01T00:00:00Z", "s1", 100_000, 10_000, "2026-02-15")
        .ev(
            "2026-03-20T14:00:00Z",
            "account_closed",
            serde_json::json!({"reason": "charged_off"}),
        );
    let mut p = pipeline();
    for e in &s.events {
        p.apply(e).unwrap();
    }
    let at_close = p.item("A-1").unwrap().clone();
    assert_eq!(at_close.status, Status::Closed);
    for later in ["2026-04-01T00:00:00Z", "2026-09-01T00:00:00Z"] {
        let (items, _) = p.evaluate_all_items(later.parse().unwrap());
        assert_eq!(
            items,
            vec![at_close.clone()],
            "days past due frozen at closure"
        );
    }
}

#[test]
fn an_event_far_ahead_of_the_clock_is_refused() {
    let mut s = Story::new("A-1");
    s.open("2026-01-01T00:00:00Z", "UTC").statement(
        "2026-02-01T00:00:00Z",
        "s1",
        100_000,
        10_000,
        "2026-02-15",
    );
    let mut p = pipeline();
    p.set_clock_floor("2026-02-01T00:00:00Z".parse().unwrap());
    for e in &s.events {
        p.apply(e).unwrap();
    }
    // An unrelated account's event years ahead: refused, and the clock does not move.
    let mut far = Story::new("B-1");
    far.open("2199-06-01T00:00:00Z", "UTC");
    let r = p.apply(&far.events[0]).unwrap_err();
    assert_eq!(r.reason, RejectReason::InvalidField);
    assert!(r.detail.contains("max_clock_skew_hours"), "{}", r.detail);
    assert_eq!(p.clock(), Some("2026-02-01T00:00:00Z".parse().unwrap()));
    // Within the skew it is accepted; a later clock moves the bound.
    let mut near = Story::new("C-1");
    near.open("2026-02-01T23:00:00Z", "UTC");
    p.apply(&near.events[0]).unwrap();
    p.set_clock_floor("2026-06-01T00:00:00Z".parse().unwrap());
    let mut later = Story::new("D-1");
    later.open("2026-06-01T12:00:00Z", "UTC");
    p.apply(&later.events[0]).unwrap();
}

#[test]
fn closed_accounts_are_forgotten_after_their_retention_and_a_late_event_starts_afresh() {
    let mut s = Story::new("A-1");
    s.open("2026-01-01T00:00:00Z", "UTC").ev(
        "2026-02-01T00:00:00Z",
        "account_closed",
        serde_json::json!({"reason": "paid_off"}),
    );
    let mut open = Story::new("B-1");
    open.open("2026-01-01T00:00:00Z", "UTC");
    let mut p = pipeline();
    for e in s.events.iter().chain(&open.events) {
        p.apply(e).unwrap();
    }
    let days = p.settings.raw.events.closed_retention_days;
    assert!(days > 0);
    let closed_at: Timestamp = "2026-02-01T00:00:00Z".parse().unwrap();
    let expiry = shift(closed_at, days * 86_400);
    assert_eq!(p.expire_closed(shift(expiry, -1)), Vec::<String>::new());
    assert_eq!(p.expire_closed(expiry), vec!["A-1".to_string()]);
    assert!(
        p.item("A-1").is_none() && p.item("B-1").is_some(),
        "open accounts stay"
    );
    assert_eq!(p.stats().expired, 1);

    // Without the timer (replay), an event after the retention forgets the account first.
    let mut r = pipeline();
    for e in &s.events {
        r.apply(e).unwrap();
    }
    let mut late = Story::new("A-1");
    late.ev(
        &expiry.to_string(),
        "flag_set",
        serde_json::json!({"flag": "dispute"}),
    );
    r.apply(&late.events[0]).unwrap();
    let fresh = r.entry("A-1").unwrap();
    assert!(fresh.account.closed_at.is_none(), "a new account");
    assert_eq!(r.stats().expired, 1);
}
