//! A slow changelog restore: each changelog record in its own batch, each fetch returning one
//! record per partition, every answer of the broker 120 ms late, so a new instance's read of the
//! changelog takes longer than its `max.poll.interval.ms` (4 s). The read runs in the background
//! while the consumer keeps being polled (the restoring partitions' fetching paused, their records
//! waiting), so the instance stays in the group: it restores every account exactly once, is never
//! revoked, and goes on to the offline pipeline's items.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrears::daemon::{Shared, WallClock};
use arrears::tools::broker::EmbeddedBroker;

use crate::common::{self, account_of, broker, offline_items, settings, simulated_events};
use crate::{keyed, produce, until, TopicReader};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_longer_than_the_poll_interval_keeps_the_group() {
    let broker = broker();
    let lines = simulated_events(40, 30, 17);
    let expected = offline_items(&lines);
    let (head, tail) = lines.split_at(lines.len() / 2);
    produce(&broker, "arrears.billing", &keyed(head)).await;
    let mut s = settings(&broker, "g-slow-restore");
    s.kafka.max_poll_interval_ms = 4_000;
    // One changelog record per produce batch, and one batch per partition and fetch.
    for (k, v) in [
        ("batch.num.messages", "1"),
        ("max.partition.fetch.bytes", "1"),
    ] {
        s.kafka.properties.insert(k.into(), v.to_string().into());
    }
    let mut items = TopicReader::new(&broker, "arrears.work-items");
    let first = common::start_default(&s).await;
    let head_accounts = head.iter().map(|l| account_of(l)).collect::<BTreeSet<_>>();
    items
        .wait_for("the first half's items", |r| {
            r.latest().len() == head_accounts.len()
        })
        .await;
    common::stop_daemon(first).await;

    broker
        .cluster()
        .broker_round_trip_time(EmbeddedBroker::BROKER_ID, Duration::from_millis(120))
        .unwrap();
    let shared = Shared::new(common::pipeline(), Arc::new(WallClock));
    let started = Instant::now();
    let second = common::start_daemon(&s, shared.clone()).await;
    until("the slow restore", || shared.is_ready()).await;
    let ready = started.elapsed();
    broker
        .cluster()
        .broker_round_trip_time(EmbeddedBroker::BROKER_ID, Duration::ZERO)
        .unwrap();
    produce(&broker, "arrears.billing", &keyed(tail)).await;
    items
        .wait_for("every account's final item after the slow restore", |r| {
            r.latest() == expected
        })
        .await;
    let m = &shared.metrics;
    let read = m.restore_duration.get_sample_sum();
    eprintln!(
        "slow restore: {read:.1} s reading the changelog, ready {ready:?} after the start, {} accounts \
         restored, {} assignments, {} revocations",
        m.restored_accounts.get(),
        m.rebalance_count("assign"),
        m.rebalance_count("revoke")
    );
    assert!(
        read > 4.0,
        "the read outlasts max.poll.interval.ms: {read} s"
    );
    assert_eq!(
        m.restored_accounts.get(),
        head_accounts.len() as u64,
        "each account restored once"
    );
    assert_eq!(
        m.rebalance_count("revoke"),
        0,
        "never dropped from the group"
    );
    common::stop_daemon(second).await;
}
