//! Loading at the edge: `config/arrears.toml` (compiled in as the defaults), an optional file,
//! and `ARREARS_<SECTION>__<KEY>` environment overrides, layered with figment and handed to
//! [`Settings::validate`]; and model files, parsed by [`Model::from_json`]. The engine never
//! reads files or the environment itself.

mod source;
mod suggest;

use std::path::Path;

use figment::error::Kind;
use figment::providers::{Env, Format, Toml};
use figment::Figment;
use serde::de::DeserializeOwned;

use source::{EnvOverrides, Origin, UserFile};

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

    /// Loads defaults, then `file`, then (if `env`) `ARREARS_<SECTION>__<KEY>` variables;
    /// every problem at once, each with the file, line and column of its key (or the variable
    /// that set it).
    pub fn load(file: Option<&Path>, env: bool) -> Result<Settings, ConfigError> {
        let mut layers = Layers::read(file, env)?;
        let (raw, mut problems) = layers.extract::<RawConfig>(None);
        if let Some(raw) = raw {
            match Settings::validate(raw) {
                Ok(s) if problems.is_empty() => return Ok(s),
                Ok(_) => {}
                Err(ConfigError::Invalid(v)) => {
                    problems.extend(v.iter().map(|m| layers.locate_message(m)))
                }
                Err(e) => problems.push(e.to_string()),
            }
        }
        layers.sort(&mut problems);
        Err(ConfigError::Invalid(problems))
    }
}

/// At most this many problems are looked for by extraction (each costs one extraction).
const MAX_PROBLEMS: usize = 100;

/// The layers of one configuration (defaults, the `--config` file, the environment), and
/// where each key of the last two is: for extraction that reports every problem, not the first.
#[derive(Debug, Clone)]
pub struct Layers {
    file: Option<UserFile>,
    env: Option<EnvOverrides>,
}

impl Layers {
    /// Reads `file` (an error if it is missing, unreadable or not TOML) and, if `env`, notes the
    /// `ARREARS_<SECTION>__<KEY>` variables.
    pub fn read(file: Option<&Path>, env: bool) -> Result<Layers, ConfigError> {
        let file = match file {
            None => None,
            Some(path) => {
                if !path.exists() {
                    return Err(ConfigError::Read(format!(
                        "{} does not exist",
                        path.display()
                    )));
                }
                let text = std::fs::read_to_string(path).map_err(|e| {
                    ConfigError::Read(format!("cannot read {}: {e}", path.display()))
                })?;
                Some(
                    UserFile::parse(path.display().to_string(), text)
                        .map_err(|e| ConfigError::Invalid(vec![e]))?,
                )
            }
        };
        let env = env.then(|| EnvOverrides::new(std::env::vars(), "ARREARS_", PROPERTY_ENV));
        Ok(Layers { file, env })
    }

    fn figment(&self) -> Figment {
        let mut fig = Figment::from(Toml::string(DEFAULT_TOML));
        if let Some(f) = &self.file {
            fig = fig.merge(Toml::string(&f.text));
        }
        if let Some(env) = &self.env {
            let excluded = env.excluded.clone();
            fig = fig.merge(
                Env::prefixed("ARREARS_")
                    .filter(move |k| {
                        k.as_str().contains("__")
                            && !k
                                .as_str()
                                .to_ascii_uppercase()
                                .starts_with(&PROPERTY_ENV["ARREARS_".len()..])
                            && !excluded.contains(k.as_str())
                    })
                    .split("__"),
            );
        }
        fig
    }

    /// Where the value at `path` came from: the variable that sets it, else its key in the
    /// file (with `prefix`, the nearest enclosing key the file has).
    fn origin(&self, path: &[String], prefix: bool) -> Origin {
        if let Some(var) = self.env.as_ref().and_then(|e| e.var(path)) {
            return Origin::Env(var.to_string());
        }
        match &self.file {
            Some(f) if prefix || f.has(path) => match f.position(path) {
                Some((line, column)) => Origin::File { line, column },
                None => Origin::Defaults,
            },
            _ => Origin::Defaults,
        }
    }

    /// Takes the value at `path` (or its nearest enclosing table) out of the layer it came from.
    fn remove(&mut self, path: &[String]) -> bool {
        for n in (1..=path.len()).rev() {
            let p = &path[..n];
            if self.env.as_mut().is_some_and(|e| e.remove(p, "ARREARS_")) {
                return true;
            }
            if self.file.as_mut().is_some_and(|f| f.remove(p)) {
                return true;
            }
        }
        false
    }

    fn place(&self, origin: Origin, message: &str) -> String {
        match (origin, &self.file) {
            (Origin::File { line, column }, Some(f)) => {
                format!("{}:{line}:{column}: {message}", f.name)
            }
            (Origin::Env(var), _) => format!("environment variable {var}: {message}"),
            _ => message.to_string(),
        }
    }

    /// Orders problems as a person reads them: the file's by line and column, then the
    /// environment's, then the rest (each group in the order found).
    pub fn sort(&self, problems: &mut [String]) {
        let name = self.file.as_ref().map(|f| format!("{}:", f.name));
        problems.sort_by_key(|p| {
            let at = name
                .as_deref()
                .and_then(|n| p.strip_prefix(n))
                .and_then(|rest| {
                    let mut parts = rest.splitn(3, ':');
                    let line = parts.next()?.parse::<usize>().ok()?;
                    let column = parts.next()?.parse::<usize>().ok()?;
                    Some((line, column))
                });
            match at {
                Some((line, column)) => (0, line, column),
                None if p.starts_with("environment variable ") => (1, 0, 0),
                None => (2, 0, 0),
            }
        });
    }

    /// A validation message (`<key> …`) with the place its key was set, if it was.
    pub fn locate_message(&self, message: &str) -> String {
        let key: String = message
            .chars()
            .take_while(|c| !matches!(c, ' ' | ':' | '[' | '=' | '"'))
            .collect();
        let path: Vec<String> = key.split('.').map(str::to_owned).collect();
        self.place(self.origin(&path, false), message)
    }

    /// Extracts `T` (from the table `focus`, or the whole configuration), reporting every
    /// problem: each bad key is reported with its place, taken out, and extraction repeated.
    /// The value is `None` when a problem could not be taken out.
    pub fn extract<T: DeserializeOwned>(
        &mut self,
        focus: Option<&str>,
    ) -> (Option<T>, Vec<String>) {
        let mut problems = Vec::new();
        while problems.len() < MAX_PROBLEMS {
            let fig = self.figment();
            let result = match focus {
                Some(f) => fig.focus(f).extract::<T>(),
                None => fig.extract::<T>(),
            };
            let errors = match result {
                Ok(v) => return (Some(v), problems),
                Err(e) => e,
            };
            let mut progressed = false;
            for e in errors {
                let mut path: Vec<String> = focus.map(str::to_owned).into_iter().collect();
                path.extend(e.path.iter().cloned());
                let (message, exact) = match &e.kind {
                    Kind::UnknownField(name, known) => {
                        if path.last() != Some(name) {
                            path.push(name.clone());
                        }
                        (
                            format!("unknown key `{name}`{}", suggest::hint(name, known)),
                            true,
                        )
                    }
                    Kind::UnknownVariant(v, known) => (
                        format!(
                            "unknown value `{v}`, expected one of {}{}",
                            known.join(", "),
                            suggest::hint(v, known)
                        ),
                        true,
                    ),
                    Kind::MissingField(name) => {
                        if path.last().map(String::as_str) != Some(name) {
                            path.push(name.to_string());
                        }
                        (format!("missing key `{name}`"), false)
                    }
                    kind => (kind.to_string(), true),
                };
                let message = format!("{}: {message}", path.join("."));
                problems.push(self.place(self.origin(&path, !exact), &message));
                progressed |= self.remove(&path);
            }
            if !progressed {
                return (None, problems);
            }
        }
        (None, problems)
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
