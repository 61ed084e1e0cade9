//! Why a model cannot be loaded: every failure names the file and what is wrong with it.

/// The format tag every model file carries.
pub const MODEL_FORMAT: &str = "arrears.model.v1";

/// Why a model file could not be loaded; every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The file could not be read.
    #[error("model {path}: cannot read: {source}")]
    Read {
        /// The model file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not JSON of the model format's shape.
    #[error("model {path}: not a valid model file: {detail}")]
    Parse {
        /// The model file.
        path: String,
        /// The JSON parser's message.
        detail: String,
    },
    /// The file's `format` is not [`MODEL_FORMAT`].
    #[error("model {path}: format {found:?} is not {MODEL_FORMAT:?}")]
    Format {
        /// The model file.
        path: String,
        /// The `format` it carries.
        found: String,
    },
    /// The model names features this engine does not compute.
    #[error("model {path}: features not computed by this engine: {unknown:?} (known: {known})")]
    FeatureMismatch {
        /// The model file.
        path: String,
        /// The feature names the engine does not know.
        unknown: Vec<String>,
        /// The engine's feature names, comma-separated.
        known: String,
    },
    /// The model parses but breaks a rule (non-finite numbers, bad bins, bad calibration …).
    #[error("model {path}: {detail}")]
    Invalid {
        /// The model file.
        path: String,
        /// What is wrong.
        detail: String,
    },
}
