//! `arrears validate`: every problem of every record, each on its line with its reason and field;
//! valid records untouched; exit status 0 / 1 / 2.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "integration tests drive the edges: files, processes and the environment"
)]

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_arrears");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const BAD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/validate/bad-events.jsonl"
);

/// Runs `arrears validate ARGS…` with `stdin`; exit status and stdout.
fn validate(args: &[&str], stdin: &[u8]) -> (Option<i32>, String) {
    let mut child = Command::new(BIN)
        .arg("validate")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run arrears");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait for arrears");
    (
        out.status.code(),
        String::from_utf8(out.stdout).expect("the report is UTF-8"),
    )
}

/// The JSON report: the problems, and the summary (the last object).
fn json_report(args: &[&str], stdin: &[u8]) -> (Option<i32>, Vec<Value>, Value) {
    let (code, out) = validate(&[args, &["--format", "json"]].concat(), stdin);
    let mut objects: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?} is not JSON: {e}")))
        .collect();
    let summary = objects.pop().expect("a summary object");
    assert!(summary.get("summary").is_some(), "last object: {summary}");
    assert!(
        objects.iter().all(|o| o.get("line").is_some()),
        "every other object is a problem"
    );
    (code, objects, summary["summary"].clone())
}

/// `(line, severity, reason, pointer)` the fixture must give, no more and no less.
const EXPECTED: &[(u64, &str, &str, &str)] = &[
    (2, "error", "malformed_json", ""),
    (3, "error", "schema_registry_framed", ""),
    (5, "error", "malformed_json", ""),
    (6, "error", "missing_field", "/event_id"),
    (7, "error", "unknown_type", "/type"),
    (8, "error", "invalid_field", "/amount"),
    (9, "error", "invalid_field", "/amount"),
    (10, "error", "invalid_field", "/occurred_at"),
    (11, "error", "invalid_field", "/currency"),
    (13, "error", "invalid_field", "/timezone"),
    (14, "error", "malformed_json", ""),
    (16, "error", "invalid_field", "/account_id"),
    (16, "error", "missing_field", "/payment_id"),
    (16, "error", "invalid_field", "/amount"),
    (17, "error", "malformed_json", ""),
    (18, "error", "too_large", ""),
    (19, "error", "malformed_json", ""),
    (20, "error", "invalid_field", "/due_date"),
    (21, "error", "invalid_field", "/minimum_due"),
    (22, "error", "missing_field", "/contact_id"),
    (23, "error", "invalid_field", "/contacts/0/phone"),
    (24, "error", "invalid_field", "/contacts/0/role"),
    (25, "error", "missing_field", "/callback_at"),
    (26, "error", "missing_field", "/contact_id"),
    (27, "error", "invalid_field", "/payday_day_of_month"),
    (28, "error", "invalid_field", "/event_id"),
    (29, "error", "malformed_json", ""),
    (30, "error", "invalid_field", "/contacts/1/contact_id"),
    (31, "error", "schema_registry_framed", ""),
    (32, "warning", "duplicate_event_id", "/event_id"),
    (33, "error", "invalid_field", "/account_id"),
    (35, "error", "invalid_field", "/currency"),
    (35, "error", "invalid_field", "/payday_day_of_month"),
    (35, "error", "invalid_field", "/timezone"),
    (35, "error", "invalid_field", "/contacts/1/contact_id"),
];

/// Lines of the fixture that are valid records (12 is blank).
const VALID: &[u64] = &[1, 4, 15, 34];

#[test]
fn every_problem_of_every_bad_record_is_reported_on_its_line_and_nothing_else() {
    let (code, problems, summary) = json_report(&[BAD], b"");
    assert_eq!(code, Some(1), "some records are invalid");
    let got: Vec<(u64, String, String, String)> = problems
        .iter()
        .map(|p| {
            (
                p["line"].as_u64().expect("line"),
                p["severity"].as_str().expect("severity").to_owned(),
                p["reason"].as_str().expect("reason").to_owned(),
                p["pointer"].as_str().expect("pointer").to_owned(),
            )
        })
        .collect();
    let got_set: BTreeSet<_> = got.iter().cloned().collect();
    assert_eq!(got.len(), got_set.len(), "no problem twice: {got:#?}");
    let want: BTreeSet<_> = EXPECTED
        .iter()
        .map(|(l, s, r, p)| (*l, s.to_string(), r.to_string(), p.to_string()))
        .collect();
    let missing: Vec<_> = want.difference(&got_set).collect();
    let extra: Vec<_> = got_set.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing: {missing:#?}\nextra: {extra:#?}"
    );
    for line in VALID {
        assert!(
            !got.iter().any(|g| g.0 == *line),
            "valid line {line} reported"
        );
    }
    let kinds: BTreeSet<u64> = EXPECTED.iter().map(|e| e.0).collect();
    assert!(kinds.len() >= 20, "at least 20 kinds of bad record");
    assert_eq!(summary["records"], 34, "{summary}");
    assert_eq!(summary["blank_lines"], 1, "{summary}");
    assert_eq!(
        summary["valid"],
        VALID.len() as u64 + 1,
        "{summary} (32: a warning only)"
    );
    assert_eq!(summary["invalid"], 29, "{summary}");
    assert_eq!(summary["warnings"], 1, "{summary}");
    assert_eq!(
        summary["problems_by_reason"]["schema_registry_framed"], 2,
        "{summary}"
    );
}

#[test]
fn details_name_the_problem_without_echoing_phone_numbers() {
    let (code, text) = validate(&[BAD], b"");
    assert_eq!(code, Some(1));
    for want in [
        "line 3: schema_registry_framed: Confluent schema-registry framing, schema id 42: arrears expects plain JSON",
        "line 31: schema_registry_framed: Confluent schema-registry framing, schema id 1: arrears expects plain JSON",
        "line 5: malformed_json: not UTF-8",
        "line 14: malformed_json: duplicate key `account_id`",
        "line 17: malformed_json: starts with a UTF-8 byte order mark",
        "line 16: missing_field: /payment_id: required field is missing",
        "line 13: invalid_field: /timezone: must be a real IANA time zone name",
        "line 32: duplicate_event_id (warning): /event_id: repeats the event_id of line 4",
    ] {
        assert!(text.contains(want), "{want:?} not in:\n{text}");
    }
    assert!(
        text.contains(
            "validate: 34 records, 5 valid, 29 invalid, 1 warnings, 1 blank lines skipped"
        ),
        "{text}"
    );
    let fixture = std::fs::read(BAD).expect("fixture");
    assert!(
        String::from_utf8_lossy(&fixture).contains("555-0100"),
        "the fixture has the bad phone number"
    );
    for phone in ["555-0100", "+447700900001", "+447700900002"] {
        assert!(!text.contains(phone), "{phone} echoed:\n{text}");
    }
}

#[test]
fn a_valid_file_gives_no_problem_and_exit_0() {
    let sample = format!("{ROOT}/../shared/fixtures/sample-events.jsonl");
    let (code, problems, summary) = json_report(&[&sample], b"");
    assert_eq!(problems, Vec::<Value>::new());
    assert_eq!(code, Some(0));
    assert_eq!(summary["invalid"], 0);
    assert!(summary["records"].as_u64().unwrap() >= 50, "{summary}");
}

#[test]
fn standard_input_is_read_with_a_dash() {
    let good = br#"{"event_id":"e1","type":"payment_received","account_id":"A-1","occurred_at":"2026-03-01T10:00:00Z","payment_id":"p1","amount":5}"#;
    let (code, text) = validate(&["-"], good);
    assert_eq!(code, Some(0), "{text}");
    let mut bad = good.to_vec();
    bad.extend_from_slice(b"\n{\"type\":\"x\"}\n");
    let (code, text) = validate(&["-"], &bad);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("line 2: unknown_type: /type"), "{text}");
    assert!(!text.contains("line 1:"), "{text}");
}

#[test]
fn an_unreadable_input_or_bad_arguments_exit_2() {
    let (code, text) = validate(&["/nonexistent/events.jsonl"], b"");
    assert_eq!(code, Some(2), "{text}");
    let dir = tempfile::tempdir().expect("temp dir");
    let (code, _) = validate(&[dir.path().to_str().unwrap()], b"");
    assert_eq!(code, Some(2), "a directory");
    let (code, _) = validate(&[BAD, "--format", "xml"], b"");
    assert_eq!(code, Some(2), "a bad --format");
    let (code, _) = validate(&[], b"");
    assert_eq!(code, Some(2), "no input");
}
