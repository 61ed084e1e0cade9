//! Every problem of one record: its bytes (schema-registry framing, a byte order mark, size,
//! UTF-8, JSON), the event JSON Schema (`docs/schema/event.schema.json`, embedded) through
//! `jsonschema`'s `iter_errors`, then the engine's own decode for what the schema cannot say
//! (duplicate keys, time zone names, cross-field rules), each field reported once.

use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use crate::engine::domain::RejectReason;
use crate::engine::events::{decode, MAX_RECORD_BYTES};

use super::problem::{Finding, SCHEMA_REGISTRY_FRAMED};
use super::repair::{pointer_of, repair};

/// The event schema, compiled into the binary.
pub const EVENT_SCHEMA: &str = include_str!("../../../docs/schema/event.schema.json");

/// The contract's spellings of the two reasons used most here.
const MALFORMED: &str = "malformed_json";
const INVALID: &str = "invalid_field";

/// At most this many engine decodes per record (each looks past the problems found before).
const MAX_ENGINE_PASSES: usize = 32;

/// Whether `s` starts with a real calendar date `YYYY-MM-DD` (no 30 February).
fn calendar_date(s: &str) -> bool {
    s.get(..10)
        .is_some_and(|d| d.len() == 10 && d.parse::<jiff::civil::Date>().is_ok())
}

/// How arrears reads its JSON Schemas (`docs/schema/`): draft 2020-12, formats asserted. A
/// `date` is exactly a calendar date; a `date-time`'s RFC 3339 shape is the schema's pattern, and
/// this adds the calendar. `tests/schemas` checks every schema with these same options.
pub fn schema_options() -> jsonschema::ValidationOptions<'static> {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .with_format("date", |s: &str| s.len() == 10 && calendar_date(s))
        .with_format("date-time", calendar_date)
}

/// The compiled event schema, under [`schema_options`].
pub fn validator() -> &'static Validator {
    static V: OnceLock<Validator> = OnceLock::new();
    V.get_or_init(|| {
        let schema: Value = serde_json::from_str(EVENT_SCHEMA).expect("the event schema is JSON");
        schema_options()
            .build(&schema)
            .expect("the event schema compiles")
    })
}

/// What one record gave: its problems, and its ids when it has them (for duplicate checks).
#[derive(Debug, Default)]
pub struct Checked {
    pub findings: Vec<Finding>,
    /// `(account_id, event_id)` when both are strings.
    pub ids: Option<(String, String)>,
}

/// Every problem of one line (without its line terminator).
pub fn check_record(line: &[u8]) -> Checked {
    let mut out = Checked::default();
    let mut bytes = line;
    if bytes.first() == Some(&0) {
        if bytes.len() < 5 {
            out.findings.push(Finding::error(
                MALFORMED,
                "",
                "starts with a NUL byte (a truncated schema-registry frame?): arrears expects plain JSON",
            ));
            return out;
        }
        let id = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
        let payload = &bytes[5..];
        let json = serde_json::from_slice::<Value>(payload).is_ok();
        out.findings.push(Finding::error(
            SCHEMA_REGISTRY_FRAMED,
            "",
            format!(
                "Confluent schema-registry framing, schema id {id}: arrears expects plain JSON{}",
                if json {
                    " (the JSON after the 5-byte header is checked below)"
                } else {
                    ""
                }
            ),
        ));
        if !json {
            return out;
        }
        bytes = payload;
    }
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        out.findings.push(Finding::error(
            MALFORMED,
            "",
            "starts with a UTF-8 byte order mark (EF BB BF): arrears expects JSON without one \
             (the rest is checked as if it were absent)",
        ));
        bytes = rest;
    }
    let too_large = bytes.len() > MAX_RECORD_BYTES;
    if too_large {
        out.findings.push(Finding::error(
            RejectReason::TooLarge.as_str(),
            "",
            format!(
                "record is {} bytes, over the {MAX_RECORD_BYTES} byte limit",
                bytes.len()
            ),
        ));
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            out.findings.push(Finding::error(
                MALFORMED,
                "",
                format!(
                    "not UTF-8: invalid byte sequence at byte {} of the record",
                    e.valid_up_to() + 1
                ),
            ));
            return out;
        }
    };
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            out.findings.push(Finding::error(
                MALFORMED,
                "",
                column_only(&format!("not JSON: {e}")),
            ));
            return out;
        }
    };
    if let (Some(Value::String(a)), Some(Value::String(e))) =
        (value.get("account_id"), value.get("event_id"))
    {
        out.ids = Some((a.clone(), e.clone()));
    }
    for e in validator().iter_errors(&value) {
        push(&mut out.findings, schema_finding(&e));
    }
    if !too_large {
        engine_findings(text, value, &mut out.findings);
    }
    out
}

/// A serde position within the record (always line 1 of it) as a column, so that it is not read
/// as a line of the file.
fn column_only(detail: &str) -> String {
    match detail.rsplit_once(" at line 1 column ") {
        Some((what, col)) if col.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{what} (at column {col})")
        }
        _ => detail.to_string(),
    }
}

/// Adds `f` unless a problem of the same field (or, for the whole record, of the same reason)
/// is already there.
fn push(findings: &mut Vec<Finding>, f: Finding) {
    let seen = findings
        .iter()
        .any(|g| g.pointer == f.pointer && (!f.pointer.is_empty() || g.reason == f.reason));
    if !seen {
        findings.push(f);
    }
}

/// Whether a field's value may be shown (never a phone number or anything in a contact).
fn showable(pointer: &str) -> bool {
    !pointer.starts_with("/contacts") && !pointer.ends_with("/phone")
}

fn schema_finding(e: &ValidationError<'_>) -> Finding {
    let at = e.instance_path().to_string();
    let message = if showable(&at) {
        e.to_string()
    } else {
        e.masked().to_string()
    };
    let message = match e.kind() {
        // A long pattern says nothing to a person: name the field's rule instead.
        ValidationErrorKind::Pattern { pattern } if pattern.len() > 40 => {
            let shown = if showable(&at) {
                e.instance().to_string()
            } else {
                "value".into()
            };
            format!("{shown} does not match the field's pattern (docs/schema/event.schema.json)")
        }
        _ => message,
    };
    let message: String = message.chars().take(300).collect();
    match e.kind() {
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or("?");
            Finding::error(
                RejectReason::MissingField.as_str(),
                format!("{at}/{name}"),
                "required field is missing",
            )
        }
        ValidationErrorKind::Type { .. } if at.is_empty() => {
            Finding::error(MALFORMED, "", "record is not a JSON object")
        }
        ValidationErrorKind::Enum { .. } if at == "/type" && e.instance().is_string() => {
            Finding::error(RejectReason::UnknownType.as_str(), at, message)
        }
        _ => Finding::error(INVALID, at, message),
    }
}

/// The engine's decode, repeated with a stand-in for each field it refused, so every problem it
/// finds is reported; those of a field the schema already reported are left out.
fn engine_findings(text: &str, mut value: Value, findings: &mut Vec<Finding>) {
    // The first decode reads the line as it is (duplicate keys are only visible there); the
    // next ones read the parsed value, in which the last of duplicate keys won.
    let mut original = Some(text.as_bytes().to_vec());
    let mut last = String::new();
    for n in 0..MAX_ENGINE_PASSES {
        let bytes = match original.take() {
            Some(b) => b,
            None => match serde_json::to_vec(&value) {
                Ok(b) => b,
                Err(_) => return,
            },
        };
        let Err(r) = decode(&bytes) else {
            return;
        };
        let reason = r.reason.as_str();
        if r.reason == RejectReason::MalformedJson && r.detail.contains("duplicate key") {
            push(findings, Finding::error(reason, "", column_only(&r.detail)));
            continue;
        }
        let (pointer, why) = if r.reason == RejectReason::UnknownType {
            ("/type".to_string(), r.detail.as_str())
        } else {
            pointer_of(&r.detail)
        };
        if pointer == last {
            return;
        }
        push(findings, Finding::error(reason, pointer.clone(), why));
        if pointer.is_empty() || !repair(&mut value, &pointer, n) {
            return;
        }
        last = pointer;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(line: &str) -> Vec<(String, String)> {
        check_record(line.as_bytes())
            .findings
            .into_iter()
            .map(|f| (f.reason.to_string(), f.pointer))
            .collect()
    }

    #[test]
    fn a_valid_record_has_no_problem() {
        let line = r#"{"event_id":"e1","type":"payment_received","account_id":"A-1","occurred_at":"2026-03-01T10:00:00Z","payment_id":"p1","amount":500}"#;
        assert_eq!(reasons(line), vec![]);
    }

    #[test]
    fn schema_and_engine_problems_are_each_reported_once() {
        // negative amount (schema and engine), a time zone only the engine knows is wrong
        let line = r#"{"event_id":"e1","type":"account_opened","account_id":"A-1","occurred_at":"2026-03-01T10:00:00Z","timezone":"Mars/Olympus","currency":"usd","product":"card","contacts":[],"credit_limit":-5}"#;
        let r = reasons(line);
        assert!(
            r.contains(&("invalid_field".into(), "/timezone".into())),
            "{r:?}"
        );
        assert!(
            r.contains(&("invalid_field".into(), "/currency".into())),
            "{r:?}"
        );
        assert!(
            r.contains(&("invalid_field".into(), "/credit_limit".into())),
            "{r:?}"
        );
        assert_eq!(r.len(), 3, "{r:?}");
    }
}
