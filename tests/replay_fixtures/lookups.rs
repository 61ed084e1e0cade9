//! Helpers for scenario-specific assertions: timestamps, the accounts' zones, scores and reasons.

use std::collections::HashMap;

use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde_json::Value;

use crate::run::*;

pub fn ts(s: &str) -> Timestamp {
    s.parse()
        .unwrap_or_else(|e| panic!("{s:?} is not an RFC 3339 timestamp: {e}"))
}

/// Each account's time zone, from the fixture's account_opened events.
pub fn zones(name: &str) -> HashMap<String, TimeZone> {
    let text = std::fs::read_to_string(fixture(&format!("{name}.jsonl"))).expect("fixture");
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["type"] == "account_opened")
        .map(|e| {
            let tz = TimeZone::get(e["timezone"].as_str().expect("timezone")).expect("IANA zone");
            (e["account_id"].as_str().expect("account_id").to_owned(), tz)
        })
        .collect()
}

pub fn willingness(item: &Value) -> f64 {
    item["scores"]["willingness"]
        .as_f64()
        .expect("scores.willingness")
}

pub fn reason_detail<'a>(item: &'a Value, code: &str) -> Option<&'a str> {
    item["reasons"]
        .as_array()?
        .iter()
        .find(|r| r["code"] == code)
        .and_then(|r| r["detail"].as_str())
}
