//! TCP connections reset with the broker up (an idle-connection close by a load balancer or a
//! firewall): every client connects through a loopback relay the broker advertises, and the
//! relay resets every open connection (RST both ways) while the daemon joins its group, as its
//! changelog restore reader connects, and five times mid-stream; and a changelog restore read on
//! its own, slowed so that the resets land while it polls. The relay runs on a thread of its own,
//! as a network would.
//!
//! The mock cluster checks producer sequence numbers only for transactional producers, so a batch
//! the daemon's idempotent producer retries after a reset can land twice (a real broker
//! acknowledges the retry without appending it again). The topic's invariants are checked with
//! such verbatim replays collapsed, and the test counts them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arrears::daemon::{topics, Shared, WallClock};
use arrears::tools::broker::{EmbeddedBroker, RelayHandle};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::BaseConsumer;
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};

use crate::common::{self, broker, offline_items, settings, simulated_events, DEADLINE};
use crate::{assert_item_invariants, keyed, produce, until, ReadyWatch, Record, TopicReader};

/// Resets mid-stream, and the pause before each: the injected fault itself.
const RESETS: usize = 5;
const APART: Duration = Duration::from_millis(300);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_resets_with_the_broker_up_are_ridden_out() {
    let mut broker = broker();
    let target = broker.bootstrap().to_string();
    let listener = broker.listen_on(0).await.unwrap();
    let relay = RelayHandle::default();
    let serving = serve_apart(relay.clone(), listener, target);
    let lines = simulated_events(200, 30, 61);
    let expected = offline_items(&lines);
    let chunks: Vec<&[String]> = lines.chunks(lines.len().div_ceil(8)).collect();
    produce(&broker, topics::BILLING, &keyed(chunks[0])).await;

    // During the start: the producer and the consumer connected (two connections each, the
    // bootstrap one and broker 1's), the consumer joining the group (the mock cluster's 3 s
    // rebalance delay), nothing restored yet.
    let shared = Shared::new(common::pipeline(), Arc::new(WallClock));
    let daemon = common::start_daemon(&settings(&broker, "g-reset"), shared.clone()).await;
    until("the daemon's consumer joining", || {
        shared.is_consuming() && relay.open() >= 4
    })
    .await;
    assert!(!shared.is_ready(), "the reset is meant for the start");
    let mut reset = vec![relay.reset_all()];
    // Once more as the changelog restore reader connects (a fifth connection before readiness),
    // unless the daemon is ready first.
    until("the restore reader connecting, or readiness", || {
        relay.open() >= 5 || shared.is_ready()
    })
    .await;
    let while_restoring = !shared.is_ready();
    reset.push(relay.reset_all());
    until("ready after the resets at the start", || shared.is_ready()).await;
    let mut items = TopicReader::new(&broker, topics::WORK_ITEMS);
    items
        .wait_for("some items", |r| !r.records.is_empty())
        .await;
    let watch = ReadyWatch::new(&shared);

    // Mid-stream: the rest of the events produced while every connection is reset 300 ms apart.
    let streaming = Instant::now();
    let ((), (mid, last_reset)) = tokio::join!(
        async {
            for chunk in &chunks[1..] {
                produce(&broker, topics::BILLING, &keyed(chunk)).await;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        },
        async {
            let mut n = Vec::new();
            for _ in 0..RESETS {
                tokio::time::sleep(APART).await;
                n.push(relay.reset_all());
                assert!(!daemon.is_finished(), "the daemon exited after a reset");
            }
            (n, Instant::now())
        }
    );
    let streamed = streaming.elapsed();
    let acknowledged = Instant::now();
    reset.extend(mid);
    assert!(!daemon.is_finished(), "the daemon exited after the resets");
    items
        .wait_for("every account's final item after the resets", |r| {
            r.latest() == expected
        })
        .await;
    until("ready after the resets", || shared.is_ready()).await;
    let caught_up = acknowledged.elapsed();
    let since_reset = last_reset.elapsed();
    let (records, replayed) = without_replays(&broker, items.records.len());
    let resent = assert_item_invariants(&records);
    eprintln!(
        "tcp resets: {} events, {} accounts; {} resets (connections reset each time: {reset:?}; \
         one while joining, one as the restore reader connected (before readiness: \
         {while_restoring}), {RESETS} {APART:?} apart while {} chunks streamed in {streamed:?}); \
         readiness lost: {}; final items equal the offline pipeline's and ready {caught_up:?} \
         after the last event was acknowledged, {since_reset:?} after the last reset; {} items on the topic ({replayed} in batches the mock broker wrote \
         twice, {resent} other identical re-sends)",
        lines.len(),
        expected.len(),
        reset.len(),
        chunks.len() - 1,
        watch.was_lost(),
        items.records.len()
    );
    assert!(reset.iter().all(|&n| n > 0), "every reset hit a connection");
    assert!(!daemon.is_finished());
    common::stop_daemon(daemon).await;
    drop(serving);
}

/// Serves the relay on a runtime of its own thread, as a network would: the daemon's runtime,
/// whose blocking client calls may hold its worker threads, never delays the forwarding. Runs
/// until the returned sender is dropped.
fn serve_apart(
    relay: RelayHandle,
    listener: tokio::net::TcpListener,
    target: String,
) -> tokio::sync::oneshot::Sender<()> {
    let listener = listener.into_std().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            tokio::select! {
                () = relay.serve(listener, target) => {}
                _ = stopped => {}
            }
        });
    });
    stop
}

/// The work-item topic's `n` records, each partition in offset order, with every verbatim repeat
/// of the records just before it collapsed (a retried batch the mock cluster appended twice: see
/// the module's doc); and how many records were collapsed.
fn without_replays(broker: &EmbeddedBroker, n: usize) -> (Vec<Record>, usize) {
    let consumer: BaseConsumer = common::reader(broker, topics::WORK_ITEMS);
    let mut partitions: Vec<Vec<Record>> = vec![Vec::new(); common::PARTITIONS as usize];
    let started = Instant::now();
    let mut read = 0;
    while read < n {
        assert!(started.elapsed() < DEADLINE, "read {read} of {n} items");
        let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) else {
            continue;
        };
        let record = (
            m.key().map(<[u8]>::to_vec),
            m.payload().map(<[u8]>::to_vec),
            Default::default(),
        );
        partitions[m.partition() as usize].push(record);
        read += 1;
    }
    let mut out = Vec::with_capacity(n);
    let mut replayed = 0;
    for records in partitions {
        let mut kept: Vec<Record> = Vec::with_capacity(records.len());
        let mut i = 0;
        while i < records.len() {
            let longest = kept.len().min(records.len() - i);
            match (1..=longest)
                .rev()
                .find(|&l| kept[kept.len() - l..] == records[i..i + l])
            {
                Some(l) => {
                    replayed += l;
                    i += l;
                }
                None => {
                    kept.push(records[i].clone());
                    i += 1;
                }
            }
        }
        out.extend(kept);
    }
    (out, replayed)
}

/// The changelog restore read (`changelog::read_partitions`, the daemon's blocking reader) while
/// every connection is reset: it must finish with every key's latest value, not fail. The read is
/// made slow on purpose (one record batch per fetch, 20 ms per broker answer) so the resets land
/// while it polls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changelog_restore_rides_out_connection_resets() {
    let mut broker = broker();
    let target = broker.bootstrap().to_string();
    let listener = broker.listen_on(0).await.unwrap();
    let relay = RelayHandle::default();
    let serving = serve_apart(relay.clone(), listener, target);
    let records: Vec<(Option<String>, String)> = (0..240)
        .map(|i| (Some(format!("A-{:04}", i % 60)), format!("state {i}")))
        .collect();
    // One batch per record: each produced and acknowledged on its own.
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("linger.ms", "0")
        .create()
        .unwrap();
    for (k, v) in &records {
        let record = FutureRecord::to(topics::CHANGELOG)
            .key(k.as_deref().unwrap())
            .payload(v.as_str());
        producer
            .send(record, Duration::from_secs(10))
            .await
            .unwrap();
    }
    drop(producer);
    let expected: std::collections::HashMap<String, Vec<u8>> = records
        .iter()
        .map(|(k, v)| (k.clone().unwrap(), v.clone().into_bytes()))
        .collect();
    broker
        .cluster()
        .broker_round_trip_time(EmbeddedBroker::BROKER_ID, Duration::from_millis(20))
        .unwrap();
    let mut s = settings(&broker, "g-restore-reset");
    s.kafka
        .properties
        .insert("max.partition.fetch.bytes".into(), "1".into());
    let partitions: Vec<i32> = (0..common::PARTITIONS).collect();
    let started = Instant::now();
    let read = tokio::task::spawn_blocking(move || {
        arrears::daemon::changelog::read_partitions(&s, &partitions)
    });
    let mut reset = Vec::new();
    for _ in 0..RESETS {
        tokio::time::sleep(APART).await;
        if read.is_finished() {
            break;
        }
        reset.push(relay.reset_all());
    }
    let latest = read
        .await
        .unwrap()
        .expect("the restore read rides out the resets");
    let took = started.elapsed();
    let got: std::collections::HashMap<String, Vec<u8>> = latest
        .into_values()
        .flatten()
        .map(|(k, v)| (k, v.expect("no tombstones")))
        .collect();
    eprintln!(
        "tcp resets during a restore: {} changelog records, {} keys; {} resets during the read \
         (connections reset each time: {reset:?}); read in full in {took:?}",
        records.len(),
        expected.len(),
        reset.len()
    );
    assert_eq!(got, expected);
    assert!(
        reset.len() >= 2,
        "the read finished before the resets: make it slower"
    );
    drop(serving);
}
