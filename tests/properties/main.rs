//! Property tests over generated, contract-valid event streams.
//!
//! A proptest strategy builds a plan for 1–4 accounts (time zone, contacts, and a list of abstract
//! steps); a deterministic builder turns each plan into contract-valid JSON events, tracking what
//! it has emitted so that every reference is valid (reversals only of earlier payments and never
//! more than is left, calls and texts only to listed contacts, `do_not_call` with a contact id,
//! `callback_at` with `callback_requested`, a `promise_made` after every `promise_to_pay`). The
//! accounts' events are merged into one time-ordered stream (gaps of minutes to days, over up to
//! 120 days of 2026, so it crosses the March/April and October/November DST changes of the
//! northern and southern hemispheres) and fed to [`Pipeline::process_record`] as bytes.
//!
//! Because the plan is abstract, shrinking drops steps and the builder still produces a valid
//! stream; a failure reports the events (JSONL) up to the failing observation.
//!
//! An independent, deliberately small model of each account (flags, do-not-call numbers, contacts
//! and consent, attempts, callbacks, hardship) is kept from the same events; the properties compare
//! each work item against it after every event and after `evaluate_all` at later clocks. Items are
//! checked in their published form (the JSON of the contract), not through the crate's structs.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "integration tests drive the edges: files, timers and the environment"
)]

mod adv_model;
mod adv_plan;
mod builder;
mod builder_steps;
mod calling_hours;
mod caps;
mod determinism;
mod dnc_numbers;
mod driver;
mod generator;
mod holdout;
mod holds;
mod model;
mod no_panic;
mod plan;
mod profile_caps;
mod ranking;
mod third_parties;
mod third_party_reachable;
mod versions;
mod view;
mod vocab;
mod wake;
