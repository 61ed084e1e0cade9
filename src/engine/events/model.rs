//! The typed events the engine applies, and [`Reject`], the reason a record is refused.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::Deserialize;

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
    pub(super) fn missing(field: &str) -> Reject {
        Reject::new(
            RejectReason::MissingField,
            format!("required field `{field}` is missing"),
        )
    }
    pub(super) fn invalid(field: &str, why: impl std::fmt::Display) -> Reject {
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
            crate::engine::domain::iana_zone(&n)
                .map(|tz| (n.clone(), tz))
                .ok_or_else(|| serde::de::Error::custom(format!("unknown time zone {n:?}")))
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
