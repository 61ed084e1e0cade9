//! The pure core: everything that turns an event into a work item, synchronously and
//! deterministically. Nothing here may read a clock, a file or the environment, or touch an async
//! runtime, Kafka, HTTP or a metrics registry (`clippy.toml` and `.ci/check-layout` hold it to
//! that); time arrives as a value.
//!
//! Data flows `events` (decode and validate) → `account` (state) → `features` → `scoring` →
//! `policy` (holds, calling windows, caps, routing) → `ranking` (priority) → `workitem`, driven by
//! `pipeline`. `domain` holds the shared vocabulary and `settings` the validated configuration;
//! `wake` says when the clock alone changes an evaluation (its `wake_at`).

pub mod account;
pub mod decisions;
pub mod domain;
pub mod events;
pub mod experiments;
pub use experiments::stable_hash;
pub mod features;
pub mod pipeline;
pub mod policy;
pub mod profile;
pub mod ranking;
pub mod scoring;
pub mod settings;
#[cfg(test)]
pub mod testkit;
pub mod wake;
pub mod workitem;
