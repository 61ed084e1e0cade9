//! The [`Scorer`]: two models bound to the engine's feature order, turning a feature vector into
//! willingness and ability in [0, 1], with per-feature contributions for explanations.

use crate::engine::domain::Score;
use crate::engine::features::{FEATURE_NAMES, N_FEATURES};

use super::drift::ScoreDistribution;
use super::error::ModelError;
use super::model::{sigmoid, Model, SHIPPED_ABILITY, SHIPPED_WILLINGNESS};
use super::uplift::{BoundUplift, SHIPPED_UPLIFT};

/// A model bound to the engine's feature vector.
#[derive(Debug, Clone)]
pub struct BoundModel {
    /// The model as loaded.
    pub model: Model,
    /// For each model feature, its index in the engine's vector.
    index: Vec<usize>,
    /// `metadata.score_distribution`, parsed.
    reference: Option<ScoreDistribution>,
}

impl BoundModel {
    /// Binds `model` to the engine's features; `path` names it in errors.
    pub fn bind(model: Model, path: &str) -> Result<BoundModel, ModelError> {
        let mut index = Vec::with_capacity(model.features.len());
        let mut unknown = Vec::new();
        for f in &model.features {
            match FEATURE_NAMES.iter().position(|n| *n == f.name) {
                Some(i) => index.push(i),
                None => unknown.push(f.name.clone()),
            }
        }
        if !unknown.is_empty() {
            return Err(ModelError::FeatureMismatch {
                path: path.into(),
                unknown,
                known: FEATURE_NAMES.join(", "),
            });
        }
        let reference = ScoreDistribution::from_metadata(&model.metadata, path)?;
        Ok(BoundModel {
            model,
            index,
            reference,
        })
    }

    /// The distribution of the model's scores on its training rows, for [`psi`]; `None` for a
    /// model without one (e.g. a judgmental scorecard).
    pub fn reference(&self) -> Option<&ScoreDistribution> {
        self.reference.as_ref()
    }

    /// The model's probability for an engine feature vector.
    pub fn predict(&self, v: &[f64; N_FEATURES]) -> f64 {
        self.terms(v).probability(self)
    }

    /// The model's transformed inputs and interaction cells for an engine feature vector,
    /// computed once for both the probability and the contributions.
    pub fn terms(&self, v: &[f64; N_FEATURES]) -> Terms {
        let m = &self.model;
        let raw = |k: usize| v[self.index[k]];
        Terms {
            inputs: m
                .features
                .iter()
                .enumerate()
                .map(|(k, f)| Model::input(f, raw(k)))
                .collect(),
            cells: m
                .interactions
                .iter()
                .map(|t| m.interaction_input(t, &raw))
                .collect(),
        }
    }

    /// Contribution of each model feature to the linear score, against the portfolio baseline:
    /// (engine feature index, coefficient × (input − baseline)). An interaction's contribution is
    /// shared equally between its two features.
    pub fn contributions(&self, v: &[f64; N_FEATURES]) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.terms(v).into_contributions(self)
    }
}

/// One model's terms for one feature vector ([`BoundModel::terms`]).
#[derive(Debug, Clone)]
pub struct Terms {
    /// The transformed input of each model feature, in model order.
    inputs: smallvec::SmallVec<[f64; 48]>,
    /// The table value of each interaction, in model order.
    cells: smallvec::SmallVec<[f64; 4]>,
}

impl Terms {
    /// The calibrated probability (the same sums, in the same order, as `Model::predict_with`).
    pub fn probability(&self, b: &BoundModel) -> f64 {
        let m = &b.model;
        let mut z = m.intercept;
        for (f, x) in m.features.iter().zip(&self.inputs) {
            z += f.coefficient * x;
        }
        for (t, c) in m.interactions.iter().zip(&self.cells) {
            z += t.coefficient * c;
        }
        m.calibrate(sigmoid(z))
    }

    /// [`BoundModel::contributions`] from these terms.
    pub fn into_contributions(self, b: &BoundModel) -> impl Iterator<Item = (usize, f64)> + '_ {
        let m = &b.model;
        (0..m.features.len()).map(move |k| {
            let f = &m.features[k];
            let mut c = f.coefficient * (self.inputs[k] - f.baseline);
            for (t, cell) in m.interactions.iter().zip(&self.cells) {
                if t.at.contains(&k) {
                    c += 0.5 * t.coefficient * (cell - t.baseline);
                }
            }
            (b.index[k], c)
        })
    }
}

/// Both scores of an account.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    /// Will the debtor act to pay, in [0, 1].
    pub willingness: Score,
    /// Can the debtor pay, in [0, 1].
    pub ability: Score,
}

/// Willingness and ability models, bound to the feature vector.
#[derive(Debug, Clone)]
pub struct Scorer {
    /// The willingness model.
    pub willingness: BoundModel,
    /// The ability model.
    pub ability: BoundModel,
    /// What work items report as `scores.model_version`.
    pub model_version: std::sync::Arc<str>,
    /// The uplift model of arms without their own (`None`: every arm ranks by expected recovery).
    pub uplift: Option<std::sync::Arc<BoundUplift>>,
    /// Arms with their own uplift model, by arm name.
    pub arm_uplift: std::collections::BTreeMap<String, std::sync::Arc<BoundUplift>>,
}

impl Scorer {
    /// A scorer of these two models; the model version is both versions (`w+a` when they differ).
    pub fn new(willingness: BoundModel, ability: BoundModel) -> Scorer {
        let (w, a) = (&willingness.model.version, &ability.model.version);
        let model_version = if w == a {
            w.as_str().into()
        } else {
            format!("{w}+{a}").into()
        };
        Scorer {
            willingness,
            ability,
            model_version,
            uplift: None,
            arm_uplift: std::collections::BTreeMap::new(),
        }
    }

    /// This scorer with these uplift models.
    pub fn with_uplift(
        mut self,
        default: Option<BoundUplift>,
        per_arm: std::collections::BTreeMap<String, BoundUplift>,
    ) -> Scorer {
        self.uplift = default.map(std::sync::Arc::new);
        self.arm_uplift = per_arm
            .into_iter()
            .map(|(k, v)| (k, std::sync::Arc::new(v)))
            .collect();
        self
    }

    /// The uplift model an arm uses.
    pub fn uplift_for(&self, arm: &str) -> Option<&BoundUplift> {
        self.arm_uplift
            .get(arm)
            .or(self.uplift.as_ref())
            .map(|m| &**m)
    }

    /// The models compiled into the binary.
    pub fn shipped() -> Result<Scorer, ModelError> {
        let w = Model::from_json(SHIPPED_WILLINGNESS, "models/willingness.json")?;
        let a = Model::from_json(SHIPPED_ABILITY, "models/ability.json")?;
        let u = BoundUplift::from_json(SHIPPED_UPLIFT, "models/uplift.json")?;
        Ok(Scorer::new(
            BoundModel::bind(w, "models/willingness.json")?,
            BoundModel::bind(a, "models/ability.json")?,
        )
        .with_uplift(Some(u), std::collections::BTreeMap::new()))
    }

    /// Both scores of a feature vector.
    pub fn score(&self, v: &[f64; N_FEATURES]) -> Scores {
        self.score_terms(v).0
    }

    /// Both scores and the terms behind them (willingness, ability), for the score drivers.
    pub fn score_terms(&self, v: &[f64; N_FEATURES]) -> (Scores, [Terms; 2]) {
        let (w, a) = (self.willingness.terms(v), self.ability.terms(v));
        let scores = Scores {
            willingness: Score::new(w.probability(&self.willingness)),
            ability: Score::new(a.probability(&self.ability)),
        };
        (scores, [w, a])
    }
}
