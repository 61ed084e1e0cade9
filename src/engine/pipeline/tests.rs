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
