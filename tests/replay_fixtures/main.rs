//! End-to-end scenarios through the `arrears replay` binary.
//!
//! Each scenario is a small hand-written story in `tests/fixtures/NAME.jsonl` (wire-contract events)
//! with its expected outcome in `tests/fixtures/NAME.expect.json`:
//!
//! ```json
//! {"story": "...", "as_of": "2026-03-31T15:00:00Z", "items": {"A-1": {"status": "held"}}}
//! {"story": "...", "runs": [{"as_of": "...", "items": {...}}, {"as_of": "...", "items": {...}}]}
//! ```
//!
//! Every account in the output must be listed under `items`, and every listed account must be in
//! the output. An item's expectation is a partial match: every key given must be present and equal
//! (objects matched recursively, arrays element by element with the same length, numbers compared
//! as numbers). Keys starting with `$` are checks, not fields:
//! `$reasons_include` / `$reasons_exclude` (reason codes that must / must not appear),
//! `$not` (a partial match that must fail), and `$why` (the documented rule the expectation comes
//! from, printed when it fails). `rejects` (line, reason) and `duplicates` are for files with bad
//! input; without them a fixture must replay with no rejected line at all.
//!
//! For every scenario and every clock it also checks: exit status 0, ranked output (open by
//! priority descending, then held, then closed, ties by account id), contract invariants, a
//! byte-identical second replay, `--output` equal to standard output, and
//! `../shared/tools/contract_check.py` reporting 0 problems.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "integration tests drive the edges: files, timers and the environment"
)]

mod checks;
mod cli;
mod expect;
mod lookups;
mod run;
mod scenario;
mod scenarios;
