//! The processing loop: the session (one consumer and producer, from joining the group to a
//! graceful stop), records received, merged in event time across the two input topics
//! (`merge`) and handed to the `worker`, acknowledgements settled in order, the clock timer,
//! rebalances; and `run`, which rides out transient client errors by starting a new session.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Message;
use rdkafka::TopicPartitionList;

use super::error::DaemonError;
use super::fault::{self, Backoff, Class, RateLimit};
use super::in_flight::InFlight;
use super::merge::{Input, Merge, MAX_BUFFERED};
use super::restore::RestoreTask;
use super::settings::DaemonSettings;
use super::shared::Shared;
use super::sink::Sink;
use super::source::{check_co_partitioned, SourceContext, TopologyError};
use super::worker::{Daemon, Owned};

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
                    pl.take_published();
                    pl.take_decisions();
                }
                shared.decisions.clear();
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
    {
        let mut pl = shared.lock();
        pl.collect_published();
        pl.collect_decisions();
    }
    let mut d = Daemon {
        settings,
        sink,
        shared,
        owned: Owned::new(),
        in_flight,
        bins: HashMap::new(),
        spans: HashMap::new(),
        last_record: None,
        expiry_checked: None,
        restoring: BTreeSet::new(),
        restore_task: None,
    };
    let interval =
        (k.evaluate_interval_ms > 0).then(|| Duration::from_millis(k.evaluate_interval_ms));
    let mut tick = tokio::time::interval(interval.unwrap_or(Duration::from_secs(3600)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut merge: Merge = Merge::new(Duration::from_millis(k.max_task_idle_ms));
    let mut next = NextOffsets::new([billing, contacts]);
    let mut paused = Paused::default();
    loop {
        if let Some(e) = d.in_flight.take_failure() {
            return Err(e.into());
        }
        d.on_ownership(consumer.context().take_events());
        forget_revoked(&d, &mut merge, &mut next);
        paused.pause_new(&consumer, &d.restoring, [billing, contacts]);
        // Everything librdkafka already holds joins the merge before anything is released: a
        // record waiting for the other topic must not go for want of a poll.
        while merge.len() <= MAX_BUFFERED {
            let Some(m) = now_or_never(consumer.recv()) else {
                break;
            };
            match m {
                Ok(m) => {
                    backoff.reset();
                    received(&mut d, &consumer, &mut merge, &mut next, &m);
                }
                Err(e) => {
                    if on_consumer_error(&d, e, &mut backoff, &mut warn, &mut shutdown).await? {
                        return d.shutdown(consumer).await;
                    }
                    break;
                }
            }
        }
        // Records that may go now, in event time across the two topics.
        while d.in_flight.len() < k.max_in_flight {
            let released = merge.pop(
                Instant::now(),
                |p| !d.restoring.contains(&p),
                |input, p| next.behind(&consumer, input, p),
            );
            let Some((_, m)) = released else { break };
            d.on_message(&m).await?;
        }
        let waiting = d.in_flight.len();
        if waiting >= k.max_in_flight {
            d.in_flight.settle_head(&consumer).await?;
            continue;
        }
        // Only partitions not being restored: their records cannot go before the restore.
        let wait_until = merge.next_deadline(|p| !d.restoring.contains(&p));
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            r = d.in_flight.settle_head(&consumer), if waiting > 0 => r?,
            _ = tick.tick(), if interval.is_some() => d.on_clock().await?,
            // A rebalance served while no message arrives (nothing new to consume): handled at
            // the top of the loop, so the instance restores and becomes ready anyway.
            () = consumer.context().changed() => {}
            // A changelog read finished: apply it, let its partitions' records go.
            read = RestoreTask::done(&mut d.restore_task), if d.restore_task.is_some() => {
                let (done, committed) = d.restored(read).await?;
                next.committed(committed);
                paused.resume(&consumer, &done, [billing, contacts]);
            }
            // A record held for the other topic may go once it has waited long enough.
            () = sleep_until(wait_until), if wait_until.is_some() => {}
            m = consumer.recv(), if merge.len() <= MAX_BUFFERED => match m {
                Ok(m) => {
                    backoff.reset();
                    received(&mut d, &consumer, &mut merge, &mut next, &m);
                }
                Err(e) => {
                    if on_consumer_error(&d, e, &mut backoff, &mut warn, &mut shutdown).await? {
                        break;
                    }
                }
            }
        }
    }
    d.shutdown(consumer).await
}

/// A received record: consuming again; a rebalance served by this poll comes first (its
/// partitions' records wait in the merge until they are restored); then the record joins the
/// merge if its partition is assigned.
fn received(
    d: &mut Daemon<'_>,
    consumer: &StreamConsumer<SourceContext>,
    merge: &mut Merge,
    next: &mut NextOffsets,
    m: &rdkafka::message::BorrowedMessage<'_>,
) {
    d.shared.set_consuming(true);
    d.on_ownership(consumer.context().take_events());
    forget_revoked(d, merge, next);
    if !d.owned.contains_key(&m.partition()) && !d.restoring.contains(&m.partition()) {
        return;
    }
    let input = next.input_of(m.topic());
    next.received(input, m.partition(), m.offset());
    let at = m
        .payload()
        .and_then(crate::engine::events::peek_occurred_at);
    merge.push(input, m.partition(), m.detach(), at, Instant::now());
}

/// A consumer error: fatal ones end the session; transient ones clear `consuming`, log at a
/// bounded rate and back off while the cluster is out of reach. `Ok(true)`: shut down.
async fn on_consumer_error(
    d: &Daemon<'_>,
    e: rdkafka::error::KafkaError,
    backoff: &mut Backoff,
    warn: &mut RateLimit,
    shutdown: &mut (impl Future<Output = ()> + Unpin),
) -> Result<bool, DaemonError> {
    if fault::classify(&e) == Class::Fatal {
        tracing::error!(error = %e, "fatal consumer error");
        return Err(DaemonError::FatalKafka {
            what: "consuming",
            source: e,
        });
    }
    d.shared.set_consuming(false);
    // The cluster out of reach: back off. A partition's fetch error (timed out, leader moved):
    // librdkafka already retries it, and the other partitions still deliver, so the loop goes
    // straight on.
    let pause = if fault::is_unreachable(&e) {
        backoff.next_delay()
    } else {
        Duration::ZERO
    };
    if let Some(n) = warn.allow(Instant::now()) {
        tracing::warn!(error = %e, suppressed = n, pause_ms = pause.as_millis() as u64, "consumer error; backing off (librdkafka reconnects)");
    }
    Ok(pause_or_stop(shutdown, pause).await)
}

/// Polls `f` once: its output if it is ready now.
fn now_or_never<F: Future>(f: F) -> Option<F::Output> {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => Some(v),
        std::task::Poll::Pending => None,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// Drops what the merge holds, and the offsets known, for partitions no longer assigned.
fn forget_revoked(d: &Daemon<'_>, merge: &mut Merge, next: &mut NextOffsets) {
    let assigned = |p: &i32| d.owned.contains_key(p) || d.restoring.contains(p);
    let gone: Vec<i32> = merge.partitions().filter(|p| !assigned(p)).collect();
    for p in gone {
        merge.drop_partition(p);
    }
    next.retain(|p| assigned(&p));
}

/// The partitions whose fetching is paused while their changelog is read, so the records that
/// wait for the restore stay bounded while the consumer keeps being polled.
#[derive(Default)]
struct Paused(BTreeSet<i32>);

impl Paused {
    fn pause_new(
        &mut self,
        consumer: &StreamConsumer<SourceContext>,
        restoring: &BTreeSet<i32>,
        topics: [&str; 2],
    ) {
        // Revoked meanwhile: librdkafka forgets them with the assignment.
        self.0.retain(|p| restoring.contains(p));
        let new: Vec<i32> = restoring.difference(&self.0).copied().collect();
        if new.is_empty() {
            return;
        }
        if let Err(e) = consumer.pause(&both(&new, topics)) {
            tracing::warn!(error = %e, "cannot pause partitions being restored");
        }
        self.0.extend(new);
    }

    fn resume(
        &mut self,
        consumer: &StreamConsumer<SourceContext>,
        done: &[i32],
        topics: [&str; 2],
    ) {
        let mine: Vec<i32> = done.iter().copied().filter(|p| self.0.remove(p)).collect();
        if mine.is_empty() {
            return;
        }
        if let Err(e) = consumer.resume(&both(&mine, topics)) {
            tracing::warn!(error = %e, "cannot resume restored partitions");
        }
    }
}

/// Partitions `parts` of both input topics.
fn both(parts: &[i32], topics: [&str; 2]) -> TopicPartitionList {
    let mut tpl = TopicPartitionList::new();
    for t in topics {
        for &p in parts {
            tpl.add_partition(t, p);
        }
    }
    tpl
}

/// The next offset this session will receive from each input topic partition: what it last
/// received plus one, or, before the first record, the group's committed offset as the restore
/// read it (`None`: none committed, so the low watermark). Nothing here makes a request.
struct NextOffsets {
    /// The input topics' names (billing, contacts), and as C strings for librdkafka.
    topics: [String; 2],
    c_topics: [std::ffi::CString; 2],
    next: HashMap<(Input, i32), i64>,
    committed: HashMap<(Input, i32), Option<i64>>,
}

impl NextOffsets {
    fn new(topics: [&str; 2]) -> NextOffsets {
        // Topic names are validated configuration: no NUL.
        let c = |t: &str| std::ffi::CString::new(t).unwrap_or_default();
        NextOffsets {
            topics: topics.map(str::to_string),
            c_topics: topics.map(c),
            next: HashMap::new(),
            committed: HashMap::new(),
        }
    }

    /// Which input a topic is (billing unless it is the contacts topic).
    fn input_of(&self, topic: &str) -> Input {
        if topic == self.topics[1] {
            Input::Contacts
        } else {
            Input::Billing
        }
    }

    fn received(&mut self, input: Input, partition: i32, offset: i64) {
        self.next.insert((input, partition), offset + 1);
    }

    /// The committed offsets a restore read, by topic name.
    fn committed(&mut self, read: HashMap<(String, i32), Option<i64>>) {
        for ((topic, p), offset) in read {
            self.committed.insert((self.input_of(&topic), p), offset);
        }
    }

    fn retain(&mut self, keep: impl Fn(i32) -> bool) {
        self.next.retain(|(_, p), _| keep(*p));
        self.committed.retain(|(_, p), _| keep(*p));
    }

    /// Whether `topic`'s `partition` may hold records this session has not received: its high
    /// watermark (as of the latest fetch) is beyond the next offset. Unknown counts as behind.
    fn behind(
        &self,
        consumer: &StreamConsumer<SourceContext>,
        input: Input,
        partition: i32,
    ) -> bool {
        let topic = &self.c_topics[input as usize];
        let Some((low, high)) = cached_watermarks(consumer, topic, partition) else {
            return true;
        };
        if high < 0 {
            return true;
        }
        let next = match self.next.get(&(input, partition)) {
            Some(&n) => n,
            None => match self.committed.get(&(input, partition)) {
                Some(c) => c.unwrap_or(low),
                None => return true,
            },
        };
        next < high
    }
}

/// librdkafka's watermarks of a partition as of its latest fetch response (no request is made).
#[allow(
    unsafe_code,
    reason = "rust-rdkafka has no safe call for librdkafka's cached watermarks"
)]
fn cached_watermarks(
    consumer: &StreamConsumer<SourceContext>,
    topic: &std::ffi::CStr,
    partition: i32,
) -> Option<(i64, i64)> {
    let (mut low, mut high) = (-1i64, -1i64);
    // SAFETY: the client handle lives as long as `consumer`, which outlives the call; `topic` is a
    // NUL-terminated string that outlives it; the out-pointers point to two live i64s.
    let err = unsafe {
        rdkafka::bindings::rd_kafka_get_watermark_offsets(
            consumer.client().native_ptr(),
            topic.as_ptr(),
            partition,
            &mut low,
            &mut high,
        )
    };
    (err == rdkafka::bindings::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR)
        .then_some((low, high))
}
