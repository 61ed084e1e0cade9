//! kill -9: the daemon as its own process (`arrears run`), SIGKILLed at ten points while a
//! simulated portfolio streams in — with deliveries in flight (the broker answers with a 20 ms
//! round trip), during a changelog restore, and at the start of a revocation when a second
//! instance joins — then run once more to the end. The verifier reads the work-item topic and
//! checks: every account's newest item equals the offline pipeline's (so no input was lost and
//! none applied twice: the version counts every change) and the last instance's own worklist;
//! versions never go back along the topic; no version of an account has two contents; a decision
//! record on `arrears.decisions` never disagrees with the item of its version, and every account's
//! latest version has its record (restores re-send the latest item with its record). An earlier
//! version may miss one half when a kill falls between the two acknowledgements (no broker
//! transactions): those are counted and printed.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arrears::daemon::topics;
use arrears::tools::broker::EmbeddedBroker;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

use crate::common::{broker, offline_items, simulated_events, DEADLINE};
use crate::{assert_item_invariants, keyed, produce, TopicReader};

/// One `arrears run` process and the lines of its log so far.
struct Instance {
    name: String,
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
}

impl Instance {
    fn start(config: &Path, name: &str) -> Instance {
        let mut child = Command::new(env!("CARGO_BIN_EXE_arrears"))
            .args(["--log-format", "json", "run", "--config"])
            .arg(config)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("ARREARS_LOG", "arrears=info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("arrears run starts");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (stderr, sink) = (child.stderr.take().unwrap(), log.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Instance {
            name: name.to_string(),
            child,
            log,
        }
    }

    fn logged(&self, message: &str) -> bool {
        self.log.lock().unwrap().iter().any(|l| l.contains(message))
    }

    /// Polls the log every 2 ms until `message` appears; panics (with the log) at the deadline
    /// or if the process exits first.
    async fn wait_log(&mut self, message: &str) {
        let start = Instant::now();
        while !self.logged(message) {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "{} exited ({status}) before logging {message:?}:\n{}",
                    self.name,
                    self.dump()
                );
            }
            assert!(
                start.elapsed() < DEADLINE,
                "{} never logged {message:?}:\n{}",
                self.name,
                self.dump()
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    fn dump(&self) -> String {
        let log = self.log.lock().unwrap();
        log[log.len().saturating_sub(40)..].join("\n")
    }

    /// SIGKILL: no drain, no commit, no flush.
    fn kill(mut self) {
        assert!(
            self.child.try_wait().unwrap().is_none(),
            "{} had exited before its kill:\n{}",
            self.name,
            self.dump()
        );
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, then waits for a clean exit.
    async fn terminate(mut self) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(status.success());
        let start = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(start.elapsed() < DEADLINE, "{} did not stop", self.name);
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert!(
            status.success(),
            "{} exited {status}:\n{}",
            self.name,
            self.dump()
        );
    }
}

/// A configuration for `arrears run` on the embedded broker (its tuning as in
/// `tools::broker::daemon_settings`), no clock re-evaluation (items depend on the events only),
/// the HTTP API on `http` when given.
fn config(dir: &Path, name: &str, broker: &EmbeddedBroker, http: Option<u16>) -> PathBuf {
    let s = arrears::tools::broker::daemon_settings(broker.bootstrap(), "g-kill9");
    let http = match http {
        Some(port) => format!("enabled = true\nlisten = \"127.0.0.1:{port}\"\n"),
        None => "enabled = false\n".to_string(),
    };
    let text = format!(
        "[kafka]\nbrokers = \"{}\"\ngroup_id = \"{}\"\nsession_timeout_ms = {}\n\
         evaluate_interval_ms = 0\nmax_in_flight = 256\nstats_interval_ms = 0\n\
         [kafka.properties]\n\"heartbeat.interval.ms\" = \"500\"\n[http]\n{http}",
        s.kafka.brokers, s.kafka.group_id, s.kafka.session_timeout_ms
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET http://127.0.0.1:{port}{path}` with a plain HTTP/1.1 client: the body, on status 200.
fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = Vec::new();
    s.read_to_end(&mut response).ok()?;
    let text = String::from_utf8(response).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    if !head.starts_with("HTTP/1.1 200") {
        return None;
    }
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return Some(dechunk(body));
    }
    Some(body.to_string())
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        body = &rest[n + 2..];
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_ten_points_loses_nothing_and_never_contradicts_itself() {
    let broker = broker();
    let dir = tempfile::tempdir().unwrap();
    let lines = simulated_events(300, 45, 41);
    let expected = offline_items(&lines);
    let chunks: Vec<&[String]> = lines.chunks(lines.len().div_ceil(10)).collect();
    // Deliveries stay in flight for a while: every answer of the broker takes 20 ms.
    broker
        .cluster()
        .broker_round_trip_time(EmbeddedBroker::BROKER_ID, Duration::from_millis(20))
        .unwrap();
    let solo = config(dir.path(), "solo", &broker, None);
    let second = config(dir.path(), "second", &broker, None);
    let mut items = TopicReader::new(&broker, topics::WORK_ITEMS);
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut running: Option<Instance> = None;
    let started = Instant::now();
    let mut kills = Vec::new();
    for (round, chunk) in chunks.iter().enumerate() {
        let before = items.records.len();
        produce(&broker, topics::BILLING, &keyed(chunk)).await;
        match round % 3 {
            0 => {
                // Mid-stream, deliveries in flight: a random moment after items flow again.
                let mut a = running
                    .take()
                    .unwrap_or_else(|| Instance::start(&solo, &format!("a{round}")));
                a.wait_log("partitions restored from the changelog").await;
                items
                    .wait_for("items from this instance", |r| r.records.len() > before)
                    .await;
                tokio::time::sleep(Duration::from_millis(rng.random_range(0..400))).await;
                a.kill();
                kills.push("deliveries in flight");
            }
            1 => {
                // During a changelog restore.
                let mut a = Instance::start(&solo, &format!("r{round}"));
                a.wait_log("restoring partitions from the changelog").await;
                a.kill();
                kills.push("changelog restore");
            }
            _ => {
                // At the start of a revocation: a second instance joins the group.
                let mut a = running
                    .take()
                    .unwrap_or_else(|| Instance::start(&solo, &format!("v{round}")));
                a.wait_log("partitions restored from the changelog").await;
                let b = Instance::start(&second, &format!("b{round}"));
                a.wait_log("revocation: finishing in-flight work").await;
                a.kill();
                kills.push("revocation start");
                running = Some(b);
            }
        }
    }
    assert!(
        running.is_none(),
        "the last round kills the instance it finds"
    );
    let streamed = started.elapsed();

    // The last instance runs to the end.
    let port = free_port();
    let last = Instance::start(&config(dir.path(), "last", &broker, Some(port)), "last");
    let recovery = Instant::now();
    items
        .wait_for("every account's final item after the kills", |r| {
            r.latest() == expected
        })
        .await;
    let recovered = recovery.elapsed();
    let worklist = loop {
        if let Some(body) = http_get(port, "/v1/worklist?limit=10000") {
            let list: Vec<Value> = serde_json::from_str(&body).unwrap();
            if list.len() == expected.len() {
                break list;
            }
        }
        assert!(
            recovery.elapsed() < DEADLINE,
            "no full worklist from the last instance"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    for item in &worklist {
        let id = item["account_id"].as_str().unwrap();
        assert_eq!(Some(item), expected.get(id), "{id}: the daemon's state");
    }
    last.terminate().await;
    items.read_to_end().await;
    let resent = assert_item_invariants(&items.records);
    let mut decisions = TopicReader::new(&broker, topics::DECISIONS);
    decisions.read_to_end().await;
    let (unrecorded, orphans) = assert_decisions_match(&items.records, &decisions.records);
    eprintln!(
        "kill -9: {} decision records; versions without a record {unrecorded}, records without \
         their version on the topic {orphans}",
        decisions.records.len()
    );
    eprintln!(
        "kill -9: {} events, {} accounts, {} kills ({kills:?}) in {streamed:?}; {} items on the topic \
         ({resent} identical re-sends); final items equal the offline pipeline's {recovered:?} after \
         the last start",
        lines.len(),
        expected.len(),
        kills.len(),
        items.records.len()
    );
    assert_eq!(kills.len(), 10);
}

/// A decision record never disagrees with the item of its version, and every account's latest
/// version on the work-item topic has its record; returns how many versions have no record and how
/// many records name a version the topic never carried.
fn assert_decisions_match(items: &[crate::Record], decisions: &[crate::Record]) -> (usize, usize) {
    use std::collections::HashMap;
    let by_version = |records: &[crate::Record], item: fn(&Value) -> &Value| {
        let mut out: HashMap<(String, u64), Value> = HashMap::new();
        for (k, v, _) in records {
            let k = String::from_utf8(k.clone().expect("keyed")).unwrap();
            let v: Value = serde_json::from_slice(v.as_ref().expect("a value")).unwrap();
            assert_eq!(v["account_id"].as_str(), Some(k.as_str()), "key = account");
            let version = v["version"].as_u64().unwrap();
            let it = item(&v).clone();
            if let Some(first) = out.insert((k.clone(), version), it.clone()) {
                assert_eq!(first, it, "{k} v{version}: two contents");
            }
        }
        out
    };
    let items = by_version(items, |v| v);
    let records = by_version(decisions, |v| &v["item"]);
    let mut latest: HashMap<&str, u64> = HashMap::new();
    for (account, version) in items.keys() {
        let l = latest.entry(account.as_str()).or_default();
        *l = (*l).max(*version);
    }
    for (account, version) in &latest {
        let id = (account.to_string(), *version);
        assert_eq!(
            records.get(&id),
            items.get(&id),
            "{id:?}: the latest version's record"
        );
    }
    let mut orphans = 0;
    for (id, item) in &records {
        match items.get(id) {
            Some(on_topic) => assert_eq!(on_topic, item, "{id:?}: the record carries its item"),
            None => orphans += 1,
        }
    }
    let unrecorded = items.keys().filter(|id| !records.contains_key(*id)).count();
    (unrecorded, orphans)
}
