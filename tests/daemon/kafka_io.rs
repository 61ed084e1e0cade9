//! Talking to the mock cluster: producing records, reading a topic from the beginning, and polling
//! a condition until a deadline.

use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

use arrears::tools::broker::EmbeddedBroker;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::Offset;
use serde_json::Value;

use crate::common::{account_of, DEADLINE, PARTITIONS};

/// Produces `records` (key, value, explicit partition or the default partitioner) and waits for
/// every acknowledgement.
pub async fn produce(
    broker: &EmbeddedBroker,
    topic: &str,
    records: &[(String, String, Option<i32>)],
) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("enable.idempotence", "true")
        .create()
        .unwrap();
    let mut acks = Vec::new();
    for (key, payload, partition) in records {
        let mut r = FutureRecord::<[u8], [u8]>::to(topic)
            .key(key.as_bytes())
            .payload(payload.as_bytes());
        if let Some(p) = partition {
            r = r.partition(*p);
        }
        acks.push(producer.send_result(r).map_err(|(e, _)| e).unwrap());
    }
    for a in acks {
        a.await.unwrap().map_err(|(e, _)| e).unwrap();
    }
}

pub fn keyed(lines: &[String]) -> Vec<(String, String, Option<i32>)> {
    lines
        .iter()
        .map(|l| (account_of(l), l.clone(), None))
        .collect()
}

/// Key and value of one work-items record.
pub type Record = (String, Value);

/// Every record of a topic so far, from the beginning.
pub struct TopicReader {
    pub consumer: BaseConsumer,
    pub topic: String,
    pub records: Vec<Record>,
}

impl TopicReader {
    pub fn new(broker: &EmbeddedBroker, topic: &str) -> TopicReader {
        let consumer = crate::common::reader(broker, topic);
        TopicReader {
            consumer,
            topic: topic.to_string(),
            records: Vec::new(),
        }
    }

    pub fn poll(&mut self) {
        while let Some(m) = self.consumer.poll(Duration::from_millis(50)) {
            let m = m.unwrap();
            let key = String::from_utf8(m.key().expect("keyed").to_vec()).unwrap();
            let value = serde_json::from_slice(m.payload().expect("a value")).unwrap();
            self.records.push((key, value));
        }
    }

    /// The last value per key.
    pub fn latest(&self) -> HashMap<String, Value> {
        self.records.iter().cloned().collect()
    }

    /// Whether every partition has been read up to its current high watermark.
    pub fn at_end(&self) -> bool {
        let position = self.consumer.position().unwrap();
        (0..PARTITIONS).all(|p| {
            let (_, high) = self
                .consumer
                .fetch_watermarks(&self.topic, p, Duration::from_secs(5))
                .unwrap();
            high == 0
                || matches!(
                    position.find_partition(&self.topic, p).map(|e| e.offset()),
                    Some(Offset::Offset(o)) if o >= high
                )
        })
    }

    /// Reads until every partition is read to its high watermark (nothing more is being written
    /// when this is called, so the records are then all there are).
    pub async fn read_to_end(&mut self) {
        let topic = self.topic.clone();
        wait_for(&mut *self, &format!("{topic} read to its end"), |r| {
            r.at_end()
        })
        .await;
    }
}

/// Polls `reader` until `done` holds, or panics at the deadline with `what`.
pub async fn wait_for(
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

/// Polls `done` until it holds, or panics at the deadline with `what`.
pub async fn wait_until<F: Future<Output = bool>>(what: &str, mut done: impl FnMut() -> F) {
    let start = Instant::now();
    while !done().await {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
