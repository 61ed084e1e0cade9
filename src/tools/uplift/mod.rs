//! `arrears uplift`: learning and judging the incremental effect of a call.
//!
//! `uplift fit` reads outcome rows (CSV, see `rows`: written by `arrears backtest --strategies
//! explore --rows FILE` from its decision rows and the payments that followed), splits them by
//! account (80% train, 20% validation), fits the shipped S-learner and the two cross-checks, prints
//! the Qini table of all three on the validation rows and writes the S-learner as an
//! `arrears.uplift.v1` model. `uplift evaluate` judges a model file on other rows (seeds never used
//! for training) against a random ranking and the expected-recovery ranking, with a Qini chart.
//!
//! `rows` (the outcome rows and the payment ledger), `fit` (the learners), `evaluate` (Qini,
//! AUUC, deciles).

pub mod evaluate;
pub mod fit;
pub mod rows;

use std::io::BufReader;
use std::path::PathBuf;

use anyhow::Context as _;

use crate::engine::features::N_FEATURES;
use crate::engine::scoring::BoundUplift;
use crate::engine::stable_hash;
use rows::Row;

/// `arrears uplift …`.
#[derive(clap::Subcommand, Debug, Clone)]
pub enum UpliftCommand {
    /// Fit the uplift model on outcome rows.
    Fit(FitArgs),
    /// Judge an uplift model on held-out outcome rows.
    Evaluate(EvaluateArgs),
}

/// Options of `arrears uplift fit`.
#[derive(clap::Args, Debug, Clone)]
pub struct FitArgs {
    /// Outcome rows (CSV), one or more files.
    #[arg(long, required = true, value_delimiter = ',')]
    pub rows: Vec<PathBuf>,
    /// Where to write the model.
    #[arg(long)]
    pub out: PathBuf,
    /// The model's version.
    #[arg(long)]
    pub version: String,
    /// The horizon the rows' outcomes were measured over (days), recorded in the model.
    #[arg(long, default_value_t = 90)]
    pub horizon_days: u32,
    /// The interactions' penalty relative to the other coefficients.
    #[arg(long, default_value_t = 4.0)]
    pub effect_penalty: f64,
}

/// Options of `arrears uplift evaluate`.
#[derive(clap::Args, Debug, Clone)]
pub struct EvaluateArgs {
    /// The uplift model.
    #[arg(long)]
    pub model: PathBuf,
    /// Held-out outcome rows (CSV).
    #[arg(long, required = true, value_delimiter = ',')]
    pub rows: Vec<PathBuf>,
    /// Qini curves (PNG).
    #[arg(long, default_value = "qini.png")]
    pub chart: PathBuf,
    /// The evaluation as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// Runs an `arrears uplift` command, printing its report.
pub fn run(cmd: &UpliftCommand) -> anyhow::Result<()> {
    match cmd {
        UpliftCommand::Fit(a) => cmd_fit(a),
        UpliftCommand::Evaluate(a) => cmd_evaluate(a),
    }
}

#[allow(
    clippy::disallowed_types,
    reason = "a tool reads the rows files it is given"
)]
fn read_rows(paths: &[PathBuf]) -> anyhow::Result<Vec<Row>> {
    let mut out = Vec::new();
    for p in paths {
        let f = std::fs::File::open(p).with_context(|| format!("opening {}", p.display()))?;
        out.extend(
            rows::read_csv(BufReader::new(f))
                .with_context(|| format!("reading {}", p.display()))?,
        );
    }
    anyhow::ensure!(!out.is_empty(), "no outcome rows");
    Ok(out)
}

/// Predicted uplift of the S-learner `m` for each row.
pub fn s_predict(m: &BoundUplift, rows: &[&Row]) -> Vec<f64> {
    rows.iter()
        .map(|r| {
            let mut v = [0.0; N_FEATURES];
            v.copy_from_slice(&r.features);
            let u = m.predict(&v, r.scores[0], r.scores[1]);
            u.p_called - u.p_otherwise
        })
        .collect()
}

fn cmd_fit(a: &FitArgs) -> anyhow::Result<()> {
    let all = read_rows(&a.rows)?;
    let (mut train, mut valid) = (Vec::new(), Vec::new());
    for r in &all {
        if stable_hash(&[r.account_id.as_bytes(), b"uplift-split"]).is_multiple_of(5) {
            valid.push(r);
        } else {
            train.push(r);
        }
    }
    eprintln!(
        "uplift fit: {} rows ({} called), {} train / {} validation",
        all.len(),
        all.iter().filter(|r| r.treated).count(),
        train.len(),
        valid.len()
    );
    let opts = fit::FitOptions {
        effect_penalty: a.effect_penalty,
        ..fit::FitOptions::default()
    };
    let started = std::time::Instant::now();
    let s = fit::s_learner(&train, &valid, &opts, &a.version, a.horizon_days)?;
    let s_secs = started.elapsed().as_secs_f64();
    let bound = BoundUplift::from_json(&serde_json::to_string(&s.model)?, "fitted")?;
    let t = fit::TLearner::fit(&train, 1e-4, opts.max_iterations)?;
    let to = fit::TransformedOutcome::fit(&train, 1e-3)?;
    let evals = vec![
        evaluate::evaluate("s_learner (shipped)", &valid, &s_predict(&bound, &valid)),
        evaluate::evaluate("t_learner", &valid, &t.predict(&valid)),
        evaluate::evaluate("transformed_outcome", &valid, &to.predict(&valid)),
        evaluate::evaluate("random", &valid, &random_scores(&valid)),
    ];
    print!("{}", evaluate::table(&evals));
    println!("S-learner fit in {s_secs:.1} s");
    let mut model = s.model;
    model.metadata["validation_qini_coefficient"] = serde_json::json!(evals[0].qini_coefficient);
    model.metadata["t_learner_qini_coefficient"] = serde_json::json!(evals[1].qini_coefficient);
    model.metadata["transformed_outcome_qini_coefficient"] =
        serde_json::json!(evals[2].qini_coefficient);
    let text = serde_json::to_string_pretty(&model)? + "\n";
    #[allow(
        clippy::disallowed_methods,
        reason = "a tool writes the model it fitted"
    )]
    std::fs::write(&a.out, text).with_context(|| format!("writing {}", a.out.display()))?;
    eprintln!("wrote {}", a.out.display());
    Ok(())
}

fn random_scores(rows: &[&Row]) -> Vec<f64> {
    rows.iter()
        .map(|r| {
            let h = stable_hash(&[r.account_id.as_bytes(), &r.at.to_le_bytes(), b"random"]);
            (h >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

#[allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    reason = "a tool reads the model and writes its report"
)]
fn cmd_evaluate(a: &EvaluateArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&a.model)
        .with_context(|| format!("reading {}", a.model.display()))?;
    let model = BoundUplift::from_json(&text, &a.model.display().to_string())?;
    let all = read_rows(&a.rows)?;
    let refs: Vec<&Row> = all.iter().collect();
    // Expected recovery ranks by how likely and how much the account pays, not by what a call adds.
    let er: Vec<f64> = refs
        .iter()
        .map(|r| r.scores[0] * (0.3 + 0.7 * r.scores[1]))
        .collect();
    let evals = vec![
        evaluate::evaluate(
            &format!("uplift {}", model.version),
            &refs,
            &s_predict(&model, &refs),
        ),
        evaluate::evaluate("P(pay) (expected recovery)", &refs, &er),
        evaluate::evaluate("random", &refs, &random_scores(&refs)),
    ];
    println!(
        "{} held-out rows ({} called, {} not)",
        refs.len(),
        refs.iter().filter(|r| r.treated).count(),
        refs.iter().filter(|r| !r.treated).count()
    );
    print!("{}", evaluate::table(&evals));
    let series: Vec<crate::tools::chart::Series> = evals
        .iter()
        .map(|e| crate::tools::chart::Series {
            name: e.name.clone(),
            points: e.qini.iter().map(|(x, y)| (x * 100.0, *y)).collect(),
        })
        .collect();
    crate::tools::chart::line_chart(
        &a.chart,
        "Qini: extra payers by share of rows targeted",
        "rows targeted (%)",
        "extra paying accounts",
        &series,
    )?;
    if let Some(p) = &a.json {
        std::fs::write(p, serde_json::to_string_pretty(&evals)?)
            .with_context(|| format!("writing {}", p.display()))?;
    }
    eprintln!("wrote {}", a.chart.display());
    Ok(())
}
