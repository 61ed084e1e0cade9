//! The daemon against faults of the embedded broker (rdkafka's `MockCluster`) and of single
//! records: a broker down for seconds then up, a start with the broker down, injected errors on
//! Fetch and Produce requests, a panic while applying one record, a record too large to
//! dead-letter whole. Every test asserts that the daemon did not exit, that readiness flipped
//! and recovered where the fault reaches it, that no input was lost, and that the final items
//! equal the offline pipeline's. Every wait polls a condition until a deadline; the only fixed
//! pauses are the durations of the injected faults themselves. Streams are small (the mock
//! broker keeps ~5 MB per partition).

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "integration tests drive the edges: files, timers and the environment"
)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrears::daemon::Shared;
use arrears::tools::broker::EmbeddedBroker;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::BaseConsumer;
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::Value;

#[path = "../common/mod.rs"]
mod common;

mod outage;
mod records;
mod requests;

use common::DEADLINE;

/// Produces `records` (key, value) to `topic` and waits for every acknowledgement (the test
/// producer retries through the faults too).
pub async fn produce(broker: &EmbeddedBroker, topic: &str, records: &[(Option<String>, String)]) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("enable.idempotence", "true")
        .set("message.max.bytes", "2000000")
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

/// Each line with its account id as the key.
pub fn keyed(lines: &[String]) -> Vec<(Option<String>, String)> {
    lines
        .iter()
        .map(|l| (Some(common::account_of(l)), l.clone()))
        .collect()
}

/// Key, value and headers of one record.
pub type Record = (Option<Vec<u8>>, Option<Vec<u8>>, HashMap<String, String>);

/// Every record of a topic so far, from the beginning.
pub struct TopicReader {
    consumer: BaseConsumer,
    pub records: Vec<Record>,
}

impl TopicReader {
    pub fn new(broker: &EmbeddedBroker, topic: &str) -> TopicReader {
        TopicReader {
            consumer: common::reader(broker, topic),
            records: Vec::new(),
        }
    }

    fn poll(&mut self) {
        while let Some(m) = self.consumer.poll(Duration::from_millis(50)) {
            let Ok(m) = m else { continue };
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
    pub fn latest(&self) -> HashMap<String, Value> {
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

    /// Polls until `done` holds; panics at the deadline with `what`.
    pub async fn wait_for(&mut self, what: &str, mut done: impl FnMut(&TopicReader) -> bool) {
        let start = Instant::now();
        loop {
            self.poll();
            if done(self) {
                return;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "timed out waiting for {what} ({} records read)",
                self.records.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Polls `cond` every 10 ms until it holds; panics at the deadline with `what`.
pub async fn until(what: &str, mut cond: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    start.elapsed()
}

/// Watches readiness every 5 ms from its creation: whether it was ever lost.
pub struct ReadyWatch {
    lost: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl ReadyWatch {
    pub fn new(shared: &Arc<Shared>) -> ReadyWatch {
        let lost = Arc::new(AtomicBool::new(false));
        let (s, l) = (shared.clone(), lost.clone());
        let task = tokio::spawn(async move {
            loop {
                if !s.is_ready() {
                    l.store(true, Ordering::Release);
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
        ReadyWatch { lost, task }
    }

    pub fn was_lost(&self) -> bool {
        self.lost.load(Ordering::Acquire)
    }
}

impl Drop for ReadyWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}
