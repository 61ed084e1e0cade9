//! Evaluating a model on labelled rows: the metrics, a calibration table, lift by decile, and an
//! HTML report with PNG charts written for a risk manager.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::csv::Table;
use super::error::TrainError;
use super::metrics::{calibration_table, deciles, histogram_by_label, roc_curve, Group, Metrics};
use crate::engine::scoring::Model;
use crate::tools::chart::{line_chart, Series};

/// Scores every row of `table` with `model`, finding features by column name.
pub fn score_table(model: &Model, table: &Table) -> Result<Vec<f64>, TrainError> {
    let mut cols = Vec::with_capacity(model.features.len());
    let mut missing = Vec::new();
    for f in &model.features {
        match table.column_index(&f.name) {
            Some(j) => cols.push(j),
            None => missing.push(f.name.clone()),
        }
    }
    if !missing.is_empty() {
        return Err(TrainError::UnknownColumns {
            what: "columns the model needs".into(),
            missing,
            columns: table.all_columns(),
        });
    }
    let data = table.data();
    Ok(data
        .rows()
        .into_iter()
        .map(|row| model.predict_row(cols.iter().map(|&j| row[j])))
        .collect())
}

/// A model's performance on labelled rows.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub metrics: Metrics,
    /// Ten equal-size groups by score, lowest first.
    pub calibration: Vec<Group>,
    /// Ten equal-size groups by score, highest first.
    pub deciles: Vec<Group>,
    pub roc: Vec<(f64, f64)>,
    /// Bin centre, share of label-0 rows, share of label-1 rows.
    pub histogram: Vec<(f64, f64, f64)>,
}

impl Evaluation {
    pub fn compute(scores: &[f64], labels: &[u8]) -> Evaluation {
        Evaluation {
            metrics: Metrics::compute(scores, labels),
            calibration: calibration_table(scores, labels, 10),
            deciles: deciles(scores, labels),
            roc: thin(roc_curve(scores, labels), 1000),
            histogram: histogram_by_label(scores, labels, 25),
        }
    }

    /// The metrics and the calibration table as plain text.
    pub fn text(&self) -> String {
        let m = &self.metrics;
        let mut s = String::new();
        let _ = writeln!(s, "rows            {}", m.rows);
        let _ = writeln!(s, "base rate       {:.4}", m.base_rate);
        let _ = writeln!(s, "mean predicted  {:.4}", m.mean_predicted);
        let _ = writeln!(s, "AUC             {:.4}", m.auc);
        let _ = writeln!(s, "Gini            {:.4}", m.gini);
        let _ = writeln!(s, "KS              {:.4}", m.ks);
        let _ = writeln!(s, "Brier score     {:.5}", m.brier);
        let _ = writeln!(s, "log loss        {:.5}", m.log_loss);
        let _ = writeln!(s, "\ncalibration (10 equal-size groups by score)");
        let _ = writeln!(
            s,
            "{:>5} {:>17} {:>14} {:>10} {:>9}",
            "group", "score range", "mean predicted", "observed", "count"
        );
        for (i, g) in self.calibration.iter().enumerate() {
            let _ = writeln!(
                s,
                "{:>5} {:>8.4}–{:<8.4} {:>14.4} {:>10.4} {:>9}",
                i + 1,
                g.min_score,
                g.max_score,
                g.mean_predicted,
                g.observed,
                g.count
            );
        }
        s
    }
}

/// At most `max` points of a curve, keeping the first and last.
fn thin(points: Vec<(f64, f64)>, max: usize) -> Vec<(f64, f64)> {
    if points.len() <= max {
        return points;
    }
    let step = points.len().div_ceil(max);
    let last = *points.last().expect("non-empty");
    let mut out: Vec<(f64, f64)> = points.into_iter().step_by(step).collect();
    if out.last() != Some(&last) {
        out.push(last);
    }
    out
}

/// The default report directory of a model file: `MODEL-report/` next to it.
pub fn default_report_dir(model_path: &Path) -> PathBuf {
    let stem = model_path.with_extension("");
    let mut s = stem.into_os_string();
    s.push("-report");
    PathBuf::from(s)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The chart files a report contains.
pub const CHARTS: [&str; 4] = [
    "roc.png",
    "calibration.png",
    "score_distribution.png",
    "lift.png",
];

/// Writes `index.html` and the PNG charts into `dir` (created if needed).
pub fn write_report(
    dir: &Path,
    model: &Model,
    source: &str,
    ev: &Evaluation,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let m = &ev.metrics;

    line_chart(
        &dir.join("roc.png"),
        "ROC curve",
        "share of non-events flagged (false positive rate)",
        "share of events flagged (true positive rate)",
        &[
            Series {
                name: format!("model (AUC {:.3})", m.auc),
                points: ev.roc.clone(),
            },
            Series {
                name: "random ranking".into(),
                points: vec![(0.0, 0.0), (1.0, 1.0)],
            },
        ],
    )?;
    let top = ev
        .calibration
        .iter()
        .map(|g| g.mean_predicted.max(g.observed))
        .fold(0.0, f64::max)
        .max(1e-3);
    line_chart(
        &dir.join("calibration.png"),
        "Calibration: predicted vs observed",
        "mean predicted probability (10 equal-size groups)",
        "observed rate",
        &[
            Series {
                name: "model".into(),
                points: ev
                    .calibration
                    .iter()
                    .map(|g| (g.mean_predicted, g.observed))
                    .collect(),
            },
            Series {
                name: "perfect calibration".into(),
                points: vec![(0.0, 0.0), (top, top)],
            },
        ],
    )?;
    line_chart(
        &dir.join("score_distribution.png"),
        "Score distribution by outcome",
        "score",
        "share of the group's rows",
        &[
            Series {
                name: "outcome 0".into(),
                points: ev.histogram.iter().map(|b| (b.0, b.1)).collect(),
            },
            Series {
                name: "outcome 1".into(),
                points: ev.histogram.iter().map(|b| (b.0, b.2)).collect(),
            },
        ],
    )?;
    let base = m.base_rate.max(1e-12);
    let mut cum = Vec::new();
    let (mut events, mut rows) = (0.0, 0usize);
    for (i, g) in ev.deciles.iter().enumerate() {
        events += g.observed * g.count as f64;
        rows += g.count;
        cum.push(((i + 1) as f64, events / rows.max(1) as f64 / base));
    }
    line_chart(
        &dir.join("lift.png"),
        "Lift by decile (highest scores first)",
        "decile",
        "lift (rate ÷ overall rate)",
        &[
            Series {
                name: "lift".into(),
                points: ev
                    .deciles
                    .iter()
                    .enumerate()
                    .map(|(i, g)| ((i + 1) as f64, g.observed / base))
                    .collect(),
            },
            Series {
                name: "cumulative lift".into(),
                points: cum.clone(),
            },
            Series {
                name: "random".into(),
                points: vec![(1.0, 1.0), (10.0, 1.0)],
            },
        ],
    )?;

    let r = m.base_rate;
    let brier_ref = r * (1.0 - r);
    let ll_ref = -(r * r.ln() + (1.0 - r) * (1.0 - r).ln());
    let mut h = String::new();
    let _ = write!(
        h,
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{name} {version}: evaluation</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1050px; margin: 2em auto; color: #222; line-height: 1.45; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
td, th {{ border: 1px solid #ccc; padding: 4px 10px; text-align: right; }}
td.l, th.l {{ text-align: left; }}
img {{ max-width: 100%; border: 1px solid #eee; }}
.note {{ color: #555; font-size: 0.95em; }}
</style></head><body>
<h1>Model evaluation: {name} <small>({version})</small></h1>
<p>Predicts <b>{target}</b>. Scored {rows} rows of <code>{source}</code>; {events} of them
({rate:.2}%) have the outcome.</p>
<h2>Summary</h2>
<table>
<tr><th class="l">metric</th><th>value</th><th class="l">how to read it</th></tr>
<tr><td class="l">AUC</td><td>{auc:.4}</td><td class="l">Chance that a randomly chosen account with the outcome scores higher than one without. 0.5 is a coin toss; 0.70 is useful, 0.80 and above is strong.</td></tr>
<tr><td class="l">Gini</td><td>{gini:.4}</td><td class="l">2 × AUC − 1, the scorecard convention: 0 = no ranking power, 1 = perfect ranking.</td></tr>
<tr><td class="l">KS</td><td>{ks:.4}</td><td class="l">Largest gap between the score distributions of the two groups: at the best single cut-off, the share of events flagged exceeds the share of non-events flagged by this much.</td></tr>
<tr><td class="l">Brier score</td><td>{brier:.5}</td><td class="l">Mean squared error of the probability; lower is better. Always predicting the base rate would score {brier_ref:.5}.</td></tr>
<tr><td class="l">Log loss</td><td>{ll:.5}</td><td class="l">Penalises confident wrong predictions; lower is better. Always predicting the base rate would score {ll_ref:.5}.</td></tr>
<tr><td class="l">Mean predicted vs observed</td><td>{mp:.4} vs {r:.4}</td><td class="l">Calibration in the large: on average the scores should match the observed rate.</td></tr>
</table>
"#,
        name = esc(&model.name),
        version = esc(&model.version),
        target = esc(&model.target),
        rows = m.rows,
        source = esc(source),
        events = (m.base_rate * m.rows as f64).round() as u64,
        rate = 100.0 * m.base_rate,
        auc = m.auc,
        gini = m.gini,
        ks = m.ks,
        brier = m.brier,
        ll = m.log_loss,
        mp = m.mean_predicted,
    );
    h.push_str(
        r#"<h2>Calibration</h2>
<p class="note">Accounts sorted by score and cut into ten groups of equal size. If the model is
calibrated, the two middle columns agree: a score of 0.30 means that about 30 in 100 such accounts
have the outcome. Large gaps mean the scores should not be read as probabilities.</p>
<table><tr><th>group</th><th>score range</th><th>mean predicted</th><th>observed</th><th>accounts</th></tr>
"#,
    );
    for (i, g) in ev.calibration.iter().enumerate() {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{:.4} – {:.4}</td><td>{:.4}</td><td>{:.4}</td><td>{}</td></tr>",
            i + 1,
            g.min_score,
            g.max_score,
            g.mean_predicted,
            g.observed,
            g.count
        );
    }
    h.push_str(
        r#"</table>
<img src="calibration.png" alt="calibration chart">
<p class="note">Each point is one group: its mean predicted probability against the rate actually
observed. Points on the diagonal are well calibrated; points below it mean the model overstates
the chance, above it understates it.</p>
<h2>Ranking: ROC curve</h2>
<img src="roc.png" alt="ROC curve">
<p class="note">Working down the list from the highest score, the curve shows which share of the
accounts with the outcome (up) has been reached for which share of those without it (across).
The further the curve bows towards the top-left corner, the better the ranking; the diagonal is a
random order.</p>
<h2>Score distribution by outcome</h2>
<img src="score_distribution.png" alt="score distributions">
<p class="note">How the scores of the two groups are spread (each line sums to 1). The less the two
lines overlap, the better the model separates them.</p>
<h2>Lift by decile</h2>
<table><tr><th>decile</th><th>score range</th><th>accounts</th><th>observed rate</th><th>lift</th><th>cumulative lift</th><th>share of all events captured</th></tr>
"#,
    );
    let total_events = (m.base_rate * m.rows as f64).max(1e-12);
    let mut captured = 0.0;
    for (i, g) in ev.deciles.iter().enumerate() {
        captured += g.observed * g.count as f64;
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{:.4} – {:.4}</td><td>{}</td><td>{:.4}</td><td>{:.2}</td><td>{:.2}</td><td>{:.1}%</td></tr>",
            i + 1,
            g.min_score,
            g.max_score,
            g.count,
            g.observed,
            g.observed / base,
            cum[i].1,
            100.0 * captured / total_events
        );
    }
    h.push_str(
        r#"</table>
<img src="lift.png" alt="lift chart">
<p class="note">Decile 1 holds the tenth of accounts with the highest scores. A lift of 2 means the
outcome is twice as common there as in the portfolio overall; working the top deciles first
concentrates effort where the outcome is most likely.</p>
"#,
    );
    if let Some(meta) = model.metadata.as_object() {
        if let Some(t) = meta.get("trained_at").and_then(|v| v.as_str()) {
            let _ = writeln!(
                h,
                "<p class=\"note\">Model trained {} ({} features, kind {}).</p>",
                esc(t),
                model.features.len(),
                esc(&model.kind)
            );
        }
    }
    h.push_str("</body></html>\n");
    let path = dir.join("index.html");
    std::fs::write(&path, h).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_dir_and_thinning() {
        assert_eq!(
            default_report_dir(Path::new("models/w.json")),
            PathBuf::from("models/w-report")
        );
        let pts: Vec<(f64, f64)> = (0..5000).map(|i| (i as f64, i as f64)).collect();
        let t = thin(pts, 1000);
        assert!(t.len() <= 1001);
        assert_eq!(*t.last().unwrap(), (4999.0, 4999.0));
    }
}
