//! The engine's settings: the raw configuration (`serde`, unknown keys rejected) and the one step
//! that turns it into validated [`Settings`], reporting every problem at once. Reading the file
//! and the environment is the edge's job (`crate::engine::settings`); nothing here does I/O.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::engine::domain::{Portfolio, Stage};
use crate::engine::workitem::Rule;

/// The base currency's minor-unit exponent: ranking money is in cents of the base.
pub const BASE_MINOR_EXPONENT: i32 = 2;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration could not be read: {0}")]
    Read(String),
    #[error("configuration has {} problem(s):\n  - {}", .0.len(), .0.join("\n  - "))]
    Invalid(Vec<String>),
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub scoring: ScoringConfig,
    pub features: FeatureConfig,
    pub events: EventsConfig,
    pub policy: PolicyConfig,
    pub profiles: BTreeMap<String, ProfileConfig>,
    pub ranking: RankingConfig,
    pub best_time: BestTimeConfig,
    /// The daemon's Kafka settings (read and validated by `daemon::settings`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kafka: Option<toml::Table>,
    /// The daemon's HTTP settings (read and validated by `daemon::settings`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<toml::Table>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScoringConfig {
    pub willingness_model: String,
    pub ability_model: String,
    pub willing_threshold: f64,
    pub able_threshold: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureConfig {
    pub promise_grace_days: i64,
}

/// `[events]`: what the engine accepts of event time.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EventsConfig {
    /// An event whose `occurred_at` is more than this many hours ahead of the external clock (the
    /// daemon: the wall clock; replay: `--as-of`, when given) is refused as `invalid_field`, so one
    /// bad timestamp cannot move every account's clock.
    pub max_clock_skew_hours: i64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    pub default_profile: String,
    pub letters_enabled: bool,
    pub breathing_space_max_days: i64,
    pub hold_when_blocked_hours: i64,
    pub locate_after_days_without_contact: i64,
    pub locate_min_failed_attempts: u32,
    pub hardship_recent_days: i64,
    pub legal_review_from_stage: String,
    pub legal_review_min_overdue: i64,
    pub portfolio_profiles: BTreeMap<String, String>,
}

/// Who may be called to locate an unreachable debtor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ThirdParties {
    Never,
    Locate,
    LocateWithConsent,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProfileConfig {
    pub version: String,
    pub description: String,
    pub calling_start: String,
    pub calling_end: String,
    pub max_call_attempts_7d: u32,
    pub max_contacts_7d: u32,
    pub max_sms_7d: u32,
    pub max_connected_calls_per_day: u32,
    pub cooldown_after_conversation_days: i64,
    pub hardship_max_call_attempts_7d: u32,
    pub third_parties: ThirdParties,
    pub third_party_attempts_per_person: u32,
    pub third_party_from_stage: String,
    pub callback_exempt_from_caps: bool,
}

impl Default for ProfileConfig {
    /// The `strict` profile's values: a new profile starts from the safest settings.
    fn default() -> Self {
        ProfileConfig {
            version: "1".into(),
            description: String::new(),
            calling_start: "08:00".into(),
            calling_end: "21:00".into(),
            max_call_attempts_7d: 7,
            max_contacts_7d: 0,
            max_sms_7d: 3,
            max_connected_calls_per_day: 3,
            cooldown_after_conversation_days: 7,
            hardship_max_call_attempts_7d: 2,
            third_parties: ThirdParties::LocateWithConsent,
            third_party_attempts_per_person: 1,
            third_party_from_stage: "mid".into(),
            callback_exempt_from_caps: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RankingConfig {
    pub ability_floor: f64,
    pub recovery_half_life_days: f64,
    pub promise_due_today: f64,
    pub payday_soon: f64,
    pub payday_soon_days: i64,
    pub stage_roll: f64,
    pub stage_roll_days: i64,
    pub fresh_delinquency: f64,
    pub fresh_delinquency_max_dpd: i64,
    pub broken_promise: f64,
    pub broken_promise_recent_days: i64,
    pub min_reach_probability: f64,
    pub third_party_effort: f64,
    pub letter_weight: f64,
    pub fx_to_base: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BestTimeConfig {
    pub hourly_prior: Vec<f64>,
}

/// A validated contact-policy profile.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: Arc<str>,
    pub version: Arc<str>,
    /// `<name>@<version>`, as work items report it.
    pub label: Arc<str>,
    /// Calling hours as text, `HH:MM-HH:MM`.
    pub calling_hours: Arc<str>,
    /// Calling hours as minutes after local midnight, [start, end).
    pub calling_start_min: i32,
    pub calling_end_min: i32,
    pub max_call_attempts_7d: u32,
    pub max_contacts_7d: u32,
    pub max_sms_7d: u32,
    pub max_connected_calls_per_day: u32,
    pub cooldown_after_conversation_days: i64,
    pub hardship_max_call_attempts_7d: u32,
    pub third_parties: ThirdParties,
    pub third_party_attempts_per_person: u32,
    pub third_party_from_stage: Stage,
    pub callback_exempt_from_caps: bool,
}

impl Profile {
    /// The id a reason cites for one of this profile's rules.
    pub fn rule(&self, rule: &'static str) -> Rule {
        Rule::Profile {
            profile: self.name.clone(),
            rule,
            version: self.version.clone(),
        }
    }
}

/// Validated settings for the domain core.
#[derive(Debug, Clone)]
pub struct Settings {
    pub raw: RawConfig,
    pub profiles: BTreeMap<String, Profile>,
    pub default_profile: String,
    pub portfolio_profiles: BTreeMap<Portfolio, String>,
    pub legal_review_from_stage: Stage,
    pub hourly_prior: [f64; 24],
}

fn parse_hhmm(s: &str) -> Option<i32> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    ((0..=24).contains(&h) && (0..60).contains(&m) && h * 60 + m <= 1440).then_some(h * 60 + m)
}

fn parse_stage(s: &str) -> Option<Stage> {
    Stage::parse(s)
}

impl Settings {
    /// Turns raw configuration into settings, collecting every problem.
    pub fn validate(raw: RawConfig) -> Result<Settings, ConfigError> {
        let mut problems = Vec::new();
        let mut p = |s: String| problems.push(s);
        for (k, v) in [
            ("scoring.willing_threshold", raw.scoring.willing_threshold),
            ("scoring.able_threshold", raw.scoring.able_threshold),
            ("ranking.ability_floor", raw.ranking.ability_floor),
            (
                "ranking.min_reach_probability",
                raw.ranking.min_reach_probability,
            ),
            ("ranking.letter_weight", raw.ranking.letter_weight),
        ] {
            if !(0.0..=1.0).contains(&v) {
                p(format!("{k} = {v} must be within [0, 1]"));
            }
        }
        if raw.ranking.min_reach_probability <= 0.0 {
            p("ranking.min_reach_probability must be above 0".into());
        }
        for (k, v) in [
            ("ranking.promise_due_today", raw.ranking.promise_due_today),
            ("ranking.payday_soon", raw.ranking.payday_soon),
            ("ranking.stage_roll", raw.ranking.stage_roll),
            ("ranking.fresh_delinquency", raw.ranking.fresh_delinquency),
            ("ranking.broken_promise", raw.ranking.broken_promise),
            ("ranking.third_party_effort", raw.ranking.third_party_effort),
            (
                "ranking.recovery_half_life_days",
                raw.ranking.recovery_half_life_days,
            ),
        ] {
            if !(v.is_finite() && v > 0.0) {
                p(format!("{k} = {v} must be a positive number"));
            }
        }
        for (k, v) in [
            (
                "features.promise_grace_days",
                raw.features.promise_grace_days,
            ),
            (
                "policy.breathing_space_max_days",
                raw.policy.breathing_space_max_days,
            ),
            (
                "policy.hold_when_blocked_hours",
                raw.policy.hold_when_blocked_hours,
            ),
            (
                "policy.locate_after_days_without_contact",
                raw.policy.locate_after_days_without_contact,
            ),
            (
                "policy.hardship_recent_days",
                raw.policy.hardship_recent_days,
            ),
            ("ranking.payday_soon_days", raw.ranking.payday_soon_days),
            ("ranking.stage_roll_days", raw.ranking.stage_roll_days),
            (
                "ranking.fresh_delinquency_max_dpd",
                raw.ranking.fresh_delinquency_max_dpd,
            ),
            (
                "ranking.broken_promise_recent_days",
                raw.ranking.broken_promise_recent_days,
            ),
        ] {
            if !(0..=3650).contains(&v) {
                p(format!("{k} = {v} must be within 0..=3650"));
            }
        }
        if !(1..=8760).contains(&raw.events.max_clock_skew_hours) {
            p(format!(
                "events.max_clock_skew_hours = {} must be within 1..=8760",
                raw.events.max_clock_skew_hours
            ));
        }
        if raw.policy.legal_review_min_overdue < 0 {
            p("policy.legal_review_min_overdue must not be negative".into());
        }
        for (cur, w) in &raw.ranking.fx_to_base {
            if !(w.is_finite() && *w > 0.0) {
                p(format!(
                    "ranking.fx_to_base.{cur} = {w} must be a positive number"
                ));
            }
        }
        let legal_stage = parse_stage(&raw.policy.legal_review_from_stage).unwrap_or_else(|| {
            p(format!(
                "policy.legal_review_from_stage = {:?} is not a stage ({})",
                raw.policy.legal_review_from_stage,
                Stage::NAMES.join(", ")
            ));
            Stage::M3
        });
        let mut prior = [0.0; 24];
        if raw.best_time.hourly_prior.len() != 24 {
            p(format!(
                "best_time.hourly_prior has {} values; it needs 24 (one per local hour)",
                raw.best_time.hourly_prior.len()
            ));
        } else {
            for (h, v) in raw.best_time.hourly_prior.iter().enumerate() {
                if !(0.0..=1.0).contains(v) {
                    p(format!(
                        "best_time.hourly_prior[{h}] = {v} must be within [0, 1]"
                    ));
                }
                prior[h] = *v;
            }
        }
        let mut profiles = BTreeMap::new();
        for (name, c) in &raw.profiles {
            let start = parse_hhmm(&c.calling_start);
            let end = parse_hhmm(&c.calling_end);
            if start.is_none() {
                p(format!(
                    "profiles.{name}.calling_start = {:?} is not HH:MM",
                    c.calling_start
                ));
            }
            if end.is_none() {
                p(format!(
                    "profiles.{name}.calling_end = {:?} is not HH:MM",
                    c.calling_end
                ));
            }
            if let (Some(s), Some(e)) = (start, end) {
                if s >= e {
                    p(format!(
                        "profiles.{name}: calling_start must be before calling_end"
                    ));
                }
            }
            if c.version.trim().is_empty() {
                p(format!("profiles.{name}.version must not be empty"));
            }
            if !(0..=60).contains(&c.cooldown_after_conversation_days) {
                p(format!(
                    "profiles.{name}.cooldown_after_conversation_days must be within 0..=60"
                ));
            }
            let stage = match parse_stage(&c.third_party_from_stage) {
                Some(s @ (Stage::PreDue | Stage::Early | Stage::Current)) => {
                    p(format!(
                        "profiles.{name}.third_party_from_stage = {s}: third parties are never contacted in pre_due or early"
                    ));
                    Stage::Mid
                }
                Some(s) => s,
                None => {
                    p(format!(
                        "profiles.{name}.third_party_from_stage = {:?} is not a stage",
                        c.third_party_from_stage
                    ));
                    Stage::Mid
                }
            };
            profiles.insert(
                name.clone(),
                Profile {
                    name: name.as_str().into(),
                    version: c.version.as_str().into(),
                    label: format!("{name}@{}", c.version).into(),
                    calling_hours: format!("{}-{}", c.calling_start, c.calling_end).into(),
                    calling_start_min: start.unwrap_or(8 * 60),
                    calling_end_min: end.unwrap_or(21 * 60),
                    max_call_attempts_7d: c.max_call_attempts_7d,
                    max_contacts_7d: c.max_contacts_7d,
                    max_sms_7d: c.max_sms_7d,
                    max_connected_calls_per_day: c.max_connected_calls_per_day,
                    cooldown_after_conversation_days: c.cooldown_after_conversation_days,
                    hardship_max_call_attempts_7d: c.hardship_max_call_attempts_7d,
                    third_parties: c.third_parties,
                    third_party_attempts_per_person: c.third_party_attempts_per_person,
                    third_party_from_stage: stage,
                    callback_exempt_from_caps: c.callback_exempt_from_caps,
                },
            );
        }
        if !profiles.contains_key(&raw.policy.default_profile) {
            p(format!(
                "policy.default_profile = {:?} names no profile (have: {})",
                raw.policy.default_profile,
                profiles.keys().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        let mut portfolio_profiles = BTreeMap::new();
        for (portfolio, profile) in &raw.policy.portfolio_profiles {
            match Portfolio::parse(portfolio) {
                None => p(format!(
                    "policy.portfolio_profiles.{portfolio}: not a portfolio ({})",
                    Portfolio::NAMES.join(", ")
                )),
                Some(pf) => {
                    if !profiles.contains_key(profile) {
                        p(format!(
                            "policy.portfolio_profiles.{portfolio} = {profile:?} names no profile"
                        ));
                    }
                    portfolio_profiles.insert(pf, profile.clone());
                }
            }
        }
        if Portfolio::NAMES
            .iter()
            .all(|n| raw.policy.portfolio_profiles.contains_key(*n))
        {
            p(format!(
                "policy.default_profile = {:?} is never used: every portfolio has an entry in \
                 policy.portfolio_profiles (remove the entries that should follow the default)",
                raw.policy.default_profile
            ));
        }
        if !problems.is_empty() {
            return Err(ConfigError::Invalid(problems));
        }
        Ok(Settings {
            default_profile: raw.policy.default_profile.clone(),
            raw,
            profiles,
            portfolio_profiles,
            legal_review_from_stage: legal_stage,
            hourly_prior: prior,
        })
    }

    /// The contact-policy profile for a portfolio.
    pub fn profile_for(&self, portfolio: Portfolio) -> &Profile {
        let name = self
            .portfolio_profiles
            .get(&portfolio)
            .unwrap_or(&self.default_profile);
        &self.profiles[name]
    }

    /// Weight that turns minor units of `currency` into base-currency minor units (cents of the
    /// base): `[ranking.fx_to_base]` is the price of one major unit in base major units, and each
    /// side's ISO 4217 minor-unit exponent converts minor to major (¥1 = 1 minor unit, $1 = 100).
    pub fn fx(&self, currency: &str) -> f64 {
        let major_rate = self
            .raw
            .ranking
            .fx_to_base
            .get(currency)
            .copied()
            .unwrap_or(1.0);
        let exponent = crate::engine::domain::minor_unit_exponent(currency) as i32;
        major_rate * 10f64.powi(BASE_MINOR_EXPONENT - exponent)
    }
}

#[cfg(test)]
mod tests {
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
}
