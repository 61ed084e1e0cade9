//! The command line writes the stream and the truth file.

use std::collections::HashSet;

use arrears::tools::sim::*;
use jiff::civil::Date;

use crate::support::*;

#[test]
fn cli_writes_stream_and_truth_file() {
    let dir = tempfile::tempdir().unwrap();
    let (out, truth) = (
        dir.path().join("events.jsonl"),
        dir.path().join("truth.csv"),
    );
    let args = SimulateArgs {
        accounts: 800,
        days: 10,
        seed: 4,
        output: Some(out.clone()),
        truth: Some(truth.clone()),
        start: Date::constant(2026, 3, 2),
        capacity: 0.05,
        quiet: true,
        book: arrears::tools::sim::Book::Full,
        response: arrears::tools::sim::ResponseModel::Calibrated,
        calibration_report: false,
    };
    cmd_simulate(&args).unwrap();
    let stream = std::fs::read(&out).unwrap();
    let events = parse(&stream);
    assert_eq!(at(&events[0]).to_string().get(..10), Some("2026-03-02"));
    let truth = std::fs::read_to_string(&truth).unwrap();
    let mut rows = truth.lines();
    let header = rows.next().unwrap();
    assert!(header.starts_with("account_id,willingness,ability,reachability"));
    let ids: Vec<&str> = rows.map(|r| r.split(',').next().unwrap()).collect();
    assert_eq!(ids.len(), 800);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 800);
    let opened: HashSet<&str> = events
        .iter()
        .filter(|v| s(v, "type") == "account_opened")
        .map(|v| s(v, "account_id"))
        .collect();
    assert_eq!(opened, ids.into_iter().collect::<HashSet<_>>());
}
