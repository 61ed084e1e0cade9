//! `arrears train` / `arrears evaluate` on small synthetic CSVs where the truth is known.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "integration tests drive the edges: files, timers and the environment"
)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use arrears::engine::scoring::{Model, Transform};
use arrears::tools::training::{
    evaluate, fit, train, EvaluateArgs, FitOptions, ReadOptions, Table, TrainArgs, TrainError,
    TransformKind, DEFAULT_ALPHAS, DEFAULT_MAX_INTERACTIONS,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Rows where P(y = 1) = sigmoid(intercept + 1.2·x_up − 0.9·x_down + 0.6·flag); `noise` is
/// unrelated; `id` is text, `day` an ISO date increasing with the row, `other_label` another
/// outcome. About 3% of feature cells are empty, a few are `NA`.
fn synthetic_csv(rows: usize, seed: u64, intercept: f64) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut s = String::from("id,day,x_up,x_down,noise,flag,y,other_label\n");
    for i in 0..rows {
        let x_up: f64 = rng.random_range(-2.0..2.0);
        let x_down: f64 = rng.random_range(0.0..10.0);
        let noise: f64 = rng.random_range(-5.0..5.0);
        let flag = u8::from(rng.random_bool(0.3));
        let z = intercept + 1.2 * x_up - 0.9 * (x_down - 5.0) / 2.9 + 0.6 * f64::from(flag);
        let y = u8::from(rng.random::<f64>() < 1.0 / (1.0 + (-z).exp()));
        let cell = |rng: &mut ChaCha8Rng, v: f64| -> String {
            match rng.random_range(0..100) {
                0..=2 => String::new(),
                3 => "NA".into(),
                _ => format!("{v:.4}"),
            }
        };
        let (a, b, c) = (
            cell(&mut rng, x_up),
            cell(&mut rng, x_down),
            cell(&mut rng, noise),
        );
        let day = 1 + i * 28 / rows;
        let other = u8::from(rng.random_bool(0.5));
        let _ = writeln!(s, "A{i:05},2026-02-{day:02},{a},{b},{c},{flag},{y},{other}");
    }
    s
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn args(input: &Path, output: &Path) -> TrainArgs {
    TrainArgs {
        input: input.to_path_buf(),
        target: "y".into(),
        output: output.to_path_buf(),
        name: Some("willingness".into()),
        version: None,
        target_description: Some("paid within 30 days".into()),
        exclude: vec!["id".into(), "day".into(), "other_label".into()],
        time_column: None,
        transform: TransformKind::Scorecard,
        bins: None,
        categorical: Vec::new(),
        interactions: DEFAULT_MAX_INTERACTIONS,
        card: None,
        pdo: 20.0,
        base_points: 600.0,
        base_odds: 1.0,
        seed: 7,
        holdout: 0.25,
        rebalance: 0.5,
        alphas: DEFAULT_ALPHAS.to_vec(),
        tuning_rows: 250_000,
        trained_at: Some("2026-11-23".into()),
        record_training_time: false,
        expect_sign: Vec::new(),
    }
}

fn coef(m: &Model, name: &str) -> f64 {
    m.features
        .iter()
        .find(|f| f.name == name)
        .unwrap()
        .coefficient
}

fn meta_f64(m: &Model, path: &[&str]) -> f64 {
    let mut v = &m.metadata;
    for p in path {
        v = &v[*p];
    }
    v.as_f64()
        .unwrap_or_else(|| panic!("metadata {path:?} is {v}"))
}

/// Scores a CSV's rows with a model (features by name), returning (scores, labels).
fn score_csv(m: &Model, text: &str) -> (Vec<f64>, Vec<u8>) {
    let opts = ReadOptions {
        only: Some(m.features.iter().map(|f| f.name.clone()).collect()),
        target: Some("y".into()),
        ..Default::default()
    };
    let t = Table::from_reader(text.as_bytes(), "fresh", 0, &opts, false).unwrap();
    let scores = arrears::tools::training::score_table(m, &t).unwrap();
    let j = t.column_index("y").unwrap();
    let labels = t.column(j).iter().map(|&v| v as u8).collect();
    (scores, labels)
}

#[test]
fn a_feature_learned_against_its_expected_sign_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "rows.csv", &synthetic_csv(4000, 1, -0.8));
    let out = dir.path().join("w.json");
    let mut a = args(&input, &out);
    // x_up truly raises the target; an expectation that it lowers it removes it from the model.
    a.expect_sign = vec!["x_up=-".into(), "x_down=-".into()];
    train(&a).unwrap();
    let m = Model::load(&out).unwrap();
    let names: Vec<&str> = m.features.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["x_down", "noise", "flag"]);
    // The kept feature lowers the score as x_down grows: monotone falling WoE, positive weight.
    let down = m.features.iter().find(|f| f.name == "x_down").unwrap();
    let Transform::Bins { values, .. } = &down.transform else {
        panic!("an expected sign keeps x_down monotone bins")
    };
    assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");
    assert!(coef(&m, "x_down") > 0.0);
    assert_eq!(m.metadata["dropped_for_sign"], serde_json::json!(["x_up"]));
    assert_eq!(m.metadata["expected_signs"]["x_down"], "-");
    a.expect_sign = vec!["x_up=maybe".into()];
    assert!(train(&a).unwrap_err().to_string().contains("x_up=maybe"));
}

#[test]
fn learns_a_known_logistic_relationship() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "rows.csv", &synthetic_csv(4000, 1, -0.8));
    let out = dir.path().join("w.json");
    let mut a = args(&input, &out);
    a.transform = TransformKind::Standard;
    train(&a).unwrap();
    let m = Model::load(&out).unwrap();
    assert_eq!(m.format, "arrears.model.v1");
    assert_eq!(m.kind, "logistic_regression");
    assert_eq!(m.name, "willingness");
    assert_eq!(m.version, "2026-11-23-logistic");
    assert_eq!(m.target, "y: paid within 30 days");
    let names: Vec<&str> = m.features.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["x_up", "x_down", "noise", "flag"], "CSV order");
    assert!(coef(&m, "x_up") > 0.5, "{}", coef(&m, "x_up"));
    assert!(coef(&m, "x_down") < -0.4, "{}", coef(&m, "x_down"));
    assert!(coef(&m, "flag") > 0.0);
    assert!(coef(&m, "noise").abs() < 0.2);
    for f in &m.features {
        assert!(matches!(f.transform, Transform::Standard { .. }));
        assert!(f.clip.is_some(), "{} is clipped", f.name);
        assert!(f.baseline.abs() < 1e-9, "standardised baseline ≈ 0");
    }
    assert!(meta_f64(&m, &["holdout_metrics", "auc"]) > 0.8);
    assert_eq!(m.metadata["split"]["kind"], "stratified_random");
    assert_eq!(m.metadata["split"]["train_rows"], 3000);
    assert_eq!(m.metadata["split"]["holdout_rows"], 1000);
    assert_eq!(m.metadata["trained_at"], "2026-11-23");
    assert_eq!(m.metadata["rebalance"]["method"], "duplicate_minority_rows");
    assert!(m.metadata.get("training_seconds").is_none());
    let alpha = meta_f64(&m, &["regularisation", "alpha"]);
    assert!(DEFAULT_ALPHAS.contains(&alpha));

    // The reference distribution: the final scores of the 3000 training rows in ten bins, close
    // to that of all 4000 rows scored through the same path.
    let d = &m.metadata["score_distribution"];
    assert_eq!(d["fitted_on"], "training");
    assert_eq!(d["rows"], 3000);
    assert_eq!(
        d["edges"],
        serde_json::json!(arrears::engine::scoring::ScoreDistribution::decile_edges())
    );
    let reference = arrears::engine::scoring::ScoreDistribution {
        edges: arrears::engine::scoring::ScoreDistribution::decile_edges(),
        shares: serde_json::from_value(d["shares"].clone()).unwrap(),
    };
    assert!((reference.shares.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    let (scores, _) = score_csv(&m, &std::fs::read_to_string(&input).unwrap());
    let mut counts = vec![0u64; reference.bins()];
    for s in scores {
        counts[reference.bin(s)] += 1;
    }
    let psi = arrears::engine::scoring::psi(&reference, &counts).unwrap();
    assert!(
        psi < 0.02,
        "PSI of all rows against the training rows: {psi}"
    );
}

#[test]
fn same_input_and_seed_give_identical_json() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "rows.csv", &synthetic_csv(3000, 2, 0.0));
    let (a, b, c) = (
        dir.path().join("a.json"),
        dir.path().join("b.json"),
        dir.path().join("c.json"),
    );
    train(&args(&input, &a)).unwrap();
    train(&args(&input, &b)).unwrap();
    let (ta, tb) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert_eq!(ta, tb, "byte-identical model files");
    let mut other = args(&input, &c);
    other.seed = 8;
    train(&other).unwrap();
    assert_ne!(
        std::fs::read(&c).unwrap(),
        ta,
        "another seed, another split"
    );
    // The binned variant is deterministic too.
    let mut binned = args(&input, &a);
    binned.bins = Some(5);
    train(&binned).unwrap();
    let first = std::fs::read(&a).unwrap();
    train(&binned).unwrap();
    assert_eq!(std::fs::read(&a).unwrap(), first);
}

fn fit_text(text: &str, target: &str, opts: &FitOptions) -> Result<Model, TrainError> {
    let read = ReadOptions {
        exclude: opts.exclude.clone(),
        target: Some(target.into()),
        ..Default::default()
    };
    let table = Table::from_reader(text.as_bytes(), "t.csv", 0, &read, false)?;
    fit(&table, target, opts, false).map(|(m, _)| m)
}

#[test]
fn each_error_case_has_its_error() {
    let good = synthetic_csv(300, 3, 0.0);
    let opts = FitOptions {
        exclude: vec!["id".into(), "day".into(), "other_label".into()],
        ..FitOptions::default()
    };
    // Missing target: named, columns listed.
    let e = fit_text(&good, "paid", &opts).unwrap_err();
    assert!(matches!(e, TrainError::MissingTarget { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("\"paid\"") && msg.contains("x_up, x_down"),
        "{msg}"
    );

    // Non-numeric cell: row, column, value; the id column is not excluded here.
    let no_exclude = FitOptions::default();
    let e = fit_text(&good, "y", &no_exclude).unwrap_err();
    match &e {
        TrainError::NonNumeric {
            row, column, value, ..
        } => assert_eq!((*row, column.as_str(), value.as_str()), (1, "id", "A00000")),
        other => panic!("{other}"),
    }
    assert!(e.to_string().contains("--exclude id"));

    // Target not 0/1 (the third data row's y is "yes").
    let set_y = |text: &str, row: usize, value: &str| -> String {
        text.lines()
            .enumerate()
            .map(|(i, l)| {
                if i == row {
                    let mut f: Vec<&str> = l.split(',').collect();
                    f[6] = value;
                    format!("{}\n", f.join(","))
                } else {
                    format!("{l}\n")
                }
            })
            .collect()
    };
    let bad_target = set_y(&good, 3, "yes");
    let e = fit_text(&bad_target, "y", &opts).unwrap_err();
    assert!(matches!(e, TrainError::BadTarget { row: 3, .. }), "{e}");
    assert!(e.to_string().contains("\"yes\"") && e.to_string().contains("must be 0 or 1"));
    let e = fit_text(&set_y(&good, 5, ""), "y", &opts).unwrap_err();
    assert!(
        matches!(e, TrainError::BadTarget { row: 5, .. }),
        "a missing target: {e}"
    );

    // Constant column: named, --exclude suggested.
    let constant: String = good
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l},k\n")
            } else {
                format!("{l},3\n")
            }
        })
        .collect();
    let e = fit_text(&constant, "y", &opts).unwrap_err();
    assert!(
        matches!(&e, TrainError::ConstantColumn { column, .. } if column == "k"),
        "{e}"
    );
    assert!(e.to_string().contains("--exclude k"));

    // One class only.
    let one: String = good
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l}\n")
            } else {
                let mut f: Vec<&str> = l.split(',').collect();
                f[6] = "0";
                format!("{}\n", f.join(","))
            }
        })
        .collect();
    let e = fit_text(&one, "y", &opts).unwrap_err();
    assert!(matches!(e, TrainError::OneClass { .. }), "{e}");

    // Too few rows.
    let few: String = good.lines().take(21).map(|l| format!("{l}\n")).collect();
    let e = fit_text(&few, "y", &opts).unwrap_err();
    assert!(matches!(e, TrainError::TooFewRows { rows: 20, .. }), "{e}");

    // Unknown --exclude name and bad options.
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "rows.csv", &good);
    let mut a = args(&input, &dir.path().join("m.json"));
    a.exclude.push("nope".into());
    let e = train(&a).unwrap_err();
    assert!(e.to_string().contains("nope"), "{e}");
    let mut a = args(&input, &dir.path().join("m.json"));
    a.bins = Some(1);
    assert!(train(&a).unwrap_err().to_string().contains("--bins"));
    assert!(
        !dir.path().join("m.json").exists(),
        "no model written on error"
    );
}

#[test]
fn the_default_is_a_scorecard_with_binned_features_and_a_card() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "rows.csv", &synthetic_csv(4000, 4, -0.5));
    let out = dir.path().join("binned.json");
    let card = dir.path().join("card.md");
    let mut a = args(&input, &out);
    a.card = Some(card.clone());
    train(&a).unwrap();
    let m = Model::load(&out).unwrap();
    assert_eq!(m.kind, "scorecard");
    let pre = &m.metadata["preprocessing"];
    assert_eq!(pre["transform"], "scorecard_woe_bins");
    let summary = |name: &str| {
        pre["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()
            .clone()
    };
    for f in &m.features {
        let s = summary(&f.name);
        assert!(s["information_value"].as_f64().unwrap() >= 0.0);
        assert!(s["validation_log_loss"].as_f64().unwrap() > 0.0);
        let values = match &f.transform {
            Transform::Bins { edges, values, .. } => {
                assert_eq!(values.len(), edges.len() + 1);
                values
            }
            // The 0/1 flag is a coded column: categories may win it.
            Transform::Categories { values, .. } => values,
            // A feature linear in the log-odds may stay unbinned, and says so.
            Transform::Standard { .. } => {
                assert_eq!(s["shape"], "linear", "{s}");
                continue;
            }
        };
        assert!(f.clip.is_none());
        // Baseline = mean transformed value on the training rows: within the WoE range.
        let (lo, hi) = values
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
        assert!(f.baseline >= lo - 1e-12 && f.baseline <= hi + 1e-12);
    }
    // The synthetic drivers are linear in the log-odds: steady shapes, never bends or categories.
    for name in ["x_up", "x_down"] {
        let s = summary(name);
        assert!(
            s["shape"] == "monotone" || s["shape"] == "linear",
            "{name}: {s}"
        );
    }
    // The card: every feature, with points per bin.
    let text = std::fs::read_to_string(&card).unwrap();
    for f in &m.features {
        assert!(text.contains(&format!("### {} (", f.name)), "{text}");
    }
    assert!(text.contains("| bin | training rows | target rate | WoE | points |"));
    assert!(meta_f64(&m, &["holdout_metrics", "auc"]) > 0.8);

    // --bins puts every feature in bins (no linear terms), at most that many.
    a.bins = Some(8);
    train(&a).unwrap();
    let m = Model::load(&out).unwrap();
    assert!(m
        .features
        .iter()
        .all(|f| !matches!(f.transform, Transform::Standard { .. })));
    let bins_of = |name: &str| match &m
        .features
        .iter()
        .find(|f| f.name == name)
        .unwrap()
        .transform
    {
        Transform::Bins { values, .. } => values.clone(),
        _ => unreachable!(),
    };
    // WoE is oriented to the outcome: rising with x_up, falling with x_down, both informative.
    let (up, down) = (bins_of("x_up"), bins_of("x_down"));
    assert!(
        up.len() >= 4 && up.windows(2).all(|w| w[0] < w[1]),
        "{up:?}"
    );
    assert!(
        down.len() >= 4 && down.windows(2).all(|w| w[0] > w[1]),
        "{down:?}"
    );
    assert!(coef(&m, "x_up") > 0.3 && coef(&m, "x_down") > 0.3);
    assert!(meta_f64(&m, &["holdout_metrics", "auc"]) > 0.8);
}

#[test]
fn calibrated_on_fresh_data_even_with_a_rare_outcome() {
    for (intercept, rebalance) in [(-2.0, 0.5), (-3.5, 1.0)] {
        let dir = tempfile::tempdir().unwrap();
        let input = write(dir.path(), "rows.csv", &synthetic_csv(5000, 5, intercept));
        let out = dir.path().join("m.json");
        let mut a = args(&input, &out);
        a.rebalance = rebalance;
        train(&a).unwrap();
        let m = Model::load(&out).unwrap();
        assert!(meta_f64(&m, &["rebalance", "rows_added"]) > 0.0);
        let (scores, labels) = score_csv(&m, &synthetic_csv(20_000, 6, intercept));
        let mean = scores.iter().sum::<f64>() / scores.len() as f64;
        let rate = labels.iter().map(|&y| f64::from(y)).sum::<f64>() / labels.len() as f64;
        assert!(
            (mean - rate).abs() < 0.015,
            "intercept {intercept}: mean predicted {mean:.4} vs observed {rate:.4}"
        );
        // Group by group (deciles of the score), predicted within 0.06 of observed.
        for g in arrears::tools::training::metrics::calibration_table(&scores, &labels, 10) {
            assert!(
                (g.mean_predicted - g.observed).abs() < 0.06,
                "intercept {intercept}: {g:?}"
            );
        }
    }
}

#[test]
fn time_split_trains_on_the_earliest_rows() {
    let dir = tempfile::tempdir().unwrap();
    // Rows shuffled in the file: the split must follow the dates, not the order.
    let text = synthetic_csv(3000, 7, 0.0);
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    lines.reverse();
    let shuffled = format!("{header}\n{}\n", lines.join("\n"));
    let input = write(dir.path(), "rows.csv", &shuffled);
    let out = dir.path().join("m.json");
    let mut a = args(&input, &out);
    a.time_column = Some("day".into());
    a.exclude = vec!["id".into(), "other_label".into()];
    train(&a).unwrap();
    let m = Model::load(&out).unwrap();
    let split = &m.metadata["split"];
    assert_eq!(split["kind"], "time");
    assert_eq!(split["time_column"], "day");
    let train_end = split["train_period"][1].as_str().unwrap();
    let hold_start = split["holdout_period"][0].as_str().unwrap();
    assert!(train_end < hold_start, "{train_end} < {hold_start}");
    assert_eq!(split["train_period"][0], "2026-02-01");
    assert_eq!(split["holdout_period"][1], "2026-02-28");
    assert!(!m.features.iter().any(|f| f.name == "day"));
    let rows = split["train_rows"].as_u64().unwrap() + split["holdout_rows"].as_u64().unwrap();
    assert_eq!(rows, 3000);
}

#[test]
fn evaluate_writes_html_and_pngs() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "rows.csv", &synthetic_csv(3000, 8, 0.0));
    let model = dir.path().join("w.json");
    let mut a = args(&input, &model);
    a.record_training_time = true;
    train(&a).unwrap();
    let m = Model::load(&model).unwrap();
    assert!(m.metadata["training_seconds"].is_number());

    let fresh = write(dir.path(), "fresh.csv", &synthetic_csv(2000, 9, 0.0));
    // Default report directory: MODEL-report/ next to the model; target from the model.
    evaluate(&EvaluateArgs {
        model: model.clone(),
        input: fresh.clone(),
        target: None,
        report: None,
    })
    .unwrap();
    let report = dir.path().join("w-report");
    let html = std::fs::read_to_string(report.join("index.html")).unwrap();
    for needle in [
        "AUC",
        "Gini",
        "KS",
        "Brier",
        "Log loss",
        "Calibration",
        "Lift",
    ] {
        assert!(html.contains(needle), "report mentions {needle}");
    }
    for png in arrears::tools::training::report::CHARTS {
        assert!(html.contains(png), "report shows {png}");
        let bytes = std::fs::read(report.join(png)).unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "{png} is a PNG");
        assert!(bytes.len() > 5000, "{png} has a chart");
    }

    // A missing feature column is named.
    let text = synthetic_csv(100, 10, 0.0).replace("x_down", "x_other");
    let lacking = write(dir.path(), "lacking.csv", &text);
    let e = evaluate(&EvaluateArgs {
        model,
        input: lacking,
        target: Some("y".into()),
        report: Some(dir.path().join("r2")),
    })
    .unwrap_err();
    assert!(e.to_string().contains("x_down"), "{e}");
}
