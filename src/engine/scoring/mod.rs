//! Scoring: the project's explicit JSON model format and the [`Scorer`] that turns a feature vector
//! into willingness and ability in [0, 1], with per-feature contributions for explanations.
//!
//! Loading never depends on a training library's internals; a model naming a feature the engine
//! does not compute is an error at load ([`ModelError::FeatureMismatch`]), never a panic.
//!
//! A trained model also carries the distribution of its final scores on the rows it was trained
//! on (`metadata.score_distribution`, a [`ScoreDistribution`]); [`psi`] compares live scores with
//! it (population stability index).

//!
//! `model` (the file format), `transform` (feature transforms and interaction tables), `drift` (reference distributions and PSI), `scorer` (bound models
//! and scores), `uplift` (the incremental effect of a call), `error`. Reading model files is the edge's job (`crate::config`).

pub mod drift;
pub mod error;
pub mod model;
pub mod scorer;
pub mod transform;
pub mod uplift;

pub use drift::{psi, ScoreDistribution, PSI_EPSILON};
pub use error::{ModelError, MODEL_FORMAT};
pub use model::{
    apply_calibration, sigmoid, Calibration, FeatureSpec, Interaction, Model, Transform,
    SHIPPED_ABILITY, SHIPPED_WILLINGNESS,
};
pub use scorer::{BoundModel, Scorer, Scores};
pub use uplift::{BoundUplift, Uplift, UpliftModel, SHIPPED_UPLIFT, UPLIFT_FORMAT};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::features::{F, N_FEATURES};

    fn two_feature_model(name: &str, a: (&str, f64), b: (&str, f64)) -> BoundModel {
        let spec = |(feature, coefficient): (&str, f64)| FeatureSpec {
            name: feature.into(),
            impute: 0.0,
            clip: Some([0.0, 10.0]),
            transform: Transform::Standard {
                center: 0.0,
                scale: 1.0,
            },
            coefficient,
            baseline: 0.0,
        };
        let m = Model {
            format: MODEL_FORMAT.into(),
            name: name.into(),
            version: "t".into(),
            kind: "judgmental_scorecard".into(),
            target: "test".into(),
            features: vec![spec(a), spec(b)],
            interactions: Vec::new(),
            intercept: 0.5,
            calibration: None,
            metadata: serde_json::Value::Null,
        };
        BoundModel::bind(m, name).unwrap()
    }

    #[test]
    fn scores_follow_coefficients_through_the_bound_feature_order() {
        let s = Scorer::new(
            two_feature_model("w", ("promises_broken_90d", -0.8), ("refusals_90d", -0.5)),
            two_feature_model("a", ("nsf_reversals_90d", -0.9), ("hardship", -1.0)),
        );
        let mut v = [0.0; N_FEATURES];
        let base = s.score(&v);
        assert!((base.willingness.get() - 1.0 / (1.0 + (-0.5f64).exp())).abs() < 1e-12);
        v[F::PromisesBroken90 as usize] = 4.0;
        v[F::Refusals90 as usize] = 2.0;
        assert!(s.score(&v).willingness.get() < base.willingness.get());
        v[F::Nsf90 as usize] = 3.0;
        v[F::Hardship as usize] = 1.0;
        assert!(s.score(&v).ability.get() < base.ability.get());
        // Clipping bounds the effect of absurd inputs.
        v[F::PromisesBroken90 as usize] = 1e9;
        let clipped = 1.0 / (1.0 + (-(0.5 - 0.8 * 10.0 - 0.5 * 2.0f64)).exp());
        assert!((s.score(&v).willingness.get() - clipped).abs() < 1e-12);
        let drivers: Vec<(usize, f64)> = s.willingness.contributions(&v).collect();
        assert_eq!(drivers[0].0, F::PromisesBroken90 as usize);
    }

    #[test]
    fn shipped_models_stay_within_bounds_on_any_input() {
        let s = Scorer::shipped().unwrap();
        for x in [-1e9, 0.0, 1e9, f64::NAN] {
            let sc = s.score(&[x; N_FEATURES]);
            assert!((0.0..=1.0).contains(&sc.willingness.get()));
            assert!((0.0..=1.0).contains(&sc.ability.get()));
        }
    }

    #[test]
    fn unknown_feature_is_a_load_error_not_a_panic() {
        let mut m = Model::from_json(SHIPPED_WILLINGNESS, "w").unwrap();
        m.features[0].name = "age".into();
        let err = BoundModel::bind(m, "w.json").unwrap_err();
        assert!(
            matches!(&err, ModelError::FeatureMismatch { unknown, .. } if unknown == &vec!["age".to_string()])
        );
        assert!(err.to_string().contains("age"));
    }

    #[test]
    fn bad_files_are_clear_errors() {
        assert!(matches!(
            Model::from_json("{", "x"),
            Err(ModelError::Parse { .. })
        ));
        let mut m = Model::from_json(SHIPPED_ABILITY, "a").unwrap();
        m.format = "other".into();
        let text = serde_json::to_string(&m).unwrap();
        assert!(matches!(
            Model::from_json(&text, "x"),
            Err(ModelError::Format { .. })
        ));
    }

    #[test]
    fn a_reversed_clip_or_non_finite_calibration_is_a_load_error_not_a_panic() {
        let base = Model::from_json(SHIPPED_ABILITY, "a").unwrap();
        let mut reversed = base.clone();
        reversed.features[0].clip = Some([5.0, 1.0]);
        let mut nan_clip = base.clone();
        nan_clip.features[0].clip = Some([f64::NAN, 1.0]);
        let mut platt = base.clone();
        platt.calibration = Some(Calibration::Platt {
            a: 1.0,
            b: f64::INFINITY,
        });
        let mut iso = base;
        iso.calibration = Some(Calibration::Isotonic {
            x: vec![0.0, 1.0],
            y: vec![0.0, f64::NAN],
        });
        for m in [reversed, nan_clip, platt, iso] {
            // JSON has no NaN or infinity: serde_json writes them as null, which does not parse
            // as a number either way; the reversed clip is the case JSON can carry.
            let text = serde_json::to_string(&m).unwrap();
            assert!(Model::from_json(&text, "x").is_err(), "{text}");
        }
    }

    /// A scorecard with a missing bin, categories and an interaction table scores through the
    /// bound feature order, and its contributions share the table between its two features.
    #[test]
    fn scorecard_parts_score_and_explain() {
        let mut m =
            two_feature_model("w", ("promises_broken_90d", 0.8), ("refusals_90d", 0.5)).model;
        m.features[0].transform = Transform::Bins {
            edges: vec![1.0, 3.0],
            values: vec![0.4, 0.0, -0.6],
            missing: Some(-0.2),
        };
        m.features[1].transform = Transform::Categories {
            levels: vec![0.0, 1.0],
            values: vec![0.3, -0.1],
            other: -0.5,
            missing: None,
        };
        m.interactions = vec![Interaction {
            features: ["promises_broken_90d".into(), "refusals_90d".into()],
            edges: [vec![2.0], vec![1.0]],
            values: vec![0.0, 0.1, 0.2, -0.4],
            coefficient: 0.5,
            baseline: 0.05,
            at: [0, 0],
        }];
        // The positions are resolved at load, whatever the file says.
        let text = serde_json::to_string(&m).unwrap();
        assert!(!text.contains("\"at\""));
        let b = BoundModel::bind(Model::from_json(&text, "w").unwrap(), "w").unwrap();
        assert_eq!(b.model.interactions[0].at, [0, 1]);
        let mut v = [0.0; N_FEATURES];
        let (pb, rf) = (F::PromisesBroken90 as usize, F::Refusals90 as usize);
        for (x, y, z) in [
            (0.0, 0.0, 0.5 + 0.8 * 0.4 + 0.5 * 0.3),
            (f64::NAN, 1.0, 0.5 + 0.8 * -0.2 + 0.5 * -0.1 + 0.5 * 0.1),
            (5.0, 7.0, 0.5 + 0.8 * -0.6 + 0.5 * -0.5 + 0.5 * -0.4),
        ] {
            v[pb] = x;
            v[rf] = y;
            assert!((b.predict(&v) - sigmoid(z)).abs() < 1e-12, "{x} {y}");
            let c: Vec<(usize, f64)> = b.contributions(&v).collect();
            let total: f64 = c.iter().map(|(_, c)| c).sum();
            let baselines = 0.5 + 0.5 * 0.05;
            assert!((total - (z - baselines)).abs() < 1e-12, "{c:?}");
        }
        let mut bad = m.clone();
        bad.interactions[0].features[1] = "hardship".into();
        let err = Model::from_json(&serde_json::to_string(&bad).unwrap(), "w").unwrap_err();
        assert!(
            err.to_string().contains("hardship is not a feature"),
            "{err}"
        );
    }

    #[test]
    fn bins_and_calibration() {
        let t = Transform::Bins {
            edges: vec![1.0, 3.0],
            values: vec![-1.0, 0.0, 1.0],
            missing: None,
        };
        assert_eq!(t.apply(0.5), -1.0);
        assert_eq!(t.apply(1.0), 0.0);
        assert_eq!(t.apply(9.0), 1.0);
        let mut m = Model::from_json(SHIPPED_ABILITY, "a").unwrap();
        m.calibration = Some(Calibration::Isotonic {
            x: vec![0.0, 0.5, 1.0],
            y: vec![0.1, 0.2, 0.9],
        });
        assert!((m.calibrate(0.25) - 0.15).abs() < 1e-12);
        m.calibration = Some(Calibration::Platt { a: 1.0, b: 0.0 });
        assert!((m.calibrate(0.3) - 0.3).abs() < 1e-12);
    }

    fn two_bins(shares: [f64; 2]) -> ScoreDistribution {
        ScoreDistribution {
            edges: vec![0.0, 0.5, 1.0],
            shares: shares.to_vec(),
        }
    }

    #[test]
    fn psi_of_identical_distributions_is_zero() {
        let shares = [0.05, 0.1, 0.15, 0.2, 0.1, 0.1, 0.1, 0.08, 0.07, 0.05];
        let reference = ScoreDistribution {
            edges: ScoreDistribution::decile_edges(),
            shares: shares.to_vec(),
        };
        let counts: Vec<u64> = shares.iter().map(|s| (s * 2000.0).round() as u64).collect();
        assert!(psi(&reference, &counts).unwrap().abs() < 1e-12);
    }

    #[test]
    fn psi_of_a_shift_matches_the_hand_computation() {
        // Reference 50/50, live 30/70:
        // (0.3 − 0.5)·ln(0.3/0.5) + (0.7 − 0.5)·ln(0.7/0.5) = 0.2·ln(7/3) ≈ 0.169460.
        let p = psi(&two_bins([0.5, 0.5]), &[30, 70]).unwrap();
        assert!((p - 0.2 * (7.0f64 / 3.0).ln()).abs() < 1e-12);
        assert!((p - 0.169_459_572).abs() < 1e-9);
        // Symmetric in the direction of the shift.
        assert!((psi(&two_bins([0.5, 0.5]), &[70, 30]).unwrap() - p).abs() < 1e-12);
    }

    #[test]
    fn psi_floors_empty_bins_at_epsilon() {
        // Every live score where the reference has none, and none where it has all.
        let p = psi(&two_bins([1.0, 0.0]), &[0, 10]).unwrap();
        let e = PSI_EPSILON;
        assert!(p.is_finite());
        assert!((p - 2.0 * (1.0 - e) * (1.0 / e).ln()).abs() < 1e-9);
        assert!(p > 0.25);
        // An empty live bin against a small reference share stays finite too.
        assert!(psi(&two_bins([0.99, 0.01]), &[100, 0]).unwrap().is_finite());
    }

    #[test]
    fn psi_without_counts_is_none() {
        let d = two_bins([0.5, 0.5]);
        assert_eq!(psi(&d, &[0, 0]), None);
        assert_eq!(psi(&d, &[]), None);
        assert_eq!(psi(&d, &[1, 2, 3]), None);
    }

    #[test]
    fn scores_bin_like_the_engine_reports_them() {
        let (d, n) = ScoreDistribution::of_scores(
            ScoreDistribution::decile_edges(),
            [0.0, 0.05, 0.1, 0.95, 1.0],
        )
        .unwrap();
        assert_eq!(n, 5);
        assert_eq!(d.edges[3], 0.3);
        assert_eq!(
            (d.bin(0.0), d.bin(0.1), d.bin(0.999), d.bin(1.0)),
            (0, 1, 9, 9)
        );
        assert_eq!((d.bin(-3.0), d.bin(7.0), d.bin(f64::NAN)), (0, 9, 0));
        assert_eq!(
            d.shares,
            vec![0.4, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.4]
        );
        assert!(ScoreDistribution::of_scores(ScoreDistribution::decile_edges(), []).is_none());
    }

    #[test]
    fn shipped_models_carry_their_reference_distribution() {
        let s = Scorer::shipped().unwrap();
        for m in [&s.willingness, &s.ability] {
            let d = m
                .reference()
                .expect("shipped models carry score_distribution");
            assert_eq!(d.edges, ScoreDistribution::decile_edges());
            assert_eq!(d.bins(), 10);
            assert!((d.shares.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        }
        let mut m = Model::from_json(SHIPPED_WILLINGNESS, "w").unwrap();
        m.metadata = serde_json::Value::Null;
        assert!(BoundModel::bind(m, "w").unwrap().reference().is_none());
    }

    #[test]
    fn malformed_reference_distributions_are_load_errors() {
        let with = |d: serde_json::Value| {
            let mut m = Model::from_json(SHIPPED_ABILITY, "a").unwrap();
            m.metadata["score_distribution"] = d;
            Model::from_json(&serde_json::to_string(&m).unwrap(), "a.json")
        };
        let ok = serde_json::json!({"edges": [0.0, 0.5, 1.0], "shares": [0.25, 0.75], "rows": 4, "fitted_on": "training"});
        assert!(with(ok).is_ok());
        assert!(with(serde_json::Value::Null).is_ok());
        for (bad, says) in [
            (
                serde_json::json!({"edges": [0.0, 0.5, 0.5, 1.0], "shares": [0.5, 0.0, 0.5]}),
                "strictly increasing",
            ),
            (
                serde_json::json!({"edges": [0.1, 0.5, 1.0], "shares": [0.5, 0.5]}),
                "from 0 to 1",
            ),
            (
                serde_json::json!({"edges": [0.0, 0.5, 0.9], "shares": [0.5, 0.5]}),
                "from 0 to 1",
            ),
            (
                serde_json::json!({"edges": [0.0, 0.5, 1.0], "shares": [0.5, 0.4]}),
                "sum to 1",
            ),
            (
                serde_json::json!({"edges": [0.0, 0.5, 1.0], "shares": [1.5, -0.5]}),
                "non-negative",
            ),
            (
                serde_json::json!({"edges": [0.0, 0.5, 1.0], "shares": [1.0]}),
                "2 bins",
            ),
            (serde_json::json!({"edges": [0.0, 1.0]}), "shares"),
            (serde_json::json!("deciles"), "score_distribution"),
        ] {
            let err = with(bad.clone()).unwrap_err();
            assert!(matches!(err, ModelError::Invalid { .. }), "{bad}: {err}");
            let text = err.to_string();
            assert!(
                text.contains("a.json") && text.contains("metadata.score_distribution"),
                "{text}"
            );
            assert!(text.contains(says), "{bad}: {text}");
        }
    }
}
