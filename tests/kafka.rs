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
use std::time::{Duration, Instant};

use arrears::tools::broker::EmbeddedBroker;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::BaseConsumer;
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::Value;

mod common;

use common::{broker, offline_items, settings, simulated_events, DEADLINE, PARTITIONS};

async fn produce(broker: &EmbeddedBroker, topic: &str, records: &[(Option<String>, String)]) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("enable.idempotence", "true")
        .create()
        .unwrap();
    let mut acks = Vec::new();
    for (key, payload) in records {
        let mut r = FutureRecord::<[u8], [u8]>::to(topic).payload(payload.as_bytes());
        if let Some(k) = key {
            r = r.key(k.as_bytes());
        }
        acks.push(producer.send_result(r).map_err(|(e, _)| e).unwrap());
    }
    for a in acks {
        a.await.unwrap().map_err(|(e, _)| e).unwrap();
    }
}

fn keyed(lines: &[String]) -> Vec<(Option<String>, String)> {
    lines
        .iter()
        .map(|l| {
            (
                arrears::engine::events::peek_account_id(l.as_bytes()),
                l.clone(),
            )
        })
        .collect()
}

/// Key, value and headers of one record.
type Record = (Option<Vec<u8>>, Option<Vec<u8>>, Vec<(String, String)>);

/// Every record of `topic` so far, from the beginning.
struct TopicReader {
    consumer: BaseConsumer,
    records: Vec<Record>,
}

impl TopicReader {
    fn new(broker: &EmbeddedBroker, topic: &str) -> TopicReader {
        let consumer = common::reader(broker, topic);
        TopicReader {
            consumer,
            records: Vec::new(),
        }
    }

    fn poll(&mut self) {
        while let Some(m) = self.consumer.poll(Duration::from_millis(50)) {
            let m = m.unwrap();
            let headers = m
                .headers()
                .map(|h| {
                    h.iter()
                        .map(|h| {
                            let v = h.value.map(|v| String::from_utf8_lossy(v).into_owned());
                            (h.key.to_string(), v.unwrap_or_default())
                        })
                        .collect()
                })
                .unwrap_or_default();
            self.records.push((
                m.key().map(<[u8]>::to_vec),
                m.payload().map(<[u8]>::to_vec),
                headers,
            ));
        }
    }

    /// The last value per key, as JSON.
    fn latest(&self) -> HashMap<String, Value> {
        let mut out = HashMap::new();
        for (k, v, _) in &self.records {
            if let (Some(k), Some(v)) = (k, v) {
                out.insert(
                    String::from_utf8_lossy(k).into_owned(),
                    serde_json::from_slice(v).unwrap(),
                );
            }
        }
        out
    }
}

/// Polls `reader` until `done` holds, or panics at the deadline with `what`.
async fn wait_for(
    reader: &mut TopicReader,
    what: &str,
    mut done: impl FnMut(&TopicReader) -> bool,
) {
    let start = Instant::now();
    loop {
        reader.poll();
        if done(reader) {
            return;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "timed out waiting for {what} ({} records read)",
            reader.records.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_in_give_the_offline_pipelines_work_items() {
    let broker = broker();
    let lines = simulated_events(12, 20, 5);
    let expected = offline_items(&lines);
    assert!(expected.len() >= 10);
    produce(&broker, "arrears.billing", &keyed(&lines)).await;
    let daemon = common::start_default(&settings(&broker, "g-equal")).await;
    let mut items = TopicReader::new(&broker, "arrears.work-items");
    wait_for(&mut items, "every account's final item", |r| {
        r.latest() == expected
    })
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
    wait_for(&mut dead, "two dead letters", |r| r.records.len() >= 2).await;
    let mut items = TopicReader::new(&broker, "arrears.work-items");
    wait_for(&mut items, "the valid events' items", |r| {
        r.latest() == expected
    })
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
    wait_for(&mut items, "some items from the first instance", |r| {
        r.records.len() >= 20
    })
    .await;
    // A crash somewhere in the first half: the task is dropped, no drain, no final commit.
    first.abort().await;
    produce(&broker, "arrears.billing", &keyed(tail)).await;
    let second = common::start_default(&s).await;
    wait_for(
        &mut items,
        "every account's final item after the restart",
        |r| r.latest() == expected,
    )
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
