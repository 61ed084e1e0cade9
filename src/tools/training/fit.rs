//! Fitting a logistic-regression model in the `arrears.model.v1` format from a [`Table`]: the
//! [`fit`] pipeline itself. Its parts live in leaves next to it: `options` ([`FitOptions`]),
//! `split` (splitting and rebalancing rows), `solver` (the linfa-logistic fit) and `fit_report`
//! ([`FitReport`]), re-exported here.
//!
//!
//! Steps (all deterministic for a given table, options and seed):
//! 1. **Split** into a training part and a hold-out: time-based (earliest rows train, latest
//!    validate) with a time column, else stratified random by seed.
//! 2. **Preprocess** on the training rows only ([`super::preprocess`]): by default scorecard
//!    weight-of-evidence bins whose shape and bin count are chosen on an inner validation split
//!    ([`super::binning`]); or median imputation and standard scaling with p0.5/p99.5 clipping.
//! 3. **Rebalance** by duplicating minority-class rows until minority ≥ `rebalance` × majority
//!    (linfa-logistic has no sample weights). Duplication multiplies the minority's odds by a known
//!    factor k, so the intercept is corrected by ∓ln k afterwards (prior correction), and the
//!    calibration step maps scores to the true base rate.
//! 4. **Regularisation**: an L2 alpha (per training row: the penalty is alpha/2·‖w‖² next to the
//!    mean log loss, on the coefficients of the inputs standardised for the solver) chosen by log loss on an inner validation split of the training part, then a
//!    refit on the whole training part with the chosen alpha (warm-started).
//!    Then, for a scorecard, **interactions** ([`super::interactions`]): pairs whose 2-D table
//!    lowers the inner validation log loss by more than twice its standard error, refitted with
//!    the features.
//! 5. **Calibration** on the hold-out: Platt or isotonic, whichever has the lower log loss when
//!    cross-fitted on the two halves of the hold-out; the chosen map is then fitted on the whole
//!    hold-out and stored in the model. Reported hold-out metrics use the cross-fitted
//!    (out-of-fold) calibrated scores, so they are not flattered by the calibration fit.
//! 6. **Reference distribution**: the final model scores the training rows through the engine's
//!    own path ([`Model::predict_row`]: transforms, linear score, calibration) and the shares of
//!    those scores in ten bins of width 0.1 are stored as `metadata.score_distribution`, the
//!    reference the daemon's population stability index ([`crate::engine::scoring::psi`]) compares live
//!    scores against.

use std::time::{Duration, Instant};

use ndarray::Array1;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::calibrate::{apply, fit_isotonic, fit_platt};
use super::csv::Table;
use super::error::{TrainError, MIN_CLASS_ROWS, MIN_ROWS};
pub use super::fit_report::{
    AlphaSearch, AlphaTrial, CalibrationChoice, FitReport, Interactions, RebalanceInfo, SplitInfo,
};
use super::interactions::{build, select, PairTrial, Scored};
use super::metrics::{log_loss, Metrics};
pub use super::options::{FitOptions, DEFAULT_ALPHAS};
use super::preprocess::{design, learn_feature, Prepare, Selection};
use super::progress::steps_bar;
pub use super::solver::GRADIENT_TOLERANCE;
use super::solver::{fit_lr, parallel_map, predict, standardize};
use super::split::{
    labels_of, rate, rebalance, rebalance_correction, stratified, time_cut, time_keys,
};
use crate::engine::scoring::{psi, Calibration, Model, ScoreDistribution, MODEL_FORMAT};

/// Share of the training part held back to choose the regularisation.
pub const INNER_VALIDATION: f64 = 0.2;

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

    // The inner split of the training part: bins, alpha and interactions are chosen on it.
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

    // 2. Preprocess on the training rows, one column at a time (in parallel); a scorecard's
    //    binning is chosen on the inner split, then refitted on the whole training part.
    let data = table.data();
    let y_train = labels_of(&train, &y);
    let (y_inner_fit, y_inner_val) = (labels_of(&inner_train, &y), labels_of(&inner_val, &y));
    let learned: Vec<Result<_, TrainError>> = parallel_map(feature_cols.len(), |k| {
        let j = feature_cols[k];
        let col = |rows: &[usize]| -> Vec<f64> { rows.iter().map(|&r| data[[r, j]]).collect() };
        let (x, x_fit, x_val) = (col(&train), col(&inner_train), col(&inner_val));
        let selection = Selection {
            fit: (&x_fit, &y_inner_fit),
            val: (&x_val, &y_inner_val),
        };
        learn_feature(&names[k], &x, &y_train, &selection, &opts.prepare)
    });
    let mut specs = Vec::with_capacity(names.len());
    let mut summaries = Vec::with_capacity(names.len());
    for r in learned {
        let (s, m) = r?;
        specs.push(s);
        summaries.push(m);
    }

    // 3./4. Rebalance, alpha search.
    let bar = steps_bar(progress, opts.alphas.len() as u64 + 3, "fitting");
    let inner_train = if opts.max_tuning_rows > 0 && inner_train.len() > opts.max_tuning_rows {
        let frac = 1.0 - opts.max_tuning_rows as f64 / inner_train.len() as f64;
        stratified(&inner_train, &y, frac, &mut rng).0
    } else {
        inner_train
    };
    let (inner_fit_rows, _) = rebalance(&inner_train, &y, opts.rebalance, &mut rng);
    let mut x_inner = design(data, &feature_cols, &specs, &[], &inner_fit_rows);
    let scaling_inner = standardize(&mut x_inner);
    let y_inner: Vec<usize> = inner_fit_rows.iter().map(|&r| usize::from(y[r])).collect();
    let x_val = design(data, &feature_cols, &specs, &[], &inner_val);
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
    // Each alpha's validation probabilities (the interaction search reads the chosen one's).
    let mut val_preds = Vec::new();
    for (i, r) in fits.into_iter().enumerate() {
        let (w, b) = r?;
        let p = predict(&x_val, &w, b + correction_inner);
        let loss = log_loss(&p, &y_val);
        val_preds.push(p);
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
    let mut x_fit = design(data, &feature_cols, &specs, &[], &fit_rows);
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
    let mut intercept = b + rebalance_info.intercept_correction;
    let (mut w, mut b) = (w, b);

    // Interactions: pairs chosen on the inner split, tables built on the training part, then
    // one more fit with the tables as inputs.
    bar.set_message("interactions");
    let mut inters = Vec::new();
    let mut pair_trials = Vec::new();
    if matches!(opts.prepare, Prepare::Scorecard { .. })
        && opts.max_interactions > 0
        && specs.len() >= 2
    {
        let p_of = |rows: &[usize], w: &Array1<f64>, b: f64| {
            predict(&design(data, &feature_cols, &specs, &[], rows), w, b)
        };
        let (w_in, b_in) = &inner_params[best_i];
        let fit_p = p_of(&inner_train, w_in, b_in + correction_inner);
        let val_p = &val_preds[best_i];
        let importance: Vec<f64> = summaries
            .iter()
            .map(|s| s.information_value.unwrap_or(0.0))
            .collect();
        let scored = Scored {
            fit_rows: &inner_train,
            fit_p: &fit_p,
            val_rows: &inner_val,
            val_p,
        };
        pair_trials = select(
            data,
            &feature_cols,
            &specs,
            &importance,
            &y,
            &scored,
            opts.max_interactions,
        );
        if pair_trials.iter().any(|t| t.kept) {
            let train_p = p_of(&train, &w, intercept);
            inters = build(
                data,
                &feature_cols,
                &specs,
                &pair_trials,
                &train,
                &train_p,
                &y,
            );
            let mut x_fit = design(data, &feature_cols, &specs, &inters, &fit_rows);
            let scaling = standardize(&mut x_fit);
            let w0: Array1<f64> = w
                .iter()
                .copied()
                .chain(std::iter::repeat_n(1.0, inters.len()))
                .collect();
            (w, b) = fit_lr(
                x_fit.view(),
                &scaling,
                &y_fit,
                alpha,
                Some((&w0, b)),
                opts.max_iterations,
            )?;
            intercept = b + rebalance_info.intercept_correction;
        }
    }
    bar.inc(1);

    // 5. Calibration on the hold-out.
    bar.set_message("calibrating");
    let x_hold = design(data, &feature_cols, &specs, &inters, &hold);
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

    let n_specs = specs.len();
    let features = specs
        .into_iter()
        .zip(w.iter())
        .map(|(mut s, &c)| {
            s.coefficient = c;
            s
        })
        .collect();
    for (t, &c) in inters.iter_mut().zip(w.iter().skip(n_specs)) {
        t.coefficient = c;
    }
    let mut shown: Vec<PairTrial> = pair_trials.iter().filter(|t| t.kept).cloned().collect();
    let mut rest: Vec<&PairTrial> = pair_trials.iter().filter(|t| !t.kept).collect();
    rest.sort_by(|a, b| b.gain.total_cmp(&a.gain));
    shown.extend(rest.into_iter().take(5).cloned());
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
        interactions: Interactions {
            tried: pair_trials.len(),
            max: opts.max_interactions,
            trials: shown,
        },
        holdout_psi: f64::NAN,
        elapsed: Duration::ZERO,
    };
    let mut model = Model {
        format: MODEL_FORMAT.to_string(),
        name: opts.name.clone(),
        version: opts.version.clone(),
        kind: match opts.prepare {
            Prepare::Scorecard { .. } => "scorecard",
            Prepare::Standard => "logistic_regression",
        }
        .into(),
        target: match &opts.target_description {
            Some(d) => format!("{target}: {d}"),
            None => target.to_string(),
        },
        features,
        interactions: inters,
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
    let scorecard = matches!(opts.prepare, Prepare::Scorecard { .. });
    let cap = match &opts.prepare {
        Prepare::Scorecard { cap, .. } => *cap,
        Prepare::Standard => None,
    };
    let preprocessing = serde_json::json!({
        "impute": "median of the training rows (scorecard: missing values get their own bin when there are at least 20)",
        "transform": if scorecard { "scorecard_woe_bins" } else { "standard" },
        "clip": if scorecard { "none" } else { "p0.5–p99.5 of the training values" },
        "bin_selection": if scorecard { "shape (monotone, valley, peak, categories) and bin budget by validation log loss on the inner split" } else { "" },
        "max_bins": cap,
        "features": report.features,
        "interactions": report.interactions,
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
