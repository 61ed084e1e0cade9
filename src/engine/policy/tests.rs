//! Unit tests of the contact policy: windows (DST, UTC−10, UTC+14), caps, cool-down, holds,
//! special accounts, third parties, strategies and the tone ladder.

use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde_json::json;

use super::*;
use crate::engine::domain::*;
use crate::engine::features::{compute, Params};
use crate::engine::settings::Settings;
use crate::engine::testkit::{t, Story};

fn params() -> Params {
    Params::of(&Settings::defaults())
}

fn decide_with(story: &Story, now: &str, segment: Segment, profile: &str) -> Decision {
    let settings = Settings::defaults();
    let acc = story.account();
    let tz = acc.profile.timezone().cloned().unwrap_or(TimeZone::UTC);
    let f = compute(&acc, t(now), &tz, &params());
    decide(&Context {
        acc: &acc,
        f: &f,
        segment,
        settings: &settings,
        profile: &settings.profiles[profile],
        now: t(now),
        holdout: false,
    })
}

fn decide_at(story: &Story, now: &str, segment: Segment) -> Decision {
    decide_with(story, now, segment, "strict")
}

fn late(tz: &str) -> Story {
    let mut s = Story::new("A-1");
    s.open_with(
        "2026-01-01T00:00:00Z",
        tz,
        json!([
            {"contact_id": "c1", "role": "debtor", "phone": "+15551230001"},
            {"contact_id": "c2", "role": "relative", "phone": "+15551230002", "consent_to_contact": true},
            {"contact_id": "c3", "role": "employer", "phone": "+15551230003", "consent_to_contact": false}
        ]),
    )
    .statement("2026-03-01T00:00:00Z", "s1", 100_000, 10_000, "2026-03-15");
    s
}

fn plan(d: &Decision) -> &Plan {
    d.action
        .as_ref()
        .unwrap_or_else(|| panic!("no action: {d:?}"))
}

fn rules(d: &Decision) -> Vec<String> {
    d.reasons
        .iter()
        .filter_map(|r| r.rule.as_ref().map(|r| r.to_string()))
        .collect()
}

fn codes(d: &Decision) -> Vec<&str> {
    d.reasons.iter().map(|r| r.code).collect()
}

#[test]
fn window_follows_local_hours_across_spring_forward() {
    let settings = Settings::defaults();
    let p = &settings.profiles["strict"];
    let ny = TimeZone::get("America/New_York").unwrap();
    // 00:00 EST on 2026-03-08, the day clocks go forward at 02:00: 08:00 is already EDT (UTC−4).
    let (nb, na) = calling_window(p, &ny, t("2026-03-08T05:00:00Z"), Timestamp::MIN);
    assert_eq!(
        (nb, na),
        (t("2026-03-08T12:00:00Z"), t("2026-03-09T01:00:00Z"))
    );
    // The day before, 08:00 EST is 13:00Z.
    let (nb, _) = calling_window(p, &ny, t("2026-03-07T05:00:00Z"), Timestamp::MIN);
    assert_eq!(nb, t("2026-03-07T13:00:00Z"));
}

#[test]
fn window_follows_local_hours_across_fall_back() {
    let settings = Settings::defaults();
    let p = &settings.profiles["strict"];
    let london = TimeZone::get("Europe/London").unwrap();
    // London falls back on 2026-10-25: 08:00 is GMT that day, BST the day before.
    let (nb, na) = calling_window(p, &london, t("2026-10-25T03:00:00Z"), Timestamp::MIN);
    assert_eq!(
        (nb, na),
        (t("2026-10-25T08:00:00Z"), t("2026-10-25T21:00:00Z"))
    );
    let (nb, _) = calling_window(p, &london, t("2026-10-24T03:00:00Z"), Timestamp::MIN);
    assert_eq!(nb, t("2026-10-24T07:00:00Z"));
    // After 21:00 local the window is tomorrow's.
    let (nb, _) = calling_window(p, &london, t("2026-10-25T21:30:00Z"), Timestamp::MIN);
    assert_eq!(nb, t("2026-10-26T08:00:00Z"));
}

#[test]
fn window_in_utc_minus_10_and_plus_14() {
    let settings = Settings::defaults();
    let p = &settings.profiles["strict"];
    let now = t("2026-03-16T05:00:00Z");
    let hnl = TimeZone::get("Pacific/Honolulu").unwrap();
    // 19:00 on the 15th in Honolulu: today's window 08:00–21:00 HST = 18:00Z–07:00Z.
    assert_eq!(
        calling_window(p, &hnl, now, Timestamp::MIN),
        (t("2026-03-15T18:00:00Z"), t("2026-03-16T07:00:00Z"))
    );
    let cxi = TimeZone::get("Pacific/Kiritimati").unwrap();
    // 19:00 on the 16th in Kiritimati (UTC+14): 08:00 local is 18:00Z the day before.
    assert_eq!(
        calling_window(p, &cxi, now, Timestamp::MIN),
        (t("2026-03-15T18:00:00Z"), t("2026-03-16T07:00:00Z"))
    );
    // At 22:00 local in Kiritimati the next window is the 17th.
    assert_eq!(
        calling_window(p, &cxi, t("2026-03-16T08:00:00Z"), Timestamp::MIN).0,
        t("2026-03-16T18:00:00Z")
    );
}

#[test]
fn cn_nifa_calls_until_22_local() {
    let s = late("Asia/Shanghai");
    let d = decide_with(&s, "2026-03-25T02:00:00Z", Segment::WillingAble, "cn_nifa");
    assert_eq!(plan(&d).not_after, t("2026-03-25T14:00:00Z"));
    assert!(rules(&d).contains(&"cn_nifa.calling_hours@2024.1".to_string()));
}

#[test]
fn open_call_cites_calling_hours_and_starts_on_the_ladder() {
    let s = late("America/Chicago");
    let d = decide_at(&s, "2026-03-25T15:00:00Z", Segment::WillingAble);
    assert_eq!(d.status, Status::Open);
    let p = plan(&d);
    assert_eq!(
        (p.channel, p.party, p.strategy),
        (Channel::Call, Party::Debtor, Strategy::Reminder)
    );
    assert_eq!(p.contact_id.as_deref(), Some("c1"));
    assert_eq!(p.disclosure(), Disclosure::Full);
    assert_eq!(p.not_before, t("2026-03-25T13:00:00Z"), "08:00 CDT");
    assert!(rules(&d).contains(&"strict.calling_hours@2026.1".to_string()));
    assert!(
        codes(&d).contains(&"TONE_STEP"),
        "negotiate deferred to reminder first"
    );
}

#[test]
fn seven_attempts_in_seven_days_push_the_window_or_hold() {
    let mut s = late("UTC");
    for d in 19..=25 {
        s.call(&format!("2026-03-{d}T09:00:00Z"), "c1", "no_answer");
    }
    // The 7th-newest attempt (19th 09:00) leaves the rolling window on the 26th at 09:00.
    let d = decide_at(&s, "2026-03-26T08:30:00Z", Segment::WillingAble);
    assert_eq!(plan(&d).not_before, t("2026-03-26T09:00:00Z"));
    assert!(rules(&d).contains(&"strict.max_call_attempts_7d@2026.1".to_string()));
    // Asked the evening before, the next lawful call is 12.5 h away: still open, later window.
    let d = decide_at(&s, "2026-03-25T20:30:00Z", Segment::WillingAble);
    assert_eq!(plan(&d).not_before, t("2026-03-26T09:00:00Z"));
    // Seven calls on one day: the next is 7 days away → held with contact_cap.
    let mut s = late("UTC");
    for h in 9..=15 {
        s.call(&format!("2026-03-25T{h:02}:00:00Z"), "c1", "no_answer");
    }
    let d = decide_at(&s, "2026-03-25T16:00:00Z", Segment::WillingAble);
    assert_eq!(
        (d.status, d.hold),
        (Status::Held, Some(HoldReason::ContactCap))
    );
    assert!(d.action.is_none());
    // It wakes when the next lawful call is within policy.hold_when_blocked_hours (24 h).
    assert_eq!(d.wake_at, Some(t("2026-03-31T09:00:00Z")));
}

#[test]
fn no_call_in_the_seven_days_after_a_conversation() {
    let mut s = late("America/New_York");
    s.call("2026-03-20T14:00:00Z", "c1", "right_party");
    let d = decide_at(&s, "2026-03-21T14:00:00Z", Segment::WillingAble);
    assert_eq!(
        (d.status, d.hold),
        (Status::Held, Some(HoldReason::ContactCap))
    );
    assert!(codes(&d).contains(&"COOL_DOWN"));
    // Conversation on the 20th (day 1): calls lawful from 00:00 on the 27th, window at 08:00 EDT.
    let d = decide_at(&s, "2026-03-26T14:00:00Z", Segment::WillingAble);
    assert_eq!(d.status, Status::Open);
    assert_eq!(plan(&d).not_before, t("2026-03-27T12:00:00Z"));
}

#[test]
fn three_connected_calls_a_day_at_most() {
    let mut s = late("UTC");
    for h in [9, 10, 11] {
        s.call(&format!("2026-03-25T{h:02}:00:00Z"), "c2", "third_party");
    }
    let d = decide_at(&s, "2026-03-25T12:00:00Z", Segment::WillingAble);
    assert!(codes(&d).contains(&"CONNECTED_CAP"), "{:?}", codes(&d));
    assert_eq!(plan(&d).not_before, t("2026-03-26T08:00:00Z"));
}

#[test]
fn every_hold_flag_holds_with_its_reason() {
    let cases = [
        ("deceased_reported", HoldReason::Deceased),
        ("deceased_verified", HoldReason::Deceased),
        ("dispute", HoldReason::Dispute),
        ("complaint", HoldReason::Complaint),
        ("bankruptcy", HoldReason::Bankruptcy),
        ("fraud", HoldReason::Fraud),
        ("legal_hold", HoldReason::LegalHold),
        ("breathing_space", HoldReason::BreathingSpace),
    ];
    for (flag, hold) in cases {
        let mut s = late("UTC");
        s.flag("2026-03-20T00:00:00Z", flag);
        let d = decide_at(&s, "2026-03-25T12:00:00Z", Segment::WillingAble);
        assert_eq!((d.status, d.hold), (Status::Held, Some(hold)), "{flag}");
        assert!(d.action.is_none());
        assert_eq!(rules(&d), vec![always::HOLD.to_string()]);
    }
}

#[test]
fn breathing_space_ends_after_sixty_days() {
    let mut s = late("UTC");
    s.flag("2026-03-20T00:00:00Z", "breathing_space");
    let d = decide_at(&s, "2026-05-18T23:00:00Z", Segment::WillingAble);
    assert_eq!(d.hold, Some(HoldReason::BreathingSpace));
    assert_eq!(d.wake_at, Some(t("2026-05-19T00:00:00Z")));
    let d = decide_at(&s, "2026-05-19T09:00:00Z", Segment::WillingAble);
    assert_eq!(d.status, Status::Open);
}

#[test]
fn cleared_dispute_routes_to_complaint_resolution() {
    let mut s = late("UTC");
    s.flag("2026-03-20T00:00:00Z", "dispute")
        .clear("2026-03-22T00:00:00Z", "dispute");
    let d = decide_at(&s, "2026-03-25T12:00:00Z", Segment::UnwillingAble);
    assert_eq!(plan(&d).strategy, Strategy::ComplaintResolution);
}

#[test]
fn disposition_dispute_holds_like_the_flag() {
    let mut s = late("UTC");
    s.ev(
        "2026-03-20T10:00:00Z",
        "contact_attempt",
        json!({"attempt_id": "x", "channel": "call", "contact_id": "c1", "outcome": "right_party", "disposition": "dispute"}),
    );
    let d = decide_at(&s, "2026-03-29T12:00:00Z", Segment::WillingAble);
    assert_eq!(d.hold, Some(HoldReason::Dispute));
}

#[test]
fn cease_contact_leaves_letters_only() {
    let mut s = late("UTC");
    s.flag("2026-03-20T00:00:00Z", "cease_contact");
    let d = decide_at(&s, "2026-03-25T12:00:00Z", Segment::WillingAble);
    let p = plan(&d);
    assert_eq!(
        (p.channel, p.strategy, p.contact_id.as_deref()),
        (Channel::Letter, Strategy::Letter, None)
    );
    assert!(rules(&d).contains(&always::CEASE_CONTACT.to_string()));
}

#[test]
fn do_not_call_numbers_are_never_dialled() {
    // The debtor's only number goes on do-not-call while the debtor is reachable (never failed to
    // answer): a letter, never the relative.
    let mut s = late("UTC");
    s.ev(
        "2026-03-20T00:00:00Z",
        "flag_set",
        json!({"flag": "do_not_call", "contact_id": "c1"}),
    );
    let d = decide_at(&s, "2026-03-25T12:00:00Z", Segment::WillingAble);
    let p = plan(&d);
    assert_ne!(p.contact_id.as_deref(), Some("c1"));
    assert_eq!(p.channel, Channel::Letter, "{d:#?}");
    assert!(rules(&d).contains(&always::DO_NOT_CALL.to_string()));
    // Unreachable (5 failed calls, no conversation in 14 days): locate through the consenting
    // relative, without disclosure.
    let mut s = late("UTC");
    for day in 16..21 {
        s.call(&format!("2026-03-{day}T15:00:00Z"), "c1", "no_answer");
    }
    s.ev(
        "2026-03-21T00:00:00Z",
        "flag_set",
        json!({"flag": "do_not_call", "contact_id": "c1"}),
    );
    let d = decide_at(&s, "2026-03-25T12:00:00Z", Segment::WillingAble);
    let p = plan(&d);
    assert_eq!(
        (p.party, p.contact_id.as_deref()),
        (Party::ThirdParty, Some("c2"))
    );
    // Without a consenting third party, a letter.
    let mut s = Story::new("A-2");
    s.open("2026-01-01T00:00:00Z", "UTC")
        .statement("2026-03-01T00:00:00Z", "s1", 100_000, 10_000, "2026-03-15")
        .ev(
            "2026-03-20T00:00:00Z",
            "flag_set",
            json!({"flag": "do_not_call", "contact_id": "c1"}),
        );
    let d = decide_at(&s, "2026-03-25T12:00:00Z", Segment::WillingAble);
    assert_eq!(plan(&d).channel, Channel::Letter);
}

#[test]
fn promise_pending_holds_until_the_due_date_then_follows_up() {
    let mut s = late("UTC");
    s.call("2026-03-10T10:00:00Z", "c1", "right_party").promise(
        "2026-03-10T10:01:00Z",
        "pr1",
        10_000,
        "2026-03-24",
    );
    let d = decide_at(&s, "2026-03-20T12:00:00Z", Segment::WillingAble);
    assert_eq!(d.hold, Some(HoldReason::PromisePending));
    assert_eq!(d.wake_at, Some(t("2026-03-24T00:00:00Z")));
    let d = decide_at(&s, "2026-03-24T07:00:00Z", Segment::WillingAble);
    let p = plan(&d);
    assert_eq!(
        (p.strategy, p.channel),
        (Strategy::PromiseFollowup, Channel::Call)
    );
    assert_eq!(p.not_before, t("2026-03-24T08:00:00Z"));
    // Broken after the grace day: back in the queue, no follow-up strategy.
    let d = decide_at(&s, "2026-03-26T09:00:00Z", Segment::WillingAble);
    assert_ne!(plan(&d).strategy, Strategy::PromiseFollowup);
}

#[test]
fn promise_follow_up_inside_the_cool_down_goes_by_sms() {
    let mut s = late("UTC");
    s.call("2026-03-20T10:00:00Z", "c1", "right_party").promise(
        "2026-03-20T10:01:00Z",
        "pr1",
        10_000,
        "2026-03-22",
    );
    let d = decide_at(&s, "2026-03-22T07:00:00Z", Segment::WillingAble);
    let p = plan(&d);
    assert_eq!(
        (p.strategy, p.channel),
        (Strategy::PromiseFollowup, Channel::Sms)
    );
}

#[test]
fn callback_holds_until_its_time_then_opens_there_despite_the_cool_down() {
    let mut s = late("UTC");
    s.ev(
        "2026-03-20T10:00:00Z",
        "contact_attempt",
        json!({"attempt_id": "x", "channel": "call", "contact_id": "c1", "outcome": "right_party",
               "disposition": "callback_requested", "callback_at": "2026-03-21T15:30:00Z"}),
    );
    let d = decide_at(&s, "2026-03-21T09:00:00Z", Segment::WillingAble);
    assert_eq!(d.hold, Some(HoldReason::CallbackScheduled));
    assert_eq!(d.wake_at, Some(t("2026-03-21T15:30:00Z")));
    let d = decide_at(&s, "2026-03-21T15:30:00Z", Segment::WillingAble);
    assert_eq!(plan(&d).not_before, t("2026-03-21T15:30:00Z"));
    assert!(rules(&d).contains(&always::CALLBACK.to_string()));
    // Once a call at or after that time happened, the callback is answered.
    s.call("2026-03-21T15:31:00Z", "c1", "no_answer");
    let d = decide_at(&s, "2026-03-21T16:00:00Z", Segment::WillingAble);
    assert_eq!(
        d.hold,
        Some(HoldReason::ContactCap),
        "back under the cool-down"
    );
}

fn unreachable(tz: &str, first_call_day: u32) -> Story {
    let mut s = late(tz);
    for (i, d) in (first_call_day..first_call_day + 6).enumerate() {
        s.call(&format!("2026-03-{d:02}T1{i}:00:00Z"), "c1", "no_answer");
    }
    s
}

#[test]
fn unreachable_debtor_is_located_through_a_consenting_third_party_without_disclosure() {
    let s = unreachable("UTC", 18);
    let d = decide_at(&s, "2026-04-02T12:00:00Z", Segment::UnwillingUnable);
    let p = plan(&d);
    assert_eq!(
        (p.party, p.strategy, p.contact_id.as_deref()),
        (Party::ThirdParty, Strategy::Locate, Some("c2"))
    );
    assert_eq!(p.disclosure(), Disclosure::None);
    assert!(rules(&d).contains(&always::NO_DISCLOSURE.to_string()));
    // At most one attempt per person: after c2 was tried, the non-consenting c3 is never chosen.
    let mut s = s;
    s.call("2026-04-02T12:30:00Z", "c2", "no_answer");
    let d = decide_at(&s, "2026-04-03T12:00:00Z", Segment::UnwillingUnable);
    assert!(d.action.as_ref().is_none_or(|p| p.party == Party::Debtor));
}

#[test]
fn no_third_parties_in_early_stage_or_under_cn_nifa() {
    // Early stage (the statement due 03-15, asked on 03-18): locate is never allowed.
    let s = unreachable("UTC", 1);
    let d = decide_at(&s, "2026-03-18T12:00:00Z", Segment::UnwillingUnable);
    assert!(
        d.action.as_ref().is_none_or(|p| p.party == Party::Debtor),
        "{d:?}"
    );
    let s = unreachable("UTC", 18);
    let d = decide_with(
        &s,
        "2026-04-02T12:00:00Z",
        Segment::UnwillingUnable,
        "cn_nifa",
    );
    assert!(d.action.as_ref().is_none_or(|p| p.party == Party::Debtor));
}

#[test]
fn profile_missing_fails_closed() {
    let mut s = Story::new("A-9");
    s.statement("2026-03-01T00:00:00Z", "s1", 100_000, 10_000, "2026-03-15");
    let d = decide_at(&s, "2026-03-25T12:00:00Z", Segment::WillingAble);
    assert_eq!(d.hold, Some(HoldReason::ProfileMissing));
    assert_eq!(rules(&d), vec![always::FAIL_CLOSED.to_string()]);
}

#[test]
fn strategies_by_segment_and_stage() {
    let mut s = late("UTC");
    // Pretend earlier contacts reached the debtor at tone 2 so the ladder does not hold back.
    let mut acc_story = s.clone();
    acc_story.call("2026-03-01T10:00:00Z", "c1", "no_answer");
    let settings = Settings::defaults();
    let cases = [
        (
            "2026-03-18T12:00:00Z",
            Segment::WillingAble,
            Strategy::Reminder,
        ),
        (
            "2026-03-25T12:00:00Z",
            Segment::WillingAble,
            Strategy::Negotiate,
        ),
        (
            "2026-03-25T12:00:00Z",
            Segment::WillingUnable,
            Strategy::HardshipPlan,
        ),
        (
            "2026-03-25T12:00:00Z",
            Segment::UnwillingAble,
            Strategy::FirmDemand,
        ),
        (
            "2026-05-20T12:00:00Z",
            Segment::UnwillingAble,
            Strategy::LegalReview,
        ),
        // Below policy.legal_review_min_overdue (10,000 < 50,000): letters, not legal review.
        (
            "2026-05-20T12:00:00Z",
            Segment::UnwillingUnable,
            Strategy::Letter,
        ),
        (
            "2026-03-25T12:00:00Z",
            Segment::UnwillingUnable,
            Strategy::Letter,
        ),
    ];
    for (now, segment, want) in cases {
        let mut acc = acc_story.account();
        acc.tone_used = Some(2);
        let tz = TimeZone::UTC;
        let f = compute(&acc, t(now), &tz, &params());
        let d = decide(&Context {
            acc: &acc,
            f: &f,
            segment,
            settings: &settings,
            profile: &settings.profiles["strict"],
            now: t(now),
            holdout: false,
        });
        assert_eq!(plan(&d).strategy, want, "{segment} at {now}");
    }
    // Hardship lowers pressure whatever the segment.
    s.flag("2026-03-20T00:00:00Z", "hardship");
    let d = decide_at(&s, "2026-03-25T12:00:00Z", Segment::UnwillingAble);
    assert_eq!(plan(&d).strategy, Strategy::HardshipPlan);
}

#[test]
fn tone_rises_one_step_at_a_time() {
    let s = late("UTC");
    let settings = Settings::defaults();
    let now = "2026-05-20T12:00:00Z";
    for (used, want) in [
        (None, Strategy::Reminder),
        (Some(0), Strategy::Negotiate),
        (Some(1), Strategy::FirmDemand),
        (Some(2), Strategy::LegalReview),
    ] {
        let mut acc = s.account();
        acc.tone_used = used;
        let f = compute(&acc, t(now), &TimeZone::UTC, &params());
        let d = decide(&Context {
            acc: &acc,
            f: &f,
            segment: Segment::UnwillingAble,
            settings: &settings,
            profile: &settings.profiles["strict"],
            now: t(now),
            holdout: false,
        });
        assert_eq!(plan(&d).strategy, want, "tone used {used:?}");
    }
}

#[test]
fn pre_due_gets_an_sms_reminder_and_current_closes() {
    let s = late("UTC");
    let d = decide_at(&s, "2026-03-13T12:00:00Z", Segment::WillingAble);
    let p = plan(&d);
    assert_eq!((p.channel, p.strategy), (Channel::Sms, Strategy::Reminder));
    let d = decide_at(&s, "2026-03-05T12:00:00Z", Segment::WillingAble);
    assert_eq!(d.status, Status::Closed);
}
