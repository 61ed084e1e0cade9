//! A graceful shutdown commits every input offset, so the next instance re-processes nothing.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use arrears::daemon::topics::{BILLING, CONTACTS, WORK_ITEMS};
use arrears::tools::broker::EmbeddedBroker;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::Value;

use crate::common::{account_of, broker, offline_items, settings, simulated_events, PARTITIONS};
use crate::{instances::*, kafka_io::*};

const INPUTS: [&str; 2] = [BILLING, CONTACTS];

/// The committed offsets of `group` on every input partition, and the inputs' high watermarks.
type Offsets = Vec<((&'static str, i32), Offset)>;

fn committed_and_high(broker: &EmbeddedBroker, group: &str) -> (Offsets, Offsets) {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    let mut high = Vec::new();
    for topic in INPUTS {
        for p in 0..PARTITIONS {
            tpl.add_partition(topic, p);
            let (_, h) = consumer
                .fetch_watermarks(topic, p, Duration::from_secs(10))
                .unwrap();
            // Nothing to commit in an empty partition: no committed offset is the right answer.
            high.push((
                (topic, p),
                if h > 0 {
                    Offset::Offset(h)
                } else {
                    Offset::Invalid
                },
            ));
        }
    }
    let committed = consumer
        .committed_offsets(tpl, Duration::from_secs(10))
        .unwrap();
    let committed = INPUTS
        .iter()
        .flat_map(|&t| (0..PARTITIONS).map(move |p| (t, p)))
        .map(|(t, p)| {
            let e = committed.find_partition(t, p).expect("asked for it");
            assert!(e.error().is_ok(), "{t}/{p}: {:?}", e.error());
            ((t, p), e.offset())
        })
        .collect();
    (committed, high)
}

/// An `account_opened` event for a new account `id`, made from the portfolio's first one.
fn opened(lines: &[String], id: &str) -> String {
    let mut v: Value = lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["type"] == "account_opened")
        .expect("an account_opened event");
    v["account_id"] = id.into();
    v["event_id"] = format!("{id}:1").into();
    v.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_commits_everything() {
    let broker = broker();
    let lines = simulated_events(16, 20, 21);
    let expected = offline_items(&lines);
    assert!(expected.len() >= 12, "{} accounts", expected.len());
    // Both input topics carry records: every other account's whole stream goes to the contacts
    // topic (one topic per account keeps each account's events in order, so the items equal the
    // offline pipeline's; the daemon reads both topics alike).
    let ids: Vec<String> = expected
        .keys()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let on_contacts: BTreeSet<&String> = ids.iter().skip(1).step_by(2).collect();
    let (contacts, billing): (Vec<String>, Vec<String>) = lines
        .iter()
        .cloned()
        .partition(|l| on_contacts.contains(&account_of(l)));
    produce(&broker, BILLING, &keyed(&billing)).await;
    produce(&broker, CONTACTS, &keyed(&contacts)).await;

    let s = settings(&broker, "g-commit");
    let mut items = TopicReader::new(&broker, WORK_ITEMS);
    let first = start(&s).await;
    wait_for(&mut items, "every account's final item", |r| {
        r.latest() == expected
    })
    .await;
    first.stop().await;

    let (committed, high) = committed_and_high(&broker, "g-commit");
    for topic in INPUTS {
        assert!(
            high.iter()
                .any(|((t, _), o)| *t == topic && matches!(o, Offset::Offset(_))),
            "{topic} has records"
        );
    }
    assert_eq!(committed, high, "committed offsets = high watermarks");
    items.read_to_end().await;
    assert_eq!(items.latest(), expected);
    let before = items.records.len();

    // A second instance on the same group: it must start after the committed offsets. One new
    // account per input partition, produced once it is ready, marks the end of every partition:
    // when all their items are out, every older record has been read, and the graceful stop
    // delivers whatever it caused.
    let second = start(&s).await;
    wait_until("the second instance ready", || {
        let ready = second.shared.is_ready();
        async move { ready }
    })
    .await;
    let mut markers = Vec::new();
    for topic in INPUTS {
        let records: Vec<(String, String, Option<i32>)> = (0..PARTITIONS)
            .map(|p| {
                let id = format!("M-{}-{p}", &topic["arrears.".len()..]);
                (id.clone(), opened(&lines, &id), Some(p))
            })
            .collect();
        produce(&broker, topic, &records).await;
        markers.extend(records.into_iter().map(|(_, l, _)| l));
    }
    let marker_items = offline_items(&markers);
    assert_eq!(marker_items.len(), 2 * PARTITIONS as usize);
    wait_for(&mut items, "every marker's item", |r| {
        let latest = r.latest();
        marker_items.iter().all(|(k, v)| latest.get(k) == Some(v))
    })
    .await;
    second.stop().await;
    items.read_to_end().await;
    // Besides the markers' items, the second instance only re-sends what it restored: each
    // account's latest item, the same version with the same content (no input re-processed).
    let mut markers_seen: HashMap<String, Value> = HashMap::new();
    for (k, v) in &items.records[before..] {
        if marker_items.contains_key(k) {
            markers_seen.insert(k.clone(), v.clone());
        } else {
            assert_eq!(
                Some(v),
                expected.get(k),
                "{k}: a re-sent restored item equals the one already on the topic"
            );
        }
    }
    assert_eq!(markers_seen, marker_items);
    assert_eq!(items.latest().len(), expected.len() + marker_items.len());
    let (committed, high) = committed_and_high(&broker, "g-commit");
    assert_eq!(
        committed, high,
        "committed offsets = high watermarks after the second stop"
    );
}
