//! Tests of arm and holdout assignment: shares, stability, minimal moves, tighter caps only.

use super::*;
use crate::engine::settings::Settings;

fn with_arms(shares: &[(&str, f64)], holdout: f64) -> Experiments {
    let s = Settings::defaults();
    let mut c = ExperimentsConfig {
        holdout_share: holdout,
        ..ExperimentsConfig::default()
    };
    c.arms.clear();
    for (i, (name, share)) in shares.iter().enumerate() {
        c.arms.insert(
            (*name).to_owned(),
            ArmConfig {
                role: if i == 0 {
                    Role::Champion
                } else {
                    Role::Challenger
                },
                share: *share,
                priority: PriorityMode::Incremental,
                uplift_model: String::new(),
                ranking: toml::Table::new(),
                policy: ArmPolicy::default(),
            },
        );
    }
    let mut problems = Vec::new();
    let e = validate(&c, &s.raw.ranking, &s.profiles, &mut |m| problems.push(m));
    assert!(problems.is_empty(), "{problems:?}");
    e
}

fn ids(n: usize) -> impl Iterator<Item = String> {
    (0..n).map(|i| format!("A-{i:06}"))
}

#[test]
fn shares_are_met_within_one_percent_over_100k_accounts() {
    let e = with_arms(&[("a", 0.6), ("b", 0.3), ("c", 0.1)], 0.05);
    let day = Date::constant(2026, 3, 2);
    let mut arms = [0usize; 3];
    let mut held = 0usize;
    for id in ids(100_000) {
        let a = e.assign(&id, day);
        arms[a.arm] += 1;
        held += usize::from(a.holdout);
    }
    for (i, want) in [0.6, 0.3, 0.1].iter().enumerate() {
        let got = arms[i] as f64 / 100_000.0;
        assert!((got - want).abs() < 0.01, "arm {i}: {got} vs {want}");
    }
    let got = held as f64 / 100_000.0;
    assert!((got - 0.05).abs() < 0.01, "holdout {got}");
}

#[test]
fn assignment_is_stable_and_the_holdout_is_redrawn_daily() {
    let e = with_arms(&[("a", 0.5), ("b", 0.5)], 0.1);
    let (d1, d2) = (Date::constant(2026, 3, 2), Date::constant(2026, 3, 3));
    let mut both = 0;
    let mut first = 0;
    for id in ids(20_000) {
        assert_eq!(e.assign(&id, d1), e.assign(&id, d1));
        assert_eq!(
            e.arm_of(&id),
            e.assign(&id, d2).arm,
            "the arm ignores the day"
        );
        let (h1, h2) = (e.in_holdout(&id, d1), e.in_holdout(&id, d2));
        first += usize::from(h1);
        both += usize::from(h1 && h2);
    }
    // Independent days: about 10% of the 10% are held out twice.
    assert!(first > 1_700 && first < 2_300, "{first}");
    assert!(both < 400, "{both} held out on both days");
}

#[test]
fn raising_a_share_moves_accounts_only_into_that_arm_and_no_more_than_it_gains() {
    // Shares are relative weights: raising `b` from 0.3 to 0.5 leaves `a` and `c` as they are.
    let before = with_arms(&[("a", 0.5), ("b", 0.3), ("c", 0.2)], 0.0);
    let after = with_arms(&[("a", 0.5), ("b", 0.5), ("c", 0.2)], 0.0);
    let n = 100_000;
    let mut moved = 0;
    for id in ids(n) {
        let (x, y) = (before.arm_of(&id), after.arm_of(&id));
        if x != y {
            moved += 1;
            assert_eq!(
                y, 1,
                "{id} moved from {x} to {y}, not into the arm that grew"
            );
        }
    }
    // b grows from 0.3 to 0.5 / 1.2: the minimum that must move is the difference.
    let share = moved as f64 / n as f64;
    let need = 0.5 / 1.2 - 0.3;
    assert!((share - need).abs() < 0.01, "{share} moved, {need} needed");
}

#[test]
fn an_arm_may_tighten_caps_but_never_lift_them() {
    let s = Settings::defaults();
    let mut c = ExperimentsConfig::default();
    let arm = c.arms.get_mut("champion").unwrap();
    arm.policy.max_call_attempts_7d = Some(2);
    let mut problems = Vec::new();
    let e = validate(&c, &s.raw.ranking, &s.profiles, &mut |m| problems.push(m));
    assert!(problems.is_empty());
    for prof in e.arms[0].profiles.values() {
        assert!(prof.max_call_attempts_7d <= 2 && prof.max_call_attempts_7d > 0);
    }
    c.arms
        .get_mut("champion")
        .unwrap()
        .policy
        .max_call_attempts_7d = Some(0);
    c.arms.get_mut("champion").unwrap().ranking = toml::toml! { not_a_key = 1.0 };
    let mut problems = Vec::new();
    validate(&c, &s.raw.ranking, &s.profiles, &mut |m| problems.push(m));
    assert_eq!(problems.len(), 2, "{problems:?}");
}

#[test]
fn the_holdout_hashes_the_date_as_it_is_written() {
    for d in [
        Date::constant(2026, 3, 2),
        Date::constant(999, 12, 31),
        Date::constant(-5, 1, 1),
        Date::constant(9999, 1, 9),
    ] {
        assert_eq!(&super::date_bytes(d)[..], d.to_string().as_bytes(), "{d}");
    }
}
