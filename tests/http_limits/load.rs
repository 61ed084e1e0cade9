//! 1,000 concurrent `/v1/worklist` requests, round after round, while events stream into a
//! daemon on the embedded broker: every request is answered with the worklist, `/healthz`
//! answers within the deadline in every round, and every event reaches the worklist while the
//! rounds run (the snapshot, not the pipeline lock, serves them).

use std::collections::BTreeSet;
use std::sync::Arc;

use arrears::daemon::topics::BILLING;
use arrears::daemon::{Shared, WallClock};
use rdkafka::config::ClientConfig;
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::Value;

use crate::client::{get, http_config, wait_until};
use crate::common::{
    account_of, broker, offline_items, pipeline, settings, simulated_events, start_daemon,
    stop_daemon,
};

const CONCURRENT: usize = 1_000;

/// Every item of a worklist body, as canonical JSON strings.
fn item_set(body: &str) -> BTreeSet<String> {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    v.as_array()
        .expect("an array")
        .iter()
        .map(Value::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_worklists_do_not_stall_the_engine() {
    let broker = broker();
    let lines = simulated_events(120, 45, 21);
    let expected: BTreeSet<String> = offline_items(&lines)
        .values()
        .map(Value::to_string)
        .collect();
    let mut s = settings(&broker, "g-http-load");
    s.http = http_config();
    s.http.enabled = true;
    s.http.max_connections = 4 * CONCURRENT;
    s.http.idle_timeout_ms = 30_000;
    s.http.header_read_timeout_ms = 30_000;
    let shared = Shared::new(pipeline(), Arc::new(WallClock));
    let daemon = start_daemon(&s, shared.clone()).await;
    let addr = daemon.http_addr.expect("the API listens");

    // Events stream in, in chunks, while the request rounds run.
    let bootstrap = broker.bootstrap().to_string();
    let total = lines.len();
    let producer_task = tokio::spawn(async move {
        let producer: FutureProducer = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .set("enable.idempotence", "true")
            .create()
            .unwrap();
        for chunk in lines.chunks(50) {
            let mut acks = Vec::new();
            for l in chunk {
                let key = account_of(l);
                let r = FutureRecord::<[u8], [u8]>::to(BILLING)
                    .key(key.as_bytes())
                    .payload(l.as_bytes());
                acks.push(producer.send_result(r).map_err(|(e, _)| e).unwrap());
            }
            for a in acks {
                a.await.unwrap().map_err(|(e, _)| e).unwrap();
            }
            tokio::task::yield_now().await;
        }
    });

    let processed = |sh: &Shared| {
        let st = sh.lock().stats().clone();
        st.applied + st.duplicates + st.rejected.iter().sum::<u64>()
    };
    let mut rounds = 0;
    let mut answered = 0;
    let mut processed_during = Vec::new();
    loop {
        let requests: Vec<_> = (0..CONCURRENT)
            .map(|_| tokio::spawn(async move { get(addr, "/v1/worklist?limit=10000", None).await }))
            .collect();
        // Health answers (within the deadline `get` enforces) while the round is in flight.
        let (status, body) = get(addr, "/healthz", None).await;
        assert_eq!((status, body.as_str()), (200, "ok\n"), "round {rounds}");
        let during = processed(&shared);
        for r in requests {
            let (status, body) = r.await.unwrap();
            assert_eq!(status, 200, "{body}");
            item_set(&body);
            answered += 1;
        }
        processed_during.push((during, processed(&shared)));
        rounds += 1;
        if producer_task.is_finished() && processed(&shared) as usize >= total {
            break;
        }
        assert!(
            rounds < 200,
            "the events never all arrived: {processed_during:?}"
        );
    }
    producer_task.await.unwrap();
    assert_eq!(answered, rounds * CONCURRENT);
    // The engine consumed while rounds were in flight: the loop ends only once every event is
    // processed, and the counts sampled during the rounds never go back.
    let counts: Vec<u64> = processed_during
        .iter()
        .flat_map(|(a, b)| [*a, *b])
        .collect();
    assert!(
        counts.windows(2).all(|w| w[0] <= w[1]),
        "{processed_during:?}"
    );
    assert_eq!(
        *counts.last().unwrap() as usize,
        total,
        "every event processed"
    );

    // Every event reached the worklist (fresh once the pipeline is quiet).
    wait_until(
        "the worklist to show every account's final item",
        || async {
            let (status, body) = get(addr, "/v1/worklist?limit=10000", None).await;
            status == 200 && item_set(&body) == expected
        },
    )
    .await;
    assert_eq!(get(addr, "/healthz", None).await.0, 200);
    stop_daemon(daemon).await;
}
