//! The changelog: one record per changed account (key = account id, value = the account's
//! [`Pipeline::snapshot`](crate::engine::pipeline::Pipeline::snapshot) plus the input positions it
//! reflects and the account's latest decision record), written to the changelog partition with the
//! same number as the input partition, and read back from the beginning to the high watermark when
//! a partition is assigned. The decision record rides along so that a restore, which re-sends every
//! restored account's latest item, re-sends its record with it: a crash between the changelog's
//! acknowledgement and the item's loses neither. A value without one (written before decision
//! records) restores as before. `decisions` is a list, oldest first, so that a later version may
//! carry more than the latest without a new format; today it holds one.
//!
//! Owns the record format and the blocking restore read; it never applies events.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use serde::Deserialize;

use super::fault::{self, Class};
use super::settings::DaemonSettings;

/// Per input topic, the offset of the last record an account's state reflects.
pub type Positions = BTreeMap<String, i64>;

/// Encodes a changelog value without a decision record (see [`encode_with`]).
pub fn encode(positions: &Positions, snapshot: &[u8]) -> Vec<u8> {
    encode_with(positions, snapshot, &[])
}

/// Encodes a changelog value: `{"positions": {topic: offset, …}, "state": <snapshot>,
/// "decisions": [{"version": <its item's version>, "record": <decision record>}, …]}`, the
/// decision records oldest first (no `decisions` when there are none).
pub fn encode_with(positions: &Positions, snapshot: &[u8], decisions: &[(u64, &[u8])]) -> Vec<u8> {
    let extra: usize = decisions.iter().map(|(_, d)| d.len() + 48).sum();
    let mut out = Vec::with_capacity(snapshot.len() + extra + 64);
    out.extend_from_slice(b"{\"positions\":");
    serde_json::to_writer(&mut out, positions).expect("a map of offsets serializes");
    out.extend_from_slice(b",\"state\":");
    out.extend_from_slice(snapshot);
    if !decisions.is_empty() {
        out.extend_from_slice(b",\"decisions\":[");
        for (i, (version, record)) in decisions.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"version\":");
            out.extend_from_slice(version.to_string().as_bytes());
            out.extend_from_slice(b",\"record\":");
            out.extend_from_slice(record);
            out.push(b'}');
        }
        out.push(b']');
    }
    out.push(b'}');
    out
}

#[derive(Deserialize)]
struct Record<'a> {
    positions: Positions,
    /// The snapshot's bytes as written, not parsed here (`Pipeline::restore` parses them once).
    #[serde(borrow)]
    state: &'a serde_json::value::RawValue,
    /// The account's decision records to carry, as written, with their items' versions.
    #[serde(borrow, default)]
    decisions: Vec<Decision<'a>>,
}

#[derive(Deserialize)]
struct Decision<'a> {
    version: u64,
    #[serde(borrow)]
    record: &'a serde_json::value::RawValue,
}

/// Decodes a changelog value into positions and the snapshot for `Pipeline::restore`; the
/// snapshot is a slice of `value`, validated as JSON but not parsed into a tree.
pub fn decode(value: &[u8]) -> Result<(Positions, &[u8]), serde_json::Error> {
    decode_with(value).map(|(p, s, _)| (p, s))
}

/// The positions, the snapshot and the decision records the value carries (slices of `value`),
/// oldest first, with their items' versions.
pub type Decoded<'a> = (Positions, &'a [u8], Vec<(u64, &'a [u8])>);

/// [`decode`], and the decision records the value carries.
pub fn decode_with(value: &[u8]) -> Result<Decoded<'_>, serde_json::Error> {
    let r: Record<'_> = serde_json::from_slice(value)?;
    let decisions = r
        .decisions
        .into_iter()
        .map(|d| (d.version, d.record.get().as_bytes()))
        .collect();
    Ok((r.positions, r.state.get().as_bytes(), decisions))
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

/// Time a restore may take per changelog record on top of `restore_timeout_ms` (measured restores
/// run at about 22 µs a record; this leaves a wide margin), so the limit scales with the partition.
pub const RESTORE_BUDGET_PER_RECORD: Duration = Duration::from_micros(100);

/// The limit for restoring `records` changelog records: the configured base plus the per-record
/// budget.
pub fn restore_budget(base: Duration, records: i64) -> Duration {
    base + RESTORE_BUDGET_PER_RECORD * u32::try_from(records.max(0)).unwrap_or(u32::MAX)
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
    let started = Instant::now();
    let mut latest: Latest = HashMap::new();
    let mut remaining: HashMap<i32, i64> = HashMap::new();
    let mut records = 0i64;
    let mut tpl = TopicPartitionList::new();
    for &p in partitions {
        let (low, high) = consumer
            .fetch_watermarks(topic, p, timeout)
            .map_err(kafka)?;
        latest.insert(p, HashMap::new());
        if high > low {
            records += high - low;
            remaining.insert(p, high);
            tpl.add_partition_offset(topic, p, Offset::Offset(low))
                .map_err(kafka)?;
        }
    }
    if remaining.is_empty() {
        return Ok(latest);
    }
    let timeout = restore_budget(timeout, records);
    let deadline = started + timeout;
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
        let msg = match msg {
            Ok(msg) => msg,
            // A reset connection or a broker blip: librdkafka reconnects and the fetch resumes
            // at the same position; the deadline still bounds the read.
            Err(e) if fault::classify(&e) == Class::Transient => {
                tracing::debug!(topic, error = %e, "changelog read: transient error; retrying");
                continue;
            }
            Err(e) => return Err(kafka(e)),
        };
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
    fn the_restore_limit_scales_with_the_changelog() {
        let base = Duration::from_secs(60);
        assert_eq!(restore_budget(base, 0), base);
        assert_eq!(restore_budget(base, -5), base);
        // 5M records (about 5M accounts): 60 s + 500 s.
        assert_eq!(restore_budget(base, 5_000_000), Duration::from_secs(560));
    }

    #[test]
    fn a_record_round_trips() {
        let mut pos = Positions::new();
        pos.insert("arrears.billing".into(), 41);
        let bytes = encode(&pos, br#"{"a":1,"b":[true]}"#);
        let (p, state) = decode(&bytes).unwrap();
        assert_eq!(p, pos);
        assert_eq!(state, &br#"{"a":1,"b":[true]}"#[..]);
        assert!(decode_with(&bytes).unwrap().2.is_empty());
        let d2 = br#"{"account_id":"A-1","version":2}"#;
        let d3 = br#"{"account_id":"A-1","version":3}"#;
        let bytes = encode_with(&pos, b"{}", &[(2, d2), (3, d3)]);
        let (p, state, decisions) = decode_with(&bytes).unwrap();
        assert_eq!((p, state), (pos, &b"{}"[..]));
        assert_eq!(decisions, [(2, &d2[..]), (3, &d3[..])]);
    }
}
