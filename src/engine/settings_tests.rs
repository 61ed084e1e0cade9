//! Tests of the settings: the shipped configuration and problems reported all at once.

use super::*;

#[test]
fn shipped_config_is_valid_and_has_every_profile() {
    let s = Settings::defaults();
    for name in ["strict", "us_reg_f", "us_ma", "cn_nifa", "uk_conc"] {
        assert!(s.profiles.contains_key(name), "{name}");
    }
    assert_eq!(&*s.profile_for(Portfolio::Consumer).name, "strict");
    assert_eq!(s.profiles["cn_nifa"].calling_end_min, 22 * 60);
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut raw = Settings::defaults().raw;
    raw.scoring.willing_threshold = 1.5;
    raw.policy.default_profile = "nowhere".into();
    raw.profiles.get_mut("strict").unwrap().calling_start = "25:00".into();
    raw.profiles
        .get_mut("us_ma")
        .unwrap()
        .third_party_from_stage = "early".into();
    raw.best_time.hourly_prior.pop();
    let Err(ConfigError::Invalid(problems)) = Settings::validate(raw) else {
        panic!("invalid config accepted");
    };
    assert_eq!(problems.len(), 5, "{problems:#?}");
}
