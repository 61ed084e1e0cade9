//! The state shared by the processing loop, the Kafka callbacks and the HTTP API: the pipeline
//! behind one lock, readiness flags and the metrics.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::engine::pipeline::Pipeline;

use super::clock::Clock;
use super::metrics::Metrics;

/// State shared by the processing loop, the Kafka callbacks and the HTTP API.
pub struct Shared {
    pipeline: Mutex<Pipeline>,
    /// Partitions assigned and restored.
    restored: AtomicBool,
    /// The producer reaches a broker (cleared on a fatal or all-brokers-down error, set again
    /// by the next acknowledged delivery).
    producer_healthy: AtomicBool,
    /// The consumer fetches (cleared by a transient consumer error, set again by the next
    /// fetched record or a statistics report with a broker up).
    consuming: AtomicBool,
    pub clock: Arc<dyn Clock>,
    pub metrics: Metrics,
}

impl Shared {
    pub fn new(pipeline: Pipeline, clock: Arc<dyn Clock>) -> Arc<Shared> {
        let metrics = Metrics::new(pipeline.scorer());
        Arc::new(Shared {
            pipeline: Mutex::new(pipeline),
            restored: AtomicBool::new(false),
            producer_healthy: AtomicBool::new(true),
            consuming: AtomicBool::new(true),
            clock,
            metrics,
        })
    }

    /// The pipeline; hold the guard briefly (the processing loop waits on it).
    pub fn lock(&self) -> MutexGuard<'_, Pipeline> {
        self.pipeline.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ready to serve: partitions assigned and restored, models loaded (a `Shared` is only built
    /// around a pipeline with a loaded scorer), the consumer fetching and the producer healthy.
    pub fn is_ready(&self) -> bool {
        self.readiness().iter().all(|(_, ok)| *ok)
    }

    /// Each readiness check and whether it passes, for `/readyz`.
    pub fn readiness(&self) -> [(&'static str, bool); 4] {
        [
            (
                "partitions assigned and restored",
                self.restored.load(Ordering::Acquire),
            ),
            ("models loaded", true),
            ("consuming", self.consuming.load(Ordering::Acquire)),
            (
                "producer healthy",
                self.producer_healthy.load(Ordering::Acquire),
            ),
        ]
    }

    pub(crate) fn set_restored(&self, restored: bool) {
        self.restored.store(restored, Ordering::Release);
        self.update_ready_gauge();
    }

    pub(crate) fn set_producer_healthy(&self, healthy: bool) {
        if self.producer_healthy.swap(healthy, Ordering::AcqRel) != healthy {
            self.update_ready_gauge();
        }
    }

    pub(crate) fn set_consuming(&self, consuming: bool) {
        if self.consuming.swap(consuming, Ordering::AcqRel) != consuming {
            self.update_ready_gauge();
        }
    }

    /// Whether the consumer is fetching (see [`Shared::readiness`]).
    pub fn is_consuming(&self) -> bool {
        self.consuming.load(Ordering::Acquire)
    }

    fn update_ready_gauge(&self) {
        self.metrics.ready.set(i64::from(self.is_ready()));
    }

    /// Refreshes the gauges computed from the whole state (accounts, state bytes, drift), then
    /// renders every metric; called per scrape.
    pub fn render_metrics(&self) -> String {
        {
            let pl = self.lock();
            self.metrics.accounts.set(pl.len() as i64);
            self.metrics.state_bytes.set(pl.state_bytes() as i64);
            self.metrics.update_psi(pl.scorer());
        }
        self.metrics.render()
    }
}
