//! Fitting the incremental effect of a call on outcome rows, with linfa's logistic regression:
//! the S-learner the engine ships (one model with the treatment and its interactions with the
//! effect drivers, the interactions penalised harder than the rest so that noisy effects shrink
//! toward none), and two cross-checks: a T-learner (separate models for called and not-called
//! rows) and a transformed-outcome fit (least squares of `y·(t − e) / (e(1 − e))` on the drivers,
//! unbiased for the effect whatever the logging propensity `e`).

use ndarray::{Array1, Array2};

use super::rows::Row;
use crate::engine::scoring::uplift::{Linear, Rows, UpliftInput, UpliftModel, UPLIFT_FORMAT};
use crate::tools::training::solver::{self, Scaling};

/// The call's effect drivers: reachability, recent calls, delinquency, the scores, promise
/// state, payday and the amount.
pub const DRIVERS: [&str; 12] = [
    "right_party_rate_30d",
    "attempts_7d",
    "no_answer_streak",
    "days_past_due",
    "statements_missed",
    "willingness",
    "ability",
    "promise_pending",
    "promises_broken_90d",
    "days_to_payday",
    "overdue_amount_log",
    "paid_to_due_ratio_90d",
];

/// Fitting options.
#[derive(Debug, Clone)]
pub struct FitOptions {
    /// L2 strengths (per row) tried; the best on validation log-loss is kept.
    pub alphas: Vec<f64>,
    /// The interactions' penalty relative to the other coefficients (shrinkage of the effect).
    pub effect_penalty: f64,
    /// Solver iterations.
    pub max_iterations: u64,
}

impl Default for FitOptions {
    fn default() -> FitOptions {
        FitOptions {
            alphas: vec![1e-5, 1e-4, 1e-3],
            effect_penalty: 4.0,
            max_iterations: 300,
        }
    }
}

/// Standardisation of the inputs, from the training rows: clip to the 0.5%–99.5% quantiles, then
/// centre and scale.
pub struct Inputs {
    /// Per input: name, clip, center, scale.
    pub specs: Vec<UpliftInput>,
}

impl Inputs {
    /// Learns the standardisation from `rows`.
    pub fn learn(rows: &[&Row], names: &[&str]) -> Inputs {
        let k = names.len();
        let mut specs = Vec::with_capacity(k);
        for (j, name) in names.iter().enumerate() {
            let mut col: Vec<f64> = rows
                .iter()
                .map(|r| r.input(j))
                .filter(|v| v.is_finite())
                .collect();
            col.sort_by(f64::total_cmp);
            let q = |p: f64| {
                col.get(((col.len().max(1) - 1) as f64 * p).round() as usize)
                    .copied()
                    .unwrap_or(0.0)
            };
            let clip = [q(0.005), q(0.995)];
            let n = col.len().max(1) as f64;
            let clipped = col.iter().map(|v| v.clamp(clip[0], clip[1]));
            let mean = clipped.clone().sum::<f64>() / n;
            let var = clipped.map(|v| (v - mean).powi(2)).sum::<f64>() / n;
            let scale = if var.sqrt() > 1e-9 { var.sqrt() } else { 1.0 };
            specs.push(UpliftInput {
                name: (*name).to_owned(),
                clip,
                center: mean,
                scale,
            });
        }
        Inputs { specs }
    }

    /// The standardised input matrix of `rows`.
    pub fn matrix(&self, rows: &[&Row]) -> Array2<f64> {
        let k = self.specs.len();
        let mut x = Array2::zeros((rows.len(), k));
        for (i, r) in rows.iter().enumerate() {
            for (j, v) in r.inputs().enumerate().take(k) {
                let s = &self.specs[j];
                let v = if v.is_finite() { v } else { s.center };
                x[[i, j]] = (v.clamp(s.clip[0], s.clip[1]) - s.center) / s.scale;
            }
        }
        x
    }
}

fn identity(k: usize) -> Scaling {
    Scaling {
        mean: Array1::zeros(k),
        sd: Array1::ones(k),
    }
}

fn log_loss(p: &[f64], y: &[usize]) -> f64 {
    let n = y.len().max(1) as f64;
    -p.iter()
        .zip(y)
        .map(|(p, &y)| {
            let p = p.clamp(1e-9, 1.0 - 1e-9);
            if y == 1 {
                p.ln()
            } else {
                (1.0 - p).ln()
            }
        })
        .sum::<f64>()
        / n
}

/// The S-learner design: inputs, the treatment, and treatment × driver / √penalty.
fn design(x: &Array2<f64>, t: &[bool], drivers: &[usize], penalty: f64) -> Array2<f64> {
    let (n, k) = x.dim();
    let shrink = 1.0 / penalty.max(1e-9).sqrt();
    let mut d = Array2::zeros((n, k + 1 + drivers.len()));
    for i in 0..n {
        for j in 0..k {
            d[[i, j]] = x[[i, j]];
        }
        if t[i] {
            d[[i, k]] = 1.0;
            for (m, &j) in drivers.iter().enumerate() {
                d[[i, k + 1 + m]] = x[[i, j]] * shrink;
            }
        }
    }
    d
}

/// A fitted S-learner and how it was chosen.
pub struct SFit {
    /// The model file.
    pub model: UpliftModel,
    /// Validation log-loss per alpha tried.
    pub tried: Vec<(f64, f64)>,
}

/// Fits the S-learner on `train`, choosing alpha on `valid`.
pub fn s_learner(
    train: &[&Row],
    valid: &[&Row],
    opts: &FitOptions,
    version: &str,
    horizon_days: u32,
) -> anyhow::Result<SFit> {
    anyhow::ensure!(
        train.iter().any(|r| r.treated) && train.iter().any(|r| !r.treated),
        "the training rows need both called and not-called rows"
    );
    let names = super::rows::input_names();
    let inputs = Inputs::learn(train, &names);
    let drivers: Vec<usize> = DRIVERS
        .iter()
        .map(|d| {
            names
                .iter()
                .position(|n| n == d)
                .ok_or_else(|| anyhow::anyhow!("driver {d} is not an input"))
        })
        .collect::<anyhow::Result<_>>()?;
    let xt = inputs.matrix(train);
    let tt: Vec<bool> = train.iter().map(|r| r.treated).collect();
    let yt: Vec<usize> = train.iter().map(|r| usize::from(r.y())).collect();
    let dt = design(&xt, &tt, &drivers, opts.effect_penalty);
    let xv = inputs.matrix(valid);
    let tv: Vec<bool> = valid.iter().map(|r| r.treated).collect();
    let yv: Vec<usize> = valid.iter().map(|r| usize::from(r.y())).collect();
    let dv = design(&xv, &tv, &drivers, opts.effect_penalty);
    let scaling = identity(dt.ncols());
    let mut best: Option<(f64, Array1<f64>, f64)> = None;
    let mut tried = Vec::new();
    for &alpha in &opts.alphas {
        let (w, b) = solver::fit_lr(dt.view(), &scaling, &yt, alpha, None, opts.max_iterations)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let loss = log_loss(&solver::predict(&dv, &w, b), &yv);
        tracing::info!(alpha, validation_log_loss = loss, "uplift S-learner fit");
        tried.push((alpha, loss));
        if best.as_ref().is_none_or(|(l, _, _)| loss < *l) {
            best = Some((loss, w, b));
        }
    }
    let (_, w, b) = best.ok_or_else(|| anyhow::anyhow!("no alpha to try"))?;
    let k = names.len();
    let shrink = 1.0 / opts.effect_penalty.max(1e-9).sqrt();
    let paying: Vec<f64> = train
        .iter()
        .filter(|r| r.y())
        .map(|r| r.paid_share())
        .collect();
    let paid_share = paying.iter().sum::<f64>() / paying.len().max(1) as f64;
    let model = UpliftModel {
        format: UPLIFT_FORMAT.to_owned(),
        version: version.to_owned(),
        kind: "s_learner_logistic".to_owned(),
        target: format!(
            "a payment net of reversals of at least {}% of the amount at stake within {horizon_days} days of the decision",
            super::rows::PAID_THRESHOLD * 100.0
        ),
        horizon_days,
        paid_share,
        rows: Rows {
            treated: tt.iter().filter(|t| **t).count() as u64,
            control: tt.iter().filter(|t| !**t).count() as u64,
        },
        inputs: inputs.specs,
        base: Linear {
            intercept: b,
            coefficients: w.iter().take(k).copied().collect(),
        },
        drivers: DRIVERS.iter().map(|d| (*d).to_owned()).collect(),
        effect: Linear {
            intercept: w[k],
            coefficients: (0..drivers.len()).map(|m| w[k + 1 + m] * shrink).collect(),
        },
        metadata: serde_json::json!({
            "alphas_tried": tried.iter().map(|(a, l)| serde_json::json!({"alpha": a, "validation_log_loss": l})).collect::<Vec<_>>(),
            "effect_penalty": opts.effect_penalty,
            "validation_rows": valid.len(),
        }),
    };
    Ok(SFit { model, tried })
}

/// A T-learner: P(pay | called) and P(pay | not called) fitted apart; predicts their difference.
pub struct TLearner {
    inputs: Inputs,
    treated: (Array1<f64>, f64),
    control: (Array1<f64>, f64),
}

impl TLearner {
    /// Fits both models on `train` with L2 `alpha`.
    pub fn fit(train: &[&Row], alpha: f64, max_iterations: u64) -> anyhow::Result<TLearner> {
        let names = super::rows::input_names();
        let inputs = Inputs::learn(train, &names);
        let fit = |t: bool| -> anyhow::Result<(Array1<f64>, f64)> {
            let part: Vec<&Row> = train.iter().copied().filter(|r| r.treated == t).collect();
            anyhow::ensure!(part.len() > 10, "too few rows with treated = {t}");
            let x = inputs.matrix(&part);
            let y: Vec<usize> = part.iter().map(|r| usize::from(r.y())).collect();
            anyhow::ensure!(
                y.contains(&1) && y.contains(&0),
                "rows with treated = {t} have one label only"
            );
            solver::fit_lr(
                x.view(),
                &identity(x.ncols()),
                &y,
                alpha,
                None,
                max_iterations,
            )
            .map_err(|e| anyhow::anyhow!("{e}"))
        };
        Ok(TLearner {
            treated: fit(true)?,
            control: fit(false)?,
            inputs,
        })
    }

    /// Predicted uplift per row.
    pub fn predict(&self, rows: &[&Row]) -> Vec<f64> {
        let x = self.inputs.matrix(rows);
        let p1 = solver::predict(&x, &self.treated.0, self.treated.1);
        let p0 = solver::predict(&x, &self.control.0, self.control.1);
        p1.iter().zip(&p0).map(|(a, b)| a - b).collect()
    }
}

/// The transformed-outcome fit: ridge least squares of `y·(t − e)/(e(1 − e))` on the drivers, with
/// `e` the share of called rows.
pub struct TransformedOutcome {
    inputs: Inputs,
    drivers: Vec<usize>,
    beta: Vec<f64>,
}

impl TransformedOutcome {
    /// Fits on `train` with ridge strength `lambda` (per row).
    pub fn fit(train: &[&Row], lambda: f64) -> anyhow::Result<TransformedOutcome> {
        let names = super::rows::input_names();
        let inputs = Inputs::learn(train, &names);
        let drivers: Vec<usize> = DRIVERS
            .iter()
            .filter_map(|d| names.iter().position(|n| n == d))
            .collect();
        let x = inputs.matrix(train);
        let k = drivers.len() + 1;
        // The rows' own treated share: not-called rows may be subsampled when logged, so the
        // logging propensity alone would misstate the odds of treatment among the rows.
        let e = train.iter().filter(|r| r.treated).count() as f64 / train.len().max(1) as f64;
        let e = e.clamp(0.01, 0.99);
        let mut a = vec![vec![0.0; k]; k];
        let mut b = vec![0.0; k];
        for (i, r) in train.iter().enumerate() {
            let t = if r.treated { 1.0 } else { 0.0 };
            let z = f64::from(u8::from(r.y())) * (t - e) / (e * (1.0 - e));
            let row: Vec<f64> = std::iter::once(1.0)
                .chain(drivers.iter().map(|&j| x[[i, j]]))
                .collect();
            for p in 0..k {
                b[p] += row[p] * z;
                for q in 0..k {
                    a[p][q] += row[p] * row[q];
                }
            }
        }
        let n = train.len().max(1) as f64;
        for (p, row) in a.iter_mut().enumerate().skip(1) {
            row[p] += lambda * n;
        }
        let beta = cholesky_solve(a, b).ok_or_else(|| anyhow::anyhow!("singular system"))?;
        Ok(TransformedOutcome {
            inputs,
            drivers,
            beta,
        })
    }

    /// Predicted uplift per row.
    pub fn predict(&self, rows: &[&Row]) -> Vec<f64> {
        let x = self.inputs.matrix(rows);
        (0..rows.len())
            .map(|i| {
                self.beta[0]
                    + self
                        .drivers
                        .iter()
                        .enumerate()
                        .map(|(m, &j)| self.beta[m + 1] * x[[i, j]])
                        .sum::<f64>()
            })
            .collect()
    }
}

/// Solves `a x = b` for a symmetric positive-definite `a`.
#[allow(
    clippy::needless_range_loop,
    reason = "the textbook index form of Cholesky"
)]
fn cholesky_solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for j in 0..n {
        let mut d = a[j][j];
        for k in 0..j {
            d -= a[j][k] * a[j][k];
        }
        if d <= 1e-12 {
            return None;
        }
        let d = d.sqrt();
        a[j][j] = d;
        for i in j + 1..n {
            let mut s = a[i][j];
            for k in 0..j {
                s -= a[i][k] * a[j][k];
            }
            a[i][j] = s / d;
        }
    }
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= a[i][k] * b[k];
        }
        b[i] = s / a[i][i];
    }
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= a[k][i] * b[k];
        }
        b[i] = s / a[i][i];
    }
    Some(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves_a_small_system() {
        let a = vec![vec![4.0, 2.0], vec![2.0, 3.0]];
        let x = cholesky_solve(a, vec![2.0, 1.0]).unwrap();
        assert!((4.0 * x[0] + 2.0 * x[1] - 2.0).abs() < 1e-12);
        assert!((2.0 * x[0] + 3.0 * x[1] - 1.0).abs() < 1e-12);
    }
}
