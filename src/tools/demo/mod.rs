//! `arrears demo`: everything in one process, nothing to install. An embedded broker (librdkafka's
//! mock cluster) with the contract's topics; a simulated portfolio streamed into
//! `arrears.billing` / `arrears.contacts` at a steady rate; the daemon consuming it (with its HTTP
//! API on loopback); and a live ranked worklist read back from `arrears.work-items`, redrawn
//! every second, until Ctrl-C or `--duration`, then a summary.
//!
//! The daemon's clock follows the stream (the latest `as_of` published), not the wall clock: the
//! simulated portfolio lives in its own calendar. No phone number is ever printed: the view keeps
//! only account ids, scores and the action's channel, strategy and window.
//!
//! This file holds the commands ([`cmd_demo`], [`run_blocking`], [`run`]); the parts are `args`,
//! `state` (what they share), `stream` (the producer), `reader` (work items back) and `display`.

mod args;
mod display;
mod reader;
mod state;
mod stream;

use std::collections::HashMap;
use std::future::Future;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{Producer, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::{mpsc, watch};

use crate::daemon::topics::{DEAD_LETTER, WORK_ITEMS};
use crate::daemon::Shared;
use crate::engine::pipeline::Pipeline;
use crate::engine::scoring::Scorer;
use crate::engine::settings::Settings;
use crate::tools::broker::{EmbeddedBroker, DEFAULT_TOPICS};
use crate::tools::sim::{HouseDialer, SimConfig, World};

pub use self::args::DemoArgs;
use self::display::{render, summary_text};
use self::reader::read_items;
use self::state::{lock, Progress, StreamClock, View};
pub use self::state::{Row, RowAction, RowReason, Summary};
use self::stream::{stream_events, Acks};

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
    let listen = daemon.http.listen.clone();
    let running = crate::daemon::spawn(daemon, shared.clone(), std::future::pending())
        .await
        .with_context(|| format!("cannot start the daemon with its HTTP API on {listen}"))?;
    let addr = running
        .http_addr
        .context("the demo's daemon serves its HTTP API")?;
    let api = addr.to_string();
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };

    writeln!(
        out,
        "arrears demo: {} accounts x {} days at {} events/s, seed {}; {}\n  broker   {bootstrap} (in memory)\n  console  http://{addr}/console/\n  worklist http://{addr}/v1/worklist\n  metrics  http://{addr}/metrics\n  health   http://{addr}/healthz\n  logs     {}",
        args.accounts,
        args.days,
        args.rate,
        args.seed,
        match args.duration {
            Some(s) => format!("stops after {s} s"),
            None => "Ctrl-C stops".to_string(),
        },
        args.log_file
            .as_ref()
            .map_or("stderr".to_string(), |p| p.display().to_string()),
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
    let mut stopped_early = false;
    let mut frame = 0u64;
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            () = running.stopped() => {
                stopped_early = true;
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
    running.stop();
    progress.daemon_stopped.store(true, Ordering::Release);
    let joined = tokio::time::timeout(Duration::from_secs(20), running.join()).await;
    let daemon_result: anyhow::Result<()> = match joined {
        Ok(Ok(())) if stopped_early => Err(anyhow::anyhow!("the daemon stopped by itself")),
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(anyhow::Error::new(e).context("the daemon stopped")),
        Err(_) => Err(anyhow::anyhow!("the daemon did not stop within 20 s")),
    };
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
    Ok(summary)
}
