//! Decoding and validating input records into typed [`Event`]s.
//!
//! Owns the wire format of events (`../shared/contract.md`): every field rule, and the reject reason
//! code of every bad record. Pure: bytes in, `Event` or [`Reject`] out. Checks that need account state
//! (unknown references) live in `account`.

//!
//! `model` (the typed events and [`Reject`]), `raw` (the wire shape serde reads), `fields` (rules
//! shared by every field), `validate` (per-type rules), `diagnose` (the slow path that names the
//! field of the wrong JSON type), `unique` (no key twice, at any depth).

mod diagnose;
pub mod fields;
pub mod model;
mod raw;
mod unique;
mod validate;

use std::borrow::Cow;

use serde::Deserialize;

use crate::engine::domain::RejectReason;

pub use fields::{date_in_range, parse_timestamp, time_in_range, MAX_MONEY, TIME_RANGE};
pub use model::*;

use diagnose::diagnose;
use raw::cow;
use raw::Raw;
use validate::validate;

/// Decodes and validates one record (a Kafka message value or a JSONL line).
pub fn decode(bytes: &[u8]) -> Result<Event, Reject> {
    if bytes.len() > MAX_RECORD_BYTES {
        return Err(Reject::new(
            RejectReason::TooLarge,
            format!(
                "record is {} bytes, over the {} byte limit",
                bytes.len(),
                MAX_RECORD_BYTES
            ),
        ));
    }
    // One UTF-8 check of the whole record is cheaper than one per string.
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Reject::new(
            RejectReason::MalformedJson,
            format!("record is not UTF-8: {e}"),
        )
    })?;
    unique::check(text).map_err(|e| Reject::new(RejectReason::MalformedJson, e))?;
    match serde_json::from_str::<Raw>(text) {
        Ok(raw) => validate(raw),
        Err(e) if e.is_data() => diagnose(bytes),
        Err(e) => Err(Reject::new(RejectReason::MalformedJson, e.to_string())),
    }
}

/// Reads the `account_id` of a record without validating the rest (for key checks and dead letters).
pub fn peek_account_id(bytes: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Peek<'a> {
        #[serde(borrow, default, deserialize_with = "cow")]
        account_id: Option<Cow<'a, str>>,
    }
    serde_json::from_slice::<Peek>(bytes)
        .ok()?
        .account_id
        .map(Cow::into_owned)
}

/// The `occurred_at` of a record, when it is there and reads as a timestamp (for ordering records
/// before they are decoded; decoding still validates it).
pub fn peek_occurred_at(bytes: &[u8]) -> Option<jiff::Timestamp> {
    #[derive(Deserialize)]
    struct Peek<'a> {
        #[serde(borrow, default, deserialize_with = "cow")]
        occurred_at: Option<Cow<'a, str>>,
    }
    serde_json::from_slice::<Peek>(bytes)
        .ok()?
        .occurred_at?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests;
