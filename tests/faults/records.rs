//! Faults of one record: a panic while applying it, and a record too large to dead-letter
//! whole. Each is dead-lettered and the partition goes on.

use std::sync::Arc;

use arrears::daemon::{Shared, WallClock};

use crate::common::{self, broker, offline_items, settings, simulated_events};
use crate::{keyed, produce, until, TopicReader};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_on_one_record_dead_letters_it_and_keeps_the_account() {
    let broker = broker();
    let lines = simulated_events(6, 15, 24);
    // The victim: an event in the middle of an account's history, so that its account has
    // state before it and events after it.
    let victim = lines.len() / 2;
    let event: serde_json::Value = serde_json::from_str(&lines[victim]).unwrap();
    let event_id = event["event_id"].as_str().unwrap().to_string();
    let without: Vec<String> = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != victim)
        .map(|(_, l)| l.clone())
        .collect();
    let expected = offline_items(&without);
    produce(&broker, "arrears.billing", &keyed(&lines)).await;
    let mut pipeline = common::pipeline();
    pipeline.inject_panic_on(Some(event_id.clone()));
    let shared = Shared::new(pipeline, Arc::new(WallClock));
    let daemon = common::start_daemon(&settings(&broker, "g-panic"), shared.clone()).await;
    let mut items = TopicReader::new(&broker, "arrears.work-items");
    items
        .wait_for("every account's final item without the victim", |r| {
            r.latest() == expected
        })
        .await;
    let mut dead = TopicReader::new(&broker, "arrears.dead-letter");
    dead.wait_for("the victim's dead letter", |r| !r.records.is_empty())
        .await;
    assert_eq!(dead.records.len(), 1);
    let (k, v, h) = &dead.records[0];
    assert_eq!(h["arrears-error"], "internal_error");
    assert!(h["arrears-source"].starts_with("arrears.billing/"));
    assert_eq!(v.as_deref(), Some(lines[victim].as_bytes()));
    assert_eq!(
        k.as_deref(),
        Some(common::account_of(&lines[victim]).as_bytes())
    );
    assert!(!daemon.is_finished());
    until("ready", || shared.is_ready()).await;
    assert!(shared
        .render_metrics()
        .lines()
        .any(|l| l.contains("internal_error") && l.ends_with(" 1")));
    common::stop_daemon(daemon).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_too_large_to_re_produce_is_dead_lettered_as_a_stub() {
    let broker = broker();
    let lines = simulated_events(4, 10, 25);
    let expected = offline_items(&lines);
    let account = common::account_of(&lines[0]);
    let head = format!("{{\"account_id\":\"{account}\",\"pad\":\"");
    let size = 1_010_158;
    let big = format!("{head}{}\"}}", "x".repeat(size - head.len() - 2));
    assert_eq!(big.len(), size);
    let mut records = vec![(Some(account.clone()), big.clone())];
    records.extend(keyed(&lines));
    produce(&broker, "arrears.contacts", &records).await;
    let daemon = common::start_default(&settings(&broker, "g-oversize")).await;
    let mut items = TopicReader::new(&broker, "arrears.work-items");
    items
        .wait_for("every account's final item after the big record", |r| {
            r.latest() == expected
        })
        .await;
    let mut dead = TopicReader::new(&broker, "arrears.dead-letter");
    dead.wait_for("the stub", |r| !r.records.is_empty()).await;
    assert_eq!(dead.records.len(), 1);
    let (k, v, h) = &dead.records[0];
    assert_eq!(h["arrears-error"], "too_large");
    assert_eq!(h["arrears-truncated"], size.to_string());
    assert!(h["arrears-source"].starts_with("arrears.contacts/"));
    assert_eq!(k.as_deref(), Some(account.as_bytes()));
    let v = v.as_deref().unwrap();
    assert_eq!(v.len(), arrears::daemon::sink::STUB_BYTES);
    assert_eq!(v, &big.as_bytes()[..v.len()]);
    assert!(!daemon.is_finished());
    common::stop_daemon(daemon).await;
}
