//! One session's processing state and effects: the accounts of each owned partition, restore
//! from the changelog on assignment and drop on revocation, one input record → `Pipeline` →
//! changelog record, then work items with their decision records (or a dead letter), the clock's
//! re-evaluation, and the graceful drain at shutdown. The loop that drives it is `app`'s.
//!
//! Owns the ordering of effects, not the domain: every decision is the pure `Pipeline`'s.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;

use tracing::Instrument;

use crate::engine::decisions::DecisionRecord;
use crate::engine::domain::Status;
use crate::engine::workitem::WorkItem;

use super::changelog::{self, Positions};
use super::decisions;
use super::error::DaemonError;
use super::in_flight::{Held, InFlight, Pending};
use super::metrics::score_bin;
use super::record::{process_isolated, Outcome};
use super::restore::{RestoreTask, Restored};
use super::settings::DaemonSettings;
use super::shared::Shared;
use super::sink::{Sink, Source};
use super::source::{Ownership, SourceContext};

/// An account's partition, input positions and state, for its changelog record.
type ChangelogState = (i32, Positions, Vec<u8>);

/// The accounts of each owned partition and the input positions their state reflects.
pub type Owned = BTreeMap<i32, HashMap<String, Positions>>;

pub struct Daemon<'a> {
    pub settings: &'a DaemonSettings,
    pub shared: Arc<Shared>,
    pub sink: Sink,
    pub owned: Owned,
    pub in_flight: Arc<InFlight>,
    /// The current score bins of every owned account whose published item is open or held and
    /// past due (the drift metric's population, as in training).
    pub bins: HashMap<String, [u8; 2]>,
    /// One span per owned partition, entered for each of its records (spans are per partition
    /// and per batch, never created per event).
    pub spans: HashMap<i32, tracing::Span>,
    /// When the latest record was received and its event time: the timer pauses while a backlog
    /// older than `catch_up_lag_ms` is being consumed.
    pub last_record: Option<(Instant, jiff::Timestamp)>,
    /// The clock when closed accounts were last checked for expiry (at most hourly by the clock).
    pub expiry_checked: Option<jiff::Timestamp>,
    /// Partitions assigned whose changelog read is in flight: their records wait in the merge
    /// (and their fetching is paused) while the consumer keeps being polled.
    pub restoring: BTreeSet<i32>,
    /// The changelog read in flight, if any.
    pub restore_task: Option<RestoreTask>,
}

impl Daemon<'_> {
    /// Applies ownership changes: a revoked partition's accounts are dropped at once; an assigned
    /// one starts a changelog read in the background ([`Daemon::restored`] applies it).
    pub fn on_ownership(&mut self, events: Vec<Ownership>) {
        for ev in events {
            match ev {
                Ownership::Revoked(parts) => {
                    let mut pl = self.shared.lock();
                    for p in parts {
                        for id in self.owned.remove(&p).unwrap_or_default().keys() {
                            pl.drop_account(id);
                            self.shared.decisions.forget(id);
                            let bins = self.bins.remove(id);
                            self.shared.metrics.move_population(bins, None);
                        }
                        self.restoring.remove(&p);
                        self.spans.remove(&p);
                    }
                    self.shared
                        .set_restored(!self.owned.is_empty() && self.restoring.is_empty());
                    self.shared
                        .metrics
                        .partitions_assigned
                        .set(self.owned.len() as i64);
                }
                Ownership::Assigned(parts) => {
                    let new: Vec<i32> = parts
                        .into_iter()
                        .filter(|p| !self.owned.contains_key(p) && !self.restoring.contains(p))
                        .collect();
                    if new.is_empty() {
                        continue;
                    }
                    self.shared.set_restored(false);
                    for &p in &new {
                        self.spans
                            .insert(p, tracing::info_span!("partition", partition = p));
                    }
                    self.restoring.extend(new);
                    self.start_restore();
                }
            }
        }
    }

    /// Starts reading the changelog of every partition still to restore (a read already in
    /// flight is superseded: its result is dropped).
    fn start_restore(&mut self) {
        if let Some(old) = self.restore_task.take() {
            old.abort();
        }
        let partitions: Vec<i32> = self.restoring.iter().copied().collect();
        tracing::info!(partitions = ?partitions, "restoring partitions from the changelog");
        self.restore_task = Some(RestoreTask::start(self.settings, partitions));
    }

    /// Applies a finished changelog read to the partitions still assigned; returns them (their
    /// records may now go, their fetching resume) and the committed input offsets it read.
    pub async fn restored(
        &mut self,
        read: Result<Result<Restored, changelog::RestoreError>, tokio::task::JoinError>,
    ) -> Result<(Vec<i32>, HashMap<(String, i32), Option<i64>>), DaemonError> {
        let Some(task) = self.restore_task.take() else {
            return Ok(Default::default());
        };
        let (latest, committed) = read??;
        let partitions: Vec<i32> = task
            .partitions
            .iter()
            .copied()
            .filter(|p| self.restoring.contains(p))
            .collect();
        let span = tracing::info_span!("restore", partitions = ?partitions);
        self.apply_restore(&partitions, &latest, task.started)
            .instrument(span)
            .await?;
        for p in &partitions {
            self.restoring.remove(p);
        }
        if !self.restoring.is_empty() {
            // Assigned while this read was in flight, not part of it.
            self.start_restore();
        }
        self.shared.set_restored(self.restoring.is_empty());
        self.shared
            .metrics
            .partitions_assigned
            .set(self.owned.len() as i64);
        Ok((partitions, committed))
    }

    async fn apply_restore(
        &mut self,
        partitions: &[i32],
        latest: &changelog::Latest,
        started: Instant,
    ) -> Result<(), DaemonError> {
        let (restored, republish) = {
            let mut restored = 0usize;
            let mut republish = Vec::new();
            let mut pl = self.shared.lock();
            for p in partitions {
                let accounts = self.owned.entry(*p).or_default();
                for value in latest.get(p).into_iter().flat_map(|m| m.values()).flatten() {
                    let (positions, state, carried) =
                        changelog::decode_with(value).map_err(|source| {
                            DaemonError::CorruptChangelog {
                                partition: *p,
                                source,
                            }
                        })?;
                    let id = pl
                        .restore(state)
                        .map_err(|source| DaemonError::CorruptChangelog {
                            partition: *p,
                            source,
                        })?;
                    accounts.insert(id.clone(), positions);
                    if let Some(item) = pl.item(&id) {
                        // The item's own decision record, if the changelog carries it.
                        let record = carried
                            .into_iter()
                            .find(|(version, _)| *version == item.version)
                            .map(|(_, r)| decisions::RecordBytes::from(r));
                        if let Some(r) = &record {
                            self.shared.decisions.record(&id, item.version, r.clone());
                        }
                        republish.push((item, record));
                    }
                    restored += 1;
                }
            }
            (restored, republish)
        };
        // Every restored account's latest item is sent again, same version, same content, and its
        // decision record after it: a crash after its changelog record was acknowledged but
        // before its outputs were may have left the topics one version behind the state; a
        // duplicate of an item (or of a record) already there is harmless.
        if !republish.is_empty() {
            let mut acks = Vec::with_capacity(2 * republish.len());
            for (item, record) in &republish {
                acks.push(("work-items", self.sink.work_item(item).await?));
                if let Some(r) = record {
                    acks.push(("decisions", self.sink.decision(&item.account_id, r).await?));
                }
                self.track_population(item);
            }
            self.in_flight.push(Pending::sent(None, started, acks));
        }
        let m = &self.shared.metrics;
        m.restore_duration.observe(started.elapsed().as_secs_f64());
        m.restored_accounts.inc_by(restored as u64);
        tracing::info!(
            partitions = ?partitions,
            accounts = restored,
            republished = republish.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "partitions restored from the changelog"
        );
        Ok(())
    }

    /// Counts a published item and moves its account in the live score population.
    fn published(&mut self, item: &WorkItem) {
        self.shared.metrics.published(item);
        self.track_population(item);
    }

    /// The outputs held for the changelog's acknowledgement: each published item followed by its
    /// decision record, which joins its account's recent records.
    fn stage(&mut self, items: Vec<WorkItem>, records: Vec<DecisionRecord>) -> Vec<Held> {
        let mut held = Vec::with_capacity(2 * items.len());
        for (item, record) in decisions::pair(items, records) {
            let (key, payload) = Sink::item_record(&item);
            held.push(Held::Item { key, payload });
            if let Some(r) = record {
                let json = decisions::RecordBytes::from(r.to_json().into_bytes());
                let id = &item.account_id;
                self.shared.decisions.record(id, item.version, json.clone());
                self.shared.metrics.decision_records.inc();
                held.push(Held::Decision {
                    key: id.clone(),
                    payload: json,
                });
            }
            self.published(&item);
        }
        held
    }

    /// An account's changelog record: its positions, its state and its latest decision record.
    fn changelog_value(&self, account: &str, positions: &Positions, state: &[u8]) -> Vec<u8> {
        let latest = self.shared.decisions.to_carry(account);
        let carried: Vec<(u64, &[u8])> = latest.iter().map(|(v, r)| (*v, &r[..])).collect();
        changelog::encode_with(positions, state, &carried)
    }

    /// Moves an item's account in the live score population (drift).
    fn track_population(&mut self, item: &WorkItem) {
        let m = &self.shared.metrics;
        // The population the models were trained on: open accounts past due.
        let scored = item.days_past_due > 0 && item.status != Status::Closed;
        let now = scored.then(|| {
            [
                score_bin(item.scores.willingness) as u8,
                score_bin(item.scores.ability) as u8,
            ]
        });
        let before = match now {
            Some(bins) => self.bins.insert(item.account_id.clone(), bins),
            None => self.bins.remove(&item.account_id),
        };
        m.move_population(before, now);
    }

    pub async fn on_message(&mut self, m: &impl Message) -> Result<(), DaemonError> {
        let span = self.spans.get(&m.partition()).cloned();
        let span = span.unwrap_or_else(tracing::Span::none);
        self.handle(m).instrument(span).await
    }

    async fn handle(&mut self, m: &impl Message) -> Result<(), DaemonError> {
        let received = Instant::now();
        let metrics = &self.shared.metrics;
        let (topic, partition, offset) = (m.topic(), m.partition(), m.offset());
        metrics.last_event.set(unix_now());
        let Some(accounts) = self.owned.get_mut(&partition) else {
            // A message from a partition this instance no longer owns: its owner handles it.
            return Ok(());
        };
        let payload = m.payload().unwrap_or(&[]);
        let (seen, outcome, unknown_contacts) = {
            let mut pl = self.shared.lock();
            // Event times more than `events.max_clock_skew_hours` ahead of the wall clock are
            // refused, so one bad timestamp cannot move the accounts' clock.
            if let Some(bound) = self.shared.clock.event_time_bound() {
                pl.set_clock_floor(bound);
            }
            let before = pl.stats().unknown_contacts;
            let at = (topic, partition, offset);
            let (seen, outcome) = process_isolated(&mut pl, accounts, at, m.key(), payload);
            (seen, outcome, pl.stats().unknown_contacts - before)
        };
        metrics.unknown_contact_attempts.inc_by(unknown_contacts);
        metrics.consumed(topic, seen.map(|s| s.0));
        if let Some((_, at)) = seen {
            self.last_record = Some((received, at));
            let lag = jiff::Timestamp::now().duration_since(at).as_secs_f64();
            metrics.event_lag.observe(lag.max(0.0));
        }
        let mut acks = Vec::new();
        let mut held = Vec::new();
        match outcome {
            Outcome::AlreadyApplied => metrics.skipped_applied.inc(),
            Outcome::Duplicate => metrics.skipped_duplicate.inc(),
            Outcome::Rejected(r) => {
                metrics.rejected(r.reason);
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
                decisions,
                positions,
                state,
            } => {
                // The changelog record first; the items and their records wait for its
                // acknowledgement.
                held = self.stage(items, decisions);
                let value = self.changelog_value(&account, &positions, &state);
                let f = self.sink.changelog(&account, partition, &value).await?;
                self.shared.metrics.changelog_writes.inc();
                acks.push(("changelog", f));
            }
        }
        self.in_flight.push(Pending {
            source: Some((topic.to_string(), partition, offset)),
            received,
            acks,
            held,
        });
        Ok(())
    }

    /// Re-evaluates the accounts whose items may change with the clock, publishes the changes.
    /// Whether a backlog is being consumed: records keep arriving (one within the last 5 s or
    /// two ticks) and the latest is older than `catch_up_lag_ms` behind the clock.
    fn catching_up(&self, now: jiff::Timestamp) -> bool {
        let k = &self.settings.kafka;
        let Some((received, at)) = self.last_record else {
            return false;
        };
        let recent = Duration::from_millis((2 * k.evaluate_interval_ms).max(5_000));
        let behind = now.duration_since(at).as_millis();
        k.catch_up_lag_ms > 0
            && received.elapsed() < recent
            && behind > i128::from(k.catch_up_lag_ms)
    }

    /// Forgets the accounts closed longer than `events.closed_retention_days` (checked at most once
    /// an hour of the clock): a changelog tombstone for each, so compaction drops their state and
    /// a restore does not bring them back; their final items stay on the work-item topic.
    async fn expire(&mut self, now: jiff::Timestamp) -> Result<(), DaemonError> {
        if self
            .expiry_checked
            .is_some_and(|c| now.duration_since(c).as_secs() < 3_600)
        {
            return Ok(());
        }
        self.expiry_checked = Some(now);
        let gone = self.shared.lock().expire_closed(now);
        if gone.is_empty() {
            return Ok(());
        }
        let mut acks = Vec::with_capacity(gone.len());
        for id in &gone {
            let owner = self
                .owned
                .iter_mut()
                .find_map(|(p, accounts)| accounts.remove(id).map(|_| *p));
            if let Some(p) = owner {
                acks.push(("changelog", self.sink.changelog_tombstone(id, p).await?));
            }
            self.shared.decisions.forget(id);
            let bins = self.bins.remove(id);
            self.shared.metrics.move_population(bins, None);
        }
        self.shared
            .metrics
            .expired_accounts
            .inc_by(gone.len() as u64);
        tracing::info!(
            accounts = gone.len(),
            "closed accounts past their retention forgotten"
        );
        self.in_flight
            .push(Pending::sent(None, Instant::now(), acks));
        Ok(())
    }

    pub async fn on_clock(&mut self) -> Result<(), DaemonError> {
        let received = Instant::now();
        let now = self.shared.clock.now();
        if self.catching_up(now) {
            tracing::debug!("clock re-evaluation paused while a backlog is consumed");
            return Ok(());
        }
        self.expire(now).await?;
        let (items, records, states): (_, _, Vec<(String, Option<ChangelogState>)>) = {
            let mut pl = self.shared.lock();
            let items = pl.evaluate_due(now);
            pl.take_published();
            let records = pl.take_decisions();
            let states = items
                .iter()
                .map(|item| {
                    let id = &item.account_id;
                    let state = self.owned.iter().find_map(|(p, accounts)| {
                        let positions = accounts.get(id)?;
                        Some((*p, positions.clone(), pl.snapshot(id)?))
                    });
                    (id.clone(), state)
                })
                .collect();
            (items, records, states)
        };
        if items.is_empty() {
            return Ok(());
        }
        let span = tracing::info_span!("clock", items = items.len());
        let _entered = span.enter();
        let count = items.len();
        let held = self.stage(items, records);
        // The changelog records first; the items and their records wait for their
        // acknowledgements.
        let mut acks = Vec::new();
        for (id, state) in &states {
            if let Some((p, positions, state)) = state {
                let value = self.changelog_value(id, positions, state);
                acks.push(("changelog", self.sink.changelog(id, *p, &value).await?));
                self.shared.metrics.changelog_writes.inc();
            }
        }
        tracing::debug!(items = count, "clock re-evaluation published");
        self.in_flight.push(Pending {
            source: None,
            received,
            acks,
            held,
        });
        Ok(())
    }

    pub async fn shutdown(
        self,
        consumer: StreamConsumer<SourceContext>,
    ) -> Result<(), DaemonError> {
        tracing::info!(pending = self.in_flight.len(), "shutting down: draining");
        let timeout = self.settings.shutdown_timeout();
        let deadline = tokio::time::Instant::now() + timeout;
        self.in_flight.set_deadline(deadline.into_std());
        while !self.in_flight.is_empty() {
            match tokio::time::timeout_at(deadline, self.in_flight.settle_head(&consumer)).await {
                Ok(r) => r?,
                Err(_) => {
                    tracing::warn!(
                        pending = self.in_flight.len(),
                        "shutdown timeout: unacknowledged inputs will be re-processed"
                    );
                    break;
                }
            }
        }
        match consumer.commit_consumer_state(CommitMode::Sync) {
            Ok(()) => tracing::info!("offsets committed"),
            Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {}
            Err(e) => {
                tracing::warn!(error = %e, "final commit failed; uncommitted inputs will be re-processed and skipped by position")
            }
        }
        consumer.unsubscribe();
        drop(consumer);
        // Everything acknowledged was flushed above; this bounds what a timeout left queued.
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if let Err(e) = self.sink.flush(left.max(Duration::from_millis(100))) {
            tracing::warn!(error = %e, "producer not flushed before the shutdown deadline; unacknowledged inputs will be re-processed");
        }
        self.shared.set_restored(false);
        tracing::info!("stopped");
        Ok(())
    }
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
