//! Phase 3 of the Kafka benchmark: changelog restore, records of distinct realistic accounts
//! written in waves and restored as a newly assigned daemon does ([`Restore`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{Producer, ThreadedProducer};
use serde::Serialize;

use super::harness::pipeline;
use super::meter::Meter;
use super::params::Params;
use super::producer::{send_retrying, AckCounter, Acks};
use crate::daemon::topics::{BILLING, CHANGELOG, CONTACTS};
use crate::daemon::{changelog, DaemonSettings};
use crate::tools::broker::{EmbeddedBroker, DEFAULT_TOPICS};
use crate::tools::sim::{HouseDialer, SimConfig, World};

/// How long the restore phase lets `changelog::read_partitions` run (the daemon's default is
/// `restore_timeout_ms` = 60 s).
const RESTORE_TIMEOUT_MS: u64 = 30 * 60 * 1000;

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
        let value = changelog::encode(&positions, &t.join(&id));
        bytes += value.len() as u64;
        send_retrying(&producer, CHANGELOG, &id, &value, None, &mut queue_full)?;
    }
    producer
        .flush(Duration::from_secs(300))
        .context("flushing the changelog records")?;
    acks.check(n)?;
    Ok(bytes)
}

/// A real account's state, re-keyed for each record written from it.
struct Template(crate::engine::pipeline::Entry);

impl Template {
    /// The snapshot of this state under `account_id` (the daemon's binary form).
    fn join(&self, account_id: &str) -> Vec<u8> {
        let mut e = self.0.clone();
        e.account.id = account_id.to_string();
        crate::engine::pipeline::snapshot::encode(&e)
    }
}

/// Real account states from a simulated portfolio of `n` accounts run through the pipeline.
fn snapshot_templates(n: usize, days: u32, seed: u64) -> anyhow::Result<Vec<Template>> {
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
    let templates: Vec<Template> = ids
        .iter()
        .filter_map(|id| p.entry(id).cloned().map(Template))
        .collect();
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
