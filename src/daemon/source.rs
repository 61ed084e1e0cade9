//! The input edge: the group consumer of the co-partitioned input topics, its rebalance
//! callbacks, and the start-up co-partitioning check.
//!
//! Rebalances are eager, with the `range` assignor: it gives one member the same partition
//! number of every input topic, which co-partitioned state needs (the cooperative-sticky
//! assignor balances each topic on its own and gives no such guarantee). On revocation the
//! in-flight work is finished first (the producer is flushed, the offsets of every input whose
//! outputs are now acknowledged are stored) and committed synchronously before the partitions
//! go; assignments and revocations are then queued as partition numbers for the processing loop,
//! which restores or drops the accounts before it handles the next message.
//!
//! The context also turns librdkafka's statistics into the consumer-lag gauges.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;
use rdkafka::statistics::Statistics;
use rdkafka::ClientContext;

use super::in_flight::InFlight;
use super::shared::Shared;

/// A change of the partitions this instance owns, by partition number (the same number in every
/// input topic and in the changelog).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ownership {
    Assigned(BTreeSet<i32>),
    Revoked(BTreeSet<i32>),
}

/// The consumer context: finishes in-flight work and commits on revocation, records ownership
/// changes, reports consumer lag.
pub struct SourceContext {
    events: Mutex<Vec<Ownership>>,
    changed: tokio::sync::Notify,
    shared: Arc<Shared>,
    in_flight: Arc<InFlight>,
}

impl SourceContext {
    pub fn new(shared: Arc<Shared>, in_flight: Arc<InFlight>) -> SourceContext {
        SourceContext {
            events: Mutex::new(Vec::new()),
            changed: tokio::sync::Notify::new(),
            shared,
            in_flight,
        }
    }

    /// The ownership changes since the last call, in order.
    pub fn take_events(&self) -> Vec<Ownership> {
        std::mem::take(&mut *self.events.lock().expect("not poisoned"))
    }

    /// Completes once an ownership change was recorded (since the last completion): a rebalance
    /// served while no message arrives must still be handled.
    pub async fn changed(&self) {
        self.changed.notified().await;
    }

    fn push(&self, ev: Ownership) {
        self.events.lock().expect("not poisoned").push(ev);
        self.changed.notify_one();
    }
}

impl ClientContext for SourceContext {
    fn stats(&self, statistics: Statistics) {
        // An idle consumer fetches nothing to show it is back: a statistics report with a broker
        // up is taken as the end of a consumer error's back-off for readiness.
        let up = statistics
            .brokers
            .values()
            .any(|b| b.nodeid >= 0 && b.state == "UP");
        if up && !self.shared.is_consuming() {
            self.shared.set_consuming(true);
        }
        let lag = &self.shared.metrics.consumer_lag;
        for (topic, t) in &statistics.topics {
            for (p, part) in &t.partitions {
                // Partition -1 is librdkafka's internal unassigned queue; -1 lag is unknown.
                if *p >= 0 && part.consumer_lag >= 0 {
                    lag.with_label_values(&[topic.as_str(), &p.to_string()])
                        .set(part.consumer_lag);
                }
            }
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::warn!(error = %error, reason, "kafka consumer error; librdkafka retries");
    }
}

impl ConsumerContext for SourceContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(tpl) = rebalance {
            self.shared.metrics.rebalance("revoke");
            // Finish the in-flight work, then hand over what is acknowledged. Anything that
            // still fails to settle is re-processed by the next owner (and skipped there if its
            // changelog write landed).
            tracing::info!(
                pending = self.in_flight.len(),
                "revocation: finishing in-flight work"
            );
            let stored = self.in_flight.finish(consumer);
            tracing::info!(inputs = stored, "in-flight work finished before revocation");
            for e in tpl.elements() {
                let _ = self
                    .shared
                    .metrics
                    .consumer_lag
                    .remove_label_values(&[e.topic(), &e.partition().to_string()]);
            }
            if let Err(e) = consumer.commit_consumer_state(CommitMode::Sync) {
                if !matches!(
                    e,
                    KafkaError::ConsumerCommit(rdkafka::types::RDKafkaErrorCode::NoOffset)
                ) {
                    tracing::warn!(error = %e, "commit on revocation failed");
                }
            }
            let parts: BTreeSet<i32> = tpl.elements().iter().map(|e| e.partition()).collect();
            tracing::info!(partitions = ?parts, "partitions revoked");
            self.push(Ownership::Revoked(parts));
        }
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(tpl) => {
                self.shared.metrics.rebalance("assign");
                let parts: BTreeSet<i32> = tpl.elements().iter().map(|e| e.partition()).collect();
                tracing::info!(partitions = ?parts, "partitions assigned");
                self.push(Ownership::Assigned(parts));
            }
            Rebalance::Error(e) => tracing::warn!(error = %e, "rebalance error"),
            Rebalance::Revoke(_) => {}
        }
    }
}

/// Why the inputs cannot be consumed.
#[derive(Debug, thiserror::Error)]
pub enum TopologyError {
    #[error("cannot read metadata of topic {topic}: {source}")]
    Metadata { topic: String, source: KafkaError },
    #[error("topic {topic} does not exist")]
    Missing { topic: String },
    #[error("topics are not co-partitioned: {}; every input topic and the changelog must have the same partition count", counts.iter().map(|(t, n)| format!("{t} has {n}")).collect::<Vec<_>>().join(", "))]
    NotCoPartitioned { counts: Vec<(String, usize)> },
}

/// Checks that `topics` exist and have the same number of partitions; returns that number.
pub fn check_co_partitioned<C: ConsumerContext>(
    consumer: &impl Consumer<C>,
    topics: &[&str],
    timeout: Duration,
) -> Result<usize, TopologyError> {
    let mut counts = Vec::with_capacity(topics.len());
    for &topic in topics {
        let md = consumer
            .fetch_metadata(Some(topic), timeout)
            .map_err(|source| TopologyError::Metadata {
                topic: topic.to_string(),
                source,
            })?;
        let t = md
            .topics()
            .iter()
            .find(|t| t.name() == topic)
            .filter(|t| t.error().is_none() && !t.partitions().is_empty())
            .ok_or_else(|| TopologyError::Missing {
                topic: topic.to_string(),
            })?;
        counts.push((topic.to_string(), t.partitions().len()));
    }
    let first = counts.first().map_or(0, |c| c.1);
    if counts.iter().all(|c| c.1 == first) {
        Ok(first)
    } else {
        Err(TopologyError::NotCoPartitioned { counts })
    }
}
