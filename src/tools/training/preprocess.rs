//! Preprocessing learned on the training rows only: median imputation, then either standard
//! scaling (clipped to the 0.5th–99.5th percentiles) or monotone weight-of-evidence bins.
//!
//! The result is a list of [`FeatureSpec`]s (coefficient still 0) that the scorer applies exactly
//! as [`Model::input`] does, so training and scoring see the same inputs.

use ndarray::{Array2, ShapeBuilder};

use super::error::TrainError;
use crate::engine::scoring::{FeatureSpec, Model, Transform};

/// Quantile of sorted values, linear interpolation between order statistics.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    debug_assert!(!sorted.is_empty());
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (lo, frac) = (pos.floor() as usize, pos - pos.floor());
    if lo + 1 < sorted.len() {
        sorted[lo] + (sorted[lo + 1] - sorted[lo]) * frac
    } else {
        sorted[lo]
    }
}

/// What the preprocessing did to one feature (for the training summary).
#[derive(Debug, Clone, serde::Serialize)]
pub struct FeatureSummary {
    pub name: String,
    pub missing: usize,
    /// Bins left after the monotone merge (binning only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bins: Option<usize>,
    /// Information value of the bins (binning only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub information_value: Option<f64>,
}

/// Learns one feature's spec from its training values (`x`, NaN = missing) and labels.
pub fn learn_feature(
    name: &str,
    x: &[f64],
    y: &[u8],
    bins: Option<usize>,
) -> Result<(FeatureSpec, FeatureSummary), TrainError> {
    let mut sorted: Vec<f64> = x.iter().copied().filter(|v| !v.is_nan()).collect();
    let missing = x.len() - sorted.len();
    sorted.sort_unstable_by(f64::total_cmp);
    if sorted.is_empty() || sorted[0] == sorted[sorted.len() - 1] {
        return Err(TrainError::ConstantColumn {
            column: name.to_string(),
            value: sorted.first().copied(),
        });
    }
    let median = quantile(&sorted, 0.5);
    let mut summary = FeatureSummary {
        name: name.to_string(),
        missing,
        bins: None,
        information_value: None,
    };
    let mut spec = FeatureSpec {
        name: name.to_string(),
        impute: median,
        clip: None,
        transform: Transform::Standard {
            center: 0.0,
            scale: 1.0,
        },
        coefficient: 0.0,
        baseline: 0.0,
    };
    match bins {
        Some(k) => {
            let imputed: Vec<f64> = x
                .iter()
                .map(|v| if v.is_nan() { median } else { *v })
                .collect();
            let b = monotone_woe_bins(&imputed, y, k);
            summary.bins = Some(b.values.len());
            summary.information_value = Some(b.information_value);
            spec.transform = Transform::Bins {
                edges: b.edges,
                values: b.values,
            };
        }
        None => {
            let (lo, hi) = (quantile(&sorted, 0.005), quantile(&sorted, 0.995));
            spec.clip = (lo < hi).then_some([lo, hi]);
            let (mut mean, mut sd) = mean_sd(&spec, x);
            if sd <= 1e-12 * mean.abs().max(1.0) {
                // Clipping flattened a column with rare values: keep it unclipped.
                spec.clip = None;
                (mean, sd) = mean_sd(&spec, x);
            }
            spec.transform = Transform::Standard {
                center: mean,
                scale: sd,
            };
        }
    }
    spec.baseline = x.iter().map(|&v| Model::input(&spec, v)).sum::<f64>() / x.len() as f64;
    Ok((spec, summary))
}

/// Mean and population standard deviation of the imputed, clipped values.
fn mean_sd(spec: &FeatureSpec, x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().map(|&v| Model::input(spec, v)).sum::<f64>() / n;
    let var = x
        .iter()
        .map(|&v| (Model::input(spec, v) - mean).powi(2))
        .sum::<f64>()
        / n;
    (mean, var.sqrt())
}

/// Monotone weight-of-evidence bins of one feature.
#[derive(Debug, Clone, PartialEq)]
pub struct WoeBins {
    /// Bin `i` holds x < edges[i] (first match); the last bin holds the rest.
    pub edges: Vec<f64>,
    /// Weight of evidence per bin: ln(odds of label 1 in the bin ÷ overall odds), counts smoothed
    /// by +0.5. Monotone in the bin order.
    pub values: Vec<f64>,
    /// Rows per bin: (label 1, label 0).
    pub counts: Vec<(usize, usize)>,
    /// Σ (share of label-1 rows − share of label-0 rows) × WoE.
    pub information_value: f64,
}

/// Quantile bins (at most `n_bins`, on distinct values, so ties never straddle an edge), then
/// adjacent bins merged until the weight of evidence is monotone. Both directions are tried; the
/// one keeping the higher information value wins (increasing on a tie). `x` must have no NaN.
pub fn monotone_woe_bins(x: &[f64], y: &[u8], n_bins: usize) -> WoeBins {
    // Distinct values with their counts (label 1, label 0).
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_unstable_by(|&a, &b| x[a].total_cmp(&x[b]).then(a.cmp(&b)));
    let mut distinct: Vec<(f64, usize, usize)> = Vec::new();
    for i in order {
        let pos = usize::from(y[i] == 1);
        match distinct.last_mut() {
            Some(d) if d.0 == x[i] => {
                d.1 += pos;
                d.2 += 1 - pos;
            }
            _ => distinct.push((x[i], pos, 1 - pos)),
        }
    }
    let n = x.len();
    let target = (n as f64 / n_bins.max(1) as f64).max(1.0);
    let min_bin = (target / 4.0).max(20.0).min(n as f64 / 2.0);

    // Greedy equal-frequency bins over distinct values: (first distinct index, pos, neg).
    let mut bins: Vec<(usize, usize, usize)> = Vec::new();
    let mut acc = 0usize;
    for (i, d) in distinct.iter().enumerate() {
        let start_new = bins.is_empty() || acc as f64 >= target;
        if start_new {
            bins.push((i, 0, 0));
            acc = 0;
        }
        let b = bins.last_mut().expect("a bin");
        b.1 += d.1;
        b.2 += d.2;
        acc += d.1 + d.2;
    }
    // A small last bin joins its neighbour.
    if bins.len() > 1 {
        let last = bins[bins.len() - 1];
        if ((last.1 + last.2) as f64) < min_bin {
            bins.pop();
            let b = bins.last_mut().expect("a bin");
            b.1 += last.1;
            b.2 += last.2;
        }
    }
    let (tp, tn) = bins
        .iter()
        .fold((0usize, 0usize), |(p, q), b| (p + b.1, q + b.2));

    let woe_of = |p: usize, q: usize| -> f64 {
        ((p as f64 + 0.5) / (q as f64 + 0.5)).ln() - ((tp as f64 + 0.5) / (tn as f64 + 0.5)).ln()
    };
    let merge = |increasing: bool| -> Vec<(usize, usize, usize)> {
        let mut b = bins.clone();
        loop {
            let bad = b.windows(2).position(|w| {
                let (a, c) = (woe_of(w[0].1, w[0].2), woe_of(w[1].1, w[1].2));
                if increasing {
                    c < a
                } else {
                    c > a
                }
            });
            match bad {
                Some(i) => {
                    let next = b.remove(i + 1);
                    b[i].1 += next.1;
                    b[i].2 += next.2;
                }
                None => return b,
            }
        }
    };
    let iv = |b: &[(usize, usize, usize)]| -> f64 {
        b.iter()
            .map(|&(_, p, q)| {
                let sp = (p as f64 + 0.5) / (tp as f64 + 0.5);
                let sq = (q as f64 + 0.5) / (tn as f64 + 0.5);
                (sp - sq) * woe_of(p, q)
            })
            .sum()
    };
    let up = merge(true);
    let down = merge(false);
    let chosen = if iv(&down) > iv(&up) { down } else { up };

    let edges = chosen[1..]
        .iter()
        .map(|&(i, _, _)| {
            let (a, b) = (distinct[i - 1].0, distinct[i].0);
            let mid = a + (b - a) / 2.0;
            if mid > a && mid <= b {
                mid
            } else {
                b
            }
        })
        .collect();
    WoeBins {
        edges,
        values: chosen.iter().map(|&(_, p, q)| woe_of(p, q)).collect(),
        counts: chosen.iter().map(|&(_, p, q)| (p, q)).collect(),
        information_value: iv(&chosen),
    }
}

/// The transformed design matrix for `rows` of a row-major table: column-major (Fortran order),
/// which is what linfa's gradient (`Xᵀ·r`) reads fastest. `cols[k]` is the table column of
/// `specs[k]`.
pub fn design(
    data: &Array2<f64>,
    cols: &[usize],
    specs: &[FeatureSpec],
    rows: &[usize],
) -> Array2<f64> {
    let n = rows.len();
    let mut out = vec![0.0; n * specs.len()];
    for (k, (spec, &c)) in specs.iter().zip(cols).enumerate() {
        let dst = &mut out[k * n..(k + 1) * n];
        for (d, &r) in dst.iter_mut().zip(rows) {
            *d = Model::input(spec, data[[r, c]]);
        }
    }
    Array2::from_shape_vec((n, specs.len()).f(), out).expect("shape matches")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate() {
        let s = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&s, 0.5), 2.5);
        assert_eq!(quantile(&s, 0.0), 1.0);
        assert_eq!(quantile(&s, 1.0), 4.0);
    }

    #[test]
    fn woe_merges_until_monotone() {
        // Rate of label 1 by value: 0 → 10%, 1 → 30%, 2 → 20% (a dip), 3 → 60%.
        let mut x = Vec::new();
        let mut y = Vec::new();
        for (v, rate) in [(0.0, 10), (1.0, 30), (2.0, 20), (3.0, 60)] {
            for i in 0..100 {
                x.push(v);
                y.push(u8::from(i < rate));
            }
        }
        let b = monotone_woe_bins(&x, &y, 4);
        assert!(b.values.windows(2).all(|w| w[0] <= w[1]), "{b:?}");
        assert_eq!(b.values.len(), 3);
        assert_eq!(b.edges, vec![0.5, 2.5]);
        assert_eq!(b.counts[1], (50, 150));
        // Smoothed WoE of the first bin: ln(10.5/90.5) − ln(120.5/280.5).
        let want = (10.5f64 / 90.5).ln() - (120.5f64 / 280.5).ln();
        assert!((b.values[0] - want).abs() < 1e-12);
        assert!(b.information_value > 0.0);
    }

    #[test]
    fn woe_can_decrease_and_rare_values_keep_a_bin() {
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..1000 {
            let v = if i < 950 { 0.0 } else { 1.0 };
            x.push(v);
            // Rare value 1 has a much lower rate.
            y.push(u8::from(if v == 0.0 { i % 2 == 0 } else { i % 10 == 0 }));
        }
        let b = monotone_woe_bins(&x, &y, 10);
        assert_eq!(b.values.len(), 2);
        assert!(b.values[0] > b.values[1]);
    }

    #[test]
    fn constant_and_standard() {
        let err = learn_feature("k", &[1.0, 1.0, f64::NAN], &[0, 1, 0], None).unwrap_err();
        assert!(matches!(err, TrainError::ConstantColumn { .. }));
        let (spec, _) =
            learn_feature("x", &[1.0, 2.0, 3.0, f64::NAN], &[0, 1, 0, 1], None).unwrap();
        assert_eq!(spec.impute, 2.0);
        assert!(spec.baseline.abs() < 1e-12);
        match spec.transform {
            Transform::Standard { center, scale } => {
                assert!((center - 2.0).abs() < 0.01);
                assert!(scale > 0.0);
            }
            _ => panic!(),
        }
    }
}
