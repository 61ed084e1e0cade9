//! What to fit and how: [`FitOptions`], their checks, and the default alpha grid.

use super::error::TrainError;
use super::preprocess::Prepare;

/// The default cap on pairwise interaction tables.
pub const DEFAULT_MAX_INTERACTIONS: usize = 3;

/// The default alpha grid (per training row).
pub const DEFAULT_ALPHAS: [f64; 6] = [0.0, 1e-4, 1e-3, 1e-2, 1e-1, 1.0];

/// What to fit and how.
#[derive(Debug, Clone)]
pub struct FitOptions {
    /// Model name (`willingness`, `ability`, …).
    pub name: String,
    pub version: String,
    /// What the target means, in words (appended to the target column's name).
    pub target_description: Option<String>,
    /// Numeric columns that are not features (ids, other labels).
    pub exclude: Vec<String>,
    /// Split by this column (numbers, or text that sorts in time order such as ISO dates).
    pub time_column: Option<String>,
    /// How features become inputs: scorecard bins (the default) or standard scaling.
    pub prepare: Prepare,
    /// At most this many pairwise interaction tables (scorecard only; 0 = none).
    pub max_interactions: usize,
    pub seed: u64,
    /// Share of rows in the hold-out, in (0, 1).
    pub holdout: f64,
    /// Duplicate minority-class rows until minority ≥ rebalance × majority (0 = off, at most 1).
    pub rebalance: f64,
    /// L2 alphas to try (per training row, ≥ 0).
    pub alphas: Vec<f64>,
    /// Written to the metadata as `trained_at` (a date, so runs can be reproduced).
    pub trained_at: String,
    /// LBFGS iteration cap per fit.
    pub max_iterations: u64,
    /// The alpha search fits on at most this many inner-training rows (a stratified sample);
    /// 0 = no cap. The final refit always uses the whole training part.
    pub max_tuning_rows: usize,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            name: "model".into(),
            version: "trained".into(),
            target_description: None,
            exclude: Vec::new(),
            time_column: None,
            prepare: Prepare::Scorecard {
                cap: None,
                categorical: Vec::new(),
                monotone: Vec::new(),
            },
            max_interactions: DEFAULT_MAX_INTERACTIONS,
            seed: 1,
            holdout: 0.2,
            rebalance: 0.5,
            alphas: DEFAULT_ALPHAS.to_vec(),
            trained_at: "1970-01-01".into(),
            max_iterations: 200,
            max_tuning_rows: 250_000,
        }
    }
}

impl FitOptions {
    /// Checks the options that do not depend on the data.
    pub fn validate(&self) -> Result<(), TrainError> {
        let bad = |detail: String| Err(TrainError::BadOption { detail });
        if !(self.holdout > 0.0 && self.holdout < 1.0) {
            return bad(format!("--holdout must be in (0, 1), got {}", self.holdout));
        }
        if let Prepare::Scorecard { cap: Some(b), .. } = &self.prepare {
            if *b < 2 {
                return bad(format!("--bins must be at least 2, got {b}"));
            }
        }
        if !(0.0..=1.0).contains(&self.rebalance) {
            return bad(format!(
                "--rebalance must be in [0, 1] (minority ÷ majority), got {}",
                self.rebalance
            ));
        }
        if self.alphas.is_empty() || self.alphas.iter().any(|a| !a.is_finite() || *a < 0.0) {
            return bad(format!(
                "--alphas must be non-negative numbers, got {:?}",
                self.alphas
            ));
        }
        if self.max_iterations == 0 {
            return bad("max_iterations must be positive".into());
        }
        Ok(())
    }
}
