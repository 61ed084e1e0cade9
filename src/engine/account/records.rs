//! The records an account's ledger is made of: statements, payments, reversals, fees, promises,
//! contact attempts and numbers found bad.

use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::engine::domain::*;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Statement {
    pub id: String,
    pub issued_at: Timestamp,
    pub amount_due: Money,
    pub minimum_due: Money,
    pub due_date: Date,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Payment {
    pub id: String,
    pub at: Timestamp,
    pub amount: Money,
    /// Total reversed so far (≤ amount).
    pub reversed: Money,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reversal {
    pub at: Timestamp,
    pub amount: Money,
    pub reason: ReversalReason,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fee {
    pub id: String,
    pub at: Timestamp,
    pub amount: Money,
    pub kind: FeeKind,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Promise {
    pub id: String,
    pub made_at: Timestamp,
    pub amount: Money,
    pub due_date: Date,
    pub confirmed_in_writing: bool,
}

/// One recorded contact attempt (no phone number: the contact id is enough).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttemptRec {
    pub at: Timestamp,
    /// Local calendar date and hour of `at` in the account's zone (UTC while unknown), kept
    /// current when the zone changes.
    pub local_date: Date,
    pub local_hour: u8,
    pub channel: AttemptChannel,
    pub contact_id: Option<String>,
    /// The number dialled or texted (normalised E.164), as the contact list had it then.
    #[serde(default)]
    pub phone: Option<String>,
    pub party: Party,
    pub outcome: Outcome,
    pub disposition: Option<Disposition>,
}

/// A number found not to work (`wrong_number` / `invalid_number`); cleared when the contact's
/// phone changes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BadNumber {
    pub contact_id: String,
    pub phone: String,
    pub outcome: Outcome,
}
