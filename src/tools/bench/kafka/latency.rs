//! Phase 2 of the Kafka benchmark: latency at a steady rate, from an event's send to the first
//! work item that reflects it ([`Latency`]), with the work-item reader that closes each sample.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use jiff::Timestamp;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use serde::{Deserialize, Serialize};

use super::harness::{assign_all, client, runtime, Daemon, GroupWatch, STALL};
use super::meter::Meter;
use super::params::Params;
use super::producer::{route, simulate, EventProducer, Routed};
use crate::daemon::topics::{BILLING, CONTACTS, WORK_ITEMS};
use crate::tools::broker::{EmbeddedBroker, DEFAULT_TOPICS};

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
    let mut daemon = Daemon::start(
        &rt,
        &bootstrap,
        group,
        Some(p.fetch_wait_ms),
        p.compression.as_deref(),
    )?;
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
