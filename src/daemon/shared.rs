//! The state shared by the processing loop, the Kafka callbacks and the HTTP API: the pipeline
//! behind one lock (with a change counter), readiness flags, the metrics, the worklist snapshot
//! the API serves without that lock, and the owned accounts' recent decision records.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use crate::engine::pipeline::{self, Pipeline};
use crate::engine::workitem::WorkItem;

use super::clock::Clock;
use super::decisions::History;
use super::metrics::Metrics;
use super::worklist::{Snapshot, Worklist};

/// State shared by the processing loop, the Kafka callbacks and the HTTP API.
pub struct Shared {
    pipeline: Mutex<Pipeline>,
    /// Bumped (under the lock) whenever a guard was used mutably.
    generation: AtomicU64,
    worklist: Worklist,
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
    /// The latest decision records of every owned account (its own lock, never held with the
    /// pipeline's by the API).
    pub decisions: History,
}

impl Shared {
    pub fn new(pipeline: Pipeline, clock: Arc<dyn Clock>) -> Arc<Shared> {
        let metrics = Metrics::new(pipeline.scorer());
        metrics.register_arms(pipeline.settings().experiments.arms.iter().map(|a| &a.name));
        Arc::new(Shared {
            pipeline: Mutex::new(pipeline),
            generation: AtomicU64::new(1),
            worklist: Worklist::default(),
            restored: AtomicBool::new(false),
            producer_healthy: AtomicBool::new(true),
            consuming: AtomicBool::new(true),
            clock,
            metrics,
            decisions: History::default(),
        })
    }

    /// The pipeline; hold the guard briefly (the processing loop waits on it). Using it mutably
    /// marks the pipeline changed (for the worklist snapshot).
    pub fn lock(&self) -> PipelineGuard<'_> {
        PipelineGuard {
            guard: self.pipeline.lock().unwrap_or_else(|e| e.into_inner()),
            generation: &self.generation,
            mutated: false,
        }
    }

    /// The ranked worklist, from the snapshot (see `worklist` for how fresh); rebuilt, away from
    /// the async workers and with the lock held only to copy the entries, when too stale.
    pub async fn worklist(self: &Arc<Self>) -> Arc<Vec<WorkItem>> {
        let asked = Instant::now();
        let usable = |s: &Snapshot| {
            self.worklist
                .usable(s, self.generation.load(Ordering::Acquire), asked)
        };
        let snap = self.worklist.current();
        if usable(&snap) {
            return snap.items.clone();
        }
        let _rebuilding = self.worklist.rebuild.lock().await;
        let snap = self.worklist.current();
        if usable(&snap) {
            return snap.items.clone();
        }
        let me = self.clone();
        let built = tokio::task::spawn_blocking(move || {
            let built = Instant::now();
            let ((entries, settings, scorer), generation) = {
                let pl = me.lock();
                (pl.ranking(), me.generation.load(Ordering::Acquire))
            };
            let items = Arc::new(pipeline::rank(&entries, &settings, &scorer));
            me.worklist.replace(Snapshot {
                items: items.clone(),
                generation,
                built: Some(built),
            });
            items
        })
        .await;
        built.unwrap_or_else(|_| snap.items.clone())
    }

    /// How stale a served worklist may be (`http.worklist_max_staleness_ms`).
    pub fn set_worklist_max_staleness(&self, d: std::time::Duration) {
        self.worklist.set_max_staleness(d);
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
        self.refresh_gauges();
        self.metrics.render()
    }

    /// Refreshes the gauges computed from the whole state: accounts, state bytes, drift, decision
    /// history bytes (per scrape, and per view of the console's health page).
    pub fn refresh_gauges(&self) {
        {
            let pl = self.lock();
            self.metrics.accounts.set(pl.len() as i64);
            self.metrics.state_bytes.set(pl.state_bytes() as i64);
            self.metrics.update_psi(pl.scorer());
        }
        let (bytes, _) = self.decisions.size();
        self.metrics.decision_history_bytes.set(bytes as i64);
    }
}

/// The pipeline lock; a mutable use bumps the change counter when it is released.
pub struct PipelineGuard<'a> {
    guard: MutexGuard<'a, Pipeline>,
    generation: &'a AtomicU64,
    mutated: bool,
}

impl Deref for PipelineGuard<'_> {
    type Target = Pipeline;
    fn deref(&self) -> &Pipeline {
        &self.guard
    }
}

impl DerefMut for PipelineGuard<'_> {
    fn deref_mut(&mut self) -> &mut Pipeline {
        self.mutated = true;
        &mut self.guard
    }
}

impl Drop for PipelineGuard<'_> {
    fn drop(&mut self) {
        // Still under the lock: `guard` is dropped after this.
        if self.mutated {
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
    }
}
