//! The portfolio simulator: determinism, contract validity of every line, time order, the truth
//! file, hidden traits driving behaviour, and the world's own contact-policy audit.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "integration tests drive the edges: files, timers and the environment"
)]

mod behaviour;
mod cli;
mod contract;
mod determinism;
mod policy;
mod support;
