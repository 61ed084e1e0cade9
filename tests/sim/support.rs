//! Running worlds, reading their lines (fields, money, times, dates, closed vocabularies) and the
//! truth file.

use std::collections::HashMap;

use arrears::tools::sim::*;
use jiff::civil::Date;
use jiff::Timestamp;
use serde_json::Value;

pub fn config(accounts: usize, days: u32, seed: u64) -> SimConfig {
    SimConfig::new(accounts, days, seed)
}

/// Runs a world with a dialer and returns the stream and the world.
pub fn run(cfg: &SimConfig, dialer: &mut dyn Dialer) -> (Vec<u8>, World) {
    let mut world = World::new(cfg);
    let mut out = Vec::new();
    world
        .run(dialer, &mut out, |_| {})
        .expect("in-memory write");
    (out, world)
}

pub fn run_house(cfg: &SimConfig) -> (Vec<u8>, World) {
    let mut dialer = HouseDialer::new(cfg.calls_per_day(), cfg.seed);
    run(cfg, &mut dialer)
}

pub fn parse(stream: &[u8]) -> Vec<Value> {
    std::str::from_utf8(stream)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON {e}: {l}")))
        .collect()
}

pub fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str()
        .unwrap_or_else(|| panic!("`{k}` must be a string in {v}"))
}

pub fn money(v: &Value, k: &str) -> i64 {
    let m = v[k]
        .as_i64()
        .unwrap_or_else(|| panic!("`{k}` must be an integer in {v}"));
    assert!(m >= 0, "negative money in {v}");
    m
}

pub fn at(v: &Value) -> Timestamp {
    s(v, "occurred_at").parse().expect("RFC 3339")
}

/// The string field `k`, which must be one of the space-separated words of `allowed`.
pub fn one_of<'a>(v: &'a Value, k: &str, allowed: &str) -> &'a str {
    let x = s(v, k);
    assert!(
        allowed.split(' ').any(|a| a == x),
        "`{k}` = {x:?} is not in the contract: {v}"
    );
    x
}

pub const TYPES: &str = "account_opened account_updated statement_issued payment_received \
payment_reversed fee_charged promise_made flag_set flag_cleared account_closed contact_attempt";
/// What may still happen to a closed account.
pub const AFTER_CLOSE: &str = "contact_attempt flag_set flag_cleared payment_reversed";
pub const ROLES: &str = "debtor spouse relative employer guarantor colleague other";
pub const FLAGS: &str = "deceased_reported deceased_verified dispute complaint bankruptcy \
cease_contact hardship fraud legal_hold breathing_space do_not_call";
pub const OUTCOMES: &str = "right_party third_party no_answer busy voicemail wrong_number \
invalid_number refused delivered failed";
pub const DISPOSITIONS: &str = "promise_to_pay refused_to_pay dispute complaint hardship \
callback_requested deceased_reported claims_paid abusive none";

pub fn date(v: &Value, k: &str) -> Date {
    let text = s(v, k);
    assert_eq!(text.len(), 10, "{k} must be YYYY-MM-DD in {v}");
    text.parse().expect("a calendar date")
}

/// Truth rows keyed by account id: column name → value.
pub fn truth_of(world: &World) -> HashMap<String, HashMap<String, String>> {
    let mut csv = Vec::new();
    world.write_truth(&mut csv).unwrap();
    let text = String::from_utf8(csv).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            let row: HashMap<String, String> = header
                .iter()
                .zip(l.split(','))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            (row["account_id"].clone(), row)
        })
        .collect()
}
