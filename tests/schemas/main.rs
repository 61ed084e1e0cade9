//! The published JSON Schemas (`docs/schema/*.json`) against the `arrears replay` binary.
//!
//! - Events: every line that `arrears replay` accepts, in `../shared/fixtures/sample-events.jsonl`,
//!   `tests/fixtures/*.jsonl` and a small simulated portfolio, validates against
//!   `event.schema.json`; every line it rejects as `unknown_type`, `missing_field` or
//!   `invalid_field` fails validation, unless the broken rule is one JSON Schema cannot express
//!   (see [`schema_cannot_tell`]). A corpus of probes ([`probes`]) exercises each rule both ways:
//!   replay's verdict and the schema's must agree.
//! - Work items: every item replay writes for those inputs, at several clocks, validates against
//!   `work-item.schema.json`.
//! - Rejects: every line of the `--rejects` files validates against `reject.schema.json`.
//!
//! Validation uses the Rust `jsonschema` crate (draft 2020-12, with the `date` and `date-time`
//! formats asserted), so these tests need nothing outside cargo.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "integration tests drive the edges: files, timers and the environment"
)]

mod events;
mod outputs;
mod probe_kit;
mod probes;
mod probes_common;
mod probes_contact_attempt;
mod probes_events;
mod probes_profile;
mod run;
mod validate;
