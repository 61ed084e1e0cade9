//! Model drift: the distribution of a model's final scores on its training rows
//! ([`ScoreDistribution`], stored as `metadata.score_distribution`) and the population stability
//! index of live scores against it ([`psi`]).

use serde::Deserialize;

use crate::engine::domain::Score;

use super::error::ModelError;

/// The share of a model's final scores (calibrated, clamped to [0, 1] as the engine reports them)
/// in each bin `[edges[i], edges[i + 1])` (the last bin includes 1.0), on the rows the model was
/// trained on: the reference for the population stability index ([`psi`]). Stored in a model file
/// as `metadata.score_distribution`:
/// `{"edges": [0.0, 0.1, …, 1.0], "shares": [..], "rows": n, "fitted_on": "training"}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreDistribution {
    /// Bin edges, strictly increasing from 0 to 1.
    pub edges: Vec<f64>,
    /// One non-negative share per bin (`edges.len() - 1` of them), summing to 1.
    pub shares: Vec<f64>,
}

/// Shares (reference or live) below this count as this in [`psi`], so an empty bin adds a large
/// but finite term instead of an infinite one.
pub const PSI_EPSILON: f64 = 1e-4;

/// How far the shares of a stored distribution may sum away from 1.
const SHARES_TOLERANCE: f64 = 1e-6;

impl ScoreDistribution {
    /// The ten equal-width bins of [0, 1]: edges 0.0, 0.1, …, 1.0 (each `i / 10`, so they print
    /// as written).
    pub fn decile_edges() -> Vec<f64> {
        (0..=10).map(|i| f64::from(i) / 10.0).collect()
    }

    /// The number of bins.
    pub fn bins(&self) -> usize {
        self.shares.len()
    }

    /// The bin of `score`: `i` with `edges[i] <= score < edges[i + 1]`, 1.0 in the last bin.
    /// The score is first clamped to [0, 1] as [`Score::new`] does (NaN counts as 0).
    pub fn bin(&self, score: f64) -> usize {
        bin_of(&self.edges, score)
    }

    /// The distribution of `scores` over `edges` (strictly increasing from 0 to 1, at least two)
    /// and the number of scores; `None` when there are none.
    pub fn of_scores(
        edges: Vec<f64>,
        scores: impl IntoIterator<Item = f64>,
    ) -> Option<(ScoreDistribution, u64)> {
        assert!(edges.len() >= 2, "a score distribution needs two edges");
        let mut counts = vec![0u64; edges.len() - 1];
        for s in scores {
            counts[bin_of(&edges, s)] += 1;
        }
        let n: u64 = counts.iter().sum();
        if n == 0 {
            return None;
        }
        let shares = counts.iter().map(|&c| c as f64 / n as f64).collect();
        Some((ScoreDistribution { edges, shares }, n))
    }

    /// Reads `metadata.score_distribution` (`None` when absent or null), checking that the edges
    /// increase strictly from 0 to 1 and the shares, one per bin, are non-negative and sum to 1.
    pub(super) fn from_metadata(
        metadata: &serde_json::Value,
        path: &str,
    ) -> Result<Option<ScoreDistribution>, ModelError> {
        let v = match metadata.get("score_distribution") {
            None | Some(serde_json::Value::Null) => return Ok(None),
            Some(v) => v,
        };
        let invalid = |detail: String| ModelError::Invalid {
            path: path.into(),
            detail: format!("metadata.score_distribution: {detail}"),
        };
        #[derive(Deserialize)]
        struct Stored {
            edges: Vec<f64>,
            shares: Vec<f64>,
        }
        let d: Stored = serde_json::from_value(v.clone()).map_err(|e| invalid(e.to_string()))?;
        let (edges, shares) = (d.edges, d.shares);
        if edges.len() < 2 || edges[0] != 0.0 || edges[edges.len() - 1] != 1.0 {
            return Err(invalid(format!(
                "edges must run from 0 to 1 (at least two), got {edges:?}"
            )));
        }
        if !edges.windows(2).all(|w| w[0] < w[1]) {
            return Err(invalid(format!(
                "edges must be strictly increasing, got {edges:?}"
            )));
        }
        if shares.len() != edges.len() - 1 {
            return Err(invalid(format!(
                "{} edges make {} bins but there are {} shares",
                edges.len(),
                edges.len() - 1,
                shares.len()
            )));
        }
        if !shares.iter().all(|s| s.is_finite() && *s >= 0.0) {
            return Err(invalid(format!(
                "shares must be non-negative numbers, got {shares:?}"
            )));
        }
        let sum: f64 = shares.iter().sum();
        if (sum - 1.0).abs() > SHARES_TOLERANCE {
            return Err(invalid(format!("shares must sum to 1, they sum to {sum}")));
        }
        Ok(Some(ScoreDistribution { edges, shares }))
    }
}

/// See [`ScoreDistribution::bin`].
fn bin_of(edges: &[f64], score: f64) -> usize {
    let s = Score::new(score).get();
    edges
        .partition_point(|e| *e <= s)
        .saturating_sub(1)
        .min(edges.len() - 2)
}

/// Population stability index of live scores against a model's reference distribution:
/// Σ (live − reference) × ln(live / reference) over the bins, where `counts[i]` is the number of
/// live scores in bin `i` (binned with [`ScoreDistribution::bin`]) and live = counts[i] / total.
/// Both shares are floored at [`PSI_EPSILON`] (1e-4), so a bin empty on either side adds a large
/// but finite term. Usual reading: below 0.1 stable, 0.1–0.25 watch, above 0.25 act.
///
/// `None` when there are no counts (all zero or empty) or their number is not the number of bins.
pub fn psi(reference: &ScoreDistribution, counts: &[u64]) -> Option<f64> {
    if counts.len() != reference.bins() {
        return None;
    }
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return None;
    }
    Some(
        counts
            .iter()
            .zip(&reference.shares)
            .map(|(&c, &e)| {
                let a = (c as f64 / total as f64).max(PSI_EPSILON);
                let e = e.max(PSI_EPSILON);
                (a - e) * (a / e).ln()
            })
            .sum(),
    )
}
