//! The changelog: one record per changed account (key = account id, value = the account's
//! [`Pipeline::snapshot`](crate::engine::pipeline::Pipeline::snapshot) plus the input positions it
//! reflects), written to the changelog partition with the same number as the input partition,
//! and read back from the beginning to the high watermark when a partition is assigned.
//!
//! Owns the record format and the blocking restore read; it never applies events.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use serde::Deserialize;

use super::settings::DaemonSettings;

/// Per input topic, the offset of the last record an account's state reflects.
pub type Positions = BTreeMap<String, i64>;

/// Encodes a changelog value: `{"positions": {topic: offset, …}, "state": <snapshot>}`.
pub fn encode(positions: &Positions, snapshot: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(snapshot.len() + 64);
    out.extend_from_slice(b"{\"positions\":");
    serde_json::to_writer(&mut out, positions).expect("a map of offsets serializes");
    out.extend_from_slice(b",\"state\":");
    out.extend_from_slice(snapshot);
    out.push(b'}');
    out
}

#[derive(Deserialize)]
struct Record<'a> {
    positions: Positions,
    /// The snapshot's bytes as written, not parsed here (`Pipeline::restore` parses them once).
    #[serde(borrow)]
    state: &'a serde_json::value::RawValue,
}

/// Decodes a changelog value into positions and the snapshot for `Pipeline::restore`; the
/// snapshot is a slice of `value`, validated as JSON but not parsed into a tree.
pub fn decode(value: &[u8]) -> Result<(Positions, &[u8]), serde_json::Error> {
    let r: Record<'_> = serde_json::from_slice(value)?;
    Ok((r.positions, r.state.get().as_bytes()))
}

/// Why a restore failed.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("changelog {topic}: {source}")]
    Kafka { topic: String, source: KafkaError },
    #[error(
        "changelog {topic} partition {partition}: not read to offset {high} within {timeout:?}"
    )]
    Timeout {
        topic: String,
        partition: i32,
        high: i64,
        timeout: Duration,
    },
}

/// The latest changelog value of every key in `partitions` (None: a tombstone), per partition.
pub type Latest = HashMap<i32, HashMap<String, Option<Vec<u8>>>>;

/// Reads changelog `partitions` from the beginning to their high watermarks (blocking); the
/// last record per key wins.
pub fn read_partitions(
    settings: &DaemonSettings,
    partitions: &[i32],
) -> Result<Latest, RestoreError> {
    let topic = settings.kafka.changelog_topic.as_str();
    let timeout = settings.restore_timeout();
    let kafka = |source| RestoreError::Kafka {
        topic: topic.to_string(),
        source,
    };
    let consumer: BaseConsumer = settings
        .restore_config()
        .create()
        .map_err(|e| kafka(super::sensitive::mask_config_error(e)))?;
    let deadline = Instant::now() + timeout;
    let mut latest: Latest = HashMap::new();
    let mut remaining: HashMap<i32, i64> = HashMap::new();
    let mut tpl = TopicPartitionList::new();
    for &p in partitions {
        let (low, high) = consumer
            .fetch_watermarks(topic, p, timeout)
            .map_err(kafka)?;
        latest.insert(p, HashMap::new());
        if high > low {
            remaining.insert(p, high);
            tpl.add_partition_offset(topic, p, Offset::Offset(low))
                .map_err(kafka)?;
        }
    }
    if remaining.is_empty() {
        return Ok(latest);
    }
    consumer.assign(&tpl).map_err(kafka)?;
    while !remaining.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            let (&partition, &high) = remaining.iter().next().expect("not empty");
            return Err(RestoreError::Timeout {
                topic: topic.to_string(),
                partition,
                high,
                timeout,
            });
        }
        let Some(msg) = consumer.poll(left.min(Duration::from_millis(200))) else {
            continue;
        };
        let msg = msg.map_err(kafka)?;
        let p = msg.partition();
        if let Some(key) = msg.key() {
            let key = String::from_utf8_lossy(key).into_owned();
            latest
                .entry(p)
                .or_default()
                .insert(key, msg.payload().map(<[u8]>::to_vec));
        }
        if remaining
            .get(&p)
            .is_some_and(|&high| msg.offset() + 1 >= high)
        {
            remaining.remove(&p);
        }
    }
    Ok(latest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips() {
        let mut pos = Positions::new();
        pos.insert("arrears.billing".into(), 41);
        let bytes = encode(&pos, br#"{"a":1,"b":[true]}"#);
        let (p, state) = decode(&bytes).unwrap();
        assert_eq!(p, pos);
        assert_eq!(state, &br#"{"a":1,"b":[true]}"#[..]);
    }
}
