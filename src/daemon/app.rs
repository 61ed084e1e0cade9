//! The processing loop: input records → `Pipeline` → work items, changelog records and dead
//! letters; input offsets stored only after everything a record caused is acknowledged;
//! partitions restored from the changelog on assignment and dropped on revocation; a clock timer
//! for changes that need no event; graceful shutdown.
//!
//! Owns the ordering of effects, not the domain: every decision is the pure `Pipeline`'s.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::producer::DeliveryFuture;

use crate::domain::RejectReason;
use crate::events::{self, Reject};
use crate::pipeline::{Applied, Pipeline};
use crate::workitem::WorkItem;

use super::changelog::{self, Positions};
use super::settings::DaemonSettings;
use super::sink::{self, Sink, Source};
use super::source::{check_co_partitioned, Ownership, SourceContext};
use super::{DaemonError, Shared};

/// What one input record comes to, decided under the pipeline lock.
enum Outcome {
    /// Owned partition, but at or below the account's restored position: already applied.
    AlreadyApplied,
    Duplicate,
    Rejected(Reject),
    Applied {
        account: String,
        items: Vec<WorkItem>,
        changelog: Vec<u8>,
    },
}

/// An input record (or a clock tick) whose outputs are not all acknowledged yet.
struct Pending {
    source: Option<(String, i32, i64)>,
    acks: Vec<(&'static str, DeliveryFuture)>,
}

/// A changelog value and the partition it goes to.
type ChangelogRecord = (i32, Vec<u8>);

/// The accounts of each owned partition and the input positions their state reflects.
type Owned = BTreeMap<i32, HashMap<String, Positions>>;

fn process(
    pipeline: &mut Pipeline,
    accounts: &mut HashMap<String, Positions>,
    topic: &str,
    offset: i64,
    key: Option<&[u8]>,
    payload: &[u8],
) -> Outcome {
    if let Some(id) = events::peek_account_id(payload) {
        if key != Some(id.as_bytes()) {
            pipeline.count_reject(RejectReason::KeyMismatch);
            return Outcome::Rejected(Reject::new(
                RejectReason::KeyMismatch,
                "the record's account_id differs from the message key",
            ));
        }
    }
    let ev = match events::decode(payload) {
        Ok(ev) => ev,
        Err(r) => {
            pipeline.count_reject(r.reason);
            return Outcome::Rejected(r);
        }
    };
    if accounts
        .get(&ev.account_id)
        .and_then(|p| p.get(topic))
        .is_some_and(|&at| offset <= at)
    {
        return Outcome::AlreadyApplied;
    }
    match pipeline.apply(&ev) {
        Err(r) => Outcome::Rejected(r),
        Ok(Applied::Duplicate) => Outcome::Duplicate,
        Ok(Applied::Changed | Applied::Unchanged) => {
            let items = pipeline.take_published();
            let positions = accounts.entry(ev.account_id.clone()).or_default();
            positions.insert(topic.to_string(), offset);
            let snapshot = pipeline
                .snapshot(&ev.account_id)
                .expect("an applied event leaves its account");
            Outcome::Applied {
                changelog: changelog::encode(positions, &snapshot),
                account: ev.account_id,
                items,
            }
        }
    }
}

/// Waits for every acknowledgement of the oldest pending entry, then removes and returns it.
/// Cancel-safe: a future is removed only once it has resolved.
async fn settle_head(pending: &mut VecDeque<Pending>) -> Result<Pending, DaemonError> {
    if let Some(head) = pending.front_mut() {
        while let Some((topic, f)) = head.acks.last_mut() {
            sink::settle(topic, f).await?;
            head.acks.pop();
        }
    }
    Ok(pending.pop_front().expect("called with a pending entry"))
}

struct Daemon<'a> {
    settings: &'a DaemonSettings,
    shared: Arc<Shared>,
    sink: Sink,
    owned: Owned,
    pending: VecDeque<Pending>,
}

impl Daemon<'_> {
    fn store(consumer: &StreamConsumer<SourceContext>, done: Pending) {
        if let Some((topic, partition, offset)) = done.source {
            // Fails only for a partition no longer assigned; its next owner re-processes it.
            if let Err(e) = consumer.store_offset(&topic, partition, offset) {
                tracing::debug!(topic, partition, error = %e, "offset not stored");
            }
        }
    }

    async fn on_ownership(&mut self, events: Vec<Ownership>) -> Result<(), DaemonError> {
        for ev in events {
            match ev {
                Ownership::Revoked(parts) => {
                    let mut pl = self.shared.lock();
                    for p in parts {
                        for id in self.owned.remove(&p).unwrap_or_default().keys() {
                            pl.drop_account(id);
                        }
                    }
                    self.shared.set_ready(!self.owned.is_empty());
                }
                Ownership::Assigned(parts) => {
                    let new: Vec<i32> = parts
                        .into_iter()
                        .filter(|p| !self.owned.contains_key(p))
                        .collect();
                    if new.is_empty() {
                        continue;
                    }
                    self.shared.set_ready(false);
                    self.restore(new).await?;
                    self.shared.set_ready(true);
                }
            }
        }
        Ok(())
    }

    async fn restore(&mut self, partitions: Vec<i32>) -> Result<(), DaemonError> {
        let started = Instant::now();
        let settings = self.settings.clone();
        let parts = partitions.clone();
        let latest =
            tokio::task::spawn_blocking(move || changelog::read_partitions(&settings, &parts))
                .await??;
        let mut restored = 0usize;
        let mut pl = self.shared.lock();
        for p in &partitions {
            let accounts = self.owned.entry(*p).or_default();
            for value in latest.get(p).into_iter().flat_map(|m| m.values()).flatten() {
                let (positions, state) =
                    changelog::decode(value).map_err(|source| DaemonError::CorruptChangelog {
                        partition: *p,
                        source,
                    })?;
                let id = pl
                    .restore(&state)
                    .map_err(|source| DaemonError::CorruptChangelog {
                        partition: *p,
                        source,
                    })?;
                accounts.insert(id, positions);
                restored += 1;
            }
        }
        tracing::info!(
            partitions = ?partitions,
            accounts = restored,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "partitions restored from the changelog"
        );
        Ok(())
    }

    async fn on_message(&mut self, m: &BorrowedMessage<'_>) -> Result<(), DaemonError> {
        let (topic, partition, offset) = (m.topic(), m.partition(), m.offset());
        let Some(accounts) = self.owned.get_mut(&partition) else {
            // A message from a partition this instance no longer owns: its owner handles it.
            return Ok(());
        };
        let payload = m.payload().unwrap_or(&[]);
        let outcome = {
            let mut pl = self.shared.lock();
            process(&mut pl, accounts, topic, offset, m.key(), payload)
        };
        let mut acks = Vec::new();
        match outcome {
            Outcome::AlreadyApplied | Outcome::Duplicate => {}
            Outcome::Rejected(r) => {
                tracing::debug!(
                    topic,
                    partition,
                    offset,
                    reason = r.reason.as_str(),
                    "record rejected"
                );
                let from = Source {
                    topic,
                    partition,
                    offset,
                };
                let f = self
                    .sink
                    .dead_letter(m.key(), m.payload(), &r, &from)
                    .await?;
                acks.push(("dead-letter", f));
            }
            Outcome::Applied {
                account,
                items,
                changelog,
            } => {
                for item in &items {
                    acks.push(("work-items", self.sink.work_item(item).await?));
                }
                let f = self.sink.changelog(&account, partition, &changelog).await?;
                acks.push(("changelog", f));
            }
        }
        self.pending.push_back(Pending {
            source: Some((topic.to_string(), partition, offset)),
            acks,
        });
        Ok(())
    }

    /// Re-evaluates the accounts whose items may change with the clock, publishes the changes.
    async fn on_clock(&mut self) -> Result<(), DaemonError> {
        let now = self.shared.clock.now();
        let outputs: Vec<(WorkItem, Option<ChangelogRecord>)> = {
            let mut pl = self.shared.lock();
            let items = pl.evaluate_due(now);
            pl.take_published();
            items
                .into_iter()
                .map(|item| {
                    let state = self.owned.iter().find_map(|(p, accounts)| {
                        let positions = accounts.get(&item.account_id)?;
                        let snap = pl.snapshot(&item.account_id)?;
                        Some((*p, changelog::encode(positions, &snap)))
                    });
                    (item, state)
                })
                .collect()
        };
        if outputs.is_empty() {
            return Ok(());
        }
        let mut acks = Vec::new();
        for (item, state) in &outputs {
            acks.push(("work-items", self.sink.work_item(item).await?));
            if let Some((p, value)) = state {
                acks.push((
                    "changelog",
                    self.sink.changelog(&item.account_id, *p, value).await?,
                ));
            }
        }
        tracing::debug!(items = outputs.len(), "clock re-evaluation published");
        self.pending.push_back(Pending { source: None, acks });
        Ok(())
    }

    async fn shutdown(
        mut self,
        consumer: StreamConsumer<SourceContext>,
    ) -> Result<(), DaemonError> {
        tracing::info!(pending = self.pending.len(), "shutting down: draining");
        let timeout = self.settings.shutdown_timeout();
        let deadline = tokio::time::Instant::now() + timeout;
        while !self.pending.is_empty() {
            match tokio::time::timeout_at(deadline, settle_head(&mut self.pending)).await {
                Ok(done) => Self::store(&consumer, done?),
                Err(_) => {
                    tracing::warn!(
                        pending = self.pending.len(),
                        "shutdown timeout: unacknowledged inputs will be re-processed"
                    );
                    break;
                }
            }
        }
        if let Err(e) = consumer.commit_consumer_state(CommitMode::Sync) {
            tracing::debug!(error = %e, "final commit");
        }
        consumer.unsubscribe();
        drop(consumer);
        self.sink.flush(timeout)?;
        self.shared.set_ready(false);
        tracing::info!("stopped");
        Ok(())
    }
}

/// Runs the daemon until `shutdown` completes (then drains, commits and leaves the group) or a
/// fatal error (a failed delivery, an unreadable changelog, a broken topology).
pub async fn run(
    settings: &DaemonSettings,
    shared: Arc<Shared>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), DaemonError> {
    let k = &settings.kafka;
    tracing::info!(
        brokers = %k.brokers,
        group = %k.group_id,
        properties = ?settings.masked_properties(),
        "starting"
    );
    let consumer: StreamConsumer<SourceContext> = settings
        .consumer_config()
        .create_with_context(SourceContext::default())?;
    let [billing, contacts] = settings.input_topics();
    let partitions = check_co_partitioned(
        &consumer,
        &[billing, contacts, &k.changelog_topic],
        Duration::from_secs(10),
    )?;
    tracing::info!(partitions, "input topics are co-partitioned");
    consumer.subscribe(&[billing, contacts])?;
    shared.lock().collect_published();
    let mut d = Daemon {
        settings,
        sink: Sink::new(settings)?,
        shared,
        owned: Owned::new(),
        pending: VecDeque::new(),
    };
    let interval =
        (k.evaluate_interval_ms > 0).then(|| Duration::from_millis(k.evaluate_interval_ms));
    let mut tick = tokio::time::interval(interval.unwrap_or(Duration::from_secs(3600)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    loop {
        let changes = consumer.context().take_events();
        d.on_ownership(changes).await?;
        if d.pending.len() >= k.max_in_flight {
            let done = settle_head(&mut d.pending).await?;
            Daemon::store(&consumer, done);
            continue;
        }
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            done = settle_head(&mut d.pending), if !d.pending.is_empty() => {
                Daemon::store(&consumer, done?);
            }
            _ = tick.tick(), if interval.is_some() => d.on_clock().await?,
            // A rebalance served while no message arrives (nothing new to consume): handled at
            // the top of the loop, so the instance restores and becomes ready anyway.
            () = consumer.context().changed() => {}
            m = consumer.recv() => {
                let m = m?;
                // A rebalance served by this poll comes first: restore before processing.
                let changes = consumer.context().take_events();
                d.on_ownership(changes).await?;
                d.on_message(&m).await?;
            }
        }
    }
    d.shutdown(consumer).await
}
