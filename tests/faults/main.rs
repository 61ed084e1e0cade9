//! The daemon against faults of the embedded broker (rdkafka's `MockCluster`) and of single
//! records: a broker down for seconds then up, a start with the broker down, TCP connection
//! resets with the broker up, injected errors on Fetch and Produce requests, a panic while
//! applying one record, a record too large to dead-letter whole. Every test asserts that the daemon did not exit, that readiness flipped
//! and recovered where the fault reaches it, that no input was lost, and that the final items
//! equal the offline pipeline's. Every wait polls a condition until a deadline; the only fixed
//! pauses are the durations of the injected faults themselves. Streams are small (the mock
//! broker keeps ~5 MB per partition).

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "integration tests drive the edges: files, timers and the environment"
)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrears::daemon::Shared;
use serde_json::Value;

#[path = "../common/mod.rs"]
mod common;

mod kill;
mod outage;
mod records;
mod requests;
mod reset;
mod restore;

pub use common::raw::{keyed, produce, Record, TopicReader};
use common::DEADLINE;

/// Polls `cond` every 10 ms until it holds; panics at the deadline with `what`.
pub async fn until(what: &str, mut cond: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    start.elapsed()
}

/// Watches readiness every 5 ms from its creation: whether it was ever lost.
pub struct ReadyWatch {
    lost: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl ReadyWatch {
    pub fn new(shared: &Arc<Shared>) -> ReadyWatch {
        let lost = Arc::new(AtomicBool::new(false));
        let (s, l) = (shared.clone(), lost.clone());
        let task = tokio::spawn(async move {
            loop {
                if !s.is_ready() {
                    l.store(true, Ordering::Release);
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
        ReadyWatch { lost, task }
    }

    pub fn was_lost(&self) -> bool {
        self.lost.load(Ordering::Acquire)
    }
}

impl Drop for ReadyWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Checks a work-item topic's invariants: key = account, versions never go back, one version one
/// content. Returns how many records re-sent a version already seen (same content).
pub fn assert_item_invariants(records: &[Record]) -> usize {
    let mut last: HashMap<String, u64> = HashMap::new();
    let mut seen: HashMap<(String, u64), Value> = HashMap::new();
    let mut resent = 0;
    for (k, v, _) in records {
        let k = String::from_utf8(k.clone().expect("keyed")).unwrap();
        let v: Value = serde_json::from_slice(v.as_ref().expect("a value")).unwrap();
        assert_eq!(v["account_id"].as_str(), Some(k.as_str()), "key = account");
        let version = v["version"].as_u64().unwrap();
        if let Some(first) = seen.insert((k.clone(), version), v.clone()) {
            assert_eq!(first, v, "{k}: version {version} with two contents");
            resent += 1;
        }
        let prev = last.insert(k.clone(), version).unwrap_or(0);
        assert!(
            version >= prev,
            "{k}: version went back from {prev} to {version}"
        );
    }
    resent
}
