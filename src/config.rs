//! Loading at the edge: `config/arrears.toml` (compiled in as the defaults), an optional file,
//! and `ARREARS_<SECTION>__<KEY>` environment overrides, layered with figment and handed to
//! [`Settings::validate`]; and model files, parsed by [`Model::from_json`]. The engine never
//! reads files or the environment itself.

use std::path::Path;

use figment::providers::{Env, Format, Toml};
use figment::Figment;

use crate::engine::scoring::{BoundModel, BoundUplift, Model, ModelError, Scorer};
use crate::engine::scoring::{SHIPPED_ABILITY, SHIPPED_WILLINGNESS};
use crate::engine::settings::{ConfigError, RawConfig, Settings};

/// The shipped configuration file, which is also the built-in default.
pub const DEFAULT_TOML: &str = include_str!("../config/arrears.toml");

/// Prefix of the environment variables that set one librdkafka property each (read by the
/// daemon's settings, so the layered loader leaves them alone).
pub const PROPERTY_ENV: &str = "ARREARS_KAFKA_PROPERTY__";

/// The configuration layers: the compiled-in defaults, then `file`, then (if `env`)
/// `ARREARS_<SECTION>__<KEY>` variables. Every reader of the file (engine, daemon) starts here.
pub fn layered(file: Option<&Path>, env: bool) -> Result<Figment, ConfigError> {
    let mut fig = Figment::from(Toml::string(DEFAULT_TOML));
    if let Some(path) = file {
        if !path.exists() {
            return Err(ConfigError::Read(format!(
                "{} does not exist",
                path.display()
            )));
        }
        fig = fig.merge(Toml::file_exact(path));
    }
    if env {
        fig = fig.merge(
            Env::prefixed("ARREARS_")
                .filter(|k| {
                    k.as_str().contains("__")
                        && !k
                            .as_str()
                            .to_ascii_uppercase()
                            .starts_with(&PROPERTY_ENV["ARREARS_".len()..])
                })
                .split("__"),
        );
    }
    Ok(fig)
}

impl Settings {
    /// The compiled-in defaults (the shipped `config/arrears.toml`), with no environment overrides.
    pub fn defaults() -> Settings {
        Settings::load(None, false).expect("the shipped config/arrears.toml is valid")
    }

    /// Loads defaults, then `file`, then (if `env`) `ARREARS_<SECTION>__<KEY>` variables.
    pub fn load(file: Option<&Path>, env: bool) -> Result<Settings, ConfigError> {
        let raw: RawConfig = layered(file, env)?
            .extract()
            .map_err(|e| ConfigError::Invalid(e.into_iter().map(|e| e.to_string()).collect()))?;
        Settings::validate(raw)
    }
}

impl Model {
    /// Reads and validates a model file.
    pub fn load(path: &Path) -> Result<Model, ModelError> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Model::from_json(&text, &path.display().to_string())
    }
}

impl Scorer {
    /// Loads the configured models; an empty path means the shipped one.
    pub fn load(willingness: &str, ability: &str) -> Result<Scorer, ModelError> {
        let one = |path: &str, shipped: &str, name: &str| -> Result<BoundModel, ModelError> {
            let model = if path.is_empty() {
                Model::from_json(shipped, name)?
            } else {
                Model::load(Path::new(path))?
            };
            BoundModel::bind(model, if path.is_empty() { name } else { path })
        };
        let shipped = Scorer::shipped()?;
        Ok(Scorer::new(
            one(willingness, SHIPPED_WILLINGNESS, "models/willingness.json")?,
            one(ability, SHIPPED_ABILITY, "models/ability.json")?,
        )
        .with_uplift(
            shipped.uplift.as_deref().cloned(),
            std::collections::BTreeMap::new(),
        ))
    }

    /// Loads every model the settings name: willingness, ability, the default uplift model
    /// (`[scoring].uplift_model`, empty for the shipped one) and each arm's own.
    pub fn load_settings(settings: &Settings) -> Result<Scorer, ModelError> {
        let s = &settings.raw.scoring;
        let base = Scorer::load(&s.willingness_model, &s.ability_model)?;
        let read = |path: &str| -> Result<BoundUplift, ModelError> {
            let text = std::fs::read_to_string(path).map_err(|source| ModelError::Read {
                path: path.to_owned(),
                source,
            })?;
            BoundUplift::from_json(&text, path)
        };
        let default = if s.uplift_model.is_empty() {
            base.uplift.as_deref().cloned()
        } else {
            Some(read(&s.uplift_model)?)
        };
        let mut per_arm = std::collections::BTreeMap::new();
        for (name, arm) in &settings.raw.experiments.arms {
            if !arm.uplift_model.is_empty() {
                per_arm.insert(name.clone(), read(&arm.uplift_model)?);
            }
        }
        Ok(base.with_uplift(default, per_arm))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::domain::Portfolio;

    #[test]
    fn unknown_keys_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.toml");
        std::fs::write(&path, "[policy]\nletters_enabld = false\n").unwrap();
        let err = Settings::load(Some(&path), false).unwrap_err().to_string();
        assert!(err.contains("letters_enabld"), "{err}");
    }

    #[test]
    fn a_file_overrides_defaults_and_new_profiles_start_strict() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.toml");
        std::fs::write(
            &path,
            "[policy]\ndefault_profile = \"mine\"\n[profiles.mine]\nversion = \"7\"\nmax_sms_7d = 1\n",
        )
        .unwrap();
        let s = Settings::load(Some(&path), false).unwrap();
        let p = s.profile_for(Portfolio::Commercial);
        assert_eq!(
            &*p.name, "mine",
            "no portfolio entry: the default profile applies"
        );
        let mine = &s.profiles["mine"];
        assert_eq!(mine.max_sms_7d, 1);
        assert_eq!(mine.max_call_attempts_7d, 7);
        assert_eq!(
            mine.rule("calling_hours").to_string(),
            "mine.calling_hours@7"
        );
    }

    #[test]
    fn missing_file_is_a_clear_error() {
        let err = Settings::load(Some(Path::new("/nonexistent/arrears.toml")), false).unwrap_err();
        assert!(err.to_string().contains("does not exist"));
    }

    #[test]
    fn a_missing_model_file_is_a_clear_error() {
        let err = Model::load(Path::new("/nonexistent/model.json")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/model.json"));
    }

    #[test]
    fn the_default_profile_override_reaches_every_unmapped_portfolio() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.toml");
        std::fs::write(&path, "[policy]\ndefault_profile = \"us_reg_f\"\n").unwrap();
        let s = Settings::load(Some(&path), false).unwrap();
        assert_eq!(&*s.profile_for(Portfolio::Consumer).name, "us_reg_f");
        assert_eq!(&*s.profile_for(Portfolio::Commercial).name, "us_reg_f");
        std::fs::write(
            &path,
            "[policy]\ndefault_profile = \"us_reg_f\"\n[policy.portfolio_profiles]\nconsumer = \"strict\"\ncommercial = \"us_ma\"\n",
        )
        .unwrap();
        let err = Settings::load(Some(&path), false).unwrap_err().to_string();
        assert!(err.contains("default_profile"), "{err}");
    }
}
