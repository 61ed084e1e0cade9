//! How a raw feature value becomes a model input ([`Transform`]: standard scaling, bins, or
//! categories, each with an optional value of its own for a missing input) and the pairwise
//! [`Interaction`] tables of a scorecard: a small 2-D table of log-odds per pair of features,
//! added to the linear score, so the model stays additive and every part of it can be printed.

use serde::{Deserialize, Serialize};

/// How a raw feature value becomes a model input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Transform {
    /// (x - center) / scale
    Standard {
        /// Subtracted first.
        center: f64,
        /// Divided by next (never 0).
        scale: f64,
    },
    /// Bins: value `values[i]` for x < edges[i] (first match), `values[edges.len()]` above
    /// (weight of evidence in a classic scorecard). The values are monotone, or valley- or
    /// peak-shaped when the trainer found that shape better on validation rows.
    Bins {
        /// Strictly increasing bin edges.
        edges: Vec<f64>,
        /// One value per bin: one more than `edges`.
        values: Vec<f64>,
        /// The value of a missing input, when missing inputs had a bin of their own in training
        /// (else a missing input takes the feature's `impute` value and that value's bin).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        missing: Option<f64>,
    },
    /// Categories of a coded column: `values[i]` for x == levels[i], `other` for any other value
    /// (levels too rare to carry their own value, and levels never seen in training).
    Categories {
        /// The category codes, strictly increasing.
        levels: Vec<f64>,
        /// One value per level.
        values: Vec<f64>,
        /// The value of any code not in `levels`.
        other: f64,
        /// The value of a missing input, as for bins.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        missing: Option<f64>,
    },
}

impl Transform {
    /// The model input for raw value `x` (not missing).
    pub fn apply(&self, x: f64) -> f64 {
        match self {
            Transform::Standard { center, scale } => (x - center) / scale,
            Transform::Bins { edges, values, .. } => {
                let i = edges.partition_point(|e| *e <= x);
                values[i]
            }
            Transform::Categories {
                levels,
                values,
                other,
                ..
            } => match levels.binary_search_by(|l| l.total_cmp(&x)) {
                Ok(i) => values[i],
                Err(_) => *other,
            },
        }
    }

    /// The input of a missing value, when the transform has one of its own.
    pub fn missing(&self) -> Option<f64> {
        match self {
            Transform::Standard { .. } => None,
            Transform::Bins { missing, .. } | Transform::Categories { missing, .. } => *missing,
        }
    }

    /// Why the transform is unusable, if it is.
    pub fn check(&self) -> Result<(), String> {
        let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
        let ok = match self {
            Transform::Standard { center, scale } => {
                center.is_finite() && scale.is_finite() && *scale != 0.0
            }
            Transform::Bins {
                edges,
                values,
                missing,
            } => {
                values.len() == edges.len() + 1
                    && edges.windows(2).all(|w| w[0] < w[1])
                    && finite(values)
                    && finite(edges)
                    && missing.is_none_or(f64::is_finite)
            }
            Transform::Categories {
                levels,
                values,
                other,
                missing,
            } => {
                levels.len() == values.len()
                    && levels.windows(2).all(|w| w[0] < w[1])
                    && finite(levels)
                    && finite(values)
                    && other.is_finite()
                    && missing.is_none_or(f64::is_finite)
            }
        };
        if ok {
            Ok(())
        } else {
            Err(
                "bad transform (non-finite values, unsorted edges or levels, or wrong lengths)"
                    .into(),
            )
        }
    }
}

/// A pairwise interaction: `coefficient × values[row][col]`, where the row is the bin of the
/// first feature's raw value in `edges[0]` and the column that of the second's in `edges[1]`
/// (missing raw values take the feature's `impute` first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    /// The two features, by name; both are features of the model.
    pub features: [String; 2],
    /// Bin edges of each feature's raw value (bin `i` holds x < edges[i], first match).
    pub edges: [Vec<f64>; 2],
    /// The table, row-major: (edges[0].len() + 1) rows of (edges[1].len() + 1) log-odds.
    pub values: Vec<f64>,
    /// Weight of the table value in the linear score.
    pub coefficient: f64,
    /// Portfolio mean of the table value: explanations measure contributions against it.
    #[serde(default)]
    pub baseline: f64,
    /// Positions of the two features in the model's feature list (resolved at load).
    #[serde(skip)]
    pub at: [usize; 2],
}

impl Interaction {
    /// The table value for the two (imputed, clipped) raw values.
    pub fn cell(&self, a: f64, b: f64) -> f64 {
        let i = self.edges[0].partition_point(|e| *e <= a);
        let j = self.edges[1].partition_point(|e| *e <= b);
        self.values[i * (self.edges[1].len() + 1) + j]
    }

    /// Why the table is unusable, if it is.
    pub fn check(&self) -> Result<(), String> {
        let shape = (self.edges[0].len() + 1) * (self.edges[1].len() + 1);
        let sorted = self
            .edges
            .iter()
            .all(|e| e.windows(2).all(|w| w[0] < w[1]) && e.iter().all(|x| x.is_finite()));
        if self.values.len() != shape
            || !sorted
            || !self.values.iter().all(|v| v.is_finite())
            || !self.coefficient.is_finite()
            || !self.baseline.is_finite()
            || self.features[0] == self.features[1]
        {
            return Err(format!(
                "interaction {}×{}: bad table (needs sorted finite edges, {shape} finite values, two different features)",
                self.features[0], self.features[1]
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_look_up_exact_codes_and_fall_back_to_other() {
        let t = Transform::Categories {
            levels: vec![1.0, 2.0, 5.0],
            values: vec![0.5, -0.2, 1.0],
            other: 0.1,
            missing: Some(-0.7),
        };
        assert_eq!(t.apply(2.0), -0.2);
        assert_eq!(t.apply(5.0), 1.0);
        assert_eq!(t.apply(3.0), 0.1);
        assert_eq!(t.missing(), Some(-0.7));
        assert!(t.check().is_ok());
        let bad = Transform::Categories {
            levels: vec![2.0, 1.0],
            values: vec![0.0, 0.0],
            other: 0.0,
            missing: None,
        };
        assert!(bad.check().is_err());
    }

    #[test]
    fn interaction_cells_are_row_major() {
        let t = Interaction {
            features: ["a".into(), "b".into()],
            edges: [vec![1.0], vec![10.0, 20.0]],
            values: vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
            coefficient: 1.0,
            baseline: 0.0,
            at: [0, 1],
        };
        assert!(t.check().is_ok());
        assert_eq!(t.cell(0.0, 5.0), 0.0);
        assert_eq!(t.cell(0.0, 25.0), 2.0);
        assert_eq!(t.cell(1.0, 10.0), 4.0);
        assert_eq!(t.cell(7.0, 30.0), 5.0);
        let mut bad = t.clone();
        bad.values.pop();
        assert!(bad.check().is_err());
    }
}
