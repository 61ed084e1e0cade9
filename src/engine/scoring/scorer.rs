//! The [`Scorer`]: two models bound to the engine's feature order, turning a feature vector into
//! willingness and ability in [0, 1], with per-feature contributions for explanations.

use crate::engine::domain::Score;
use crate::engine::features::{FEATURE_NAMES, N_FEATURES};

use super::drift::ScoreDistribution;
use super::error::ModelError;
use super::model::{Model, SHIPPED_ABILITY, SHIPPED_WILLINGNESS};
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
        self.model.predict_with(|k| v[self.index[k]])
    }

    /// Contribution of each model feature to the linear score, against the portfolio baseline:
    /// (engine feature index, coefficient × (input − baseline)). An interaction's contribution is
    /// shared equally between its two features.
    pub fn contributions<'a>(
        &'a self,
        v: &'a [f64; N_FEATURES],
    ) -> impl Iterator<Item = (usize, f64)> + 'a {
        let m = &self.model;
        m.features
            .iter()
            .zip(&self.index)
            .enumerate()
            .map(move |(k, (f, &i))| {
                let mut c = f.coefficient * (Model::input(f, v[i]) - f.baseline);
                for t in m.interactions.iter().filter(|t| t.at.contains(&k)) {
                    let cell = m.interaction_input(t, &|j| v[self.index[j]]);
                    c += 0.5 * t.coefficient * (cell - t.baseline);
                }
                (i, c)
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
        Scores {
            willingness: Score::new(self.willingness.predict(v)),
            ability: Score::new(self.ability.predict(v)),
        }
    }
}
