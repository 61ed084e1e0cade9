//! Work items and rejects: every item and every reject line replay writes matches its schema.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::{run::*, validate::*};

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
