//! Why training or evaluation fails ([`TrainError`]) and the smallest inputs that can be trained
//! on ([`MIN_ROWS`], [`MIN_CLASS_ROWS`]).

use crate::engine::scoring::ModelError;

/// Fewer rows than this cannot be split and validated meaningfully.
pub const MIN_ROWS: usize = 50;
/// Each class needs at least this many rows.
pub const MIN_CLASS_ROWS: usize = 10;

/// Why training or evaluation failed.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: malformed CSV: {detail}")]
    Csv { path: String, detail: String },
    #[error("target column {target:?} not found; the columns are: {}", columns.join(", "))]
    MissingTarget {
        target: String,
        columns: Vec<String>,
    },
    #[error("{what} not in the input: {}; the columns are: {}", missing.join(", "), columns.join(", "))]
    UnknownColumns {
        what: String,
        missing: Vec<String>,
        columns: Vec<String>,
    },
    #[error("duplicate column name {column:?}")]
    DuplicateColumn { column: String },
    #[error("row {row} (line {line}), column {column:?}: {value:?} is not a number (empty, NA and NaN mean missing; exclude non-numeric columns with --exclude {column})")]
    NonNumeric {
        row: u64,
        line: u64,
        column: String,
        value: String,
    },
    #[error("row {row} (line {line}): target {column:?} is {value:?}; it must be 0 or 1")]
    BadTarget {
        row: u64,
        line: u64,
        column: String,
        value: String,
    },
    #[error("row {row}: time column {column:?} is empty")]
    BadTime { column: String, row: u64 },
    #[error("column {column:?} is constant on the training rows{}; it cannot inform the model — exclude it with --exclude {column}", match value { Some(v) => format!(" (always {v})"), None => " (always missing)".to_string() })]
    ConstantColumn { column: String, value: Option<f64> },
    #[error(
        "the {part} has only one class: every {target} is {class}; a model needs both 0 and 1"
    )]
    OneClass {
        part: String,
        target: String,
        class: u8,
    },
    #[error("too few rows: the {part} has {rows}, at least {min} are needed")]
    TooFewRows {
        part: String,
        rows: usize,
        min: usize,
    },
    #[error("{detail}")]
    BadOption { detail: String },
    #[error("{detail}")]
    Shape { detail: String },
    #[error("logistic regression failed: {detail}")]
    Fit { detail: String },
    #[error(transparent)]
    Model(#[from] ModelError),
}
