//! The output edge: one idempotent, compressing producer for work items, their decision records
//! (the audit topic), changelog records and dead letters. Every send returns its delivery future; the caller stores input offsets only
//! once all the futures an input caused have resolved.
//!
//! A full local queue waits (the slow broker slows consumption). A failed delivery is classified
//! by `fault`: a fatal one stops the daemon, a transient one makes the processing loop start
//! over from the stored offsets (see `app::run`); either way the input's offset was never
//! stored. A dead letter too large to re-produce goes out as a bounded stub.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::future_producer::OwnedDeliveryResult;
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer};
use rdkafka::ClientContext;

use crate::engine::events::Reject;
use crate::engine::workitem::WorkItem;

use super::settings::DaemonSettings;
use super::shared::Shared;

/// The producer's context: counts client errors by code and tracks producer health for
/// `/readyz` (librdkafka keeps retrying; only a fatal error or all brokers down is unhealthy).
pub struct SinkContext {
    shared: Arc<Shared>,
}

impl ClientContext for SinkContext {
    fn error(&self, error: KafkaError, reason: &str) {
        let code = error.rdkafka_error_code();
        self.shared
            .metrics
            .producer_error(code.map_or("unknown", error_code_name));
        let down = matches!(
            code,
            Some(RDKafkaErrorCode::AllBrokersDown | RDKafkaErrorCode::Fatal)
        );
        if down {
            self.shared.set_producer_healthy(false);
        }
        tracing::warn!(error = %error, reason, unhealthy = down, "kafka producer error; librdkafka retries");
    }

    fn stats(&self, _: rdkafka::statistics::Statistics) {}
}

/// A stable, bounded label for an error code (`AllBrokersDown` → `all_brokers_down`).
pub fn error_code_name(code: RDKafkaErrorCode) -> &'static str {
    use RDKafkaErrorCode as C;
    match code {
        C::AllBrokersDown => "all_brokers_down",
        C::BrokerTransportFailure => "transport",
        C::MessageTimedOut => "message_timed_out",
        C::QueueFull => "queue_full",
        C::MessageSizeTooLarge => "message_too_large",
        C::UnknownTopicOrPartition | C::UnknownTopic | C::UnknownPartition => "unknown_topic",
        C::TopicAuthorizationFailed | C::ClusterAuthorizationFailed => "authorization",
        C::Authentication | C::SaslAuthenticationFailed => "authentication",
        C::Fatal => "fatal",
        C::NotLeaderForPartition | C::LeaderNotAvailable => "leader_unavailable",
        C::RequestTimedOut => "request_timed_out",
        C::OutOfOrderSequenceNumber | C::DuplicateSequenceNumber => "sequence",
        C::Resolve => "resolve",
        _ => "other",
    }
}

/// Where a rejected record came from.
pub struct Source<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
}

pub struct Sink {
    producer: FutureProducer<SinkContext>,
    shared: Arc<Shared>,
    work_items: String,
    decisions: String,
    changelog: String,
    dead_letter: String,
    /// The producer's `message.max.bytes`: a larger dead letter is sent as a stub.
    max_message: usize,
}

/// librdkafka's default `message.max.bytes`.
const DEFAULT_MAX_MESSAGE: usize = 1_000_000;
/// Room kept under `message.max.bytes` for the record's framing and headers.
const FRAMING: usize = 16 * 1024;
/// How much of an oversize record's value its dead-letter stub keeps.
pub const STUB_BYTES: usize = 64 * 1024;

/// A produced record whose delivery failed.
#[derive(Debug, thiserror::Error)]
#[error("delivery to {topic} failed: {source}")]
pub struct DeliveryError {
    pub topic: String,
    pub source: KafkaError,
}

impl Sink {
    pub fn new(settings: &DaemonSettings, shared: Arc<Shared>) -> Result<Sink, KafkaError> {
        let config = settings.producer_config();
        let max_message = config
            .get("message.max.bytes")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(DEFAULT_MAX_MESSAGE);
        Ok(Sink {
            max_message,
            producer: config
                .create_with_context(SinkContext {
                    shared: shared.clone(),
                })
                .map_err(super::sensitive::mask_config_error)?,
            shared,
            work_items: settings.kafka.work_items_topic.clone(),
            decisions: settings.kafka.decisions_topic.clone(),
            changelog: settings.kafka.changelog_topic.clone(),
            dead_letter: settings.kafka.dead_letter_topic.clone(),
        })
    }

    /// Enqueues one record, waiting while the local queue is full.
    async fn send(
        &self,
        mut record: FutureRecord<'_, [u8], [u8]>,
    ) -> Result<DeliveryFuture, DeliveryError> {
        loop {
            match self.producer.send_result(record) {
                Ok(f) => return Ok(f),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    record = r;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Err((source, r)) => {
                    self.shared.metrics.producer_error(
                        source
                            .rdkafka_error_code()
                            .map_or("unknown", error_code_name),
                    );
                    return Err(DeliveryError {
                        topic: r.topic.to_string(),
                        source,
                    });
                }
            }
        }
    }

    /// A changed work item, keyed by account.
    pub async fn work_item(&self, item: &WorkItem) -> Result<DeliveryFuture, DeliveryError> {
        let (key, payload) = Sink::item_record(item);
        self.send(
            FutureRecord::to(&self.work_items)
                .key(key.as_bytes())
                .payload(&payload[..]),
        )
        .await
    }

    /// A work item's decision record (its JSON), keyed by account: sent right after its item.
    pub async fn decision(
        &self,
        account_id: &str,
        json: &[u8],
    ) -> Result<DeliveryFuture, DeliveryError> {
        self.send(
            FutureRecord::to(&self.decisions)
                .key(account_id.as_bytes())
                .payload(json),
        )
        .await
    }

    /// An account's state, to the changelog partition numbered like its input partition.
    pub async fn changelog(
        &self,
        account_id: &str,
        partition: i32,
        value: &[u8],
    ) -> Result<DeliveryFuture, DeliveryError> {
        self.send(
            FutureRecord::to(&self.changelog)
                .key(account_id.as_bytes())
                .partition(partition)
                .payload(value),
        )
        .await
    }

    /// A tombstone for an account's state (a null value): compaction removes the account from the
    /// changelog, and a restore skips it.
    pub async fn changelog_tombstone(
        &self,
        account_id: &str,
        partition: i32,
    ) -> Result<DeliveryFuture, DeliveryError> {
        self.send(
            FutureRecord::<[u8], [u8]>::to(&self.changelog)
                .key(account_id.as_bytes())
                .partition(partition),
        )
        .await
    }

    /// A rejected record, unchanged, with the contract's headers; one too large to re-produce
    /// (over `message.max.bytes` with its framing, or refused as too large when enqueued) as a
    /// stub: its first [`STUB_BYTES`] bytes, the same headers and `arrears-truncated` (its size).
    pub async fn dead_letter(
        &self,
        key: Option<&[u8]>,
        payload: Option<&[u8]>,
        reject: &Reject,
        from: &Source<'_>,
    ) -> Result<DeliveryFuture, DeliveryError> {
        let size = key.map_or(0, <[u8]>::len) + payload.map_or(0, <[u8]>::len);
        if size + FRAMING <= self.max_message {
            match self.dead_letter_as(key, payload, reject, from, None).await {
                Err(e)
                    if e.source.rdkafka_error_code()
                        == Some(RDKafkaErrorCode::MessageSizeTooLarge) => {}
                sent => return sent,
            }
        }
        let total = payload.map_or(0, <[u8]>::len);
        tracing::warn!(
            topic = from.topic,
            partition = from.partition,
            offset = from.offset,
            bytes = total,
            "record too large to dead-letter whole; sending a truncated stub"
        );
        let stub = payload.map(|p| &p[..p.len().min(STUB_BYTES)]);
        let key = key.map(|k| &k[..k.len().min(STUB_BYTES)]);
        self.dead_letter_as(key, stub, reject, from, Some(total))
            .await
    }

    async fn dead_letter_as(
        &self,
        key: Option<&[u8]>,
        payload: Option<&[u8]>,
        reject: &Reject,
        from: &Source<'_>,
        truncated_from: Option<usize>,
    ) -> Result<DeliveryFuture, DeliveryError> {
        let source = format!("{}/{}/{}", from.topic, from.partition, from.offset);
        let mut headers = OwnedHeaders::new_with_capacity(4)
            .insert(Header {
                key: "arrears-error",
                value: Some(reject.reason.as_str()),
            })
            .insert(Header {
                key: "arrears-detail",
                value: Some(reject.detail.as_str()),
            })
            .insert(Header {
                key: "arrears-source",
                value: Some(source.as_str()),
            });
        if let Some(n) = truncated_from {
            headers = headers.insert(Header {
                key: "arrears-truncated",
                value: Some(n.to_string().as_str()),
            });
        }
        let mut record = FutureRecord::<[u8], [u8]>::to(&self.dead_letter).headers(headers);
        if let Some(k) = key {
            record = record.key(k);
        }
        if let Some(p) = payload {
            record = record.payload(p);
        }
        self.send(record).await
    }

    /// The work-item topic.
    pub fn work_items_topic(&self) -> &str {
        &self.work_items
    }

    /// The audit topic of decision records.
    pub fn decisions_topic(&self) -> &str {
        &self.decisions
    }

    /// A work item as it goes on the topic: its key (the account) and JSON value.
    pub fn item_record(item: &WorkItem) -> (String, Vec<u8>) {
        let payload = serde_json::to_vec(item).expect("work items serialize");
        (item.account_id.clone(), payload)
    }

    /// The producer (cheap to clone: the same client).
    pub fn producer(&self) -> &FutureProducer<SinkContext> {
        &self.producer
    }

    /// Waits until every queued record is delivered or `timeout` passes.
    pub fn flush(&self, timeout: Duration) -> Result<(), KafkaError> {
        self.producer.flush(timeout)
    }
}

/// The outcome of a resolved delivery future.
pub fn delivered<E>(
    topic_hint: &str,
    result: Result<OwnedDeliveryResult, E>,
) -> Result<(), DeliveryError> {
    match result {
        Ok(Ok(_)) => Ok(()),
        Ok(Err((source, _))) => Err(DeliveryError {
            topic: topic_hint.to_string(),
            source,
        }),
        Err(_) => Err(DeliveryError {
            topic: topic_hint.to_string(),
            source: KafkaError::Canceled,
        }),
    }
}
