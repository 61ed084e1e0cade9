//! The uplift model (`arrears.uplift.v1`): the incremental effect of a call on the probability
//! that the account pays, learned from randomised holdout rows.
//!
//! An S-learner logistic model with treatment interactions: with `x` the standardised inputs (the
//! engine's features and the two scores) and `t` = 1 when the account is called,
//!
//! `logit P(pay within the horizon) = b0 + w·x + t × (c0 + v·z)`
//!
//! where `z` are the effect drivers (reachability, recent calls, days past due, willingness,
//! ability, promise state, payday …), a subset of `x`. The call's incremental probability is
//! `σ(b0 + w·x + c0 + v·z) − σ(b0 + w·x)`; money follows from the amount at stake and the share of
//! it a paying account pays (`paid_share`). The file also says how many treated and holdout rows
//! it was fitted on, so that the engine can refuse a model with too little holdout data.

use serde::{Deserialize, Serialize};

use super::error::ModelError;
use crate::engine::features::{FEATURE_NAMES, N_FEATURES};

/// The format tag of uplift model files.
pub const UPLIFT_FORMAT: &str = "arrears.uplift.v1";

/// The uplift model shipped in the binary (`models/uplift.json`).
pub const SHIPPED_UPLIFT: &str = include_str!("../../../models/uplift.json");

/// Inputs beyond the feature vector: the two scores.
pub const SCORE_INPUTS: [&str; 2] = ["willingness", "ability"];

/// One standardised input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpliftInput {
    /// A feature name or `willingness` / `ability`.
    pub name: String,
    /// Clipping before standardisation.
    pub clip: [f64; 2],
    /// Subtracted.
    pub center: f64,
    /// Divided by (never 0).
    pub scale: f64,
}

/// A linear part: intercept and one coefficient per input it reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Linear {
    /// Intercept.
    pub intercept: f64,
    /// Coefficients, one per entry of `inputs` (base) or of `drivers` (effect).
    pub coefficients: Vec<f64>,
}

/// How many rows the model was fitted on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rows {
    /// Rows in which the account was called.
    pub treated: u64,
    /// Rows in which it was not (the holdout).
    pub control: u64,
}

/// An uplift model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpliftModel {
    /// Always [`UPLIFT_FORMAT`].
    pub format: String,
    /// Published on items and decision records.
    pub version: String,
    /// `s_learner_logistic`.
    pub kind: String,
    /// What the label means.
    pub target: String,
    /// Days after the decision over which payments count.
    pub horizon_days: u32,
    /// Share of the amount at stake a paying account pays within the horizon (mean over paying
    /// rows).
    pub paid_share: f64,
    /// The rows behind the fit.
    pub rows: Rows,
    /// The inputs, standardised.
    pub inputs: Vec<UpliftInput>,
    /// `b0 + w·x`: the no-call log-odds.
    pub base: Linear,
    /// Names (a subset of `inputs`) the call's effect depends on.
    pub drivers: Vec<String>,
    /// `c0 + v·z`: the call's effect on the log-odds.
    pub effect: Linear,
    /// How the fit went (not read by the engine).
    #[serde(default)]
    pub metadata: serde_json::Value,
}

/// An uplift model bound to the engine's inputs.
#[derive(Debug, Clone)]
pub struct BoundUplift {
    /// The model as read.
    pub model: UpliftModel,
    /// Published version.
    pub version: std::sync::Arc<str>,
    slots: Vec<usize>,
    drivers: Vec<usize>,
}

/// The probability of a payment with and without a call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Uplift {
    /// If not called.
    pub p_otherwise: f64,
    /// If called now.
    pub p_called: f64,
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Where an input name reads from: feature index, or `N_FEATURES + k` for score `k`.
fn slot(name: &str) -> Option<usize> {
    FEATURE_NAMES.iter().position(|n| *n == name).or_else(|| {
        SCORE_INPUTS
            .iter()
            .position(|n| *n == name)
            .map(|k| N_FEATURES + k)
    })
}

impl BoundUplift {
    /// Parses, validates and binds a model file's text.
    pub fn from_json(text: &str, path: &str) -> Result<BoundUplift, ModelError> {
        let invalid = |detail: String| ModelError::Invalid {
            path: path.to_owned(),
            detail,
        };
        let model: UpliftModel = serde_json::from_str(text).map_err(|e| ModelError::Parse {
            path: path.to_owned(),
            detail: e.to_string(),
        })?;
        if model.format != UPLIFT_FORMAT {
            return Err(ModelError::Format {
                path: path.to_owned(),
                found: model.format,
            });
        }
        let mut slots = Vec::with_capacity(model.inputs.len());
        let mut unknown = Vec::new();
        for i in &model.inputs {
            match slot(&i.name) {
                Some(s) => slots.push(s),
                None => unknown.push(i.name.clone()),
            }
            if !(i.scale.is_finite() && i.scale > 0.0 && i.center.is_finite()) {
                return Err(invalid(format!("input {}: bad center or scale", i.name)));
            }
            if !(i.clip[0].is_finite() && i.clip[1].is_finite() && i.clip[0] <= i.clip[1]) {
                return Err(invalid(format!("input {}: bad clip", i.name)));
            }
        }
        if !unknown.is_empty() {
            return Err(ModelError::FeatureMismatch {
                path: path.to_owned(),
                unknown,
                known: format!("{}, {}", FEATURE_NAMES.join(", "), SCORE_INPUTS.join(", ")),
            });
        }
        let drivers = model
            .drivers
            .iter()
            .map(|d| {
                model
                    .inputs
                    .iter()
                    .position(|i| &i.name == d)
                    .ok_or_else(|| invalid(format!("driver {d} is not an input")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if model.base.coefficients.len() != model.inputs.len()
            || model.effect.coefficients.len() != drivers.len()
        {
            return Err(invalid(
                "one coefficient per input (base) and per driver (effect)".into(),
            ));
        }
        let all = [
            model.base.intercept,
            model.effect.intercept,
            model.paid_share,
        ]
        .into_iter()
        .chain(model.base.coefficients.iter().copied())
        .chain(model.effect.coefficients.iter().copied());
        for v in all {
            if !v.is_finite() {
                return Err(invalid("non-finite number".into()));
            }
        }
        if !(0.0..=1.0).contains(&model.paid_share) {
            return Err(invalid("paid_share must be within [0, 1]".into()));
        }
        Ok(BoundUplift {
            version: model.version.as_str().into(),
            model,
            slots,
            drivers,
        })
    }

    /// The standardised inputs of a feature vector and its two scores.
    fn inputs(&self, v: &[f64; N_FEATURES], scores: [f64; 2]) -> smallvec::SmallVec<[f64; 48]> {
        self.model
            .inputs
            .iter()
            .zip(&self.slots)
            .map(|(i, &slot)| {
                let raw = if slot < N_FEATURES {
                    v[slot]
                } else {
                    scores[slot - N_FEATURES]
                };
                let raw = if raw.is_finite() { raw } else { i.center };
                (raw.clamp(i.clip[0], i.clip[1]) - i.center) / i.scale
            })
            .collect()
    }

    /// P(pay within the horizon) if not called and if called now, from the feature vector and
    /// the willingness and ability scores.
    pub fn predict(&self, v: &[f64; N_FEATURES], willingness: f64, ability: f64) -> Uplift {
        let x = self.inputs(v, [willingness, ability]);
        let base = self.model.base.intercept
            + x.iter()
                .zip(&self.model.base.coefficients)
                .map(|(x, w)| x * w)
                .sum::<f64>();
        let effect = self.model.effect.intercept
            + self
                .drivers
                .iter()
                .zip(&self.model.effect.coefficients)
                .map(|(&d, w)| x[d] * w)
                .sum::<f64>();
        Uplift {
            p_otherwise: sigmoid(base),
            p_called: sigmoid(base + effect),
        }
    }

    /// The holdout rows the model was fitted on.
    pub fn holdout_rows(&self) -> u64 {
        self.model.rows.control
    }
}
