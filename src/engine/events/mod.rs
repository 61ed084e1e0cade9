//! Decoding and validating input records into typed [`Event`]s.
//!
//! Owns the wire format of events (`../shared/contract.md`): every field rule, and the reject reason
//! code of every bad record. Pure: bytes in, `Event` or [`Reject`] out. Checks that need account state
//! (unknown references) live in `account`.

use std::borrow::Cow;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::Value;

use crate::engine::domain::*;

/// Records larger than this are rejected as `too_large`.
pub const MAX_RECORD_BYTES: usize = 64 * 1024;

/// Why a record could not be applied; `detail` is safe to log (never echoes phone numbers).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}: {detail}")]
pub struct Reject {
    pub reason: RejectReason,
    pub detail: String,
}

impl Reject {
    pub fn new(reason: RejectReason, detail: impl Into<String>) -> Reject {
        Reject {
            reason,
            detail: detail.into(),
        }
    }
    fn missing(field: &str) -> Reject {
        Reject::new(
            RejectReason::MissingField,
            format!("required field `{field}` is missing"),
        )
    }
    fn invalid(field: &str, why: impl std::fmt::Display) -> Reject {
        Reject::new(RejectReason::InvalidField, format!("field `{field}` {why}"))
    }
}

/// One contact point of an account.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Contact {
    pub contact_id: String,
    pub role: Role,
    pub phone: String,
    pub consent_to_contact: bool,
    pub informed: bool,
}

/// The account's profile; every field optional so that `account_updated` can carry any subset.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, Deserialize)]
pub struct ProfileFields {
    #[serde(with = "zone_by_name")]
    pub timezone: Option<(String, TimeZone)>,
    pub currency: Option<String>,
    pub product: Option<String>,
    pub portfolio: Option<Portfolio>,
    pub credit_limit: Option<Money>,
    pub payday_day_of_month: Option<u8>,
    pub contacts: Option<Vec<Contact>>,
}

/// Stores a time zone by its IANA name (state snapshots), resolving it again when read.
mod zone_by_name {
    use jiff::tz::TimeZone;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        v: &Option<(String, TimeZone)>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some((name, _)) => s.serialize_some(name),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<(String, TimeZone)>, D::Error> {
        let name: Option<String> = Option::deserialize(d)?;
        name.map(|n| {
            TimeZone::get(&n)
                .map(|tz| (n.clone(), tz))
                .map_err(|_| serde::de::Error::custom(format!("unknown time zone {n:?}")))
        })
        .transpose()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub attempt_id: String,
    pub channel: AttemptChannel,
    pub contact_id: Option<String>,
    pub outcome: Outcome,
    pub disposition: Option<Disposition>,
    pub callback_at: Option<Timestamp>,
    pub duration_s: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EventBody {
    AccountOpened(ProfileFields),
    AccountUpdated(ProfileFields),
    StatementIssued {
        statement_id: String,
        amount_due: Money,
        minimum_due: Money,
        due_date: Date,
    },
    PaymentReceived {
        payment_id: String,
        amount: Money,
    },
    PaymentReversed {
        payment_id: String,
        amount: Money,
        reason: ReversalReason,
    },
    FeeCharged {
        fee_id: String,
        amount: Money,
        kind: FeeKind,
    },
    PromiseMade {
        promise_id: String,
        amount: Money,
        due_date: Date,
        confirmed_in_writing: bool,
        contact_id: Option<String>,
    },
    FlagSet {
        flag: Flag,
        contact_id: Option<String>,
    },
    FlagCleared {
        flag: Flag,
        contact_id: Option<String>,
    },
    AccountClosed {
        reason: CloseReason,
    },
    ContactAttempt(Attempt),
}

/// A decoded, validated event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub event_id: String,
    pub account_id: String,
    pub occurred_at: Timestamp,
    pub body: EventBody,
}

impl Event {
    pub fn event_type(&self) -> EventType {
        match &self.body {
            EventBody::AccountOpened(_) => EventType::AccountOpened,
            EventBody::AccountUpdated(_) => EventType::AccountUpdated,
            EventBody::StatementIssued { .. } => EventType::StatementIssued,
            EventBody::PaymentReceived { .. } => EventType::PaymentReceived,
            EventBody::PaymentReversed { .. } => EventType::PaymentReversed,
            EventBody::FeeCharged { .. } => EventType::FeeCharged,
            EventBody::PromiseMade { .. } => EventType::PromiseMade,
            EventBody::FlagSet { .. } => EventType::FlagSet,
            EventBody::FlagCleared { .. } => EventType::FlagCleared,
            EventBody::AccountClosed { .. } => EventType::AccountClosed,
            EventBody::ContactAttempt(_) => EventType::ContactAttempt,
        }
    }
}

/// The fast path: a record with every known field as an optional, correctly typed value.
/// A record that does not fit (a field of the wrong JSON type) is diagnosed by [`diagnose`].
#[derive(Deserialize, Default)]
struct Raw<'a> {
    #[serde(borrow, default, deserialize_with = "cow")]
    event_id: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "type", default, deserialize_with = "cow")]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    account_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    occurred_at: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    timezone: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    currency: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    product: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    portfolio: Option<Cow<'a, str>>,
    credit_limit: Option<i64>,
    payday_day_of_month: Option<i64>,
    #[serde(borrow)]
    contacts: Option<Vec<RawContact<'a>>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    statement_id: Option<Cow<'a, str>>,
    amount_due: Option<i64>,
    minimum_due: Option<i64>,
    #[serde(borrow, default, deserialize_with = "cow")]
    due_date: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    payment_id: Option<Cow<'a, str>>,
    amount: Option<i64>,
    #[serde(borrow, default, deserialize_with = "cow")]
    reason: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    fee_id: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "kind", default, deserialize_with = "cow")]
    fee_kind: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    promise_id: Option<Cow<'a, str>>,
    confirmed_in_writing: Option<bool>,
    #[serde(borrow, default, deserialize_with = "cow")]
    contact_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    flag: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    attempt_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    channel: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    outcome: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    disposition: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    callback_at: Option<Cow<'a, str>>,
    duration_s: Option<f64>,
}

#[derive(Deserialize, Default)]
struct RawContact<'a> {
    #[serde(borrow, default, deserialize_with = "cow")]
    contact_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    role: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "cow")]
    phone: Option<Cow<'a, str>>,
    consent_to_contact: Option<bool>,
    informed: Option<bool>,
}

/// Deserializes an optional string, borrowing it from the input when it has no escapes
/// (`#[serde(borrow)]` alone does not borrow through `Option`).
fn cow<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Option<Cow<'de, str>>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a string or null")
        }
        fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Borrowed(v)))
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_owned())))
        }
        fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v)))
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(self)
        }
    }
    d.deserialize_option(V)
}

/// JSON kinds the fast path expects, used to name the offending field when it fails.
#[derive(Clone, Copy)]
enum Kind {
    Str,
    Int,
    Num,
    Bool,
    Contacts,
}

const FIELD_KINDS: &[(&str, Kind)] = &[
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

const COMMON: &[&str] = &["event_id", "type", "account_id", "occurred_at"];
const PROFILE: &[&str] = &[
    "timezone",
    "currency",
    "product",
    "portfolio",
    "credit_limit",
    "payday_day_of_month",
    "contacts",
];

/// Fields that a record of this type may carry (others are ignored for forward compatibility).
fn fields_of(t: EventType) -> &'static [&'static str] {
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
    match serde_json::from_str::<Raw>(text) {
        Ok(raw) => validate(raw),
        Err(e) if e.is_data() => diagnose(bytes),
        Err(e) => Err(Reject::new(RejectReason::MalformedJson, e.to_string())),
    }
}

/// Slow path for records the typed fast path refused: finds which field has the wrong JSON type,
/// or, when only fields irrelevant to the type were wrong, decodes the relevant ones.
fn diagnose(bytes: &[u8]) -> Result<Event, Reject> {
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

fn unknown_type(t: &str) -> Reject {
    let shown: String = t.chars().take(40).collect();
    Reject::new(
        RejectReason::UnknownType,
        format!("unknown event type `{shown}`"),
    )
}

fn req<'a>(v: &'a Option<Cow<'_, str>>, field: &str) -> Result<&'a str, Reject> {
    match v.as_deref() {
        Some(s) => Ok(s),
        None => Err(Reject::missing(field)),
    }
}

fn req_int(v: Option<i64>, field: &str) -> Result<i64, Reject> {
    v.ok_or_else(|| Reject::missing(field))
}

/// An identifier field: 1–128 characters.
fn ident(v: &Option<Cow<'_, str>>, field: &str) -> Result<String, Reject> {
    let s = req(v, field)?;
    check_ident(s, field)?;
    Ok(s.to_owned())
}

fn check_ident(s: &str, field: &str) -> Result<(), Reject> {
    let n = s.chars().count();
    if n == 0 || n > 128 {
        return Err(Reject::invalid(field, "must be 1–128 characters"));
    }
    Ok(())
}

fn opt_ident(v: &Option<Cow<'_, str>>, field: &str) -> Result<Option<String>, Reject> {
    match v.as_deref() {
        None => Ok(None),
        Some(s) => {
            check_ident(s, field)?;
            Ok(Some(s.to_owned()))
        }
    }
}

fn positive(v: Option<i64>, field: &str) -> Result<Money, Reject> {
    let a = req_int(v, field)?;
    if a <= 0 {
        return Err(Reject::invalid(
            field,
            "must be a positive integer (minor units)",
        ));
    }
    below_max(a, field)
}

/// Largest amount accepted (10^15 minor units): sums of many such amounts cannot overflow.
pub const MAX_MONEY: Money = 1_000_000_000_000_000;

fn below_max(a: Money, field: &str) -> Result<Money, Reject> {
    if a > MAX_MONEY {
        return Err(Reject::invalid(
            field,
            format!("must not exceed {MAX_MONEY} minor units"),
        ));
    }
    Ok(a)
}

fn enum_field<T>(
    v: &Option<Cow<'_, str>>,
    field: &str,
    parse: fn(&str) -> Option<T>,
    names: &[&str],
) -> Result<T, Reject> {
    let s = req(v, field)?;
    parse(s).ok_or_else(|| Reject::invalid(field, format!("must be one of {}", names.join(", "))))
}

fn opt_enum<T>(
    v: &Option<Cow<'_, str>>,
    field: &str,
    parse: fn(&str) -> Option<T>,
    names: &[&str],
) -> Result<Option<T>, Reject> {
    match v {
        None => Ok(None),
        Some(_) => enum_field(v, field, parse, names).map(Some),
    }
}

/// Parses an RFC 3339 timestamp with an explicit offset.
pub fn parse_timestamp(s: &str) -> Option<Timestamp> {
    // RFC 3339 `date-time` exactly: YYYY-MM-DD 'T' hh:mm:ss [.frac] ('Z' | ±hh:mm). jiff accepts
    // more (comma fractions, ±hhmm, bracketed zones), which the contract does not allow.
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| r.clone().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    let shape = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && matches!(b[10], b'T' | b't' | b' ')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if !shape {
        return None;
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let offset = &b[i..];
    let offset_ok = matches!(offset, [b'Z' | b'z'])
        || (offset.len() == 6
            && matches!(offset[0], b'+' | b'-')
            && offset[1..3].iter().all(u8::is_ascii_digit)
            && offset[3] == b':'
            && offset[4..6].iter().all(u8::is_ascii_digit)
            && &offset[1..3] <= b"23".as_slice()
            && &offset[4..6] <= b"59".as_slice());
    if !offset_ok {
        return None;
    }
    s.parse::<Timestamp>().ok()
}

fn timestamp(v: &Option<Cow<'_, str>>, field: &str) -> Result<Timestamp, Reject> {
    let s = req(v, field)?;
    parse_timestamp(s)
        .ok_or_else(|| Reject::invalid(field, "must be an RFC 3339 timestamp with offset"))
}

fn date(v: &Option<Cow<'_, str>>, field: &str) -> Result<Date, Reject> {
    let s = req(v, field)?;
    if s.len() != 10 {
        return Err(Reject::invalid(field, "must be a YYYY-MM-DD date"));
    }
    s.parse::<Date>()
        .map_err(|_| Reject::invalid(field, "must be a valid YYYY-MM-DD date"))
}

fn valid_account_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

fn valid_phone(s: &str) -> bool {
    let digits = &s.as_bytes()[1.min(s.len())..];
    s.starts_with('+') && (8..=15).contains(&digits.len()) && digits.iter().all(u8::is_ascii_digit)
}

fn profile(raw: &Raw<'_>, opened: bool) -> Result<ProfileFields, Reject> {
    let mut p = ProfileFields::default();
    match raw.timezone.as_deref() {
        Some(name) => {
            let tz = TimeZone::get(name)
                .map_err(|_| Reject::invalid("timezone", "must be an IANA time zone name"))?;
            p.timezone = Some((name.to_owned(), tz));
        }
        None if opened => return Err(Reject::missing("timezone")),
        None => {}
    }
    match raw.currency.as_deref() {
        Some(c) => {
            if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(Reject::invalid(
                    "currency",
                    "must be an ISO 4217 code like USD",
                ));
            }
            p.currency = Some(c.to_owned());
        }
        None if opened => return Err(Reject::missing("currency")),
        None => {}
    }
    match raw.product.as_deref() {
        Some(s) => {
            check_ident(s, "product")?;
            p.product = Some(s.to_owned());
        }
        None if opened => return Err(Reject::missing("product")),
        None => {}
    }
    p.portfolio = opt_enum(
        &raw.portfolio,
        "portfolio",
        Portfolio::parse,
        Portfolio::NAMES,
    )?;
    if let Some(l) = raw.credit_limit {
        if l < 0 {
            return Err(Reject::invalid("credit_limit", "must not be negative"));
        }
        p.credit_limit = Some(below_max(l, "credit_limit")?);
    }
    if let Some(d) = raw.payday_day_of_month {
        if !(1..=31).contains(&d) {
            return Err(Reject::invalid("payday_day_of_month", "must be 1–31"));
        }
        p.payday_day_of_month = Some(d as u8);
    }
    match &raw.contacts {
        Some(list) => {
            let mut out: Vec<Contact> = Vec::with_capacity(list.len());
            for (i, c) in list.iter().enumerate() {
                let f = |name: &str| format!("contacts[{i}].{name}");
                let id = c
                    .contact_id
                    .as_deref()
                    .ok_or_else(|| Reject::missing(&f("contact_id")))?;
                let n = id.chars().count();
                if n == 0 || n > 64 {
                    return Err(Reject::invalid(&f("contact_id"), "must be 1–64 characters"));
                }
                if out.iter().any(|o| o.contact_id == id) {
                    return Err(Reject::invalid(&f("contact_id"), "is a duplicate"));
                }
                let role = c
                    .role
                    .as_deref()
                    .ok_or_else(|| Reject::missing(&f("role")))?;
                let role = Role::parse(role).ok_or_else(|| {
                    Reject::invalid(
                        &f("role"),
                        format!("must be one of {}", Role::NAMES.join(", ")),
                    )
                })?;
                let phone = c
                    .phone
                    .as_deref()
                    .ok_or_else(|| Reject::missing(&f("phone")))?;
                if !valid_phone(phone) {
                    // The number itself is never echoed: it is personal data.
                    return Err(Reject::invalid(
                        &f("phone"),
                        "must be E.164: '+' and 8–15 digits",
                    ));
                }
                out.push(Contact {
                    contact_id: id.to_owned(),
                    role,
                    phone: phone.to_owned(),
                    consent_to_contact: c.consent_to_contact.unwrap_or(false),
                    informed: c.informed.unwrap_or(false),
                });
            }
            p.contacts = Some(out);
        }
        None if opened => return Err(Reject::missing("contacts")),
        None => {}
    }
    Ok(p)
}

fn validate(raw: Raw<'_>) -> Result<Event, Reject> {
    let t = req(&raw.kind, "type")?;
    let t = EventType::parse(t).ok_or_else(|| unknown_type(t))?;
    let event_id = ident(&raw.event_id, "event_id")?;
    let account_id = req(&raw.account_id, "account_id")?;
    if !valid_account_id(account_id) {
        return Err(Reject::invalid(
            "account_id",
            "must be 1–64 characters of A-Z a-z 0-9 . _ : -",
        ));
    }
    let account_id = account_id.to_owned();
    let occurred_at = timestamp(&raw.occurred_at, "occurred_at")?;
    let body = match t {
        EventType::AccountOpened => EventBody::AccountOpened(profile(&raw, true)?),
        EventType::AccountUpdated => EventBody::AccountUpdated(profile(&raw, false)?),
        EventType::StatementIssued => {
            let statement_id = ident(&raw.statement_id, "statement_id")?;
            let amount_due = positive(raw.amount_due, "amount_due")?;
            let minimum_due = req_int(raw.minimum_due, "minimum_due")?;
            if minimum_due < 0 || minimum_due > amount_due {
                return Err(Reject::invalid(
                    "minimum_due",
                    "must be between 0 and amount_due",
                ));
            }
            EventBody::StatementIssued {
                statement_id,
                amount_due,
                minimum_due,
                due_date: date(&raw.due_date, "due_date")?,
            }
        }
        EventType::PaymentReceived => EventBody::PaymentReceived {
            payment_id: ident(&raw.payment_id, "payment_id")?,
            amount: positive(raw.amount, "amount")?,
        },
        EventType::PaymentReversed => EventBody::PaymentReversed {
            payment_id: ident(&raw.payment_id, "payment_id")?,
            amount: positive(raw.amount, "amount")?,
            reason: enum_field(
                &raw.reason,
                "reason",
                ReversalReason::parse,
                ReversalReason::NAMES,
            )?,
        },
        EventType::FeeCharged => EventBody::FeeCharged {
            fee_id: ident(&raw.fee_id, "fee_id")?,
            amount: positive(raw.amount, "amount")?,
            kind: enum_field(&raw.fee_kind, "kind", FeeKind::parse, FeeKind::NAMES)?,
        },
        EventType::PromiseMade => EventBody::PromiseMade {
            promise_id: ident(&raw.promise_id, "promise_id")?,
            amount: positive(raw.amount, "amount")?,
            due_date: date(&raw.due_date, "due_date")?,
            confirmed_in_writing: raw
                .confirmed_in_writing
                .ok_or_else(|| Reject::missing("confirmed_in_writing"))?,
            contact_id: opt_ident(&raw.contact_id, "contact_id")?,
        },
        EventType::FlagSet | EventType::FlagCleared => {
            let flag = enum_field(&raw.flag, "flag", Flag::parse, Flag::NAMES)?;
            let contact_id = opt_ident(&raw.contact_id, "contact_id")?;
            if flag == Flag::DoNotCall && contact_id.is_none() {
                return Err(Reject::missing("contact_id"));
            }
            if t == EventType::FlagSet {
                EventBody::FlagSet { flag, contact_id }
            } else {
                EventBody::FlagCleared { flag, contact_id }
            }
        }
        EventType::AccountClosed => EventBody::AccountClosed {
            reason: enum_field(
                &raw.reason,
                "reason",
                CloseReason::parse,
                CloseReason::NAMES,
            )?,
        },
        EventType::ContactAttempt => {
            let channel = enum_field(
                &raw.channel,
                "channel",
                AttemptChannel::parse,
                AttemptChannel::NAMES,
            )?;
            let contact_id = opt_ident(&raw.contact_id, "contact_id")?;
            if matches!(channel, AttemptChannel::Call | AttemptChannel::Sms) && contact_id.is_none()
            {
                return Err(Reject::missing("contact_id"));
            }
            let disposition = opt_enum(
                &raw.disposition,
                "disposition",
                Disposition::parse,
                Disposition::NAMES,
            )?;
            let callback_at = match (&raw.callback_at, disposition) {
                (None, Some(Disposition::CallbackRequested)) => {
                    return Err(Reject::missing("callback_at"))
                }
                (None, _) => None,
                (Some(_), _) => Some(timestamp(&raw.callback_at, "callback_at")?),
            };
            if let Some(d) = raw.duration_s {
                if !(d.is_finite() && d >= 0.0) {
                    return Err(Reject::invalid(
                        "duration_s",
                        "must be a non-negative number",
                    ));
                }
            }
            EventBody::ContactAttempt(Attempt {
                attempt_id: ident(&raw.attempt_id, "attempt_id")?,
                channel,
                contact_id,
                outcome: enum_field(&raw.outcome, "outcome", Outcome::parse, Outcome::NAMES)?,
                disposition,
                callback_at,
                duration_s: raw.duration_s,
            })
        }
    };
    Ok(Event {
        event_id,
        account_id,
        occurred_at,
        body,
    })
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

#[cfg(test)]
mod tests;
