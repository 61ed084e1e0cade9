//! Raw records on the embedded broker, for the tests that look at keys and headers (dead letters)
//! or produce through faults: a producer that waits for every acknowledgement, and a reader of a
//! whole topic from the beginning with each record's key, value and headers.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use arrears::tools::broker::EmbeddedBroker;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::Value;

use super::DEADLINE;

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
        .map(|l| (Some(super::account_of(l)), l.clone()))
        .collect()
}

/// Key, value and headers of one record.
pub type Record = (Option<Vec<u8>>, Option<Vec<u8>>, HashMap<String, String>);

/// Every record of a topic so far, from the beginning.
pub struct TopicReader {
    consumer: BaseConsumer,
    topic: String,
    pub records: Vec<Record>,
}

impl TopicReader {
    pub fn new(broker: &EmbeddedBroker, topic: &str) -> TopicReader {
        TopicReader {
            consumer: super::reader(broker, topic),
            topic: topic.to_string(),
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

    /// Polls until every record the topic holds now is read (call it when nothing more is being
    /// written); panics at the deadline.
    pub async fn read_to_end(&mut self) {
        let mut total = 0;
        for p in 0..super::PARTITIONS {
            let (low, high) = self
                .consumer
                .fetch_watermarks(&self.topic, p, Duration::from_secs(5))
                .unwrap();
            total += usize::try_from(high - low).unwrap();
        }
        let what = format!("{} read to its end ({total} records)", self.topic);
        self.wait_for(&what, |r| r.records.len() >= total).await;
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
