//! What `arrears validate` reports: one [`Problem`] per thing wrong with a record (its line, a
//! reason code, the JSON pointer of the field and a human detail), and the [`Tally`] of a file.

use std::collections::BTreeMap;

/// Reason for a record framed for a schema registry (not a contract reject reason: the engine
/// rejects such a record as `malformed_json`; this says why).
pub const SCHEMA_REGISTRY_FRAMED: &str = "schema_registry_framed";
/// Warning: the same `event_id` for the same account earlier in the file (the engine would
/// ignore the later one as a duplicate: counted, not rejected).
pub const DUPLICATE_EVENT_ID: &str = "duplicate_event_id";

/// How bad a problem is: an error makes the record invalid (the engine would reject it); a
/// warning does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem of one record, before its line is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    /// The contract's reject reason (`malformed_json`, `missing_field` …) or one of this
    /// module's own codes.
    pub reason: &'static str,
    /// JSON pointer of the field (`/contacts/0/phone`); empty for the whole record.
    pub pointer: String,
    /// What is wrong, for people; never echoes a phone number.
    pub detail: String,
}

impl Finding {
    pub fn error(
        reason: &'static str,
        pointer: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Finding {
            severity: Severity::Error,
            reason,
            pointer: pointer.into(),
            detail: detail.into(),
        }
    }
}

/// A finding on its line (1-based, counting every line of the file).
#[derive(Debug, Clone)]
pub struct Problem {
    pub line: u64,
    pub finding: Finding,
}

impl Problem {
    /// `line N: reason: /pointer: detail` (the pointer left out for the whole record).
    pub fn text(&self) -> String {
        let f = &self.finding;
        let warn = if f.severity == Severity::Warning {
            " (warning)"
        } else {
            ""
        };
        if f.pointer.is_empty() {
            format!("line {}: {}{warn}: {}", self.line, f.reason, f.detail)
        } else {
            format!(
                "line {}: {}{warn}: {}: {}",
                self.line, f.reason, f.pointer, f.detail
            )
        }
    }

    /// One JSON object: `{line, severity, reason, pointer, detail}`.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "line": self.line,
            "severity": self.finding.severity.as_str(),
            "reason": self.finding.reason,
            "pointer": self.finding.pointer,
            "detail": self.finding.detail,
        })
    }
}

/// Counts over a whole file.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Non-blank lines (each one record).
    pub records: u64,
    pub valid: u64,
    pub invalid: u64,
    /// Blank (empty or whitespace-only) lines: skipped, as `arrears replay` skips them.
    pub blank_lines: u64,
    /// Problems by reason (errors and warnings).
    pub by_reason: BTreeMap<&'static str, u64>,
    pub warnings: u64,
}

impl Tally {
    /// The summary for people.
    pub fn text(&self) -> String {
        let mut s = format!(
            "validate: {} records, {} valid, {} invalid, {} warnings, {} blank lines skipped",
            self.records, self.valid, self.invalid, self.warnings, self.blank_lines
        );
        for (reason, n) in &self.by_reason {
            s.push_str(&format!("\n  {reason}: {n}"));
        }
        s
    }

    /// The summary as the last JSON object: `{"summary": {…}}`.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "summary": {
                "records": self.records,
                "valid": self.valid,
                "invalid": self.invalid,
                "warnings": self.warnings,
                "blank_lines": self.blank_lines,
                "problems_by_reason": self.by_reason,
            }
        })
    }
}
