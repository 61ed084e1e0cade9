//! The published JSON Schemas (`docs/schema/*.json`) against the `arrears replay` binary.
//!
//! - Events: every line that `arrears replay` accepts, in `../shared/fixtures/sample-events.jsonl`,
//!   `tests/fixtures/*.jsonl` and a small simulated portfolio, validates against
//!   `event.schema.json`; every line it rejects as `unknown_type`, `missing_field` or
//!   `invalid_field` fails validation, unless the broken rule is one JSON Schema cannot express
//!   (see [`schema_cannot_tell`]). A corpus of probes ([`probes`]) exercises each rule both ways:
//!   replay's verdict and the schema's must agree.
//! - Work items: every item replay writes for those inputs, at several clocks, validates against
//!   `work-item.schema.json`.
//! - Rejects: every line of the `--rejects` files validates against `reject.schema.json`.
//!
//! Validation uses Python's `jsonschema` package (draft 2020-12, with the `date` and `date-time`
//! formats asserted). It is a test requirement, like python3 itself: without it these tests fail
//! and say to `pip install jsonschema`; they never skip.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_arrears");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Validates JSON texts against one schema. argv: schema file, file holding a JSON array of texts.
/// Prints a JSON array with, per text, the list of its validation errors (empty when valid).
const VALIDATE_PY: &str = r#"
import json, sys
from datetime import date
import jsonschema

schema = json.load(open(sys.argv[1], encoding="utf-8"))
jsonschema.Draft202012Validator.check_schema(schema)
checker = jsonschema.FormatChecker(formats=())

@checker.checks("date", raises=ValueError)
def _date(s):
    if isinstance(s, str):
        date.fromisoformat(s)
    return True

@checker.checks("date-time", raises=ValueError)
def _date_time(s):
    # The schema's pattern checks the RFC 3339 shape; this adds the calendar (no 30 February).
    if isinstance(s, str):
        date.fromisoformat(s[:10])
    return True

validator = jsonschema.Draft202012Validator(schema, format_checker=checker)
out = []
for text in json.load(open(sys.argv[2], encoding="utf-8")):
    try:
        instance = json.loads(text)
    except ValueError as e:
        out.append(["not JSON: %s" % e])
        continue
    out.append(sorted(
        "%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(root)", e.message[:300])
        for e in validator.iter_errors(instance)
    ))
json.dump(out, sys.stdout)
"#;

fn require_jsonschema() {
    let out = Command::new("python3")
        .args(["-c", "import jsonschema"])
        .output();
    match out {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "tests/schemas.rs validates the JSON Schemas with Python's jsonschema package, which is \
             not installed: run `pip install jsonschema` (python3 -c 'import jsonschema' said: {})",
            String::from_utf8_lossy(&o.stderr)
                .trim()
                .lines()
                .last()
                .unwrap_or("")
        ),
        Err(e) => panic!(
            "tests/schemas.rs needs python3 with the jsonschema package (`pip install jsonschema`); \
             python3 could not be run: {e}"
        ),
    }
}

/// Validates each JSON text against `docs/schema/<schema>`; returns each text's errors (empty: valid).
fn validate(schema: &str, texts: &[String]) -> Vec<Vec<String>> {
    require_jsonschema();
    let dir = tempfile::tempdir().expect("temp dir");
    let instances = dir.path().join("instances.json");
    std::fs::write(&instances, serde_json::to_vec(texts).expect("serialize")).expect("write");
    let schema_path = Path::new(ROOT).join("docs/schema").join(schema);
    let out = Command::new("python3")
        .arg("-c")
        .arg(VALIDATE_PY)
        .arg(&schema_path)
        .arg(&instances)
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3: {e}"));
    assert!(
        out.status.success(),
        "validating against {} failed:\n{}",
        schema_path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let verdicts: Vec<Vec<String>> =
        serde_json::from_slice(&out.stdout).expect("the validation script prints a JSON array");
    assert_eq!(verdicts.len(), texts.len());
    verdicts
}

/// Shortens a line for a failure message.
fn short(s: &str) -> String {
    if s.chars().count() <= 300 {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(300).collect::<String>())
    }
}

// ---------------------------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------------------------

struct Replay {
    /// Work items, one JSON text each, in output order.
    items: Vec<String>,
    /// Lines of the `--rejects` file.
    rejects: Vec<String>,
}

impl Replay {
    /// Rejected input line number → (reason, detail).
    fn rejected(&self) -> BTreeMap<u64, (String, String)> {
        self.rejects
            .iter()
            .map(|l| {
                let v: Value = serde_json::from_str(l).expect("reject lines are JSON");
                let line = v["line"].as_u64().expect("reject line number");
                let reason = v["reason"].as_str().unwrap_or_default().to_owned();
                let detail = v["detail"].as_str().unwrap_or_default().to_owned();
                (line, (reason, detail))
            })
            .collect()
    }
}

fn replay(input: &Path, as_of: Option<&str>) -> Replay {
    let dir = tempfile::tempdir().expect("temp dir");
    let rejects = dir.path().join("rejects.jsonl");
    let mut cmd = Command::new(BIN);
    cmd.arg("replay")
        .arg("--input")
        .arg(input)
        .arg("--rejects")
        .arg(&rejects)
        .env("ARREARS_LOG", "warn");
    if let Some(t) = as_of {
        cmd.args(["--as-of", t]);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "arrears replay --input {} exited {:?}: {}",
        input.display(),
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("work items are UTF-8");
    let rejects = std::fs::read_to_string(&rejects).unwrap_or_default();
    Replay {
        items: stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect(),
        rejects: rejects
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect(),
    }
}

/// An event file, where it comes from (for messages) and the clocks to replay it at.
struct Input {
    name: String,
    path: PathBuf,
    clocks: Vec<Option<String>>,
}

/// The shared sample, every `tests/fixtures/*.jsonl` with the clocks of its `.expect.json`, and
/// (when `dir` is given) a small simulated portfolio written there.
fn inputs(dir: Option<&Path>) -> Vec<Input> {
    let sample = Path::new(ROOT).join("../shared/fixtures/sample-events.jsonl");
    assert!(
        sample.is_file(),
        "{} is missing: the shared fixtures must sit beside the crate",
        sample.display()
    );
    let mut out = vec![Input {
        name: "shared/fixtures/sample-events.jsonl".into(),
        path: sample,
        clocks: vec![None, Some("2026-04-15T12:00:00Z".into())],
    }];
    let fixtures = Path::new(ROOT).join("tests/fixtures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .expect("tests/fixtures")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no tests/fixtures/*.jsonl");
    for path in files {
        let mut clocks = vec![None];
        let expect = path.with_extension("expect.json");
        if let Ok(text) = std::fs::read_to_string(&expect) {
            let v: Value = serde_json::from_str(&text).expect("expect.json is JSON");
            let runs = v["runs"].as_array().cloned().unwrap_or_default();
            for t in std::iter::once(&v["as_of"]).chain(runs.iter().map(|r| &r["as_of"])) {
                if let Some(t) = t.as_str() {
                    clocks.push(Some(t.to_owned()));
                }
            }
        }
        out.push(Input {
            name: format!(
                "tests/fixtures/{}",
                path.file_name().unwrap().to_string_lossy()
            ),
            path,
            clocks,
        });
    }
    if let Some(dir) = dir {
        let path = dir.join("simulated.jsonl");
        let status = Command::new(BIN)
            .args([
                "simulate",
                "--accounts",
                "150",
                "--days",
                "75",
                "--seed",
                "11",
                "--quiet",
                "--output",
            ])
            .arg(&path)
            .env("ARREARS_LOG", "warn")
            .status()
            .unwrap_or_else(|e| panic!("cannot run {BIN} simulate: {e}"));
        assert!(status.success(), "arrears simulate failed: {status}");
        out.push(Input {
            name: "simulated portfolio (150 accounts, 75 days, seed 11)".into(),
            path,
            clocks: vec![None, Some("2026-05-15T12:00:00Z".into())],
        });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

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

/// What replay must say about a probe.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Verdict {
    /// Applied (or ignored as a duplicate).
    Accepted,
    /// Rejected with this reason; the schema must reject it too.
    Rejected(&'static str),
    /// Rejected with this reason for a rule JSON Schema cannot express: the schema is not asked.
    StateOrCrossField(&'static str),
}
use Verdict::*;

struct Probe {
    what: String,
    verdict: Verdict,
    line: String,
}

/// Lines applied before the probes: account `P` with contact `c1` and a large payment `PAY-1`.
fn preamble() -> Vec<Value> {
    vec![
        json!({"event_id": "pre-1", "type": "account_opened", "account_id": "P",
               "occurred_at": "2026-01-02T00:00:00Z", "timezone": "Asia/Shanghai", "currency": "CNY",
               "product": "card", "contacts": [{"contact_id": "c1", "role": "debtor",
               "phone": "+8613800000000", "consent_to_contact": true, "informed": true}]}),
        json!({"event_id": "pre-2", "type": "payment_received", "account_id": "P",
               "occurred_at": "2026-01-02T00:00:00Z", "payment_id": "PAY-1", "amount": 1_000_000_000}),
    ]
}

/// A valid event of each type for account `P`; `"auto"` values are made unique per probe.
fn base(kind: &str) -> Value {
    let mut v = json!({"event_id": "auto", "type": kind, "account_id": "P",
                       "occurred_at": "2026-01-03T00:00:00Z"});
    let fields = match kind {
        "account_opened" | "account_updated" => json!({"timezone": "Asia/Shanghai",
            "currency": "CNY", "product": "card", "contacts": [contact()]}),
        "statement_issued" => json!({"statement_id": "auto", "amount_due": 1000,
            "minimum_due": 100, "due_date": "2026-02-01"}),
        "payment_received" => json!({"payment_id": "auto", "amount": 5}),
        "payment_reversed" => json!({"payment_id": "PAY-1", "amount": 1, "reason": "chargeback"}),
        "fee_charged" => json!({"fee_id": "auto", "amount": 5, "kind": "late_fee"}),
        "promise_made" => json!({"promise_id": "auto", "amount": 5, "due_date": "2026-02-01",
            "confirmed_in_writing": false}),
        "flag_set" | "flag_cleared" => json!({"flag": "hardship"}),
        "account_closed" => json!({"reason": "other"}),
        "contact_attempt" => json!({"attempt_id": "auto", "channel": "call", "contact_id": "c1",
            "outcome": "no_answer"}),
        other => panic!("no base event for {other}"),
    };
    v.as_object_mut()
        .unwrap()
        .extend(fields.as_object().unwrap().clone());
    v
}

fn contact() -> Value {
    json!({"contact_id": "c1", "role": "debtor", "phone": "+8613800000000",
           "consent_to_contact": true, "informed": true})
}

/// `v` with `key` set (`Some`) or removed (`None`).
fn with(mut v: Value, key: &str, val: Option<Value>) -> Value {
    let m = v.as_object_mut().unwrap();
    match val {
        Some(x) => m.insert(key.to_owned(), x),
        None => m.remove(key),
    };
    v
}

/// A valid `account_opened` of account `Q` (profile probes leave `P`'s contacts alone).
fn opened_q() -> Value {
    with(base("account_opened"), "account_id", Some(json!("Q")))
}

/// An `account_opened` of `Q` whose only contact has `key` set or removed.
fn with_contact(key: &str, val: Option<Value>) -> Value {
    with(
        opened_q(),
        "contacts",
        Some(json!([with(contact(), key, val)])),
    )
}

/// The probe corpus: one or a few lines per rule of the contract, each way.
fn probes() -> Vec<Probe> {
    let mut p: Vec<(String, Verdict, Value)> = Vec::new();
    let mut add = |what: &str, verdict: Verdict, v: Value| p.push((what.to_owned(), verdict, v));
    let pay = || base("payment_received");
    let inv = Rejected("invalid_field");
    let miss = Rejected("missing_field");

    // Common fields.
    add("a valid payment", Accepted, pay());
    for t in [
        "2026-01-03T00:00:00+08:00",
        "2026-01-03t00:00:00z",
        "2026-01-03 00:00:00Z",
        "2026-01-03T00:00:00.123456789Z",
        "2026-01-03T00:00:00-00:00",
        "2026-01-03T23:59:60Z",
    ] {
        add(
            &format!("occurred_at {t}"),
            Accepted,
            with(pay(), "occurred_at", Some(json!(t))),
        );
    }
    for t in [
        "2026-01-03T00:00:00",
        "2026-01-03T00:00:00.1234567891Z",
        "2026-01-03T24:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-01-03T00:00:00Z[UTC]",
        "2026-1-3T00:00:00Z",
        "2026-01-03",
        "yesterday",
    ] {
        add(
            &format!("occurred_at {t}"),
            inv,
            with(pay(), "occurred_at", Some(json!(t))),
        );
    }
    add(
        "occurred_at a number",
        inv,
        with(pay(), "occurred_at", Some(json!(1767398400))),
    );
    add(
        "occurred_at missing",
        miss,
        with(pay(), "occurred_at", None),
    );
    for a in ["A", "x:y.z_-1", &"a".repeat(64)] {
        add(
            &format!("account_id {a}"),
            Accepted,
            with(pay(), "account_id", Some(json!(a))),
        );
    }
    for a in [
        json!(""),
        json!("A B"),
        json!("A/B"),
        json!("Ä"),
        json!("a".repeat(65)),
        json!(5),
    ] {
        add(
            &format!("account_id {a}"),
            inv,
            with(pay(), "account_id", Some(a)),
        );
    }
    add("account_id missing", miss, with(pay(), "account_id", None));
    add(
        "event_id of 128 characters",
        Accepted,
        with(pay(), "event_id", Some(json!("é".repeat(128)))),
    );
    add(
        "event_id of 129 characters",
        inv,
        with(pay(), "event_id", Some(json!("x".repeat(129)))),
    );
    add(
        "event_id empty",
        inv,
        with(pay(), "event_id", Some(json!(""))),
    );
    add(
        "event_id a number",
        inv,
        with(pay(), "event_id", Some(json!(5))),
    );
    add(
        "event_id null",
        miss,
        with(pay(), "event_id", Some(Value::Null)),
    );
    add("event_id missing", miss, with(pay(), "event_id", None));
    add("type missing", miss, with(pay(), "type", None));
    add("type null", miss, with(pay(), "type", Some(Value::Null)));
    add("type a number", inv, with(pay(), "type", Some(json!(5))));
    for t in ["payment_promised", "PAYMENT_RECEIVED", ""] {
        add(
            &format!("type {t:?}"),
            Rejected("unknown_type"),
            with(pay(), "type", Some(json!(t))),
        );
    }
    add(
        "unknown extra fields are ignored",
        Accepted,
        with(pay(), "crm_segment", Some(json!({"tier": "gold"}))),
    );
    add(
        "known fields of other types are not read",
        Accepted,
        with(
            with(pay(), "flag", Some(json!(5))),
            "contacts",
            Some(json!("x")),
        ),
    );

    // Money.
    add("amount 1", Accepted, with(pay(), "amount", Some(json!(1))));
    add(
        "amount 10^15, the largest accepted",
        Accepted,
        with(pay(), "amount", Some(json!(1_000_000_000_000_000i64))),
    );
    for a in [
        json!(0),
        json!(-1),
        json!(1.5),
        json!("5"),
        json!(true),
        json!(1_000_000_000_000_001i64),
        json!(i64::MAX),
        json!(9223372036854775808u64),
    ] {
        add(&format!("amount {a}"), inv, with(pay(), "amount", Some(a)));
    }
    add(
        "amount null",
        miss,
        with(pay(), "amount", Some(Value::Null)),
    );
    add("amount missing", miss, with(pay(), "amount", None));
    add(
        "amount 1.0 (an integer to JSON Schema)",
        StateOrCrossField("invalid_field"),
        with(pay(), "amount", Some(json!(1.0))),
    );
    add("payment_id missing", miss, with(pay(), "payment_id", None));
    add(
        "payment_id reused on the account",
        StateOrCrossField("invalid_field"),
        with(pay(), "payment_id", Some(json!("PAY-1"))),
    );

    // statement_issued.
    let st = || base("statement_issued");
    add("a valid statement", Accepted, st());
    for (m, ok) in [(0, true), (1000, true), (-1, false)] {
        let v = with(st(), "minimum_due", Some(json!(m)));
        add(
            &format!("minimum_due {m}"),
            if ok { Accepted } else { inv },
            v,
        );
    }
    add(
        "minimum_due above amount_due",
        StateOrCrossField("invalid_field"),
        with(st(), "minimum_due", Some(json!(1001))),
    );
    add(
        "amount_due 0",
        inv,
        with(st(), "amount_due", Some(json!(0))),
    );
    for d in ["2026-02-28", "2024-02-29"] {
        add(
            &format!("due_date {d}"),
            Accepted,
            with(st(), "due_date", Some(json!(d))),
        );
    }
    for d in [
        "2026-02-30",
        "2025-02-29",
        "2026-13-01",
        "2026-2-28",
        "20260228",
        "2026-02-28T00:00:00Z",
    ] {
        add(
            &format!("due_date {d}"),
            inv,
            with(st(), "due_date", Some(json!(d))),
        );
    }
    for f in ["statement_id", "amount_due", "minimum_due", "due_date"] {
        add(&format!("statement without {f}"), miss, with(st(), f, None));
    }

    // payment_reversed, fee_charged.
    let rev = || base("payment_reversed");
    for r in ["insufficient_funds", "chargeback", "other"] {
        add(
            &format!("reversal {r}"),
            Accepted,
            with(rev(), "reason", Some(json!(r))),
        );
    }
    add(
        "reversal reason fraud",
        inv,
        with(rev(), "reason", Some(json!("fraud"))),
    );
    add("reversal without reason", miss, with(rev(), "reason", None));
    add(
        "reversal of an unknown payment",
        StateOrCrossField("unknown_reference"),
        with(rev(), "payment_id", Some(json!("PAY-NEVER"))),
    );
    add(
        "reversal of more than is left",
        StateOrCrossField("invalid_field"),
        with(rev(), "amount", Some(json!(2_000_000_000))),
    );
    let fee = || base("fee_charged");
    for k in ["late_fee", "failed_debit", "interest", "other"] {
        add(
            &format!("fee {k}"),
            Accepted,
            with(fee(), "kind", Some(json!(k))),
        );
    }
    add("fee kind x", inv, with(fee(), "kind", Some(json!("x"))));
    add("fee without fee_id", miss, with(fee(), "fee_id", None));
    add("fee amount 0", inv, with(fee(), "amount", Some(json!(0))));

    // promise_made.
    let pm = || base("promise_made");
    add("a valid promise", Accepted, pm());
    add(
        "promise by c1",
        Accepted,
        with(pm(), "contact_id", Some(json!("c1"))),
    );
    add(
        "promise contact_id null",
        Accepted,
        with(pm(), "contact_id", Some(Value::Null)),
    );
    add(
        "promise contact_id empty",
        inv,
        with(pm(), "contact_id", Some(json!(""))),
    );
    add(
        "promise by an unknown contact",
        StateOrCrossField("unknown_reference"),
        with(pm(), "contact_id", Some(json!("c9"))),
    );
    add(
        "confirmed_in_writing a string",
        inv,
        with(pm(), "confirmed_in_writing", Some(json!("yes"))),
    );
    add(
        "confirmed_in_writing missing",
        miss,
        with(pm(), "confirmed_in_writing", None),
    );

    // Flags.
    for f in [
        "deceased_reported",
        "deceased_verified",
        "dispute",
        "complaint",
        "bankruptcy",
        "cease_contact",
        "hardship",
        "fraud",
        "legal_hold",
        "breathing_space",
    ] {
        add(
            &format!("flag_set {f}"),
            Accepted,
            with(base("flag_set"), "flag", Some(json!(f))),
        );
    }
    add(
        "flag_cleared dispute",
        Accepted,
        with(base("flag_cleared"), "flag", Some(json!("dispute"))),
    );
    add(
        "flag nope",
        inv,
        with(base("flag_set"), "flag", Some(json!("nope"))),
    );
    add("flag missing", miss, with(base("flag_set"), "flag", None));
    let dnc = |kind: &str| with(base(kind), "flag", Some(json!("do_not_call")));
    add(
        "do_not_call c1",
        Accepted,
        with(dnc("flag_set"), "contact_id", Some(json!("c1"))),
    );
    add(
        "do_not_call for an unknown contact is recorded",
        Accepted,
        with(dnc("flag_set"), "contact_id", Some(json!("c9"))),
    );
    add("do_not_call without contact_id", miss, dnc("flag_set"));
    add(
        "do_not_call with contact_id null",
        miss,
        with(dnc("flag_set"), "contact_id", Some(Value::Null)),
    );
    add(
        "do_not_call cleared without contact_id",
        miss,
        dnc("flag_cleared"),
    );

    // account_closed.
    for r in ["paid_off", "settled", "charged_off", "sold", "other"] {
        add(
            &format!("closed {r}"),
            Accepted,
            with(base("account_closed"), "reason", Some(json!(r))),
        );
    }
    add(
        "closed x",
        inv,
        with(base("account_closed"), "reason", Some(json!("x"))),
    );
    add(
        "closed without reason",
        miss,
        with(base("account_closed"), "reason", None),
    );

    // contact_attempt.
    let ca = || base("contact_attempt");
    for ch in ["call", "sms", "email", "letter", "visit"] {
        add(
            &format!("{ch} to c1"),
            Accepted,
            with(ca(), "channel", Some(json!(ch))),
        );
    }
    for ch in ["email", "letter", "visit"] {
        add(
            &format!("{ch} without contact_id"),
            Accepted,
            with(with(ca(), "channel", Some(json!(ch))), "contact_id", None),
        );
    }
    for ch in ["call", "sms"] {
        add(
            &format!("{ch} without contact_id"),
            miss,
            with(with(ca(), "channel", Some(json!(ch))), "contact_id", None),
        );
    }
    add(
        "call to an unknown contact",
        StateOrCrossField("unknown_reference"),
        with(ca(), "contact_id", Some(json!("c9"))),
    );
    add(
        "channel fax",
        inv,
        with(ca(), "channel", Some(json!("fax"))),
    );
    for o in [
        "right_party",
        "third_party",
        "no_answer",
        "busy",
        "voicemail",
        "wrong_number",
        "invalid_number",
        "refused",
        "delivered",
        "failed",
    ] {
        add(
            &format!("outcome {o}"),
            Accepted,
            with(ca(), "outcome", Some(json!(o))),
        );
    }
    add("outcome x", inv, with(ca(), "outcome", Some(json!("x"))));
    add("outcome missing", miss, with(ca(), "outcome", None));
    add("attempt_id missing", miss, with(ca(), "attempt_id", None));
    let talk = || with(ca(), "outcome", Some(json!("right_party")));
    for d in [
        json!("promise_to_pay"),
        json!("refused_to_pay"),
        json!("dispute"),
        json!("complaint"),
        json!("hardship"),
        json!("deceased_reported"),
        json!("claims_paid"),
        json!("abusive"),
        json!("none"),
        Value::Null,
    ] {
        add(
            &format!("disposition {d}"),
            Accepted,
            with(talk(), "disposition", Some(d)),
        );
    }
    add(
        "disposition x",
        inv,
        with(talk(), "disposition", Some(json!("x"))),
    );
    let cb = || with(talk(), "disposition", Some(json!("callback_requested")));
    add(
        "callback_requested with callback_at",
        Accepted,
        with(cb(), "callback_at", Some(json!("2026-01-04T01:00:00Z"))),
    );
    add("callback_requested without callback_at", miss, cb());
    add(
        "callback_requested with callback_at null",
        miss,
        with(cb(), "callback_at", Some(Value::Null)),
    );
    add(
        "callback_at not a timestamp",
        inv,
        with(cb(), "callback_at", Some(json!("tomorrow"))),
    );
    add(
        "callback_at not a timestamp, no callback requested",
        inv,
        with(ca(), "callback_at", Some(json!("tomorrow"))),
    );
    for d in [json!(0), json!(12.5), Value::Null] {
        add(
            &format!("duration_s {d}"),
            Accepted,
            with(ca(), "duration_s", Some(d)),
        );
    }
    for d in [json!(-1), json!("5")] {
        add(
            &format!("duration_s {d}"),
            inv,
            with(ca(), "duration_s", Some(d)),
        );
    }

    // account_opened / account_updated.
    let ao = opened_q;
    add("a valid account_opened", Accepted, ao());
    for f in ["timezone", "currency", "product", "contacts"] {
        add(
            &format!("account_opened without {f}"),
            miss,
            with(ao(), f, None),
        );
    }
    for tz in [
        "Asia/Shanghai",
        "UTC",
        "America/Argentina/Buenos_Aires",
        "EST5EDT",
    ] {
        add(
            &format!("timezone {tz}"),
            Accepted,
            with(ao(), "timezone", Some(json!(tz))),
        );
    }
    for tz in ["", "+08:00"] {
        add(
            &format!("timezone {tz:?}"),
            inv,
            with(ao(), "timezone", Some(json!(tz))),
        );
    }
    add(
        "timezone Mars/Base (not in the database)",
        StateOrCrossField("invalid_field"),
        with(ao(), "timezone", Some(json!("Mars/Base"))),
    );
    add(
        "currency XXX",
        Accepted,
        with(ao(), "currency", Some(json!("XXX"))),
    );
    for c in ["cny", "CN", "CNYY", "C1Y"] {
        add(
            &format!("currency {c}"),
            inv,
            with(ao(), "currency", Some(json!(c))),
        );
    }
    for v in [json!("consumer"), json!("commercial"), Value::Null] {
        add(
            &format!("portfolio {v}"),
            Accepted,
            with(ao(), "portfolio", Some(v)),
        );
    }
    add(
        "portfolio retail",
        inv,
        with(ao(), "portfolio", Some(json!("retail"))),
    );
    for v in [json!(0), json!(100), Value::Null] {
        add(
            &format!("credit_limit {v}"),
            Accepted,
            with(ao(), "credit_limit", Some(v)),
        );
    }
    for v in [json!(-1), json!(1.5)] {
        add(
            &format!("credit_limit {v}"),
            inv,
            with(ao(), "credit_limit", Some(v)),
        );
    }
    for v in [json!(1), json!(31), Value::Null] {
        add(
            &format!("payday_day_of_month {v}"),
            Accepted,
            with(ao(), "payday_day_of_month", Some(v)),
        );
    }
    for v in [json!(0), json!(32)] {
        add(
            &format!("payday_day_of_month {v}"),
            inv,
            with(ao(), "payday_day_of_month", Some(v)),
        );
    }
    add(
        "product of 128 characters",
        Accepted,
        with(ao(), "product", Some(json!("p".repeat(128)))),
    );
    for v in [json!("p".repeat(129)), json!("")] {
        add(
            "product of a bad length",
            inv,
            with(ao(), "product", Some(v)),
        );
    }
    add(
        "contacts empty",
        Accepted,
        with(ao(), "contacts", Some(json!([]))),
    );
    add(
        "contacts an object",
        inv,
        with(ao(), "contacts", Some(json!({}))),
    );
    add(
        "contacts of strings",
        inv,
        with(ao(), "contacts", Some(json!(["c1"]))),
    );
    for ph in ["+12345678", "+123456789012345"] {
        add(
            &format!("phone {ph}"),
            Accepted,
            with_contact("phone", Some(json!(ph))),
        );
    }
    for ph in [
        "+1234567",
        "+1234567890123456",
        "8613800000000",
        "+86 1380000000",
        "+１２３４５６７８",
    ] {
        add(
            &format!("phone {ph}"),
            inv,
            with_contact("phone", Some(json!(ph))),
        );
    }
    for r in [
        "debtor",
        "spouse",
        "relative",
        "employer",
        "guarantor",
        "colleague",
        "other",
    ] {
        add(
            &format!("role {r}"),
            Accepted,
            with_contact("role", Some(json!(r))),
        );
    }
    add(
        "role friend",
        inv,
        with_contact("role", Some(json!("friend"))),
    );
    for f in ["contact_id", "role", "phone"] {
        add(&format!("contact without {f}"), miss, with_contact(f, None));
    }
    for f in ["consent_to_contact", "informed"] {
        add(
            &format!("contact without {f}"),
            Accepted,
            with_contact(f, None),
        );
        add(
            &format!("contact {f} null"),
            Accepted,
            with_contact(f, Some(Value::Null)),
        );
        add(
            &format!("contact {f} a string"),
            inv,
            with_contact(f, Some(json!("yes"))),
        );
    }
    add(
        "contact_id of 64 characters",
        Accepted,
        with_contact("contact_id", Some(json!("c".repeat(64)))),
    );
    for id in [json!("c".repeat(65)), json!("")] {
        add(
            "contact_id of a bad length",
            inv,
            with_contact("contact_id", Some(id)),
        );
    }
    add(
        "contacts with an extra field",
        Accepted,
        with_contact("nickname", Some(json!("x"))),
    );
    add(
        "two contacts with one contact_id",
        StateOrCrossField("invalid_field"),
        with(
            ao(),
            "contacts",
            Some(json!([
                contact(),
                with(contact(), "phone", Some(json!("+8613800000001")))
            ])),
        ),
    );
    let upd = || {
        json!({"event_id": "auto", "type": "account_updated", "account_id": "Q",
                        "occurred_at": "2026-01-03T00:00:00Z"})
    };
    add("account_updated with no field", Accepted, upd());
    add(
        "account_updated timezone",
        Accepted,
        with(upd(), "timezone", Some(json!("Europe/London"))),
    );
    add(
        "account_updated currency cny",
        inv,
        with(upd(), "currency", Some(json!("cny"))),
    );
    add(
        "account_updated bad phone",
        inv,
        with(
            upd(),
            "contacts",
            Some(json!([with(contact(), "phone", Some(json!("1")))])),
        ),
    );

    // Not an object at all.
    for v in [json!([1, 2]), Value::Null, json!("x"), json!(5)] {
        add(&format!("a JSON {v}"), Rejected("malformed_json"), v);
    }

    p.into_iter()
        .enumerate()
        .map(|(i, (what, verdict, mut v))| {
            if let Value::Object(m) = &mut v {
                for (k, x) in m.iter_mut() {
                    if x == "auto" {
                        *x = json!(format!("{k}-{i}"));
                    }
                }
            }
            Probe {
                what,
                verdict,
                line: v.to_string(),
            }
        })
        .collect()
}

#[test]
fn replay_and_the_event_schema_agree_on_every_probe() {
    let probes = probes();
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("probes.jsonl");
    let pre = preamble();
    let mut text: String = pre.iter().map(|v| format!("{v}\n")).collect();
    for p in &probes {
        text.push_str(&p.line);
        text.push('\n');
    }
    std::fs::write(&input, text).expect("write probes");
    let rejected = replay(&input, None).rejected();
    let offset = pre.len() as u64;
    for n in 1..=offset {
        assert!(
            !rejected.contains_key(&n),
            "preamble line {n} was rejected: {:?}",
            rejected[&n]
        );
    }
    let texts: Vec<String> = probes.iter().map(|p| p.line.clone()).collect();
    let verdicts = validate("event.schema.json", &texts);
    let mut problems = Vec::new();
    for (i, (p, errors)) in probes.iter().zip(&verdicts).enumerate() {
        let n = offset + i as u64 + 1;
        let got = rejected.get(&n);
        let want_reason = match p.verdict {
            Accepted => None,
            Rejected(r) | StateOrCrossField(r) => Some(r),
        };
        if got.map(|(r, _)| r.as_str()) != want_reason {
            problems.push(format!(
                "probe `{}`: arrears replay said {:?}, the test expects {:?}\n    {}",
                p.what,
                got,
                want_reason.unwrap_or("accepted"),
                short(&p.line)
            ));
        }
        match p.verdict {
            Accepted if !errors.is_empty() => problems.push(format!(
                "probe `{}`: valid event, but event.schema.json rejects it: {errors:?}\n    {}",
                p.what,
                short(&p.line)
            )),
            Rejected(_) if errors.is_empty() => problems.push(format!(
                "probe `{}`: invalid event, but event.schema.json accepts it\n    {}",
                p.what,
                short(&p.line)
            )),
            _ => {}
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {} probes disagree:\n{}",
        problems.len(),
        probes.len(),
        problems.join("\n")
    );

    // Every reject line of the probes matches the reject schema too.
    let r = replay(&input, None);
    let reasons: BTreeSet<String> = r.rejected().into_values().map(|(r, _)| r).collect();
    for want in [
        "malformed_json",
        "unknown_type",
        "missing_field",
        "invalid_field",
        "unknown_reference",
    ] {
        assert!(reasons.contains(want), "no probe rejected as {want}");
    }
    check_rejects("probes", &r.rejects);
}

// ---------------------------------------------------------------------------------------------
// Work items and rejects
// ---------------------------------------------------------------------------------------------

fn check_rejects(name: &str, lines: &[String]) {
    let mut problems = Vec::new();
    for (line, errors) in lines.iter().zip(validate("reject.schema.json", lines)) {
        if !errors.is_empty() {
            problems.push(format!(
                "{name}: reject line invalid under reject.schema.json: {errors:?}\n    {}",
                short(line)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_work_item_matches_the_work_item_schema() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut items: Vec<(String, String)> = Vec::new();
    for input in inputs(Some(dir.path())) {
        for clock in &input.clocks {
            let r = replay(&input.path, clock.as_deref());
            let at = format!(
                "{} (--as-of {})",
                input.name,
                clock.as_deref().unwrap_or("none")
            );
            items.extend(r.items.into_iter().map(|i| (at.clone(), i)));
        }
    }
    let texts: Vec<String> = items.iter().map(|(_, i)| i.clone()).collect();
    let mut problems = Vec::new();
    for ((at, item), errors) in items.iter().zip(validate("work-item.schema.json", &texts)) {
        if !errors.is_empty() {
            problems.push(format!(
                "{at}: work item invalid under work-item.schema.json: {errors:?}\n    {}",
                short(item)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // The schema's optional parts and every status were exercised, so the check above means something.
    let values: Vec<Value> = texts
        .iter()
        .map(|t| serde_json::from_str(t).expect("work items are JSON"))
        .collect();
    let statuses: BTreeSet<&str> = values.iter().filter_map(|v| v["status"].as_str()).collect();
    assert_eq!(
        statuses,
        BTreeSet::from(["open", "held", "closed"]),
        "statuses seen"
    );
    assert!(values.iter().all(|v| v.get("policy").is_some()));
    assert!(
        values
            .iter()
            .any(|v| v["action"].get("best_time").is_some()),
        "no action.best_time seen"
    );
    assert!(
        values.iter().any(|v| v["action"]["party"] == "third_party"),
        "no third-party action seen"
    );
    assert!(
        values.iter().any(|v| v["reasons"]
            .as_array()
            .is_some_and(|rs| rs.iter().any(|r| r.get("rule").is_some()))),
        "no reasons[].rule seen"
    );
}

#[test]
fn every_reject_line_matches_the_reject_schema() {
    let mut reasons = BTreeSet::new();
    for input in inputs(None) {
        let r = replay(&input.path, None);
        reasons.extend(r.rejected().into_values().map(|(r, _)| r));
        check_rejects(&input.name, &r.rejects);
    }
    for want in [
        "malformed_json",
        "too_large",
        "unknown_type",
        "missing_field",
        "invalid_field",
        "unknown_reference",
    ] {
        assert!(reasons.contains(want), "no fixture line rejected as {want}");
    }
}
