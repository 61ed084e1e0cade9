//! Event time across the two input topics: contact attempts on `arrears.contacts` and billing
//! events on `arrears.billing` for the same accounts, produced topic by topic (the contacts first,
//! so every attempt sits on its topic before its account is opened on the other). The daemon
//! applies each partition number's records of both topics in event time, so its items equal the
//! offline pipeline's over the file in time order, and nothing is rejected.

use std::collections::HashMap;

use arrears::daemon::topics::{input_topic, BILLING, CONTACTS, DEAD_LETTER, WORK_ITEMS};
use serde_json::Value;

use crate::common::{broker, offline_items, settings, simulated_events};
use crate::{instances::*, items::*, kafka_io::*};

fn event_type(line: &str) -> String {
    let v: Value = serde_json::from_str(line).unwrap();
    v["type"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_topics_are_applied_in_event_time() {
    let broker = broker();
    let lines = simulated_events(150, 60, 29);
    let expected = offline_items(&lines);
    let mut by_topic: HashMap<&str, Vec<String>> = HashMap::new();
    for l in &lines {
        by_topic
            .entry(input_topic(&event_type(l)))
            .or_default()
            .push(l.clone());
    }
    eprintln!(
        "{} billing, {} contact records",
        by_topic[BILLING].len(),
        by_topic[CONTACTS].len()
    );
    assert!(
        by_topic[CONTACTS].len() > 20,
        "a stream with contact attempts"
    );
    produce(&broker, CONTACTS, &keyed(&by_topic[CONTACTS])).await;
    produce(&broker, BILLING, &keyed(&by_topic[BILLING])).await;

    let a = start(&settings(&broker, "g-order")).await;
    let mut items = TopicReader::new(&broker, WORK_ITEMS);
    wait_for(
        &mut items,
        "every account's item, both topics applied in event time",
        |r| r.latest() == expected,
    )
    .await;
    a.stop().await;
    let mut dead = TopicReader::new(&broker, DEAD_LETTER);
    dead.read_to_end().await;
    assert!(dead.records.is_empty(), "no record was rejected");
    assert_versions_never_go_back(&items.records);
}
