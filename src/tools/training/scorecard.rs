//! The scorecard reading of a binned model: points per bin, information value per feature and
//! the interaction tables, as a Markdown model card ([`card`]) and a short summary ([`summary`]).
//!
//! Points follow the usual scaling: `score = offset + factor × ln(odds of the target)`, with
//! `factor = pdo / ln 2` (`pdo` points double the odds) and `offset = base_points − factor ×
//! ln(base_odds)`. The model's log-odds is its intercept plus one input per feature plus the
//! interaction cells, so a bin's points are `factor × coefficient × WoE` plus an equal share of
//! `offset + factor × intercept`, and a cell's are `factor × coefficient × value`; the points of
//! an account's bins and cells add up to its score. Points rise with the odds of the target (1);
//! the model's calibration then maps the score's probability.

use std::fmt::Write;

use crate::engine::scoring::{FeatureSpec, Interaction, Model, Transform};

/// Point scaling.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Points {
    pub pdo: f64,
    pub base_points: f64,
    pub base_odds: f64,
}

impl Points {
    /// Checks and builds a scaling.
    pub fn new(pdo: f64, base_points: f64, base_odds: f64) -> anyhow::Result<Points> {
        if !(pdo.is_finite() && pdo > 0.0) {
            anyhow::bail!("--pdo must be a positive number, got {pdo}");
        }
        if !base_points.is_finite() {
            anyhow::bail!("--base-points must be a finite number, got {base_points}");
        }
        if !(base_odds.is_finite() && base_odds > 0.0) {
            anyhow::bail!("--base-odds must be a positive number, got {base_odds}");
        }
        Ok(Points {
            pdo,
            base_points,
            base_odds,
        })
    }

    /// Points per unit of log-odds.
    pub fn factor(&self) -> f64 {
        self.pdo / std::f64::consts::LN_2
    }

    /// The score at log-odds 0.
    pub fn offset(&self) -> f64 {
        self.base_points - self.factor() * self.base_odds.ln()
    }

    /// The points every feature's bins share equally (intercept and offset).
    pub fn share(&self, model: &Model) -> f64 {
        (self.offset() + self.factor() * model.intercept) / model.features.len().max(1) as f64
    }

    /// A bin's points: its input under the feature's coefficient, plus the equal share.
    pub fn of_input(&self, model: &Model, f: &FeatureSpec, input: f64) -> f64 {
        self.factor() * f.coefficient * input + self.share(model)
    }

    /// An interaction cell's points.
    pub fn of_cell(&self, t: &Interaction, value: f64) -> f64 {
        self.factor() * t.coefficient * value
    }

    /// The score of a linear score (log-odds) `z`.
    pub fn score(&self, z: f64) -> f64 {
        self.offset() + self.factor() * z
    }
}

/// Siddiqi's reading of an information value.
pub fn strength(iv: f64) -> &'static str {
    match iv {
        v if v < 0.02 => "not predictive",
        v if v < 0.1 => "weak",
        v if v < 0.3 => "medium",
        v if v < 0.5 => "strong",
        _ => "very strong (check for leakage)",
    }
}

/// The training summary the trainer stored for a feature, if any.
fn summary_of<'a>(model: &'a Model, name: &str) -> Option<&'a serde_json::Value> {
    model.metadata["preprocessing"]["features"]
        .as_array()?
        .iter()
        .find(|f| f["name"] == name)
}

fn iv_of(model: &Model, name: &str) -> f64 {
    summary_of(model, name)
        .and_then(|s| s["information_value"].as_f64())
        .unwrap_or(f64::NAN)
}

/// The features by information value, highest first.
fn by_iv(model: &Model) -> Vec<&FeatureSpec> {
    let mut out: Vec<&FeatureSpec> = model.features.iter().collect();
    out.sort_by(|a, b| iv_of(model, &b.name).total_cmp(&iv_of(model, &a.name)));
    out
}

fn shape_of(model: &Model, f: &FeatureSpec) -> String {
    match summary_of(model, &f.name).and_then(|s| s["shape"].as_str()) {
        Some(s) => s.to_owned(),
        None if matches!(f.transform, Transform::Standard { .. }) => "linear".into(),
        None => "bins".into(),
    }
}

/// One line per feature: shape, bins and information value, highest first.
pub fn summary(model: &Model) -> String {
    let mut s = String::from("scorecard (features by information value):\n");
    for f in by_iv(model) {
        let bins = summary_of(model, &f.name)
            .and_then(|s| s["bins"].as_u64())
            .unwrap_or(0);
        let iv = iv_of(model, &f.name);
        let missing = if f.transform.missing().is_some() {
            " + missing bin"
        } else {
            ""
        };
        let bins = if matches!(f.transform, Transform::Standard { .. }) {
            "no bins".to_owned()
        } else {
            format!("{bins:>2} bins")
        };
        let _ = writeln!(
            s,
            "  {:<32} {:<10} {:>7}{:<14} IV {:.4} ({})",
            f.name,
            shape_of(model, f),
            bins,
            missing,
            iv,
            strength(iv)
        );
    }
    s
}

fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        let s = format!("{x:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// Bin labels of a transform's inputs, in order, with their values.
fn bins_of(t: &Transform) -> Vec<(String, f64)> {
    match t {
        Transform::Standard { .. } => Vec::new(),
        Transform::Bins { edges, values, .. } => values
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let label = match (i, edges.len()) {
                    (_, 0) => "all".to_owned(),
                    (0, _) => format!("< {}", num(edges[0])),
                    (i, n) if i == n => format!("≥ {}", num(edges[n - 1])),
                    (i, _) => format!("[{}, {})", num(edges[i - 1]), num(edges[i])),
                };
                (label, v)
            })
            .collect(),
        Transform::Categories {
            levels,
            values,
            other,
            ..
        } => levels
            .iter()
            .zip(values)
            .map(|(l, &v)| (format!("= {}", num(*l)), v))
            .chain(std::iter::once(("any other code".to_owned(), *other)))
            .collect(),
    }
}

fn axis_labels(edges: &[f64]) -> Vec<String> {
    (0..=edges.len())
        .map(|i| match (i, edges.len()) {
            (_, 0) => "all".to_owned(),
            (0, _) => format!("< {}", num(edges[0])),
            (i, n) if i == n => format!("≥ {}", num(edges[n - 1])),
            (i, _) => format!("[{}, {})", num(edges[i - 1]), num(edges[i])),
        })
        .collect()
}

/// The Markdown model card of a scorecard.
pub fn card(model: &Model, points: &Points) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Scorecard: {} ({})\n", model.name, model.version);
    let _ = writeln!(s, "Target: {}.\n", model.target);
    let _ = writeln!(
        s,
        "Points: {} at odds {}:1 of the target; {} points double the odds (factor {:.3}, offset {:.1}). \
         An account's score is the sum of its points below; before calibration, \
         P(target) = 1 / (1 + exp(−(score − {:.1}) / {:.3})). Points rise with the odds of the target.\n",
        num(points.base_points),
        num(points.base_odds),
        num(points.pdo),
        points.factor(),
        points.offset(),
        points.offset(),
        points.factor()
    );
    let m = &model.metadata["holdout_metrics"];
    if let Some(auc) = m["auc"].as_f64() {
        let _ = writeln!(
            s,
            "Hold-out: AUC {:.4}, Gini {:.4}, KS {:.4} on {} rows.\n",
            auc,
            m["gini"].as_f64().unwrap_or(f64::NAN),
            m["ks"].as_f64().unwrap_or(f64::NAN),
            m["rows"]
        );
    }
    let _ = writeln!(s, "## Features\n");
    let _ = writeln!(
        s,
        "| feature | shape | bins | information value | strength | coefficient |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---|---:|");
    for f in by_iv(model) {
        let iv = iv_of(model, &f.name);
        let bins = match bins_of(&f.transform).len() {
            0 => "–".to_owned(),
            n => (n + usize::from(f.transform.missing().is_some())).to_string(),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.4} | {} | {:.4} |",
            f.name,
            shape_of(model, f),
            bins,
            iv,
            strength(iv),
            f.coefficient
        );
    }
    for f in by_iv(model) {
        let bins = bins_of(&f.transform);
        if bins.is_empty() {
            let _ = writeln!(
                s,
                "\n### {} (linear, IV {:.4})\n\n{:+.2} points per standard deviation above the mean \
                 (the value is clipped to the training p0.5–p99.5, a missing one imputed), plus {:.1}.",
                f.name,
                iv_of(model, &f.name),
                points.factor() * f.coefficient,
                points.share(model)
            );
            continue;
        }
        let counts: Vec<[u64; 2]> = summary_of(model, &f.name)
            .and_then(|v| v["counts"].as_array())
            .map(|a| {
                a.iter()
                    .map(|c| [c[0].as_u64().unwrap_or(0), c[1].as_u64().unwrap_or(0)])
                    .collect()
            })
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "\n### {} ({}, IV {:.4})\n",
            f.name,
            shape_of(model, f),
            iv_of(model, &f.name)
        );
        let _ = writeln!(s, "| bin | training rows | target rate | WoE | points |");
        let _ = writeln!(s, "|---|---:|---:|---:|---:|");
        let row = |s: &mut String, label: &str, c: Option<[u64; 2]>, v: f64| {
            let (rows, rate) = match c {
                Some([p, q]) if p + q > 0 => (
                    (p + q).to_string(),
                    format!("{:.4}", p as f64 / (p + q) as f64),
                ),
                _ => ("0".into(), "–".into()),
            };
            let _ = writeln!(
                s,
                "| {label} | {rows} | {rate} | {v:+.4} | {:.1} |",
                points.of_input(model, f, v)
            );
        };
        for (i, (label, v)) in bins.iter().enumerate() {
            row(&mut s, label, counts.get(i).copied(), *v);
        }
        if let Some(v) = f.transform.missing() {
            let c = summary_of(model, &f.name)
                .and_then(|x| x["missing_counts"].as_array())
                .map(|c| [c[0].as_u64().unwrap_or(0), c[1].as_u64().unwrap_or(0)]);
            row(&mut s, "missing", c, v);
        }
    }
    if !model.interactions.is_empty() {
        let _ = writeln!(s, "\n## Interactions\n");
        let _ = writeln!(
            s,
            "Each table adds the points of the account's cell (rows: the first feature, columns: the second)."
        );
    }
    for t in &model.interactions {
        let _ = writeln!(
            s,
            "\n### {} × {} (coefficient {:.4})\n",
            t.features[0], t.features[1], t.coefficient
        );
        let (rows, cols) = (axis_labels(&t.edges[0]), axis_labels(&t.edges[1]));
        let _ = writeln!(
            s,
            "| {} \\ {} | {} |",
            t.features[0],
            t.features[1],
            cols.join(" | ")
        );
        let _ = writeln!(s, "|---|{}", "---:|".repeat(cols.len()));
        for (i, r) in rows.iter().enumerate() {
            let cells: Vec<String> = (0..cols.len())
                .map(|j| format!("{:.1}", points.of_cell(t, t.values[i * cols.len() + j])))
                .collect();
            let _ = writeln!(s, "| {r} | {} |", cells.join(" | "));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::scoring::MODEL_FORMAT;

    fn model() -> Model {
        let f = |name: &str, values: Vec<f64>, coefficient: f64| FeatureSpec {
            name: name.into(),
            impute: 0.0,
            clip: None,
            transform: Transform::Bins {
                edges: (1..values.len()).map(|i| i as f64).collect(),
                values,
                missing: Some(0.3),
            },
            coefficient,
            baseline: 0.0,
        };
        Model {
            format: MODEL_FORMAT.into(),
            name: "m".into(),
            version: "v".into(),
            kind: "scorecard".into(),
            target: "y".into(),
            features: vec![
                f("a", vec![-0.5, 0.0, 0.7], 0.9),
                f("b", vec![0.4, -0.6], 1.1),
            ],
            interactions: vec![Interaction {
                features: ["a".into(), "b".into()],
                edges: [vec![1.0], vec![1.0]],
                values: vec![0.1, -0.1, -0.2, 0.2],
                coefficient: 0.8,
                baseline: 0.0,
                at: [0, 1],
            }],
            intercept: -1.2,
            calibration: None,
            metadata: serde_json::Value::Null,
        }
    }

    /// The points of an account's bins and cells add up to the scaled log-odds of the model.
    #[test]
    fn points_add_up_to_the_score_of_the_linear_score() {
        let m = model();
        let p = Points::new(20.0, 600.0, 50.0).unwrap();
        for raw in [
            [0.5, 0.5],
            [1.5, 0.2],
            [2.5, 3.0],
            [f64::NAN, 0.0],
            [2.0, f64::NAN],
        ] {
            let z = m.linear_score(|k| raw[k]);
            let mut total = 0.0;
            for (k, f) in m.features.iter().enumerate() {
                total += p.of_input(&m, f, Model::input(f, raw[k]));
            }
            for t in &m.interactions {
                total += p.of_cell(t, m.interaction_input(t, &|k| raw[k]));
            }
            assert!(
                (total - p.score(z)).abs() < 1e-9,
                "{raw:?}: {total} vs {}",
                p.score(z)
            );
        }
        // 20 points double the odds; 600 points at odds 50:1.
        assert!((p.score(50f64.ln()) - 600.0).abs() < 1e-9);
        assert!((p.score(100f64.ln()) - 620.0).abs() < 1e-9);
    }

    #[test]
    fn the_card_lists_every_bin_the_missing_bin_and_the_table() {
        let m = model();
        let c = card(&m, &Points::new(20.0, 600.0, 1.0).unwrap());
        assert!(c.contains("### a (bins"), "{c}");
        assert!(c.contains("| < 1 |") && c.contains("| [1, 2) |") && c.contains("| ≥ 2 |"));
        assert_eq!(c.matches("| missing |").count(), 2);
        assert!(c.contains("### a × b"));
        // Cell (≥1, <1) is −0.2 × 0.8 log-odds = −4.6 points at 28.854 points per log-odds.
        assert!(c.contains("| ≥ 1 | -4.6 | 4.6 |"), "{c}");
        assert!(Points::new(0.0, 600.0, 1.0).is_err());
        assert!(Points::new(20.0, 600.0, -1.0).is_err());
    }
}
