//! The house dialer collects and keeps the contact policy; the world's audit catches a reckless dialer.

use std::collections::HashSet;

use arrears::tools::sim::*;
use jiff::Timestamp;
use serde_json::Value;

use crate::support::*;

#[test]
fn house_dialer_collects_more_than_nobody_calling() {
    let cfg = config(3_000, 45, 13);
    let (_, house) = run_house(&cfg);
    let (_, idle) = run(&cfg, &mut IdleDialer);
    assert_eq!(idle.stats().calls, 0);
    assert!(
        house.stats().collected_usd_cents > idle.stats().collected_usd_cents,
        "house {} vs idle {}",
        house.stats().collected_usd_cents,
        idle.stats().collected_usd_cents
    );
}

#[test]
fn house_dialer_keeps_the_contact_policy() {
    let mut cfg = config(3_000, 60, 17);
    cfg.rare_scale = 10.0;
    cfg.capacity = 0.1;
    let (stream, world) = run_house(&cfg);
    assert!(world.stats().calls > 5_000);
    assert!(world.stats().right_party_contacts > 500);
    assert!(
        world.violations().is_clean(),
        "violations: {}",
        world.violations()
    );
    let text = String::from_utf8(stream).unwrap();
    assert!(
        text.contains("\"flag\":\"deceased_reported\"")
            || text.contains("\"disposition\":\"deceased_reported\"")
    );
}

/// Calls every delinquent account twice a day at 03:00 and 03:30 local, and every account with a
/// deceased report, ignoring every rule.
struct Reckless;

impl Dialer for Reckless {
    fn plan_day(
        &mut self,
        start: Timestamp,
        end: Timestamp,
        world: &WorldView,
    ) -> Vec<PlannedContact> {
        let mut plan = Vec::new();
        for a in world.accounts() {
            let deceased = a.has_flag(Flag::DeceasedReported) || a.has_flag(Flag::DeceasedVerified);
            if !a.opened() || !(a.days_past_due() > 0 || deceased) {
                continue;
            }
            for minute in [0, 30] {
                if let Some(at) = a.instant_at_local(start, end, 3, minute) {
                    plan.push(PlannedContact {
                        account_id: a.account_id().to_owned(),
                        contact_id: None,
                        channel: Channel::Call,
                        at,
                        third_party: false,
                        disclose_debt: true,
                    });
                }
            }
        }
        plan
    }
}

#[test]
fn violation_counter_catches_a_reckless_dialer() {
    let mut cfg = config(1_500, 40, 23);
    cfg.rare_scale = 20.0;
    let (stream, world) = run(&cfg, &mut Reckless);
    let v = world.violations();
    assert!(v.outside_hours > 1_000, "{v}");
    assert!(v.over_frequency > 0, "{v}");
    assert!(v.after_conversation > 0, "{v}");
    assert!(v.during_hold > 0, "{v}");
    // Some of those hold violations are calls to accounts reported deceased.
    let text = String::from_utf8(stream).unwrap();
    let mut deceased = HashSet::new();
    let mut called_after = 0;
    for v in parse(text.as_bytes()) {
        let id = s(&v, "account_id").to_owned();
        let reported = s(&v, "type") == "flag_set" && s(&v, "flag") == "deceased_reported"
            || v.get("disposition").and_then(Value::as_str) == Some("deceased_reported");
        if s(&v, "type") == "contact_attempt" && deceased.contains(&id) {
            called_after += 1;
        }
        if reported {
            deceased.insert(id);
        }
    }
    assert!(
        called_after > 0,
        "the reckless dialer called no deceased account"
    );
    // Over-contact provokes complaints and requests to stop.
    assert!(text.contains("\"flag\":\"complaint\"") || text.contains("\"flag\":\"do_not_call\""));
}

/// The simulator produces the adversarial situations the audit must see through, rarely: a
/// number listed under two contact ids (a shared phone, a re-keyed contact), a third party's
/// callback request, an attempt reported under an id nobody listed.
#[test]
fn the_simulator_produces_adversarial_contact_data() {
    let mut cfg = config(3_000, 60, 29);
    cfg.capacity = 0.1;
    let (stream, world) = run_house(&cfg);
    let (mut shared, mut third_party_callbacks, mut unknown, mut attempts) = (0, 0, 0, 0);
    for v in parse(&stream) {
        if let Some(list) = v.get("contacts").and_then(Value::as_array) {
            let phones: HashSet<&str> = list.iter().map(|c| s(c, "phone")).collect();
            shared += usize::from(phones.len() < list.len());
        }
        if s(&v, "type") == "contact_attempt" {
            attempts += 1;
            unknown += usize::from(v.get("contact_id").and_then(Value::as_str) == Some("c-200"));
            let cb = v.get("disposition").and_then(Value::as_str) == Some("callback_requested");
            third_party_callbacks += usize::from(cb && s(&v, "outcome") == "third_party");
        }
    }
    assert!(shared > 0 && third_party_callbacks > 0 && unknown > 0);
    assert!(unknown * 100 < attempts, "{unknown} of {attempts}");
    assert!(world.violations().is_clean(), "{}", world.violations());
}
