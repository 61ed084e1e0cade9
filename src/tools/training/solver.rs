//! The logistic-regression solver around linfa-logistic: input standardisation, the L2 fit with
//! its label orientation and warm start, prediction, and the parallel map the fits run on.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2, ArrayView2};

use super::error::TrainError;

/// The solver stops when the norm of the mean log-loss gradient falls below this.
pub const GRADIENT_TOLERANCE: f64 = 3e-5;

/// linfa's binary logistic regression labels the *more frequent* class as positive (the first
/// one seen on a tie); this says whether that is class 1 for these labels.
pub(super) fn linfa_positive_is_one(y: &[usize]) -> bool {
    let first = y[0];
    let n_first = y.iter().filter(|&&v| v == first).count();
    if n_first < y.len() - n_first {
        first != 1
    } else {
        first == 1
    }
}

/// Column means and standard deviations the solver's inputs were standardised with.
pub(crate) struct Scaling {
    pub(crate) mean: Array1<f64>,
    pub(crate) sd: Array1<f64>,
}

/// Standardises the columns of `x` in place (mean 0, sd 1; a constant column becomes 0). The
/// solver then works on a well-conditioned problem whatever the transform (weights of evidence of
/// a weak feature have a tiny spread), and the L2 penalty treats every feature alike.
pub(crate) fn standardize(x: &mut Array2<f64>) -> Scaling {
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
pub(crate) fn fit_lr(
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

pub(crate) fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

pub(crate) fn predict(x: &Array2<f64>, w: &Array1<f64>, b: f64) -> Vec<f64> {
    x.dot(w).iter().map(|&z| sigmoid(z + b)).collect()
}

/// `f(0..n)` on up to `available_parallelism` threads; results in index order.
pub(crate) fn parallel_map<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
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
}
