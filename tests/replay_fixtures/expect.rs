//! Expectations: loading `NAME.expect.json` and the partial match of items against it.

use serde_json::Value;

use crate::run::*;

pub struct Run {
    pub as_of: Option<String>,
    pub items: serde_json::Map<String, Value>,
}

pub struct Expect {
    pub story: String,
    pub runs: Vec<Run>,
    pub rejects: Option<Vec<Value>>,
    pub duplicates: Option<u64>,
}

pub fn load_expect(name: &str) -> Expect {
    let path = fixture(&format!("{name}.expect.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let v: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    let run_of = |r: &Value| Run {
        as_of: r.get("as_of").and_then(Value::as_str).map(str::to_owned),
        items: r
            .get("items")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_else(|| panic!("{}: every run needs an `items` object", path.display())),
    };
    let runs = match v.get("runs").and_then(Value::as_array) {
        Some(runs) => runs.iter().map(run_of).collect(),
        None => vec![run_of(&v)],
    };
    Expect {
        story: v
            .get("story")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        runs,
        rejects: v.get("rejects").and_then(Value::as_array).cloned(),
        duplicates: v.get("duplicates").and_then(Value::as_u64),
    }
}

pub fn show(v: Option<&Value>) -> String {
    v.map_or_else(|| "<missing>".to_owned(), Value::to_string)
}

pub fn reason_codes(item: &Value) -> Vec<String> {
    item.get("reasons")
        .and_then(Value::as_array)
        .map(|rs| {
            rs.iter()
                .filter_map(|r| r.get("code").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Partial match of `actual` against `expected`; mismatches are appended to `out`.
pub fn partial_match(path: &str, expected: &Value, actual: Option<&Value>, out: &mut Vec<String>) {
    match expected {
        Value::Object(exp) => {
            let Some(Value::Object(act)) = actual else {
                out.push(format!("{path}: expected an object, got {}", show(actual)));
                return;
            };
            let item = actual.expect("checked above");
            for (k, v) in exp {
                let here = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match k.as_str() {
                    "$why" => {}
                    "$reasons_include" | "$reasons_exclude" => {
                        let codes = reason_codes(item);
                        let include = k == "$reasons_include";
                        for want in v.as_array().into_iter().flatten().filter_map(Value::as_str) {
                            let present = codes.iter().any(|c| c == want);
                            if present != include {
                                out.push(format!(
                                    "reasons: {want} should {}be among the reason codes, got {codes:?}",
                                    if include { "" } else { "not " }
                                ));
                            }
                        }
                    }
                    "$not" => {
                        let mut sub = Vec::new();
                        partial_match(path, v, actual, &mut sub);
                        if sub.is_empty() {
                            out.push(format!("{path}: must NOT match {v}, but it does"));
                        }
                    }
                    _ if k.starts_with('$') => {
                        out.push(format!("unknown check {k} in expectation"))
                    }
                    _ => partial_match(&here, v, act.get(k), out),
                }
            }
        }
        Value::Array(exp) => {
            let Some(Value::Array(act)) = actual else {
                out.push(format!("{path}: expected an array, got {}", show(actual)));
                return;
            };
            if exp.len() != act.len() {
                out.push(format!(
                    "{path}: expected {} elements, got {}: {}",
                    exp.len(),
                    act.len(),
                    Value::Array(act.clone())
                ));
                return;
            }
            for (i, (e, a)) in exp.iter().zip(act).enumerate() {
                partial_match(&format!("{path}[{i}]"), e, Some(a), out);
            }
        }
        Value::Number(n) => {
            let ok = actual
                .and_then(Value::as_f64)
                .is_some_and(|a| n.as_f64() == Some(a));
            if !ok {
                out.push(format!("{path}: expected {n}, got {}", show(actual)));
            }
        }
        _ => {
            if actual != Some(expected) {
                out.push(format!("{path}: expected {expected}, got {}", show(actual)));
            }
        }
    }
}
