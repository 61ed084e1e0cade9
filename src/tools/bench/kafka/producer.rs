//! What the Kafka benchmark produces and how: simulated events routed to their input topic
//! ([`simulate`], [`route`]), and a producer whose acknowledgements are counted
//! ([`EventProducer`], [`send_retrying`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context};
use jiff::Timestamp;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::ClientContext;
use serde::Deserialize;

use super::harness::client;
use crate::daemon::topics::BILLING;
use crate::tools::sim::{HouseDialer, SimConfig, World};

/// About `n` simulated events in stream order, handed to `each`: a small pilot measures events
/// per account, then a portfolio sized a little above that runs day by day and is cut at `n`.
/// Returns how many were handed over (fewer than `n` only if the portfolio ran out).
pub(super) fn simulate(
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
pub(super) struct Routed {
    pub(super) topic: &'static str,
    pub(super) key: String,
    pub(super) occurred_at: Timestamp,
    pub(super) line: String,
}

#[derive(Deserialize)]
pub(super) struct Peek {
    #[serde(rename = "type")]
    pub(super) kind: String,
    pub(super) account_id: String,
    pub(super) occurred_at: Timestamp,
}

/// Contact attempts to `arrears.contacts`, every other event to `arrears.billing` (as the demo
/// routes them), keyed by account id.
pub(super) fn route(line: String) -> Routed {
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
pub(super) struct AckCounter {
    pub(super) acked: AtomicU64,
    pub(super) failed: AtomicU64,
    pub(super) last_error: Mutex<Option<String>>,
}

impl AckCounter {
    pub(super) fn check(&self, expected: u64) -> anyhow::Result<()> {
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
pub(super) struct Acks(pub(super) Arc<AckCounter>);

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
pub(super) fn send_retrying(
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
pub(super) struct EventProducer {
    pub(super) producer: ThreadedProducer<Acks>,
    pub(super) acks: Arc<AckCounter>,
    pub(super) queue_full: AtomicU64,
}

impl EventProducer {
    pub(super) fn new(bootstrap: &str, linger_ms: &str) -> anyhow::Result<EventProducer> {
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

    pub(super) fn send(&self, r: &Routed) -> anyhow::Result<()> {
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

    pub(super) fn flush(&self) -> anyhow::Result<()> {
        self.producer
            .flush(Duration::from_secs(120))
            .context("flushing the events")
    }

    /// Flushes and checks that exactly `expected` records were acknowledged.
    pub(super) fn finish(&self, expected: u64) -> anyhow::Result<()> {
        self.flush()?;
        self.acks.check(expected)
    }
}
