//! Judging an uplift ranking on held-out rows: the Qini curve (extra payers among the top share
//! of rows, treated minus control scaled to the treated count), its area against a random
//! ranking's (AUUC and the Qini coefficient), and predicted against observed uplift by decile.

use serde::Serialize;

use super::rows::Row;

/// One ranking's evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    /// The ranking's name.
    pub name: String,
    /// Qini curve: (share of rows targeted, extra payers), 0..=1 in 50 steps.
    pub qini: Vec<(f64, f64)>,
    /// Area under the Qini curve (mean height).
    pub auuc: f64,
    /// The same for a random ranking (the straight line to the full-population gain).
    pub auuc_random: f64,
    /// (auuc − auuc_random) / rows: above 0 when the ranking beats random.
    pub qini_coefficient: f64,
    /// By decile of predicted uplift (highest first): rows, mean predicted, observed
    /// (paying share called − not called), called and not-called rows.
    pub deciles: Vec<Decile>,
}

/// One decile of predicted uplift.
#[derive(Debug, Clone, Serialize)]
pub struct Decile {
    /// 1 = the highest predicted uplift.
    pub decile: usize,
    /// Rows in it.
    pub rows: usize,
    /// Mean predicted uplift (probability points).
    pub predicted: f64,
    /// Observed: paying share of called rows minus that of not-called rows.
    pub observed: f64,
    /// Called rows.
    pub treated: usize,
    /// Not-called rows.
    pub control: usize,
}

/// Evaluates `scores` (higher = more uplift) on `rows`.
pub fn evaluate(name: &str, rows: &[&Row], scores: &[f64]) -> Evaluation {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| {
        scores[b]
            .total_cmp(&scores[a])
            .then_with(|| rows[a].account_id.cmp(&rows[b].account_id))
            .then_with(|| rows[a].at.cmp(&rows[b].at))
    });
    let n = rows.len();
    let (mut nt, mut nc, mut yt, mut yc) = (0f64, 0f64, 0f64, 0f64);
    let mut gains = Vec::with_capacity(n + 1);
    gains.push(0.0);
    for &i in &order {
        let r = rows[i];
        let y = f64::from(u8::from(r.y()));
        if r.treated {
            nt += 1.0;
            yt += y;
        } else {
            nc += 1.0;
            yc += y;
        }
        gains.push(if nc > 0.0 { yt - yc * nt / nc } else { yt });
    }
    let total = *gains.last().unwrap_or(&0.0);
    let auuc = gains.iter().sum::<f64>() / gains.len() as f64;
    let auuc_random = total / 2.0;
    let qini = (0..=50)
        .map(|k| {
            let share = k as f64 / 50.0;
            let idx = ((n as f64) * share).round() as usize;
            (share, gains[idx.min(n)])
        })
        .collect();
    let mut deciles = Vec::new();
    for d in 0..10 {
        let (a, b) = (n * d / 10, n * (d + 1) / 10);
        let part = &order[a..b];
        let (mut t, mut c, mut ty, mut cy, mut pred) = (0usize, 0usize, 0f64, 0f64, 0f64);
        for &i in part {
            let y = f64::from(u8::from(rows[i].y()));
            pred += scores[i];
            if rows[i].treated {
                t += 1;
                ty += y;
            } else {
                c += 1;
                cy += y;
            }
        }
        deciles.push(Decile {
            decile: d + 1,
            rows: part.len(),
            predicted: pred / part.len().max(1) as f64,
            observed: ty / t.max(1) as f64 - cy / c.max(1) as f64,
            treated: t,
            control: c,
        });
    }
    Evaluation {
        name: name.to_owned(),
        qini,
        auuc,
        auuc_random,
        qini_coefficient: (auuc - auuc_random) / n.max(1) as f64,
        deciles,
    }
}

/// The evaluations as a table.
pub fn table(evals: &[Evaluation]) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{:<22} {:>12} {:>12} {:>10}\n",
        "ranking", "AUUC", "random", "Qini coef"
    ));
    for e in evals {
        out.push_str(&format!(
            "{:<22} {:>12.1} {:>12.1} {:>10.4}\n",
            e.name, e.auuc, e.auuc_random, e.qini_coefficient
        ));
    }
    for e in evals {
        out.push_str(&format!(
            "\n{}: uplift by decile of prediction (probability points)\n",
            e.name
        ));
        out.push_str(&format!(
            "{:>6} {:>8} {:>10} {:>10} {:>8} {:>8}\n",
            "decile", "rows", "predicted", "observed", "called", "not"
        ));
        for d in &e.deciles {
            out.push_str(&format!(
                "{:>6} {:>8} {:>10.4} {:>10.4} {:>8} {:>8}\n",
                d.decile, d.rows, d.predicted, d.observed, d.treated, d.control
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::features::N_FEATURES;

    fn row(i: usize, treated: bool, paid: bool) -> Row {
        Row {
            account_id: format!("A-{i}"),
            at: 0,
            arm: "x".into(),
            propensity: 0.5,
            treated,
            stake: 100.0,
            paid: if paid { 100.0 } else { 0.0 },
            features: [0.0; N_FEATURES],
            scores: [0.5, 0.5],
        }
    }

    #[test]
    fn a_ranking_that_knows_the_persuadables_beats_random_and_its_reverse_loses() {
        // Rows 0..100 pay only when called (persuadable); 100..200 pay anyway.
        let rows: Vec<Row> = (0..200)
            .map(|i| {
                let treated = i % 2 == 0;
                row(i, treated, if i < 100 { treated } else { true })
            })
            .collect();
        let refs: Vec<&Row> = rows.iter().collect();
        let good: Vec<f64> = (0..200).map(|i| if i < 100 { 1.0 } else { 0.0 }).collect();
        let bad: Vec<f64> = good.iter().map(|g| 1.0 - g).collect();
        let g = evaluate("good", &refs, &good);
        let b = evaluate("bad", &refs, &bad);
        // Gain 50 reached after the 100 persuadables: area 37.5 against 25 for random, over 200 rows.
        assert!(
            (g.qini_coefficient - 0.0625).abs() < 0.005,
            "{}",
            g.qini_coefficient
        );
        assert!(b.qini_coefficient < 0.0, "{}", b.qini_coefficient);
        assert!((g.deciles[0].observed - 1.0).abs() < 1e-9);
        assert!(g.deciles[9].observed.abs() < 1e-9);
    }
}
