//! The project's explicit JSON model format (`arrears.model.v1`): ordered features with their
//! preprocessing, coefficients, intercept, calibration and metadata; parsed and validated in one
//! step, so a bad file is an error at load, never a panic.

use serde::{Deserialize, Serialize};

use super::drift::ScoreDistribution;
use super::error::{ModelError, MODEL_FORMAT};
pub use super::transform::{Interaction, Transform};

/// The shipped willingness model (`models/willingness.json`), compiled in.
pub const SHIPPED_WILLINGNESS: &str = include_str!("../../../models/willingness.json");

/// The shipped ability model (`models/ability.json`), compiled in.
pub const SHIPPED_ABILITY: &str = include_str!("../../../models/ability.json");

/// One model input: the engine feature it reads and how it enters the linear score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSpec {
    /// The feature's name in [`FEATURE_NAMES`](crate::engine::features::FEATURE_NAMES).
    pub name: String,
    /// Value used when the input is missing (NaN).
    pub impute: f64,
    /// Optional [low, high] clipping before the transform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip: Option<[f64; 2]>,
    /// How the clipped value becomes the model input.
    pub transform: Transform,
    /// Weight of the input in the linear score.
    pub coefficient: f64,
    /// Portfolio mean of the transformed value: explanations measure contributions against it.
    #[serde(default)]
    pub baseline: f64,
}

/// Maps the linear score's probability to a calibrated one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Calibration {
    /// p' = sigmoid(a * logit(p) + b)
    Platt {
        /// Slope on the raw logit.
        a: f64,
        /// Offset added to the scaled logit.
        b: f64,
    },
    /// Piecewise-linear interpolation through increasing points (x: raw probability, y: calibrated).
    Isotonic {
        /// Raw probabilities, increasing.
        x: Vec<f64>,
        /// Calibrated probabilities at `x`, as many.
        y: Vec<f64>,
    },
}

/// A willingness or ability model: a calibrated logistic score over named features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Always `arrears.model.v1`.
    pub format: String,
    /// The model's name (`willingness`, `ability`).
    pub name: String,
    /// Its version, reported in work items' `scores.model_version`.
    pub version: String,
    /// `judgmental_scorecard` (expert weights) or `logistic_regression` (trained).
    pub kind: String,
    /// What the model predicts, in words.
    pub target: String,
    /// Its inputs, in the order `predict_row` takes raw values.
    pub features: Vec<FeatureSpec>,
    /// Pairwise interaction tables added to the linear score (a scorecard's 2-D tables).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interactions: Vec<Interaction>,
    /// Constant term of the linear score.
    pub intercept: f64,
    /// How the logistic probability is calibrated; `None` to use it as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<Calibration>,
    /// Training data, metrics, dates: free-form, for the model card.
    #[serde(default)]
    pub metadata: serde_json::Value,
}

/// The logistic function, 1 / (1 + e^−z).
pub fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Maps a raw probability through a calibration (the same function in training and serving).
pub fn apply_calibration(c: &Calibration, p: f64) -> f64 {
    match c {
        Calibration::Platt { a, b } => {
            let p = p.clamp(1e-12, 1.0 - 1e-12);
            sigmoid(a * (p / (1.0 - p)).ln() + b)
        }
        Calibration::Isotonic { x, y } => {
            let i = x.partition_point(|v| *v <= p);
            if i == 0 {
                y[0]
            } else if i == x.len() {
                y[x.len() - 1]
            } else {
                let (x0, x1, y0, y1) = (x[i - 1], x[i], y[i - 1], y[i]);
                if x1 > x0 {
                    y0 + (y1 - y0) * (p - x0) / (x1 - x0)
                } else {
                    y1
                }
            }
        }
    }
}

impl Model {
    /// Parses and validates a model; `path` names it in errors.
    pub fn from_json(text: &str, path: &str) -> Result<Model, ModelError> {
        let m: Model = serde_json::from_str(text).map_err(|e| ModelError::Parse {
            path: path.into(),
            detail: e.to_string(),
        })?;
        if m.format != MODEL_FORMAT {
            return Err(ModelError::Format {
                path: path.into(),
                found: m.format,
            });
        }
        let invalid = |detail: String| ModelError::Invalid {
            path: path.into(),
            detail,
        };
        if !m.intercept.is_finite() {
            return Err(invalid("intercept is not finite".into()));
        }
        let mut m = m;
        for f in &m.features {
            // `f64::clamp` panics unless low <= high (and neither is NaN).
            let clip_ok = f.clip.is_none_or(|[lo, hi]| lo <= hi);
            if let Err(e) = f.transform.check() {
                return Err(invalid(format!("feature {}: {e}", f.name)));
            }
            if !clip_ok || !f.coefficient.is_finite() || !f.impute.is_finite() {
                return Err(invalid(format!(
                    "feature {}: bad clip, coefficient or impute value",
                    f.name
                )));
            }
        }
        let names: Vec<&str> = m.features.iter().map(|f| f.name.as_str()).collect();
        let mut resolved = Vec::with_capacity(m.interactions.len());
        for t in &m.interactions {
            t.check().map_err(&invalid)?;
            let mut at = [0usize; 2];
            for (k, name) in t.features.iter().enumerate() {
                at[k] = names.iter().position(|n| n == name).ok_or_else(|| {
                    invalid(format!(
                        "interaction {}×{}: {name} is not a feature of the model",
                        t.features[0], t.features[1]
                    ))
                })?;
            }
            resolved.push(at);
        }
        for (t, at) in m.interactions.iter_mut().zip(resolved) {
            t.at = at;
        }
        match &m.calibration {
            Some(Calibration::Isotonic { x, y }) => {
                let finite = x.iter().chain(y).all(|v| v.is_finite());
                if !finite
                    || x.len() != y.len()
                    || x.is_empty()
                    || x.windows(2).any(|w| w[0] > w[1])
                {
                    return Err(invalid(
                        "isotonic calibration needs finite, increasing x and equal lengths".into(),
                    ));
                }
            }
            Some(Calibration::Platt { a, b }) if !(a.is_finite() && b.is_finite()) => {
                return Err(invalid("Platt calibration needs finite a and b".into()));
            }
            _ => {}
        }
        ScoreDistribution::from_metadata(&m.metadata, path)?;
        Ok(m)
    }

    /// The raw value `x` of feature spec `f` after imputation and clipping.
    pub fn cleaned(f: &FeatureSpec, x: f64) -> f64 {
        let x = if x.is_nan() { f.impute } else { x };
        match f.clip {
            Some([lo, hi]) => x.clamp(lo, hi),
            None => x,
        }
    }

    /// The transformed input of feature spec `f` for raw value `x`.
    pub fn input(f: &FeatureSpec, x: f64) -> f64 {
        if x.is_nan() {
            if let Some(v) = f.transform.missing() {
                return v;
            }
        }
        f.transform.apply(Model::cleaned(f, x))
    }

    /// The table value of interaction `t` of this model, `raw(k)` giving model feature k's raw
    /// value.
    pub fn interaction_input(&self, t: &Interaction, raw: &impl Fn(usize) -> f64) -> f64 {
        let [a, b] = t.at;
        t.cell(
            Model::cleaned(&self.features[a], raw(a)),
            Model::cleaned(&self.features[b], raw(b)),
        )
    }

    /// The linear score (log-odds before calibration); `raw(k)` is model feature k's raw value.
    pub fn linear_score(&self, raw: impl Fn(usize) -> f64) -> f64 {
        let mut z = self.intercept;
        for (k, f) in self.features.iter().enumerate() {
            z += f.coefficient * Model::input(f, raw(k));
        }
        for t in &self.interactions {
            z += t.coefficient * self.interaction_input(t, &raw);
        }
        z
    }

    /// Calibrated probability; `raw(k)` is model feature k's raw value.
    pub fn predict_with(&self, raw: impl Fn(usize) -> f64) -> f64 {
        self.calibrate(sigmoid(self.linear_score(raw)))
    }

    /// Probability from raw values in the order of `self.features`.
    pub fn predict_row(&self, raw: impl Iterator<Item = f64>) -> f64 {
        let raw: smallvec::SmallVec<[f64; 64]> = raw.collect();
        self.predict_with(|k| raw[k])
    }

    /// The calibrated probability of raw probability `p`.
    pub fn calibrate(&self, p: f64) -> f64 {
        match &self.calibration {
            None => p,
            Some(c) => apply_calibration(c, p),
        }
    }
}
