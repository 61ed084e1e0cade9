//! What every phase of the Kafka benchmark needs ([`Params`]), taken from the command line.

use serde::Serialize;

use crate::tools::bench::args::{BenchArgs, KafkaBenchArgs};

/// What every phase needs.
#[derive(Debug, Clone, Serialize)]
pub struct Params {
    /// Events produced in the throughput measurement.
    pub events: u64,
    /// Days of portfolio history the simulator runs (the stream is cut at the event count).
    pub days: u32,
    pub seed: u64,
    pub partitions: i32,
    /// Latency measurement: events per second and seconds.
    pub rate: u32,
    pub seconds: u64,
    /// Latency measurement: the daemon's (and the item reader's) `fetch.wait.max.ms`.
    pub fetch_wait_ms: u32,
    /// Restore measurement: changelog records (distinct accounts).
    pub restore_accounts: u64,
    /// The daemon's producer compression (None: its default, `kafka.compression`).
    pub compression: Option<String>,
    /// Progress bar (or progress lines) on stderr.
    #[serde(skip)]
    pub progress: bool,
}

impl Params {
    /// The most input events unread at once: the mock broker deletes the oldest batches beyond
    /// 5 MiB per partition.
    pub fn backlog(&self) -> u64 {
        20_000 * self.partitions as u64
    }

    /// Changelog records written and restored per wave, for the same reason.
    pub fn restore_wave(&self) -> u64 {
        4_000 * self.partitions as u64
    }

    pub fn new(bench: &BenchArgs, k: &KafkaBenchArgs) -> Params {
        Params {
            events: bench.events,
            days: bench.days,
            seed: bench.seed,
            partitions: k.partitions,
            rate: k.rate,
            seconds: k.seconds,
            fetch_wait_ms: k.fetch_wait_ms,
            restore_accounts: k.restore_accounts,
            compression: k.compression.clone(),
            progress: true,
        }
    }
}
