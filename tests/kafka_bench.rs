//! `arrears bench --kafka` at a tiny size: every phase runs through the embedded broker and
//! accounts for every record. Counts only; no timing is ever asserted.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "integration tests drive the edges: files, timers and the environment"
)]

use arrears::tools::bench::kafka::{self, Params};

fn params() -> Params {
    Params {
        events: 2_000,
        days: 60,
        seed: 3,
        partitions: 4,
        rate: 500,
        seconds: 2,
        fetch_wait_ms: 10,
        restore_accounts: 2_000,
        compression: None,
        progress: false,
    }
}

#[test]
fn throughput_reads_and_applies_every_event() {
    let t = kafka::throughput(&params()).unwrap();
    assert_eq!(t.events, 2_000);
    assert_eq!(t.billing_events + t.contacts_events, 2_000);
    assert!(t.contacts_events > 0 && t.billing_events > 0, "{t:?}");
    assert_eq!(t.plain_events, 2_000);
    // Every event reached the pipeline once; the committed offsets say so, and so do the counters.
    assert_eq!(t.applied + t.duplicates + t.rejected, 2_000, "{t:?}");
    assert_eq!(t.duplicates, 0);
    // One changelog record per applied event, one work item per change (all still retained at
    // this size).
    assert_eq!(t.changelog_records, t.applied as i64);
    assert_eq!(t.work_item_records, t.items_changed as i64);
    assert!(t.daemon_events_per_sec > 0.0 && t.plain_events_per_sec > 0.0);
}

#[test]
fn latency_measures_only_events_that_changed_an_item() {
    let l = kafka::latency(&params()).unwrap();
    assert_eq!(l.sent, 1_000);
    assert!(l.warmup_events > 0);
    assert_eq!(l.applied, l.sent + l.warmup_events, "{l:?}");
    assert!(l.measured > 0 && l.measured <= l.sent, "{l:?}");
    assert!(l.measured <= l.items_changed);
    assert!(l.p50_ms <= l.p90_ms && l.p90_ms <= l.p99_ms && l.p99_ms <= l.max_ms);
}

#[test]
fn restore_brings_back_every_written_account() {
    let r = kafka::restore(&params()).unwrap();
    assert_eq!(r.written, 2_000);
    assert_eq!(r.restored, 2_000);
    assert!(r.templates > 100 && r.templates <= 300, "{r:?}");
    assert!(r.rss_after_kib > 0);
}
