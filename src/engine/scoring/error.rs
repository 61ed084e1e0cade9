//! Why a model cannot be loaded: every failure names the file and what is wrong with it.

/// The format tag every model file carries.
pub const MODEL_FORMAT: &str = "arrears.model.v1";

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("model {path}: cannot read: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("model {path}: not a valid model file: {detail}")]
    Parse { path: String, detail: String },
    #[error("model {path}: format {found:?} is not {MODEL_FORMAT:?}")]
    Format { path: String, found: String },
    #[error("model {path}: features not computed by this engine: {unknown:?} (known: {known})")]
    FeatureMismatch {
        path: String,
        unknown: Vec<String>,
        known: String,
    },
    #[error("model {path}: {detail}")]
    Invalid { path: String, detail: String },
}
