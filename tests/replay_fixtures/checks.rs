//! Generic checks of every run: parsing, ranking and the work-item invariants.

use serde_json::Value;

pub fn parse_items(stdout: &str, fail: &mut Vec<String>) -> Vec<Value> {
    let mut items = Vec::new();
    for (n, line) in stdout.lines().enumerate() {
        match serde_json::from_str::<Value>(line) {
            Ok(v) => items.push(v),
            Err(e) => fail.push(format!("output line {} is not JSON ({e}): {line}", n + 1)),
        }
    }
    items
}

pub fn status_rank(s: &str) -> u8 {
    match s {
        "open" => 0,
        "held" => 1,
        "closed" => 2,
        _ => 9,
    }
}

pub fn check_ranked(items: &[Value], fail: &mut Vec<String>) {
    let key = |i: &Value| {
        (
            status_rank(i["status"].as_str().unwrap_or("")),
            i["priority"].as_f64().unwrap_or(f64::NAN),
            i["account_id"].as_str().unwrap_or("").to_owned(),
        )
    };
    for w in items.windows(2) {
        let (a, b) = (key(&w[0]), key(&w[1]));
        let ordered = a.0 < b.0 || (a.0 == b.0 && (a.1 > b.1 || (a.1 == b.1 && a.2 < b.2)));
        if !ordered {
            fail.push(format!(
                "output is not ranked (open by priority desc, then held, then closed, ties by account_id): {} ({}, {}) before {} ({}, {})",
                a.2, w[0]["status"], w[0]["priority"], b.2, w[1]["status"], w[1]["priority"]
            ));
        }
    }
}

/// Invariants of every work item (contract.md, "Work items", and this implementation's
/// `action: null` when not open).
pub fn check_item_invariants(item: &Value, fail: &mut Vec<String>) {
    let id = item["account_id"].as_str().unwrap_or("?");
    let status = item["status"].as_str().unwrap_or("");
    let held = status == "held";
    if held == item["hold_reason"].is_null() {
        fail.push(format!(
            "{id}: hold_reason must be set exactly when held: {item}"
        ));
    }
    if status != "open" {
        if item["priority"].as_f64() != Some(0.0) {
            fail.push(format!(
                "{id}: priority must be 0 unless open, got {}",
                item["priority"]
            ));
        }
        if !item["action"].is_null() {
            fail.push(format!(
                "{id}: action must be null unless open, got {}",
                item["action"]
            ));
        }
    } else {
        let a = &item["action"];
        if a.is_null() {
            fail.push(format!("{id}: an open item needs an action"));
        }
        let party = a["party"].as_str().unwrap_or("");
        let disclosure = a["disclosure"].as_str().unwrap_or("");
        let ok = matches!(
            (party, disclosure),
            ("debtor", "full") | ("third_party", "none")
        );
        if !ok {
            fail.push(format!(
                "{id}: party/disclosure must be debtor/full or third_party/none, got {party}/{disclosure}"
            ));
        }
        if party == "third_party" && a["strategy"].as_str() != Some("locate") {
            fail.push(format!(
                "{id}: a third party may only be called to locate, got {}",
                a["strategy"]
            ));
        }
    }
}
