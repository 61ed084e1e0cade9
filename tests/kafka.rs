//! The daemon against librdkafka's embedded mock cluster: events in → the same work items as the
//! offline pipeline; poison records → dead letters with the contract's headers while the stream
//! goes on; a crash mid-stream → the next instance restores from the changelog and the final
//! items (versions included) equal an uninterrupted run. No sleeps that hope: every wait polls
//! a condition until a deadline.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "integration tests drive the edges: files, timers and the environment"
)]

use std::collections::HashMap;

use serde_json::Value;

mod common;

use common::raw::{keyed, produce, TopicReader};
use common::{broker, offline_items, settings, simulated_events, PARTITIONS};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_in_give_the_offline_pipelines_work_items() {
    let broker = broker();
    let lines = simulated_events(12, 20, 5);
    let expected = offline_items(&lines);
    assert!(expected.len() >= 10);
    produce(&broker, "arrears.billing", &keyed(&lines)).await;
    let daemon = common::start_default(&settings(&broker, "g-equal")).await;
    let mut items = TopicReader::new(&broker, "arrears.work-items");
    items
        .wait_for("every account's final item", |r| r.latest() == expected)
        .await;
    common::stop_daemon(daemon).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_record_goes_to_dead_letter_and_the_stream_goes_on() {
    let broker = broker();
    let lines = simulated_events(2, 5, 9);
    let account = arrears::engine::events::peek_account_id(lines[0].as_bytes()).unwrap();
    let mut records = vec![
        (Some(account.clone()), "{not json".to_string()),
        (Some("someone-else".to_string()), lines[0].clone()),
    ];
    records.extend(keyed(&lines));
    produce(&broker, "arrears.contacts", &records).await;
    let expected = offline_items(&lines);
    let daemon = common::start_default(&settings(&broker, "g-poison")).await;
    let mut dead = TopicReader::new(&broker, "arrears.dead-letter");
    dead.wait_for("two dead letters", |r| r.records.len() >= 2)
        .await;
    let mut items = TopicReader::new(&broker, "arrears.work-items");
    items
        .wait_for("the valid events' items", |r| r.latest() == expected)
        .await;
    common::stop_daemon(daemon).await;

    let by_error: HashMap<&str, _> = dead
        .records
        .iter()
        .map(|(k, v, h)| {
            let h: HashMap<&str, &str> = h.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            (h["arrears-error"], (k.clone(), v.clone(), h))
        })
        .collect();
    assert_eq!(by_error.len(), 2, "{by_error:?}");
    let (k, v, h) = &by_error["malformed_json"];
    assert_eq!(k.as_deref(), Some(account.as_bytes()));
    assert_eq!(v.as_deref(), Some(&b"{not json"[..]));
    assert_source(h["arrears-source"]);
    assert!(!h["arrears-detail"].is_empty());
    let (k, v, h) = &by_error["key_mismatch"];
    assert_eq!(k.as_deref(), Some(&b"someone-else"[..]));
    assert_eq!(v.as_deref(), Some(lines[0].as_bytes()));
    assert_source(h["arrears-source"]);
    assert!(!h["arrears-detail"].is_empty());
}

/// `arrears.contacts/<partition>/<offset>`.
fn assert_source(s: &str) {
    let parts: Vec<&str> = s.split('/').collect();
    assert_eq!(parts.len(), 3, "{s}");
    assert_eq!(parts[0], "arrears.contacts");
    assert!(
        parts[1]
            .parse::<i32>()
            .is_ok_and(|p| (0..PARTITIONS).contains(&p)),
        "{s}"
    );
    assert!(parts[2].parse::<i64>().is_ok(), "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_stream_then_restart_gives_the_uninterrupted_items() {
    let broker = broker();
    let lines = simulated_events(12, 30, 7);
    let expected = offline_items(&lines);
    let (head, tail) = lines.split_at(lines.len() / 2);
    produce(&broker, "arrears.billing", &keyed(head)).await;
    let s = settings(&broker, "g-restart");
    let mut items = TopicReader::new(&broker, "arrears.work-items");
    let first = common::start_default(&s).await;
    items
        .wait_for("some items from the first instance", |r| {
            r.records.len() >= 20
        })
        .await;
    // A crash somewhere in the first half: the task is dropped, no drain, no final commit.
    first.abort().await;
    produce(&broker, "arrears.billing", &keyed(tail)).await;
    let second = common::start_default(&s).await;
    items
        .wait_for("every account's final item after the restart", |r| {
            r.latest() == expected
        })
        .await;
    common::stop_daemon(second).await;
    // Versions only grow per account across the restart.
    let mut last: HashMap<Vec<u8>, u64> = HashMap::new();
    for (k, v, _) in &items.records {
        let v: Value = serde_json::from_slice(v.as_ref().unwrap()).unwrap();
        let version = v["version"].as_u64().unwrap();
        let prev = last.insert(k.clone().unwrap(), version).unwrap_or(0);
        assert!(
            version >= prev,
            "version went back from {prev} to {version}"
        );
    }
}
