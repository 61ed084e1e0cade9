//! The engine's settings: the raw configuration (`serde`, unknown keys rejected) and the one step
//! that turns it into validated [`Settings`], reporting every problem at once. Reading the file
//! and the environment is the edge's job (`crate::engine::settings`); nothing here does I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::domain::{Portfolio, Stage};
pub use crate::engine::profile::{Profile, RankingConfig, ThirdParties};

/// The base currency's minor-unit exponent: ranking money is in cents of the base.
pub const BASE_MINOR_EXPONENT: i32 = 2;

/// Why the configuration could not become [`Settings`].
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A layer (file, environment) could not be read or parsed; the message says which and why.
    #[error("configuration could not be read: {0}")]
    Read(String),
    /// The configuration was read but breaks rules; one message per problem, all reported at once.
    #[error("configuration has {} problem(s):\n  - {}", .0.len(), .0.join("\n  - "))]
    Invalid(Vec<String>),
}

impl ConfigError {
    /// The problems of both (a read error stands alone: it comes first).
    pub fn merge(a: Option<ConfigError>, b: Option<ConfigError>) -> ConfigError {
        match (a, b) {
            (Some(ConfigError::Invalid(mut x)), Some(ConfigError::Invalid(y))) => {
                for p in y {
                    if !x.contains(&p) {
                        x.push(p);
                    }
                }
                ConfigError::Invalid(x)
            }
            (Some(e @ ConfigError::Read(_)), _) | (_, Some(e @ ConfigError::Read(_))) => e,
            (Some(e), None) | (None, Some(e)) => e,
            (None, None) => ConfigError::Invalid(Vec::new()),
        }
    }
}

/// The whole configuration as read (defaults, `--config`, `ARREARS_*`), before validation.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// `[scoring]`: the willingness and ability models and the segment thresholds.
    pub scoring: ScoringConfig,
    /// `[features]`: how features are computed from the account's events.
    pub features: FeatureConfig,
    /// `[events]`: what the engine accepts of event time.
    pub events: EventsConfig,
    /// `[policy]`: the contact policy's choices that apply across profiles.
    pub policy: PolicyConfig,
    /// `[profiles.*]`: the contact-policy profiles by name (`strict`, `us_reg_f` …).
    pub profiles: BTreeMap<String, ProfileConfig>,
    /// `[ranking]`: expected recovery, urgency multipliers, effort and exchange rates.
    pub ranking: RankingConfig,
    /// `[best_time]`: the portfolio prior for when calls are answered.
    pub best_time: BestTimeConfig,
    /// `[experiments]`: arms (champion, challengers) and the daily holdout.
    #[serde(default)]
    pub experiments: crate::engine::experiments::ExperimentsConfig,
    /// The daemon's Kafka settings (read and validated by `daemon::settings`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kafka: Option<toml::Table>,
    /// The daemon's HTTP settings (read and validated by `daemon::settings`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<toml::Table>,
}

/// `[scoring]`: which willingness and ability models to load and where the segments split.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScoringConfig {
    /// Path of the willingness model file; empty for the model shipped in the binary.
    pub willingness_model: String,
    /// Path of the ability model file; empty for the model shipped in the binary.
    pub ability_model: String,
    /// Path of the uplift model file (the incremental effect of a call); empty for the model
    /// shipped in the binary.
    #[serde(default)]
    pub uplift_model: String,
    /// An account is willing when its willingness score is at least this, in [0, 1].
    pub willing_threshold: f64,
    /// An account is able when its ability score is at least this, in [0, 1].
    pub able_threshold: f64,
}

/// `[features]`: settings of the per-account feature computation.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureConfig {
    /// Days after a promise's due date (local calendar) in which payments still keep it.
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
    /// Days after its closure an account is forgotten (its state dropped, a changelog tombstone
    /// written; an event after that starts a new account). 0: never.
    pub closed_retention_days: i64,
}

/// `[policy]`: contact-policy settings shared by every profile.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// The profile for accounts whose portfolio has no entry in `portfolio_profiles`.
    pub default_profile: String,
    /// Serve letters when no number may be dialled; `false` holds with `no_contact_point`.
    pub letters_enabled: bool,
    /// Days after a `breathing_space` flag was set that its hold ends, unless cleared sooner.
    pub breathing_space_max_days: i64,
    /// Hours ahead beyond which an open item whose next lawful window is that far becomes
    /// `held/contact_cap`.
    pub hold_when_blocked_hours: i64,
    /// Days without a right-party contact after which the debtor counts as unreachable.
    pub locate_after_days_without_contact: i64,
    /// Failed calls since the last right-party contact also needed for the debtor to be
    /// unreachable.
    pub locate_min_failed_attempts: u32,
    /// Days a hardship disclosed in a call keeps the account on `hardship_plan`.
    pub hardship_recent_days: i64,
    /// Stage name from which `unwilling_able` accounts move to `legal_review`.
    pub legal_review_from_stage: String,
    /// Overdue (base-currency minor units) from which `unwilling_unable` may get `legal_review`.
    pub legal_review_min_overdue: i64,
    /// Portfolio name → profile name, for portfolios that do not follow `default_profile`.
    pub portfolio_profiles: BTreeMap<String, String>,
}

/// `[profiles.<name>]`: one contact-policy profile as configured (each field says what 0 means).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProfileConfig {
    /// The profile's version, cited with its rule ids (`<profile>.<rule>@<version>`).
    pub version: String,
    /// What the profile implements (the regulation it follows), for people.
    pub description: String,
    /// Start of local calling hours, `HH:MM` in the debtor's time zone (inclusive).
    pub calling_start: String,
    /// End of local calling hours, `HH:MM` in the debtor's time zone (exclusive).
    pub calling_end: String,
    /// Call attempts per account in any rolling 7 days (0: no numeric cap).
    pub max_call_attempts_7d: u32,
    /// Calls plus SMS per account in any rolling 7 days (0: no such cap).
    pub max_contacts_7d: u32,
    /// SMS per account in any rolling 7 days (0: no such cap).
    pub max_sms_7d: u32,
    /// Answered calls per local day (0: no such cap).
    pub max_connected_calls_per_day: u32,
    /// Local days without calls after a right-party conversation, its date being day 1 (0: none).
    pub cooldown_after_conversation_days: i64,
    /// Call attempts per rolling 7 days in hardship (0: the same as `max_call_attempts_7d`).
    pub hardship_max_call_attempts_7d: u32,
    /// Who may be called to locate an unreachable debtor (always with disclosure `none`).
    pub third_parties: ThirdParties,
    /// Attempts per third party over the account's lifetime.
    pub third_party_attempts_per_person: u32,
    /// Stage name from which third parties may be contacted (never `pre_due` or `early`).
    pub third_party_from_stage: String,
    /// Whether a debtor-requested callback is exempt from caps and cool-down (not from hours).
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

/// `[best_time]`: the portfolio prior for best time to call.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BestTimeConfig {
    /// Answer rate by local hour (24 values, each in [0, 1]), blended with the account's own.
    pub hourly_prior: Vec<f64>,
}

/// Validated settings for the domain core.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The configuration as read, for the values used as they are.
    pub raw: RawConfig,
    /// Validated profiles by name.
    pub profiles: BTreeMap<String, Profile>,
    /// Name of the profile for portfolios without their own entry; always a key of `profiles`.
    pub default_profile: String,
    /// Portfolios with their own profile, by profile name (each a key of `profiles`).
    pub portfolio_profiles: BTreeMap<Portfolio, String>,
    /// Stage from which `unwilling_able` accounts move to `legal_review`.
    pub legal_review_from_stage: Stage,
    /// The portfolio's answer-rate prior by local hour (0–23), each in [0, 1].
    pub hourly_prior: [f64; 24],
    /// The arms and the holdout.
    pub experiments: crate::engine::experiments::Experiments,
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
        if !(0..=36_500).contains(&raw.events.closed_retention_days) {
            p(format!(
                "events.closed_retention_days = {} must be within 0..=36500",
                raw.events.closed_retention_days
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
        let experiments =
            crate::engine::experiments::validate(&raw.experiments, &raw.ranking, &profiles, &mut p);
        if !problems.is_empty() {
            return Err(ConfigError::Invalid(problems));
        }
        Ok(Settings {
            experiments,
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
#[path = "settings_tests.rs"]
mod tests;
