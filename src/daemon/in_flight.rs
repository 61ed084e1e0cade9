//! The inputs whose outputs are in flight, oldest first: shared by the processing loop (which
//! settles them as acknowledgements arrive) and the rebalance callback (which finishes them
//! before partitions are revoked). Offsets are stored strictly in this order.
//!
//! Outputs go in two stages so that no crash can leave a stale or a conflicting item: an input's
//! changelog records are sent first, and its work items, each followed by its decision record,
//! are held until every one of them is acknowledged. An item and its decision record are released
//! together, one right after the other, and the input's offset is stored only once both are
//! acknowledged: a record goes wherever its item goes. A crash before the release leaves no item
//! (nor record) of the new state anywhere (the input is re-applied from the previous state and its
//! items computed again); a crash after it leaves the state durable, and restoring re-sends each
//! account's latest item, same version, same content, with its record (the changelog carries it).
//! Held items are released in queue order, so an account's items reach the topic in version
//! order.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use rdkafka::consumer::{Consumer, ConsumerContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer};

use super::shared::Shared;
use super::sink::{self, DeliveryError, Sink, SinkContext};

/// An output held until the changelog records of its input are acknowledged.
pub enum Held {
    /// A work item: key (the account) and JSON.
    Item { key: String, payload: Vec<u8> },
    /// The decision record of the item before it: key (the account) and JSON.
    Decision { key: String, payload: Arc<[u8]> },
}

/// An input record (or a clock tick) whose outputs are not all acknowledged yet.
pub struct Pending {
    pub source: Option<(String, i32, i64)>,
    pub received: Instant,
    /// Outstanding acknowledgements: first the changelog records (and dead letters), then, once
    /// `held` is released, the work items and their decision records.
    pub acks: Vec<(&'static str, DeliveryFuture)>,
    /// Work items and their decision records, in that order, sent only when every
    /// acknowledgement in `acks` has arrived.
    pub held: Vec<Held>,
}

impl Pending {
    /// An entry whose outputs were all sent already.
    pub fn sent(
        source: Option<(String, i32, i64)>,
        received: Instant,
        acks: Vec<(&'static str, DeliveryFuture)>,
    ) -> Pending {
        Pending {
            source,
            received,
            acks,
            held: Vec::new(),
        }
    }

    /// Polls the outstanding acknowledgements; a resolved one is removed (cancel-safe).
    fn poll_acks(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), DeliveryError>> {
        while let Some((topic, f)) = self.acks.last_mut() {
            let topic = *topic;
            let Poll::Ready(result) = Pin::new(f).poll(cx) else {
                return Poll::Pending;
            };
            self.acks.pop();
            sink::delivered(topic, result)?;
        }
        Poll::Ready(Ok(()))
    }
}

/// The inputs whose outputs are in flight, oldest first, shared by the processing loop (which
/// settles them as acknowledgements arrive) and the rebalance callback (which finishes them
/// before partitions are revoked). Offsets are stored strictly in this order.
pub struct InFlight {
    queue: Mutex<Queue>,
    producer: FutureProducer<SinkContext>,
    work_items: String,
    decisions: String,
    flush_timeout: Duration,
    /// A delivery that failed while the callback finished the queue; fatal for the loop.
    failure: Mutex<Option<DeliveryError>>,
    /// Set at shutdown: a revocation while leaving the group flushes only until then.
    deadline: Mutex<Option<Instant>>,
    shared: Arc<Shared>,
}

/// The entries, oldest first, and how many leading ones have no held items left (the release
/// starts after them, so it costs nothing per entry already released).
#[derive(Default)]
struct Queue {
    entries: VecDeque<Pending>,
    released: usize,
}

impl Queue {
    fn pop_front(&mut self) -> Option<Pending> {
        let p = self.entries.pop_front()?;
        self.released = self.released.saturating_sub(1);
        Some(p)
    }
}

impl InFlight {
    pub fn new(sink: &Sink, flush_timeout: Duration, shared: Arc<Shared>) -> InFlight {
        InFlight {
            queue: Mutex::new(Queue::default()),
            producer: sink.producer().clone(),
            work_items: sink.work_items_topic().to_string(),
            decisions: sink.decisions_topic().to_string(),
            flush_timeout,
            failure: Mutex::new(None),
            deadline: Mutex::new(None),
            shared,
        }
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn is_empty(&self) -> bool {
        self.queue().entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.queue().entries.len()
    }

    pub fn push(&self, p: Pending) {
        let mut q = self.queue();
        q.entries.push_back(p);
        self.shared.metrics.in_flight.set(q.entries.len() as i64);
    }

    /// Waits until the oldest entry's outputs are all acknowledged, then stores its offset.
    pub async fn settle_head<X: ConsumerContext, C: Consumer<X>>(
        &self,
        consumer: &C,
    ) -> Result<(), DeliveryError> {
        let done = std::future::poll_fn(|cx| {
            let mut q = self.queue();
            if let Err(e) = self.release(&mut q, cx) {
                return Poll::Ready(Err(e));
            }
            let Some(head) = q.entries.front_mut() else {
                // Emptied by a revocation meanwhile; the loop re-checks before waiting again.
                return Poll::Ready(Ok(None));
            };
            if !head.held.is_empty() {
                return Poll::Pending;
            }
            match head.poll_acks(cx) {
                Poll::Ready(Ok(())) => Poll::Ready(Ok(q.pop_front())),
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                Poll::Pending => Poll::Pending,
            }
        })
        .await
        .inspect_err(|e| self.count_failure(e))?;
        if let Some(done) = done {
            self.complete(consumer, done);
        }
        Ok(())
    }

    /// Sends the held items of every entry whose changelog records are all acknowledged, oldest
    /// first, stopping at the first entry still waiting: items leave in queue order. A full local
    /// queue stops the release until the next poll (the waker is woken to come back).
    fn release(&self, q: &mut Queue, cx: &mut Context<'_>) -> Result<usize, DeliveryError> {
        let mut released = 0;
        while let Some(p) = q.entries.get_mut(q.released) {
            if p.held.is_empty() {
                q.released += 1;
                continue;
            }
            match p.poll_acks(cx) {
                Poll::Pending => break,
                Poll::Ready(Err(e)) => {
                    self.count_failure(&e);
                    return Err(e);
                }
                Poll::Ready(Ok(())) => {}
            }
            for (i, held) in p.held.iter().enumerate() {
                let (topic, label, key, payload) = match held {
                    Held::Item { key, payload } => {
                        (&self.work_items, "work-items", key, &payload[..])
                    }
                    Held::Decision { key, payload } => {
                        (&self.decisions, "decisions", key, &payload[..])
                    }
                };
                let record = FutureRecord::<[u8], [u8]>::to(topic)
                    .key(key.as_bytes())
                    .payload(payload);
                match self.producer.send_result(record) {
                    Ok(f) => {
                        p.acks.push((label, f));
                        released += 1;
                    }
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                        p.held.drain(..i);
                        cx.waker().wake_by_ref();
                        return Ok(released);
                    }
                    Err((source, _)) => {
                        p.held.drain(..i);
                        let e = DeliveryError {
                            topic: topic.clone(),
                            source,
                        };
                        self.count_failure(&e);
                        return Err(e);
                    }
                }
            }
            p.held.clear();
            q.released += 1;
        }
        Ok(released)
    }

    /// Records a settled entry: metrics, producer health, and its input offset.
    fn complete<X: ConsumerContext, C: Consumer<X>>(&self, consumer: &C, done: Pending) {
        let m = &self.shared.metrics;
        m.in_flight.set(self.len() as i64);
        self.shared.set_producer_healthy(true);
        if let Some((topic, partition, offset)) = done.source {
            m.processing_latency
                .observe(done.received.elapsed().as_secs_f64());
            // Fails only for a partition no longer assigned; its next owner re-processes it.
            if let Err(e) = consumer.store_offset(&topic, partition, offset) {
                tracing::debug!(topic, partition, error = %e, "offset not stored");
            }
        }
    }

    /// Before a revocation: flushes the producer, then stores the offsets of every entry, oldest
    /// first, whose outputs are acknowledged; returns how many. Stops at the first entry still
    /// unacknowledged (its input is re-processed by the next owner).
    pub fn finish<X: ConsumerContext, C: Consumer<X>>(&self, consumer: &C) -> usize {
        let deadline = *self.deadline.lock().unwrap_or_else(|e| e.into_inner());
        let timeout = deadline.map_or(self.flush_timeout, |d| {
            d.saturating_duration_since(Instant::now())
        });
        let until = Instant::now() + timeout;
        let mut cx = Context::from_waker(Waker::noop());
        // Flush, release the items whose changelog records are now acknowledged, flush again:
        // until nothing more is released or the time is up.
        loop {
            if let Err(e) = self
                .producer
                .flush(until.saturating_duration_since(Instant::now()))
            {
                tracing::warn!(error = %e, "flush before revocation incomplete");
                break;
            }
            let released = {
                let mut q = self.queue();
                self.release(&mut q, &mut cx)
            };
            match released {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(error = %e, "delivery failed while finishing in-flight work");
                    *self.failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                    return 0;
                }
            }
        }
        let mut finished = 0;
        loop {
            let done = {
                let mut q = self.queue();
                let Some(head) = q.entries.front_mut() else {
                    break;
                };
                if !head.held.is_empty() {
                    break;
                }
                match head.poll_acks(&mut cx) {
                    Poll::Ready(Ok(())) => q.pop_front(),
                    Poll::Ready(Err(e)) => {
                        self.count_failure(&e);
                        tracing::error!(error = %e, "delivery failed while finishing in-flight work");
                        *self.failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                        break;
                    }
                    Poll::Pending => break,
                }
            };
            if let Some(done) = done {
                self.complete(consumer, done);
                finished += 1;
            }
        }
        finished
    }

    /// Counts a failed delivery by its error code.
    fn count_failure(&self, e: &DeliveryError) {
        let code = e.source.rdkafka_error_code();
        self.shared
            .metrics
            .producer_error(code.map_or("unknown", sink::error_code_name));
    }

    /// Bounds the flush of a revocation served while shutting down.
    pub fn set_deadline(&self, deadline: Instant) {
        *self.deadline.lock().unwrap_or_else(|e| e.into_inner()) = Some(deadline);
    }

    pub fn take_failure(&self) -> Option<DeliveryError> {
        self.failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }
}
