//! Golden scores: the shipped models score fixed feature vectors exactly as recorded in
//! `models/golden.json` (within 1e-9). `scripts/train-models.sh` re-records the file after
//! retraining, by running this test with `ARREARS_BLESS=1`.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "integration tests drive the edges: files, timers and the environment"
)]

use arrears::engine::features::{F, N_FEATURES};
use arrears::engine::scoring::Scorer;
use serde_json::{json, Value};

/// Fixed, hand-picked feature vectors: an empty history, a typical fresh delinquency, a habitual
/// promise breaker, a hardship case, and extremes.
fn vectors() -> Vec<(&'static str, [f64; N_FEATURES])> {
    let mut out = vec![("zeros", [0.0; N_FEATURES])];
    let mut fresh = [0.0; N_FEATURES];
    fresh[F::DaysPastDue as usize] = 4.0;
    fresh[F::OverdueLog as usize] = 5.3;
    fresh[F::BalanceLog as usize] = 7.1;
    fresh[F::Payments90 as usize] = 2.0;
    fresh[F::PaidLog90 as usize] = 5.9;
    fresh[F::PaidToDue90 as usize] = 1.0;
    fresh[F::DaysSincePayment as usize] = 32.0;
    fresh[F::RpcRate30d as usize] = 1.0 / 3.0;
    fresh[F::TenureDays as usize] = 400.0;
    fresh[F::DaysToPayday as usize] = 12.0;
    fresh[F::UsableNumbers as usize] = 1.0;
    out.push(("fresh_delinquency", fresh));
    let mut breaker = fresh;
    breaker[F::DaysPastDue as usize] = 48.0;
    breaker[F::PromisesMade90 as usize] = 4.0;
    breaker[F::PromisesBroken90 as usize] = 3.0;
    breaker[F::PromisesBroken as usize] = 5.0;
    breaker[F::Nsf90 as usize] = 1.0;
    breaker[F::FeesLog90 as usize] = 3.4;
    breaker[F::Refusals90 as usize] = 1.0;
    out.push(("promise_breaker", breaker));
    let mut hardship = fresh;
    hardship[F::Hardship as usize] = 1.0;
    hardship[F::PartialShare as usize] = 0.5;
    out.push(("hardship", hardship));
    out.push(("large", [1e6; N_FEATURES]));
    out.push(("negative", [-1e6; N_FEATURES]));
    out
}

fn path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/golden.json")
}

#[test]
fn shipped_models_score_the_golden_vectors_as_recorded() {
    let scorer = Scorer::shipped().unwrap();
    let scores: Vec<Value> = vectors()
        .into_iter()
        .map(|(name, v)| {
            let s = scorer.score(&v);
            json!({"name": name, "willingness": s.willingness.get(), "ability": s.ability.get()})
        })
        .collect();
    let current = json!({"model_version": &*scorer.model_version, "scores": scores});
    if std::env::var_os("ARREARS_BLESS").is_some() {
        std::fs::write(
            path(),
            serde_json::to_string_pretty(&current).unwrap() + "\n",
        )
        .unwrap();
        return;
    }
    let recorded: Value = serde_json::from_str(&std::fs::read_to_string(path()).unwrap()).unwrap();
    assert_eq!(
        recorded["model_version"], current["model_version"],
        "models/golden.json is for other models: re-record with scripts/train-models.sh"
    );
    let (rec, cur) = (
        recorded["scores"].as_array().unwrap(),
        current["scores"].as_array().unwrap(),
    );
    assert_eq!(rec.len(), cur.len());
    for (r, c) in rec.iter().zip(cur) {
        assert_eq!(r["name"], c["name"]);
        for k in ["willingness", "ability"] {
            let (a, b) = (r[k].as_f64().unwrap(), c[k].as_f64().unwrap());
            assert!(
                (a - b).abs() <= 1e-9,
                "{} {k}: recorded {a}, now {b}",
                r["name"]
            );
            assert!((0.0..=1.0).contains(&b));
        }
    }
}
