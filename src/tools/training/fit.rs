//! Fitting a logistic-regression model in the `arrears.model.v1` format from a [`Table`].
//!
//! Steps (all deterministic for a given table, options and seed):
//! 1. **Split** into a training part and a hold-out: time-based (earliest rows train, latest
//!    validate) with a time column, else stratified random by seed.
//! 2. **Preprocess** on the training rows only ([`super::preprocess`]): median imputation, then
//!    standard scaling with p0.5/p99.5 clipping, or monotone weight-of-evidence bins.
//! 3. **Rebalance** by duplicating minority-class rows until minority ≥ `rebalance` × majority
//!    (linfa-logistic has no sample weights). Duplication multiplies the minority's odds by a known
//!    factor k, so the intercept is corrected by ∓ln k afterwards (prior correction), and the
//!    calibration step maps scores to the true base rate.
//! 4. **Regularisation**: an L2 alpha (per training row: the penalty is alpha/2·‖w‖² next to the
//!    mean log loss, on the coefficients of the inputs standardised for the solver) chosen by log loss on an inner validation split of the training part, then a
//!    refit on the whole training part with the chosen alpha (warm-started).
//! 5. **Calibration** on the hold-out: Platt or isotonic, whichever has the lower log loss when
//!    cross-fitted on the two halves of the hold-out; the chosen map is then fitted on the whole
//!    hold-out and stored in the model. Reported hold-out metrics use the cross-fitted
//!    (out-of-fold) calibrated scores, so they are not flattered by the calibration fit.
//! 6. **Reference distribution**: the final model scores the training rows through the engine's
//!    own path ([`Model::predict_row`]: transforms, linear score, calibration) and the shares of
//!    those scores in ten bins of width 0.1 are stored as `metadata.score_distribution`, the
//!    reference the daemon's population stability index ([`crate::engine::scoring::psi`]) compares live
//!    scores against.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2, ArrayView2};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::calibrate::{apply, fit_isotonic, fit_platt};
use super::metrics::{log_loss, Metrics};
use super::preprocess::{design, learn_feature, FeatureSummary};
use super::{steps_bar, Table, TrainError, MIN_CLASS_ROWS, MIN_ROWS};
use crate::engine::scoring::{psi, Calibration, Model, ScoreDistribution, MODEL_FORMAT};

/// Share of the training part held back to choose the regularisation.
pub const INNER_VALIDATION: f64 = 0.2;

/// The solver stops when the norm of the mean log-loss gradient falls below this.
pub const GRADIENT_TOLERANCE: f64 = 3e-5;

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
    /// Monotone WoE binning with at most this many bins (≥ 2); standard scaling when `None`.
    pub bins: Option<usize>,
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
            bins: None,
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
        if let Some(b) = self.bins {
            if b < 2 {
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

fn rate(rows: &[usize], y: &[u8]) -> f64 {
    rows.iter().filter(|&&r| y[r] == 1).count() as f64 / rows.len().max(1) as f64
}

/// Sort key of the time column.
enum TimeKeys<'a> {
    Num(Vec<f64>),
    Text(&'a [String]),
}

impl TimeKeys<'_> {
    fn cmp(&self, a: usize, b: usize) -> std::cmp::Ordering {
        match self {
            TimeKeys::Num(v) => v[a].total_cmp(&v[b]),
            TimeKeys::Text(v) => v[a].cmp(&v[b]),
        }
    }
    fn show(&self, i: usize) -> String {
        match self {
            TimeKeys::Num(v) => v[i].to_string(),
            TimeKeys::Text(v) => v[i].clone(),
        }
    }
}

fn time_keys<'a>(table: &'a Table, col: &str) -> Result<TimeKeys<'a>, TrainError> {
    let missing = |row: usize| TrainError::BadTime {
        column: col.to_string(),
        row: row as u64 + 1,
    };
    if let Some(text) = table.text_column(col) {
        if let Some(i) = text.iter().position(|s| s.trim().is_empty()) {
            return Err(missing(i));
        }
        // Numbers compare as numbers; anything else (ISO dates, RFC 3339 times) as text.
        let nums: Option<Vec<f64>> = text
            .iter()
            .map(|s| s.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
            .collect();
        return Ok(match nums {
            Some(v) => TimeKeys::Num(v),
            None => TimeKeys::Text(text),
        });
    }
    match table.column_index(col) {
        Some(j) => {
            let v: Vec<f64> = table.column(j).to_vec();
            if let Some(i) = v.iter().position(|x| x.is_nan()) {
                return Err(missing(i));
            }
            Ok(TimeKeys::Num(v))
        }
        None => Err(TrainError::UnknownColumns {
            what: "--time-column".into(),
            missing: vec![col.to_string()],
            columns: table.all_columns(),
        }),
    }
}

/// Time split of `rows` (already in time order): the last `frac` go to the second part; a run of
/// equal times is not cut in two unless that would shrink the first part below half its size.
fn time_cut(order: &[usize], keys: &TimeKeys, frac: f64) -> usize {
    let n = order.len();
    let want = ((1.0 - frac) * n as f64).round() as usize;
    let want = want.clamp(1, n - 1);
    let mut cut = want;
    while cut > want / 2 && keys.cmp(order[cut - 1], order[cut]).is_eq() {
        cut -= 1;
    }
    if keys.cmp(order[cut - 1], order[cut]).is_eq() {
        want
    } else {
        cut
    }
}

/// Stratified random split of `rows`: `frac` of each class goes to the second part (at least one
/// row of each class on each side). Both parts come back in ascending row order.
fn stratified(
    rows: &[usize],
    y: &[u8],
    frac: f64,
    rng: &mut ChaCha8Rng,
) -> (Vec<usize>, Vec<usize>) {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for class in [0u8, 1] {
        let mut idx: Vec<usize> = rows.iter().copied().filter(|&r| y[r] == class).collect();
        idx.shuffle(rng);
        let k = ((frac * idx.len() as f64).round() as usize)
            .clamp(usize::from(idx.len() > 1), idx.len().saturating_sub(1));
        b.extend_from_slice(&idx[..k]);
        a.extend_from_slice(&idx[k..]);
    }
    a.sort_unstable();
    b.sort_unstable();
    (a, b)
}

/// Appends duplicated minority rows so minority ≥ ratio × majority.
fn rebalance(
    rows: &[usize],
    y: &[u8],
    ratio: f64,
    rng: &mut ChaCha8Rng,
) -> (Vec<usize>, RebalanceInfo) {
    let pos: Vec<usize> = rows.iter().copied().filter(|&r| y[r] == 1).collect();
    let neg_n = rows.len() - pos.len();
    let (minority_class, minority, majority_n) = if pos.len() <= neg_n {
        (1u8, pos, neg_n)
    } else {
        (
            0u8,
            rows.iter().copied().filter(|&r| y[r] == 0).collect(),
            pos.len(),
        )
    };
    let mut out = rows.to_vec();
    let want = (ratio * majority_n as f64).round() as usize;
    let added = want.saturating_sub(minority.len());
    if added > 0 && !minority.is_empty() {
        for _ in 0..added / minority.len() {
            out.extend_from_slice(&minority);
        }
        let mut extra = minority.clone();
        extra.shuffle(rng);
        out.extend_from_slice(&extra[..added % minority.len()]);
    }
    let factor = (minority.len() + added) as f64 / minority.len().max(1) as f64;
    let correction = if added == 0 {
        0.0
    } else if minority_class == 1 {
        -factor.ln()
    } else {
        factor.ln()
    };
    let info = RebalanceInfo {
        method: "duplicate_minority_rows",
        target_ratio: ratio,
        minority_class,
        minority_rows: minority.len(),
        majority_rows: majority_n,
        rows_added: added,
        intercept_correction: correction,
    };
    (out, info)
}

/// linfa's binary logistic regression labels the *more frequent* class as positive (the first
/// one seen on a tie); this says whether that is class 1 for these labels.
fn linfa_positive_is_one(y: &[usize]) -> bool {
    let first = y[0];
    let n_first = y.iter().filter(|&&v| v == first).count();
    if n_first < y.len() - n_first {
        first != 1
    } else {
        first == 1
    }
}

/// Column means and standard deviations the solver's inputs were standardised with.
struct Scaling {
    mean: Array1<f64>,
    sd: Array1<f64>,
}

/// Standardises the columns of `x` in place (mean 0, sd 1; a constant column becomes 0). The
/// solver then works on a well-conditioned problem whatever the transform (weights of evidence of
/// a weak feature have a tiny spread), and the L2 penalty treats every feature alike.
fn standardize(x: &mut Array2<f64>) -> Scaling {
    let n = x.nrows().max(1) as f64;
    let mut mean = Array1::zeros(x.ncols());
    let mut sd = Array1::ones(x.ncols());
    for (k, mut col) in x.columns_mut().into_iter().enumerate() {
        let m = col.sum() / n;
        let v = col.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n;
        let s = if v.sqrt() > 1e-12 { v.sqrt() } else { 1.0 };
        col.mapv_inplace(|v| (v - m) / s);
        mean[k] = m;
        sd[k] = s;
    }
    Scaling { mean, sd }
}

/// Fits weights and intercept for P(label = 1) on standardised inputs `x` (see [`standardize`])
/// with alpha per row; `init` and the result are in the unstandardised units.
fn fit_lr(
    x: ArrayView2<f64>,
    scaling: &Scaling,
    y: &[usize],
    alpha: f64,
    init: Option<(&Array1<f64>, f64)>,
    max_iterations: u64,
) -> Result<(Array1<f64>, f64), TrainError> {
    let n = y.len() as f64;
    let sign = if linfa_positive_is_one(y) { 1.0 } else { -1.0 };
    let mut params = LogisticRegression::default()
        .alpha(alpha * n)
        .max_iterations(max_iterations)
        // The loss is a sum over rows: stop at a mean-gradient norm of 3e-5 (scikit-learn's
        // default stops at 1e-4 on the largest component).
        .gradient_tolerance(GRADIENT_TOLERANCE * n);
    if let Some((w, b)) = init {
        let k = w.len();
        let mut p = Array1::zeros(k + 1);
        p.slice_mut(ndarray::s![..k])
            .assign(&(w * &scaling.sd * sign));
        p[k] = (b + w.dot(&scaling.mean)) * sign;
        params = params.initial_params(p);
    }
    let ds = DatasetBase::new(x, Array1::from(y.to_vec()));
    let t = Instant::now();
    let fitted = params.fit(&ds).map_err(|e| TrainError::Fit {
        detail: e.to_string(),
    })?;
    tracing::debug!(
        alpha,
        rows = y.len(),
        secs = t.elapsed().as_secs_f64(),
        "logistic fit"
    );
    let sign = if fitted.labels().pos.class == 1 {
        1.0
    } else {
        -1.0
    };
    let w = fitted.params() * sign / &scaling.sd;
    let b = fitted.intercept() * sign - w.dot(&scaling.mean);
    Ok((w, b))
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

fn predict(x: &Array2<f64>, w: &Array1<f64>, b: f64) -> Vec<f64> {
    x.dot(w).iter().map(|&z| sigmoid(z + b)).collect()
}

fn labels_of(rows: &[usize], y: &[u8]) -> Vec<u8> {
    rows.iter().map(|&r| y[r]).collect()
}

/// Fits a model predicting `target` (a 0/1 column of `table`) from every other numeric column
/// not excluded. `progress` shows a bar on stderr (hidden when it is not a terminal).
pub fn fit(
    table: &Table,
    target: &str,
    opts: &FitOptions,
    progress: bool,
) -> Result<(Model, FitReport), TrainError> {
    let started = Instant::now();
    opts.validate()?;
    let tcol = table
        .column_index(target)
        .ok_or_else(|| TrainError::MissingTarget {
            target: target.to_string(),
            columns: table.all_columns(),
        })?;
    let n = table.rows();
    let mut y = Vec::with_capacity(n);
    for (i, &v) in table.column(tcol).iter().enumerate() {
        if v != 0.0 && v != 1.0 {
            return Err(TrainError::BadTarget {
                row: i as u64 + 1,
                line: i as u64 + 2,
                column: target.to_string(),
                value: v.to_string(),
            });
        }
        y.push(v as u8);
    }
    if n < MIN_ROWS {
        return Err(TrainError::TooFewRows {
            part: "input".into(),
            rows: n,
            min: MIN_ROWS,
        });
    }
    let positives = y.iter().filter(|&&v| v == 1).count();
    for (class, count) in [(1u8, positives), (0u8, n - positives)] {
        if count == 0 {
            return Err(TrainError::OneClass {
                part: "input".into(),
                target: target.to_string(),
                class: 1 - class,
            });
        }
        if count < MIN_CLASS_ROWS {
            return Err(TrainError::TooFewRows {
                part: format!("rows with {target} = {class}"),
                rows: count,
                min: MIN_CLASS_ROWS,
            });
        }
    }
    let feature_cols: Vec<usize> = (0..table.columns().len())
        .filter(|&j| {
            let name = &table.columns()[j];
            j != tcol && !opts.exclude.contains(name) && opts.time_column.as_ref() != Some(name)
        })
        .collect();
    if feature_cols.is_empty() {
        return Err(TrainError::BadOption {
            detail:
                "no feature columns left after excluding the target, --exclude and --time-column"
                    .into(),
        });
    }
    let names: Vec<String> = feature_cols
        .iter()
        .map(|&j| table.columns()[j].clone())
        .collect();

    // 1. Split.
    let all: Vec<usize> = (0..n).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let keys = match &opts.time_column {
        Some(c) => Some(time_keys(table, c)?),
        None => None,
    };
    let (train, hold, mut split) = match &keys {
        Some(k) => {
            let mut order = all.clone();
            order.sort_by(|&a, &b| k.cmp(a, b).then(a.cmp(&b)));
            let cut = time_cut(&order, k, opts.holdout);
            let period = |part: &[usize]| [k.show(part[0]), k.show(part[part.len() - 1])];
            let (tr, ho) = (order[..cut].to_vec(), order[cut..].to_vec());
            let info = SplitInfo {
                kind: "time",
                seed: None,
                time_column: opts.time_column.clone(),
                holdout_fraction: opts.holdout,
                train_rows: 0,
                holdout_rows: 0,
                train_positive_rate: 0.0,
                holdout_positive_rate: 0.0,
                train_period: Some(period(&tr)),
                holdout_period: Some(period(&ho)),
            };
            (tr, ho, info)
        }
        None => {
            let (tr, ho) = stratified(&all, &y, opts.holdout, &mut rng);
            let info = SplitInfo {
                kind: "stratified_random",
                seed: Some(opts.seed),
                time_column: None,
                holdout_fraction: opts.holdout,
                train_rows: 0,
                holdout_rows: 0,
                train_positive_rate: 0.0,
                holdout_positive_rate: 0.0,
                train_period: None,
                holdout_period: None,
            };
            (tr, ho, info)
        }
    };
    split.train_rows = train.len();
    split.holdout_rows = hold.len();
    split.train_positive_rate = rate(&train, &y);
    split.holdout_positive_rate = rate(&hold, &y);
    for (part, rows) in [("training part", &train), ("hold-out", &hold)] {
        let p = rows.iter().filter(|&&r| y[r] == 1).count();
        if p == 0 || p == rows.len() {
            return Err(TrainError::OneClass {
                part: part.into(),
                target: target.to_string(),
                class: u8::from(p != 0),
            });
        }
    }

    // 2. Preprocess on the training rows, one column at a time (in parallel).
    let data = table.data();
    let y_train = labels_of(&train, &y);
    let learned: Vec<Result<_, TrainError>> = parallel_map(feature_cols.len(), |k| {
        let j = feature_cols[k];
        let x: Vec<f64> = train.iter().map(|&r| data[[r, j]]).collect();
        learn_feature(&names[k], &x, &y_train, opts.bins)
    });
    let mut specs = Vec::with_capacity(names.len());
    let mut summaries = Vec::with_capacity(names.len());
    for r in learned {
        let (s, m) = r?;
        specs.push(s);
        summaries.push(m);
    }

    // 3./4. Inner split, rebalance, alpha search.
    let bar = steps_bar(progress, opts.alphas.len() as u64 + 2, "fitting");
    let (inner_train, inner_val, inner_kind) = match &keys {
        Some(k) => {
            let mut order = train.clone();
            order.sort_by(|&a, &b| k.cmp(a, b).then(a.cmp(&b)));
            let cut = time_cut(&order, k, INNER_VALIDATION);
            (order[..cut].to_vec(), order[cut..].to_vec(), "time")
        }
        None => {
            let (a, b) = stratified(&train, &y, INNER_VALIDATION, &mut rng);
            (a, b, "stratified_random")
        }
    };
    let inner_train = if opts.max_tuning_rows > 0 && inner_train.len() > opts.max_tuning_rows {
        let frac = 1.0 - opts.max_tuning_rows as f64 / inner_train.len() as f64;
        stratified(&inner_train, &y, frac, &mut rng).0
    } else {
        inner_train
    };
    let (inner_fit_rows, _) = rebalance(&inner_train, &y, opts.rebalance, &mut rng);
    let mut x_inner = design(data, &feature_cols, &specs, &inner_fit_rows);
    let scaling_inner = standardize(&mut x_inner);
    let y_inner: Vec<usize> = inner_fit_rows.iter().map(|&r| usize::from(y[r])).collect();
    let x_val = design(data, &feature_cols, &specs, &inner_val);
    let y_val = labels_of(&inner_val, &y);
    let correction_inner = rebalance_correction(&inner_fit_rows, &inner_train, &y);
    let fits: Vec<Result<(Array1<f64>, f64), TrainError>> = parallel_map(opts.alphas.len(), |i| {
        let r = fit_lr(
            x_inner.view(),
            &scaling_inner,
            &y_inner,
            opts.alphas[i],
            None,
            opts.max_iterations,
        );
        bar.inc(1);
        r
    });
    drop(x_inner);
    let mut trials = Vec::new();
    let mut best: Option<(usize, f64)> = None;
    let mut inner_params = Vec::new();
    for (i, r) in fits.into_iter().enumerate() {
        let (w, b) = r?;
        let p = predict(&x_val, &w, b + correction_inner);
        let loss = log_loss(&p, &y_val);
        trials.push(AlphaTrial {
            alpha: opts.alphas[i],
            validation_log_loss: loss,
        });
        if loss.is_finite() && best.is_none_or(|(_, l)| loss < l) {
            best = Some((i, loss));
        }
        inner_params.push((w, b));
    }
    drop(x_val);
    let best_i = best.map_or(0, |(i, _)| i);
    let alpha = opts.alphas[best_i];

    // Refit on the whole training part.
    bar.set_message("refitting");
    let (fit_rows, rebalance_info) = rebalance(&train, &y, opts.rebalance, &mut rng);
    let mut x_fit = design(data, &feature_cols, &specs, &fit_rows);
    let scaling_fit = standardize(&mut x_fit);
    let y_fit: Vec<usize> = fit_rows.iter().map(|&r| usize::from(y[r])).collect();
    let (w0, b0) = &inner_params[best_i];
    let (w, b) = fit_lr(
        x_fit.view(),
        &scaling_fit,
        &y_fit,
        alpha,
        Some((w0, *b0)),
        opts.max_iterations,
    )?;
    drop(x_fit);
    bar.inc(1);
    let intercept = b + rebalance_info.intercept_correction;

    // 5. Calibration on the hold-out.
    bar.set_message("calibrating");
    let x_hold = design(data, &feature_cols, &specs, &hold);
    let raw = predict(&x_hold, &w, intercept);
    drop(x_hold);
    let y_hold = labels_of(&hold, &y);
    let positions: Vec<usize> = (0..hold.len()).collect();
    let (half_a, half_b) = stratified(&positions, &y_hold, 0.5, &mut rng);
    let cross_fit = |fitter: fn(&[f64], &[u8]) -> Calibration| -> Vec<f64> {
        let mut out = vec![0.0; raw.len()];
        for (fit_on, apply_to) in [(&half_a, &half_b), (&half_b, &half_a)] {
            let p: Vec<f64> = fit_on.iter().map(|&i| raw[i]).collect();
            let l: Vec<u8> = fit_on.iter().map(|&i| y_hold[i]).collect();
            let c = fitter(&p, &l);
            for &i in apply_to.iter() {
                out[i] = apply(&c, raw[i]);
            }
        }
        out
    };
    let oof_platt = cross_fit(fit_platt);
    let oof_iso = cross_fit(fit_isotonic);
    let (ll_platt, ll_iso) = (log_loss(&oof_platt, &y_hold), log_loss(&oof_iso, &y_hold));
    let (method, calibration, oof): (&'static str, Calibration, Vec<f64>) = if ll_iso < ll_platt {
        ("isotonic", fit_isotonic(&raw, &y_hold), oof_iso)
    } else {
        ("platt", fit_platt(&raw, &y_hold), oof_platt)
    };
    let holdout = Metrics::compute(&oof, &y_hold);
    let holdout_uncalibrated = Metrics::compute(&raw, &y_hold);
    bar.inc(1);
    bar.finish_and_clear();

    let features = specs
        .into_iter()
        .zip(w.iter())
        .map(|(mut s, &c)| {
            s.coefficient = c;
            s
        })
        .collect();
    let report = FitReport {
        rows: n,
        target: target.to_string(),
        features: summaries,
        split,
        rebalance: rebalance_info,
        regularisation: AlphaSearch {
            penalty: "l2",
            solver: "linfa-logistic 0.8 (L-BFGS)",
            inner_split: inner_kind,
            inner_train_rows: inner_train.len(),
            inner_validation_rows: inner_val.len(),
            trials,
            alpha,
        },
        calibration: CalibrationChoice {
            method,
            fitted_on: "hold-out",
            log_loss_uncalibrated: holdout_uncalibrated.log_loss,
            log_loss_platt: ll_platt,
            log_loss_isotonic: ll_iso,
        },
        holdout,
        holdout_uncalibrated,
        holdout_psi: f64::NAN,
        elapsed: Duration::ZERO,
    };
    let mut model = Model {
        format: MODEL_FORMAT.to_string(),
        name: opts.name.clone(),
        version: opts.version.clone(),
        kind: "logistic_regression".into(),
        target: match &opts.target_description {
            Some(d) => format!("{target}: {d}"),
            None => target.to_string(),
        },
        features,
        intercept,
        calibration: Some(calibration),
        metadata: metadata(&report, table, opts),
    };

    // 6. The reference distribution of the final scores, on the training rows.
    let final_scores = |rows: &[usize]| -> Vec<f64> {
        rows.iter()
            .map(|&r| model.predict_row(feature_cols.iter().map(|&j| data[[r, j]])))
            .collect()
    };
    let (reference, reference_rows) =
        ScoreDistribution::of_scores(ScoreDistribution::decile_edges(), final_scores(&train))
            .expect("the training part is not empty");
    let mut holdout_counts = vec![0u64; reference.bins()];
    for s in final_scores(&hold) {
        holdout_counts[reference.bin(s)] += 1;
    }
    let holdout_psi = psi(&reference, &holdout_counts).unwrap_or(f64::NAN);
    if let Some(m) = model.metadata.as_object_mut() {
        m.insert(
            "score_distribution".into(),
            serde_json::json!({
                "edges": reference.edges,
                "shares": reference.shares,
                "rows": reference_rows,
                "fitted_on": "training",
            }),
        );
    }
    let report = FitReport {
        holdout_psi,
        elapsed: started.elapsed(),
        ..report
    };
    Ok((model, report))
}

/// The intercept shift that undoes the duplication in `fitted` relative to `original` rows.
fn rebalance_correction(fitted: &[usize], original: &[usize], y: &[u8]) -> f64 {
    let count = |rows: &[usize], c: u8| rows.iter().filter(|&&r| y[r] == c).count() as f64;
    // log(odds in the original) − log(odds in the fitted rows).
    (count(original, 1) / count(original, 0)).ln() - (count(fitted, 1) / count(fitted, 0)).ln()
}

fn metadata(report: &FitReport, table: &Table, opts: &FitOptions) -> serde_json::Value {
    #[derive(Serialize)]
    struct Meta<'a> {
        trained_at: &'a str,
        trainer: String,
        source: &'a str,
        target_column: &'a str,
        rows: usize,
        split: &'a SplitInfo,
        preprocessing: serde_json::Value,
        rebalance: &'a RebalanceInfo,
        regularisation: &'a AlphaSearch,
        calibration: &'a CalibrationChoice,
        holdout_metrics: &'a Metrics,
        holdout_metrics_uncalibrated: &'a Metrics,
    }
    let preprocessing = serde_json::json!({
        "impute": "median of the training rows",
        "transform": if opts.bins.is_some() { "monotone_woe_bins" } else { "standard" },
        "clip": if opts.bins.is_some() { "none" } else { "p0.5–p99.5 of the training values" },
        "max_bins": opts.bins,
        "features": report.features,
    });
    serde_json::to_value(Meta {
        trained_at: &opts.trained_at,
        trainer: format!("arrears train {}", env!("CARGO_PKG_VERSION")),
        source: table.source(),
        target_column: &report.target,
        rows: report.rows,
        split: &report.split,
        preprocessing,
        rebalance: &report.rebalance,
        regularisation: &report.regularisation,
        calibration: &report.calibration,
        holdout_metrics: &report.holdout,
        holdout_metrics_uncalibrated: &report.holdout_uncalibrated,
    })
    .expect("metadata serialises")
}

/// `f(0..n)` on up to `available_parallelism` threads; results in index order.
fn parallel_map<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |t| t.get())
        .min(n)
        .max(1);
    let next = AtomicUsize::new(0);
    let mut out: Vec<(usize, T)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            break mine;
                        }
                        mine.push((i, f(i)));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker thread panicked"))
            .collect()
    });
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, t)| t).collect()
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
        write!(f, "fit time: {:.1} s", self.elapsed.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linfa_orientation_rule() {
        assert!(linfa_positive_is_one(&[1, 1, 0]));
        assert!(!linfa_positive_is_one(&[1, 0, 0]));
        assert!(linfa_positive_is_one(&[1, 0]));
        assert!(!linfa_positive_is_one(&[0, 1]));
    }

    #[test]
    fn rebalance_duplicates_to_the_ratio() {
        let y: Vec<u8> = (0..100).map(|i| u8::from(i < 10)).collect();
        let rows: Vec<usize> = (0..100).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (out, info) = rebalance(&rows, &y, 0.5, &mut rng);
        assert_eq!(info.rows_added, 35);
        assert_eq!(out.iter().filter(|&&r| y[r] == 1).count(), 45);
        assert!((info.intercept_correction + 4.5f64.ln()).abs() < 1e-12);
        assert!((rebalance_correction(&out, &rows, &y) - info.intercept_correction).abs() < 1e-12);
        let (same, none) = rebalance(&rows, &y, 0.0, &mut rng);
        assert_eq!((same.len(), none.rows_added), (100, 0));
    }

    #[test]
    fn stratified_keeps_rates() {
        let y: Vec<u8> = (0..1000).map(|i| u8::from(i % 4 == 0)).collect();
        let rows: Vec<usize> = (0..1000).collect();
        let (a, b) = stratified(&rows, &y, 0.2, &mut ChaCha8Rng::seed_from_u64(3));
        assert_eq!((a.len(), b.len()), (800, 200));
        assert_eq!(b.iter().filter(|&&r| y[r] == 1).count(), 50);
    }
}
