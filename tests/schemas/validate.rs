//! Schema validation through Python's `jsonschema` (draft 2020-12, formats asserted).

use std::path::Path;
use std::process::Command;

pub const BIN: &str = env!("CARGO_BIN_EXE_arrears");
pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Validates JSON texts against one schema. argv: schema file, file holding a JSON array of texts.
/// Prints a JSON array with, per text, the list of its validation errors (empty when valid).
pub const VALIDATE_PY: &str = r#"
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

pub fn require_jsonschema() {
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
pub fn validate(schema: &str, texts: &[String]) -> Vec<Vec<String>> {
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
pub fn short(s: &str) -> String {
    if s.chars().count() <= 300 {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(300).collect::<String>())
    }
}

pub fn check_rejects(name: &str, lines: &[String]) {
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
