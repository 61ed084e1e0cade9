//! Injected request errors: the mock broker answers Fetch and Produce requests with retriable
//! errors and drops the connection (`__TRANSPORT`) for a while; librdkafka retries, the daemon
//! backs off where the errors reach it, and the stream completes unchanged.

use std::sync::Arc;
use std::time::Instant;

use arrears::daemon::{Shared, WallClock};
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr as E};

use crate::common::{self, broker, offline_items, settings, simulated_events};
use crate::{keyed, produce, until, ReadyWatch, TopicReader};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_on_fetch_and_produce_requests_are_retried() {
    let broker = broker();
    let lines = simulated_events(10, 20, 23);
    let expected = offline_items(&lines);
    let (head, tail) = lines.split_at(lines.len() / 3);
    produce(&broker, "arrears.billing", &keyed(head)).await;
    let shared = Shared::new(common::pipeline(), Arc::new(WallClock));
    let daemon = common::start_daemon(&settings(&broker, "g-requests"), shared.clone()).await;
    until("ready", || shared.is_ready()).await;
    let mut items = TopicReader::new(&broker, "arrears.work-items");
    items
        .wait_for("some items", |r| !r.records.is_empty())
        .await;
    let watch = ReadyWatch::new(&shared);

    let cluster = broker.cluster();
    let mut fetch = vec![E::RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION; 6];
    fetch.extend([E::RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT; 6]);
    let mut produce_errors = vec![E::RD_KAFKA_RESP_ERR__TRANSPORT; 6];
    produce_errors.extend([E::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS; 6]);
    produce_errors.extend([E::RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT; 6]);
    cluster.request_errors(RDKafkaApiKey::Fetch, &fetch);
    cluster.request_errors(RDKafkaApiKey::Produce, &produce_errors);
    let injected = Instant::now();
    // The test producer's tail meets the Produce errors first; the daemon's outputs meet the rest.
    produce(&broker, "arrears.billing", &keyed(tail)).await;
    items
        .wait_for("every account's final item through the errors", |r| {
            r.latest() == expected
        })
        .await;
    until("ready", || shared.is_ready()).await;
    eprintln!(
        "request errors: items equal {:?} after injection; readiness lost: {}",
        injected.elapsed(),
        watch.was_lost()
    );
    assert!(watch.was_lost(), "a dropped connection clears readiness");
    assert!(!daemon.is_finished());
    cluster.clear_request_errors(RDKafkaApiKey::Fetch);
    cluster.clear_request_errors(RDKafkaApiKey::Produce);
    common::stop_daemon(daemon).await;
}
