//! The options of `arrears bench`: [`BenchArgs`], and the Kafka measurement's own
//! ([`KafkaBenchArgs`], [`Phase`]) that it flattens in. A leaf, so the replay bench and the Kafka
//! bench can both read them.

use std::path::PathBuf;

use serde::Serialize;

#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// Events to generate (approximately; the simulator runs whole days).
    #[arg(long, default_value_t = 1_000_000)]
    pub events: u64,
    /// Simulate exactly this many accounts instead of about `--events` events.
    #[arg(long, conflicts_with = "events")]
    pub accounts: Option<usize>,
    /// Measure this event file (JSONL) instead of simulating one.
    #[arg(long, conflicts_with_all = ["accounts", "keep"])]
    pub input: Option<PathBuf>,
    /// Run the grid instead: each `ACCOUNTSxDAYS` cell simulated and measured in turn (e.g.
    /// `10000x30,10000x365,100000x30,100000x365,1000000x30,1000000x365`), with a table, and
    /// `--chart` / `--json` of every cell.
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["input", "keep", "accounts"])]
    pub matrix: Vec<String>,
    /// With --matrix: draw the events/s of every cell against its anchor into this PNG.
    #[arg(long, requires = "matrix")]
    pub chart: Option<PathBuf>,
    /// Skip the stage pass (per-stage shares), which takes about twice the replay's time.
    #[arg(long)]
    pub no_stages: bool,
    /// Days of portfolio history to simulate.
    #[arg(long, default_value_t = 60)]
    pub days: u32,
    /// Seed for the generated portfolio.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Keep the generated event file here (a temporary file otherwise).
    #[arg(long)]
    pub keep: Option<PathBuf>,
    /// Measure the daemon through the embedded Kafka broker instead: throughput, latency at a
    /// steady rate, and changelog restore.
    #[arg(long)]
    pub kafka: bool,
    #[command(flatten)]
    pub kafka_args: KafkaBenchArgs,
}

/// The measurements `--phases` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Throughput,
    /// The Python peer (`benches/peer`) on the throughput phase's events.
    Peer,
    Latency,
    Restore,
}

/// `arrears bench --kafka` options (besides `--events`, `--days` and `--seed`).
#[derive(clap::Args, Debug, Clone)]
pub struct KafkaBenchArgs {
    /// With --kafka: partitions of every topic of the embedded broker.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(i32).range(1..=64))]
    pub partitions: i32,
    /// With --kafka: events per second produced during the latency measurement.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub rate: u32,
    /// With --kafka: seconds of steady production in the latency measurement.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub seconds: u64,
    /// With --kafka: the daemon's `fetch.wait.max.ms` in the latency measurement (librdkafka's
    /// default: 500). The mock broker holds a fetch that finds nothing for this long even when
    /// records arrive meanwhile (a real broker answers as soon as they do), so with the default
    /// most of the measured latency would be that wait.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(0..=10_000))]
    pub fetch_wait_ms: u32,
    /// With --kafka: changelog records (distinct accounts) written, then restored.
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub restore_accounts: u64,
    /// With --kafka: the daemon's producer compression (`kafka.compression`: none, gzip, snappy,
    /// lz4 or zstd; the daemon's default when absent).
    #[arg(long)]
    pub compression: Option<String>,
    /// With --kafka: the measurements to run, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Phase::Throughput, Phase::Peer, Phase::Latency, Phase::Restore])]
    pub phases: Vec<Phase>,
    /// Print a JSON summary on stdout (the human-readable numbers go to stderr).
    #[arg(long)]
    pub json: bool,
}
