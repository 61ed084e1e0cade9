//! Helpers shared by the tests that run the daemon against librdkafka's embedded mock cluster.
//! Each test file uses only some of them.
#![allow(dead_code)]

pub mod raw;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use arrears::daemon::topics;
use arrears::daemon::{DaemonSettings, Running, Shared, WallClock};
use arrears::engine::pipeline::Pipeline;
use arrears::engine::scoring::Scorer;
use arrears::engine::settings::Settings;
use arrears::tools::broker::EmbeddedBroker;
use arrears::tools::sim::{HouseDialer, SimConfig, World};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::Value;

/// Partitions of every topic of the test broker.
pub const PARTITIONS: i32 = 4;
/// Longest any wait in a test polls its condition.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// The engine with the shipped configuration and models.
pub fn pipeline() -> Pipeline {
    Pipeline::new(
        Arc::new(Settings::defaults()),
        Arc::new(Scorer::shipped().unwrap()),
    )
}

/// A daemon of consumer group `group` on `broker`, tuned for the mock cluster; no clock
/// re-evaluation (the items depend on the events only, like the offline pipeline's), no HTTP.
pub fn settings(broker: &EmbeddedBroker, group: &str) -> DaemonSettings {
    let mut s = arrears::tools::broker::daemon_settings(broker.bootstrap(), group);
    s.kafka.evaluate_interval_ms = 0;
    s.kafka.max_in_flight = 64;
    if let Ok(d) = std::env::var("ARREARS_TEST_KAFKA_DEBUG") {
        s.kafka.properties.insert("debug".into(), d.into());
    }
    s.http.enabled = false;
    s
}

/// An embedded broker with every topic the daemon reads or writes, the audit topic included (and
/// test logs from `ARREARS_LOG`).
pub fn broker() -> EmbeddedBroker {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(std::env::var("ARREARS_LOG").unwrap_or_else(|_| "arrears=info".into()))
        .with_test_writer()
        .try_init();
    EmbeddedBroker::start(&topics::EVERY, PARTITIONS).unwrap()
}

/// A small simulated portfolio's events, in stream order.
pub fn simulated_events(accounts: usize, days: u32, seed: u64) -> Vec<String> {
    let cfg = SimConfig::new(accounts, days, seed);
    let mut world = World::new(&cfg);
    let mut dialer = HouseDialer::new(cfg.calls_per_day(), seed);
    let mut out = Vec::new();
    world.run(&mut dialer, &mut out, |_| {}).unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// The body of a chunked HTTP/1.1 response, decoded (a truncated one to where it ends).
pub fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest.get(n + 2..).unwrap_or("");
    }
    out
}

/// The account id of an event line.
pub fn account_of(line: &str) -> String {
    arrears::engine::events::peek_account_id(line.as_bytes()).expect("an event with an account id")
}

/// The final item of every account, as the offline pipeline computes them (event-time clock).
pub fn offline_items(lines: &[String]) -> HashMap<String, Value> {
    let mut p = pipeline();
    let mut ids = Vec::new();
    for line in lines {
        if p.process_record(line.as_bytes()).is_ok() {
            ids.push(account_of(line));
        }
    }
    ids.into_iter()
        .filter_map(|id| {
            let item = p.item(&id)?;
            Some((id, serde_json::to_value(item).unwrap()))
        })
        .collect()
}

/// A consumer of every partition of `topic` from the beginning (no group membership, no
/// commits).
pub fn reader(broker: &EmbeddedBroker, topic: &str) -> BaseConsumer {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("group.id", "test-reader")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition_offset(topic, p, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&tpl).unwrap();
    consumer
}

/// Starts a daemon through `arrears::daemon::spawn` (the one way it is started), stopped only by
/// [`stop_daemon`] or `Running::abort`.
pub async fn start_daemon(settings: &DaemonSettings, shared: Arc<Shared>) -> Running {
    arrears::daemon::spawn(settings.clone(), shared, std::future::pending())
        .await
        .expect("the daemon starts")
}

/// A daemon with the shipped engine and the wall clock.
pub async fn start_default(settings: &DaemonSettings) -> Running {
    start_daemon(settings, Shared::new(pipeline(), Arc::new(WallClock))).await
}

/// Graceful stop (drain, commit, leave the group) within [`DEADLINE`]; it must return `Ok`.
pub async fn stop_daemon(running: Running) {
    running.stop();
    let result = tokio::time::timeout(DEADLINE, running.join())
        .await
        .expect("timed out waiting for the daemon to stop");
    assert!(result.is_ok(), "graceful stop returned {result:?}");
}

/// Panics unless `value` conforms to the OpenAPI document's schema component `name` (the document
/// says what the handlers return).
pub fn assert_conforms(name: &str, value: &Value) {
    let mut root = arrears::daemon::http::openapi();
    root["$ref"] = Value::String(format!("#/components/schemas/{name}"));
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&root)
        .unwrap_or_else(|e| panic!("the {name} schema: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "not a {name}: {errors:?}\n{value}");
}
