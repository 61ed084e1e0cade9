//! Preprocessing learned on the training rows only: median imputation, then either scorecard
//! bins (weight of evidence, shape and bin count chosen on validation rows: [`super::binning`]) or
//! standard scaling (clipped to the 0.5th–99.5th percentiles).
//!
//! The result is a list of [`FeatureSpec`]s (coefficient still 0) that the scorer applies exactly
//! as [`Model::input`] does, so training and scoring see the same inputs.

use ndarray::{Array2, ShapeBuilder};

use super::binning::{bin, candidates, choose, is_coded, Candidate, Shape};
use super::error::TrainError;
pub use super::metrics::quantile;
use crate::engine::scoring::{FeatureSpec, Interaction, Model, Transform};

/// What the preprocessing did to one feature (for the training summary and the model card).
#[derive(Debug, Clone, serde::Serialize)]
pub struct FeatureSummary {
    pub name: String,
    pub missing: usize,
    /// The bin shape chosen (scorecard only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shape: Option<Shape>,
    /// Bins (or categories, "other" included) left after merging (scorecard only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bins: Option<usize>,
    /// The equal-frequency bin budget chosen on validation (scorecard bins only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_bins: Option<usize>,
    /// Information value of the bins on the training rows (scorecard only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub information_value: Option<f64>,
    /// Validation log loss of the chosen binning's own rates (scorecard only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation_log_loss: Option<f64>,
    /// Training rows per bin, `[label 1, label 0]`, in the transform's order (scorecard only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub counts: Vec<[usize; 2]>,
    /// Training rows of the missing bin, `[label 1, label 0]`, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_counts: Option<[usize; 2]>,
}

/// How features are prepared.
#[derive(Debug, Clone, PartialEq)]
pub enum Prepare {
    /// Standard scaling with clipping.
    Standard,
    /// Scorecard bins.
    Scorecard {
        /// At most this many equal-frequency bins before merging (`--bins`).
        cap: Option<usize>,
        /// Columns always treated as categories.
        categorical: Vec<String>,
        /// Columns offered monotone shapes only (those with an expected sign).
        monotone: Vec<String>,
    },
}

/// The rows a scorecard binning is chosen on: fitting rows and validation rows (values, labels).
pub struct Selection<'a> {
    pub fit: (&'a [f64], &'a [u8]),
    pub val: (&'a [f64], &'a [u8]),
}

/// Learns one feature's spec from its training values (`x`, NaN = missing) and labels; a
/// scorecard binning is chosen on `selection` and then refitted on all of `x`.
pub fn learn_feature(
    name: &str,
    x: &[f64],
    y: &[u8],
    selection: &Selection<'_>,
    how: &Prepare,
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
        shape: None,
        bins: None,
        max_bins: None,
        information_value: None,
        validation_log_loss: None,
        counts: Vec::new(),
        missing_counts: None,
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
    match how {
        Prepare::Scorecard {
            cap,
            categorical,
            monotone,
        } => {
            let forced = categorical.iter().any(|c| c == name);
            let offered = if forced {
                vec![Candidate {
                    shape: Shape::Categories,
                    max_bins: 0,
                }]
            } else {
                candidates(is_coded(x), monotone.iter().any(|c| c == name), *cap)
            };
            let (chosen, val_loss) = choose(selection.fit, selection.val, median, &offered);
            summary.shape = Some(chosen.shape);
            summary.validation_log_loss = Some(val_loss);
            if chosen.shape == Shape::Linear {
                // Information value of ten monotone bins, for the card and the pair ranking.
                let b = bin(
                    x,
                    y,
                    Candidate {
                        shape: Shape::Monotone,
                        max_bins: 10,
                    },
                    median,
                );
                summary.information_value = Some(b.information_value);
                standardise(&mut spec, &sorted, x);
                spec.baseline =
                    x.iter().map(|&v| Model::input(&spec, v)).sum::<f64>() / x.len() as f64;
                return Ok((spec, summary));
            }
            let b = bin(x, y, chosen, median);
            summary.bins = Some(b.counts.iter().filter(|c| c.0 + c.1 > 0).count());
            summary.max_bins = (chosen.shape != Shape::Categories).then_some(chosen.max_bins);
            summary.information_value = Some(b.information_value);
            summary.counts = b.counts.iter().map(|&(p, q)| [p, q]).collect();
            summary.missing_counts = b.missing_counts.map(|(p, q)| [p, q]);
            spec.transform = b.transform;
        }
        Prepare::Standard => standardise(&mut spec, &sorted, x),
    }
    spec.baseline = x.iter().map(|&v| Model::input(&spec, v)).sum::<f64>() / x.len() as f64;
    Ok((spec, summary))
}

/// Standard scaling of `spec` from the feature's sorted values, clipped to p0.5–p99.5.
fn standardise(spec: &mut FeatureSpec, sorted: &[f64], x: &[f64]) {
    let (lo, hi) = (quantile(sorted, 0.005), quantile(sorted, 0.995));
    spec.clip = (lo < hi).then_some([lo, hi]);
    let (mut mean, mut sd) = mean_sd(spec, x);
    if sd <= 1e-12 * mean.abs().max(1.0) {
        // Clipping flattened a column with rare values: keep it unclipped.
        spec.clip = None;
        (mean, sd) = mean_sd(spec, x);
    }
    spec.transform = Transform::Standard {
        center: mean,
        scale: sd,
    };
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

/// The transformed design matrix for `rows` of a row-major table: column-major (Fortran order),
/// which is what linfa's gradient (`Xᵀ·r`) reads fastest. `cols[k]` is the table column of
/// `specs[k]`; the interaction tables' values follow the features' columns.
pub fn design(
    data: &Array2<f64>,
    cols: &[usize],
    specs: &[FeatureSpec],
    inters: &[Interaction],
    rows: &[usize],
) -> Array2<f64> {
    let n = rows.len();
    let width = specs.len() + inters.len();
    let mut out = vec![0.0; n * width];
    for (k, (spec, &c)) in specs.iter().zip(cols).enumerate() {
        let dst = &mut out[k * n..(k + 1) * n];
        for (d, &r) in dst.iter_mut().zip(rows) {
            *d = Model::input(spec, data[[r, c]]);
        }
    }
    for (m, t) in inters.iter().enumerate() {
        let k = specs.len() + m;
        let [a, b] = t.at;
        let dst = &mut out[k * n..(k + 1) * n];
        for (d, &r) in dst.iter_mut().zip(rows) {
            *d = t.cell(
                Model::cleaned(&specs[a], data[[r, cols[a]]]),
                Model::cleaned(&specs[b], data[[r, cols[b]]]),
            );
        }
    }
    Array2::from_shape_vec((n, width).f(), out).expect("shape matches")
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
    fn constant_and_standard() {
        let sel = |x: &'static [f64], y: &'static [u8]| Selection {
            fit: (x, y),
            val: (x, y),
        };
        let (x, y): (&[f64], &[u8]) = (&[1.0, 1.0, f64::NAN], &[0, 1, 0]);
        let err = learn_feature("k", x, y, &sel(x, y), &Prepare::Standard).unwrap_err();
        assert!(matches!(err, TrainError::ConstantColumn { .. }));
        let (x, y): (&[f64], &[u8]) = (&[1.0, 2.0, 3.0, f64::NAN], &[0, 1, 0, 1]);
        let (spec, _) = learn_feature("x", x, y, &sel(x, y), &Prepare::Standard).unwrap();
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
