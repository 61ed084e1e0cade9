//! Decision records: every work item the daemon publishes has exactly one decision record on
//! `arrears.decisions` (same account and version, its `item` the published item, its input a real
//! position on an input topic or the clock), none without its item; a restore re-sends each
//! restored account's latest record with its item; `/v1/accounts/{id}/decisions` serves the
//! latest `http.decisions_per_account` of them, as JSON or text, never with a phone number.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arrears::daemon::topics::{input_topic, BILLING, CONTACTS, DECISIONS, WORK_ITEMS};
use arrears::daemon::{Clock, Shared};
use arrears::engine::domain::shift;
use arrears::tools::broker::EmbeddedBroker;
use jiff::Timestamp;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::Offset;
use serde_json::Value;

use crate::common::{
    assert_conforms, broker, offline_items, pipeline, reader, settings, simulated_events,
    start_daemon, stop_daemon, DEADLINE, PARTITIONS,
};
use crate::http_api::{assert_no_phone, get, get_with_head, json, phones_of};
use crate::{instances::*, items::*, kafka_io::*};

struct TestClock(Mutex<Timestamp>);

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}

/// One record of a topic: partition, offset, key and JSON value.
type Positioned = (i32, i64, String, Value);

/// Every record of `topic`, with its position, read to the partitions' high watermarks (nothing is
/// being written to it when this is called).
async fn read_all(broker: &EmbeddedBroker, topic: &str) -> Vec<Positioned> {
    let consumer: BaseConsumer = reader(broker, topic);
    let mut out = Vec::new();
    let start = Instant::now();
    loop {
        while let Some(m) = consumer.poll(Duration::from_millis(50)) {
            let m = m.unwrap();
            let key = String::from_utf8(m.key().expect("keyed").to_vec()).unwrap();
            let value = serde_json::from_slice(m.payload().expect("a value")).unwrap();
            out.push((m.partition(), m.offset(), key, value));
        }
        let position = consumer.position().unwrap();
        let at_end = (0..PARTITIONS).all(|p| {
            let (_, high) = consumer
                .fetch_watermarks(topic, p, Duration::from_secs(5))
                .unwrap();
            high == 0
                || matches!(
                    position.find_partition(topic, p).map(|e| e.offset()),
                    Some(Offset::Offset(o)) if o >= high
                )
        });
        if at_end {
            return out;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "timed out reading {topic} to its end"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn event_type(line: &str) -> String {
    let v: Value = serde_json::from_str(line).unwrap();
    v["type"].as_str().unwrap().to_string()
}

fn identity(v: &Value) -> (String, u64) {
    (
        v["account_id"].as_str().unwrap().to_string(),
        v["version"].as_u64().unwrap(),
    )
}

/// Asserts that `items` and `records` (key, JSON) pair one to one by (account, version), each
/// record carrying its item and keyed by its account; returns the records by (account, version).
fn assert_one_record_per_item(
    items: &[(String, Value)],
    records: &[(String, Value)],
) -> HashMap<(String, u64), Value> {
    let mut by_item: HashMap<(String, u64), Vec<&Value>> = HashMap::new();
    for (key, r) in records {
        assert_eq!(r["format"], "arrears.decision.v1");
        assert_eq!(
            r["account_id"].as_str(),
            Some(key.as_str()),
            "key = account"
        );
        by_item.entry(identity(r)).or_default().push(r);
    }
    let mut item_count: HashMap<(String, u64), usize> = HashMap::new();
    for (key, item) in items {
        assert_eq!(item["account_id"].as_str(), Some(key.as_str()));
        *item_count.entry(identity(item)).or_default() += 1;
        let id = identity(item);
        let Some(found) = by_item.get(&id) else {
            panic!("{id:?}: a published item without a decision record");
        };
        for r in found {
            assert_eq!(
                &r["item"], item,
                "{id:?}: the record carries the published item"
            );
        }
    }
    for (id, found) in &by_item {
        let n = item_count.get(id).copied().unwrap_or(0);
        assert!(n > 0, "{id:?}: a decision record without its item");
        assert_eq!(
            found.len(),
            n,
            "{id:?}: one decision record per published item"
        );
    }
    by_item
        .into_iter()
        .map(|(id, rs)| (id, rs[0].clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_published_item_has_exactly_one_decision_record() {
    let broker = broker();
    let lines = simulated_events(16, 45, 7);
    let mut by_topic: HashMap<&str, Vec<String>> = HashMap::new();
    for l in &lines {
        by_topic
            .entry(input_topic(&event_type(l)))
            .or_default()
            .push(l.clone());
    }
    assert!(!by_topic[CONTACTS].is_empty(), "contact attempts too");
    produce(&broker, CONTACTS, &keyed(&by_topic[CONTACTS])).await;
    produce(&broker, BILLING, &keyed(&by_topic[BILLING])).await;
    let accounts = offline_items(&lines).len();

    // The clock starts at the last event and re-evaluates every 50 ms.
    let end = end_clock(&lines);
    let clock = Arc::new(TestClock(Mutex::new(end)));
    let mut s = settings(&broker, "g-decisions");
    s.kafka.evaluate_interval_ms = 50;
    s.kafka.catch_up_lag_ms = 0;
    let a = start_with(&s, Shared::new(pipeline(), clock.clone())).await;
    let mut items = TopicReader::new(&broker, WORK_ITEMS);
    wait_for(&mut items, "an item of every account", |r| {
        r.latest().len() == accounts
    })
    .await;
    // Three days on: days past due grow, windows open, and the clock publishes.
    *clock.0.lock().unwrap() = shift(end, 3 * 86_400);
    let mut records = TopicReader::new(&broker, DECISIONS);
    wait_for(&mut records, "a decision record caused by the clock", |r| {
        r.records.iter().any(|(_, v)| v["input"]["kind"] == "clock")
    })
    .await;
    a.stop().await;

    let items = read_all(&broker, WORK_ITEMS).await;
    let records = read_all(&broker, DECISIONS).await;
    let kv = |rs: &[Positioned]| -> Vec<(String, Value)> {
        rs.iter()
            .map(|(_, _, k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let by_item = assert_one_record_per_item(&kv(&items), &kv(&records));
    eprintln!("{} items, {} decision records", items.len(), records.len());

    // Each record's input is a real input position (or the clock).
    let mut inputs: HashMap<String, Value> = HashMap::new();
    for topic in [BILLING, CONTACTS] {
        for (p, o, _, v) in read_all(&broker, topic).await {
            inputs.insert(format!("{topic}/{p}/{o}"), v);
        }
    }
    let mut kinds: HashMap<String, usize> = HashMap::new();
    for ((account, version), r) in &by_item {
        let input = &r["input"];
        match input["kind"].as_str() {
            Some("record") => {
                let source = input["source"].as_str().unwrap();
                let event = inputs
                    .get(source)
                    .unwrap_or_else(|| panic!("{account} v{version}: no input at {source}"));
                assert_eq!(event["event_id"], input["event_id"], "{account} v{version}");
                assert_eq!(event["account_id"].as_str(), Some(account.as_str()));
                let topic = source.split('/').next().unwrap();
                *kinds.entry(topic.to_string()).or_default() += 1;
            }
            Some("clock") => *kinds.entry("clock".into()).or_default() += 1,
            other => panic!("{account} v{version}: input kind {other:?}"),
        }
    }
    eprintln!("decision inputs: {kinds:?}");
    assert!(kinds.get(BILLING).is_some_and(|&n| n > 0), "{kinds:?}");
    assert!(kinds.get("clock").is_some_and(|&n| n > 0), "{kinds:?}");

    // A new instance restores the accounts and re-sends every latest item with its record (its
    // clock off: nothing new is published).
    s.kafka.evaluate_interval_ms = 0;
    let b = start_with(&s, Shared::new(pipeline(), clock.clone())).await;
    wait_until("restored", || async { b.shared.is_ready() }).await;
    let restored = b.accounts().len();
    assert_eq!(
        b.shared.decisions.size().1,
        restored,
        "every restored account has its latest record"
    );
    b.stop().await;
    let items = read_all(&broker, WORK_ITEMS).await;
    let records = read_all(&broker, DECISIONS).await;
    assert!(records.len() > by_item.len(), "the restore re-sent records");
    let all = assert_one_record_per_item(&kv(&items), &kv(&records));
    assert_eq!(all.len(), by_item.len(), "no new versions, only re-sends");
    for (id, r) in &all {
        assert_eq!(
            r, &by_item[id],
            "{id:?}: a re-sent record is the same record"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_serves_each_accounts_recent_decision_records() {
    let broker = broker();
    let lines = simulated_events(10, 40, 17);
    let expected = offline_items(&lines);
    let phones = phones_of(&lines);
    produce(&broker, BILLING, &keyed(&lines)).await;

    let mut s = settings(&broker, "g-decisions-http");
    s.http.enabled = true;
    s.http.listen = "127.0.0.1:0".into();
    s.http.decisions_per_account = 3;
    let daemon = start_daemon(
        &s,
        Shared::new(pipeline(), Arc::new(arrears::daemon::WallClock)),
    )
    .await;
    let addr = daemon.http_addr.expect("the API listens");
    let mut records = TopicReader::new(&broker, DECISIONS);
    wait_for(
        &mut records,
        "the decision record of every final item",
        |r| {
            let latest = r.latest();
            expected
                .iter()
                .all(|(id, item)| latest.get(id).is_some_and(|d| &d["item"] == item))
        },
    )
    .await;
    let mut history: HashMap<String, Vec<Value>> = HashMap::new();
    for (k, v) in &records.records {
        history.entry(k.clone()).or_default().push(v.clone());
    }

    let mut bodies = Vec::new();
    let mut cut = 0;
    for (id, item) in &expected {
        let all = &history[id];
        let kept = &all[all.len().saturating_sub(3)..];
        cut += usize::from(all.len() > 3);
        let (status, head, body) =
            get_with_head(addr, &format!("/v1/accounts/{id}/decisions")).await;
        assert_eq!(status, 200, "{id}: {body}");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: application/json"),
            "{head}"
        );
        let v = json(&body);
        assert_conforms("DecisionsDoc", &v);
        assert_eq!(v["account_id"], id.as_str());
        let served = v["decisions"].as_array().expect("decisions");
        assert_eq!(served, kept, "{id}: the latest three, oldest first");
        assert_eq!(
            &served.last().unwrap()["item"],
            item,
            "{id}: the last is the final item's"
        );
        bodies.push(body);

        let (status, head, text) =
            get_with_head(addr, &format!("/v1/accounts/{id}/decisions?format=text")).await;
        assert_eq!(status, 200, "{id}: {text}");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: text/plain"),
            "{head}"
        );
        for r in kept {
            let line = format!("{id} version {}", r["version"]);
            assert!(text.contains(&line), "{id}: {line:?} in {text}");
        }
        assert!(text.contains("contact policy"), "{text}");
        bodies.push(text);
    }
    assert!(cut > 0, "some account has more than three records");

    let (status, body) = get(addr, "/v1/accounts/no-such-account/decisions").await;
    assert_eq!(status, 404, "{body}");
    let some = expected.keys().next().unwrap();
    let (status, body) = get(addr, &format!("/v1/accounts/{some}/decisions?format=xml")).await;
    assert_eq!(status, 400, "{body}");
    for body in &bodies {
        assert_no_phone(body, &phones);
    }
    stop_daemon(daemon).await;
}
