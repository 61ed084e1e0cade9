//! `arrears demo`: everything in one process, nothing to install. An embedded broker (librdkafka's
//! mock cluster) with the contract's topics; a simulated portfolio streamed into
//! `arrears.billing` / `arrears.contacts` at a steady rate; the daemon consuming it (with its HTTP
//! API on loopback); and a live ranked worklist read back from `arrears.work-items`, redrawn
//! every second, until Ctrl-C or `--duration`, then a summary.
//!
//! The daemon's clock follows the stream (the latest `as_of` published), not the wall clock: the
//! simulated portfolio lives in its own calendar. No phone number is ever printed: the view keeps
//! only account ids, scores and the action's channel, strategy and window.

use crate::daemon::topics::{BILLING, DEAD_LETTER, WORK_ITEMS};
use std::collections::HashMap;
use std::future::Future;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use jiff::Timestamp;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use serde::Deserialize;
use tokio::sync::{mpsc, watch};

use crate::daemon::{app, http, Clock, Shared};
use crate::engine::pipeline::Pipeline;
use crate::engine::scoring::Scorer;
use crate::engine::settings::Settings;
use crate::tools::broker::{EmbeddedBroker, DEFAULT_TOPICS};
use crate::tools::sim::{HouseDialer, SimConfig, World};

#[derive(clap::Args, Debug, Clone)]
pub struct DemoArgs {
    /// Simulated accounts.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub accounts: u64,
    /// Simulated days, streamed day by day.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub days: u32,
    /// Events produced per second.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub rate: u32,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    pub duration: Option<u64>,
    /// Open work items shown.
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub top: u32,
    /// Simulation seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// HTTP API port on 127.0.0.1 (default: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Partitions of every topic.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(i32).range(1..=64))]
    pub partitions: i32,
}

impl Default for DemoArgs {
    fn default() -> Self {
        DemoArgs {
            accounts: 2000,
            days: 30,
            rate: 2000,
            duration: None,
            top: 15,
            seed: 1,
            port: 0,
            partitions: 4,
        }
    }
}

/// What a demo run did.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Events handed to the producer.
    pub produced: u64,
    /// Events the broker acknowledged.
    pub sent: u64,
    /// Events the broker refused or that timed out.
    pub failed: u64,
    /// Work-item records consumed from `arrears.work-items`.
    pub items_seen: u64,
    /// Accounts with at least one work item.
    pub accounts: usize,
    pub dead_letters: u64,
    /// The best open items at the end, best first.
    pub top: Vec<Row>,
}

/// One account's latest work item, as the view keeps it (no contact details).
#[derive(Debug, Clone, Deserialize)]
pub struct Row {
    pub account_id: String,
    pub version: u64,
    pub status: String,
    #[serde(default)]
    pub hold_reason: Option<String>,
    #[serde(default)]
    pub priority: f64,
    #[serde(default)]
    pub segment: String,
    #[serde(default)]
    pub stage: String,
    #[serde(default)]
    pub action: Option<RowAction>,
    #[serde(default)]
    pub reasons: Vec<RowReason>,
    #[serde(default)]
    pub as_of: Option<Timestamp>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RowAction {
    pub channel: String,
    pub strategy: String,
    pub not_before: Timestamp,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RowReason {
    pub code: String,
}

/// Counters shared by the producer, the reader and the display.
#[derive(Default)]
struct Progress {
    produced: AtomicU64,
    sent: AtomicU64,
    failed: AtomicU64,
    /// Simulated days fully handed to the producer.
    days_streamed: AtomicU32,
    stream_done: AtomicBool,
    last_error: Mutex<Option<String>>,
}

impl Progress {
    fn error(&self, e: String) {
        *lock(&self.last_error) = Some(e);
    }
}

/// The latest item per account, read from `arrears.work-items`.
#[derive(Default)]
struct View {
    items: HashMap<String, Row>,
    items_seen: u64,
    dead_letters: u64,
    unreadable: u64,
}

impl View {
    fn apply(&mut self, row: Row) {
        self.items_seen += 1;
        match self.items.get(&row.account_id) {
            Some(old) if old.version >= row.version => {}
            _ => {
                self.items.insert(row.account_id.clone(), row);
            }
        }
    }

    /// The best `k` open items: priority descending, ties by account id.
    fn top_open(&self, k: usize) -> Vec<Row> {
        let mut open: Vec<&Row> = self.items.values().filter(|r| r.status == "open").collect();
        open.sort_by(|a, b| {
            b.priority
                .total_cmp(&a.priority)
                .then_with(|| a.account_id.cmp(&b.account_id))
        });
        open.into_iter().take(k).cloned().collect()
    }

    fn count(&self, status: &str) -> usize {
        self.items.values().filter(|r| r.status == status).count()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The daemon's clock in the demo: the latest `as_of` seen on `arrears.work-items` (stream time).
#[derive(Default)]
struct StreamClock(AtomicI64);

impl StreamClock {
    fn advance(&self, t: Timestamp) {
        self.0.fetch_max(t.as_second(), Ordering::AcqRel);
    }
}

impl Clock for StreamClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_second(self.0.load(Ordering::Acquire)).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}

/// Counts the broker's acknowledgements.
struct Acks(Arc<Progress>);

impl ClientContext for Acks {}

impl ProducerContext for Acks {
    type DeliveryOpaque = ();
    fn delivery(&self, r: &DeliveryResult<'_>, _: ()) {
        match r {
            Ok(_) => {
                self.0.sent.fetch_add(1, Ordering::Relaxed);
            }
            Err((e, _)) => {
                self.0.failed.fetch_add(1, Ordering::Relaxed);
                self.0.error(format!("delivery failed: {e}"));
            }
        }
    }
}

/// The fields of an event the demo routes by.
#[derive(Deserialize)]
struct Peek {
    #[serde(rename = "type")]
    kind: String,
    account_id: String,
    #[serde(default)]
    timezone: Option<String>,
}

/// `arrears demo`: a runtime around [`run`], writing to stdout, stopped by Ctrl-C (SIGINT or
/// SIGTERM) or `--duration`.
pub fn cmd_demo(args: &DemoArgs) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let terminal = stdout.is_terminal();
    let mut out = stdout.lock();
    run_blocking(args, &mut out, terminal).map(|_| ())
}

/// [`run`] on its own runtime, stopped by SIGINT/SIGTERM or `--duration`.
pub fn run_blocking(
    args: &DemoArgs,
    out: &mut dyn Write,
    terminal: bool,
) -> anyhow::Result<Summary> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(run(args, crate::daemon::shutdown_signal(), out, terminal))
}

/// Runs the demo until `shutdown` completes or `--duration` passes; returns the summary (also
/// printed to `out`). `terminal` redraws in place with ANSI escapes; otherwise blocks of plain
/// text follow one another.
pub async fn run(
    args: &DemoArgs,
    shutdown: impl Future<Output = ()>,
    out: &mut dyn Write,
    terminal: bool,
) -> anyhow::Result<Summary> {
    let broker = EmbeddedBroker::start(&DEFAULT_TOPICS, args.partitions)
        .context("cannot start the embedded broker")?;
    let bootstrap = broker.bootstrap().to_string();

    // The daemon, its HTTP API and its clock.
    let clock = Arc::new(StreamClock::default());
    let settings = Settings::defaults();
    let scorer = Scorer::shipped().context("cannot load the shipped models")?;
    let shared = Shared::new(
        Pipeline::new(Arc::new(settings), Arc::new(scorer)),
        clock.clone(),
    );
    let mut daemon = crate::tools::broker::daemon_settings(&bootstrap, "arrears-demo");
    daemon.kafka.shutdown_timeout_ms = 5_000;
    daemon.http.listen = format!("127.0.0.1:{}", args.port);
    let listener = http::bind(&daemon.http.listen)
        .await
        .with_context(|| format!("cannot serve the HTTP API on {}", daemon.http.listen))?;
    let addr = listener
        .local_addr()
        .context("cannot read the HTTP API's address")?;
    let api = addr.to_string();
    let (stop_tx, stop_rx) = watch::channel(false);
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let http_task = tokio::spawn(http::serve(
        listener,
        shared.clone(),
        stopped(stop_rx.clone()),
    ));
    let mut daemon_task = {
        let shared = shared.clone();
        let rx = stop_rx.clone();
        tokio::spawn(async move { app::run(&daemon, shared, stopped(rx)).await })
    };

    writeln!(
        out,
        "arrears demo: broker {bootstrap} (in memory), {} accounts x {} days at {} events/s\n  worklist: http://{addr}/v1/worklist\n  metrics:  http://{addr}/metrics\n  health:   http://{addr}/healthz\n  {}",
        args.accounts,
        args.days,
        args.rate,
        match args.duration {
            Some(s) => format!("stops after {s} s (or Ctrl-C)"),
            None => "Ctrl-C stops".to_string(),
        }
    )?;
    out.flush()?;

    // The simulator on its own thread, a bounded number of days ahead of the producer.
    let progress = Arc::new(Progress::default());
    let tz: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let (day_tx, day_rx) = mpsc::channel::<Vec<String>>(2);
    let sim = {
        let cfg = SimConfig::new(args.accounts as usize, args.days, args.seed);
        std::thread::Builder::new()
            .name("demo-sim".into())
            .spawn(move || {
                let mut world = World::new(&cfg);
                let mut dialer = HouseDialer::new(cfg.calls_per_day(), cfg.seed);
                for day in 0..cfg.days {
                    let mut lines = Vec::new();
                    world.step_day(day, &mut dialer, &mut lines);
                    if day_tx.blocking_send(lines).is_err() {
                        break;
                    }
                }
            })
            .context("cannot start the simulator thread")?
    };
    let producer: ThreadedProducer<Acks> = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("enable.idempotence", "true")
        .set("linger.ms", "5")
        .set("queue.buffering.max.messages", "20000")
        .set("log_level", "3")
        .create_with_context(Acks(progress.clone()))
        .context("cannot create the event producer")?;
    let producer = Arc::new(producer);
    let (prod_stop_tx, prod_stop_rx) = watch::channel(false);
    let producer_task = tokio::spawn(stream_events(
        producer.clone(),
        day_rx,
        args.rate,
        progress.clone(),
        tz.clone(),
        stopped(prod_stop_rx),
    ));

    // The reader of work items and dead letters.
    let view = Arc::new(Mutex::new(View::default()));
    let reader_stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .set("group.id", "arrears-demo-view")
            .set("enable.auto.commit", "false")
            .set("enable.partition.eof", "false")
            .set("log_level", "3")
            .create()
            .context("cannot create the work-item reader")?;
        let mut tpl = TopicPartitionList::new();
        for topic in [WORK_ITEMS, DEAD_LETTER] {
            for p in 0..args.partitions {
                tpl.add_partition_offset(topic, p, Offset::Beginning)
                    .context("cannot assign the work-item reader")?;
            }
        }
        consumer
            .assign(&tpl)
            .context("cannot assign the work-item reader")?;
        let (view, stop, clock, progress) = (
            view.clone(),
            reader_stop.clone(),
            clock.clone(),
            progress.clone(),
        );
        std::thread::Builder::new()
            .name("demo-view".into())
            .spawn(move || read_items(&consumer, &view, &stop, &clock, &progress))
            .context("cannot start the work-item reader thread")?
    };

    // The display, until Ctrl-C, --duration, or a daemon failure.
    let started = Instant::now();
    let deadline = args.duration.map(Duration::from_secs);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    let mut daemon_result = None;
    let mut frame = 0u64;
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            r = &mut daemon_task => {
                daemon_result = Some(r);
                break;
            }
            _ = tick.tick() => {
                if deadline.is_some_and(|d| started.elapsed() >= d) {
                    break;
                }
                frame += 1;
                let text = render(args, &progress, &view, &tz, &shared, &api, started.elapsed());
                if terminal {
                    write!(out, "\x1b[2J\x1b[H{text}")?;
                } else {
                    writeln!(out, "--- frame {frame} ---\n{text}")?;
                }
                out.flush()?;
            }
        }
    }

    // Stop in order: producer (and simulator), daemon (drains and commits), API, reader.
    let _ = prod_stop_tx.send(true);
    if let Err(e) = producer_task.await {
        progress.error(format!("producer task: {e}"));
    }
    {
        let p = producer.clone();
        let flushed = tokio::task::spawn_blocking(move || p.flush(Duration::from_secs(5))).await;
        if let Ok(Err(e)) = flushed {
            progress.error(format!("producer flush: {e}"));
        }
    }
    let _ = stop_tx.send(true);
    let joined = match daemon_result {
        Some(r) => Some(r),
        None => tokio::time::timeout(Duration::from_secs(20), &mut daemon_task)
            .await
            .ok(),
    };
    let daemon_result: anyhow::Result<()> = match joined {
        Some(Ok(Ok(()))) => Ok(()),
        Some(Ok(Err(e))) => Err(anyhow::Error::new(e).context("the daemon stopped")),
        Some(Err(e)) => Err(anyhow::anyhow!("the daemon task failed: {e}")),
        None => {
            daemon_task.abort();
            Err(anyhow::anyhow!("the daemon did not stop within 20 s"))
        }
    };
    let http_result = http_task.await;
    // Let the reader catch up with what the daemon published while draining.
    tokio::time::sleep(Duration::from_millis(500)).await;
    reader_stop.store(true, Ordering::Release);
    let _ = tokio::task::spawn_blocking(move || {
        let _ = reader.join();
        let _ = sim.join();
    })
    .await;
    drop(producer);

    let summary = {
        let v = lock(&view);
        Summary {
            produced: progress.produced.load(Ordering::Relaxed),
            sent: progress.sent.load(Ordering::Relaxed),
            failed: progress.failed.load(Ordering::Relaxed),
            items_seen: v.items_seen,
            accounts: v.items.len(),
            dead_letters: v.dead_letters,
            top: v.top_open(5),
        }
    };
    if terminal {
        let text = render(
            args,
            &progress,
            &view,
            &tz,
            &shared,
            &api,
            started.elapsed(),
        );
        write!(out, "\x1b[2J\x1b[H{text}")?;
    }
    write!(out, "{}", summary_text(&summary, &tz))?;
    out.flush()?;
    drop(broker);

    daemon_result?;
    match http_result {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(anyhow::Error::new(e).context("the HTTP API stopped")),
        Err(e) => anyhow::bail!("the HTTP API task failed: {e}"),
    }
    Ok(summary)
}

/// Streams the simulator's days into the input topics at `rate` events per second (a token
/// bucket refilled every 10 ms, bursts bounded to 100 ms worth) until the stream ends or `stop`.
async fn stream_events(
    producer: Arc<ThreadedProducer<Acks>>,
    mut days: mpsc::Receiver<Vec<String>>,
    rate: u32,
    progress: Arc<Progress>,
    tz: Arc<Mutex<HashMap<String, String>>>,
    stop: impl Future<Output = ()>,
) {
    let rate = f64::from(rate);
    let burst = (rate / 10.0).max(1.0);
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stop);
    let mut tokens = 0.0f64;
    let mut last = Instant::now();
    let mut day: std::vec::IntoIter<String> = Vec::new().into_iter();
    let mut pending: Option<(&'static str, String, String)> = None;
    loop {
        tokio::select! {
            biased;
            () = &mut stop => return,
            _ = tick.tick() => {}
        }
        let now = Instant::now();
        tokens = (tokens + rate * now.duration_since(last).as_secs_f64()).min(burst);
        last = now;
        while tokens >= 1.0 {
            let (topic, key, line) = match pending.take() {
                Some(p) => p,
                None => {
                    let line = match day.next() {
                        Some(l) => l,
                        None => match days.try_recv() {
                            Ok(lines) => {
                                if !lines.is_empty() {
                                    progress.days_streamed.fetch_add(1, Ordering::Relaxed);
                                }
                                day = lines.into_iter();
                                continue;
                            }
                            // The simulator is behind: wait for the next tick.
                            Err(mpsc::error::TryRecvError::Empty) => break,
                            Err(mpsc::error::TryRecvError::Disconnected) => {
                                progress.stream_done.store(true, Ordering::Release);
                                return;
                            }
                        },
                    };
                    route(line, &tz)
                }
            };
            let record = BaseRecord::to(topic).key(&key).payload(&line);
            match producer.send(record) {
                Ok(()) => {
                    tokens -= 1.0;
                    progress.produced.fetch_add(1, Ordering::Relaxed);
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    // Backpressure: the broker is slower than the rate; retry next tick.
                    pending = Some((topic, key, line));
                    break;
                }
                Err((e, _)) => {
                    tokens -= 1.0;
                    progress.failed.fetch_add(1, Ordering::Relaxed);
                    progress.error(format!("cannot produce to {topic}: {e}"));
                }
            }
        }
    }
}

/// The topic and key of an event line (contact attempts to contacts, the rest to billing); notes
/// the account's time zone.
fn route(line: String, tz: &Mutex<HashMap<String, String>>) -> (&'static str, String, String) {
    match serde_json::from_str::<Peek>(&line) {
        Ok(p) => {
            if let Some(zone) = p.timezone {
                lock(tz).insert(p.account_id.clone(), zone);
            }
            (
                crate::tools::broker::input_topic(&p.kind),
                p.account_id,
                line,
            )
        }
        // Not expected from the simulator; the daemon will dead-letter it with a reason.
        Err(_) => {
            let key = crate::engine::events::peek_account_id(line.as_bytes()).unwrap_or_default();
            (BILLING, key, line)
        }
    }
}

/// Reads work items and dead letters into `view` until `stop`.
fn read_items(
    consumer: &BaseConsumer,
    view: &Mutex<View>,
    stop: &AtomicBool,
    clock: &StreamClock,
    progress: &Progress,
) {
    let mut last_error: Option<String> = None;
    while !stop.load(Ordering::Acquire) {
        let Some(m) = consumer.poll(Duration::from_millis(100)) else {
            continue;
        };
        let m = match m {
            Ok(m) => m,
            Err(e) => {
                // A broker hiccup: note it and go on polling.
                let e = format!("work-item reader: {e}");
                if last_error.as_ref() != Some(&e) {
                    progress.error(e.clone());
                    last_error = Some(e);
                }
                continue;
            }
        };
        if m.topic() == DEAD_LETTER {
            lock(view).dead_letters += 1;
            continue;
        }
        let Some(payload) = m.payload() else {
            continue;
        };
        match serde_json::from_slice::<Row>(payload) {
            Ok(row) => {
                if let Some(t) = row.as_of {
                    clock.advance(t);
                }
                lock(view).apply(row);
            }
            Err(_) => lock(view).unreadable += 1,
        }
    }
}

/// The window start in the debtor's zone (UTC when the zone is unknown).
fn local_time(t: Timestamp, zone: Option<&String>) -> String {
    let zoned = zone
        .and_then(|z| t.in_tz(z).ok())
        .unwrap_or_else(|| t.to_zoned(jiff::tz::TimeZone::UTC));
    zoned.strftime("%m-%d %H:%M %Z").to_string()
}

fn render(
    args: &DemoArgs,
    progress: &Progress,
    view: &Mutex<View>,
    tz: &Mutex<HashMap<String, String>>,
    shared: &Shared,
    api: &str,
    elapsed: Duration,
) -> String {
    use std::fmt::Write as _;
    let top = args.top as usize;
    let (rows, items_seen, dead, accounts, open, held, closed, unreadable) = {
        let v = lock(view);
        (
            v.top_open(top),
            v.items_seen,
            v.dead_letters,
            v.items.len(),
            v.count("open"),
            v.count("held"),
            v.count("closed"),
            v.unreadable,
        )
    };
    let stream_time = shared.clock.now();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "arrears demo  {:>4}s  stream day {}/{}{}  stream time {}  daemon {}",
        elapsed.as_secs(),
        progress.days_streamed.load(Ordering::Relaxed),
        args.days,
        if progress.stream_done.load(Ordering::Acquire) {
            " (complete)"
        } else {
            ""
        },
        if stream_time.as_second() > 0 {
            stream_time.strftime("%Y-%m-%d %H:%M UTC").to_string()
        } else {
            "-".to_string()
        },
        if shared.is_ready() {
            "ready"
        } else {
            "waiting for partitions (first rebalance takes ~3 s)"
        },
    );
    let _ = writeln!(
        s,
        "events produced {}  acked {}  failed {}  |  work items consumed {}  accounts {} (open {open}, held {held}, closed {closed})  |  dead letters {dead}{}",
        progress.produced.load(Ordering::Relaxed),
        progress.sent.load(Ordering::Relaxed),
        progress.failed.load(Ordering::Relaxed),
        items_seen,
        accounts,
        if unreadable > 0 { format!("  unreadable items {unreadable}") } else { String::new() },
    );
    let _ = writeln!(
        s,
        "api http://{api}  (/metrics, /v1/worklist, /v1/accounts/{{id}}, /readyz)"
    );
    if let Some(e) = lock(&progress.last_error).as_ref() {
        let _ = writeln!(s, "last error: {e}");
    }
    let _ = writeln!(s, "top {top} open work items:");
    let _ = writeln!(
        s,
        "{:>3}  {:<14} {:>10}  {:<17} {:<20} {:<7} {:<24} reason",
        "#", "account", "priority", "segment", "strategy", "channel", "window start (local)"
    );
    let zones = lock(tz);
    for (i, r) in rows.iter().enumerate() {
        let (channel, strategy, window) = match &r.action {
            Some(a) => (
                a.channel.as_str(),
                a.strategy.as_str(),
                local_time(a.not_before, zones.get(&r.account_id)),
            ),
            None => ("-", "-", "-".to_string()),
        };
        let _ = writeln!(
            s,
            "{:>3}  {:<14} {:>10.2}  {:<17} {:<20} {:<7} {:<24} {}",
            i + 1,
            r.account_id,
            r.priority,
            r.segment,
            strategy,
            channel,
            window,
            r.reasons.first().map_or("-", |c| c.code.as_str()),
        );
    }
    if rows.is_empty() {
        let _ = writeln!(s, "     (no open work items yet)");
    }
    s
}

fn summary_text(s: &Summary, tz: &Mutex<HashMap<String, String>>) -> String {
    use std::fmt::Write as _;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "\nsummary: events sent {} (produced {}, failed {}), work items seen {}, accounts {}, dead letters {}",
        s.sent, s.produced, s.failed, s.items_seen, s.accounts, s.dead_letters
    );
    let _ = writeln!(t, "top 5 accounts:");
    let zones = lock(tz);
    for (i, r) in s.top.iter().enumerate() {
        let action = r.action.as_ref().map_or(String::new(), |a| {
            format!(
                ", {} by {} from {}",
                a.strategy,
                a.channel,
                local_time(a.not_before, zones.get(&r.account_id))
            )
        });
        let _ = writeln!(
            t,
            "  {}. {} priority {:.2} ({}, {}{action})",
            i + 1,
            r.account_id,
            r.priority,
            r.stage,
            r.segment
        );
    }
    if s.top.is_empty() {
        let _ = writeln!(t, "  (no open work items)");
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, version: u64, status: &str, priority: f64) -> Row {
        Row {
            account_id: id.into(),
            version,
            status: status.into(),
            hold_reason: None,
            priority,
            segment: "willing_able".into(),
            stage: "early".into(),
            action: None,
            reasons: Vec::new(),
            as_of: None,
        }
    }

    #[test]
    fn the_view_keeps_the_latest_version_and_ranks_open_items() {
        let mut v = View::default();
        v.apply(row("A", 2, "open", 5.0));
        v.apply(row("A", 1, "closed", 0.0));
        v.apply(row("B", 1, "open", 9.0));
        v.apply(row("C", 1, "held", 99.0));
        assert_eq!(v.items_seen, 4);
        let top: Vec<_> = v.top_open(5).into_iter().map(|r| r.account_id).collect();
        assert_eq!(top, ["B", "A"]);
    }

    #[test]
    fn a_work_item_line_decodes_without_contact_details() {
        let line = r#"{"account_id":"A-1","version":3,"status":"open","hold_reason":null,"priority":4.5,"segment":"willing_able","stage":"late","action":{"channel":"sms","contact_id":"c1","party":"debtor","strategy":"reminder","disclosure":"full","not_before":"2026-04-15T12:00:00Z","not_after":"2026-04-16T01:00:00Z","best_time":null},"reasons":[{"code":"EXPECTED_RECOVERY","detail":"x"}],"as_of":"2026-04-15T12:00:00Z"}"#;
        let r: Row = serde_json::from_str(line).unwrap();
        assert_eq!(r.reasons[0].code, "EXPECTED_RECOVERY");
        let ny = "America/New_York".to_string();
        assert_eq!(
            local_time(r.action.unwrap().not_before, Some(&ny)),
            "04-15 08:00 EDT"
        );
    }
}
