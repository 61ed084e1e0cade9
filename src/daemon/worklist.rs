//! The worklist snapshot the HTTP API serves: the ranked items as an `Arc`, replaced whole, so a
//! request serialises them without the pipeline lock. Leaf: knows nothing of the pipeline.
//!
//! Freshness: a snapshot is rebuilt on demand when the pipeline has changed since it was built
//! and it is older than `http.worklist_max_staleness_ms`; one rebuild at a time serves every
//! request that waits on it. So a response reflects every change made at least
//! `worklist_max_staleness_ms` before the request, and every change when the pipeline has been
//! quiet that long; under any load the pipeline is copied at most once per that interval.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::engine::workitem::WorkItem;

/// One worklist, ranked, and when (and at which pipeline generation) it was built.
pub struct Snapshot {
    pub items: Arc<Vec<WorkItem>>,
    /// The pipeline's change counter when the copy was taken.
    pub generation: u64,
    /// When the copy was taken (before ranking); `None` for the empty one at start.
    pub built: Option<Instant>,
}

/// The current snapshot and the single-flight rebuild lock.
pub struct Worklist {
    current: RwLock<Arc<Snapshot>>,
    /// Held by the one request rebuilding; the others wait and then use its result.
    pub rebuild: tokio::sync::Mutex<()>,
    max_staleness: RwLock<Duration>,
}

impl Default for Worklist {
    fn default() -> Self {
        Worklist {
            current: RwLock::new(Arc::new(Snapshot {
                items: Arc::new(Vec::new()),
                generation: 0,
                built: None,
            })),
            rebuild: tokio::sync::Mutex::new(()),
            max_staleness: RwLock::new(Duration::from_millis(250)),
        }
    }
}

impl Worklist {
    pub fn current(&self) -> Arc<Snapshot> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn replace(&self, snapshot: Snapshot) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(snapshot);
    }

    pub fn max_staleness(&self) -> Duration {
        *self.max_staleness.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_max_staleness(&self, d: Duration) {
        *self
            .max_staleness
            .write()
            .unwrap_or_else(|e| e.into_inner()) = d;
    }

    /// Whether `s` may be served to a request made at `asked` when the pipeline is at
    /// `generation`: it is current, built after the request, or young enough.
    pub fn usable(&self, s: &Snapshot, generation: u64, asked: Instant) -> bool {
        s.generation == generation
            || s.built.is_some_and(|built| {
                built >= asked || asked.saturating_duration_since(built) < self.max_staleness()
            })
    }
}
