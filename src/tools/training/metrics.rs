//! Metrics of a probability score against 0/1 outcomes: AUC (ties count one half), Gini, KS,
//! Brier score, log loss, a calibration table, the ROC curve, lift by decile and score histograms.
//!
//! Every function takes `scores` and `labels` of equal length (labels 0 or 1) and is
//! deterministic: sorting breaks score ties by position. Also the quantile of sorted values.

use serde::Serialize;

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

/// Probabilities are clamped to [EPS, 1 − EPS] in the log loss (as scikit-learn does).
pub const LOG_LOSS_EPS: f64 = 1e-15;

/// The headline metrics of a score on labelled rows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Metrics {
    pub rows: usize,
    /// Share of rows with label 1.
    pub base_rate: f64,
    /// Mean predicted probability (equals `base_rate` when calibrated in the large).
    pub mean_predicted: f64,
    pub auc: f64,
    /// 2·AUC − 1.
    pub gini: f64,
    /// Kolmogorov–Smirnov: the largest gap between the score's cumulative distributions of the two
    /// classes.
    pub ks: f64,
    pub brier: f64,
    pub log_loss: f64,
}

impl Metrics {
    pub fn compute(scores: &[f64], labels: &[u8]) -> Metrics {
        assert_eq!(scores.len(), labels.len());
        let n = scores.len();
        let pos = labels.iter().filter(|&&y| y == 1).count();
        let auc = auc(scores, labels);
        Metrics {
            rows: n,
            base_rate: if n == 0 {
                f64::NAN
            } else {
                pos as f64 / n as f64
            },
            mean_predicted: scores.iter().sum::<f64>() / n as f64,
            auc,
            gini: 2.0 * auc - 1.0,
            ks: ks(scores, labels),
            brier: brier(scores, labels),
            log_loss: log_loss(scores, labels),
        }
    }
}

/// Row indices sorted by score, descending; ties by index.
fn order_desc(scores: &[f64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    idx
}

/// Groups of equal score in descending order: (positives, negatives, score) per group.
fn tie_groups(scores: &[f64], labels: &[u8]) -> Vec<(usize, usize, f64)> {
    let idx = order_desc(scores);
    let mut groups: Vec<(usize, usize, f64)> = Vec::new();
    for i in idx {
        let s = scores[i];
        match groups.last_mut() {
            Some(g) if g.2 == s => {
                if labels[i] == 1 {
                    g.0 += 1
                } else {
                    g.1 += 1
                }
            }
            _ => groups.push((usize::from(labels[i] == 1), usize::from(labels[i] != 1), s)),
        }
    }
    groups
}

/// Area under the ROC curve: the probability that a random positive scores above a random
/// negative, ties counting one half. NaN when a class is absent.
pub fn auc(scores: &[f64], labels: &[u8]) -> f64 {
    let groups = tie_groups(scores, labels);
    let (p, n) = groups
        .iter()
        .fold((0usize, 0usize), |(p, n), g| (p + g.0, n + g.1));
    if p == 0 || n == 0 {
        return f64::NAN;
    }
    // Walking from the highest score down, each positive in a group beats every negative in
    // lower groups and ties with the negatives of its own group (half a win each).
    let mut neg_below = n as f64;
    let mut wins = 0.0;
    for &(gp, gn, _) in &groups {
        neg_below -= gn as f64;
        wins += gp as f64 * (neg_below + 0.5 * gn as f64);
    }
    wins / (p as f64 * n as f64)
}

/// The ROC curve from (0, 0) to (1, 1): (false positive rate, true positive rate) at each distinct
/// score threshold, highest first.
pub fn roc_curve(scores: &[f64], labels: &[u8]) -> Vec<(f64, f64)> {
    let groups = tie_groups(scores, labels);
    let (p, n) = groups
        .iter()
        .fold((0usize, 0usize), |(p, n), g| (p + g.0, n + g.1));
    let (pf, nf) = (p.max(1) as f64, n.max(1) as f64);
    let mut pts = vec![(0.0, 0.0)];
    let (mut tp, mut fp) = (0usize, 0usize);
    for (gp, gn, _) in groups {
        tp += gp;
        fp += gn;
        pts.push((fp as f64 / nf, tp as f64 / pf));
    }
    pts
}

/// Kolmogorov–Smirnov statistic: max over thresholds of |TPR − FPR|.
pub fn ks(scores: &[f64], labels: &[u8]) -> f64 {
    roc_curve(scores, labels)
        .iter()
        .map(|(f, t)| (t - f).abs())
        .fold(0.0, f64::max)
}

/// Mean squared error of the probability.
pub fn brier(scores: &[f64], labels: &[u8]) -> f64 {
    let n = scores.len() as f64;
    scores
        .iter()
        .zip(labels)
        .map(|(p, &y)| (p - f64::from(y)).powi(2))
        .sum::<f64>()
        / n
}

/// Mean negative log-likelihood, probabilities clamped to [1e-15, 1 − 1e-15].
pub fn log_loss(scores: &[f64], labels: &[u8]) -> f64 {
    let n = scores.len() as f64;
    scores
        .iter()
        .zip(labels)
        .map(|(p, &y)| {
            let p = p.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
            if y == 1 {
                -p.ln()
            } else {
                -(1.0 - p).ln()
            }
        })
        .sum::<f64>()
        / n
}

/// One group of a calibration table or of a lift table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Group {
    /// Lowest and highest score in the group.
    pub min_score: f64,
    pub max_score: f64,
    pub count: usize,
    pub mean_predicted: f64,
    /// Share of label 1 in the group.
    pub observed: f64,
}

/// Rows split into `k` groups of (nearly) equal size by score, in the order given.
fn groups_of(scores: &[f64], labels: &[u8], order: &[usize], k: usize) -> Vec<Group> {
    let n = order.len();
    let k = k.min(n).max(1);
    (0..k)
        .map(|g| {
            let (lo, hi) = (g * n / k, (g + 1) * n / k);
            let part = &order[lo..hi];
            let count = part.len();
            let (mut s, mut y, mut mn, mut mx) = (0.0, 0.0, f64::INFINITY, f64::NEG_INFINITY);
            for &i in part {
                s += scores[i];
                y += f64::from(labels[i]);
                mn = mn.min(scores[i]);
                mx = mx.max(scores[i]);
            }
            Group {
                min_score: mn,
                max_score: mx,
                count,
                mean_predicted: s / count.max(1) as f64,
                observed: y / count.max(1) as f64,
            }
        })
        .collect()
}

/// Calibration table: `k` groups of equal size by predicted score, lowest scores first, each with
/// its mean predicted probability and its observed rate.
pub fn calibration_table(scores: &[f64], labels: &[u8], k: usize) -> Vec<Group> {
    let mut order = order_desc(scores);
    order.reverse();
    groups_of(scores, labels, &order, k)
}

/// Lift by decile: ten groups of equal size, highest scores first; lift = the group's observed
/// rate ÷ the overall rate.
pub fn deciles(scores: &[f64], labels: &[u8]) -> Vec<Group> {
    groups_of(scores, labels, &order_desc(scores), 10)
}

/// Share of each class's rows per score bin: `bins` equal-width bins over [0, 1]; returns the bin
/// centres and, per bin, (share of label-0 rows, share of label-1 rows).
pub fn histogram_by_label(scores: &[f64], labels: &[u8], bins: usize) -> Vec<(f64, f64, f64)> {
    let mut counts = vec![[0usize; 2]; bins];
    let mut totals = [0usize; 2];
    for (&s, &y) in scores.iter().zip(labels) {
        let b = ((s.clamp(0.0, 1.0) * bins as f64) as usize).min(bins - 1);
        counts[b][usize::from(y == 1)] += 1;
        totals[usize::from(y == 1)] += 1;
    }
    counts
        .iter()
        .enumerate()
        .map(|(b, c)| {
            (
                (b as f64 + 0.5) / bins as f64,
                c[0] as f64 / totals[0].max(1) as f64,
                c[1] as f64 / totals[1].max(1) as f64,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }

    #[test]
    fn auc_counts_pairs_and_half_ties() {
        // Positives 0.8, 0.4; negatives 0.4, 0.2. Pairs: (0.8>0.4) 1, (0.8>0.2) 1, (0.4=0.4) ½,
        // (0.4>0.2) 1 → 3.5 / 4.
        let s = [0.8, 0.4, 0.4, 0.2];
        let y = [1, 1, 0, 0];
        close(auc(&s, &y), 0.875);
        // Perfect, reversed, all tied.
        close(auc(&[0.9, 0.1], &[1, 0]), 1.0);
        close(auc(&[0.1, 0.9], &[1, 0]), 0.0);
        close(auc(&[0.5, 0.5, 0.5], &[1, 0, 0]), 0.5);
        assert!(auc(&[0.5, 0.6], &[1, 1]).is_nan());
        let m = Metrics::compute(&s, &y);
        close(m.gini, 0.75);
    }

    #[test]
    fn ks_is_the_largest_gap() {
        // Descending: 0.8 (P) → tpr ½, fpr 0: gap ½; tie 0.4 (P, N) → tpr 1, fpr ½: ½; 0.2 (N) → 0.
        close(ks(&[0.8, 0.4, 0.4, 0.2], &[1, 1, 0, 0]), 0.5);
        // Perfect separation → 1.
        close(ks(&[0.9, 0.7, 0.3, 0.1], &[1, 1, 0, 0]), 1.0);
        let roc = roc_curve(&[0.9, 0.7, 0.3, 0.1], &[1, 0, 1, 0]);
        assert_eq!(
            roc,
            vec![(0.0, 0.0), (0.0, 0.5), (0.5, 0.5), (0.5, 1.0), (1.0, 1.0)]
        );
    }

    #[test]
    fn brier_and_log_loss_by_hand() {
        // (0.8−1)² = 0.04, (0.4−0)² = 0.16 → 0.1.
        close(brier(&[0.8, 0.4], &[1, 0]), 0.1);
        // −(ln 0.8 + ln 0.6) / 2.
        close(
            log_loss(&[0.8, 0.4], &[1, 0]),
            -(0.8f64.ln() + 0.6f64.ln()) / 2.0,
        );
        // Clamped, finite.
        let l = log_loss(&[0.0], &[1]);
        close(l, -(1e-15f64).ln());
    }

    #[test]
    fn tables() {
        let s: Vec<f64> = (0..20).map(|i| i as f64 / 20.0).collect();
        let y: Vec<u8> = (0..20).map(|i| u8::from(i >= 10)).collect();
        let cal = calibration_table(&s, &y, 10);
        assert_eq!(cal.len(), 10);
        assert_eq!(cal[0].count, 2);
        close(cal[0].mean_predicted, 0.025);
        close(cal[0].observed, 0.0);
        close(cal[9].observed, 1.0);
        let dec = deciles(&s, &y);
        close(dec[0].observed, 1.0);
        close(dec[0].max_score, 0.95);
        let h = histogram_by_label(&s, &y, 4);
        assert_eq!(h.len(), 4);
        close(h.iter().map(|b| b.1).sum(), 1.0);
        close(h[3].2, 0.5);
    }
}
