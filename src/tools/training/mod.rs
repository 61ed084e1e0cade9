//! Training and evaluating scoring models in the project's own format (`arrears.model.v1`).
//!
//! - [`fit`] turns a [`Table`] (read from CSV by [`Table::read`]) into a [`Model`] and a
//!   [`FitReport`]: split, median imputation, standard scaling or monotone WoE bins, minority
//!   duplication, L2 logistic regression (linfa-logistic) with alpha chosen on an inner split,
//!   Platt or isotonic calibration on the hold-out. See [`fit`](mod@fit) for the method.
//! - [`train`] and [`evaluate`] are the `arrears train` / `arrears evaluate` commands.
//!
//! This file is the facade and the two commands; the parts are `csv` (reading), `preprocess`,
//! `fit` (with its leaves `options`, `split`, `solver`, `fit_report`), `calibrate`, `metrics`,
//! `report` (evaluation), and the shared leaves `error` ([`TrainError`]) and `progress` (bars).
//!
//! Everything is deterministic for the same input, options and seed: the model file is
//! byte-identical (the training time is left out unless `--record-training-time`).

pub mod binning;
mod calibrate;
pub mod csv;
pub(crate) mod error;
pub mod fit;
mod fit_report;
pub mod interactions;
pub mod metrics;
mod options;
pub mod preprocess;
mod progress;
pub mod report;
pub mod scorecard;
pub(crate) mod solver;
mod split;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;

pub use self::csv::{ReadOptions, Table};
pub use self::error::{TrainError, MIN_CLASS_ROWS, MIN_ROWS};
pub use self::fit::{fit, FitOptions, FitReport, DEFAULT_ALPHAS};
pub use self::metrics::Metrics;
pub use self::options::DEFAULT_MAX_INTERACTIONS;
pub use self::preprocess::Prepare;
pub use self::report::{default_report_dir, score_table, write_report, Evaluation};
use crate::engine::scoring::Model;

/// `arrears train`: fit a model from a CSV of feature rows and a 0/1 outcome.
#[derive(Debug, Clone, clap::Args)]
pub struct TrainArgs {
    /// CSV with a header: numeric feature columns and the 0/1 target column.
    #[arg(long)]
    pub input: PathBuf,
    /// The 0/1 outcome column.
    #[arg(long)]
    pub target: String,
    /// Where to write the model (arrears.model.v1 JSON).
    #[arg(long)]
    pub output: PathBuf,
    /// Model name (default: the output file's stem).
    #[arg(long)]
    pub name: Option<String>,
    /// Model version (default: "<trained-at>-logistic").
    #[arg(long)]
    pub version: Option<String>,
    /// What the target means, in words (stored with the column name).
    #[arg(long)]
    pub target_description: Option<String>,
    /// Columns that are not features (ids, other labels, text), comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// Split by time on this column (numbers or ISO dates/times): train on the earliest rows,
    /// validate on the latest. Without it the split is stratified random.
    #[arg(long)]
    pub time_column: Option<String>,
    /// How features become model inputs: `scorecard` (weight-of-evidence bins, shape and count
    /// chosen on validation rows, missing values and coded columns handled) or `standard`
    /// (median imputation and standard scaling).
    #[arg(long, value_enum, default_value_t = TransformKind::Scorecard)]
    pub transform: TransformKind,
    /// Scorecard: at most N equal-frequency bins per feature before merging (N ≥ 2); without it
    /// the budget is chosen per feature on validation rows.
    #[arg(long)]
    pub bins: Option<usize>,
    /// Scorecard: columns always treated as categories (codes), comma-separated. Columns of at
    /// most 64 distinct integers are offered categories anyway, and keep them when they validate
    /// better.
    #[arg(long, value_delimiter = ',')]
    pub categorical: Vec<String>,
    /// Scorecard: at most this many pairwise interaction tables, kept only when they pay on
    /// validation rows (0 = none).
    #[arg(long, default_value_t = DEFAULT_MAX_INTERACTIONS)]
    pub interactions: usize,
    /// Write the scorecard (points per bin, information values, interaction tables) as Markdown
    /// to this file.
    #[arg(long)]
    pub card: Option<PathBuf>,
    /// Scorecard points: points that double the odds of the target.
    #[arg(long, default_value_t = 20.0)]
    pub pdo: f64,
    /// Scorecard points: the total at the reference odds.
    #[arg(long, default_value_t = 600.0)]
    pub base_points: f64,
    /// Scorecard points: the reference odds of the target (target 1 : target 0).
    #[arg(long, default_value_t = 1.0)]
    pub base_odds: f64,
    /// Seed of every random choice (split, duplication).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Share of rows held out for calibration and validation.
    #[arg(long, default_value_t = 0.2)]
    pub holdout: f64,
    /// Duplicate minority-class rows until minority ≥ RATIO × majority (0 = off, max 1).
    #[arg(long, default_value_t = 0.5, value_name = "RATIO")]
    pub rebalance: f64,
    /// L2 alphas to try (per training row), comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = DEFAULT_ALPHAS.to_vec())]
    pub alphas: Vec<f64>,
    /// The alpha search fits on at most this many inner-training rows (stratified sample; 0 = all).
    /// The final fit always uses the whole training part.
    #[arg(long, default_value_t = 250_000, value_name = "ROWS")]
    pub tuning_rows: usize,
    /// Expected direction of a feature, `FEATURE=+` or `FEATURE=-` (comma-separated or repeated):
    /// a feature whose learned effect goes the other way is dropped and the model refitted.
    #[arg(long, value_delimiter = ',')]
    pub expect_sign: Vec<String>,
    /// Date stored as metadata.trained_at (default: today), for reproducible runs.
    #[arg(long)]
    pub trained_at: Option<String>,
    /// Also store the training time in the metadata (the file then differs between runs).
    #[arg(long)]
    pub record_training_time: bool,
}

/// How `arrears train` turns features into inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TransformKind {
    /// Weight-of-evidence bins (a scorecard).
    Scorecard,
    /// Standard scaling.
    Standard,
}

/// `arrears evaluate`: metrics, calibration table and an HTML report of a model on labelled rows.
#[derive(Debug, Clone, clap::Args)]
pub struct EvaluateArgs {
    /// The model file (arrears.model.v1).
    #[arg(long)]
    pub model: PathBuf,
    /// CSV with the model's feature columns and the target column.
    #[arg(long)]
    pub input: PathBuf,
    /// The 0/1 outcome column (default: the model's target column).
    #[arg(long)]
    pub target: Option<String>,
    /// Directory for the HTML report and charts (default: MODEL-report/ next to the model).
    #[arg(long)]
    pub report: Option<PathBuf>,
}

fn today() -> String {
    jiff::Zoned::now().date().to_string()
}

/// Writes `text` to `path` through a temporary file in the same directory.
fn write_atomic(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("creating a file in {}", dir.display()))?;
    tmp.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// The `arrears train` command.
pub fn train(args: &TrainArgs) -> anyhow::Result<()> {
    let trained_at = args.trained_at.clone().unwrap_or_else(today);
    let opts = FitOptions {
        name: args.name.clone().unwrap_or_else(|| {
            args.output
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "model".into())
        }),
        version: args
            .version
            .clone()
            .unwrap_or_else(|| format!("{trained_at}-logistic")),
        target_description: args.target_description.clone(),
        exclude: args.exclude.clone(),
        time_column: args.time_column.clone(),
        prepare: match args.transform {
            TransformKind::Scorecard => Prepare::Scorecard {
                cap: args.bins,
                categorical: args.categorical.clone(),
                monotone: Vec::new(),
            },
            TransformKind::Standard => Prepare::Standard,
        },
        max_interactions: args.interactions,
        seed: args.seed,
        holdout: args.holdout,
        rebalance: args.rebalance,
        alphas: args.alphas.clone(),
        trained_at,
        max_tuning_rows: args.tuning_rows,
        ..FitOptions::default()
    };
    opts.validate()?;
    let started = Instant::now();
    let read = ReadOptions {
        exclude: args.exclude.clone(),
        text: args.time_column.iter().cloned().collect(),
        only: None,
        target: Some(args.target.clone()),
    };
    let table = Table::read(&args.input, &read, true)?;
    let read_secs = started.elapsed().as_secs_f64();
    let signs = parse_signs(&args.expect_sign)?;
    if args.transform == TransformKind::Standard
        && (args.bins.is_some() || !args.categorical.is_empty())
    {
        anyhow::bail!("--bins and --categorical apply to --transform scorecard only");
    }
    let points = scorecard::Points::new(args.pdo, args.base_points, args.base_odds)?;
    let (mut model, report, dropped) = fit_signed(&table, &args.target, opts, &signs, true)?;
    drop(table);
    if !dropped.is_empty() {
        println!(
            "dropped for a sign against expectation: {}",
            dropped.join(", ")
        );
    }
    let total = started.elapsed().as_secs_f64();
    if args.record_training_time {
        if let Some(m) = model.metadata.as_object_mut() {
            m.insert(
                "training_seconds".into(),
                serde_json::json!((total * 10.0).round() / 10.0),
            );
        }
    }
    let mut text = serde_json::to_string_pretty(&model).context("serialising the model")?;
    text.push('\n');
    write_atomic(&args.output, &text)?;
    println!("{report}");
    if model.kind == "scorecard" {
        print!("{}", scorecard::summary(&model));
    }
    if let Some(card) = &args.card {
        write_atomic(card, &scorecard::card(&model, &points))?;
        eprintln!("wrote {}", card.display());
    }
    println!("read time: {read_secs:.1} s, total: {total:.1} s");
    let unknown: Vec<&str> = model
        .features
        .iter()
        .map(|f| f.name.as_str())
        .filter(|n| !crate::engine::features::FEATURE_NAMES.contains(n))
        .collect();
    if !unknown.is_empty() {
        eprintln!(
            "note: {} feature(s) are not engine features ({}); the engine can only load models over arrears::engine::features::FEATURE_NAMES",
            unknown.len(),
            unknown.join(", ")
        );
    }
    eprintln!("wrote {}", args.output.display());
    Ok(())
}

/// Parses `--expect-sign` entries: `feature=+` or `feature=-`.
fn parse_signs(entries: &[String]) -> anyhow::Result<Vec<(String, f64)>> {
    entries
        .iter()
        .map(|e| {
            let (name, sign) = e.split_once('=').ok_or_else(|| {
                anyhow::anyhow!("--expect-sign {e:?}: write FEATURE=+ or FEATURE=-")
            })?;
            let s = match sign {
                "+" | "+1" => 1.0,
                "-" | "-1" => -1.0,
                _ => anyhow::bail!("--expect-sign {e:?}: the sign must be + or -"),
            };
            Ok((name.to_owned(), s))
        })
        .collect()
}

/// The direction in which a feature moves the score: +1 when a larger raw value raises it.
fn direction(f: &crate::engine::scoring::FeatureSpec) -> f64 {
    use crate::engine::scoring::Transform;
    let slope = match &f.transform {
        Transform::Standard { scale, .. } => scale.signum(),
        Transform::Bins { values, .. } => (values.last().copied().unwrap_or(0.0)
            - values.first().copied().unwrap_or(0.0))
        .signum(),
        // Categories have no direction (features with an expected sign are never categories).
        Transform::Categories { .. } => 0.0,
    };
    (f.coefficient * slope).signum()
}

/// Fits, then drops every feature whose learned direction contradicts its expected sign (the
/// classic scorecard sign check: a broken promise must never raise willingness) and refits until
/// none does. Returns the model, its report and the features dropped (also in the metadata).
pub fn fit_signed(
    table: &Table,
    target: &str,
    mut opts: FitOptions,
    signs: &[(String, f64)],
    progress: bool,
) -> Result<(Model, FitReport, Vec<String>), TrainError> {
    // A feature with an expected sign is binned monotone, so its direction is defined.
    if let Prepare::Scorecard { monotone, .. } = &mut opts.prepare {
        monotone.extend(signs.iter().map(|(n, _)| n.clone()));
    }
    let mut dropped: Vec<String> = Vec::new();
    loop {
        let (mut model, report) = fit(table, target, &opts, progress)?;
        let wrong: Vec<String> = model
            .features
            .iter()
            .filter(|f| {
                let d = direction(f);
                signs
                    .iter()
                    .any(|(n, s)| *n == f.name && d != 0.0 && d != *s)
            })
            .map(|f| f.name.clone())
            .collect();
        if wrong.is_empty() {
            if let Some(m) = model.metadata.as_object_mut() {
                m.insert("dropped_for_sign".into(), serde_json::json!(dropped));
                let expected: serde_json::Map<String, serde_json::Value> = signs
                    .iter()
                    .map(|(n, s)| {
                        (
                            n.clone(),
                            serde_json::json!(if *s > 0.0 { "+" } else { "-" }),
                        )
                    })
                    .collect();
                m.insert("expected_signs".into(), serde_json::Value::Object(expected));
            }
            return Ok((model, report, dropped));
        }
        dropped.extend(wrong.iter().cloned());
        opts.exclude.extend(wrong);
    }
}

/// The target column a model was trained on: `metadata.target_column`, else its `target` up to
/// the first ':'.
pub fn model_target_column(model: &Model) -> String {
    model
        .metadata
        .get("target_column")
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| {
            model
                .target
                .split(':')
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        })
}

/// The `arrears evaluate` command.
pub fn evaluate(args: &EvaluateArgs) -> anyhow::Result<()> {
    let model = Model::load(&args.model).map_err(TrainError::from)?;
    let target = args
        .target
        .clone()
        .unwrap_or_else(|| model_target_column(&model));
    let read = ReadOptions {
        only: Some(model.features.iter().map(|f| f.name.clone()).collect()),
        target: Some(target.clone()),
        ..ReadOptions::default()
    };
    let table = Table::read(&args.input, &read, true)?;
    let scores = score_table(&model, &table)?;
    let j = table.column_index(&target).expect("target was read");
    let labels: Vec<u8> = table.column(j).iter().map(|&v| v as u8).collect();
    if table.rows() == 0 {
        return Err(TrainError::TooFewRows {
            part: "input".into(),
            rows: 0,
            min: 1,
        }
        .into());
    }
    let ev = Evaluation::compute(&scores, &labels);
    println!(
        "model {} ({}) on {}",
        model.name,
        model.version,
        args.input.display()
    );
    print!("{}", ev.text());
    let dir = args
        .report
        .clone()
        .unwrap_or_else(|| default_report_dir(&args.model));
    let source = args
        .input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    write_report(&dir, &model, &source, &ev)?;
    eprintln!("wrote {}", dir.join("index.html").display());
    Ok(())
}
