//! The daemon as a group of instances against librdkafka's embedded mock cluster, and its HTTP
//! API: two instances share the partitions and the survivor of a graceful stop ends with the
//! offline pipeline's (and `arrears replay`'s) items; a graceful shutdown commits every input
//! offset so the next instance re-processes nothing; the API answers health, readiness, the
//! worklist and account explanations, never with a phone number. No sleeps that hope: every wait
//! polls a condition until a deadline and panics saying what it waited for.

use arrears::daemon::topics::{BILLING, CONTACTS, WORK_ITEMS};
use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrears::daemon::{app, http, DaemonError, DaemonSettings, Shared, WallClock};
use arrears::engine::features::FEATURE_NAMES;
use arrears::tools::broker::EmbeddedBroker;
use jiff::Timestamp;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

mod common;

use common::{
    account_of, broker, offline_items, pipeline, settings, simulated_events, DEADLINE, PARTITIONS,
};

const INPUTS: [&str; 2] = [BILLING, CONTACTS];

/// The offline pipeline's clock after `lines`: the latest event time.
fn end_clock(lines: &[String]) -> Timestamp {
    let mut p = pipeline();
    for line in lines {
        let _ = p.process_record(line.as_bytes());
    }
    p.clock().expect("some event applied")
}

/// A work item without its identity in time (`version`, `as_of`): what its fingerprint covers.
fn content(item: &Value) -> Value {
    let mut v = item.clone();
    let o = v.as_object_mut().unwrap();
    o.remove("version");
    o.remove("as_of");
    v
}

/// `arrears replay --input FILE` run as the built binary: its ranked JSONL output, in order.
async fn replay(lines: &[String]) -> Vec<Value> {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    for l in lines {
        std::io::Write::write_all(&mut file, l.as_bytes()).unwrap();
        std::io::Write::write_all(&mut file, b"\n").unwrap();
    }
    let path = file.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_arrears"))
            .arg("replay")
            .arg("--input")
            .arg(&path)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    drop(file);
    assert!(
        out.status.success(),
        "arrears replay failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The worklist order of the contract: open by priority descending, then held, then closed, ties
/// by account id.
fn rank_key(item: &Value) -> (u8, f64, String) {
    let status = match item["status"].as_str().unwrap() {
        "open" => 0,
        "held" => 1,
        "closed" => 2,
        s => panic!("unknown status {s}"),
    };
    (
        status,
        -item["priority"].as_f64().unwrap(),
        item["account_id"].as_str().unwrap().to_string(),
    )
}

fn in_rank_order(items: &[Value]) -> bool {
    items.windows(2).all(|w| {
        let (a, b) = (rank_key(&w[0]), rank_key(&w[1]));
        a.0.cmp(&b.0)
            .then(a.1.total_cmp(&b.1))
            .then(a.2.cmp(&b.2))
            .is_lt()
    })
}

/// Produces `records` (key, value, explicit partition or the default partitioner) and waits for
/// every acknowledgement.
async fn produce(broker: &EmbeddedBroker, topic: &str, records: &[(String, String, Option<i32>)]) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("enable.idempotence", "true")
        .create()
        .unwrap();
    let mut acks = Vec::new();
    for (key, payload, partition) in records {
        let mut r = FutureRecord::<[u8], [u8]>::to(topic)
            .key(key.as_bytes())
            .payload(payload.as_bytes());
        if let Some(p) = partition {
            r = r.partition(*p);
        }
        acks.push(producer.send_result(r).map_err(|(e, _)| e).unwrap());
    }
    for a in acks {
        a.await.unwrap().map_err(|(e, _)| e).unwrap();
    }
}

fn keyed(lines: &[String]) -> Vec<(String, String, Option<i32>)> {
    lines
        .iter()
        .map(|l| (account_of(l), l.clone(), None))
        .collect()
}

/// Key and value of one work-items record.
type Record = (String, Value);

/// Every record of a topic so far, from the beginning.
struct TopicReader {
    consumer: BaseConsumer,
    topic: String,
    records: Vec<Record>,
}

impl TopicReader {
    fn new(broker: &EmbeddedBroker, topic: &str) -> TopicReader {
        let consumer = common::reader(broker, topic);
        TopicReader {
            consumer,
            topic: topic.to_string(),
            records: Vec::new(),
        }
    }

    fn poll(&mut self) {
        while let Some(m) = self.consumer.poll(Duration::from_millis(50)) {
            let m = m.unwrap();
            let key = String::from_utf8(m.key().expect("keyed").to_vec()).unwrap();
            let value = serde_json::from_slice(m.payload().expect("a value")).unwrap();
            self.records.push((key, value));
        }
    }

    /// The last value per key.
    fn latest(&self) -> HashMap<String, Value> {
        self.records.iter().cloned().collect()
    }

    /// Whether every partition has been read up to its current high watermark.
    fn at_end(&self) -> bool {
        let position = self.consumer.position().unwrap();
        (0..PARTITIONS).all(|p| {
            let (_, high) = self
                .consumer
                .fetch_watermarks(&self.topic, p, Duration::from_secs(5))
                .unwrap();
            high == 0
                || matches!(
                    position.find_partition(&self.topic, p).map(|e| e.offset()),
                    Some(Offset::Offset(o)) if o >= high
                )
        })
    }

    /// Reads until every partition is read to its high watermark (nothing more is being written
    /// when this is called, so the records are then all there are).
    async fn read_to_end(&mut self) {
        let topic = self.topic.clone();
        wait_for(&mut *self, &format!("{topic} read to its end"), |r| {
            r.at_end()
        })
        .await;
    }
}

/// Polls `reader` until `done` holds, or panics at the deadline with `what`.
async fn wait_for(
    reader: &mut TopicReader,
    what: &str,
    mut done: impl FnMut(&TopicReader) -> bool,
) {
    let start = Instant::now();
    loop {
        reader.poll();
        if done(reader) {
            return;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "timed out waiting for {what} ({} records read)",
            reader.records.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls `done` until it holds, or panics at the deadline with `what`.
async fn wait_until<F: Future<Output = bool>>(what: &str, mut done: impl FnMut() -> F) {
    let start = Instant::now();
    while !done().await {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

struct Running {
    shared: Arc<Shared>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), DaemonError>>,
}

fn start(settings: &DaemonSettings) -> Running {
    start_with(settings, Shared::new(pipeline(), Arc::new(WallClock)))
}

fn start_with(settings: &DaemonSettings, shared: Arc<Shared>) -> Running {
    let (stop, rx) = oneshot::channel::<()>();
    let s = settings.clone();
    let sh = shared.clone();
    let task = tokio::spawn(async move {
        app::run(&s, sh, async move {
            let _ = rx.await;
        })
        .await
    });
    Running { shared, stop, task }
}

impl Running {
    /// Graceful stop: drain, commit, leave the group; the daemon must return `Ok`.
    async fn stop(self) {
        let _ = self.stop.send(());
        let result = tokio::time::timeout(DEADLINE, self.task)
            .await
            .expect("timed out waiting for the daemon to stop")
            .expect("the daemon task did not panic");
        assert!(result.is_ok(), "graceful stop returned {result:?}");
    }

    /// The ids of the accounts this instance holds now.
    fn accounts(&self) -> BTreeSet<String> {
        self.shared
            .lock()
            .accounts()
            .map(|a| a.id.clone())
            .collect()
    }
}

/// Asserts that every account's versions never decrease along the topic.
fn assert_versions_never_go_back(records: &[Record]) {
    let mut last: HashMap<&str, u64> = HashMap::new();
    for (k, v) in records {
        assert_eq!(v["account_id"].as_str(), Some(k.as_str()), "key = account");
        let version = v["version"].as_u64().unwrap();
        let prev = last.insert(k, version).unwrap_or(0);
        assert!(
            version >= prev,
            "{k}: version went back from {prev} to {version}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_then_one_stops_the_survivor_gives_the_same_items() {
    let broker = broker();
    let lines = simulated_events(16, 30, 11);
    let (head, tail) = lines.split_at(lines.len() / 2);
    let all_accounts: BTreeSet<String> = lines.iter().map(|l| account_of(l)).collect();
    let head_expected = offline_items(head);
    let expected = offline_items(&lines);
    assert!(expected.len() >= 12, "{} accounts", expected.len());
    produce(&broker, BILLING, &keyed(head)).await;

    let s = settings(&broker, "g-pair");
    let a = start(&s);
    let b = start(&s);
    let mut items = TopicReader::new(&broker, WORK_ITEMS);
    wait_for(
        &mut items,
        "every account's item after the first half",
        |r| r.latest() == head_expected,
    )
    .await;
    // Both instances own partitions: each holds some of the accounts, none holds one twice.
    let head_accounts: BTreeSet<String> = head.iter().map(|l| account_of(l)).collect();
    wait_until("both instances ready, splitting the accounts", || {
        let (aa, ab) = (a.accounts(), b.accounts());
        let ok = a.shared.is_ready()
            && b.shared.is_ready()
            && !aa.is_empty()
            && !ab.is_empty()
            && aa.is_disjoint(&ab)
            && aa.union(&ab).cloned().collect::<BTreeSet<_>>() == head_accounts;
        async move { ok }
    })
    .await;

    b.stop().await;
    produce(&broker, BILLING, &keyed(tail)).await;
    wait_for(
        &mut items,
        "every account's final item on the survivor",
        |r| r.latest() == expected,
    )
    .await;
    // The survivor took over every partition, restoring the stopped instance's accounts.
    assert!(a.shared.is_ready());
    assert_eq!(a.accounts(), all_accounts);
    // `arrears replay` ends by re-evaluating every account at the replay's clock (the latest
    // event time), where scores drift and days past due grow; the daemon re-evaluates on its
    // timer only the accounts whose decision may change (`wake_at`), and not at all here. So
    // replay's item is the topic's item, or the next version of it: the survivor's state
    // evaluated at that clock.
    let replayed = replay(&lines).await;
    assert!(in_rank_order(&replayed), "replay output is ranked");
    let replayed: HashMap<String, Value> = replayed
        .into_iter()
        .map(|v| (v["account_id"].as_str().unwrap().to_string(), v))
        .collect();
    assert_eq!(replayed.len(), expected.len());
    let end = end_clock(&lines);
    let topic = items.latest();
    for (id, r) in &replayed {
        let t = &topic[id];
        if content(r) == content(t) {
            assert_eq!(r, t, "{id}: same content, same version and as_of");
            continue;
        }
        assert_eq!(
            r["version"].as_u64(),
            t["version"].as_u64().map(|v| v + 1),
            "{id}: replay's item is the next version"
        );
        assert_eq!(r["as_of"], serde_json::to_value(end).unwrap(), "{id}");
        let now = a
            .shared
            .lock()
            .explain(id, end)
            .expect("the survivor holds it")
            .item;
        assert_eq!(
            content(r),
            content(&serde_json::to_value(now).unwrap()),
            "{id}: replay's item = the survivor's state evaluated at the replay's clock"
        );
    }
    a.stop().await;
    items.read_to_end().await;
    assert_eq!(items.latest(), expected, "nothing changed after the stop");
    assert_versions_never_go_back(&items.records);
}

/// The committed offsets of `group` on every input partition, and the inputs' high watermarks.
type Offsets = Vec<((&'static str, i32), Offset)>;

fn committed_and_high(broker: &EmbeddedBroker, group: &str) -> (Offsets, Offsets) {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    let mut high = Vec::new();
    for topic in INPUTS {
        for p in 0..PARTITIONS {
            tpl.add_partition(topic, p);
            let (_, h) = consumer
                .fetch_watermarks(topic, p, Duration::from_secs(10))
                .unwrap();
            // Nothing to commit in an empty partition: no committed offset is the right answer.
            high.push((
                (topic, p),
                if h > 0 {
                    Offset::Offset(h)
                } else {
                    Offset::Invalid
                },
            ));
        }
    }
    let committed = consumer
        .committed_offsets(tpl, Duration::from_secs(10))
        .unwrap();
    let committed = INPUTS
        .iter()
        .flat_map(|&t| (0..PARTITIONS).map(move |p| (t, p)))
        .map(|(t, p)| {
            let e = committed.find_partition(t, p).expect("asked for it");
            assert!(e.error().is_ok(), "{t}/{p}: {:?}", e.error());
            ((t, p), e.offset())
        })
        .collect();
    (committed, high)
}

/// An `account_opened` event for a new account `id`, made from the portfolio's first one.
fn opened(lines: &[String], id: &str) -> String {
    let mut v: Value = lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["type"] == "account_opened")
        .expect("an account_opened event");
    v["account_id"] = id.into();
    v["event_id"] = format!("{id}:1").into();
    v.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_commits_everything() {
    let broker = broker();
    let lines = simulated_events(16, 20, 21);
    let expected = offline_items(&lines);
    assert!(expected.len() >= 12, "{} accounts", expected.len());
    // Both input topics carry records: every other account's whole stream goes to the contacts
    // topic (one topic per account keeps each account's events in order, so the items equal the
    // offline pipeline's; the daemon reads both topics alike).
    let ids: Vec<String> = expected
        .keys()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let on_contacts: BTreeSet<&String> = ids.iter().skip(1).step_by(2).collect();
    let (contacts, billing): (Vec<String>, Vec<String>) = lines
        .iter()
        .cloned()
        .partition(|l| on_contacts.contains(&account_of(l)));
    produce(&broker, BILLING, &keyed(&billing)).await;
    produce(&broker, CONTACTS, &keyed(&contacts)).await;

    let s = settings(&broker, "g-commit");
    let mut items = TopicReader::new(&broker, WORK_ITEMS);
    let first = start(&s);
    wait_for(&mut items, "every account's final item", |r| {
        r.latest() == expected
    })
    .await;
    first.stop().await;

    let (committed, high) = committed_and_high(&broker, "g-commit");
    for topic in INPUTS {
        assert!(
            high.iter()
                .any(|((t, _), o)| *t == topic && matches!(o, Offset::Offset(_))),
            "{topic} has records"
        );
    }
    assert_eq!(committed, high, "committed offsets = high watermarks");
    items.read_to_end().await;
    assert_eq!(items.latest(), expected);
    let before = items.records.len();

    // A second instance on the same group: it must start after the committed offsets. One new
    // account per input partition, produced once it is ready, marks the end of every partition:
    // when all their items are out, every older record has been read, and the graceful stop
    // delivers whatever it caused.
    let second = start(&s);
    wait_until("the second instance ready", || {
        let ready = second.shared.is_ready();
        async move { ready }
    })
    .await;
    let mut markers = Vec::new();
    for topic in INPUTS {
        let records: Vec<(String, String, Option<i32>)> = (0..PARTITIONS)
            .map(|p| {
                let id = format!("M-{}-{p}", &topic["arrears.".len()..]);
                (id.clone(), opened(&lines, &id), Some(p))
            })
            .collect();
        produce(&broker, topic, &records).await;
        markers.extend(records.into_iter().map(|(_, l, _)| l));
    }
    let marker_items = offline_items(&markers);
    assert_eq!(marker_items.len(), 2 * PARTITIONS as usize);
    wait_for(&mut items, "every marker's item", |r| {
        let latest = r.latest();
        marker_items.iter().all(|(k, v)| latest.get(k) == Some(v))
    })
    .await;
    second.stop().await;
    items.read_to_end().await;
    let new: HashMap<String, Value> = items.records[before..].iter().cloned().collect();
    assert_eq!(
        items.records.len() - before,
        marker_items.len(),
        "only the markers' items are new: {:?}",
        new.keys().collect::<BTreeSet<_>>()
    );
    assert_eq!(new, marker_items);
    let (committed, high) = committed_and_high(&broker, "g-commit");
    assert_eq!(
        committed, high,
        "committed offsets = high watermarks after the second stop"
    );
}

/// A minimal HTTP/1.1 GET: status and body.
async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    tokio::time::timeout(DEADLINE, get_now(addr, path))
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for GET {path}"))
}

async fn get_now(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").expect("a header block");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a status line: {head}"));
    let chunked = head
        .lines()
        .any(|l| l.eq_ignore_ascii_case("transfer-encoding: chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, rest) = s.split_once("\r\n").expect("a chunk size");
        let n = usize::from_str_radix(size.trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_api_answers_from_the_daemons_state() {
    let broker = broker();
    // 24 accounts: five of them open at the end (enough for `limit=3` to cut).
    let lines = simulated_events(24, 30, 13);
    let expected = offline_items(&lines);
    let phones: BTreeSet<String> = lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .flat_map(|v| match v["contacts"].as_array() {
            Some(cs) => cs
                .iter()
                .map(|c| c["phone"].as_str().unwrap().to_string())
                .collect(),
            None => Vec::new(),
        })
        .collect();
    assert!(!phones.is_empty(), "the events carry phone numbers");
    produce(&broker, BILLING, &keyed(&lines)).await;

    let shared = Shared::new(pipeline(), Arc::new(WallClock));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = http::router(shared.clone());
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let mut bodies = Vec::new();

    let (status, body) = get(addr, "/healthz").await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = get(addr, "/readyz").await;
    assert_eq!(
        status, 503,
        "not ready before a daemon owns partitions: {body}"
    );

    let daemon = start_with(&settings(&broker, "g-http"), shared.clone());
    let mut items = TopicReader::new(&broker, WORK_ITEMS);
    wait_for(&mut items, "every account's final item", |r| {
        r.latest() == expected
    })
    .await;
    wait_until("/readyz 200", || async {
        get(addr, "/readyz").await.0 == 200
    })
    .await;
    let (status, body) = get(addr, "/healthz").await;
    assert_eq!(status, 200, "{body}");

    // The whole worklist: every account's latest item, ranked.
    let mut ranked: Vec<Value> = expected.values().cloned().collect();
    ranked.sort_by(|a, b| {
        let (a, b) = (rank_key(a), rank_key(b));
        a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2))
    });
    let (status, body) = get(addr, "/v1/worklist").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body), Value::Array(ranked.clone()));
    bodies.push(body);

    let open: Vec<Value> = ranked
        .iter()
        .filter(|i| i["status"] == "open")
        .cloned()
        .collect();
    assert!(open.len() > 3, "{} open items", open.len());
    let (status, body) = get(addr, "/v1/worklist?limit=3&status=open").await;
    assert_eq!(status, 200, "{body}");
    let top = json(&body);
    let top = top.as_array().unwrap();
    assert!(top.len() <= 3);
    assert!(top.iter().all(|i| i["status"] == "open"), "{body}");
    assert!(in_rank_order(top), "priority descending: {body}");
    assert_eq!(top, &open[..3], "the three highest-priority open items");
    bodies.push(body);

    let (status, body) = get(addr, "/v1/worklist?status=held").await;
    assert_eq!(status, 200, "{body}");
    let held: Vec<&Value> = ranked.iter().filter(|i| i["status"] == "held").collect();
    assert_eq!(
        json(&body).as_array().unwrap().iter().collect::<Vec<_>>(),
        held
    );
    bodies.push(body);

    let (status, body) = get(addr, "/v1/worklist?status=bogus").await;
    assert_eq!(status, 400, "{body}");

    let names: BTreeSet<&str> = FEATURE_NAMES.iter().copied().collect();
    for (id, item) in &expected {
        let (status, body) = get(addr, &format!("/v1/accounts/{id}")).await;
        assert_eq!(status, 200, "{id}: {body}");
        let v = json(&body);
        assert_eq!(v["account_id"], id.as_str());
        let features = v["features"].as_object().expect("features");
        assert_eq!(
            features.keys().map(String::as_str).collect::<BTreeSet<_>>(),
            names,
            "{id}: every feature, by name"
        );
        assert!(
            features
                .values()
                .all(|x| x.as_f64().is_some_and(f64::is_finite)),
            "{id}: finite numbers: {features:?}"
        );
        for score in ["willingness", "ability"] {
            let x = v["scores"][score].as_f64().expect("a score");
            assert!((0.0..=1.0).contains(&x), "{id}: {score} {x}");
        }
        assert!(
            ["open", "held", "closed"].contains(&v["decision"]["status"].as_str().unwrap()),
            "{id}: {}",
            v["decision"]
        );
        assert_eq!(&v["last_published"], item, "{id}: the topic's last item");
        assert_eq!(v["last_published"]["version"], item["version"]);
        bodies.push(body);
    }
    let (status, body) = get(addr, "/v1/accounts/no-such-account").await;
    assert_eq!(status, 404, "{body}");

    for body in &bodies {
        for phone in &phones {
            assert!(
                !body.contains(phone.as_str()) && !body.contains(&phone[1..]),
                "a response carries a phone number"
            );
        }
    }

    daemon.stop().await;
    let (status, body) = get(addr, "/readyz").await;
    assert_eq!(status, 503, "not ready once stopped: {body}");
    server.abort();
}
