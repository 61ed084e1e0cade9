//! The shipped models on an independent simulated portfolio (a seed the models never saw):
//! discrimination against the 30-day labels, and agreement with the simulator's hidden traits.
//!
//! Run with `cargo test --release --test model_quality -- --nocapture` to see the figures.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "integration tests drive the edges: files, timers and the environment"
)]

use std::collections::HashMap;
use std::sync::Arc;

use arrears::engine::features::{FEATURE_NAMES, N_FEATURES};
use arrears::engine::pipeline::Pipeline;
use arrears::engine::scoring::Scorer;
use arrears::engine::settings::Settings;
use arrears::replay::apply_lines;
use arrears::replay::training_rows::Collector;
use arrears::tools::sim::{HouseDialer, SimConfig, World};
use arrears::tools::training::metrics::auc;

/// Spearman rank correlation (average ranks for ties).
fn spearman(x: &[f64], y: &[f64]) -> f64 {
    fn ranks(v: &[f64]) -> Vec<f64> {
        let mut idx: Vec<usize> = (0..v.len()).collect();
        idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
        let mut r = vec![0.0; v.len()];
        let mut i = 0;
        while i < idx.len() {
            let mut j = i;
            while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
                j += 1;
            }
            for k in i..=j {
                r[idx[k]] = (i + j) as f64 / 2.0 + 1.0;
            }
            i = j + 1;
        }
        r
    }
    let (rx, ry) = (ranks(x), ranks(y));
    let n = x.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let cov: f64 = rx.iter().zip(&ry).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = rx.iter().map(|a| (a - mx).powi(2)).sum();
    let vy: f64 = ry.iter().map(|b| (b - my).powi(2)).sum();
    cov / (vx * vy).sqrt()
}

#[test]
fn shipped_models_discriminate_and_rank_the_hidden_traits() {
    let mut cfg = SimConfig::new(3_000, 120, 4_242);
    cfg.capacity = 0.05;
    // The shipped willingness and ability models were trained on the legacy response model's
    // history (scripts/train-models.sh): judge them on the world they learned.
    cfg.response = arrears::tools::sim::ResponseModel::Legacy;
    let mut world = World::new(&cfg);
    let mut dialer = HouseDialer::new(cfg.calls_per_day(), cfg.seed);
    let mut stream = Vec::new();
    world.run(&mut dialer, &mut stream, |_| {}).unwrap();
    let truth: HashMap<String, (f64, f64)> = world
        .traits()
        .map(|t| {
            (
                t.account_id.clone(),
                (t.willingness as f64, t.ability as f64),
            )
        })
        .collect();

    let settings = Arc::new(Settings::defaults());
    let scorer = Scorer::shipped().unwrap();
    let mut pipeline = Pipeline::new(settings, Arc::new(scorer.clone()));
    let mut collector = Collector::new(1);
    let summary =
        apply_lines(&mut pipeline, stream.as_slice(), None, Some(&mut collector)).unwrap();
    assert_eq!(summary.rejected_total(), 0);
    let mut csv = Vec::new();
    collector
        .write(&pipeline, pipeline.clock().unwrap(), &mut csv)
        .unwrap();

    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let first = col(FEATURE_NAMES[0]);
    let (wl, al) = (col("willingness"), col("ability"));
    let (mut sw, mut sa, mut yw, mut ya) = (vec![], vec![], vec![], vec![]);
    let mut row_truth: Vec<(f64, f64)> = Vec::new();
    let mut per_account: HashMap<String, (f64, f64, f64)> = HashMap::new();
    for rec in reader.records() {
        let rec = rec.unwrap();
        let mut v = [0.0; N_FEATURES];
        for (i, x) in v.iter_mut().enumerate() {
            *x = rec[first + i].parse().unwrap();
        }
        let s = scorer.score(&v);
        let (w, a) = (s.willingness.get(), s.ability.get());
        sw.push(w);
        sa.push(a);
        yw.push(rec[wl].parse::<u8>().unwrap());
        ya.push(rec[al].parse::<u8>().unwrap());
        row_truth.push(truth[&rec[0]]);
        let e = per_account.entry(rec[0].to_owned()).or_default();
        *e = (e.0 + w, e.1 + a, e.2 + 1.0);
    }
    assert!(sw.len() > 10_000, "{} rows", sw.len());
    let (auc_w, auc_a) = (auc(&sw, &yw), auc(&sa, &ya));
    let mut ids: Vec<&String> = per_account.keys().collect();
    ids.sort();
    let pick = |f: &dyn Fn(&String) -> (f64, f64)| -> (Vec<f64>, Vec<f64>) {
        ids.iter().map(|id| f(id)).unzip()
    };
    let (mw, tw) = pick(&|id| {
        let (w, _, n) = per_account[id];
        (w / n, truth[id].0)
    });
    let (ma, ta) = pick(&|id| {
        let (_, a, n) = per_account[id];
        (a / n, truth[id].1)
    });
    let (rho_w, rho_a) = (spearman(&mw, &tw), spearman(&ma, &ta));
    // What knowing the hidden traits exactly would achieve on the same labels: the ceiling.
    let ceiling_w = auc(&row_truth.iter().map(|t| t.0).collect::<Vec<_>>(), &yw);
    let ceiling_a = auc(
        &row_truth.iter().map(|t| t.0 * t.1).collect::<Vec<_>>(),
        &ya,
    );
    println!(
        "rows {} accounts {}: willingness AUC {auc_w:.4} (hidden trait alone: {ceiling_w:.4}), \
         ability AUC {auc_a:.4} (willingness x ability traits: {ceiling_a:.4}); \
         Spearman(mean score, hidden trait): willingness {rho_w:.3}, ability {rho_a:.3}",
        sw.len(),
        ids.len()
    );
    // Regression guards well above chance; the figures and their ceiling are in models/README.md.
    assert!(auc_w >= 0.64, "willingness AUC {auc_w}");
    assert!(auc_a >= 0.64, "ability AUC {auc_a}");
    assert!(rho_w >= 0.25, "willingness Spearman {rho_w}");
    assert!(rho_a >= 0.25, "ability Spearman {rho_a}");
}
