//! Scoring: the project's explicit JSON model format and the [`Scorer`] that turns a feature vector
//! into willingness and ability in [0, 1], with per-feature contributions for explanations.
//!
//! Loading never depends on a training library's internals; a model naming a feature the engine
//! does not compute is an error at load ([`ModelError::FeatureMismatch`]), never a panic.
//!
//! A trained model also carries the distribution of its final scores on the rows it was trained
//! on (`metadata.score_distribution`, a [`ScoreDistribution`]); [`psi`] compares live scores with
//! it (population stability index).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::engine::domain::Score;
use crate::engine::features::{FEATURE_NAMES, N_FEATURES};

/// The format tag every model file carries.
pub const MODEL_FORMAT: &str = "arrears.model.v1";

pub const SHIPPED_WILLINGNESS: &str = include_str!("../../../models/willingness.json");
pub const SHIPPED_ABILITY: &str = include_str!("../../../models/ability.json");

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("model {path}: cannot read: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("model {path}: not a valid model file: {detail}")]
    Parse { path: String, detail: String },
    #[error("model {path}: format {found:?} is not {MODEL_FORMAT:?}")]
    Format { path: String, found: String },
    #[error("model {path}: features not computed by this engine: {unknown:?} (known: {known})")]
    FeatureMismatch {
        path: String,
        unknown: Vec<String>,
        known: String,
    },
    #[error("model {path}: {detail}")]
    Invalid { path: String, detail: String },
}

/// How a raw feature value becomes a model input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Transform {
    /// (x - center) / scale
    Standard { center: f64, scale: f64 },
    /// Monotone bins: value `values[i]` for x < edges[i] (first match), `values[edges.len()]` above
    /// (weight of evidence in a classic scorecard).
    Bins { edges: Vec<f64>, values: Vec<f64> },
}

impl Transform {
    pub fn apply(&self, x: f64) -> f64 {
        match self {
            Transform::Standard { center, scale } => (x - center) / scale,
            Transform::Bins { edges, values } => {
                let i = edges.partition_point(|e| *e <= x);
                values[i]
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSpec {
    pub name: String,
    /// Value used when the input is missing (NaN).
    pub impute: f64,
    /// Optional [low, high] clipping before the transform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip: Option<[f64; 2]>,
    pub transform: Transform,
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
    Platt { a: f64, b: f64 },
    /// Piecewise-linear interpolation through increasing points (x: raw probability, y: calibrated).
    Isotonic { x: Vec<f64>, y: Vec<f64> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub format: String,
    pub name: String,
    pub version: String,
    /// `judgmental_scorecard` (expert weights) or `logistic_regression` (trained).
    pub kind: String,
    /// What the model predicts, in words.
    pub target: String,
    pub features: Vec<FeatureSpec>,
    pub intercept: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<Calibration>,
    /// Training data, metrics, dates: free-form, for the model card.
    #[serde(default)]
    pub metadata: serde_json::Value,
}

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

/// The share of a model's final scores (calibrated, clamped to [0, 1] as the engine reports them)
/// in each bin `[edges[i], edges[i + 1])` (the last bin includes 1.0), on the rows the model was
/// trained on: the reference for the population stability index ([`psi`]). Stored in a model file
/// as `metadata.score_distribution`:
/// `{"edges": [0.0, 0.1, …, 1.0], "shares": [..], "rows": n, "fitted_on": "training"}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreDistribution {
    /// Bin edges, strictly increasing from 0 to 1.
    pub edges: Vec<f64>,
    /// One non-negative share per bin (`edges.len() - 1` of them), summing to 1.
    pub shares: Vec<f64>,
}

/// Shares (reference or live) below this count as this in [`psi`], so an empty bin adds a large
/// but finite term instead of an infinite one.
pub const PSI_EPSILON: f64 = 1e-4;

/// How far the shares of a stored distribution may sum away from 1.
const SHARES_TOLERANCE: f64 = 1e-6;

impl ScoreDistribution {
    /// The ten equal-width bins of [0, 1]: edges 0.0, 0.1, …, 1.0 (each `i / 10`, so they print
    /// as written).
    pub fn decile_edges() -> Vec<f64> {
        (0..=10).map(|i| f64::from(i) / 10.0).collect()
    }

    /// The number of bins.
    pub fn bins(&self) -> usize {
        self.shares.len()
    }

    /// The bin of `score`: `i` with `edges[i] <= score < edges[i + 1]`, 1.0 in the last bin.
    /// The score is first clamped to [0, 1] as [`Score::new`] does (NaN counts as 0).
    pub fn bin(&self, score: f64) -> usize {
        bin_of(&self.edges, score)
    }

    /// The distribution of `scores` over `edges` (strictly increasing from 0 to 1, at least two)
    /// and the number of scores; `None` when there are none.
    pub fn of_scores(
        edges: Vec<f64>,
        scores: impl IntoIterator<Item = f64>,
    ) -> Option<(ScoreDistribution, u64)> {
        assert!(edges.len() >= 2, "a score distribution needs two edges");
        let mut counts = vec![0u64; edges.len() - 1];
        for s in scores {
            counts[bin_of(&edges, s)] += 1;
        }
        let n: u64 = counts.iter().sum();
        if n == 0 {
            return None;
        }
        let shares = counts.iter().map(|&c| c as f64 / n as f64).collect();
        Some((ScoreDistribution { edges, shares }, n))
    }

    /// Reads `metadata.score_distribution` (`None` when absent or null), checking that the edges
    /// increase strictly from 0 to 1 and the shares, one per bin, are non-negative and sum to 1.
    fn from_metadata(
        metadata: &serde_json::Value,
        path: &str,
    ) -> Result<Option<ScoreDistribution>, ModelError> {
        let v = match metadata.get("score_distribution") {
            None | Some(serde_json::Value::Null) => return Ok(None),
            Some(v) => v,
        };
        let invalid = |detail: String| ModelError::Invalid {
            path: path.into(),
            detail: format!("metadata.score_distribution: {detail}"),
        };
        #[derive(Deserialize)]
        struct Stored {
            edges: Vec<f64>,
            shares: Vec<f64>,
        }
        let d: Stored = serde_json::from_value(v.clone()).map_err(|e| invalid(e.to_string()))?;
        let (edges, shares) = (d.edges, d.shares);
        if edges.len() < 2 || edges[0] != 0.0 || edges[edges.len() - 1] != 1.0 {
            return Err(invalid(format!(
                "edges must run from 0 to 1 (at least two), got {edges:?}"
            )));
        }
        if !edges.windows(2).all(|w| w[0] < w[1]) {
            return Err(invalid(format!(
                "edges must be strictly increasing, got {edges:?}"
            )));
        }
        if shares.len() != edges.len() - 1 {
            return Err(invalid(format!(
                "{} edges make {} bins but there are {} shares",
                edges.len(),
                edges.len() - 1,
                shares.len()
            )));
        }
        if !shares.iter().all(|s| s.is_finite() && *s >= 0.0) {
            return Err(invalid(format!(
                "shares must be non-negative numbers, got {shares:?}"
            )));
        }
        let sum: f64 = shares.iter().sum();
        if (sum - 1.0).abs() > SHARES_TOLERANCE {
            return Err(invalid(format!("shares must sum to 1, they sum to {sum}")));
        }
        Ok(Some(ScoreDistribution { edges, shares }))
    }
}

/// See [`ScoreDistribution::bin`].
fn bin_of(edges: &[f64], score: f64) -> usize {
    let s = Score::new(score).get();
    edges
        .partition_point(|e| *e <= s)
        .saturating_sub(1)
        .min(edges.len() - 2)
}

/// Population stability index of live scores against a model's reference distribution:
/// Σ (live − reference) × ln(live / reference) over the bins, where `counts[i]` is the number of
/// live scores in bin `i` (binned with [`ScoreDistribution::bin`]) and live = counts[i] / total.
/// Both shares are floored at [`PSI_EPSILON`] (1e-4), so a bin empty on either side adds a large
/// but finite term. Usual reading: below 0.1 stable, 0.1–0.25 watch, above 0.25 act.
///
/// `None` when there are no counts (all zero or empty) or their number is not the number of bins.
pub fn psi(reference: &ScoreDistribution, counts: &[u64]) -> Option<f64> {
    if counts.len() != reference.bins() {
        return None;
    }
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return None;
    }
    Some(
        counts
            .iter()
            .zip(&reference.shares)
            .map(|(&c, &e)| {
                let a = (c as f64 / total as f64).max(PSI_EPSILON);
                let e = e.max(PSI_EPSILON);
                (a - e) * (a / e).ln()
            })
            .sum(),
    )
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
        for f in &m.features {
            let ok = match &f.transform {
                Transform::Standard { center, scale } => {
                    center.is_finite() && scale.is_finite() && *scale != 0.0
                }
                Transform::Bins { edges, values } => {
                    values.len() == edges.len() + 1
                        && edges.windows(2).all(|w| w[0] < w[1])
                        && values.iter().all(|v| v.is_finite())
                }
            };
            if !ok || !f.coefficient.is_finite() || !f.impute.is_finite() {
                return Err(invalid(format!(
                    "feature {}: bad transform or coefficient",
                    f.name
                )));
            }
        }
        if let Some(Calibration::Isotonic { x, y }) = &m.calibration {
            if x.len() != y.len() || x.is_empty() || x.windows(2).any(|w| w[0] > w[1]) {
                return Err(invalid(
                    "isotonic calibration needs increasing x and equal lengths".into(),
                ));
            }
        }
        ScoreDistribution::from_metadata(&m.metadata, path)?;
        Ok(m)
    }

    pub fn load(path: &Path) -> Result<Model, ModelError> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Model::from_json(&text, &path.display().to_string())
    }

    /// The transformed input of feature spec `f` for raw value `x`.
    pub fn input(f: &FeatureSpec, x: f64) -> f64 {
        let mut x = if x.is_nan() { f.impute } else { x };
        if let Some([lo, hi]) = f.clip {
            x = x.clamp(lo, hi);
        }
        f.transform.apply(x)
    }

    /// Probability from a slice of raw values in the order of `self.features`.
    pub fn predict_row(&self, raw: impl Iterator<Item = f64>) -> f64 {
        let z = self.intercept
            + self
                .features
                .iter()
                .zip(raw)
                .map(|(f, x)| f.coefficient * Model::input(f, x))
                .sum::<f64>();
        self.calibrate(sigmoid(z))
    }

    pub fn calibrate(&self, p: f64) -> f64 {
        match &self.calibration {
            None => p,
            Some(c) => apply_calibration(c, p),
        }
    }
}

/// A model bound to the engine's feature vector.
#[derive(Debug, Clone)]
pub struct BoundModel {
    pub model: Model,
    /// For each model feature, its index in the engine's vector.
    index: Vec<usize>,
    /// `metadata.score_distribution`, parsed.
    reference: Option<ScoreDistribution>,
}

impl BoundModel {
    pub fn bind(model: Model, path: &str) -> Result<BoundModel, ModelError> {
        let mut index = Vec::with_capacity(model.features.len());
        let mut unknown = Vec::new();
        for f in &model.features {
            match FEATURE_NAMES.iter().position(|n| *n == f.name) {
                Some(i) => index.push(i),
                None => unknown.push(f.name.clone()),
            }
        }
        if !unknown.is_empty() {
            return Err(ModelError::FeatureMismatch {
                path: path.into(),
                unknown,
                known: FEATURE_NAMES.join(", "),
            });
        }
        let reference = ScoreDistribution::from_metadata(&model.metadata, path)?;
        Ok(BoundModel {
            model,
            index,
            reference,
        })
    }

    /// The distribution of the model's scores on its training rows, for [`psi`]; `None` for a
    /// model without one (e.g. a judgmental scorecard).
    pub fn reference(&self) -> Option<&ScoreDistribution> {
        self.reference.as_ref()
    }

    pub fn predict(&self, v: &[f64; N_FEATURES]) -> f64 {
        self.model.predict_row(self.index.iter().map(|&i| v[i]))
    }

    /// Contribution of each model feature to the linear score, against the portfolio baseline:
    /// (engine feature index, coefficient × (input − baseline)).
    pub fn contributions<'a>(
        &'a self,
        v: &'a [f64; N_FEATURES],
    ) -> impl Iterator<Item = (usize, f64)> + 'a {
        self.model
            .features
            .iter()
            .zip(&self.index)
            .map(move |(f, &i)| (i, f.coefficient * (Model::input(f, v[i]) - f.baseline)))
    }
}

/// Both scores of an account.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    pub willingness: Score,
    pub ability: Score,
}

/// Willingness and ability models, bound to the feature vector.
#[derive(Debug, Clone)]
pub struct Scorer {
    pub willingness: BoundModel,
    pub ability: BoundModel,
    /// What work items report as `scores.model_version`.
    pub model_version: std::sync::Arc<str>,
}

impl Scorer {
    pub fn new(willingness: BoundModel, ability: BoundModel) -> Scorer {
        let (w, a) = (&willingness.model.version, &ability.model.version);
        let model_version = if w == a {
            w.as_str().into()
        } else {
            format!("{w}+{a}").into()
        };
        Scorer {
            willingness,
            ability,
            model_version,
        }
    }

    /// The models compiled into the binary.
    pub fn shipped() -> Result<Scorer, ModelError> {
        let w = Model::from_json(SHIPPED_WILLINGNESS, "models/willingness.json")?;
        let a = Model::from_json(SHIPPED_ABILITY, "models/ability.json")?;
        Ok(Scorer::new(
            BoundModel::bind(w, "models/willingness.json")?,
            BoundModel::bind(a, "models/ability.json")?,
        ))
    }

    /// Loads the configured models; an empty path means the shipped one.
    pub fn load(willingness: &str, ability: &str) -> Result<Scorer, ModelError> {
        let one = |path: &str, shipped: &str, name: &str| -> Result<BoundModel, ModelError> {
            let model = if path.is_empty() {
                Model::from_json(shipped, name)?
            } else {
                Model::load(Path::new(path))?
            };
            BoundModel::bind(model, if path.is_empty() { name } else { path })
        };
        Ok(Scorer::new(
            one(willingness, SHIPPED_WILLINGNESS, "models/willingness.json")?,
            one(ability, SHIPPED_ABILITY, "models/ability.json")?,
        ))
    }

    pub fn score(&self, v: &[f64; N_FEATURES]) -> Scores {
        Scores {
            willingness: Score::new(self.willingness.predict(v)),
            ability: Score::new(self.ability.predict(v)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::features::F;

    fn two_feature_model(name: &str, a: (&str, f64), b: (&str, f64)) -> BoundModel {
        let spec = |(feature, coefficient): (&str, f64)| FeatureSpec {
            name: feature.into(),
            impute: 0.0,
            clip: Some([0.0, 10.0]),
            transform: Transform::Standard {
                center: 0.0,
                scale: 1.0,
            },
            coefficient,
            baseline: 0.0,
        };
        let m = Model {
            format: MODEL_FORMAT.into(),
            name: name.into(),
            version: "t".into(),
            kind: "judgmental_scorecard".into(),
            target: "test".into(),
            features: vec![spec(a), spec(b)],
            intercept: 0.5,
            calibration: None,
            metadata: serde_json::Value::Null,
        };
        BoundModel::bind(m, name).unwrap()
    }

    #[test]
    fn scores_follow_coefficients_through_the_bound_feature_order() {
        let s = Scorer::new(
            two_feature_model("w", ("promises_broken_90d", -0.8), ("refusals_90d", -0.5)),
            two_feature_model("a", ("nsf_reversals_90d", -0.9), ("hardship", -1.0)),
        );
        let mut v = [0.0; N_FEATURES];
        let base = s.score(&v);
        assert!((base.willingness.get() - 1.0 / (1.0 + (-0.5f64).exp())).abs() < 1e-12);
        v[F::PromisesBroken90 as usize] = 4.0;
        v[F::Refusals90 as usize] = 2.0;
        assert!(s.score(&v).willingness.get() < base.willingness.get());
        v[F::Nsf90 as usize] = 3.0;
        v[F::Hardship as usize] = 1.0;
        assert!(s.score(&v).ability.get() < base.ability.get());
        // Clipping bounds the effect of absurd inputs.
        v[F::PromisesBroken90 as usize] = 1e9;
        let clipped = 1.0 / (1.0 + (-(0.5 - 0.8 * 10.0 - 0.5 * 2.0f64)).exp());
        assert!((s.score(&v).willingness.get() - clipped).abs() < 1e-12);
        let drivers: Vec<(usize, f64)> = s.willingness.contributions(&v).collect();
        assert_eq!(drivers[0].0, F::PromisesBroken90 as usize);
    }

    #[test]
    fn shipped_models_stay_within_bounds_on_any_input() {
        let s = Scorer::shipped().unwrap();
        for x in [-1e9, 0.0, 1e9, f64::NAN] {
            let sc = s.score(&[x; N_FEATURES]);
            assert!((0.0..=1.0).contains(&sc.willingness.get()));
            assert!((0.0..=1.0).contains(&sc.ability.get()));
        }
    }

    #[test]
    fn unknown_feature_is_a_load_error_not_a_panic() {
        let mut m = Model::from_json(SHIPPED_WILLINGNESS, "w").unwrap();
        m.features[0].name = "age".into();
        let err = BoundModel::bind(m, "w.json").unwrap_err();
        assert!(
            matches!(&err, ModelError::FeatureMismatch { unknown, .. } if unknown == &vec!["age".to_string()])
        );
        assert!(err.to_string().contains("age"));
    }

    #[test]
    fn bad_files_are_clear_errors() {
        assert!(matches!(
            Model::from_json("{", "x"),
            Err(ModelError::Parse { .. })
        ));
        let mut m = Model::from_json(SHIPPED_ABILITY, "a").unwrap();
        m.format = "other".into();
        let text = serde_json::to_string(&m).unwrap();
        assert!(matches!(
            Model::from_json(&text, "x"),
            Err(ModelError::Format { .. })
        ));
        let err = Model::load(Path::new("/nonexistent/model.json")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/model.json"));
    }

    #[test]
    fn bins_and_calibration() {
        let t = Transform::Bins {
            edges: vec![1.0, 3.0],
            values: vec![-1.0, 0.0, 1.0],
        };
        assert_eq!(t.apply(0.5), -1.0);
        assert_eq!(t.apply(1.0), 0.0);
        assert_eq!(t.apply(9.0), 1.0);
        let mut m = Model::from_json(SHIPPED_ABILITY, "a").unwrap();
        m.calibration = Some(Calibration::Isotonic {
            x: vec![0.0, 0.5, 1.0],
            y: vec![0.1, 0.2, 0.9],
        });
        assert!((m.calibrate(0.25) - 0.15).abs() < 1e-12);
        m.calibration = Some(Calibration::Platt { a: 1.0, b: 0.0 });
        assert!((m.calibrate(0.3) - 0.3).abs() < 1e-12);
    }

    fn two_bins(shares: [f64; 2]) -> ScoreDistribution {
        ScoreDistribution {
            edges: vec![0.0, 0.5, 1.0],
            shares: shares.to_vec(),
        }
    }

    #[test]
    fn psi_of_identical_distributions_is_zero() {
        let shares = [0.05, 0.1, 0.15, 0.2, 0.1, 0.1, 0.1, 0.08, 0.07, 0.05];
        let reference = ScoreDistribution {
            edges: ScoreDistribution::decile_edges(),
            shares: shares.to_vec(),
        };
        let counts: Vec<u64> = shares.iter().map(|s| (s * 2000.0).round() as u64).collect();
        assert!(psi(&reference, &counts).unwrap().abs() < 1e-12);
    }

    #[test]
    fn psi_of_a_shift_matches_the_hand_computation() {
        // Reference 50/50, live 30/70:
        // (0.3 − 0.5)·ln(0.3/0.5) + (0.7 − 0.5)·ln(0.7/0.5) = 0.2·ln(7/3) ≈ 0.169460.
        let p = psi(&two_bins([0.5, 0.5]), &[30, 70]).unwrap();
        assert!((p - 0.2 * (7.0f64 / 3.0).ln()).abs() < 1e-12);
        assert!((p - 0.169_459_572).abs() < 1e-9);
        // Symmetric in the direction of the shift.
        assert!((psi(&two_bins([0.5, 0.5]), &[70, 30]).unwrap() - p).abs() < 1e-12);
    }

    #[test]
    fn psi_floors_empty_bins_at_epsilon() {
        // Every live score where the reference has none, and none where it has all.
        let p = psi(&two_bins([1.0, 0.0]), &[0, 10]).unwrap();
        let e = PSI_EPSILON;
        assert!(p.is_finite());
        assert!((p - 2.0 * (1.0 - e) * (1.0 / e).ln()).abs() < 1e-9);
        assert!(p > 0.25);
        // An empty live bin against a small reference share stays finite too.
        assert!(psi(&two_bins([0.99, 0.01]), &[100, 0]).unwrap().is_finite());
    }

    #[test]
    fn psi_without_counts_is_none() {
        let d = two_bins([0.5, 0.5]);
        assert_eq!(psi(&d, &[0, 0]), None);
        assert_eq!(psi(&d, &[]), None);
        assert_eq!(psi(&d, &[1, 2, 3]), None);
    }

    #[test]
    fn scores_bin_like_the_engine_reports_them() {
        let (d, n) = ScoreDistribution::of_scores(
            ScoreDistribution::decile_edges(),
            [0.0, 0.05, 0.1, 0.95, 1.0],
        )
        .unwrap();
        assert_eq!(n, 5);
        assert_eq!(d.edges[3], 0.3);
        assert_eq!(
            (d.bin(0.0), d.bin(0.1), d.bin(0.999), d.bin(1.0)),
            (0, 1, 9, 9)
        );
        assert_eq!((d.bin(-3.0), d.bin(7.0), d.bin(f64::NAN)), (0, 9, 0));
        assert_eq!(
            d.shares,
            vec![0.4, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.4]
        );
        assert!(ScoreDistribution::of_scores(ScoreDistribution::decile_edges(), []).is_none());
    }

    #[test]
    fn shipped_models_carry_their_reference_distribution() {
        let s = Scorer::shipped().unwrap();
        for m in [&s.willingness, &s.ability] {
            let d = m
                .reference()
                .expect("shipped models carry score_distribution");
            assert_eq!(d.edges, ScoreDistribution::decile_edges());
            assert_eq!(d.bins(), 10);
            assert!((d.shares.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        }
        let mut m = Model::from_json(SHIPPED_WILLINGNESS, "w").unwrap();
        m.metadata = serde_json::Value::Null;
        assert!(BoundModel::bind(m, "w").unwrap().reference().is_none());
    }

    #[test]
    fn malformed_reference_distributions_are_load_errors() {
        let with = |d: serde_json::Value| {
            let mut m = Model::from_json(SHIPPED_ABILITY, "a").unwrap();
            m.metadata["score_distribution"] = d;
            Model::from_json(&serde_json::to_string(&m).unwrap(), "a.json")
        };
        let ok = serde_json::json!({"edges": [0.0, 0.5, 1.0], "shares": [0.25, 0.75], "rows": 4, "fitted_on": "training"});
        assert!(with(ok).is_ok());
        assert!(with(serde_json::Value::Null).is_ok());
        for (bad, says) in [
            (
                serde_json::json!({"edges": [0.0, 0.5, 0.5, 1.0], "shares": [0.5, 0.0, 0.5]}),
                "strictly increasing",
            ),
            (
                serde_json::json!({"edges": [0.1, 0.5, 1.0], "shares": [0.5, 0.5]}),
                "from 0 to 1",
            ),
            (
                serde_json::json!({"edges": [0.0, 0.5, 0.9], "shares": [0.5, 0.5]}),
                "from 0 to 1",
            ),
            (
                serde_json::json!({"edges": [0.0, 0.5, 1.0], "shares": [0.5, 0.4]}),
                "sum to 1",
            ),
            (
                serde_json::json!({"edges": [0.0, 0.5, 1.0], "shares": [1.5, -0.5]}),
                "non-negative",
            ),
            (
                serde_json::json!({"edges": [0.0, 0.5, 1.0], "shares": [1.0]}),
                "2 bins",
            ),
            (serde_json::json!({"edges": [0.0, 1.0]}), "shares"),
            (serde_json::json!("deciles"), "score_distribution"),
        ] {
            let err = with(bad.clone()).unwrap_err();
            assert!(matches!(err, ModelError::Invalid { .. }), "{bad}: {err}");
            let text = err.to_string();
            assert!(
                text.contains("a.json") && text.contains("metadata.score_distribution"),
                "{text}"
            );
            assert!(text.contains(says), "{bad}: {text}");
        }
    }
}
