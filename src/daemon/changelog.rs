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
//! Values are binary ([`encode_with`]: the positions, the snapshot and the decision records,
//! length-prefixed behind a format tag); the JSON values earlier versions wrote still restore.
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

/// The first byte of a binary changelog value (a JSON value, as earlier versions wrote, starts
/// with `{`).
pub const ENVELOPE_V1: u8 = 0x01;

/// Why a changelog value does not read.
pub type FormatError = crate::engine::pipeline::snapshot::SnapshotError;

/// Encodes a changelog value, binary: the tag [`ENVELOPE_V1`]; the positions (u16 count, then
/// per topic a u16 length, its name and the offset as i64, little-endian); the snapshot (u32
/// length and its bytes); the decision records oldest first (u16 count, then per record its
/// item's version as u64, a u32 length and the record's JSON).
pub fn encode_with(positions: &Positions, snapshot: &[u8], decisions: &[(u64, &[u8])]) -> Vec<u8> {
    let extra: usize = decisions.iter().map(|(_, d)| d.len() + 12).sum();
    let names: usize = positions.keys().map(|k| k.len() + 10).sum();
    let mut out = Vec::with_capacity(snapshot.len() + extra + names + 9);
    out.push(ENVELOPE_V1);
    out.extend_from_slice(&(positions.len() as u16).to_le_bytes());
    for (topic, offset) in positions {
        out.extend_from_slice(&(topic.len() as u16).to_le_bytes());
        out.extend_from_slice(topic.as_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
    }
    out.extend_from_slice(&(snapshot.len() as u32).to_le_bytes());
    out.extend_from_slice(snapshot);
    out.extend_from_slice(&(decisions.len() as u16).to_le_bytes());
    for (version, record) in decisions {
        out.extend_from_slice(&version.to_le_bytes());
        out.extend_from_slice(&(record.len() as u32).to_le_bytes());
        out.extend_from_slice(record);
    }
    out
}

/// Encodes a changelog value as JSON, the form before binary values: `{"positions": {topic:
/// offset, …}, "state": <snapshot>, "decisions": [{"version": <its item's version>, "record":
/// <decision record>}, …]}` (no `decisions` when there are none). Restores still read it.
pub fn encode_json(positions: &Positions, snapshot: &[u8], decisions: &[(u64, &[u8])]) -> Vec<u8> {
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
/// snapshot is a slice of `value`, not parsed here.
pub fn decode(value: &[u8]) -> Result<(Positions, &[u8]), FormatError> {
    decode_with(value).map(|(p, s, _)| (p, s))
}

/// The positions, the snapshot and the decision records the value carries (slices of `value`),
/// oldest first, with their items' versions.
pub type Decoded<'a> = (Positions, &'a [u8], Vec<(u64, &'a [u8])>);

/// [`decode`], and the decision records the value carries; either form.
pub fn decode_with(value: &[u8]) -> Result<Decoded<'_>, FormatError> {
    match value.first() {
        Some(&ENVELOPE_V1) => decode_binary(&value[1..]),
        Some(b) if *b == b'{' || b.is_ascii_whitespace() => {
            let r: Record<'_> = serde_json::from_slice(value)?;
            let decisions = r
                .decisions
                .into_iter()
                .map(|d| (d.version, d.record.get().as_bytes()))
                .collect();
            Ok((r.positions, r.state.get().as_bytes(), decisions))
        }
        Some(&b) => Err(FormatError::UnknownFormat(b)),
        None => Err(FormatError::Empty),
    }
}

/// Reads a binary value's fields (after its tag).
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], FormatError> {
        if self.0.len() < n {
            return Err(postcard::Error::DeserializeUnexpectedEnd.into());
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], FormatError> {
        Ok(self.take(N)?.try_into().expect("N bytes"))
    }
    fn u16(&mut self) -> Result<usize, FormatError> {
        Ok(u16::from_le_bytes(self.array()?) as usize)
    }
    fn u32(&mut self) -> Result<usize, FormatError> {
        Ok(u32::from_le_bytes(self.array()?) as usize)
    }
}

fn decode_binary(value: &[u8]) -> Result<Decoded<'_>, FormatError> {
    let mut r = Reader(value);
    let mut positions = Positions::new();
    for _ in 0..r.u16()? {
        let n = r.u16()?;
        let topic = std::str::from_utf8(r.take(n)?)
            .map_err(|_| FormatError::Binary(postcard::Error::DeserializeBadUtf8))?;
        positions.insert(topic.to_string(), i64::from_le_bytes(r.array()?));
    }
    let n = r.u32()?;
    let state = r.take(n)?;
    let count = r.u16()?;
    let mut decisions = Vec::with_capacity(count);
    for _ in 0..count {
        let version = u64::from_le_bytes(r.array()?);
        let n = r.u32()?;
        decisions.push((version, r.take(n)?));
    }
    if !r.0.is_empty() {
        return Err(FormatError::Binary(postcard::Error::DeserializeBadEncoding));
    }
    Ok((positions, state, decisions))
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
    fn a_json_record_from_an_earlier_version_still_reads() {
        let mut pos = Positions::new();
        pos.insert("arrears.contacts".into(), 7);
        let d = br#"{"account_id":"A-1","version":4}"#;
        let bytes = encode_json(&pos, br#"{"a":1}"#, &[(4, d)]);
        assert_eq!(bytes[0], b'{');
        let (p, state, decisions) = decode_with(&bytes).unwrap();
        assert_eq!((p, state), (pos, &br#"{"a":1}"#[..]));
        assert_eq!(decisions, [(4, &d[..])]);
    }

    #[test]
    fn a_truncated_or_unknown_value_is_an_error_not_a_panic() {
        let mut pos = Positions::new();
        pos.insert("arrears.billing".into(), 41);
        let bytes = encode_with(&pos, b"\x01state", &[(2, b"{}")]);
        for cut in 0..bytes.len() {
            assert!(decode_with(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode_with(&longer).is_err());
        assert!(matches!(
            decode_with(b"\x07abc"),
            Err(FormatError::UnknownFormat(7))
        ));
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
