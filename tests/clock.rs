//! Time passes without events: the daemon's injected clock moves past a promise's due date and
//! the timer publishes the changed work item, with no new input record, and that item equals what
//! `arrears replay --as-of` computes for the same moment (all but the version, which counts the
//! evaluations each run happened to make). Over 90 idle days after a simulated portfolio the
//! daemon's newest item of every account has, at every compared clock, the content replay gives
//! for that clock. A backlog consumed after downtime gets no clock versions in the middle of it.
//! Waits poll a condition until a deadline.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "integration tests drive the edges: files, timers and the environment"
)]

use arrears::daemon::topics;
use std::collections::HashMap;
use std::io::Write;
use std::process::Command;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arrears::daemon::{Clock, Shared};
use arrears::tools::broker::EmbeddedBroker;
use jiff::{SignedDuration, Timestamp};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::BaseConsumer;
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::Value;

mod common;

use common::DEADLINE;

const STORY: &str = "tests/fixtures/promise_breaker.jsonl";

/// A clock the test sets.
struct TestClock(Mutex<Timestamp>);

impl TestClock {
    fn set(&self, t: &str) {
        *self.0.lock().unwrap() = Timestamp::from_str(t).unwrap();
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}

/// Every work item on the topic so far, in order.
struct Items {
    consumer: BaseConsumer,
    seen: Vec<Value>,
}

impl Items {
    fn new(broker: &EmbeddedBroker) -> Items {
        let consumer = common::reader(broker, topics::WORK_ITEMS);
        Items {
            consumer,
            seen: Vec::new(),
        }
    }

    /// Polls until the latest item of `account` satisfies `done`; returns it.
    async fn wait(&mut self, account: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            while let Some(m) = self.consumer.poll(Duration::from_millis(20)) {
                let m = m.unwrap();
                self.seen
                    .push(serde_json::from_slice(m.payload().unwrap()).unwrap());
            }
            if let Some(last) = self.latest(account) {
                if done(last) {
                    return last.clone();
                }
            }
            assert!(
                start.elapsed() < DEADLINE,
                "timed out waiting for {what}; latest: {:?}",
                self.latest(account)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn latest(&self, account: &str) -> Option<&Value> {
        self.seen.iter().rev().find(|v| v["account_id"] == account)
    }
}

/// `arrears replay --input INPUT --as-of AS_OF` as the built binary: its items, in order.
fn replay(input: &std::path::Path, as_of: &str) -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_arrears"))
        .arg("replay")
        .arg("--input")
        .arg(input)
        .args(["--as-of", as_of])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn replay_at(as_of: &str) -> Vec<Value> {
    replay(std::path::Path::new(STORY), as_of)
}

fn without_version(mut v: Value) -> Value {
    v.as_object_mut().unwrap().remove("version");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_promise_falling_due_publishes_a_new_item_without_an_event() {
    let broker = common::broker();
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .create()
        .unwrap();
    let lines: Vec<String> = std::fs::read_to_string(STORY)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    for line in &lines {
        let key = arrears::engine::events::peek_account_id(line.as_bytes()).unwrap();
        producer
            .send(
                FutureRecord::to(topics::BILLING).key(&key).payload(line),
                Duration::from_secs(5),
            )
            .await
            .map_err(|(e, _)| e)
            .unwrap();
    }

    // The day before the last promise falls due.
    let clock = Arc::new(TestClock(Mutex::new(Timestamp::UNIX_EPOCH)));
    clock.set("2026-03-23T16:00:00Z");
    let shared = Shared::new(common::pipeline(), clock.clone());
    let mut settings = common::settings(&broker, "g-clock");
    settings.kafka.evaluate_interval_ms = 50;
    let daemon = common::start_daemon(&settings, shared.clone()).await;

    let mut items = Items::new(&broker);
    let held = items
        .wait("P-1", "P-1 held for its pending promise", |v| {
            v["status"] == "held" && v["hold_reason"] == "promise_pending"
        })
        .await;
    let consumed = |s: &Shared| s.lock().stats().applied;
    assert_eq!(consumed(&shared), lines.len() as u64);

    // The promise's due date: no event, only the clock.
    clock.set("2026-03-24T16:00:00Z");
    let due = items
        .wait("P-1", "P-1's promise follow-up", |v| {
            v["status"] == "open" && v["action"]["strategy"] == "promise_followup"
        })
        .await;
    assert_eq!(consumed(&shared), lines.len() as u64, "no new input");
    assert!(due["version"].as_u64() > held["version"].as_u64());
    assert_eq!(due["as_of"], "2026-03-24T16:00:00Z");
    let codes: Vec<&str> = due["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"PROMISE_DUE_TODAY"), "{codes:?}");

    // The same moment offline: the same item, but for the version.
    let offline = replay_at("2026-03-24T16:00:00Z");
    let p1 = offline
        .iter()
        .find(|v| v["account_id"] == "P-1")
        .unwrap()
        .clone();
    assert_eq!(without_version(due), without_version(p1));

    common::stop_daemon(daemon).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catching_up_a_backlog_adds_no_clock_versions_replay_would_not() {
    let broker = common::broker();
    let lines = common::simulated_events(12, 30, 4);
    let expected = common::offline_items(&lines);
    let end = lines
        .iter()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            Timestamp::from_str(v["occurred_at"].as_str().unwrap()).unwrap()
        })
        .max()
        .unwrap();
    // Downtime: the whole stream is waiting and the clock is months past it.
    common::raw::produce(&broker, topics::BILLING, &common::raw::keyed(&lines)).await;
    let clock = Arc::new(TestClock(Mutex::new(Timestamp::UNIX_EPOCH)));
    clock.set("2026-11-01T12:00:00Z");
    let shared = Shared::new(common::pipeline(), clock.clone());
    let mut settings = common::settings(&broker, "g-catch-up");
    settings.kafka.evaluate_interval_ms = 20;
    // Room for the timer to run between records (a full in-flight queue would starve it).
    settings.kafka.max_in_flight = 100_000;
    let daemon = common::start_daemon(&settings, shared.clone()).await;

    // The clock's versions come only after the backlog: every account's newest item computed at
    // event time is exactly the offline pipeline's, version included.
    let mut items = common::raw::TopicReader::new(&broker, topics::WORK_ITEMS);
    items
        .wait_for("the clock's items after the backlog", |r| {
            r.records.len() > expected.len()
                && r.latest()
                    .values()
                    .any(|v| v["as_of"] == "2026-11-01T12:00:00Z")
        })
        .await;
    let mut by_event_time: std::collections::HashMap<String, Value> = Default::default();
    for (k, v, _) in &items.records {
        let v: Value = serde_json::from_slice(v.as_deref().unwrap()).unwrap();
        let as_of = Timestamp::from_str(v["as_of"].as_str().unwrap()).unwrap();
        if as_of <= end {
            by_event_time.insert(String::from_utf8(k.clone().unwrap()).unwrap(), v);
        }
    }
    assert_eq!(
        by_event_time, expected,
        "no clock version inside the backlog"
    );
    common::stop_daemon(daemon).await;
}

/// `arrears replay --input FILE --as-of CLOCK` (the built binary): every account's item.
fn replay_file(path: &std::path::Path, as_of: Timestamp) -> HashMap<String, Value> {
    replay(path, &as_of.to_string())
        .into_iter()
        .map(|v| (v["account_id"].as_str().unwrap().to_string(), v))
        .collect()
}

/// An item's content: everything but `version` and `as_of`.
fn content(v: &Value) -> Value {
    let mut v = v.clone();
    let o = v.as_object_mut().unwrap();
    o.remove("version");
    o.remove("as_of");
    v
}

/// Polls `done` until it holds; panics at the deadline with `what`.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Months of idle time after a simulated portfolio: the clock moves daily for 90 days, and every
/// 20 minutes (then every hour) over two whole days, so that every zone's calling window opens and
/// closes; the timer re-evaluates the accounts due at each step. At several of those clocks every
/// account's newest item on the topic has the content `arrears replay --as-of <clock>` gives.
///
/// The clock jumps far ahead of the last event: `catch_up_lag_ms = 0` switches off the pause for a
/// backlog (it would take the jump for one, for as long as records were arriving recently).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_and_replay_as_of_agree_at_every_clock_over_months_of_idle_time() {
    let broker = common::broker();
    let lines = common::simulated_events(300, 45, 7);
    let mut file = tempfile::NamedTempFile::new().unwrap();
    for l in &lines {
        writeln!(file, "{l}").unwrap();
    }
    file.flush().unwrap();
    let end = lines
        .iter()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            Timestamp::from_str(v["occurred_at"].as_str().unwrap()).unwrap()
        })
        .max()
        .unwrap();
    let mut ids: Vec<String> = lines.iter().map(|l| common::account_of(l)).collect();
    ids.sort();
    ids.dedup();
    common::raw::produce(&broker, topics::BILLING, &common::raw::keyed(&lines)).await;

    let clock = Arc::new(TestClock(Mutex::new(end)));
    let shared = Shared::new(common::pipeline(), clock.clone());
    let mut settings = common::settings(&broker, "g-clock-months");
    settings.kafka.evaluate_interval_ms = 10;
    settings.kafka.catch_up_lag_ms = 0;
    settings.kafka.max_in_flight = 100_000;
    let daemon = common::start_daemon(&settings, shared.clone()).await;
    until("the stream to be consumed", || {
        let p = shared.lock();
        p.stats().applied + p.stats().rejected.iter().sum::<u64>() == lines.len() as u64
    })
    .await;

    // The clocks: 20-minute steps over the first day, daily steps, hourly steps over day 45.
    let at = |secs: i64| end + SignedDuration::from_secs(secs);
    let mut steps: Vec<Timestamp> = (1..=72).map(|i| at(i * 1200 + 7)).collect();
    steps.extend((2..=90).map(|d| at(d * 86_400 + 13)));
    steps.extend((1..=24).map(|h| at(45 * 86_400 + h * 3600 + 29)));
    steps.sort();
    let compare_at: Vec<Timestamp> = [5, 20, 40, 71, 75, 90, 110, 125, 140, 184]
        .iter()
        .map(|&i| steps[i])
        .collect();

    let mut items = common::raw::TopicReader::new(&broker, topics::WORK_ITEMS);
    let mut latest: HashMap<String, Value> = HashMap::new();
    let mut read = 0;
    let (mut first_day, mut compared) = (0usize, 0);
    for &t in &steps {
        let due = {
            let p = shared.lock();
            ids.iter()
                .filter(|id| p.entry(id).and_then(|e| e.wake_at).is_some_and(|w| w <= t))
                .count()
        };
        if t <= steps[71] {
            first_day += due;
        }
        *clock.0.lock().unwrap() = t;
        // The timer has run at (or after) `t`: no account is left due.
        until(
            &format!("the accounts due at {t} to be re-evaluated"),
            || {
                let p = shared.lock();
                ids.iter()
                    .all(|id| p.entry(id).and_then(|e| e.wake_at).is_none_or(|w| w > t))
            },
        )
        .await;
        if !compare_at.contains(&t) {
            continue;
        }
        // Every account's newest version is on the topic.
        let versions: HashMap<String, u64> = {
            let p = shared.lock();
            ids.iter()
                .filter_map(|id| Some((id.clone(), p.entry(id)?.version)))
                .collect()
        };
        items
            .wait_for(&format!("every account's newest item at {t}"), |r| {
                for (_, v, _) in &r.records[read..] {
                    let v: Value = serde_json::from_slice(v.as_deref().unwrap()).unwrap();
                    latest.insert(v["account_id"].as_str().unwrap().to_string(), v);
                }
                read = r.records.len();
                versions
                    .iter()
                    .all(|(id, n)| latest.get(id).is_some_and(|v| v["version"] == *n))
            })
            .await;
        let path = file.path().to_path_buf();
        let offline = tokio::task::spawn_blocking(move || replay_file(&path, t))
            .await
            .unwrap();
        assert_eq!(offline.len(), latest.len(), "accounts at {t}");
        let differ: Vec<String> = offline
            .iter()
            .filter(|(id, v)| latest.get(*id).map(content) != Some(content(v)))
            .map(|(id, v)| {
                format!(
                    "{id}:\n  daemon: {}\n  replay: {}",
                    latest.get(id).map_or(Value::Null, content),
                    content(v)
                )
            })
            .collect();
        assert!(
            differ.is_empty(),
            "at {t}, {} of {} accounts differ from replay --as-of:\n{}",
            differ.len(),
            offline.len(),
            differ.join("\n")
        );
        compared += 1;
    }
    assert_eq!(compared, compare_at.len());
    eprintln!(
        "{} accounts, {} clock steps over 90 days; the first idle day in 20-minute steps: {:.2} \
         re-evaluations per account",
        ids.len(),
        steps.len(),
        first_day as f64 / ids.len() as f64
    );
    common::stop_daemon(daemon).await;
}
