//! The daemon as a group of instances against librdkafka's embedded mock cluster, and its HTTP
//! API: two instances share the partitions and the survivor of a graceful stop ends with the
//! offline pipeline's (and `arrears replay`'s) items; a graceful shutdown commits every input
//! offset so the next instance re-processes nothing; the API answers health, readiness, the
//! worklist, account explanations and decision records, never with a phone number; every
//! published item has exactly one decision record on the audit topic; a storm of three instances
//! joining and leaving under load ends with the offline items; `arrears run` logs its effective
//! configuration at start with every secret masked. No sleeps that hope: every wait
//! polls a condition until a deadline and panics saying what it waited for.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "integration tests drive the edges: files, timers and the environment"
)]

#[path = "../common/mod.rs"]
mod common;

mod decisions;
mod effective_config;
mod group;
mod http_api;
mod instances;
mod items;
mod kafka_io;
mod order;
mod retention;
mod shutdown;
mod storm;
