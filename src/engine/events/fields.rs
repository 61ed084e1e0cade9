//! Field rules shared by every event type: required and optional values, identifiers, money,
//! RFC 3339 timestamps, local dates and phone numbers, each refused with its contract reason.

use std::borrow::Cow;

use jiff::civil::Date;
use jiff::Timestamp;

use crate::engine::domain::*;

use super::model::Reject;

pub(super) fn unknown_type(t: &str) -> Reject {
    let shown: String = t.chars().take(40).collect();
    Reject::new(
        RejectReason::UnknownType,
        format!("unknown event type `{shown}`"),
    )
}

pub(super) fn req<'a>(v: &'a Option<Cow<'_, str>>, field: &str) -> Result<&'a str, Reject> {
    match v.as_deref() {
        Some(s) => Ok(s),
        None => Err(Reject::missing(field)),
    }
}

pub(super) fn req_int(v: Option<i64>, field: &str) -> Result<i64, Reject> {
    v.ok_or_else(|| Reject::missing(field))
}

/// An identifier field: 1–128 characters.
pub(super) fn ident(v: &Option<Cow<'_, str>>, field: &str) -> Result<String, Reject> {
    let s = req(v, field)?;
    check_ident(s, field)?;
    Ok(s.to_owned())
}

pub(super) fn check_ident(s: &str, field: &str) -> Result<(), Reject> {
    let n = s.chars().count();
    if n == 0 || n > 128 {
        return Err(Reject::invalid(field, "must be 1–128 characters"));
    }
    Ok(())
}

pub(super) fn opt_ident(v: &Option<Cow<'_, str>>, field: &str) -> Result<Option<String>, Reject> {
    match v.as_deref() {
        None => Ok(None),
        Some(s) => {
            check_ident(s, field)?;
            Ok(Some(s.to_owned()))
        }
    }
}

pub(super) fn positive(v: Option<i64>, field: &str) -> Result<Money, Reject> {
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

pub(super) fn below_max(a: Money, field: &str) -> Result<Money, Reject> {
    if a > MAX_MONEY {
        return Err(Reject::invalid(
            field,
            format!("must not exceed {MAX_MONEY} minor units"),
        ));
    }
    Ok(a)
}

pub(super) fn enum_field<T>(
    v: &Option<Cow<'_, str>>,
    field: &str,
    parse: fn(&str) -> Option<T>,
    names: &[&str],
) -> Result<T, Reject> {
    let s = req(v, field)?;
    parse(s).ok_or_else(|| Reject::invalid(field, format!("must be one of {}", names.join(", "))))
}

pub(super) fn opt_enum<T>(
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
/// The instants the engine accepts: event times, callbacks and `--as-of` lie in
/// `[1970-01-01T00:00:00Z, 2200-01-01T00:00:00Z)`, dates in `1970-01-01..=2199-12-31`. Everything
/// the engine adds to them (windows, caps, grace days, years of ageing) stays far inside jiff's
/// range, so no time arithmetic can overflow; a value outside is refused as `invalid_field`.
pub const TIME_RANGE: (&str, &str) = ("1970-01-01T00:00:00Z", "2200-01-01T00:00:00Z");

const OUT_OF_RANGE: &str = "must lie in [1970-01-01T00:00:00Z, 2200-01-01T00:00:00Z)";

/// Whether `t` lies in [`TIME_RANGE`].
pub fn time_in_range(t: Timestamp) -> bool {
    // 2200-01-01T00:00:00Z is 7,258,118,400 s after the epoch.
    (0..7_258_118_400).contains(&t.as_second())
}

/// Whether `d` lies in the dates of [`TIME_RANGE`].
pub fn date_in_range(d: Date) -> bool {
    (1970..=2199).contains(&d.year())
}

/// Parses an RFC 3339 timestamp (the contract's shape exactly) inside [`TIME_RANGE`].
pub fn parse_timestamp(s: &str) -> Option<Timestamp> {
    parse_unbounded(s).filter(|t| time_in_range(*t))
}

fn parse_unbounded(s: &str) -> Option<Timestamp> {
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

pub(super) fn timestamp(v: &Option<Cow<'_, str>>, field: &str) -> Result<Timestamp, Reject> {
    let s = req(v, field)?;
    let t = parse_unbounded(s)
        .ok_or_else(|| Reject::invalid(field, "must be an RFC 3339 timestamp with offset"))?;
    if !time_in_range(t) {
        return Err(Reject::invalid(field, OUT_OF_RANGE));
    }
    Ok(t)
}

pub(super) fn date(v: &Option<Cow<'_, str>>, field: &str) -> Result<Date, Reject> {
    let s = req(v, field)?;
    if s.len() != 10 {
        return Err(Reject::invalid(field, "must be a YYYY-MM-DD date"));
    }
    let d = s
        .parse::<Date>()
        .map_err(|_| Reject::invalid(field, "must be a valid YYYY-MM-DD date"))?;
    if !date_in_range(d) {
        return Err(Reject::invalid(
            field,
            "must lie in 1970-01-01..=2199-12-31",
        ));
    }
    Ok(d)
}

pub(super) fn valid_account_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

pub(super) fn valid_phone(s: &str) -> bool {
    let digits = &s.as_bytes()[1.min(s.len())..];
    s.starts_with('+') && (8..=15).contains(&digits.len()) && digits.iter().all(u8::is_ascii_digit)
}
