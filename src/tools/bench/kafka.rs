//! `arrears bench --kafka`: measures the daemon through the embedded broker (librdkafka's mock
//! cluster, in this process) and prints the numbers. A program to run on purpose: it never
//! asserts a timing.
//!
//! Three measurements, each a function with its own broker(s):
//! - [`throughput`]: N simulated events produced into the input topics, drained by a plain
//!   consumer doing no processing, then consumed by the daemon from the beginning until the
//!   group's committed offsets reach the high watermarks (all outputs acknowledged);
//! - [`latency`]: events produced at a steady rate while the daemon runs; event-to-work-item
//!   latency for the events that changed an item (the item's `as_of` equals the event's
//!   `occurred_at`);
//! - [`restore`]: changelog records of distinct, realistic accounts written, then read back and
//!   restored as a newly assigned daemon does; seconds, accounts/s and the process RSS.
//!
//! The broker runs inside this process: RSS includes its copy of every topic, and it competes
//! with the daemon for the same cores. It also keeps at most 5 MiB per partition (older batches
//! are deleted), so inputs are kept at most [`Params::backlog`] events ahead of their reader and
//! the changelog goes through in waves of [`Params::restore_wave`] records; every phase checks
//! that nothing unread was deleted (the daemon runs by the pipeline counters they print).

use crate::daemon::topics::{BILLING, CHANGELOG, CONTACTS, WORK_ITEMS};
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use jiff::Timestamp;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use serde::{Deserialize, Serialize};

use crate::daemon::{app, changelog, DaemonError, DaemonSettings, Shared, WallClock};
use crate::engine::pipeline::Pipeline;
use crate::engine::scoring::Scorer;
use crate::engine::settings::Settings;
use crate::tools::broker::{EmbeddedBroker, DEFAULT_TOPICS};
use crate::tools::sim::{HouseDialer, SimConfig, World};

/// Longest a phase waits without any progress before giving up.
const STALL: Duration = Duration::from_secs(180);
/// How long the restore phase lets `changelog::read_partitions` run (the daemon's default is
/// `restore_timeout_ms` = 60 s).
const RESTORE_TIMEOUT_MS: u64 = 30 * 60 * 1000;

/// The measurements `--phases` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Throughput,
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
    /// With --kafka: the measurements to run, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Phase::Throughput, Phase::Latency, Phase::Restore])]
    pub phases: Vec<Phase>,
    /// With --kafka: print a JSON summary on stdout (the human-readable numbers go to stderr).
    #[arg(long)]
    pub json: bool,
}

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

    pub fn new(bench: &crate::tools::bench::BenchArgs, k: &KafkaBenchArgs) -> Params {
        Params {
            events: bench.events,
            days: bench.days,
            seed: bench.seed,
            partitions: k.partitions,
            rate: k.rate,
            seconds: k.seconds,
            fetch_wait_ms: k.fetch_wait_ms,
            restore_accounts: k.restore_accounts,
            progress: true,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reports

/// Throughput: the same events drained by a plain consumer and consumed by the daemon.
#[derive(Debug, Clone, Serialize)]
pub struct Throughput {
    pub partitions: i32,
    /// Events produced (billing + contacts).
    pub events: u64,
    pub billing_events: u64,
    pub contacts_events: u64,
    /// Simulating them (not timed further).
    pub simulate_secs: f64,
    /// The most events in the input topics unread at once (the mock broker's size limit).
    pub backlog: u64,
    /// Records the plain consumer read, and how fast.
    pub plain_events: u64,
    pub plain_secs: f64,
    pub plain_events_per_sec: f64,
    /// From the daemon's start to its partitions being assigned and restored (group join).
    pub daemon_startup_secs: f64,
    /// From ready to the group's committed offsets reaching the high watermarks.
    pub daemon_secs: f64,
    pub daemon_events_per_sec: f64,
    /// Including the startup.
    pub daemon_events_per_sec_with_startup: f64,
    /// Checks (every few ms) that found the daemon had committed everything acknowledged while
    /// events were still to be sent: it may have waited for input (0: it never did).
    pub daemon_caught_up: u64,
    /// daemon_events_per_sec / plain_events_per_sec.
    pub ratio: f64,
    /// The daemon's pipeline counters at the end.
    pub applied: u64,
    pub duplicates: u64,
    pub rejected: u64,
    /// Rejects by reason code (events of one account on two topics may be applied out of
    /// order, e.g. a payment reversal before its payment).
    pub rejected_by_reason: std::collections::BTreeMap<String, u64>,
    pub items_changed: u64,
    /// Records the daemon wrote that the broker still holds (it keeps 5 MiB per partition).
    pub work_item_records: i64,
    pub changelog_records: i64,
}

/// Latency: event produced → its work item consumed, at a steady rate.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub partitions: i32,
    pub target_rate: u32,
    pub seconds: u64,
    /// The daemon's and the reader's `fetch.wait.max.ms`.
    pub fetch_wait_ms: u32,
    /// Events sent in the steady window, and the rate achieved.
    pub sent: u64,
    pub send_secs: f64,
    pub achieved_rate: f64,
    /// Sends that found the producer queue full (backpressure) and were retried.
    pub queue_full_retries: u64,
    /// Events sent before the window, until the daemon was assigned its partitions.
    pub warmup_events: u64,
    /// Events whose (account, occurred_at) some work item's `as_of` matched: the latencies.
    pub measured: u64,
    /// Events sharing (account, occurred_at) with an earlier event (their first send counts).
    pub shared_keys: u64,
    /// Seconds from the end of production until the daemon had committed every input.
    pub drain_secs: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
    /// The daemon's pipeline counters at the end (warm-up included).
    pub applied: u64,
    pub items_changed: u64,
}

/// Restore: changelog records read back and restored.
#[derive(Debug, Clone, Serialize)]
pub struct Restore {
    pub partitions: i32,
    /// Records written (distinct accounts) and the distinct snapshots they were copied from.
    pub written: u64,
    /// Waves of records (one broker, one `read_partitions` each).
    pub waves: u64,
    pub templates: usize,
    pub mean_record_bytes: f64,
    pub write_secs: f64,
    /// `changelog::read_partitions` of every partition.
    pub read_secs: f64,
    /// decode + `Pipeline::restore` of every record.
    pub apply_secs: f64,
    pub total_secs: f64,
    pub accounts_per_sec: f64,
    /// Accounts in the pipeline afterwards.
    pub restored: u64,
    /// Process memory (the in-process broker's copy of the changelog included), KiB.
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
    pub hwm_after_kib: u64,
}

/// Everything `arrears bench --kafka --json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub params: Params,
    pub throughput: Option<Throughput>,
    pub latency: Option<Latency>,
    pub restore: Option<Restore>,
}

// ---------------------------------------------------------------------------------------------
// The command

/// `arrears bench --kafka`: runs the selected phases and prints their numbers.
pub fn run(bench: &crate::tools::bench::BenchArgs, k: &KafkaBenchArgs) -> anyhow::Result<()> {
    let p = Params::new(bench, k);
    let mut report = Report {
        params: p.clone(),
        throughput: None,
        latency: None,
        restore: None,
    };
    let mut out: Box<dyn Write> = if k.json {
        Box::new(std::io::stderr())
    } else {
        Box::new(std::io::stdout())
    };
    for phase in [Phase::Throughput, Phase::Latency, Phase::Restore] {
        if !k.phases.contains(&phase) {
            continue;
        }
        match phase {
            Phase::Throughput => {
                let t = throughput(&p)?;
                write!(out, "{}", t.text())?;
                report.throughput = Some(t);
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

impl Throughput {
    pub fn text(&self) -> String {
        format!(
            "\nthroughput ({} partitions, embedded broker in this process)\n\
             \x20 events              {} (billing {}, contacts {}; simulated in {:.1} s; at most {} unread at once)\n\
             \x20 plain consumer      {:>10.0} events/s  ({} events in {:.2} s from its first record, no processing)\n\
             \x20 daemon              {:>10.0} events/s  ({:.2} s from ready to committed offsets at the high watermarks)\n\
             \x20 daemon with startup {:>10.0} events/s  (group join and restore {:.2} s)\n\
             \x20 daemon input waits  {} (checks that found it caught up with the producer)\n\
             \x20 daemon / plain      {:.3}\n\
             \x20 pipeline            applied {}, duplicates {}, rejected {} {:?}, items changed {}\n\
             \x20 topics retain       {} work-item records, {} changelog records (the broker keeps 5 MiB per partition)\n",
            self.partitions,
            self.events,
            self.billing_events,
            self.contacts_events,
            self.simulate_secs,
            self.backlog,
            self.plain_events_per_sec,
            self.plain_events,
            self.plain_secs,
            self.daemon_events_per_sec,
            self.daemon_secs,
            self.daemon_events_per_sec_with_startup,
            self.daemon_startup_secs,
            self.daemon_caught_up,
            self.ratio,
            self.applied,
            self.duplicates,
            self.rejected,
            self.rejected_by_reason,
            self.items_changed,
            self.work_item_records,
            self.changelog_records,
        )
    }
}

impl Latency {
    pub fn text(&self) -> String {
        format!(
            "\nlatency at a steady rate ({} partitions, fetch.wait.max.ms {}; event sent -> its work item consumed)\n\
             \x20 target              {} events/s for {} s (after {} warm-up events)\n\
             \x20 achieved            {:.0} events/s ({} events in {:.2} s; {} queue-full retries)\n\
             \x20 measured            {} of {} events: only events that changed a work item \
             (an item whose as_of equals the event's occurred_at)\n\
             \x20 p50 / p90 / p99     {:.2} / {:.2} / {:.2} ms\n\
             \x20 max / mean          {:.2} / {:.2} ms\n\
             \x20 drain after sending {:.2} s; pipeline applied {}, items changed {}\n",
            self.partitions,
            self.fetch_wait_ms,
            self.target_rate,
            self.seconds,
            self.warmup_events,
            self.achieved_rate,
            self.sent,
            self.send_secs,
            self.queue_full_retries,
            self.measured,
            self.sent,
            self.p50_ms,
            self.p90_ms,
            self.p99_ms,
            self.max_ms,
            self.mean_ms,
            self.drain_secs,
            self.applied,
            self.items_changed,
        )
    }
}

impl Restore {
    pub fn text(&self) -> String {
        let mib = |k: u64| k as f64 / 1024.0;
        format!(
            "\nrestore ({} changelog partitions)\n\
             \x20 written             {} records in {} waves ({} distinct snapshots re-keyed, {:.0} bytes each on average) in {:.1} s\n\
             \x20 read_partitions     {:.2} s\n\
             \x20 decode + restore    {:.2} s\n\
             \x20 total               {:.2} s  ({:.0} accounts/s, {} accounts restored)\n\
             \x20 RSS                 {:.0} MiB before the first read, {:.0} MiB after restore (peak {:.0} MiB; \
             the in-process broker's copy of the last wave included)\n",
            self.partitions,
            self.written,
            self.waves,
            self.templates,
            self.mean_record_bytes,
            self.write_secs,
            self.read_secs,
            self.apply_secs,
            self.total_secs,
            self.accounts_per_sec,
            self.restored,
            mib(self.rss_before_kib),
            mib(self.rss_after_kib),
            mib(self.hwm_after_kib),
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Phase 1: throughput

/// Produces `p.events` simulated events and measures (a) a plain consumer doing no processing and
/// (b) the daemon, from the beginning, until its group's committed offsets reach the end.
///
/// The mock broker keeps at most 5 MiB per partition (`max_size` in librdkafka's
/// `rdkafka_mock.c`) and deletes the oldest batches beyond it, so a million events never sit in
/// the input topics at once. The plain consumer reads them in rounds of [`Params::backlog`]
/// events (each produced first, then drained and timed from its first record); the daemon reads
/// one continuous stream whose producer keeps at most `backlog` events ahead of the group's
/// committed offsets.
pub fn throughput(p: &Params) -> anyhow::Result<Throughput> {
    let t0 = Instant::now();
    let mut events = Vec::with_capacity(p.events as usize);
    let mut meter = Meter::new("simulating events", p.events, p.progress);
    simulate(p.events, p.days, p.seed, |line| {
        events.push(route(line));
        if events.len() % 4096 == 0 {
            meter.set(events.len() as u64);
        }
        Ok(())
    })?;
    meter.set(events.len() as u64);
    meter.finish();
    let simulate_secs = t0.elapsed().as_secs_f64();
    let produced = events.len() as u64;
    let contacts = events.iter().filter(|r| r.topic == CONTACTS).count() as u64;
    let backlog = p.backlog() as usize;

    // (a) A plain consumer, no processing, round by round.
    let (plain_events, plain_secs) = {
        let broker = EmbeddedBroker::start(&DEFAULT_TOPICS, p.partitions)
            .context("cannot start the embedded broker")?;
        let bootstrap = broker.bootstrap().to_string();
        let producer = EventProducer::new(&bootstrap, "20")?;
        let consumer = plain_consumer(&bootstrap, p.partitions)?;
        let mut meter = Meter::new("plain consumer", produced, p.progress);
        let (mut read, mut secs) = (0u64, 0.0f64);
        for round in events.chunks(backlog) {
            for r in round {
                producer.send(r)?;
            }
            producer.flush()?;
            check_retained(
                &consumer,
                &[BILLING, CONTACTS],
                p.partitions,
                &consumer_next(&consumer)?,
            )?;
            let (n, s) = drain_plain(&consumer, round.len() as u64)?;
            read += n;
            secs += s;
            meter.set(read);
        }
        producer.finish(produced)?;
        meter.finish();
        drop(consumer);
        drop(producer);
        drop(broker);
        (read, secs)
    };

    // (b) The daemon, from the beginning, its own group, the producer a bounded backlog ahead.
    let broker = EmbeddedBroker::start(&DEFAULT_TOPICS, p.partitions)
        .context("cannot start the embedded broker")?;
    let bootstrap = broker.bootstrap().to_string();
    let group = "bench-throughput";
    let producer = EventProducer::new(&bootstrap, "20")?;
    let watch = GroupWatch::new(&bootstrap, group, &[BILLING, CONTACTS], p.partitions)?;
    let rt = runtime()?;
    let started = Instant::now();
    let mut daemon = Daemon::start(&rt, &bootstrap, group, None)?;
    let mut meter = Meter::new("daemon consuming", produced, p.progress);
    let (mut sent, mut ready_at, mut caught_up) = (0usize, None, 0u64);
    let mut last = (-1i64, Instant::now());
    let chunk = (backlog / 10).max(1);
    let done_at = loop {
        daemon.check(&rt)?;
        let committed = watch.committed()?.0;
        if ready_at.is_none() && daemon.shared.is_ready() {
            ready_at = Some(Instant::now());
        }
        if committed >= produced as i64 {
            break Instant::now();
        }
        let acked = producer.acks.acked.load(Ordering::Acquire) as i64;
        if ready_at.is_some() && sent < events.len() && committed >= acked {
            // The daemon had consumed everything acknowledged: it may have waited for input.
            caught_up += 1;
        }
        if sent < events.len() && (sent as i64 - committed) < backlog as i64 {
            let end = (sent + chunk).min(events.len());
            for r in &events[sent..end] {
                producer.send(r)?;
            }
            sent = end;
            if sent == events.len() {
                producer.finish(produced)?;
            }
            continue;
        }
        meter.set(committed.max(0) as u64);
        if committed != last.0 {
            last = (committed, Instant::now());
        } else if last.1.elapsed() > STALL {
            bail!(
                "the daemon made no progress for {STALL:?} ({committed} of {produced} committed)"
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    meter.set(produced);
    meter.finish();
    let stats = daemon.stop(&rt)?;
    let ready_at = ready_at.unwrap_or(started);
    let daemon_secs = done_at.duration_since(ready_at).as_secs_f64();
    let plain_rate = plain_events as f64 / plain_secs;
    let daemon_rate = produced as f64 / daemon_secs;
    let work_item_records = topic_records(&watch.consumer, WORK_ITEMS, p.partitions)?;
    let changelog_records = topic_records(&watch.consumer, CHANGELOG, p.partitions)?;
    drop(producer);
    drop(watch);
    drop(broker);
    Ok(Throughput {
        partitions: p.partitions,
        events: produced,
        billing_events: produced - contacts,
        contacts_events: contacts,
        simulate_secs,
        backlog: backlog as u64,
        plain_events,
        plain_secs,
        plain_events_per_sec: plain_rate,
        daemon_startup_secs: ready_at.duration_since(started).as_secs_f64(),
        daemon_secs,
        daemon_events_per_sec: daemon_rate,
        daemon_events_per_sec_with_startup: produced as f64
            / done_at.duration_since(started).as_secs_f64(),
        daemon_caught_up: caught_up,
        ratio: daemon_rate / plain_rate,
        applied: stats.applied,
        duplicates: stats.duplicates,
        rejected: stats.rejected.iter().sum(),
        rejected_by_reason: rejects_by_reason(&stats),
        items_changed: stats.items_changed,
        work_item_records,
        changelog_records,
    })
}

/// A plain consumer of both input topics from the beginning, with the daemon's prefetch bound.
fn plain_consumer(bootstrap: &str, partitions: i32) -> anyhow::Result<BaseConsumer> {
    let consumer: BaseConsumer = client(bootstrap)
        .set("group.id", "bench-plain")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false")
        .set(
            "queued.max.messages.kbytes",
            DaemonSettings::default()
                .kafka
                .queued_max_messages_kbytes
                .to_string(),
        )
        .create()
        .context("cannot create the plain consumer")?;
    assign_all(&consumer, &[BILLING, CONTACTS], partitions)?;
    Ok(consumer)
}

/// The next offset the consumer will read, per (topic, partition) (0 before any record).
fn consumer_next(consumer: &BaseConsumer) -> anyhow::Result<HashMap<(String, i32), i64>> {
    Ok(consumer
        .position()?
        .elements()
        .iter()
        .map(|e| {
            let at = match e.offset() {
                Offset::Offset(n) => n,
                _ => 0,
            };
            ((e.topic().to_string(), e.partition()), at)
        })
        .collect())
}

/// Fails if the broker already deleted records the consumer has not read (its size limit).
fn check_retained(
    consumer: &BaseConsumer,
    topics: &[&str],
    partitions: i32,
    next: &HashMap<(String, i32), i64>,
) -> anyhow::Result<()> {
    for t in topics {
        for p in 0..partitions {
            let (low, _) = consumer.fetch_watermarks(t, p, Duration::from_secs(10))?;
            let at = next.get(&(t.to_string(), p)).copied().unwrap_or(0);
            anyhow::ensure!(
                low <= at,
                "the embedded broker deleted unread records of {t} [{p}] (low watermark {low}, \
                 next to read {at}): it keeps at most 5 MiB per partition"
            );
        }
    }
    Ok(())
}

/// Reads `expected` more records (no processing beyond counting bytes); returns the count and
/// the seconds from the first record to the last (connection and first fetch excluded, like the
/// daemon's time, which starts once it is ready).
fn drain_plain(consumer: &BaseConsumer, expected: u64) -> anyhow::Result<(u64, f64)> {
    let mut first: Option<Instant> = None;
    let (mut count, mut bytes, mut last) = (0u64, 0u64, Instant::now());
    while count < expected {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                first.get_or_insert_with(Instant::now);
                count += 1;
                bytes += m.payload_len() as u64;
                last = Instant::now();
            }
            Some(Err(e)) => bail!("plain consumer: {e}"),
            None if last.elapsed() > STALL => {
                bail!("the plain consumer read nothing for {STALL:?} ({count} of {expected})")
            }
            None => {}
        }
    }
    let secs = first.map_or(0.0, |t| t.elapsed().as_secs_f64());
    tracing::debug!(bytes, "plain consumer round done");
    Ok((count, secs))
}

// ---------------------------------------------------------------------------------------------
// Phase 2: latency

/// The send instants of the events in flight, by (account, occurred_at in ns).
type SendTimes = HashMap<(String, i128), Instant>;

/// Runs a daemon, produces `rate × seconds` events at a steady rate, and measures the latency from
/// each send to the first work item whose `as_of` equals the event's `occurred_at`.
pub fn latency(p: &Params) -> anyhow::Result<Latency> {
    let planned = u64::from(p.rate) * p.seconds;
    // Warm-up events go first, slowly, until the daemon is assigned its partitions.
    let warmup_max = 200u64;
    let mut events = Vec::with_capacity((planned + warmup_max) as usize);
    let mut meter = Meter::new("simulating events", planned + warmup_max, p.progress);
    simulate(planned + warmup_max, p.days, p.seed, |line| {
        events.push(route(line));
        meter.set(events.len() as u64);
        Ok(())
    })?;
    meter.finish();

    let broker = EmbeddedBroker::start(&DEFAULT_TOPICS, p.partitions)
        .context("cannot start the embedded broker")?;
    let bootstrap = broker.bootstrap().to_string();
    let group = "bench-latency";
    let rt = runtime()?;
    let mut daemon = Daemon::start(&rt, &bootstrap, group, Some(p.fetch_wait_ms))?;
    let producer = EventProducer::new(&bootstrap, "1")?;

    // The work-item reader, from the beginning, on its own thread.
    let sent_at: Arc<Mutex<SendTimes>> = Arc::default();
    let reader = ItemReader::start(&bootstrap, p.partitions, p.fetch_wait_ms, sent_at.clone())?;

    // Warm-up: a trickle of the stream's first events until the daemon is ready and caught up.
    let mut next = 0usize;
    let warm_deadline = Instant::now() + STALL;
    while !daemon.shared.is_ready() {
        daemon.check(&rt)?;
        if Instant::now() > warm_deadline {
            bail!("the daemon was not assigned its partitions within {STALL:?}");
        }
        if (next as u64) < warmup_max && next < events.len() {
            producer.send(&events[next])?;
            next += 1;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let warmup = next as u64;
    producer.flush()?;
    let mut watch = GroupWatch::new(&bootstrap, group, &[BILLING, CONTACTS], p.partitions)?;
    wait_committed(&rt, &mut daemon, &mut watch, None)?;

    // The steady window: event i is due at start + i / rate.
    let window: &[Routed] = &events[next..events.len().min(next + planned as usize)];
    let mut meter = Meter::new("steady production", window.len() as u64, p.progress);
    let rate = f64::from(p.rate);
    let (mut sent, mut shared_keys) = (0usize, 0u64);
    let started = Instant::now();
    while sent < window.len() {
        let due = ((started.elapsed().as_secs_f64() * rate) as usize).min(window.len());
        if due > sent {
            let now = Instant::now();
            {
                let mut map = sent_at.lock().unwrap_or_else(|e| e.into_inner());
                for r in &window[sent..due] {
                    let key = (r.key.clone(), r.occurred_at.as_nanosecond());
                    match map.entry(key) {
                        std::collections::hash_map::Entry::Occupied(_) => shared_keys += 1,
                        std::collections::hash_map::Entry::Vacant(v) => {
                            v.insert(now);
                        }
                    }
                }
            }
            for r in &window[sent..due] {
                producer.send(r)?;
            }
            sent = due;
            meter.set(sent as u64);
            daemon.check(&rt)?;
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    let send_secs = started.elapsed().as_secs_f64();
    meter.finish();
    producer.finish(warmup + sent as u64)?;

    // Drain: the daemon commits every input, then the reader reads every item written.
    let drain_started = Instant::now();
    watch.refresh_high()?;
    wait_committed(
        &rt,
        &mut daemon,
        &mut watch,
        p.progress.then_some("daemon draining"),
    )?;
    let drain_secs = drain_started.elapsed().as_secs_f64();
    let stats = daemon.stop(&rt)?;
    let mut targets = HashMap::new();
    for part in 0..p.partitions {
        let (_, high) =
            watch
                .consumer
                .fetch_watermarks(WORK_ITEMS, part, Duration::from_secs(10))?;
        targets.insert(part, high);
    }
    let mut samples = reader.finish(targets)?;
    let queue_full_retries = producer.queue_full.load(Ordering::Relaxed);
    drop(producer);
    drop(watch);
    drop(broker);

    samples.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let pct = |q: f64| -> f64 {
        if samples.is_empty() {
            return f64::NAN;
        }
        let rank = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
        ms(samples[rank - 1])
    };
    let mean = if samples.is_empty() {
        f64::NAN
    } else {
        ms(samples.iter().sum::<Duration>()) / samples.len() as f64
    };
    Ok(Latency {
        partitions: p.partitions,
        target_rate: p.rate,
        seconds: p.seconds,
        fetch_wait_ms: p.fetch_wait_ms,
        sent: sent as u64,
        send_secs,
        achieved_rate: sent as f64 / send_secs,
        queue_full_retries,
        warmup_events: warmup,
        measured: samples.len() as u64,
        shared_keys,
        drain_secs,
        p50_ms: pct(0.50),
        p90_ms: pct(0.90),
        p99_ms: pct(0.99),
        max_ms: samples.last().map_or(f64::NAN, |d| ms(*d)),
        mean_ms: mean,
        applied: stats.applied,
        items_changed: stats.items_changed,
    })
}

/// Waits until the daemon's group has committed every input record (`watch`'s high
/// watermarks), showing progress as `label` when given.
fn wait_committed(
    rt: &tokio::runtime::Runtime,
    daemon: &mut Daemon,
    watch: &mut GroupWatch,
    label: Option<&str>,
) -> anyhow::Result<()> {
    let total = watch.total();
    let mut meter = Meter::new(label.unwrap_or(""), total as u64, label.is_some());
    let mut last = (-1i64, Instant::now());
    loop {
        daemon.check(rt)?;
        let (committed, done) = watch.committed()?;
        meter.set(committed.max(0) as u64);
        if done {
            meter.finish();
            return Ok(());
        }
        if committed != last.0 {
            last = (committed, Instant::now());
        } else if last.1.elapsed() > STALL {
            bail!("the daemon made no progress for {STALL:?} ({committed} of {total} committed)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Reads `arrears.work-items` on its own thread and closes the latency of every event whose
/// (account, occurred_at) an item's (account_id, as_of) matches.
struct ItemReader {
    targets: Arc<Mutex<Option<HashMap<i32, i64>>>>,
    thread: std::thread::JoinHandle<anyhow::Result<Vec<Duration>>>,
}

impl ItemReader {
    fn start(
        bootstrap: &str,
        partitions: i32,
        fetch_wait_ms: u32,
        sent_at: Arc<Mutex<SendTimes>>,
    ) -> anyhow::Result<ItemReader> {
        let consumer: BaseConsumer = client(bootstrap)
            .set("group.id", "bench-latency-reader")
            .set("enable.auto.commit", "false")
            .set("enable.partition.eof", "false")
            .set("fetch.wait.max.ms", fetch_wait_ms.to_string())
            .create()
            .context("cannot create the work-item reader")?;
        assign_all(&consumer, &[WORK_ITEMS], partitions)?;
        let targets: Arc<Mutex<Option<HashMap<i32, i64>>>> = Arc::default();
        let t = targets.clone();
        let thread = std::thread::Builder::new()
            .name("bench-items".into())
            .spawn(move || read_items(&consumer, &sent_at, &t))
            .context("cannot start the work-item reader")?;
        Ok(ItemReader { targets, thread })
    }

    /// Reads on until every partition's position reaches `targets` (high watermarks), then
    /// returns the latencies.
    fn finish(self, targets: HashMap<i32, i64>) -> anyhow::Result<Vec<Duration>> {
        *self.targets.lock().unwrap_or_else(|e| e.into_inner()) = Some(targets);
        self.thread
            .join()
            .map_err(|_| anyhow::anyhow!("the work-item reader panicked"))?
    }
}

#[derive(Deserialize)]
struct ItemPeek {
    account_id: String,
    as_of: Timestamp,
}

fn read_items(
    consumer: &BaseConsumer,
    sent_at: &Mutex<SendTimes>,
    targets: &Mutex<Option<HashMap<i32, i64>>>,
) -> anyhow::Result<Vec<Duration>> {
    let mut samples = Vec::new();
    let mut next: HashMap<i32, i64> = HashMap::new();
    let mut idle_since: Option<Instant> = None;
    loop {
        match consumer.poll(Duration::from_millis(20)) {
            Some(Ok(m)) => {
                let at = Instant::now();
                next.insert(m.partition(), m.offset() + 1);
                let Some(item) = m
                    .payload()
                    .and_then(|b| serde_json::from_slice::<ItemPeek>(b).ok())
                else {
                    continue;
                };
                let key = (item.account_id, item.as_of.as_nanosecond());
                let sent = sent_at
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&key);
                if let Some(sent) = sent {
                    samples.push(at.saturating_duration_since(sent));
                }
            }
            Some(Err(e)) => bail!("work-item reader: {e}"),
            None => {}
        }
        if let Some(t) = targets.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            if t.iter()
                .all(|(p, high)| next.get(p).copied().unwrap_or(0) >= *high)
            {
                return Ok(samples);
            }
            let since = *idle_since.get_or_insert_with(Instant::now);
            if since.elapsed() > STALL {
                bail!("the work-item reader did not reach the end within {STALL:?}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Phase 3: restore

/// Writes `p.restore_accounts` changelog records of distinct accounts (copies of a few hundred
/// real snapshots under new account ids) and restores them into one pipeline as a newly
/// assigned daemon does: `changelog::read_partitions` of every partition, then decode and
/// `Pipeline::restore` of each latest value.
///
/// The mock broker keeps at most 5 MiB per partition, so the records go through in waves of
/// [`Params::restore_wave`], each on a fresh broker: written (not timed), checked to be all
/// retained, then read and restored (timed). The times are summed; every wave pays the restore
/// consumer's start-up once.
pub fn restore(p: &Params) -> anyhow::Result<Restore> {
    let templates = snapshot_templates(p.restore_accounts.min(300) as usize, p.days, p.seed)?;
    let mut pipeline = pipeline()?;
    let parts: Vec<i32> = (0..p.partitions).collect();
    let wave = p.restore_wave();
    let mut meter = Meter::new("restoring", p.restore_accounts, p.progress);
    let (mut bytes, mut waves) = (0u64, 0u64);
    let (mut write_secs, mut read_secs, mut apply_secs) = (0.0f64, 0.0f64, 0.0f64);
    let mut rss_before = u64::MAX;
    let mut first = 0u64;
    while first < p.restore_accounts {
        let last = (first + wave).min(p.restore_accounts);
        let broker = EmbeddedBroker::start(&DEFAULT_TOPICS, p.partitions)
            .context("cannot start the embedded broker")?;
        let settings = restore_settings(broker.bootstrap());
        let t0 = Instant::now();
        bytes += write_changelog(&settings, &templates, first..last)?;
        write_secs += t0.elapsed().as_secs_f64();
        {
            let c: BaseConsumer = settings.restore_config().create()?;
            for &part in &parts {
                let (low, _) = c.fetch_watermarks(CHANGELOG, part, Duration::from_secs(10))?;
                anyhow::ensure!(
                    low == 0,
                    "the embedded broker deleted changelog records of partition {part} (it keeps \
                     at most 5 MiB per partition)"
                );
            }
        }
        rss_before = rss_before.min(memory().0);
        let t1 = Instant::now();
        let latest = changelog::read_partitions(&settings, &parts)?;
        read_secs += t1.elapsed().as_secs_f64();
        let t2 = Instant::now();
        for part in &parts {
            for value in latest
                .get(part)
                .into_iter()
                .flat_map(|m| m.values())
                .flatten()
            {
                let (_positions, state) = changelog::decode(value)
                    .with_context(|| format!("changelog partition {part}: unreadable record"))?;
                pipeline
                    .restore(state)
                    .with_context(|| format!("changelog partition {part}: unreadable state"))?;
            }
        }
        drop(latest);
        apply_secs += t2.elapsed().as_secs_f64();
        waves += 1;
        first = last;
        meter.set(first);
        if first < p.restore_accounts {
            drop(broker);
        } else {
            // The last wave's broker stays up while the memory is read, as a daemon's would.
            let (rss_after, hwm_after) = memory();
            meter.finish();
            let restored = pipeline.len() as u64;
            let total = read_secs + apply_secs;
            drop(pipeline);
            drop(broker);
            return Ok(Restore {
                partitions: p.partitions,
                written: p.restore_accounts,
                waves,
                templates: templates.len(),
                mean_record_bytes: bytes as f64 / p.restore_accounts as f64,
                write_secs,
                read_secs,
                apply_secs,
                total_secs: total,
                accounts_per_sec: restored as f64 / total,
                restored,
                rss_before_kib: rss_before,
                rss_after_kib: rss_after,
                hwm_after_kib: hwm_after,
            });
        }
    }
    bail!("no changelog records to restore")
}

fn restore_settings(bootstrap: &str) -> DaemonSettings {
    let mut settings = DaemonSettings::default();
    settings.kafka.brokers = bootstrap.to_string();
    settings.kafka.group_id = "bench-restore".into();
    settings.kafka.restore_timeout_ms = RESTORE_TIMEOUT_MS;
    settings
        .kafka
        .properties
        .insert("log_level".into(), "3".into());
    settings
}

/// Writes the changelog records of accounts `ids` with the daemon's own producer settings (lz4,
/// idempotent), keyed by account id and partitioned by the default partitioner, as the input
/// records of that key would be; returns the bytes written (uncompressed values).
fn write_changelog(
    settings: &DaemonSettings,
    templates: &[Template],
    ids: std::ops::Range<u64>,
) -> anyhow::Result<u64> {
    let acks = Arc::new(AckCounter::default());
    let producer: ThreadedProducer<Acks> = {
        let mut c = settings.producer_config();
        c.set("linger.ms", "20")
            .set("batch.num.messages", "10000")
            .set("queue.buffering.max.messages", "200000");
        c.create_with_context(Acks(acks.clone()))
            .context("cannot create the changelog producer")?
    };
    let (mut bytes, mut queue_full) = (0u64, 0u64);
    let n = ids.end - ids.start;
    for i in ids {
        let t = &templates[(i % templates.len() as u64) as usize];
        let id = format!("R-{i:08}");
        let mut positions = changelog::Positions::new();
        positions.insert(BILLING.into(), (i / 3) as i64);
        positions.insert(CONTACTS.into(), (i / 5) as i64);
        let value = changelog::encode(&positions, t.join(&id).as_bytes());
        bytes += value.len() as u64;
        send_retrying(&producer, CHANGELOG, &id, &value, None, &mut queue_full)?;
    }
    producer
        .flush(Duration::from_secs(300))
        .context("flushing the changelog records")?;
    acks.check(n)?;
    Ok(bytes)
}

/// A snapshot with its account id cut out: the pieces around it.
struct Template(Vec<String>);

impl Template {
    fn join(&self, account_id: &str) -> String {
        self.0.join(account_id)
    }
}

/// Real account snapshots from a simulated portfolio of `n` accounts run through the pipeline,
/// each with its account id replaced by a marker and split around it.
fn snapshot_templates(n: usize, days: u32, seed: u64) -> anyhow::Result<Vec<Template>> {
    const MARK: &str = "\u{1}ARREARS-BENCH-ID\u{1}";
    let mut p = pipeline()?;
    let cfg = SimConfig::new(n.max(1), days, seed);
    let mut world = World::new(&cfg);
    let mut dialer = HouseDialer::new(cfg.calls_per_day(), seed);
    let mut out = Vec::new();
    world.run(&mut dialer, &mut out, |_| {})?;
    for line in out.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        // The simulator's stream is valid; a reject would only shrink the templates.
        let _ = p.process_record(line);
    }
    let mut ids: Vec<String> = p.accounts().map(|a| a.id.clone()).collect();
    ids.sort();
    let mut templates = Vec::with_capacity(ids.len());
    for id in ids {
        let snap = p.snapshot(&id).expect("an account of this pipeline");
        let mut v: serde_json::Value = serde_json::from_slice(&snap)?;
        let slot = v
            .get_mut("account")
            .and_then(|a| a.get_mut("id"))
            .context("a snapshot without account.id")?;
        *slot = serde_json::Value::String(MARK.into());
        let text = serde_json::to_string(&v)?;
        // The marker serializes escaped.
        let mark = serde_json::to_string(MARK)?;
        let mark = &mark[1..mark.len() - 1];
        templates.push(Template(text.split(mark).map(str::to_string).collect()));
    }
    anyhow::ensure!(!templates.is_empty(), "the simulation produced no accounts");
    Ok(templates)
}

/// VmRSS and VmHWM of this process, KiB (0 where unavailable).
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

fn rejects_by_reason(
    stats: &crate::engine::pipeline::Stats,
) -> std::collections::BTreeMap<String, u64> {
    crate::engine::domain::RejectReason::ALL
        .iter()
        .filter(|r| stats.rejected[**r as usize] > 0)
        .map(|r| (r.as_str().to_string(), stats.rejected[*r as usize]))
        .collect()
}

fn pipeline() -> anyhow::Result<Pipeline> {
    Ok(Pipeline::new(
        Arc::new(Settings::defaults()),
        Arc::new(Scorer::shipped().context("cannot load the shipped models")?),
    ))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn client(bootstrap: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap).set("log_level", "3");
    c
}

fn assign_all(consumer: &BaseConsumer, topics: &[&str], partitions: i32) -> anyhow::Result<()> {
    let mut tpl = TopicPartitionList::new();
    for topic in topics {
        for p in 0..partitions {
            tpl.add_partition_offset(topic, p, Offset::Beginning)?;
        }
    }
    consumer.assign(&tpl)?;
    Ok(())
}

/// Records in `topic` (sum of high - low watermarks).
fn topic_records(consumer: &BaseConsumer, topic: &str, partitions: i32) -> anyhow::Result<i64> {
    let mut n = 0;
    for p in 0..partitions {
        let (low, high) = consumer.fetch_watermarks(topic, p, Duration::from_secs(10))?;
        n += high - low;
    }
    Ok(n)
}

/// About `n` simulated events in stream order, handed to `each`: a small pilot measures events
/// per account, then a portfolio sized a little above that runs day by day and is cut at `n`.
/// Returns how many were handed over (fewer than `n` only if the portfolio ran out).
fn simulate(
    n: u64,
    days: u32,
    seed: u64,
    mut each: impl FnMut(String) -> anyhow::Result<()>,
) -> anyhow::Result<u64> {
    let pilot_accounts = 500;
    let per_account = {
        let cfg = SimConfig::new(pilot_accounts, days, seed);
        let mut world = World::new(&cfg);
        let mut dialer = HouseDialer::new(cfg.calls_per_day(), seed);
        let mut sink = std::io::sink();
        world.run(&mut dialer, &mut sink, |_| {})?;
        (world.stats().events as f64 / pilot_accounts as f64).max(0.1)
    };
    let accounts = ((n as f64 / per_account) * 1.15).ceil() as usize + 10;
    let cfg = SimConfig::new(accounts, days, seed);
    let mut world = World::new(&cfg);
    let mut dialer = HouseDialer::new(cfg.calls_per_day(), seed);
    let mut count = 0u64;
    for day in 0..days {
        let mut lines = Vec::new();
        world.step_day(day, &mut dialer, &mut lines);
        for line in lines {
            if count == n {
                return Ok(count);
            }
            each(line)?;
            count += 1;
        }
    }
    Ok(count)
}

/// An event line with its topic, key and event time.
struct Routed {
    topic: &'static str,
    key: String,
    occurred_at: Timestamp,
    line: String,
}

#[derive(Deserialize)]
struct Peek {
    #[serde(rename = "type")]
    kind: String,
    account_id: String,
    occurred_at: Timestamp,
}

/// Contact attempts to `arrears.contacts`, every other event to `arrears.billing` (as the demo
/// routes them), keyed by account id.
fn route(line: String) -> Routed {
    match serde_json::from_str::<Peek>(&line) {
        Ok(p) => Routed {
            topic: crate::tools::broker::input_topic(&p.kind),
            key: p.account_id,
            occurred_at: p.occurred_at,
            line,
        },
        Err(_) => Routed {
            topic: BILLING,
            key: crate::engine::events::peek_account_id(line.as_bytes()).unwrap_or_default(),
            occurred_at: Timestamp::UNIX_EPOCH,
            line,
        },
    }
}

/// Counts the broker's acknowledgements.
#[derive(Default)]
struct AckCounter {
    acked: AtomicU64,
    failed: AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl AckCounter {
    fn check(&self, expected: u64) -> anyhow::Result<()> {
        let (acked, failed) = (
            self.acked.load(Ordering::Acquire),
            self.failed.load(Ordering::Acquire),
        );
        if failed > 0 || acked != expected {
            let e = self.last_error.lock().unwrap_or_else(|e| e.into_inner());
            bail!(
                "{acked} of {expected} records acknowledged, {failed} failed (last error: {e:?})"
            );
        }
        Ok(())
    }
}

/// A producer context feeding an [`AckCounter`].
struct Acks(Arc<AckCounter>);

impl ClientContext for Acks {}

impl ProducerContext for Acks {
    type DeliveryOpaque = ();
    fn delivery(&self, r: &DeliveryResult<'_>, _: ()) {
        match r {
            Ok(_) => {
                self.0.acked.fetch_add(1, Ordering::AcqRel);
            }
            Err((e, _)) => {
                self.0.failed.fetch_add(1, Ordering::AcqRel);
                *self.0.last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e.to_string());
            }
        }
    }
}

/// Sends one record, waiting while the local queue is full.
fn send_retrying(
    producer: &ThreadedProducer<Acks>,
    topic: &str,
    key: &str,
    payload: &[u8],
    partition: Option<i32>,
    queue_full: &mut u64,
) -> anyhow::Result<()> {
    let mut record = BaseRecord::to(topic).key(key).payload(payload);
    if let Some(p) = partition {
        record = record.partition(p);
    }
    loop {
        match producer.send(record) {
            Ok(()) => return Ok(()),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                *queue_full += 1;
                record = r;
                std::thread::sleep(Duration::from_millis(1));
            }
            Err((e, _)) => bail!("cannot produce to {topic}: {e}"),
        }
    }
}

/// The input producer: idempotent and lz4-compressing (like the daemon's own producer),
/// acknowledgements counted.
struct EventProducer {
    producer: ThreadedProducer<Acks>,
    acks: Arc<AckCounter>,
    queue_full: AtomicU64,
}

impl EventProducer {
    fn new(bootstrap: &str, linger_ms: &str) -> anyhow::Result<EventProducer> {
        let acks = Arc::new(AckCounter::default());
        let producer = client(bootstrap)
            .set("enable.idempotence", "true")
            .set("compression.type", "lz4")
            .set("linger.ms", linger_ms)
            .set("queue.buffering.max.messages", "200000")
            .create_with_context(Acks(acks.clone()))
            .context("cannot create the event producer")?;
        Ok(EventProducer {
            producer,
            acks,
            queue_full: AtomicU64::new(0),
        })
    }

    fn send(&self, r: &Routed) -> anyhow::Result<()> {
        let mut full = 0;
        let res = send_retrying(
            &self.producer,
            r.topic,
            &r.key,
            r.line.as_bytes(),
            None,
            &mut full,
        );
        self.queue_full.fetch_add(full, Ordering::Relaxed);
        res
    }

    fn flush(&self) -> anyhow::Result<()> {
        self.producer
            .flush(Duration::from_secs(120))
            .context("flushing the events")
    }

    /// Flushes and checks that exactly `expected` records were acknowledged.
    fn finish(&self, expected: u64) -> anyhow::Result<()> {
        self.flush()?;
        self.acks.check(expected)
    }
}

/// A daemon on the runtime, as `arrears run` would run it (HTTP off, no clock re-evaluation).
struct Daemon {
    shared: Arc<Shared>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: Option<tokio::task::JoinHandle<Result<(), DaemonError>>>,
}

impl Daemon {
    /// `fetch_wait_ms`: the input consumer's `fetch.wait.max.ms` (None: librdkafka's default).
    fn start(
        rt: &tokio::runtime::Runtime,
        bootstrap: &str,
        group: &str,
        fetch_wait_ms: Option<u32>,
    ) -> anyhow::Result<Daemon> {
        let mut s = crate::tools::broker::daemon_settings(bootstrap, group);
        s.kafka.evaluate_interval_ms = 0;
        s.http.enabled = false;
        for (k, v) in [
            // The completion signal is the group's committed offsets: commit often.
            ("auto.commit.interval.ms", "100"),
            ("log_level", "3"),
        ] {
            s.kafka.properties.insert(k.into(), v.into());
        }
        if let Some(ms) = fetch_wait_ms {
            s.kafka
                .properties
                .insert("fetch.wait.max.ms".into(), ms.to_string().into());
        }
        let problems = s.problems();
        anyhow::ensure!(problems.is_empty(), "daemon settings: {problems:?}");
        let shared = Shared::new(pipeline()?, Arc::new(WallClock));
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        let sh = shared.clone();
        let task = rt.spawn(async move {
            app::run(&s, sh, async move {
                let _ = rx.await;
            })
            .await
        });
        Ok(Daemon {
            shared,
            stop,
            task: Some(task),
        })
    }

    /// Fails if the daemon stopped by itself.
    fn check(&mut self, rt: &tokio::runtime::Runtime) -> anyhow::Result<()> {
        match self.task.take_if(|t| t.is_finished()) {
            None => Ok(()),
            Some(task) => match rt.block_on(task) {
                Ok(Ok(())) => bail!("the daemon stopped during the measurement"),
                Ok(Err(e)) => Err(anyhow::Error::new(e).context("the daemon failed")),
                Err(e) => bail!("the daemon task failed: {e}"),
            },
        }
    }

    /// Stops the daemon (drain, commit, leave) and returns its pipeline's counters.
    fn stop(self, rt: &tokio::runtime::Runtime) -> anyhow::Result<crate::engine::pipeline::Stats> {
        let _ = self.stop.send(());
        let Some(task) = self.task else {
            bail!("the daemon had already stopped");
        };
        match rt.block_on(task) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(anyhow::Error::new(e).context("the daemon failed")),
            Err(e) => bail!("the daemon task failed: {e}"),
        }
        let stats = self.shared.lock().stats().clone();
        Ok(stats)
    }
}

/// The committed offsets of a consumer group against the input topics' high watermarks.
struct GroupWatch {
    consumer: BaseConsumer,
    topics: Vec<String>,
    partitions: i32,
    high: HashMap<(String, i32), i64>,
}

impl GroupWatch {
    fn new(
        bootstrap: &str,
        group: &str,
        topics: &[&str],
        partitions: i32,
    ) -> anyhow::Result<GroupWatch> {
        // Same group id, never subscribed: it only fetches the group's committed offsets.
        let consumer: BaseConsumer = client(bootstrap)
            .set("group.id", group)
            .set("enable.auto.commit", "false")
            .create()
            .context("cannot create the offset watcher")?;
        let mut w = GroupWatch {
            consumer,
            topics: topics.iter().map(|t| t.to_string()).collect(),
            partitions,
            high: HashMap::new(),
        };
        w.refresh_high()?;
        Ok(w)
    }

    fn refresh_high(&mut self) -> anyhow::Result<()> {
        for t in &self.topics {
            for p in 0..self.partitions {
                let (_, high) = self
                    .consumer
                    .fetch_watermarks(t, p, Duration::from_secs(10))?;
                self.high.insert((t.clone(), p), high);
            }
        }
        Ok(())
    }

    fn total(&self) -> i64 {
        self.high.values().sum()
    }

    /// The sum of committed offsets, and whether every partition's reached its high watermark.
    fn committed(&self) -> anyhow::Result<(i64, bool)> {
        let mut tpl = TopicPartitionList::new();
        for t in &self.topics {
            for p in 0..self.partitions {
                tpl.add_partition(t, p);
            }
        }
        let tpl = self
            .consumer
            .committed_offsets(tpl, Duration::from_secs(10))?;
        let (mut sum, mut done) = (0, true);
        for e in tpl.elements() {
            let at = match e.offset() {
                Offset::Offset(n) => n,
                _ => 0,
            };
            sum += at;
            let high = self
                .high
                .get(&(e.topic().to_string(), e.partition()))
                .copied()
                .unwrap_or(0);
            done &= at >= high;
        }
        Ok((sum, done))
    }
}

/// A progress bar on a terminal, otherwise a line every few seconds; nothing when off.
struct Meter {
    bar: Option<ProgressBar>,
    label: String,
    total: u64,
    pos: u64,
    started: Instant,
    last_line: Instant,
    on: bool,
}

impl Meter {
    fn new(label: &str, total: u64, on: bool) -> Meter {
        let bar = (on && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg:>20} {bar:40} {pos}/{len} {per_sec} {elapsed} (eta {eta})",
                )
                .expect("a valid progress template"),
            );
            bar.set_message(label.to_string());
            bar
        });
        Meter {
            bar,
            label: label.to_string(),
            total,
            pos: 0,
            started: Instant::now(),
            last_line: Instant::now(),
            on,
        }
    }

    fn set(&mut self, pos: u64) {
        self.pos = pos;
        if let Some(bar) = &self.bar {
            bar.set_position(pos);
        } else if self.on && self.last_line.elapsed() >= Duration::from_secs(5) {
            self.last_line = Instant::now();
            self.line();
        }
    }

    fn line(&self) {
        let secs = self.started.elapsed().as_secs_f64();
        eprintln!(
            "{}: {}/{} ({:.0}/s, {:.1} s)",
            self.label,
            self.pos,
            self.total,
            self.pos as f64 / secs.max(1e-9),
            secs
        );
    }

    fn finish(self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if self.on {
            eprintln!(
                "{}: {} in {:.1} s",
                self.label,
                self.pos,
                self.started.elapsed().as_secs_f64()
            );
        }
    }
}
