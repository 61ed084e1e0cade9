//! `/metrics` of a daemon on the embedded broker after a known event stream: the counters equal
//! what the stream must cause, the exposition passes `promtool check metrics`, and no label
//! carries an account id. Waits poll a condition until a deadline; no sleeps that hope.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "integration tests drive the edges: files, timers and the environment"
)]

use arrears::daemon::topics;
use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrears::daemon::{http, Shared, WallClock};
use arrears::engine::scoring::Scorer;
use arrears::tools::broker::EmbeddedBroker;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod common;

use common::{simulated_events, DEADLINE, PARTITIONS};

fn event_type(line: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    v["type"].as_str().unwrap().to_string()
}

async fn get(addr: &str, path: &str) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8(buf).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_string())
}

/// The value of the series `name{labels}` (exact label text), or 0 when absent.
fn value(scrape: &str, series: &str) -> f64 {
    scrape
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

/// The sum of every series of metric `name` whose labels contain `filter`.
fn sum(scrape: &str, name: &str, filter: &str) -> f64 {
    scrape
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, v) = l.rsplit_once(' ')?;
            let (metric, labels) = series.split_once('{').unwrap_or((series, ""));
            (metric == name && labels.contains(filter)).then(|| v.parse::<f64>().unwrap())
        })
        .sum()
}

fn count_records(broker: &EmbeddedBroker, topic: &str) -> usize {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("group.id", "metrics-reader")
        .create()
        .unwrap();
    let mut total = 0;
    for p in 0..PARTITIONS {
        let (lo, hi) = c
            .fetch_watermarks(topic, p, Duration::from_secs(5))
            .unwrap();
        total += (hi - lo) as usize;
    }
    total
}

fn first_value(broker: &EmbeddedBroker, topic: &str) -> Vec<u8> {
    let c = common::reader(broker, topic);
    let start = Instant::now();
    loop {
        if let Some(m) = c.poll(Duration::from_millis(100)) {
            return m.unwrap().payload().unwrap().to_vec();
        }
        assert!(start.elapsed() < DEADLINE, "no record on {topic}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_a_known_stream() {
    let broker = common::broker();
    let lines = simulated_events(8, 20, 11);
    // The stream: every simulated event, one of them twice (a duplicate event id), and one
    // malformed record.
    let mut records: Vec<(&str, String, String)> = lines
        .iter()
        .map(|l| {
            let topic = arrears::tools::broker::input_topic(&event_type(l));
            let key = arrears::engine::events::peek_account_id(l.as_bytes()).unwrap();
            (topic, key, l.clone())
        })
        .collect();
    let dup = records[records.len() / 2].clone();
    records.push(dup.clone());
    records.push((topics::BILLING, dup.1.clone(), "{broken".to_string()));
    // A call under a contact id the account does not list, on the billing partition (after the
    // account's profile): applied to the caps and counted, never rejected.
    let at = serde_json::from_str::<serde_json::Value>(&dup.2).unwrap()["occurred_at"]
        .as_str()
        .unwrap()
        .to_string();
    let unknown = format!(
        r#"{{"event_id":"unknown-contact-1","type":"contact_attempt","account_id":"{}","occurred_at":"{at}","attempt_id":"unknown-1","channel":"call","contact_id":"c-not-listed","outcome":"no_answer"}}"#,
        dup.1
    );
    records.push((topics::BILLING, dup.1.clone(), unknown));
    // The simulator reports a few attempts under unlisted ids too (on the contacts topic, whose
    // order relative to the profile is not fixed), so the counter lies in [1, 1 + those].
    let simulated_unknown = lines
        .iter()
        .filter(|l| {
            l.contains("\"type\":\"contact_attempt\"") && l.contains("\"contact_id\":\"c-200\"")
        })
        .count() as f64;
    let mut expected: HashMap<(String, String), u64> = HashMap::new();
    for (topic, _, line) in &records {
        let ty = if line.starts_with("{broken") {
            "unparsed".to_string()
        } else {
            event_type(line)
        };
        *expected.entry((topic.to_string(), ty)).or_default() += 1;
    }

    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .create()
        .unwrap();
    for (topic, key, line) in &records {
        producer
            .send(
                FutureRecord::to(topic).key(key).payload(line),
                Duration::from_secs(5),
            )
            .await
            .map_err(|(e, _)| e)
            .unwrap();
    }

    let shared = Shared::new(common::pipeline(), Arc::new(WallClock));
    // The API is served on its own here, so it can still answer after the daemon has stopped.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let server = tokio::spawn(http::serve(
        listener,
        shared.clone(),
        std::future::pending(),
    ));
    let mut settings = common::settings(&broker, "g-metrics");
    settings.kafka.stats_interval_ms = 500;
    let daemon = common::start_daemon(&settings, shared.clone()).await;

    // Wait until every record is consumed and its outputs acknowledged, and lag is reported.
    let total = records.len() as f64;
    let start = Instant::now();
    let scrape = loop {
        let (status, body) = get(&addr, "/metrics").await;
        assert_eq!(status, 200);
        let consumed = sum(&body, "arrears_events_consumed_total", "");
        if consumed == total
            && value(&body, "arrears_in_flight") == 0.0
            && body.contains("arrears_consumer_lag_messages{")
        {
            break body;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "consumed {consumed} of {total} records"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };

    for ((topic, ty), n) in &expected {
        let series = format!("arrears_events_consumed_total{{topic=\"{topic}\",type=\"{ty}\"}}");
        assert_eq!(value(&scrape, &series), *n as f64, "{series}");
    }
    assert_eq!(
        value(
            &scrape,
            "arrears_events_rejected_total{reason=\"malformed_json\"}"
        ),
        1.0
    );
    assert_eq!(sum(&scrape, "arrears_events_rejected_total", ""), 1.0);
    let unknown = value(&scrape, "arrears_contact_attempts_unknown_contact_total");
    assert!(
        (1.0..=1.0 + simulated_unknown).contains(&unknown),
        "unknown-contact attempts {unknown}, expected 1..={}",
        1.0 + simulated_unknown
    );
    assert_eq!(
        value(
            &scrape,
            "arrears_events_skipped_total{cause=\"duplicate_event_id\"}"
        ),
        1.0
    );
    // Every published version is on the work-items topic, every applied event on the changelog.
    let items = count_records(&broker, topics::WORK_ITEMS) as f64;
    assert_eq!(
        sum(&scrape, "arrears_work_items_published_total", ""),
        items
    );
    assert_eq!(
        value(&scrape, "arrears_changelog_writes_total"),
        count_records(&broker, topics::CHANGELOG) as f64
    );
    // Every simulated event and the attempt under an unlisted contact id were applied.
    assert_eq!(
        value(&scrape, "arrears_changelog_writes_total"),
        lines.len() as f64 + 1.0
    );
    assert_eq!(count_records(&broker, topics::DEAD_LETTER), 1);
    assert_eq!(
        value(&scrape, "arrears_score_count{model=\"willingness\"}"),
        items
    );
    assert_eq!(
        value(&scrape, "arrears_processing_latency_seconds_count"),
        total
    );
    assert_eq!(value(&scrape, "arrears_accounts"), 8.0);
    assert!(value(&scrape, "arrears_state_bytes") > 8.0 * 1000.0);
    assert_eq!(value(&scrape, "arrears_ready"), 1.0);
    assert_eq!(
        value(&scrape, "arrears_partitions_assigned"),
        PARTITIONS as f64
    );
    assert!(value(&scrape, "arrears_rebalances_total{kind=\"assign\"}") >= 1.0);
    assert_eq!(sum(&scrape, "arrears_consumer_lag_messages", ""), 0.0);
    let psi = value(&scrape, "arrears_model_psi{model=\"willingness\"}");
    assert!(psi.is_finite() && psi > 0.0, "psi {psi}");
    let population = value(
        &scrape,
        "arrears_model_psi_population{model=\"willingness\"}",
    );
    assert!(
        (1.0..=8.0).contains(&population),
        "the PSI population is this instance's scored past-due accounts: {population}"
    );
    let scorer = Scorer::shipped().unwrap();
    let info = format!(
        "arrears_model_info{{model=\"ability\",version=\"{}\"}}",
        scorer.ability.model.version
    );
    assert_eq!(value(&scrape, &info), 1.0);

    // No account id in any series, anywhere.
    let ids: std::collections::HashSet<String> = records.iter().map(|r| r.1.clone()).collect();
    for id in &ids {
        assert!(!scrape.contains(id.as_str()), "account id {id} in /metrics");
    }
    let item: serde_json::Value =
        serde_json::from_slice(&first_value(&broker, topics::WORK_ITEMS)).unwrap();
    assert!(ids.contains(item["account_id"].as_str().unwrap()));

    // The exposition passes Prometheus' own linter.
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian package prometheus; .ci/run installs it)");
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(scrape.as_bytes())
        .unwrap();
    let out = promtool.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    common::stop_daemon(daemon).await;
    let (status, body) = get(&addr, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    server.abort();
}
