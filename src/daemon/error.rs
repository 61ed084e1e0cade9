//! What stops the daemon: every fatal error of the edge, named for what failed.

use rdkafka::error::KafkaError;

use super::changelog;
use super::fault::{self, Class};
use super::sink;
use super::source;

/// What stopped the daemon.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    #[error(transparent)]
    Topology(#[from] source::TopologyError),
    #[error(transparent)]
    Delivery(#[from] sink::DeliveryError),
    #[error(transparent)]
    Restore(#[from] changelog::RestoreError),
    #[error("changelog partition {partition} holds an unreadable record: {source}")]
    CorruptChangelog {
        partition: i32,
        source: crate::engine::pipeline::snapshot::SnapshotError,
    },
    #[error("fatal kafka error while {what} (not retried): {source}")]
    FatalKafka {
        what: &'static str,
        source: KafkaError,
    },
    #[error("a daemon task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("http server on {addr}: {source}")]
    Http {
        addr: String,
        source: std::io::Error,
    },
}

impl DaemonError {
    /// A failed delivery that retrying can cure (timed out, all brokers down, queue full): the
    /// processing loop starts over from the last stored offsets instead of exiting.
    pub fn is_transient_delivery(&self) -> bool {
        matches!(self, DaemonError::Delivery(d) if fault::classify(&d.source) == Class::Transient)
    }
}
