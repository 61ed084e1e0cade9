//! Domain vocabulary shared by every layer: the closed sets of the wire contract (stages, segments,
//! strategies, channels, hold reasons, flags, outcomes …) as Rust enums, plus `Money` and `Score`.
//!
//! Owns naming only: no behaviour beyond parsing and printing the contract's spellings.

use serde::{Deserialize, Serialize};

/// A phone number in the form do-not-call and "once per person" compare: `+` and the digits
/// (E.164 as the contract requires it; any spacing or punctuation a producer added is dropped).
pub fn normalise_phone(phone: &str) -> String {
    let mut n = String::with_capacity(phone.len());
    n.push('+');
    n.extend(phone.chars().filter(char::is_ascii_digit));
    n
}

/// The ISO 4217 minor-unit exponent of a currency: 0 for the yen (no minor unit), 3 for the
/// dinars of Kuwait, Bahrain, Iraq, Jordan, Libya and Tunisia and the rial of Oman, 4 for the
/// Chilean and Uruguayan units of account, 2 for every other code.
pub fn minor_unit_exponent(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        "CLF" | "UYW" => 4,
        _ => 2,
    }
}

/// `minor` units of `currency` in major units (yen, dollars, dinars).
pub fn to_major(minor: Money, currency: &str) -> f64 {
    minor as f64 / 10f64.powi(minor_unit_exponent(currency) as i32)
}

/// Names that resolve in a tz database but are not real zones with fixed rules: `Factory` (no
/// offset, "-00"), `localtime` (the host's zone), `posixrules`, CLDR's `Etc/Unknown`, and the
/// `posix/` and `right/` trees (duplicates, leap-second variants).
const NOT_ZONES: [&str; 4] = ["factory", "localtime", "posixrules", "etc/unknown"];

/// The IANA zone `name`, resolved in the tz database bundled into the binary (never the host's,
/// so the same name means the same rules on every machine), or `None` for anything that is not a
/// real zone: fail closed.
pub fn iana_zone(name: &str) -> Option<jiff::tz::TimeZone> {
    static DB: std::sync::OnceLock<jiff::tz::TimeZoneDatabase> = std::sync::OnceLock::new();
    let lower = name.to_ascii_lowercase();
    if NOT_ZONES.contains(&lower.as_str())
        || lower.starts_with("posix/")
        || lower.starts_with("right/")
    {
        return None;
    }
    DB.get_or_init(jiff::tz::TimeZoneDatabase::bundled)
        .get(name)
        .ok()
}

/// `t` moved by `seconds`, saturating at the ends of jiff's range instead of panicking. Inputs are
/// bounded (`events::TIME_RANGE`), so saturation is a guard, never a result.
pub fn shift(t: jiff::Timestamp, seconds: i64) -> jiff::Timestamp {
    // Whole seconds on the instant itself: the same result as adding a span of seconds, without
    // span arithmetic.
    t.as_second()
        .checked_add(seconds)
        .and_then(|s| jiff::Timestamp::new(s, t.subsec_nanosecond()).ok())
        .unwrap_or(if seconds < 0 {
            jiff::Timestamp::MIN
        } else {
            jiff::Timestamp::MAX
        })
}

/// Money is an integer count of minor units (cents, fen) in the account's currency.
pub type Money = i64;

/// A probability-like score, always within [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Score(f64);

impl Score {
    /// Clamps into [0, 1]; NaN becomes 0.
    pub fn new(v: f64) -> Score {
        if v.is_nan() {
            Score(0.0)
        } else {
            Score(v.clamp(0.0, 1.0))
        }
    }
    /// The score as a number in [0, 1].
    pub fn get(self) -> f64 {
        self.0
    }
}

/// Declares an enum whose variants serialize as the contract's snake_case spellings, with
/// `as_str` and `parse` helpers and the full list of spellings; docs go before the enum's name and
/// each variant.
macro_rules! contract_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name { $( $(#[$vm])* #[serde(rename = $text)] $variant ),+ }
        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The contract's spelling of every value, in the order of `ALL`.
            pub const NAMES: &'static [&'static str] = &[$($text),+];
            /// The contract's spelling of this value.
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $text),+ } }
            /// The value the contract spells `s`, or `None` for any other string.
            pub fn parse(s: &str) -> Option<$name> { match s { $($text => Some($name::$variant),)+ _ => None } }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

contract_enum!(
    /// Event types of the contract.
    EventType {
        /// The account's profile: time zone, currency, product, portfolio, contacts.
        AccountOpened => "account_opened",
        /// A change to any subset of the profile; `contacts`, when present, replaces the list.
        AccountUpdated => "account_updated",
        /// A statement with an amount due, a minimum due and a due date.
        StatementIssued => "statement_issued",
        /// A payment that reduces what is owed.
        PaymentReceived => "payment_received",
        /// An earlier payment taken back (insufficient funds, chargeback, other).
        PaymentReversed => "payment_reversed",
        /// A fee added to the balance (late fee, failed debit, interest, other).
        FeeCharged => "fee_charged",
        /// The debtor's promise to pay an amount by a date.
        PromiseMade => "promise_made",
        /// A flag put in force (dispute, hardship, do-not-call on one number …).
        FlagSet => "flag_set",
        /// A flag lifted, unless the `flag_set` it would undo is newer.
        FlagCleared => "flag_cleared",
        /// The account closed (paid off, settled, charged off, sold, other).
        AccountClosed => "account_closed",
        /// A dialer's, gateway's or agent's report of one contact attempt and its outcome.
        ContactAttempt => "contact_attempt",
    }
);

contract_enum!(
    /// The book an account belongs to, which chooses its contact-policy profile.
    Portfolio {
        /// Lending to or billing of individuals (the default).
        Consumer => "consumer",
        /// Lending to or billing of businesses.
        Commercial => "commercial",
    }
);

contract_enum!(
    /// Who a contact on the account is, relative to the debtor.
    Role {
        /// The debtor themself.
        Debtor => "debtor",
        /// The debtor's spouse (a third party).
        Spouse => "spouse",
        /// A relative of the debtor (a third party).
        Relative => "relative",
        /// The debtor's employer (a third party).
        Employer => "employer",
        /// A guarantor of the debt (a third party for contact purposes).
        Guarantor => "guarantor",
        /// A colleague of the debtor (a third party).
        Colleague => "colleague",
        /// Anyone else (a third party).
        Other => "other",
    }
);

contract_enum!(
    /// Why a payment was reversed.
    ReversalReason {
        /// The payment bounced for lack of funds (a strong ability signal).
        InsufficientFunds => "insufficient_funds",
        /// The payer's bank took the payment back.
        Chargeback => "chargeback",
        /// Any other reason.
        Other => "other",
    }
);

contract_enum!(
    /// The kind of a fee charged to the account.
    FeeKind {
        /// A fee for paying late.
        LateFee => "late_fee",
        /// A fee for a direct debit that failed.
        FailedDebit => "failed_debit",
        /// Interest charged.
        Interest => "interest",
        /// Any other fee.
        Other => "other",
    }
);

contract_enum!(
    /// Account flags; `DoNotCall` applies to one contact number only.
    Flag {
        /// Somebody reported the debtor deceased (holds the account).
        DeceasedReported => "deceased_reported",
        /// The debtor's death is verified (holds the account).
        DeceasedVerified => "deceased_verified",
        /// The debtor disputes the debt (holds until cleared).
        Dispute => "dispute",
        /// The debtor has complained (holds until cleared).
        Complaint => "complaint",
        /// The debtor is in bankruptcy (holds the account).
        Bankruptcy => "bankruptcy",
        /// The debtor asked for no contact: letters only.
        CeaseContact => "cease_contact",
        /// The debtor is in financial hardship: `hardship_plan`, lower contact frequency.
        Hardship => "hardship",
        /// The account is under a fraud investigation (holds the account).
        Fraud => "fraud",
        /// A legal hold forbids collection (holds the account).
        LegalHold => "legal_hold",
        /// Debt respite (UK Breathing Space): holds for up to `breathing_space_max_days`.
        BreathingSpace => "breathing_space",
        /// One number (the event's `contact_id`'s phone) is never dialled or texted.
        DoNotCall => "do_not_call",
    }
);

impl Flag {
    /// Bit used in the account's flag set.
    pub fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

contract_enum!(
    /// Why an account was closed.
    CloseReason {
        /// Paid in full.
        PaidOff => "paid_off",
        /// Settled for less than the full amount.
        Settled => "settled",
        /// Written off as a loss.
        ChargedOff => "charged_off",
        /// Sold to another owner.
        Sold => "sold",
        /// Any other reason.
        Other => "other",
    }
);

contract_enum!(
    /// Channel of a contact attempt (input); `visit` is accepted on input but never recommended.
    AttemptChannel {
        /// A phone call.
        Call => "call",
        /// A text message.
        Sms => "sms",
        /// An email.
        Email => "email",
        /// A letter.
        Letter => "letter",
        /// A field visit (input only).
        Visit => "visit",
    }
);

contract_enum!(
    /// How a contact attempt ended.
    Outcome {
        /// The debtor was reached.
        RightParty => "right_party",
        /// Somebody other than the debtor answered.
        ThirdParty => "third_party",
        /// Nobody answered.
        NoAnswer => "no_answer",
        /// The line was busy.
        Busy => "busy",
        /// The call went to voicemail.
        Voicemail => "voicemail",
        /// The number does not belong to the person it is listed under.
        WrongNumber => "wrong_number",
        /// The number does not work.
        InvalidNumber => "invalid_number",
        /// The person answered and refused to talk.
        Refused => "refused",
        /// A message (SMS, email, letter) was delivered.
        Delivered => "delivered",
        /// The attempt failed technically (not dialled or not delivered).
        Failed => "failed",
    }
);

impl Outcome {
    /// A call in which somebody answered.
    pub fn connected(self) -> bool {
        matches!(
            self,
            Outcome::RightParty | Outcome::ThirdParty | Outcome::Refused
        )
    }
    /// A call in which nobody was reached.
    pub fn failed_reach(self) -> bool {
        matches!(
            self,
            Outcome::NoAnswer | Outcome::Busy | Outcome::Voicemail | Outcome::Failed
        )
    }
}

contract_enum!(
    /// What the reached person said, as the agent recorded it.
    Disposition {
        /// A promise to pay; its own `promise_made` event carries amount and date.
        PromiseToPay => "promise_to_pay",
        /// A refusal to pay.
        RefusedToPay => "refused_to_pay",
        /// A dispute of the debt (as a `dispute` flag).
        Dispute => "dispute",
        /// A complaint (as a `complaint` flag).
        Complaint => "complaint",
        /// A hardship disclosed (counts for `hardship_recent_days`).
        Hardship => "hardship",
        /// A request to be called back at `callback_at`.
        CallbackRequested => "callback_requested",
        /// A report that the debtor died (as a `deceased_reported` flag).
        DeceasedReported => "deceased_reported",
        /// A claim that the debt is already paid.
        ClaimsPaid => "claims_paid",
        /// The person was abusive.
        Abusive => "abusive",
        /// Nothing of note.
        None => "none",
    }
);

contract_enum!(
    /// What a dialer may do with an account's work item now.
    Status {
        /// A dialer may act, within the action's `not_before`..`not_after`.
        Open => "open",
        /// Nobody may contact the account now; `hold_reason` says why.
        Held => "held",
        /// Nothing is owed or the account is closed.
        Closed => "closed",
    }
);

contract_enum!(
    /// Why a work item is `held`.
    HoldReason {
        /// The debtor is reported or verified deceased.
        Deceased => "deceased",
        /// A dispute is in force.
        Dispute => "dispute",
        /// A complaint is in force.
        Complaint => "complaint",
        /// The debtor is in bankruptcy.
        Bankruptcy => "bankruptcy",
        /// A fraud investigation is in force.
        Fraud => "fraud",
        /// A legal hold is in force.
        LegalHold => "legal_hold",
        /// Breathing Space (debt respite) is in force.
        BreathingSpace => "breathing_space",
        /// A promise is pending until its due date.
        PromisePending => "promise_pending",
        /// The debtor asked to be called back later.
        CallbackScheduled => "callback_scheduled",
        /// The next lawful window is further away than `hold_when_blocked_hours`.
        ContactCap => "contact_cap",
        /// No number may be dialled and no letter may be sent.
        NoContactPoint => "no_contact_point",
        /// Events arrived before the account's `account_opened`.
        ProfileMissing => "profile_missing",
    }
);

contract_enum!(
    /// How far the account is into delinquency, by days past due.
    Stage {
        /// Nothing overdue.
        Current => "current",
        /// A statement due within 3 days, unpaid.
        PreDue => "pre_due",
        /// 1–5 days past due.
        Early => "early",
        /// 6–18 days past due.
        Mid => "mid",
        /// 19–30 days past due.
        Late => "late",
        /// 31–60 days past due.
        M2 => "m2",
        /// 61–90 days past due.
        M3 => "m3",
        /// 91 or more days past due.
        M4Plus => "m4_plus",
    }
);

impl Stage {
    /// Stage for a days-past-due count (`pre_due` is decided by the caller, from due dates).
    pub fn from_dpd(dpd: i64) -> Stage {
        match dpd {
            i64::MIN..=0 => Stage::Current,
            1..=5 => Stage::Early,
            6..=18 => Stage::Mid,
            19..=30 => Stage::Late,
            31..=60 => Stage::M2,
            61..=90 => Stage::M3,
            _ => Stage::M4Plus,
        }
    }
    /// First DPD of the next stage, if any (for "stage about to roll").
    pub fn next_boundary(self) -> Option<i64> {
        match self {
            Stage::Current | Stage::PreDue => Some(1),
            Stage::Early => Some(6),
            Stage::Mid => Some(19),
            Stage::Late => Some(31),
            Stage::M2 => Some(61),
            Stage::M3 => Some(91),
            Stage::M4Plus => None,
        }
    }
}

contract_enum!(
    /// The willingness × ability quadrant that chooses the default strategy.
    Segment {
        /// Willing and able: remind, then negotiate.
        WillingAble => "willing_able",
        /// Willing but unable: a hardship plan.
        WillingUnable => "willing_unable",
        /// Able but unwilling: firm demand, then legal review.
        UnwillingAble => "unwilling_able",
        /// Neither: locate, letters or legal review, at little dialer cost.
        UnwillingUnable => "unwilling_unable",
    }
);

contract_enum!(
    /// The channel a work item recommends (`visit` is never recommended).
    Channel {
        /// A phone call.
        Call => "call",
        /// A text message.
        Sms => "sms",
        /// An email.
        Email => "email",
        /// A letter (the only channel under `cease_contact`).
        Letter => "letter",
    }
);

contract_enum!(
    /// Whom a work item's action addresses.
    Party {
        /// The debtor, with full disclosure.
        Debtor => "debtor",
        /// A third party, to locate the debtor only, never told of the debt.
        ThirdParty => "third_party",
    }
);

contract_enum!(
    /// How much of the debt the action may reveal.
    Disclosure {
        /// The debt may be discussed (debtor only).
        Full => "full",
        /// Nothing of the debt is revealed (third parties).
        None => "none",
    }
);

contract_enum!(
    /// What the contact sets out to do.
    Strategy {
        /// A reminder: confirm the amount and the payment channel.
        Reminder => "reminder",
        /// Negotiate a payment.
        Negotiate => "negotiate",
        /// Follow up a promise on its due date.
        PromiseFollowup => "promise_followup",
        /// Offer instalments or a partial payment.
        HardshipPlan => "hardship_plan",
        /// A consistent, factual demand.
        FirmDemand => "firm_demand",
        /// Locate an unreachable debtor through a third party.
        Locate => "locate",
        /// Resolve a cleared dispute or complaint.
        ComplaintResolution => "complaint_resolution",
        /// Refer the account for legal review.
        LegalReview => "legal_review",
        /// A letter instead of a call.
        Letter => "letter",
    }
);

impl Strategy {
    /// Position on the tone ladder (reminder → negotiate → firm → legal review), if on it.
    pub fn tone(self) -> Option<u8> {
        match self {
            Strategy::Reminder => Some(0),
            Strategy::Negotiate => Some(1),
            Strategy::FirmDemand => Some(2),
            Strategy::LegalReview => Some(3),
            _ => None,
        }
    }
    /// The ladder strategy at a tone level.
    pub fn at_tone(level: u8) -> Strategy {
        match level {
            0 => Strategy::Reminder,
            1 => Strategy::Negotiate,
            2 => Strategy::FirmDemand,
            _ => Strategy::LegalReview,
        }
    }
}

contract_enum!(
    /// Reason codes for rejected input records.
    RejectReason {
        /// The record is not a JSON object.
        MalformedJson => "malformed_json",
        /// The record is over 64 KiB.
        TooLarge => "too_large",
        /// The `type` is not an event type of the contract.
        UnknownType => "unknown_type",
        /// A required field is absent.
        MissingField => "missing_field",
        /// A field has the wrong type or breaks its rule.
        InvalidField => "invalid_field",
        /// The `account_id` differs from the Kafka key.
        KeyMismatch => "key_mismatch",
        /// The event refers to something never received (a payment to reverse …).
        UnknownReference => "unknown_reference",
        /// Applying the record panicked; the account was rolled back.
        InternalError => "internal_error",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip() {
        for s in Strategy::ALL {
            assert_eq!(Strategy::parse(s.as_str()), Some(*s));
        }
        assert_eq!(
            serde_json::to_string(&HoldReason::PromisePending).unwrap(),
            "\"promise_pending\""
        );
        assert_eq!(Flag::parse("do_not_call"), Some(Flag::DoNotCall));
        assert_eq!(Flag::parse("nope"), None);
    }

    #[test]
    fn stages_follow_dpd_boundaries() {
        let cases = [
            (0, Stage::Current),
            (1, Stage::Early),
            (5, Stage::Early),
            (6, Stage::Mid),
            (18, Stage::Mid),
            (19, Stage::Late),
            (30, Stage::Late),
            (31, Stage::M2),
            (60, Stage::M2),
            (61, Stage::M3),
            (90, Stage::M3),
            (91, Stage::M4Plus),
        ];
        for (dpd, stage) in cases {
            assert_eq!(Stage::from_dpd(dpd), stage, "dpd {dpd}");
        }
    }

    #[test]
    fn scores_are_clamped() {
        assert_eq!(Score::new(1.7).get(), 1.0);
        assert_eq!(Score::new(-0.2).get(), 0.0);
        assert_eq!(Score::new(f64::NAN).get(), 0.0);
    }
}
