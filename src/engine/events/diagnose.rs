//! The slow path for records the typed fast path refused: which field has the wrong JSON type,
//! or, when only fields irrelevant to the event type were wrong, a decode of the relevant ones.

use serde_json::Value;

use crate::engine::domain::*;

use super::fields::unknown_type;
use super::model::{Event, Reject};
use super::raw::Raw;
use super::validate::validate;

/// JSON kinds the fast path expects, used to name the offending field when it fails.
#[derive(Clone, Copy)]
pub(super) enum Kind {
    Str,
    Int,
    Num,
    Bool,
    Contacts,
}

pub(super) const FIELD_KINDS: &[(&str, Kind)] = &[
    ("event_id", Kind::Str),
    ("type", Kind::Str),
    ("account_id", Kind::Str),
    ("occurred_at", Kind::Str),
    ("timezone", Kind::Str),
    ("currency", Kind::Str),
    ("product", Kind::Str),
    ("portfolio", Kind::Str),
    ("credit_limit", Kind::Int),
    ("payday_day_of_month", Kind::Int),
    ("contacts", Kind::Contacts),
    ("statement_id", Kind::Str),
    ("amount_due", Kind::Int),
    ("minimum_due", Kind::Int),
    ("due_date", Kind::Str),
    ("payment_id", Kind::Str),
    ("amount", Kind::Int),
    ("reason", Kind::Str),
    ("fee_id", Kind::Str),
    ("kind", Kind::Str),
    ("promise_id", Kind::Str),
    ("confirmed_in_writing", Kind::Bool),
    ("contact_id", Kind::Str),
    ("flag", Kind::Str),
    ("attempt_id", Kind::Str),
    ("channel", Kind::Str),
    ("outcome", Kind::Str),
    ("disposition", Kind::Str),
    ("callback_at", Kind::Str),
    ("duration_s", Kind::Num),
];

pub(super) const COMMON: &[&str] = &["event_id", "type", "account_id", "occurred_at"];

pub(super) const PROFILE: &[&str] = &[
    "timezone",
    "currency",
    "product",
    "portfolio",
    "credit_limit",
    "payday_day_of_month",
    "contacts",
];

/// Fields that a record of this type may carry (others are ignored for forward compatibility).
pub(super) fn fields_of(t: EventType) -> &'static [&'static str] {
    match t {
        EventType::AccountOpened | EventType::AccountUpdated => PROFILE,
        EventType::StatementIssued => &["statement_id", "amount_due", "minimum_due", "due_date"],
        EventType::PaymentReceived => &["payment_id", "amount"],
        EventType::PaymentReversed => &["payment_id", "amount", "reason"],
        EventType::FeeCharged => &["fee_id", "amount", "kind"],
        EventType::PromiseMade => &[
            "promise_id",
            "amount",
            "due_date",
            "confirmed_in_writing",
            "contact_id",
        ],
        EventType::FlagSet | EventType::FlagCleared => &["flag", "contact_id"],
        EventType::AccountClosed => &["reason"],
        EventType::ContactAttempt => &[
            "attempt_id",
            "channel",
            "contact_id",
            "outcome",
            "disposition",
            "callback_at",
            "duration_s",
        ],
    }
}

/// Slow path for records the typed fast path refused: finds which field has the wrong JSON type,
/// or, when only fields irrelevant to the type were wrong, decodes the relevant ones.
pub(super) fn diagnose(bytes: &[u8]) -> Result<Event, Reject> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| Reject::new(RejectReason::MalformedJson, e.to_string()))?;
    let Value::Object(mut map) = value else {
        return Err(Reject::new(
            RejectReason::MalformedJson,
            "record is not a JSON object",
        ));
    };
    let check = |name: &str, v: &Value| -> Result<(), Reject> {
        let kind = FIELD_KINDS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, k)| *k)
            .unwrap_or(Kind::Str);
        let ok = match kind {
            Kind::Str => v.is_string(),
            Kind::Int => v.is_i64(),
            Kind::Num => v.is_number(),
            Kind::Bool => v.is_boolean(),
            Kind::Contacts => v.is_array(),
        };
        if v.is_null() || ok {
            return Ok(());
        }
        let want = match kind {
            Kind::Str => "a string",
            Kind::Int => "an integer",
            Kind::Num => "a number",
            Kind::Bool => "a boolean",
            Kind::Contacts => "an array of contacts",
        };
        Err(Reject::invalid(name, format!("must be {want}")))
    };
    for name in COMMON {
        if let Some(v) = map.get(*name) {
            check(name, v)?;
        }
    }
    let t = match map.get("type").and_then(Value::as_str) {
        None => return Err(Reject::missing("type")),
        Some(t) => EventType::parse(t).ok_or_else(|| unknown_type(t))?,
    };
    let relevant = fields_of(t);
    for name in relevant {
        if let Some(v) = map.get(*name) {
            check(name, v)?;
        }
    }
    if let Some(Value::Array(contacts)) = map.get("contacts") {
        for (i, c) in contacts.iter().enumerate() {
            let Value::Object(c) = c else {
                return Err(Reject::invalid(
                    &format!("contacts[{i}]"),
                    "must be an object",
                ));
            };
            for (name, want_bool) in [
                ("contact_id", false),
                ("role", false),
                ("phone", false),
                ("consent_to_contact", true),
                ("informed", true),
            ] {
                if let Some(v) = c.get(name) {
                    let ok = v.is_null()
                        || if want_bool {
                            v.is_boolean()
                        } else {
                            v.is_string()
                        };
                    if !ok {
                        let want = if want_bool { "a boolean" } else { "a string" };
                        return Err(Reject::invalid(
                            &format!("contacts[{i}].{name}"),
                            format!("must be {want}"),
                        ));
                    }
                }
            }
        }
    }
    // Every relevant field has the right type: drop the irrelevant ones and decode again.
    map.retain(|k, _| COMMON.contains(&k.as_str()) || relevant.contains(&k.as_str()));
    let pruned = serde_json::to_vec(&Value::Object(map))
        .map_err(|e| Reject::new(RejectReason::MalformedJson, e.to_string()))?;
    match serde_json::from_slice::<Raw>(&pruned) {
        Ok(raw) => validate(raw),
        Err(e) => Err(Reject::new(RejectReason::InvalidField, e.to_string())),
    }
}
