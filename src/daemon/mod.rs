//! `arrears run`: the Kafka and HTTP edge around the synchronous engine. [`spawn`] starts it (the
//! one way: `arrears run`, the demo, the Kafka bench and the tests all use it).
//!
//! - `source`: the group consumer, rebalance callbacks, the co-partitioning check;
//! - `sink`: work items, decision records, changelog records and dead letters through one
//!   idempotent producer;
//! - `in_flight`: inputs whose outputs await acknowledgement, settled in order (each item held
//!   with its decision record until its changelog record is acknowledged);
//! - `changelog`: state records and restore; `app`: the session loop (records merged in event
//!   time across the two topics by `merge`, acknowledgements settled, the clock timer) and
//!   riding out transient client errors; `worker`: one session's accounts and effects (restore,
//!   changelog first and then items, the clock's re-evaluation, the drain at shutdown);
//!   `record`: one record through the engine, a panic isolated to it; `restore`: the
//!   changelog read in the background;
//! - `http`: health, readiness, metrics, version, the OpenAPI document and the worklist API,
//!   behind `http_guard` (token, body limit, request timeout) and served by `http_serve`
//!   (connection limit, header-read and idle timeouts); `console`: the web console (worklist,
//!   account, portfolio, health pages) on the same server; `metrics`: the Prometheus registry;
//! - leaves: `shared` (state shared by loop, callbacks and API), `error`, `fault` (transient or
//!   fatal client errors, back-off), `clock`, `shutdown`, `settings` (the `[kafka]` and `[http]`
//!   tables), `sensitive` (masked values), `topics` (the contract's topic names), `worklist` (the
//!   snapshot the API serves), `decisions` (items paired with their decision records, and each
//!   owned account's recent records), `http_problem` (problem+json errors, fallbacks, strict
//!   query parsing), `http_openapi` (the OpenAPI document's hand-written parts), `version` (what
//!   `/version` answers).
//!
//! Tokio and rdkafka live here and in the tools, never in the engine. No phone number is ever
//! logged; account ids only at debug level.

pub mod app;
pub mod changelog;
pub mod clock;
pub mod console;
pub mod decisions;
pub mod error;
pub mod fault;
pub mod http;
pub mod http_guard;
pub mod http_openapi;
pub mod http_problem;
pub mod http_serve;
pub mod in_flight;
pub mod merge;
pub mod metrics;
pub mod record;
pub mod restore;
pub mod sensitive;
pub mod settings;
pub mod shared;
pub mod shutdown;
pub mod sink;
pub mod source;
pub mod topics;
pub mod version;
pub mod worker;
pub mod worklist;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::engine::pipeline::Pipeline;
use crate::engine::scoring::Scorer;
use crate::engine::settings::{ConfigError, Settings};

pub use clock::{Clock, WallClock};
pub use error::DaemonError;
pub use settings::DaemonSettings;
pub use shared::Shared;
pub use shutdown::shutdown_signal;

#[derive(clap::Args, Debug, Clone)]
pub struct RunArgs {
    /// Configuration file (defaults: the shipped config/arrears.toml).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// A daemon started by [`spawn`]: the state it shares with its HTTP API, the API's address, and
/// the tasks that run both until the shutdown future completes or [`Running::stop`] is called.
pub struct Running {
    /// The pipeline, readiness and metrics the daemon and its API share.
    pub shared: Arc<Shared>,
    /// Where the HTTP API listens; `None` when `http.enabled` is false.
    pub http_addr: Option<SocketAddr>,
    stop: watch::Sender<bool>,
    done: watch::Receiver<bool>,
    daemon: JoinHandle<Result<(), DaemonError>>,
    http: Option<JoinHandle<Result<(), DaemonError>>>,
}

/// Starts the daemon on the current tokio runtime: binds the HTTP API (when enabled), then runs
/// the processing loop until `shutdown` completes or [`Running::stop`] is called; either way it
/// drains, commits and leaves the group. The HTTP API serves until the loop has stopped. The one
/// way the daemon is started: by `arrears run`, the demo, the Kafka bench and the tests.
pub async fn spawn(
    settings: DaemonSettings,
    shared: Arc<Shared>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Running, DaemonError> {
    shared
        .decisions
        .set_per_account(settings.http.decisions_per_account);
    let (stop, mut stop_rx) = watch::channel(false);
    let (done_tx, done) = watch::channel(false);
    let mut done_rx = done.clone();
    let (http, http_addr) = if settings.http.enabled {
        let listener = http::bind(&settings.http.listen).await?;
        let addr = listener.local_addr().map_err(|source| DaemonError::Http {
            addr: settings.http.listen.clone(),
            source,
        })?;
        tracing::info!(
            listen = %addr,
            auth = settings.http.auth_token.is_some(),
            max_connections = settings.http.max_connections,
            "http api listening"
        );
        let (sh, cfg) = (shared.clone(), settings.http.clone());
        let served = async move {
            let stopped = async move {
                let _ = done_rx.wait_for(|d| *d).await;
            };
            http::serve_with(listener, sh, &cfg, stopped).await
        };
        (Some(tokio::spawn(served)), Some(addr))
    } else {
        (None, None)
    };
    let sh = shared.clone();
    let daemon = tokio::spawn(async move {
        let stopped = async move {
            tokio::select! {
                () = shutdown => {},
                _ = stop_rx.wait_for(|s| *s) => {},
            }
        };
        let result = app::run(&settings, sh, stopped).await;
        let _ = done_tx.send(true);
        result
    });
    Ok(Running {
        shared,
        http_addr,
        stop,
        done,
        daemon,
        http,
    })
}

impl Running {
    /// Asks for a graceful stop: drain, commit, leave the group (as SIGTERM does).
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }

    /// Whether the processing loop has stopped (by a stop request or a fatal error).
    pub fn is_finished(&self) -> bool {
        self.daemon.is_finished()
    }

    /// Completes once the processing loop has stopped; [`Running::join`] then tells why.
    pub async fn stopped(&self) {
        let mut done = self.done.clone();
        let _ = done.wait_for(|d| *d).await;
    }

    /// Waits for the processing loop, then the HTTP API; the first error wins.
    pub async fn join(self) -> Result<(), DaemonError> {
        let result = self.daemon.await;
        let http = match self.http {
            Some(h) => h.await,
            None => Ok(Ok(())),
        };
        result??;
        http??;
        Ok(())
    }

    /// Stops both tasks at once, with no drain and no commit (what a crash leaves behind), and
    /// waits until they are gone.
    pub async fn abort(self) {
        self.daemon.abort();
        let _ = self.daemon.await;
        if let Some(h) = self.http {
            h.abort();
            let _ = h.await;
        }
    }
}

/// Loads everything, then runs the daemon (and its HTTP API) until SIGINT/SIGTERM.
pub async fn run(args: &RunArgs) -> anyhow::Result<()> {
    // Both halves of the configuration, so that every problem of either is reported at once.
    let (settings, daemon) = match (
        Settings::load(args.config.as_deref(), true),
        DaemonSettings::load(args.config.as_deref(), true),
    ) {
        (Ok(s), Ok(d)) => (s, d),
        (a, b) => return Err(ConfigError::merge(a.err(), b.err()).into()),
    };
    let scorer = Scorer::load_settings(&settings)?;
    log_effective(&settings, &daemon, &scorer);
    let pipeline = Pipeline::new(Arc::new(settings), Arc::new(scorer));
    let shared = Shared::new(pipeline, Arc::new(WallClock));
    spawn(daemon, shared, shutdown_signal())
        .await?
        .join()
        .await?;
    Ok(())
}

/// One INFO event with the merged configuration (defaults, `--config`, environment) as JSON,
/// every secret masked (`Sensitive` serialises as a mask; see `DaemonSettings::effective`), and
/// the build it runs.
fn log_effective(settings: &Settings, daemon: &DaemonSettings, scorer: &Scorer) {
    let mut config = daemon.effective();
    let mut engine = serde_json::to_value(&settings.raw).unwrap_or_default();
    if let Some(m) = engine.as_object_mut() {
        // The raw, unmasked `[kafka]` and `[http]` tables: shown masked above instead.
        m.remove("kafka");
        m.remove("http");
    }
    config["engine"] = engine;
    let build = version::VersionInfo::new(scorer, settings);
    tracing::info!(
        version = build.version,
        git_commit = build.git_commit,
        model_version = %scorer.model_version,
        config = %config,
        "effective configuration"
    );
}

/// `arrears run`: a multi-threaded runtime around [`run`].
pub fn cmd_run(args: &RunArgs) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(args))
}
