//! Events: the schemas are valid, and what replay accepts validates while what it rejects does not.

use serde_json::Value;

use crate::{run::*, validate::*};

/// Reject details of rules that JSON Schema cannot express: they compare two fields, need the
/// time zone database, or need the account's state.
const SCHEMA_CANNOT_TELL: &[&str] = &[
    "must be between 0 and amount_due",
    "is a duplicate",
    "must be an IANA time zone name",
    "was already used by another event of this account",
    "left to reverse on that payment",
];

/// Whether a line replay rejected breaks a rule the event schema cannot express.
fn schema_cannot_tell(line: &str, detail: &str) -> bool {
    if SCHEMA_CANNOT_TELL.iter().any(|d| detail.contains(d)) {
        return true;
    }
    // JSON Schema counts 1.0 as an integer; arrears wants an integer literal.
    if let Some(field) = detail
        .strip_prefix("field `")
        .and_then(|r| r.strip_suffix("` must be an integer"))
    {
        if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(line) {
            if let Some(v) = m.get(field) {
                return v.is_f64() && v.as_f64().is_some_and(|f| f.fract() == 0.0);
            }
        }
    }
    false
}

#[test]
fn schemas_are_valid_draft_2020_12() {
    for schema in [
        "event.schema.json",
        "work-item.schema.json",
        "reject.schema.json",
    ] {
        // The validation script checks the schema itself before anything else.
        assert!(validate(schema, &[]).is_empty());
    }
}

#[test]
fn events_replay_accepts_validate_and_events_it_rejects_do_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut accepted: Vec<(String, String)> = Vec::new();
    let mut refused: Vec<(String, String, String)> = Vec::new();
    for input in inputs(Some(dir.path())) {
        let rejected = replay(&input.path, None).rejected();
        let text = std::fs::read_to_string(&input.path).expect("event file is UTF-8");
        for (i, line) in text.lines().enumerate() {
            let n = i as u64 + 1;
            if line.trim().is_empty() {
                continue;
            }
            let at = format!("{} line {n}", input.name);
            match rejected.get(&n) {
                None => accepted.push((at, line.to_owned())),
                Some((reason, detail))
                    if matches!(
                        reason.as_str(),
                        "unknown_type" | "missing_field" | "invalid_field"
                    ) && !schema_cannot_tell(line, detail) =>
                {
                    refused.push((at, format!("{reason}: {detail}"), line.to_owned()));
                }
                Some(_) => {}
            }
        }
    }
    assert!(accepted.len() > 100, "too few accepted lines to mean much");
    assert!(
        !refused.is_empty(),
        "the fixtures have lines rejected as invalid_field / missing_field / unknown_type"
    );

    let texts: Vec<String> = accepted.iter().map(|(_, l)| l.clone()).collect();
    let mut problems = Vec::new();
    for ((at, line), errors) in accepted.iter().zip(validate("event.schema.json", &texts)) {
        if !errors.is_empty() {
            problems.push(format!(
                "{at}: accepted by arrears replay but invalid under event.schema.json: {errors:?}\n    {}",
                short(line)
            ));
        }
    }
    let texts: Vec<String> = refused.iter().map(|(_, _, l)| l.clone()).collect();
    for ((at, why, line), errors) in refused.iter().zip(validate("event.schema.json", &texts)) {
        if errors.is_empty() {
            problems.push(format!(
                "{at}: rejected by arrears replay ({why}) but valid under event.schema.json\n    {}",
                short(line)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
