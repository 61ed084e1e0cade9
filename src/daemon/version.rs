//! What `GET /version` answers: the crate version, the git commit it was built from (`build.rs`;
//! "unknown" when built without git), the loaded scoring models' versions and the configured
//! contact-policy profiles' versions.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::engine::scoring::Scorer;
use crate::engine::settings::Settings;

/// The git commit of the build ("unknown" without git).
pub const GIT_COMMIT: &str = env!("ARREARS_GIT_COMMIT");

/// The running build and what it loaded.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "version": "0.1.0",
    "git_commit": "6dde1d5c0ffee",
    "models": {"willingness": "2026-11-23", "ability": "2026-11-23", "model_version": "2026-11-23",
               "uplift": "2026-11-23", "arm_uplift": {}},
    "profiles": {"strict": "2026.1"}
}))]
pub struct VersionInfo {
    /// The crate version (`CARGO_PKG_VERSION`).
    pub version: &'static str,
    /// `git rev-parse HEAD` at build time, or "unknown".
    pub git_commit: &'static str,
    /// The scoring models this instance loaded.
    pub models: ModelVersions,
    /// Contact-policy profile name → its configured version (cited in rule ids `<profile>.<rule>@<version>`).
    pub profiles: BTreeMap<String, String>,
}

/// Versions of the loaded models.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelVersions {
    /// The willingness model.
    pub willingness: String,
    /// The ability model.
    pub ability: String,
    /// What work items report as `scores.model_version`.
    pub model_version: String,
    /// The uplift model of arms without their own, if any.
    pub uplift: Option<String>,
    /// Arms with their own uplift model: arm → version.
    pub arm_uplift: BTreeMap<String, String>,
}

impl VersionInfo {
    pub fn new(scorer: &Scorer, settings: &Settings) -> VersionInfo {
        VersionInfo {
            version: env!("CARGO_PKG_VERSION"),
            git_commit: GIT_COMMIT,
            models: ModelVersions {
                willingness: scorer.willingness.model.version.clone(),
                ability: scorer.ability.model.version.clone(),
                model_version: scorer.model_version.to_string(),
                uplift: scorer.uplift.as_ref().map(|u| u.version.to_string()),
                arm_uplift: scorer
                    .arm_uplift
                    .iter()
                    .map(|(k, u)| (k.clone(), u.version.to_string()))
                    .collect(),
            },
            profiles: settings
                .profiles
                .iter()
                .map(|(k, p)| (k.clone(), p.version.to_string()))
                .collect(),
        }
    }
}
