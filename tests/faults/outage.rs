//! The broker unreachable: down for ~3 s mid-stream, and down at the daemon's start.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arrears::daemon::{Shared, WallClock};
use arrears::tools::broker::EmbeddedBroker;

use crate::common::{self, broker, offline_items, settings, simulated_events};
use crate::{keyed, produce, until, ReadyWatch, TopicReader};

/// How long each outage lasts: the injected fault itself, not a wait for a condition.
const OUTAGE: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_down_for_seconds_mid_stream_is_ridden_out() {
    let broker = broker();
    let lines = simulated_events(10, 20, 21);
    let expected = offline_items(&lines);
    let (head, tail) = lines.split_at(lines.len() / 2);
    produce(&broker, "arrears.billing", &keyed(head)).await;
    let shared = Shared::new(common::pipeline(), Arc::new(WallClock));
    let daemon = common::start_daemon(&settings(&broker, "g-down"), shared.clone()).await;
    until("ready", || shared.is_ready()).await;
    let mut items = TopicReader::new(&broker, "arrears.work-items");
    items
        .wait_for("some items", |r| !r.records.is_empty())
        .await;
    let watch = ReadyWatch::new(&shared);

    let cluster = broker.cluster();
    cluster.broker_down(EmbeddedBroker::BROKER_ID).unwrap();
    let lost = until("readiness lost while the broker is down", || {
        !shared.is_ready()
    })
    .await;
    tokio::time::sleep(OUTAGE.saturating_sub(lost)).await;
    assert!(!daemon.is_finished(), "the daemon exited during the outage");
    cluster.broker_up(EmbeddedBroker::BROKER_ID).unwrap();
    let up = Instant::now();
    produce(&broker, "arrears.billing", &keyed(tail)).await;
    items
        .wait_for("every account's final item after the outage", |r| {
            r.latest() == expected
        })
        .await;
    until("ready again", || shared.is_ready()).await;
    eprintln!(
        "broker down: readiness lost after {lost:?}, items equal and ready {:?} after the broker came back",
        up.elapsed()
    );
    assert!(watch.was_lost());
    assert!(!daemon.is_finished());
    common::stop_daemon(daemon).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_with_the_broker_down_waits_for_it() {
    let broker = broker();
    let lines = simulated_events(8, 15, 22);
    let expected = offline_items(&lines);
    produce(&broker, "arrears.contacts", &keyed(&lines)).await;
    let cluster = broker.cluster();
    cluster.broker_down(EmbeddedBroker::BROKER_ID).unwrap();
    let shared = Shared::new(common::pipeline(), Arc::new(WallClock));
    let watch = ReadyWatch::new(&shared);
    let daemon = common::start_daemon(&settings(&broker, "g-start-down"), shared.clone()).await;
    let started = Instant::now();
    // The fault's duration; the daemon must neither exit nor claim readiness meanwhile.
    while started.elapsed() < OUTAGE {
        assert!(
            !daemon.is_finished(),
            "the daemon exited with the broker down"
        );
        assert!(!shared.is_ready(), "ready with the broker down");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cluster.broker_up(EmbeddedBroker::BROKER_ID).unwrap();
    let up = Instant::now();
    let mut items = TopicReader::new(&broker, "arrears.work-items");
    items
        .wait_for("every account's final item", |r| r.latest() == expected)
        .await;
    until("ready", || shared.is_ready()).await;
    eprintln!(
        "start with the broker down: items equal and ready {:?} after the broker came up",
        up.elapsed()
    );
    assert!(watch.was_lost());
    assert!(!daemon.is_finished());
    common::stop_daemon(daemon).await;
}
