//! `arrears bench --kafka`: measures the daemon through the embedded broker (librdkafka's mock
//! cluster, in this process) and prints the numbers. A program to run on purpose: it never
//! asserts a timing.
//!
//! Four measurements, each a function with its own broker(s):
//! - [`throughput()`]: N simulated events produced into the input topics, drained by a plain
//!   consumer doing no processing, then consumed by the daemon from the beginning until the
//!   group's committed offsets reach the high watermarks (all outputs acknowledged);
//! - [`peer()`]: the same events read by the same job written in Python with confluent-kafka and
//!   scikit-learn (`benches/peer`), fed the same way as the daemon;
//! - [`latency()`]: events produced at a steady rate while the daemon runs; event-to-work-item
//!   latency for the events that changed an item (the item's `as_of` equals the event's
//!   `occurred_at`);
//! - [`restore()`]: changelog records of distinct, realistic accounts written, then read back and
//!   restored as a newly assigned daemon does; seconds, accounts/s and the process RSS.
//!
//! The broker runs inside this process: RSS includes its copy of every topic, and it competes
//! with the daemon for the same cores. It also keeps at most 5 MiB per partition (older batches
//! are deleted), so inputs are kept at most [`Params::backlog`] events ahead of their reader and
//! the changelog goes through in waves of [`Params::restore_wave`] records; every phase checks
//! that nothing unread was deleted (the daemon runs by the pipeline counters they print).
//!
//! This file holds the command ([`run`]) and its JSON [`Report`]; each phase is a module of its
//! own (`throughput`, `peer`, `latency`, `restore`), on the shared leaves `params`, `harness` (daemon
//! handle, group watch, clients), `producer` (simulated events and their producer) and `meter`.

mod harness;
mod latency;
mod meter;
mod params;
mod peer;
mod producer;
mod restore;
mod throughput;

use std::io::Write;

use serde::Serialize;

pub use self::latency::{latency, Latency};
pub use self::params::Params;
pub use self::peer::{peer, Peer};
pub use self::restore::{restore, Restore};
pub use self::throughput::{throughput, Throughput};
use super::args::BenchArgs;
pub use super::args::{KafkaBenchArgs, Phase};

/// Everything `arrears bench --kafka --json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub params: Params,
    pub throughput: Option<Throughput>,
    pub peer: Option<Peer>,
    /// daemon events/s ÷ peer events/s, when both ran.
    pub daemon_over_peer: Option<f64>,
    pub latency: Option<Latency>,
    pub restore: Option<Restore>,
}

/// `arrears bench --kafka`: runs the selected phases and prints their numbers.
pub fn run(bench: &BenchArgs, k: &KafkaBenchArgs) -> anyhow::Result<()> {
    let p = Params::new(bench, k);
    let mut report = Report {
        params: p.clone(),
        throughput: None,
        peer: None,
        daemon_over_peer: None,
        latency: None,
        restore: None,
    };
    let mut out: Box<dyn Write> = if k.json {
        Box::new(std::io::stderr())
    } else {
        Box::new(std::io::stdout())
    };
    for phase in [
        Phase::Throughput,
        Phase::Peer,
        Phase::Latency,
        Phase::Restore,
    ] {
        if !k.phases.contains(&phase) {
            continue;
        }
        match phase {
            Phase::Throughput => {
                let t = throughput(&p)?;
                write!(out, "{}", t.text())?;
                report.throughput = Some(t);
            }
            Phase::Peer => {
                let r = peer(&p)?;
                write!(out, "{}", r.text())?;
                if let Some(t) = &report.throughput {
                    let ratio = t.daemon_events_per_sec / r.events_per_sec;
                    writeln!(
                        out,
                        "  daemon / peer       {ratio:.3}  (plain consumer / peer {:.3})",
                        t.plain_events_per_sec / r.events_per_sec
                    )?;
                    report.daemon_over_peer = Some(ratio);
                }
                report.peer = Some(r);
            }
            Phase::Latency => {
                let l = latency(&p)?;
                write!(out, "{}", l.text())?;
                report.latency = Some(l);
            }
            Phase::Restore => {
                let r = restore(&p)?;
                write!(out, "{}", r.text())?;
                report.restore = Some(r);
            }
        }
        out.flush()?;
    }
    if k.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(())
}
