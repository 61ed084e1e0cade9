//! Unit tests of features: allocation, days past due, stages, promises, reachability, time zones.

use jiff::tz::TimeZone;
use serde_json::json;

use super::*;
use crate::engine::settings::Settings;
use crate::engine::testkit::{t, Story};

fn at(story: &Story, now: &str) -> Features {
    let acc = story.account();
    let tz = acc.profile.timezone().cloned().unwrap();
    compute(&acc, t(now), &tz, &Params::of(&Settings::defaults()))
}

fn base(tz: &str) -> Story {
    let mut s = Story::new("A-1");
    s.open("2026-01-01T00:00:00Z", tz).statement(
        "2026-03-01T00:00:00Z",
        "s1",
        100_000,
        10_000,
        "2026-03-15",
    );
    s
}

#[test]
fn days_past_due_counts_local_days_after_the_due_date() {
    let s = base("UTC");
    assert_eq!(
        at(&s, "2026-03-15T23:59:00Z").dpd,
        0,
        "due date itself is not late"
    );
    let f = at(&s, "2026-03-16T00:00:00Z");
    assert_eq!((f.dpd, f.stage, f.overdue), (1, Stage::Early, 10_000));
    assert_eq!(at(&s, "2026-03-21T12:00:00Z").stage, Stage::Mid);
    assert_eq!(at(&s, "2026-04-15T12:00:00Z").stage, Stage::M2);
    assert_eq!(at(&s, "2026-06-15T12:00:00Z").stage, Stage::M4Plus);
}

#[test]
fn pre_due_within_three_days_then_current_when_paid() {
    let mut s = base("UTC");
    assert_eq!(at(&s, "2026-03-10T12:00:00Z").stage, Stage::Current);
    let f = at(&s, "2026-03-12T12:00:00Z");
    assert_eq!((f.stage, f.pre_due_amount), (Stage::PreDue, 10_000));
    s.pay("2026-03-13T00:00:00Z", "p1", 10_000);
    assert_eq!(at(&s, "2026-03-13T12:00:00Z").stage, Stage::Current);
    assert_eq!(
        at(&s, "2026-03-20T12:00:00Z").dpd,
        0,
        "the minimum is covered"
    );
}

#[test]
fn partial_payment_reduces_overdue_but_not_dpd() {
    let mut s = base("UTC");
    s.pay("2026-03-18T00:00:00Z", "p1", 4_000);
    let f = at(&s, "2026-03-20T00:00:00Z");
    assert_eq!((f.dpd, f.overdue), (5, 6_000));
    assert_eq!(f.vector[F::PartialShare as usize], 1.0);
    s.pay("2026-03-21T00:00:00Z", "p2", 6_000);
    assert_eq!(at(&s, "2026-03-21T12:00:00Z").dpd, 0);
}

#[test]
fn payments_are_allocated_to_the_oldest_statement_first() {
    let mut s = base("UTC");
    s.statement("2026-04-01T00:00:00Z", "s2", 50_000, 5_000, "2026-04-15");
    // 102,000 pays s1 in full (100,000) and 2,000 of s2, whose 5,000 minimum stays uncovered.
    s.pay("2026-04-18T00:00:00Z", "p1", 102_000);
    let f = at(&s, "2026-04-20T00:00:00Z");
    assert_eq!((f.dpd, f.overdue), (5, 3_000));
    assert_eq!(f.vector[F::StatementsMissed as usize], 1.0);
}

#[test]
fn two_missed_statements_age_from_the_oldest() {
    let mut s = base("UTC");
    s.statement("2026-04-01T00:00:00Z", "s2", 50_000, 5_000, "2026-04-15");
    let f = at(&s, "2026-04-20T00:00:00Z");
    assert_eq!((f.dpd, f.overdue, f.stage), (36, 15_000, Stage::M2));
    assert_eq!(f.vector[F::StatementsMissed as usize], 2.0);
}

#[test]
fn a_reversal_reopens_the_delinquency_and_counts_as_nsf() {
    let mut s = base("UTC");
    s.pay("2026-03-14T00:00:00Z", "p1", 10_000);
    assert_eq!(at(&s, "2026-03-17T00:00:00Z").dpd, 0);
    s.reverse("2026-03-17T01:00:00Z", "p1", 10_000);
    let f = at(&s, "2026-03-17T02:00:00Z");
    assert_eq!((f.dpd, f.overdue), (2, 10_000));
    assert_eq!(f.vector[F::Nsf90 as usize], 1.0);
}

#[test]
fn overpayment_leaves_a_credit_that_covers_the_next_statement() {
    let mut s = base("UTC");
    s.pay("2026-03-10T00:00:00Z", "p1", 150_000);
    s.statement("2026-04-01T00:00:00Z", "s2", 40_000, 4_000, "2026-04-15");
    let f = at(&s, "2026-04-20T00:00:00Z");
    assert_eq!((f.dpd, f.overdue), (0, 0));
    assert_eq!(f.balance, -10_000);
}

#[test]
fn promise_kept_broken_and_kept_late() {
    let mut pending = base("UTC");
    pending.promise("2026-03-20T10:00:00Z", "pr1", 10_000, "2026-03-25");
    let f = at(&pending, "2026-03-24T10:00:00Z");
    assert_eq!(f.promise.as_ref().map(|p| p.amount), Some(10_000));
    assert_eq!(f.vector[F::PromisePending as usize], 1.0);
    // No payment: broken at the end of the grace day, with no event needed.
    let f = at(&pending, "2026-03-26T23:59:00Z");
    assert!(f.promise.is_some(), "still pending during the grace day");
    let f = at(&pending, "2026-03-27T00:00:00Z");
    assert!(f.promise.is_none());
    assert_eq!(f.vector[F::PromisesBroken as usize], 1.0);
    assert_eq!(f.broken_90d, 1);

    let mut kept = pending.clone();
    kept.pay("2026-03-26T09:00:00Z", "p1", 10_000);
    let f = at(&kept, "2026-04-10T00:00:00Z");
    assert_eq!(f.vector[F::PromisesKept as usize], 1.0);
    assert_eq!(f.vector[F::PromisesBroken as usize], 0.0);

    let mut late = pending.clone();
    late.pay("2026-03-28T09:00:00Z", "p1", 10_000);
    let f = at(&late, "2026-04-10T00:00:00Z");
    assert_eq!(f.vector[F::PromisesBroken as usize], 1.0);
    assert_eq!(f.vector[F::PromisesKeptLate as usize], 1.0);

    let mut partial = pending.clone();
    partial.pay("2026-03-25T09:00:00Z", "p1", 6_000);
    let f = at(&partial, "2026-04-10T00:00:00Z");
    assert_eq!(
        f.vector[F::PromisesBroken as usize],
        1.0,
        "partial is not kept"
    );
}

#[test]
fn a_bounced_payment_does_not_keep_a_promise() {
    let mut s = base("UTC");
    s.promise("2026-03-20T10:00:00Z", "pr1", 10_000, "2026-03-25");
    s.pay("2026-03-24T09:00:00Z", "p1", 10_000);
    s.reverse("2026-03-25T09:00:00Z", "p1", 10_000);
    let f = at(&s, "2026-04-01T00:00:00Z");
    assert_eq!(f.vector[F::PromisesBroken as usize], 1.0);
}

#[test]
fn promise_deadline_follows_the_local_calendar_across_dst() {
    // New York springs forward on 2026-03-08: the deadline is local midnight after the grace day.
    let mut s = base("America/New_York");
    s.promise("2026-03-05T15:00:00Z", "pr1", 10_000, "2026-03-07");
    let acc = s.account();
    let tz = TimeZone::get("America/New_York").unwrap();
    assert_eq!(
        promise_deadline(&acc.promises[0], 1, &tz),
        t("2026-03-09T04:00:00Z")
    );
}

#[test]
fn utc_minus_10_and_plus_14_see_different_local_days() {
    // 2026-03-16T05:00Z is 19:00 on the 15th in Honolulu and 19:00 on the 16th in Kiritimati.
    let hnl = at(&base("Pacific/Honolulu"), "2026-03-16T05:00:00Z");
    assert_eq!(
        (hnl.today.to_string().as_str(), hnl.dpd, hnl.stage),
        ("2026-03-15", 0, Stage::PreDue)
    );
    let cxi = at(&base("Pacific/Kiritimati"), "2026-03-16T05:00:00Z");
    assert_eq!(
        (cxi.today.to_string().as_str(), cxi.dpd, cxi.stage),
        ("2026-03-16", 1, Stage::Early)
    );
}

#[test]
fn reachability_windows_and_streaks() {
    let mut s = base("UTC");
    s.call("2026-03-10T10:00:00Z", "c1", "right_party");
    for (i, d) in ["2026-03-20", "2026-03-25", "2026-03-28", "2026-03-29"]
        .iter()
        .enumerate()
    {
        s.call(&format!("{d}T10:0{i}:00Z"), "c1", "no_answer");
    }
    let f = at(&s, "2026-03-29T12:00:00Z");
    assert_eq!(f.vector[F::Attempts24h as usize], 1.0);
    assert_eq!(f.vector[F::Attempts7d as usize], 3.0);
    assert_eq!(f.vector[F::Attempts30d as usize], 5.0);
    assert_eq!(f.vector[F::Rpc30d as usize], 1.0);
    assert_eq!(f.vector[F::NoAnswerStreak as usize], 4.0);
    assert_eq!(f.vector[F::DaysSinceRpc as usize], 19.0);
    assert_eq!(f.failed_since_rpc, 4);
    assert!((f.vector[F::RpcRate30d as usize] - 2.0 / 8.0).abs() < 1e-12);
}

#[test]
fn wrong_numbers_stop_counting_as_usable_until_the_number_changes() {
    let mut s = base("UTC");
    s.call("2026-03-20T10:00:00Z", "c1", "wrong_number");
    let f = at(&s, "2026-03-21T00:00:00Z");
    assert_eq!(f.vector[F::UsableNumbers as usize], 0.0);
    assert_eq!(f.vector[F::WrongNumbers as usize], 1.0);
    s.ev(
        "2026-03-22T00:00:00Z",
        "account_updated",
        json!({"contacts": [{"contact_id": "c1", "role": "debtor", "phone": "+15551239999"}]}),
    );
    assert_eq!(
        at(&s, "2026-03-23T00:00:00Z").vector[F::UsableNumbers as usize],
        1.0
    );
}

#[test]
fn payday_distance_wraps_months() {
    let today: Date = "2026-02-27".parse().unwrap();
    assert_eq!(next_payday(today, 31).to_string(), "2026-02-28");
    assert_eq!(next_payday(today, 5).to_string(), "2026-03-05");
    assert_eq!(next_payday(today, 27).to_string(), "2026-02-27");
}

#[test]
fn feature_names_are_unique_and_protected_attributes_absent() {
    let mut names: Vec<&str> = FEATURE_NAMES.to_vec();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), N_FEATURES);
    for banned in [
        "age",
        "sex",
        "gender",
        "region",
        "ethnicity",
        "zip",
        "postcode",
    ] {
        assert!(
            !FEATURE_NAMES.iter().any(|n| n.contains(banned)),
            "{banned}"
        );
    }
}

proptest::proptest! {
    /// `shift` (whole seconds on the instant) is jiff's span addition, saturating at its range.
    #[test]
    fn shift_is_span_addition(
        secs in -4_000_000_000i64..8_000_000_000,
        nanos in 0i32..1_000_000_000,
        by in -3_000_000_000i64..3_000_000_000,
    ) {
        let t = jiff::Timestamp::new(secs, nanos).unwrap();
        let by_span = t
            .checked_add(jiff::Span::new().seconds(by))
            .unwrap_or(if by < 0 { jiff::Timestamp::MIN } else { jiff::Timestamp::MAX });
        proptest::prop_assert_eq!(shift(t, by), by_span);
    }
}
