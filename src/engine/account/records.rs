//! The records an account's ledger is made of: statements, payments, reversals, fees, promises,
//! contact attempts and numbers found bad.

use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::engine::domain::*;

/// A statement issued to the account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Statement {
    /// The producer's `statement_id`.
    pub id: String,
    /// Event time of the `statement_issued` (UTC).
    pub issued_at: Timestamp,
    /// Amount due in minor units.
    pub amount_due: Money,
    /// Minimum due in minor units; days past due count from the oldest one not covered.
    pub minimum_due: Money,
    /// Due date in the account's local calendar.
    pub due_date: Date,
}

/// A payment received.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Payment {
    /// The producer's `payment_id`, which a reversal names.
    pub id: String,
    /// When it was received (event time, UTC).
    pub at: Timestamp,
    /// Amount paid in minor units.
    pub amount: Money,
    /// Total reversed so far (≤ amount).
    pub reversed: Money,
}

/// A payment (partly) taken back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reversal {
    /// When it was reversed (event time, UTC).
    pub at: Timestamp,
    /// Amount reversed in minor units.
    pub amount: Money,
    /// Why (insufficient funds is an ability signal).
    pub reason: ReversalReason,
}

/// A fee charged to the account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fee {
    /// The producer's `fee_id`.
    pub id: String,
    /// When it was charged (event time, UTC).
    pub at: Timestamp,
    /// Amount in minor units.
    pub amount: Money,
    /// What the fee is for.
    pub kind: FeeKind,
}

/// A promise to pay; kept or broken is decided by `features` as of the clock.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Promise {
    /// The producer's `promise_id`.
    pub id: String,
    /// When it was made (event time, UTC); payments from then on count toward it.
    pub made_at: Timestamp,
    /// Amount promised in minor units.
    pub amount: Money,
    /// Date it is due in the account's local calendar (plus the configured grace).
    pub due_date: Date,
    /// Whether it was confirmed to the debtor in writing.
    pub confirmed_in_writing: bool,
}

/// One recorded contact attempt (no phone number: the contact id is enough).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttemptRec {
    /// When the attempt happened (event time, UTC).
    pub at: Timestamp,
    /// Local calendar date and hour of `at` in the account's zone (UTC while unknown), kept
    /// current when the zone changes.
    pub local_date: Date,
    /// Local hour (0–23) of `at`, kept like `local_date`.
    pub local_hour: u8,
    /// How the contact was attempted.
    pub channel: AttemptChannel,
    /// The contact id reported, whether the profile lists it or not.
    pub contact_id: Option<String>,
    /// The number dialled or texted (normalised E.164), as the contact list had it then.
    #[serde(default)]
    pub phone: Option<String>,
    /// Third party when the listed contact is not the debtor; the debtor otherwise (unlisted ids
    /// too).
    pub party: Party,
    /// How the attempt ended.
    pub outcome: Outcome,
    /// What the reached person said, if recorded.
    pub disposition: Option<Disposition>,
}

/// A number found not to work (`wrong_number` / `invalid_number`); it follows the number (under
/// any listing) and goes once no contact lists that number.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BadNumber {
    /// The contact the number is listed under.
    pub contact_id: String,
    /// The number as listed when found bad (not normalised); a changed number clears the mark.
    pub phone: String,
    /// `wrong_number` or `invalid_number`.
    pub outcome: Outcome,
}
