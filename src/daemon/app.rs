//! The processing loop: input records → `Pipeline` → work items, changelog records and dead
//! letters; input offsets stored only after everything a record caused is acknowledged;
//! partitions restored from the changelog on assignment and dropped on revocation; a clock timer
//! for changes that need no event; graceful shutdown.
//!
//! Owns the ordering of effects, not the domain: every decision is the pure `Pipeline`'s.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Message};

use tracing::Instrument;

use crate::engine::domain::Status;
use crate::engine::workitem::WorkItem;

use super::changelog::{self, Positions};
use super::error::DaemonError;
use super::fault::{self, Backoff, Class, RateLimit};
use super::in_flight::{InFlight, Pending};
use super::metrics::score_bin;
use super::record::{process_isolated, Outcome};
use super::settings::DaemonSettings;
use super::shared::Shared;
use super::sink::{Sink, Source};
use super::source::{check_co_partitioned, Ownership, SourceContext, TopologyError};

/// A changelog value and the partition it goes to.
type ChangelogRecord = (i32, Vec<u8>);

/// The accounts of each owned partition and the input positions their state reflects.
type Owned = BTreeMap<i32, HashMap<String, Positions>>;

struct Daemon<'a> {
    settings: &'a DaemonSettings,
    shared: Arc<Shared>,
    sink: Sink,
    owned: Owned,
    in_flight: Arc<InFlight>,
    /// The current score bins of every owned account whose published item is open or held and
    /// past due (the drift metric's population, as in training).
    bins: HashMap<String, [u8; 2]>,
    /// One span per owned partition, entered for each of its records (spans are per partition
    /// and per batch, never created per event).
    spans: HashMap<i32, tracing::Span>,
    /// When the latest record was received and its event time: the timer pauses while a backlog
    /// older than `catch_up_lag_ms` is being consumed.
    last_record: Option<(Instant, jiff::Timestamp)>,
}

impl Daemon<'_> {
    async fn on_ownership(&mut self, events: Vec<Ownership>) -> Result<(), DaemonError> {
        for ev in events {
            match ev {
                Ownership::Revoked(parts) => {
                    let mut pl = self.shared.lock();
                    for p in parts {
                        for id in self.owned.remove(&p).unwrap_or_default().keys() {
                            pl.drop_account(id);
                            let bins = self.bins.remove(id);
                            self.shared.metrics.move_population(bins, None);
                        }
                        self.spans.remove(&p);
                    }
                    self.shared.set_restored(!self.owned.is_empty());
                    self.shared
                        .metrics
                        .partitions_assigned
                        .set(self.owned.len() as i64);
                }
                Ownership::Assigned(parts) => {
                    let new: Vec<i32> = parts
                        .into_iter()
                        .filter(|p| !self.owned.contains_key(p))
                        .collect();
                    if new.is_empty() {
                        continue;
                    }
                    self.shared.set_restored(false);
                    for &p in &new {
                        self.spans
                            .insert(p, tracing::info_span!("partition", partition = p));
                    }
                    let span = tracing::info_span!("restore", partitions = ?new);
                    self.restore(new).instrument(span).await?;
                    self.shared.set_restored(true);
                    self.shared
                        .metrics
                        .partitions_assigned
                        .set(self.owned.len() as i64);
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
        let (restored, republish) = {
            let mut restored = 0usize;
            let mut republish = Vec::new();
            let mut pl = self.shared.lock();
            for p in &partitions {
                let accounts = self.owned.entry(*p).or_default();
                for value in latest.get(p).into_iter().flat_map(|m| m.values()).flatten() {
                    let (positions, state) = changelog::decode(value).map_err(|source| {
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
                        republish.push(item.clone());
                    }
                    restored += 1;
                }
            }
            (restored, republish)
        };
        // Every restored account's latest item is sent again, same version, same content: a crash
        // after its changelog record was acknowledged but before its item was may have left the
        // topic one version behind the state; a duplicate of an item already there is harmless.
        if !republish.is_empty() {
            let mut acks = Vec::with_capacity(republish.len());
            for item in &republish {
                acks.push(("work-items", self.sink.work_item(item).await?));
                self.track_population(item);
            }
            self.in_flight.push(Pending {
                source: None,
                received: started,
                acks,
            });
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

    async fn on_message(&mut self, m: &BorrowedMessage<'_>) -> Result<(), DaemonError> {
        let span = self.spans.get(&m.partition()).cloned();
        let span = span.unwrap_or_else(tracing::Span::none);
        self.handle(m).instrument(span).await
    }

    async fn handle(&mut self, m: &BorrowedMessage<'_>) -> Result<(), DaemonError> {
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
            let (seen, outcome) =
                process_isolated(&mut pl, accounts, topic, offset, m.key(), payload);
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
                changelog,
            } => {
                for item in &items {
                    acks.push(("work-items", self.sink.work_item(item).await?));
                    self.published(item);
                }
                let f = self.sink.changelog(&account, partition, &changelog).await?;
                self.shared.metrics.changelog_writes.inc();
                acks.push(("changelog", f));
            }
        }
        self.in_flight.push(Pending {
            source: Some((topic.to_string(), partition, offset)),
            received,
            acks,
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

    async fn on_clock(&mut self) -> Result<(), DaemonError> {
        let received = Instant::now();
        let now = self.shared.clock.now();
        if self.catching_up(now) {
            tracing::debug!("clock re-evaluation paused while a backlog is consumed");
            return Ok(());
        }
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
        let span = tracing::info_span!("clock", items = outputs.len());
        let _entered = span.enter();
        let mut acks = Vec::new();
        for (item, state) in &outputs {
            acks.push(("work-items", self.sink.work_item(item).await?));
            self.published(item);
            if let Some((p, value)) = state {
                acks.push((
                    "changelog",
                    self.sink.changelog(&item.account_id, *p, value).await?,
                ));
                self.shared.metrics.changelog_writes.inc();
            }
        }
        tracing::debug!(items = outputs.len(), "clock re-evaluation published");
        self.in_flight.push(Pending {
            source: None,
            received,
            acks,
        });
        Ok(())
    }

    async fn shutdown(self, consumer: StreamConsumer<SourceContext>) -> Result<(), DaemonError> {
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

/// Runs the daemon until `shutdown` completes (then drains, commits and leaves the group) or a
/// fatal error (an unreadable changelog, a broken topology, a fatal client error: bad
/// credentials or authorisation, a missing topic, a fenced producer, a refused configuration).
///
/// Transient client errors never stop it. A consumer error backs off and keeps the consumer
/// (librdkafka reconnects). A transient delivery failure (timed out, all brokers down) ends the
/// session instead of re-sending: the failed record's input offset is not stored, so the
/// session's consumer leaves the group, the accounts are dropped, and a new session restores
/// them from the changelog and re-processes every input whose outputs were not all acknowledged
/// (outputs that did land are skipped by position). Re-sending in place would be cheaper but
/// can reorder an account's records: a re-sent older changelog record landing after a newer one
/// would restore the older state. Starting over is what a crash and restart does, in-process.
pub async fn run(
    settings: &DaemonSettings,
    shared: Arc<Shared>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), DaemonError> {
    tokio::pin!(shutdown);
    let mut backoff = Backoff::edge();
    loop {
        match session(settings, shared.clone(), shutdown.as_mut()).await {
            Err(e) if e.is_transient_delivery() => {
                tracing::warn!(error = %e, "delivery failed; starting over from the stored offsets (unacknowledged inputs are re-processed)");
                shared.set_restored(false);
                shared.set_producer_healthy(false);
                {
                    let mut pl = shared.lock();
                    let ids: Vec<String> = pl.accounts().map(|a| a.id.clone()).collect();
                    for id in ids {
                        pl.drop_account(&id);
                    }
                }
                tokio::select! {
                    () = shutdown.as_mut() => return Ok(()),
                    () = tokio::time::sleep(backoff.next_delay()) => {}
                }
            }
            done => return done,
        }
    }
}

/// Waits `pause`, or returns `true` if `shutdown` completes first.
async fn pause_or_stop(shutdown: &mut (impl Future<Output = ()> + Unpin), pause: Duration) -> bool {
    tokio::select! {
        biased;
        () = shutdown => true,
        () = tokio::time::sleep(pause) => false,
    }
}

/// One consumer and producer: from joining the group to a graceful stop or an error.
async fn session(
    settings: &DaemonSettings,
    shared: Arc<Shared>,
    mut shutdown: impl Future<Output = ()> + Unpin,
) -> Result<(), DaemonError> {
    let k = &settings.kafka;
    tracing::info!(
        brokers = %k.brokers,
        group = %k.group_id,
        properties = ?settings.masked_properties(),
        "starting"
    );
    let sink = Sink::new(settings, shared.clone())?;
    let in_flight = Arc::new(InFlight::new(
        &sink,
        settings.shutdown_timeout(),
        shared.clone(),
    ));
    let [billing, contacts] = settings.input_topics();
    // The topology is read with a probe client: the group consumer is created only once the
    // cluster answers (one that lived through an outage before joining was seen never to join
    // the mock cluster's group).
    let probe: rdkafka::consumer::BaseConsumer = settings.consumer_config().create()?;
    let mut backoff = Backoff::edge();
    let mut warn = RateLimit::new(Duration::from_secs(5));
    let partitions = loop {
        let topics = [billing, contacts, &k.changelog_topic];
        match check_co_partitioned(&probe, &topics, Duration::from_secs(10)) {
            Ok(n) => break n,
            Err(TopologyError::Metadata { topic, source })
                if fault::classify(&source) == Class::Transient =>
            {
                shared.set_consuming(false);
                if let Some(n) = warn.allow(Instant::now()) {
                    tracing::warn!(topic, error = %source, suppressed = n, "cannot read topic metadata yet; retrying");
                }
                if pause_or_stop(&mut shutdown, backoff.next_delay()).await {
                    return Ok(());
                }
            }
            Err(e) => return Err(e.into()),
        }
    };
    drop(probe);
    let consumer: StreamConsumer<SourceContext> = settings
        .consumer_config()
        .create_with_context(SourceContext::new(shared.clone(), in_flight.clone()))
        .map_err(super::sensitive::mask_config_error)?;
    shared.set_consuming(true);
    backoff.reset();
    tracing::info!(partitions, "input topics are co-partitioned");
    consumer.subscribe(&[billing, contacts])?;
    shared.lock().collect_published();
    let mut d = Daemon {
        settings,
        sink,
        shared,
        owned: Owned::new(),
        in_flight,
        bins: HashMap::new(),
        spans: HashMap::new(),
        last_record: None,
    };
    let interval =
        (k.evaluate_interval_ms > 0).then(|| Duration::from_millis(k.evaluate_interval_ms));
    let mut tick = tokio::time::interval(interval.unwrap_or(Duration::from_secs(3600)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        if let Some(e) = d.in_flight.take_failure() {
            return Err(e.into());
        }
        let changes = consumer.context().take_events();
        d.on_ownership(changes).await?;
        let waiting = d.in_flight.len();
        if waiting >= k.max_in_flight {
            d.in_flight.settle_head(&consumer).await?;
            continue;
        }
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            r = d.in_flight.settle_head(&consumer), if waiting > 0 => r?,
            _ = tick.tick(), if interval.is_some() => d.on_clock().await?,
            // A rebalance served while no message arrives (nothing new to consume): handled at
            // the top of the loop, so the instance restores and becomes ready anyway.
            () = consumer.context().changed() => {}
            m = consumer.recv() => match m {
                Ok(m) => {
                    backoff.reset();
                    d.shared.set_consuming(true);
                    // A rebalance served by this poll comes first: restore before processing.
                    let changes = consumer.context().take_events();
                    d.on_ownership(changes).await?;
                    d.on_message(&m).await?;
                }
                Err(source) if fault::classify(&source) == Class::Fatal => {
                    tracing::error!(error = %source, "fatal consumer error");
                    return Err(DaemonError::FatalKafka { what: "consuming", source });
                }
                Err(e) => {
                    d.shared.set_consuming(false);
                    // The cluster out of reach: back off. A partition's fetch error (timed out,
                    // leader moved): librdkafka already retries it, and the other partitions
                    // still deliver, so the loop goes straight on.
                    let pause = if fault::is_unreachable(&e) {
                        backoff.next_delay()
                    } else {
                        Duration::ZERO
                    };
                    if let Some(n) = warn.allow(Instant::now()) {
                        tracing::warn!(error = %e, suppressed = n, pause_ms = pause.as_millis() as u64, "consumer error; backing off (librdkafka reconnects)");
                    }
                    if pause_or_stop(&mut shutdown, pause).await {
                        break;
                    }
                }
            }
        }
    }
    d.shutdown(consumer).await
}
