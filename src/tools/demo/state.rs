//! What the demo's parts share: the counters of the producer, the reader and the display
//! ([`Progress`]), the latest work item per account ([`View`], [`Row`]), the stream-time clock the
//! daemon runs on ([`StreamClock`]), the run's [`Summary`], and a poison-tolerant [`lock`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use jiff::Timestamp;
use serde::Deserialize;

use crate::daemon::Clock;

/// What a demo run did.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Events handed to the producer.
    pub produced: u64,
    /// Events the broker acknowledged.
    pub sent: u64,
    /// Events the broker refused or that timed out.
    pub failed: u64,
    /// Work-item records consumed from `arrears.work-items`.
    pub items_seen: u64,
    /// Accounts with at least one work item.
    pub accounts: usize,
    pub dead_letters: u64,
    /// The best open items at the end, best first.
    pub top: Vec<Row>,
}

/// One account's latest work item, as the view keeps it (no contact details).
#[derive(Debug, Clone, Deserialize)]
pub struct Row {
    pub account_id: String,
    pub version: u64,
    pub status: String,
    #[serde(default)]
    pub hold_reason: Option<String>,
    #[serde(default)]
    pub priority: f64,
    #[serde(default)]
    pub segment: String,
    #[serde(default)]
    pub stage: String,
    #[serde(default)]
    pub action: Option<RowAction>,
    #[serde(default)]
    pub reasons: Vec<RowReason>,
    #[serde(default)]
    pub as_of: Option<Timestamp>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RowAction {
    pub channel: String,
    pub strategy: String,
    pub not_before: Timestamp,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RowReason {
    pub code: String,
}

/// Counters shared by the producer, the reader and the display.
#[derive(Default)]
pub(super) struct Progress {
    pub(super) produced: AtomicU64,
    pub(super) sent: AtomicU64,
    pub(super) failed: AtomicU64,
    /// Simulated days fully handed to the producer.
    pub(super) days_streamed: AtomicU32,
    pub(super) stream_done: AtomicBool,
    /// The daemon was stopped (the last frame says so rather than "starting").
    pub(super) daemon_stopped: AtomicBool,
    pub(super) last_error: Mutex<Option<String>>,
}

impl Progress {
    pub(super) fn error(&self, e: String) {
        *lock(&self.last_error) = Some(e);
    }
}

/// The latest item per account, read from `arrears.work-items`.
#[derive(Default)]
pub(super) struct View {
    pub(super) items: HashMap<String, Row>,
    pub(super) items_seen: u64,
    pub(super) dead_letters: u64,
    pub(super) unreadable: u64,
}

impl View {
    pub(super) fn apply(&mut self, row: Row) {
        self.items_seen += 1;
        match self.items.get(&row.account_id) {
            Some(old) if old.version >= row.version => {}
            _ => {
                self.items.insert(row.account_id.clone(), row);
            }
        }
    }

    /// The best `k` open items: priority descending, ties by account id.
    pub(super) fn top_open(&self, k: usize) -> Vec<Row> {
        let mut open: Vec<&Row> = self.items.values().filter(|r| r.status == "open").collect();
        open.sort_by(|a, b| {
            b.priority
                .total_cmp(&a.priority)
                .then_with(|| a.account_id.cmp(&b.account_id))
        });
        open.into_iter().take(k).cloned().collect()
    }

    pub(super) fn count(&self, status: &str) -> usize {
        self.items.values().filter(|r| r.status == status).count()
    }
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The daemon's clock in the demo: the latest `as_of` seen on `arrears.work-items` (stream time).
#[derive(Default)]
pub(super) struct StreamClock(AtomicI64);

impl StreamClock {
    pub(super) fn advance(&self, t: Timestamp) {
        self.0.fetch_max(t.as_second(), Ordering::AcqRel);
    }
}

impl Clock for StreamClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_second(self.0.load(Ordering::Acquire)).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// It follows the items published, so it cannot bound the events that move them.
    fn event_time_bound(&self) -> Option<Timestamp> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, version: u64, status: &str, priority: f64) -> Row {
        Row {
            account_id: id.into(),
            version,
            status: status.into(),
            hold_reason: None,
            priority,
            segment: "willing_able".into(),
            stage: "early".into(),
            action: None,
            reasons: Vec::new(),
            as_of: None,
        }
    }

    #[test]
    fn the_view_keeps_the_latest_version_and_ranks_open_items() {
        let mut v = View::default();
        v.apply(row("A", 2, "open", 5.0));
        v.apply(row("A", 1, "closed", 0.0));
        v.apply(row("B", 1, "open", 9.0));
        v.apply(row("C", 1, "held", 99.0));
        assert_eq!(v.items_seen, 4);
        let top: Vec<_> = v.top_open(5).into_iter().map(|r| r.account_id).collect();
        assert_eq!(top, ["B", "A"]);
    }
}
