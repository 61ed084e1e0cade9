//! Phase 1 of the Kafka benchmark: throughput, the same simulated events drained by a plain
//! consumer doing no processing and consumed by the daemon from the beginning ([`Throughput`]).

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::Offset;
use serde::Serialize;

use super::harness::{
    assign_all, client, rejects_by_reason, runtime, topic_records, Daemon, GroupWatch, STALL,
};
use super::meter::Meter;
use super::params::Params;
use super::producer::{route, simulate, EventProducer};
use crate::daemon::topics::{BILLING, CHANGELOG, CONTACTS, WORK_ITEMS};
use crate::daemon::DaemonSettings;
use crate::tools::broker::{EmbeddedBroker, DEFAULT_TOPICS};

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
    let mut daemon = Daemon::start(&rt, &bootstrap, group, None, p.compression.as_deref())?;
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
