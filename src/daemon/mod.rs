//! `arrears run`: the Kafka daemon. The async shell around the synchronous [`Pipeline`]:
//! `source` (group consumer, rebalances, co-partitioning check), `sink` (work items, changelog,
//! dead letters through one idempotent producer), `changelog` (state records and restore),
//! `app` (the processing loop: offsets stored only after outputs are acknowledged), `http`
//! (health, readiness and the worklist API) and `settings` (the `[kafka]` and `[http]` tables).
//!
//! Tokio and rdkafka live here and in `broker`, never in the domain core. No phone number is
//! ever logged; account ids only at debug level.

pub mod app;
pub mod changelog;
pub mod http;
pub mod metrics;
pub mod settings;
pub mod sink;
pub mod source;
pub mod topics;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use jiff::Timestamp;

use crate::engine::pipeline::Pipeline;
use crate::engine::scoring::Scorer;
use crate::engine::settings::Settings;

use metrics::Metrics;

pub use settings::DaemonSettings;

/// Where the daemon's time comes from: the wall clock in production, a value in tests.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The wall clock.
pub struct WallClock;

impl Clock for WallClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// State shared by the processing loop, the Kafka callbacks and the HTTP API.
pub struct Shared {
    pipeline: Mutex<Pipeline>,
    /// Partitions assigned and restored.
    restored: AtomicBool,
    /// The producer reaches a broker (cleared on a fatal or all-brokers-down error, set again
    /// by the next acknowledged delivery).
    producer_healthy: AtomicBool,
    pub clock: Arc<dyn Clock>,
    pub metrics: Metrics,
}

impl Shared {
    pub fn new(pipeline: Pipeline, clock: Arc<dyn Clock>) -> Arc<Shared> {
        let metrics = Metrics::new(pipeline.scorer());
        Arc::new(Shared {
            pipeline: Mutex::new(pipeline),
            restored: AtomicBool::new(false),
            producer_healthy: AtomicBool::new(true),
            clock,
            metrics,
        })
    }

    /// The pipeline; hold the guard briefly (the processing loop waits on it).
    pub fn lock(&self) -> MutexGuard<'_, Pipeline> {
        self.pipeline.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ready to serve: partitions assigned and restored, models loaded (a `Shared` is only built
    /// around a pipeline with a loaded scorer) and the producer healthy.
    pub fn is_ready(&self) -> bool {
        self.readiness().iter().all(|(_, ok)| *ok)
    }

    /// Each readiness check and whether it passes, for `/readyz`.
    pub fn readiness(&self) -> [(&'static str, bool); 3] {
        [
            (
                "partitions assigned and restored",
                self.restored.load(Ordering::Acquire),
            ),
            ("models loaded", true),
            (
                "producer healthy",
                self.producer_healthy.load(Ordering::Acquire),
            ),
        ]
    }

    fn set_restored(&self, restored: bool) {
        self.restored.store(restored, Ordering::Release);
        self.update_ready_gauge();
    }

    fn set_producer_healthy(&self, healthy: bool) {
        if self.producer_healthy.swap(healthy, Ordering::AcqRel) != healthy {
            self.update_ready_gauge();
        }
    }

    fn update_ready_gauge(&self) {
        self.metrics.ready.set(i64::from(self.is_ready()));
    }

    /// Refreshes the gauges computed from the whole state (accounts, state bytes, drift), then
    /// renders every metric; called per scrape.
    pub fn render_metrics(&self) -> String {
        {
            let pl = self.lock();
            self.metrics.accounts.set(pl.len() as i64);
            self.metrics.state_bytes.set(pl.state_bytes() as i64);
            self.metrics.update_psi(pl.scorer());
        }
        self.metrics.render()
    }
}

/// What stopped the daemon.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    #[error(transparent)]
    Topology(#[from] source::TopologyError),
    #[error(transparent)]
    Delivery(#[from] sink::DeliveryError),
    #[error(transparent)]
    Restore(#[from] changelog::RestoreError),
    #[error("changelog partition {partition} holds an unreadable record: {source}")]
    CorruptChangelog {
        partition: i32,
        source: serde_json::Error,
    },
    #[error("restore task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("http server on {addr}: {source}")]
    Http {
        addr: String,
        source: std::io::Error,
    },
}

#[derive(clap::Args, Debug, Clone)]
pub struct RunArgs {
    /// Configuration file (defaults: the shipped config/arrears.toml).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Loads everything, then runs the daemon (and its HTTP API) until SIGINT/SIGTERM.
pub async fn run(args: &RunArgs) -> anyhow::Result<()> {
    let settings = Settings::load(args.config.as_deref(), true)?;
    let daemon = DaemonSettings::load(args.config.as_deref(), true)?;
    let scorer = Scorer::load(
        &settings.raw.scoring.willingness_model,
        &settings.raw.scoring.ability_model,
    )?;
    let pipeline = Pipeline::new(Arc::new(settings), Arc::new(scorer));
    let shared = Shared::new(pipeline, Arc::new(WallClock));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let http = if daemon.http.enabled {
        let listener = http::bind(&daemon.http.listen).await?;
        tracing::info!(listen = %daemon.http.listen, "http api listening");
        let mut rx = stop_rx.clone();
        Some(tokio::spawn(http::serve(
            listener,
            shared.clone(),
            async move {
                let _ = rx.wait_for(|s| *s).await;
            },
        )))
    } else {
        None
    };
    let result = app::run(&daemon, shared, shutdown_signal()).await;
    let _ = stop_tx.send(true);
    if let Some(h) = http {
        h.await??;
    }
    Ok(result?)
}

/// `arrears run`: a multi-threaded runtime around [`run`].
pub fn cmd_run(args: &RunArgs) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(args))
}
