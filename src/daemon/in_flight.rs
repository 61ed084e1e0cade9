//! The inputs whose outputs are in flight, oldest first: shared by the processing loop (which
//! settles them as acknowledgements arrive) and the rebalance callback (which finishes them
//! before partitions are revoked). Offsets are stored strictly in this order.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use rdkafka::consumer::{Consumer, ConsumerContext};
use rdkafka::producer::{DeliveryFuture, FutureProducer, Producer};

use super::shared::Shared;
use super::sink::{self, DeliveryError, Sink, SinkContext};

/// An input record (or a clock tick) whose outputs are not all acknowledged yet.
pub struct Pending {
    pub source: Option<(String, i32, i64)>,
    pub received: Instant,
    pub acks: Vec<(&'static str, DeliveryFuture)>,
}

impl Pending {
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
    queue: Mutex<VecDeque<Pending>>,
    producer: FutureProducer<SinkContext>,
    flush_timeout: Duration,
    /// A delivery that failed while the callback finished the queue; fatal for the loop.
    failure: Mutex<Option<DeliveryError>>,
    /// Set at shutdown: a revocation while leaving the group flushes only until then.
    deadline: Mutex<Option<Instant>>,
    shared: Arc<Shared>,
}

impl InFlight {
    pub fn new(sink: &Sink, flush_timeout: Duration, shared: Arc<Shared>) -> InFlight {
        InFlight {
            queue: Mutex::new(VecDeque::new()),
            producer: sink.producer().clone(),
            flush_timeout,
            failure: Mutex::new(None),
            deadline: Mutex::new(None),
            shared,
        }
    }

    fn queue(&self) -> MutexGuard<'_, VecDeque<Pending>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn is_empty(&self) -> bool {
        self.queue().is_empty()
    }

    pub fn len(&self) -> usize {
        self.queue().len()
    }

    pub fn push(&self, p: Pending) {
        let mut q = self.queue();
        q.push_back(p);
        self.shared.metrics.in_flight.set(q.len() as i64);
    }

    /// Waits until the oldest entry's outputs are all acknowledged, then stores its offset.
    pub async fn settle_head<X: ConsumerContext, C: Consumer<X>>(
        &self,
        consumer: &C,
    ) -> Result<(), DeliveryError> {
        let done = std::future::poll_fn(|cx| {
            let mut q = self.queue();
            let Some(head) = q.front_mut() else {
                // Emptied by a revocation meanwhile; the loop re-checks before waiting again.
                return Poll::Ready(Ok(None));
            };
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
        if let Err(e) = self.producer.flush(timeout) {
            tracing::warn!(error = %e, "flush before revocation incomplete");
        }
        let mut cx = Context::from_waker(Waker::noop());
        let mut finished = 0;
        loop {
            let done = {
                let mut q = self.queue();
                let Some(head) = q.front_mut() else { break };
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
