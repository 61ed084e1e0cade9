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
    /// The contract's reason code (`arrears-error` on a dead letter).
    pub reason: RejectReason,
    /// What exactly was wrong, for people (`arrears-detail`).
    pub detail: String,
}

impl Reject {
    /// A rejection with `reason` and a human-readable `detail`.
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
    /// The producer's id of the contact, unique within the account.
    pub contact_id: String,
    /// Who the contact is relative to the debtor.
    pub role: Role,
    /// The number, E.164 (`+` and 8–15 digits) as validated.
    pub phone: String,
    /// Whether the person agreed to be contacted (what `locate_with_consent` asks of a third party).
    pub consent_to_contact: bool,
    /// Whether the person already knows of the debt.
    pub informed: bool,
}

/// The account's profile; every field optional so that `account_updated` can carry any subset.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, Deserialize)]
pub struct ProfileFields {
    /// IANA name and its resolved zone, the account's local calendar and calling hours.
    #[serde(with = "zone_by_name")]
    pub timezone: Option<(String, TimeZone)>,
    /// ISO 4217 code of the currency every amount of the account is in.
    pub currency: Option<String>,
    /// The product (the producer's own name for it).
    pub product: Option<String>,
    /// The portfolio, which chooses the contact-policy profile.
    pub portfolio: Option<Portfolio>,
    /// Credit limit in minor units.
    pub credit_limit: Option<Money>,
    /// Day of the month (1–31) the debtor is paid.
    pub payday_day_of_month: Option<u8>,
    /// The contact list; replaces the previous list when present.
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

/// One contact attempt as a dialer, gateway or agent desktop reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// The producer's id of the attempt.
    pub attempt_id: String,
    /// How the contact was attempted.
    pub channel: AttemptChannel,
    /// The contact tried; required for calls and SMS, possibly unknown to arrears.
    pub contact_id: Option<String>,
    /// How the attempt ended.
    pub outcome: Outcome,
    /// What the reached person said, if recorded.
    pub disposition: Option<Disposition>,
    /// When the debtor asked to be called back (UTC); set with `callback_requested`.
    pub callback_at: Option<Timestamp>,
    /// Length of the call in seconds.
    pub duration_s: Option<f64>,
}

/// What an event says, by type, with its validated fields.
#[derive(Debug, Clone, PartialEq)]
pub enum EventBody {
    /// The account's first profile.
    AccountOpened(ProfileFields),
    /// A change to the profile: only the fields present.
    AccountUpdated(ProfileFields),
    /// A statement issued.
    StatementIssued {
        /// The producer's id of the statement.
        statement_id: String,
        /// Amount due in minor units (> 0).
        amount_due: Money,
        /// Minimum due in minor units (0 ≤ minimum ≤ amount due).
        minimum_due: Money,
        /// Due date in the account's local calendar.
        due_date: Date,
    },
    /// A payment received.
    PaymentReceived {
        /// The producer's id of the payment, which a reversal names.
        payment_id: String,
        /// Amount paid in minor units (> 0).
        amount: Money,
    },
    /// An earlier payment reversed.
    PaymentReversed {
        /// The id of the payment reversed.
        payment_id: String,
        /// Amount reversed in minor units (> 0).
        amount: Money,
        /// Why it was reversed.
        reason: ReversalReason,
    },
    /// A fee charged.
    FeeCharged {
        /// The producer's id of the fee.
        fee_id: String,
        /// Amount of the fee in minor units (> 0).
        amount: Money,
        /// What the fee is for.
        kind: FeeKind,
    },
    /// A promise to pay.
    PromiseMade {
        /// The producer's id of the promise.
        promise_id: String,
        /// Amount promised in minor units (> 0).
        amount: Money,
        /// Date by which it is to be paid, in the account's local calendar.
        due_date: Date,
        /// Whether the promise was confirmed to the debtor in writing.
        confirmed_in_writing: bool,
        /// The contact who made the promise, if known.
        contact_id: Option<String>,
    },
    /// A flag put in force.
    FlagSet {
        /// The flag.
        flag: Flag,
        /// The contact whose number it applies to (required for `do_not_call`).
        contact_id: Option<String>,
    },
    /// A flag lifted.
    FlagCleared {
        /// The flag.
        flag: Flag,
        /// The contact whose number it applies to (required for `do_not_call`).
        contact_id: Option<String>,
    },
    /// The account closed.
    AccountClosed {
        /// Why it was closed.
        reason: CloseReason,
    },
    /// A contact attempt and its outcome.
    ContactAttempt(Attempt),
}

/// A decoded, validated event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The producer's id, unique per producer; a repeat for the account is ignored.
    pub event_id: String,
    /// The account the event is about (the Kafka key).
    pub account_id: String,
    /// Event time (UTC instant); every time-based feature uses it.
    pub occurred_at: Timestamp,
    /// What the event says.
    pub body: EventBody,
}

impl Event {
    /// The contract's `type` of this event.
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
