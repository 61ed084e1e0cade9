//! Experiments: named arms (a champion and challengers, each with its priority mode, ranking
//! weights, uplift model and tighter contact caps) and the daily randomised holdout, from
//! `[experiments]`; and the assignment of an account to them.
//!
//! Assignment is a stable hash, never a random draw: the arm from the account id alone by
//! weighted rendezvous hashing (each arm scores `-ln(u) / share` with `u` the hash of the salt,
//! the account and the arm; the lowest score wins). Shares are relative weights: raising one
//! arm's share moves accounts only into that arm, as many as its share grew by, and lowering it
//! moves only its own accounts out (to the others in proportion); adding an arm takes only what it
//! gets; the holdout from the account id and the
//! debtor's local date, so that a holdout is a day without calls, redrawn every day. The
//! probability of the assignment is known exactly and published with it (the propensity).
//!
//! Only the decision to call is randomised: a holdout account still gets its holds, its callback,
//! its hardship or complaint follow-up, texts and letters (`policy::route` applies it).

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::engine::profile::{Profile, RankingConfig};

/// How an arm orders its open items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PriorityMode {
    /// The incremental value of the contact from the uplift model (falls back to expected
    /// recovery while the model has too little holdout data).
    Incremental,
    /// Expected recovery with urgency factors (the ranking before uplift).
    ExpectedRecovery,
}

/// The role of an arm in the experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The strategy in production; exactly one arm.
    Champion,
    /// A strategy tested against the champion.
    Challenger,
}

/// `[experiments.arms.<name>.policy]`: contact caps an arm may tighten (never loosen) below
/// every profile's.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ArmPolicy {
    /// Call attempts per account in any rolling 7 days, at most the profile's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_call_attempts_7d: Option<u32>,
    /// Calls plus texts per account in any rolling 7 days, at most the profile's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_contacts_7d: Option<u32>,
    /// Texts per account in any rolling 7 days, at most the profile's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_sms_7d: Option<u32>,
}

/// `[experiments.arms.<name>]`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ArmConfig {
    /// Champion or challenger.
    pub role: Role,
    /// Relative share of the accounts outside the holdout (shares need not sum to 1).
    pub share: f64,
    /// How the arm orders its items.
    pub priority: PriorityMode,
    /// The uplift model file of this arm; empty: `[scoring].uplift_model`.
    #[serde(default)]
    pub uplift_model: String,
    /// Overrides of `[ranking]` for this arm (any of its keys).
    #[serde(default, skip_serializing_if = "toml::Table::is_empty")]
    pub ranking: toml::Table,
    /// Tighter contact caps.
    #[serde(default)]
    pub policy: ArmPolicy,
}

/// `[experiments]`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExperimentsConfig {
    /// Share of accounts in the daily holdout (not called that day), in [0, 0.5].
    pub holdout_share: f64,
    /// Salt of the assignment hashes: changing it reassigns everyone.
    pub salt: String,
    /// An incremental arm ranks by expected recovery until its uplift model was fitted on at least
    /// this many holdout (not-called) rows.
    pub min_holdout_rows: u64,
    /// The arms by name.
    pub arms: BTreeMap<String, ArmConfig>,
}

impl Default for ExperimentsConfig {
    fn default() -> ExperimentsConfig {
        let mut arms = BTreeMap::new();
        arms.insert(
            "champion".to_owned(),
            ArmConfig {
                role: Role::Champion,
                share: 1.0,
                priority: PriorityMode::Incremental,
                uplift_model: String::new(),
                ranking: toml::Table::new(),
                policy: ArmPolicy::default(),
            },
        );
        ExperimentsConfig {
            holdout_share: 0.0,
            salt: "arrears".to_owned(),
            min_holdout_rows: 2000,
            arms,
        }
    }
}

/// One validated arm.
#[derive(Debug, Clone)]
pub struct Arm {
    /// Its name (the key of `[experiments.arms]`).
    pub name: Arc<str>,
    /// Champion or challenger.
    pub role: Role,
    /// Its share of the accounts outside the holdout, normalised to sum to 1 over the arms.
    pub share: f64,
    /// How it orders its items.
    pub priority: PriorityMode,
    /// Its ranking weights (`[ranking]` with the arm's overrides).
    pub ranking: RankingConfig,
    /// The contact-policy profiles with the arm's tighter caps, by profile name.
    pub profiles: BTreeMap<String, Profile>,
}

/// The validated experiment.
#[derive(Debug, Clone)]
pub struct Experiments {
    /// Share of the daily holdout.
    pub holdout_share: f64,
    /// Salt of the hashes.
    pub salt: String,
    /// Holdout rows an uplift model needs before an incremental arm uses it.
    pub min_holdout_rows: u64,
    /// The arms in name order (only those with a positive share).
    pub arms: Vec<Arm>,
}

/// The name published for the holdout.
pub const HOLDOUT: &str = "holdout";

/// An account's assignment on one day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assignment {
    /// Index into [`Experiments::arms`]: the arm whose strategy applies (also on holdout days, for
    /// everything but the decision to call).
    pub arm: usize,
    /// In the holdout today: not called.
    pub holdout: bool,
    /// Probability of this assignment (the arm's share × not held out, or the holdout share).
    pub probability: f64,
}

/// FNV-1a over the parts (separated), finished with a SplitMix64 mix: stable across platforms,
/// builds and runs.
pub fn stable_hash(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.iter().chain(std::iter::once(&0xff)) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// `YYYY-MM-DD` of a date (what `Date`'s `Display` writes), without allocating for the years
/// 0–9999; other years fall back to `Display`.
fn date_bytes(day: Date) -> smallvec::SmallVec<[u8; 16]> {
    let (y, m, d) = (day.year(), day.month(), day.day());
    if !(0..=9999).contains(&y) {
        return day.to_string().into_bytes().into_iter().collect();
    }
    let digit = |v: i32| b'0' + v as u8;
    let (y, m, d) = (i32::from(y), i32::from(m), i32::from(d));
    smallvec::SmallVec::from_slice(&[
        digit(y / 1000),
        digit(y / 100 % 10),
        digit(y / 10 % 10),
        digit(y % 10),
        b'-',
        digit(m / 10),
        digit(m % 10),
        b'-',
        digit(d / 10),
        digit(d % 10),
    ])
}

/// A hash as a uniform number in (0, 1).
fn unit(h: u64) -> f64 {
    ((h >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

impl Experiments {
    /// The arm of an account (independent of the day).
    pub fn arm_of(&self, account_id: &str) -> usize {
        let mut best = (f64::INFINITY, 0);
        for (i, arm) in self.arms.iter().enumerate() {
            let u = unit(stable_hash(&[
                self.salt.as_bytes(),
                account_id.as_bytes(),
                arm.name.as_bytes(),
            ]));
            let score = -u.ln() / arm.share;
            if score < best.0 {
                best = (score, i);
            }
        }
        best.1
    }

    /// Whether the account is in the holdout on local date `day`.
    pub fn in_holdout(&self, account_id: &str, day: Date) -> bool {
        if self.holdout_share <= 0.0 {
            return false;
        }
        let d = date_bytes(day);
        unit(stable_hash(&[
            self.salt.as_bytes(),
            account_id.as_bytes(),
            b"holdout",
            &d,
        ])) < self.holdout_share
    }

    /// The account's assignment on local date `day`.
    pub fn assign(&self, account_id: &str, day: Date) -> Assignment {
        let arm = self.arm_of(account_id);
        let holdout = self.in_holdout(account_id, day);
        let probability = if holdout {
            self.holdout_share
        } else {
            self.arms[arm].share * (1.0 - self.holdout_share)
        };
        Assignment {
            arm,
            holdout,
            probability,
        }
    }

    /// The published arm name of an assignment.
    pub fn label(&self, a: &Assignment) -> Arc<str> {
        if a.holdout {
            HOLDOUT.into()
        } else {
            self.arms[a.arm].name.clone()
        }
    }
}

/// Validates `[experiments]` against the profiles and `[ranking]`, pushing every problem.
pub fn validate(
    c: &ExperimentsConfig,
    ranking: &RankingConfig,
    profiles: &BTreeMap<String, Profile>,
    p: &mut dyn FnMut(String),
) -> Experiments {
    if !(0.0..=0.5).contains(&c.holdout_share) {
        p(format!(
            "experiments.holdout_share = {} must be within [0, 0.5]",
            c.holdout_share
        ));
    }
    if c.salt.is_empty() {
        p("experiments.salt must not be empty".into());
    }
    let champions = c.arms.values().filter(|a| a.role == Role::Champion).count();
    if champions != 1 {
        p(format!(
            "experiments.arms: exactly one arm must be the champion (found {champions})"
        ));
    }
    let total: f64 = c
        .arms
        .values()
        .map(|a| a.share)
        .filter(|s| s.is_finite() && *s > 0.0)
        .sum();
    if total <= 0.0 {
        p("experiments.arms: at least one arm needs a positive share".into());
    }
    let mut arms = Vec::new();
    for (name, a) in &c.arms {
        let key = format!("experiments.arms.{name}");
        if name == HOLDOUT
            || name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        {
            p(format!(
                "{key}: an arm's name is lower-case letters, digits, _ and - (and not {HOLDOUT:?})"
            ));
        }
        if !(a.share.is_finite() && a.share >= 0.0) {
            p(format!("{key}.share = {} must be ≥ 0", a.share));
            continue;
        }
        for (field, cap) in [
            ("max_call_attempts_7d", a.policy.max_call_attempts_7d),
            ("max_contacts_7d", a.policy.max_contacts_7d),
            ("max_sms_7d", a.policy.max_sms_7d),
        ] {
            if cap == Some(0) {
                p(format!(
                    "{key}.policy.{field} = 0 would lift the cap: an arm may only tighten the law"
                ));
            }
        }
        let mut tightened = BTreeMap::new();
        for (pname, prof) in profiles {
            let mut prof = prof.clone();
            for (cap, current) in [
                (
                    a.policy.max_call_attempts_7d,
                    &mut prof.max_call_attempts_7d,
                ),
                (a.policy.max_contacts_7d, &mut prof.max_contacts_7d),
                (a.policy.max_sms_7d, &mut prof.max_sms_7d),
            ] {
                if let Some(cap) = cap.filter(|c| *c > 0 && (*current == 0 || c < current)) {
                    *current = cap;
                }
            }
            tightened.insert(pname.clone(), prof);
        }
        let ranking = match merged_ranking(ranking, &a.ranking) {
            Ok(r) => r,
            Err(e) => {
                p(format!("{key}.ranking: {e}"));
                continue;
            }
        };
        if a.share > 0.0 {
            arms.push(Arm {
                name: name.as_str().into(),
                role: a.role,
                share: a.share / total.max(f64::MIN_POSITIVE),
                priority: a.priority,
                ranking,
                profiles: tightened,
            });
        }
    }
    Experiments {
        holdout_share: c.holdout_share.clamp(0.0, 0.5),
        salt: c.salt.clone(),
        min_holdout_rows: c.min_holdout_rows,
        arms,
    }
}

/// `[ranking]` with an arm's overrides, checked like `[ranking]`.
fn merged_ranking(base: &RankingConfig, overrides: &toml::Table) -> Result<RankingConfig, String> {
    if overrides.is_empty() {
        return Ok(base.clone());
    }
    let mut table = toml::Table::try_from(base).map_err(|e| e.to_string())?;
    for (k, v) in overrides {
        if !table.contains_key(k) {
            return Err(format!("{k} is not a [ranking] key"));
        }
        table.insert(k.clone(), v.clone());
    }
    let r: RankingConfig = table
        .try_into()
        .map_err(|e: toml::de::Error| e.to_string())?;
    for (k, v) in [
        ("ability_floor", r.ability_floor),
        ("min_reach_probability", r.min_reach_probability),
        ("letter_weight", r.letter_weight),
    ] {
        if !(0.0..=1.0).contains(&v) {
            return Err(format!("{k} = {v} must be within [0, 1]"));
        }
    }
    Ok(r)
}

#[cfg(test)]
#[path = "experiments_tests.rs"]
mod tests;
