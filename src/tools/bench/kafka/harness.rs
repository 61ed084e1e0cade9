//! The shared harness of the Kafka benchmark: the in-process daemon handle ([`Daemon`]), the
//! watcher of a group's committed offsets ([`GroupWatch`]), client configuration, topic
//! assignment and record counts, the pipeline and runtime the phases build, and the stall limit.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};

use crate::daemon::{Shared, WallClock};
use crate::engine::pipeline::Pipeline;
use crate::engine::scoring::Scorer;
use crate::engine::settings::Settings;

/// Longest a phase waits without any progress before giving up.
pub(super) const STALL: Duration = Duration::from_secs(180);

pub(super) fn rejects_by_reason(
    stats: &crate::engine::pipeline::Stats,
) -> std::collections::BTreeMap<String, u64> {
    crate::engine::domain::RejectReason::ALL
        .iter()
        .filter(|r| stats.rejected[**r as usize] > 0)
        .map(|r| (r.as_str().to_string(), stats.rejected[*r as usize]))
        .collect()
}

pub(super) fn pipeline() -> anyhow::Result<Pipeline> {
    Ok(Pipeline::new(
        Arc::new(Settings::defaults()),
        Arc::new(Scorer::shipped().context("cannot load the shipped models")?),
    ))
}

pub(super) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub(super) fn client(bootstrap: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap).set("log_level", "3");
    c
}

pub(super) fn assign_all(
    consumer: &BaseConsumer,
    topics: &[&str],
    partitions: i32,
) -> anyhow::Result<()> {
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
pub(super) fn topic_records(
    consumer: &BaseConsumer,
    topic: &str,
    partitions: i32,
) -> anyhow::Result<i64> {
    let mut n = 0;
    for p in 0..partitions {
        let (low, high) = consumer.fetch_watermarks(topic, p, Duration::from_secs(10))?;
        n += high - low;
    }
    Ok(n)
}

/// A daemon on the runtime, as `arrears run` would run it (HTTP off, no clock re-evaluation).
pub(super) struct Daemon {
    pub(super) shared: Arc<Shared>,
    pub(super) running: Option<crate::daemon::Running>,
}

impl Daemon {
    /// `fetch_wait_ms`: the input consumer's `fetch.wait.max.ms` (None: librdkafka's default);
    /// `compression`: the producers' `kafka.compression` (None: the daemon's default).
    pub(super) fn start(
        rt: &tokio::runtime::Runtime,
        bootstrap: &str,
        group: &str,
        fetch_wait_ms: Option<u32>,
        compression: Option<&str>,
    ) -> anyhow::Result<Daemon> {
        let mut s = crate::tools::broker::daemon_settings(bootstrap, group);
        if let Some(c) = compression {
            s.kafka.compression = c.to_string();
        }
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
        let running = rt
            .block_on(crate::daemon::spawn(
                s,
                shared.clone(),
                std::future::pending(),
            ))
            .context("cannot start the daemon")?;
        Ok(Daemon {
            shared,
            running: Some(running),
        })
    }

    /// Fails if the daemon stopped by itself.
    pub(super) fn check(&mut self, rt: &tokio::runtime::Runtime) -> anyhow::Result<()> {
        match self.running.take_if(|r| r.is_finished()) {
            None => Ok(()),
            Some(running) => match rt.block_on(running.join()) {
                Ok(()) => bail!("the daemon stopped during the measurement"),
                Err(e) => Err(anyhow::Error::new(e).context("the daemon failed")),
            },
        }
    }

    /// Stops the daemon (drain, commit, leave) and returns its pipeline's counters.
    pub(super) fn stop(
        self,
        rt: &tokio::runtime::Runtime,
    ) -> anyhow::Result<crate::engine::pipeline::Stats> {
        let Some(running) = self.running else {
            bail!("the daemon had already stopped");
        };
        running.stop();
        rt.block_on(running.join())
            .map_err(|e| anyhow::Error::new(e).context("the daemon failed"))?;
        let stats = self.shared.lock().stats().clone();
        Ok(stats)
    }
}

/// The committed offsets of a consumer group against the input topics' high watermarks.
pub(super) struct GroupWatch {
    pub(super) consumer: BaseConsumer,
    pub(super) topics: Vec<String>,
    pub(super) partitions: i32,
    pub(super) high: HashMap<(String, i32), i64>,
}

impl GroupWatch {
    pub(super) fn new(
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

    pub(super) fn refresh_high(&mut self) -> anyhow::Result<()> {
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

    pub(super) fn total(&self) -> i64 {
        self.high.values().sum()
    }

    /// The sum of committed offsets, and whether every partition's reached its high watermark.
    pub(super) fn committed(&self) -> anyhow::Result<(i64, bool)> {
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
