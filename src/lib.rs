//! arrears: a streaming collections risk-scoring engine. Billing and dialer events in; one
//! priority-ranked, policy-checked work item per account out.
//!
//! # Layout
//!
//! - [`engine`]: the pure, synchronous, deterministic core: wire decoding and validation
//!   (`events`), per-account state (`account`), `features`, `scoring` (model format, scorer,
//!   drift), the contact `policy`, `ranking`, `workitem` and the `pipeline` that chains them.
//!   No async runtime, Kafka, metrics registry, files, environment or clock: time is a value the
//!   caller passes in. `clippy.toml` and `.ci/check-layout` enforce this.
//! - [`config`]: reads `config/arrears.toml`, an optional file and `ARREARS_*` overrides into the
//!   engine's validated [`engine::settings::Settings`].
//! - [`replay`]: `arrears replay`, the offline edge: JSONL events in file order through the
//!   pipeline, ranked work items out (and labelled training rows on request).
//! - [`daemon`]: `arrears run`, the Kafka and HTTP edge: consumer, producer, changelog, timer,
//!   metrics and the HTTP API, all started by [`daemon::spawn`].
//! - [`tools`] (cargo feature `tools`, on by default): everything that is not the product's
//!   runtime: the embedded broker, the demo, benchmarks, the simulator, the backtest, model
//!   training and charts. `cargo build --release --no-default-features` leaves them out.
//!
//! Dependencies point one way: `tools` → `daemon` / `replay` → `config` → `engine`.

#[allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "the edge that reads the configuration and model files and the environment"
)]
pub mod config;
#[allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "the Kafka and HTTP edge: the wall clock, latency timers, secret files, environment"
)]
pub mod daemon;
// Every public item of the pure core carries a doc comment (CI's `-D warnings` enforces it).
#[warn(missing_docs)]
pub mod engine;
#[allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "the offline edge: input, output and reject files"
)]
pub mod replay;
#[cfg(feature = "tools")]
#[allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "tools: files, timers and the environment are their job"
)]
pub mod tools;
