//! Pairwise interactions for a scorecard, the explainable-boosting way: a pair of features gets a
//! small 2-D table of log-odds corrections to the additive model, kept only when it pays on
//! validation rows.
//!
//! - **Candidates**: every pair among the [`MAX_CANDIDATE_FEATURES`] features with the highest
//!   information value. Each axis is cut into at most [`AXIS_BINS`] equal-frequency bins of the
//!   feature's imputed, clipped raw value.
//! - **Table**: one Newton step of the log loss from the additive model's scores, per cell:
//!   `Σ (y − p) / (Σ p (1 − p) + λ)`, with λ (the shrinkage of thin cells) chosen per pair from
//!   [`LAMBDAS`] on the validation rows.
//! - **Selection**: a pair is kept when its validation log-loss gain exceeds twice its standard
//!   error (over rows), so noise does not buy a table; at most `max_pairs`, largest gain first,
//!   each feature in at most two pairs.
//! - The kept tables are then rebuilt on the whole training part and enter the logistic fit as
//!   inputs, each with its own coefficient under the same L2 penalty.

use ndarray::Array2;
use serde::Serialize;

use super::solver::parallel_map;
use crate::engine::scoring::{FeatureSpec, Interaction, Model};

/// Bins per axis of an interaction table (3, 5 and 8 were tried as a per-pair validation choice
/// and lost AUC on the credit benchmark: the extra choice overfits the validation rows).
pub const AXIS_BINS: usize = 4;

/// The shrinkage values tried for a table's cells.
pub const LAMBDAS: [f64; 4] = [1.0, 5.0, 25.0, 125.0];

/// Pairs are drawn from this many features (highest information value first).
pub const MAX_CANDIDATE_FEATURES: usize = 16;

/// A pair's validation result.
#[derive(Debug, Clone, Serialize)]
pub struct PairTrial {
    pub features: [String; 2],
    /// Mean validation log-loss reduction per row.
    pub gain: f64,
    /// Its standard error over rows.
    pub standard_error: f64,
    pub lambda: f64,
    pub kept: bool,
    #[serde(skip)]
    pub at: [usize; 2],
    #[serde(skip)]
    pub edges: [Vec<f64>; 2],
}

/// The cleaned raw value of model feature `k` in table row `r`.
fn cleaned(data: &Array2<f64>, cols: &[usize], specs: &[FeatureSpec], k: usize, r: usize) -> f64 {
    Model::cleaned(&specs[k], data[[r, cols[k]]])
}

/// At most `k` equal-frequency bins' edges between distinct values of `v`.
fn axis_edges(v: &mut [f64], k: usize) -> Vec<f64> {
    v.sort_unstable_by(f64::total_cmp);
    let mut edges: Vec<f64> = Vec::new();
    let above_min = v.iter().copied().find(|x| *x > v[0]);
    for q in 1..k {
        // An edge at a value keeps its ties in one bin; a quantile at the minimum moves up to the
        // next value, so a rare second value (a flag) still gets a bin.
        let x = v[(q * v.len()) / k];
        let x = if x > v[0] { Some(x) } else { above_min };
        if let Some(x) = x.filter(|x| edges.last().is_none_or(|e| x > e)) {
            edges.push(x);
        }
    }
    edges
}

/// The cell of each row for a pair's edges.
fn cells(
    data: &Array2<f64>,
    cols: &[usize],
    specs: &[FeatureSpec],
    at: [usize; 2],
    edges: &[Vec<f64>; 2],
    rows: &[usize],
) -> Vec<usize> {
    let width = edges[1].len() + 1;
    rows.iter()
        .map(|&r| {
            let a = cleaned(data, cols, specs, at[0], r);
            let b = cleaned(data, cols, specs, at[1], r);
            edges[0].partition_point(|e| *e <= a) * width + edges[1].partition_point(|e| *e <= b)
        })
        .collect()
}

/// Newton-step table values from gradient sums.
fn table(sums: &[(f64, f64)], lambda: f64) -> Vec<f64> {
    sums.iter().map(|&(g, h)| g / (h + lambda)).collect()
}

fn sums(cell: &[usize], n_cells: usize, p: &[f64], y: &[u8]) -> Vec<(f64, f64)> {
    let mut s = vec![(0.0, 0.0); n_cells];
    for ((&c, &p), &y) in cell.iter().zip(p).zip(y) {
        s[c].0 += f64::from(y) - p;
        s[c].1 += p * (1.0 - p);
    }
    s
}

fn row_loss(p: f64, y: u8) -> f64 {
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    if y == 1 {
        -p.ln()
    } else {
        -(1.0 - p).ln()
    }
}

fn shifted(p: f64, by: f64) -> f64 {
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    1.0 / (1.0 + (-((p / (1.0 - p)).ln() + by)).exp())
}

/// The rows a selection reads: the additive model's probabilities on fitting and validation rows.
pub struct Scored<'a> {
    pub fit_rows: &'a [usize],
    pub fit_p: &'a [f64],
    pub val_rows: &'a [usize],
    pub val_p: &'a [f64],
}

/// Tries the candidate pairs and marks the ones kept (see the module notes).
pub fn select(
    data: &Array2<f64>,
    cols: &[usize],
    specs: &[FeatureSpec],
    importance: &[f64],
    y: &[u8],
    s: &Scored<'_>,
    max_pairs: usize,
) -> Vec<PairTrial> {
    let mut order: Vec<usize> = (0..specs.len()).collect();
    order.sort_by(|&a, &b| importance[b].total_cmp(&importance[a]).then(a.cmp(&b)));
    order.truncate(MAX_CANDIDATE_FEATURES);
    order.sort_unstable();
    let mut pairs = Vec::new();
    for (i, &a) in order.iter().enumerate() {
        for &b in &order[i + 1..] {
            pairs.push([a, b]);
        }
    }
    let y_fit: Vec<u8> = s.fit_rows.iter().map(|&r| y[r]).collect();
    let y_val: Vec<u8> = s.val_rows.iter().map(|&r| y[r]).collect();
    let mut trials: Vec<PairTrial> = parallel_map(pairs.len(), |i| {
        let at = pairs[i];
        let edges = at.map(|k| {
            let mut v: Vec<f64> = s
                .fit_rows
                .iter()
                .map(|&r| cleaned(data, cols, specs, k, r))
                .collect();
            axis_edges(&mut v, AXIS_BINS)
        });
        let n_cells = (edges[0].len() + 1) * (edges[1].len() + 1);
        let fit_cells = cells(data, cols, specs, at, &edges, s.fit_rows);
        let val_cells = cells(data, cols, specs, at, &edges, s.val_rows);
        let g = sums(&fit_cells, n_cells, s.fit_p, &y_fit);
        // (gain, its standard error, lambda): the lambda with the largest mean gain.
        let mut best = (f64::NEG_INFINITY, 0.0, LAMBDAS[0]);
        for &lambda in &LAMBDAS {
            let t = table(&g, lambda);
            let d: Vec<f64> = val_cells
                .iter()
                .zip(s.val_p)
                .zip(&y_val)
                .map(|((&c, &p), &y)| row_loss(p, y) - row_loss(shifted(p, t[c]), y))
                .collect();
            let n = d.len().max(1) as f64;
            let mean = d.iter().sum::<f64>() / n;
            let var = d.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
            if mean > best.0 {
                best = (mean, (var / n).sqrt(), lambda);
            }
        }
        PairTrial {
            features: at.map(|k| specs[k].name.clone()),
            gain: best.0,
            standard_error: best.1,
            lambda: best.2,
            kept: false,
            at,
            edges,
        }
    });
    let mut ranked: Vec<usize> = (0..trials.len()).collect();
    ranked.sort_by(|&a, &b| trials[b].gain.total_cmp(&trials[a].gain).then(a.cmp(&b)));
    let mut uses = vec![0usize; specs.len()];
    let mut kept = 0;
    for i in ranked {
        let t = &mut trials[i];
        if kept < max_pairs
            && t.gain > 2.0 * t.standard_error
            && t.gain > 0.0
            && t.at.iter().all(|&k| uses[k] < 2)
        {
            t.kept = true;
            kept += 1;
            for &k in &t.at {
                uses[k] += 1;
            }
        }
    }
    trials
}

/// The kept pairs' tables, fitted on `rows` (with the additive model's probabilities `p`), with
/// coefficient 1 and their mean value on those rows as baseline.
pub fn build(
    data: &Array2<f64>,
    cols: &[usize],
    specs: &[FeatureSpec],
    trials: &[PairTrial],
    rows: &[usize],
    p: &[f64],
    y: &[u8],
) -> Vec<Interaction> {
    let labels: Vec<u8> = rows.iter().map(|&r| y[r]).collect();
    trials
        .iter()
        .filter(|t| t.kept)
        .map(|t| {
            let n_cells = (t.edges[0].len() + 1) * (t.edges[1].len() + 1);
            let c = cells(data, cols, specs, t.at, &t.edges, rows);
            let values = table(&sums(&c, n_cells, p, &labels), t.lambda);
            let baseline = c.iter().map(|&i| values[i]).sum::<f64>() / c.len().max(1) as f64;
            Interaction {
                features: t.features.clone(),
                edges: t.edges.clone(),
                values,
                coefficient: 1.0,
                baseline,
                at: t.at,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::scoring::Transform;

    fn spec(name: &str) -> FeatureSpec {
        FeatureSpec {
            name: name.into(),
            impute: 0.0,
            clip: None,
            transform: Transform::Standard {
                center: 0.0,
                scale: 1.0,
            },
            coefficient: 0.0,
            baseline: 0.0,
        }
    }

    /// y depends on a XOR b only: no additive model sees it; the a×b table does, c×d does not.
    #[test]
    fn an_xor_pair_is_kept_and_noise_pairs_are_not() {
        let n = 8000;
        let mut data = Array2::zeros((n, 4));
        let mut y = vec![0u8; n];
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        for r in 0..n {
            for c in 0..4 {
                data[[r, c]] = next();
            }
            let xor = (data[[r, 0]] > 0.5) != (data[[r, 1]] > 0.5);
            y[r] = u8::from(next() < if xor { 0.8 } else { 0.2 });
        }
        let specs: Vec<FeatureSpec> = ["a", "b", "c", "d"].iter().map(|n| spec(n)).collect();
        let cols = [0, 1, 2, 3];
        let fit_rows: Vec<usize> = (0..n / 2).collect();
        let val_rows: Vec<usize> = (n / 2..n).collect();
        let fit_p = vec![0.5; fit_rows.len()];
        let val_p = vec![0.5; val_rows.len()];
        let s = Scored {
            fit_rows: &fit_rows,
            fit_p: &fit_p,
            val_rows: &val_rows,
            val_p: &val_p,
        };
        let trials = select(&data, &cols, &specs, &[1.0; 4], &y, &s, 3);
        assert_eq!(trials.len(), 6);
        let kept: Vec<[usize; 2]> = trials.iter().filter(|t| t.kept).map(|t| t.at).collect();
        assert_eq!(kept, vec![[0, 1]], "{trials:?}");
        let tables = build(&data, &cols, &specs, &trials, &fit_rows, &fit_p, &y);
        assert_eq!(tables.len(), 1);
        let t = &tables[0];
        assert!(t.check().is_ok());
        // The corner cells (both low, both high) lower the log-odds; the off-corners raise it.
        assert!(t.cell(0.1, 0.1) < -0.5 && t.cell(0.9, 0.9) < -0.5, "{t:?}");
        assert!(t.cell(0.1, 0.9) > 0.5 && t.cell(0.9, 0.1) > 0.5, "{t:?}");
    }

    #[test]
    fn axis_edges_keep_ties_together() {
        let mut v = vec![0.0; 90];
        v.extend([1.0; 10]);
        assert_eq!(
            axis_edges(&mut v, 4),
            vec![1.0],
            "a rare flag still gets its bin"
        );
        let mut w: Vec<f64> = (0..100).map(f64::from).collect();
        assert_eq!(axis_edges(&mut w, 4), vec![25.0, 50.0, 75.0]);
    }
}
