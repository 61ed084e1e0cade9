//! The HTTP API under load and abuse: 1,000 concurrent worklist requests while events stream in
//! (health keeps answering, every event reaches the worklist); slow clients cut off by the
//! header-read timeout, idle keep-alive connections closed, excess connections refused; oversize
//! headers and bodies (431, 413); the optional bearer token; every error as
//! `application/problem+json`, unknown query parameters refused, `/version` and `/openapi.json`. No sleeps that hope: every wait polls
//! a condition until a deadline and panics saying what it waited for.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "integration tests drive the edges: files, timers and the environment"
)]

#[path = "../common/mod.rs"]
mod common;

mod abuse;
mod auth;
mod client;
mod load;
mod problems;
