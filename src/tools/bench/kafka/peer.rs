//! The peer measurement of the Kafka benchmark: the same job as a data team would otherwise write
//! it (`benches/peer/peer.py`: Python, confluent-kafka, scikit-learn logistic regressions), fed
//! the same simulated events as the throughput phase from a broker of the same kind, read from the
//! beginning while the producer keeps a bounded backlog ahead of its group's committed offsets,
//! exactly as the daemon is fed ([`Peer`]).
//!
//! The venv comes from `benches/peer/setup.sh` (PyPI; idempotent). The peer process prints
//! `ready` once its partitions are assigned and one JSON line when it has read every event.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde::Serialize;

use super::harness::{GroupWatch, STALL};
use super::meter::Meter;
use super::params::Params;
use super::producer::{route, simulate, EventProducer};
use crate::daemon::topics::{BILLING, CONTACTS, WORK_ITEMS};
use crate::tools::broker::{EmbeddedBroker, DEFAULT_TOPICS};

/// The peer's run.
#[derive(Debug, Clone, Serialize)]
pub struct Peer {
    pub events: u64,
    /// From its `ready` (partitions assigned) to its group's committed offsets reaching the
    /// high watermarks, measured here as for the daemon.
    pub secs: f64,
    pub events_per_sec: f64,
    /// What the peer itself printed (its rate from its first record to its final commit,
    /// versions, work items written, duplicates and skipped records).
    pub reported: serde_json::Value,
}

impl Peer {
    pub fn text(&self) -> String {
        let v = |k: &str| match self.reported.get(k) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => "?".into(),
        };
        format!(
            "\npeer (benches/peer: Python {}, confluent-kafka {}, scikit-learn {})\n\
             \x20 peer                {:>10.0} events/s  ({} events in {:.2} s from ready to committed offsets at the high watermarks)\n\
             \x20 peer, own clock     {:>10.0} events/s  (first record to final commit; {} work items, {} duplicates, {} skipped)\n",
            v("python"),
            v("confluent_kafka"),
            v("sklearn"),
            self.events_per_sec,
            self.events,
            self.secs,
            self.reported
                .get("events_per_sec")
                .and_then(serde_json::Value::as_f64)
                .unwrap_or(0.0),
            v("work_items"),
            v("duplicates"),
            v("skipped"),
        )
    }
}

/// Where the peer's files are: `benches/peer` of the source tree this binary was built from
/// (`ARREARS_PEER_DIR` overrides it).
fn peer_dir() -> PathBuf {
    std::env::var_os("ARREARS_PEER_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peer"))
}

/// Runs `setup.sh` (creates or reuses the venv) and returns the venv's python.
fn setup(dir: &Path) -> anyhow::Result<PathBuf> {
    let out = Command::new("bash")
        .arg(dir.join("setup.sh"))
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run {}", dir.join("setup.sh").display()))?;
    anyhow::ensure!(
        out.status.success(),
        "{} failed ({}): the peer needs Python 3.11 and PyPI",
        dir.join("setup.sh").display(),
        out.status
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let py = text
        .lines()
        .last()
        .context("setup.sh printed no python path")?;
    Ok(PathBuf::from(py.trim()))
}

/// Kills the peer process if it is still running when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Produces the throughput phase's events into a fresh broker and measures the peer on them.
pub fn peer(p: &Params) -> anyhow::Result<Peer> {
    let dir = peer_dir();
    let python = setup(&dir)?;
    let mut events = Vec::with_capacity(p.events as usize);
    simulate(p.events, p.days, p.seed, |line| {
        events.push(route(line));
        Ok(())
    })?;
    let produced = events.len() as u64;
    let backlog = p.backlog() as usize;
    let broker = EmbeddedBroker::start(&DEFAULT_TOPICS, p.partitions)
        .context("cannot start the embedded broker")?;
    let bootstrap = broker.bootstrap().to_string();
    // A fresh group each run: the mock coordinator waits out an abandoned member's session.
    let group = format!("bench-peer-{}", std::process::id());
    let producer = EventProducer::new(&bootstrap, "20")?;
    let watch = GroupWatch::new(&bootstrap, &group, &[BILLING, CONTACTS], p.partitions)?;
    let mut child = Process(
        Command::new(&python)
            .arg(dir.join("peer.py"))
            .args(["--bootstrap", &bootstrap, "--group", &group])
            .args(["--topics", &format!("{BILLING},{CONTACTS}")])
            .args(["--output", WORK_ITEMS, "--events", &produced.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot start {}", python.display()))?,
    );
    let stdout = child.0.stdout.take().context("the peer's stdout")?;
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let ready = rx
        .recv_timeout(Duration::from_secs(120))
        .context("the peer did not get its partitions within 120 s")?;
    anyhow::ensure!(
        ready.trim() == "ready",
        "the peer printed {ready:?} before `ready`"
    );
    let started = Instant::now();
    let mut meter = Meter::new("peer consuming", produced, p.progress);
    let (mut sent, chunk) = (0usize, (backlog / 10).max(1));
    let mut last = (-1i64, Instant::now());
    let done_at = loop {
        if let Some(status) = child.0.try_wait()? {
            bail!("the peer exited early ({status})");
        }
        let committed = watch.committed()?.0;
        if committed >= produced as i64 {
            break Instant::now();
        }
        if sent < events.len() && (sent as i64 - committed) < backlog as i64 {
            let end = (sent + chunk).min(events.len());
            for r in &events[sent..end] {
                producer.send(r)?;
            }
            sent = end;
            if sent == events.len() {
                producer.finish(produced)?;
            }
            continue;
        }
        meter.set(committed.max(0) as u64);
        if committed != last.0 {
            last = (committed, Instant::now());
        } else if last.1.elapsed() > STALL {
            bail!("the peer made no progress for {STALL:?} ({committed} of {produced} committed)");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    meter.set(produced);
    meter.finish();
    let line = rx
        .recv_timeout(Duration::from_secs(120))
        .context("the peer printed no result line")?;
    let reported: serde_json::Value =
        serde_json::from_str(&line).with_context(|| format!("the peer's result line {line:?}"))?;
    let status = child.0.wait()?;
    anyhow::ensure!(status.success(), "the peer failed ({status})");
    drop(watch);
    drop(producer);
    drop(broker);
    let secs = done_at.duration_since(started).as_secs_f64();
    Ok(Peer {
        events: produced,
        secs,
        events_per_sec: produced as f64 / secs,
        reported,
    })
}
