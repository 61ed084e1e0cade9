//! From the raw wire shape to a typed [`Event`]: the per-type field rules of the contract.

use crate::engine::domain::*;

use super::fields::*;
use super::model::*;
use super::raw::Raw;

pub(super) fn profile(raw: &Raw<'_>, opened: bool) -> Result<ProfileFields, Reject> {
    let mut p = ProfileFields::default();
    match raw.timezone.as_deref() {
        Some(name) => {
            let tz = iana_zone(name).ok_or_else(|| {
                Reject::invalid(
                    "timezone",
                    "must be a real IANA time zone name (Factory, localtime and Etc/Unknown are not)",
                )
            })?;
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

pub(super) fn validate(raw: Raw<'_>) -> Result<Event, Reject> {
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
