//! What a fit did, as [`FitReport`] (the split, the rebalancing, the alpha search, the
//! calibration choice, hold-out metrics) and its CLI summary (`Display`).

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use super::interactions::PairTrial;
use super::metrics::Metrics;
use super::preprocess::FeatureSummary;

/// Pairwise interactions: how many pairs were tried, the cap, and the kept pairs followed by the
/// best of the rest.
#[derive(Debug, Clone, Serialize)]
pub struct Interactions {
    pub tried: usize,
    pub max: usize,
    pub trials: Vec<PairTrial>,
}

/// How the rows were split.
#[derive(Debug, Clone, Serialize)]
pub struct SplitInfo {
    /// `time` or `stratified_random`.
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_column: Option<String>,
    pub holdout_fraction: f64,
    pub train_rows: usize,
    pub holdout_rows: usize,
    pub train_positive_rate: f64,
    pub holdout_positive_rate: f64,
    /// First and last time value in each part (time split only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub train_period: Option<[String; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holdout_period: Option<[String; 2]>,
}

/// What rebalancing did.
#[derive(Debug, Clone, Serialize)]
pub struct RebalanceInfo {
    pub method: &'static str,
    /// Requested minority ÷ majority ratio (0 = off).
    pub target_ratio: f64,
    pub minority_class: u8,
    pub minority_rows: usize,
    pub majority_rows: usize,
    pub rows_added: usize,
    /// Added to the fitted intercept to undo the duplication's shift of the odds.
    pub intercept_correction: f64,
}

/// One alpha tried.
#[derive(Debug, Clone, Serialize)]
pub struct AlphaTrial {
    pub alpha: f64,
    pub validation_log_loss: f64,
}

/// The regularisation search.
#[derive(Debug, Clone, Serialize)]
pub struct AlphaSearch {
    pub penalty: &'static str,
    pub solver: &'static str,
    pub inner_split: &'static str,
    pub inner_train_rows: usize,
    pub inner_validation_rows: usize,
    pub trials: Vec<AlphaTrial>,
    pub alpha: f64,
}

/// The calibration choice.
#[derive(Debug, Clone, Serialize)]
pub struct CalibrationChoice {
    pub method: &'static str,
    pub fitted_on: &'static str,
    /// Hold-out log loss without calibration and with each method (2-fold cross-fitted).
    pub log_loss_uncalibrated: f64,
    pub log_loss_platt: f64,
    pub log_loss_isotonic: f64,
}

/// Everything `fit` did, for the CLI summary and the model card.
#[derive(Debug, Clone, Serialize)]
pub struct FitReport {
    pub rows: usize,
    pub target: String,
    pub features: Vec<FeatureSummary>,
    pub split: SplitInfo,
    pub rebalance: RebalanceInfo,
    pub regularisation: AlphaSearch,
    pub calibration: CalibrationChoice,
    /// The interaction pairs tried and kept.
    pub interactions: Interactions,
    /// Hold-out metrics of the calibrated score (out-of-fold calibration).
    pub holdout: Metrics,
    /// Hold-out metrics of the uncalibrated (prior-corrected) score.
    pub holdout_uncalibrated: Metrics,
    /// Population stability index of the final scores of the hold-out against those of the
    /// training rows (the stored reference distribution): the drift seen within the data alone.
    pub holdout_psi: f64,
    #[serde(skip)]
    pub elapsed: Duration,
}

impl fmt::Display for FitReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.split;
        writeln!(
            f,
            "rows: {} ({} features), target {}",
            self.rows,
            self.features.len(),
            self.target
        )?;
        match s.kind {
            "time" => writeln!(
                f,
                "split: by time on {} — train {} rows ({} … {}), hold-out {} rows ({} … {})",
                s.time_column.as_deref().unwrap_or("?"),
                s.train_rows,
                s.train_period.as_ref().map_or("", |p| &p[0]),
                s.train_period.as_ref().map_or("", |p| &p[1]),
                s.holdout_rows,
                s.holdout_period.as_ref().map_or("", |p| &p[0]),
                s.holdout_period.as_ref().map_or("", |p| &p[1]),
            )?,
            _ => writeln!(
                f,
                "split: stratified random (seed {}) — train {} rows, hold-out {} rows",
                s.seed.unwrap_or(0),
                s.train_rows,
                s.holdout_rows
            )?,
        }
        writeln!(
            f,
            "positive rate: train {:.4}, hold-out {:.4}",
            s.train_positive_rate, s.holdout_positive_rate
        )?;
        let r = &self.rebalance;
        writeln!(
            f,
            "rebalance: duplicated {} rows of class {} (target ratio {}), intercept correction {:+.4}",
            r.rows_added, r.minority_class, r.target_ratio, r.intercept_correction
        )?;
        let a = &self.regularisation;
        write!(f, "alpha (validation log loss):")?;
        for t in &a.trials {
            write!(f, " {}={:.5}", t.alpha, t.validation_log_loss)?;
        }
        writeln!(f, " → chose {}", a.alpha)?;
        let kept: Vec<String> = self
            .interactions
            .trials
            .iter()
            .filter(|t| t.kept)
            .map(|t| format!("{}×{} (gain {:.5})", t.features[0], t.features[1], t.gain))
            .collect();
        if self.interactions.tried > 0 {
            writeln!(
                f,
                "interactions: {} of {} pairs kept{}{}",
                kept.len(),
                self.interactions.tried,
                if kept.is_empty() { "" } else { ": " },
                kept.join(", ")
            )?;
        }
        let c = &self.calibration;
        writeln!(
            f,
            "calibration: {} (hold-out log loss: none {:.5}, platt {:.5}, isotonic {:.5})",
            c.method, c.log_loss_uncalibrated, c.log_loss_platt, c.log_loss_isotonic
        )?;
        let m = &self.holdout;
        writeln!(
            f,
            "hold-out: AUC {:.4}  Gini {:.4}  KS {:.4}  Brier {:.5}  log loss {:.5}  base rate {:.4}  mean predicted {:.4}",
            m.auc, m.gini, m.ks, m.brier, m.log_loss, m.base_rate, m.mean_predicted
        )?;
        writeln!(
            f,
            "score distribution: stored for the training rows; hold-out PSI against it {:.4}",
            self.holdout_psi
        )?;
        write!(f, "fit time: {:.2} s", self.elapsed.as_secs_f64())
    }
}
