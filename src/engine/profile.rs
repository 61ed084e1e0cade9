//! The validated contact-policy profile ([`Profile`]), who may be called to locate a debtor
//! ([`ThirdParties`]) and `[ranking]` ([`RankingConfig`]): the settings types that experiment
//! arms vary, apart from the loader so that `settings` and `experiments` both read them.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::engine::domain::Stage;
use crate::engine::workitem::Rule;

/// Who may be called to locate an unreachable debtor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ThirdParties {
    /// No third party is ever contacted.
    Never,
    /// Any third-party contact may be called, to locate the debtor only.
    Locate,
    /// Only third-party contacts with `consent_to_contact`, to locate the debtor only.
    LocateWithConsent,
}

/// `[ranking]`: how expected recovery and priority are computed.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RankingConfig {
    /// Ability-independent share of P(pay) = willingness × (floor + (1 − floor) × ability).
    pub ability_floor: f64,
    /// Days past due over which recoverability halves.
    pub recovery_half_life_days: f64,
    /// Priority multiplier when a promise falls due today.
    pub promise_due_today: f64,
    /// Priority multiplier when the next payday is within `payday_soon_days`.
    pub payday_soon: f64,
    /// Days before a known payday in which `payday_soon` applies.
    pub payday_soon_days: i64,
    /// Priority multiplier when the account is about to roll into the next stage.
    pub stage_roll: f64,
    /// Days before the next stage boundary in which `stage_roll` applies.
    pub stage_roll_days: i64,
    /// Priority multiplier for a fresh delinquency (up to `fresh_delinquency_max_dpd`).
    pub fresh_delinquency: f64,
    /// Days past due up to which `fresh_delinquency` applies.
    pub fresh_delinquency_max_dpd: i64,
    /// Priority multiplier after a recently broken promise.
    pub broken_promise: f64,
    /// Days since a promise broke in which `broken_promise` applies.
    pub broken_promise_recent_days: i64,
    /// Floor of the right-party reach probability that divides priority (effort = 1 / P(reach)).
    pub min_reach_probability: f64,
    /// Effort of locating through a third party, in debtor attempts.
    pub third_party_effort: f64,
    /// Factor that scales a letter's priority (letters take no dialer capacity).
    pub letter_weight: f64,
    /// Currency → value of one major unit in base major units (unlisted: 1.0).
    pub fx_to_base: BTreeMap<String, f64>,
}

/// A validated contact-policy profile.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The profile's name, the key of its `[profiles.*]` table.
    pub name: Arc<str>,
    /// The profile's configured version.
    pub version: Arc<str>,
    /// `<name>@<version>`, as work items report it.
    pub label: Arc<str>,
    /// Calling hours as text, `HH:MM-HH:MM`.
    pub calling_hours: Arc<str>,
    /// Calling hours as minutes after local midnight, [start, end).
    pub calling_start_min: i32,
    /// End of calling hours in minutes after local midnight (exclusive).
    pub calling_end_min: i32,
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
    /// Who may be called to locate an unreachable debtor.
    pub third_parties: ThirdParties,
    /// Attempts per third party over the account's lifetime.
    pub third_party_attempts_per_person: u32,
    /// Earliest stage in which third parties may be contacted (never `pre_due` or `early`).
    pub third_party_from_stage: Stage,
    /// Whether a debtor-requested callback is exempt from the caps and cool-down.
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
