//! The vocabulary the generator draws from: zones, currencies, roles, flags, outcomes,
//! dispositions, reasons, id prefixes, and the stream's size and clock limits.

// Vocabulary
// ------------------------------------------------------------------------------------------------

pub const ZONES: &[&str] = &[
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Asia/Shanghai",
    "Pacific/Honolulu",
    "Pacific/Kiritimati",
    "America/St_Johns",
    "Asia/Kathmandu",
    "UTC",
];
pub const CURRENCIES: &[&str] = &["USD", "GBP", "AUD", "CNY", "EUR", "NZD", "JPY", "INR"];
pub const THIRD_ROLES: &[&str] = &[
    "spouse",
    "relative",
    "employer",
    "guarantor",
    "colleague",
    "other",
];
pub const FLAGS: &[&str] = &[
    "deceased_reported",
    "deceased_verified",
    "dispute",
    "complaint",
    "bankruptcy",
    "cease_contact",
    "hardship",
    "fraud",
    "legal_hold",
    "breathing_space",
    "do_not_call",
];
/// Flags that put the account on hold while in force (breathing space: for 60 days).
pub const HOLD_FLAGS: &[&str] = &[
    "deceased_reported",
    "deceased_verified",
    "dispute",
    "complaint",
    "bankruptcy",
    "fraud",
    "legal_hold",
    "breathing_space",
];
/// Every outcome, weighted towards what calls usually produce.
pub const OUTCOMES: [&str; 20] = [
    "right_party",
    "right_party",
    "right_party",
    "right_party",
    "third_party",
    "no_answer",
    "no_answer",
    "no_answer",
    "no_answer",
    "no_answer",
    "busy",
    "busy",
    "voicemail",
    "voicemail",
    "voicemail",
    "wrong_number",
    "invalid_number",
    "refused",
    "delivered",
    "failed",
];
/// Every disposition, weighted (the sticky holds rarely: `deceased_reported` is further thinned).
pub const DISPOSITIONS: &[&str] = &[
    "promise_to_pay",
    "promise_to_pay",
    "promise_to_pay",
    "promise_to_pay",
    "refused_to_pay",
    "refused_to_pay",
    "refused_to_pay",
    "dispute",
    "complaint",
    "hardship",
    "hardship",
    "callback_requested",
    "callback_requested",
    "callback_requested",
    "callback_requested",
    "deceased_reported",
    "claims_paid",
    "abusive",
    "none",
    "none",
    "none",
];
/// Flags for `flag_set`, weighted towards the ones that leave the account open.
pub const SET_FLAGS: &[&str] = &[
    "deceased_reported",
    "deceased_verified",
    "dispute",
    "complaint",
    "bankruptcy",
    "cease_contact",
    "cease_contact",
    "hardship",
    "hardship",
    "hardship",
    "fraud",
    "legal_hold",
    "breathing_space",
    "breathing_space",
    "do_not_call",
    "do_not_call",
    "do_not_call",
    "do_not_call",
];
pub const REVERSAL_REASONS: &[&str] = &["insufficient_funds", "chargeback", "other"];
pub const FEE_KINDS: &[&str] = &["late_fee", "failed_debit", "interest", "other"];
pub const CLOSE_REASONS: &[&str] = &["paid_off", "settled", "charged_off", "sold", "other"];
pub const ID_PREFIXES: &[&str] = &["A-", "b_", "Z.", "acc:", "0"];

pub const MAX_STEPS: usize = 48;
pub const MAX_SPAN_DAYS: i64 = 120;
/// `evaluate_all` clocks after the last event.
pub const LATER: &[(i64, &str)] = &[
    (3600, "+1h"),
    (13 * 3600, "+13h"),
    (3 * 86_400, "+3d"),
    (9 * 86_400, "+9d"),
    (61 * 86_400, "+61d"),
];

pub const DAY: i64 = 86_400;
