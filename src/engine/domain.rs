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
    t.checked_add(jiff::Span::new().seconds(seconds))
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
    pub fn get(self) -> f64 {
        self.0
    }
}

/// Declares an enum whose variants serialize as the contract's snake_case spellings, with
/// `as_str` and `parse` helpers and the full list of spellings.
macro_rules! contract_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name { $( #[serde(rename = $text)] $variant ),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub const NAMES: &'static [&'static str] = &[$($text),+];
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $text),+ } }
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
        AccountOpened => "account_opened",
        AccountUpdated => "account_updated",
        StatementIssued => "statement_issued",
        PaymentReceived => "payment_received",
        PaymentReversed => "payment_reversed",
        FeeCharged => "fee_charged",
        PromiseMade => "promise_made",
        FlagSet => "flag_set",
        FlagCleared => "flag_cleared",
        AccountClosed => "account_closed",
        ContactAttempt => "contact_attempt",
    }
);

contract_enum!(Portfolio { Consumer => "consumer", Commercial => "commercial" });

contract_enum!(Role {
    Debtor => "debtor",
    Spouse => "spouse",
    Relative => "relative",
    Employer => "employer",
    Guarantor => "guarantor",
    Colleague => "colleague",
    Other => "other",
});

contract_enum!(ReversalReason {
    InsufficientFunds => "insufficient_funds",
    Chargeback => "chargeback",
    Other => "other",
});

contract_enum!(FeeKind {
    LateFee => "late_fee",
    FailedDebit => "failed_debit",
    Interest => "interest",
    Other => "other",
});

contract_enum!(
    /// Account flags; `DoNotCall` applies to one contact number only.
    Flag {
        DeceasedReported => "deceased_reported",
        DeceasedVerified => "deceased_verified",
        Dispute => "dispute",
        Complaint => "complaint",
        Bankruptcy => "bankruptcy",
        CeaseContact => "cease_contact",
        Hardship => "hardship",
        Fraud => "fraud",
        LegalHold => "legal_hold",
        BreathingSpace => "breathing_space",
        DoNotCall => "do_not_call",
    }
);

impl Flag {
    /// Bit used in the account's flag set.
    pub fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

contract_enum!(CloseReason {
    PaidOff => "paid_off",
    Settled => "settled",
    ChargedOff => "charged_off",
    Sold => "sold",
    Other => "other",
});

contract_enum!(
    /// Channel of a contact attempt (input); `visit` is accepted on input but never recommended.
    AttemptChannel {
        Call => "call",
        Sms => "sms",
        Email => "email",
        Letter => "letter",
        Visit => "visit",
    }
);

contract_enum!(Outcome {
    RightParty => "right_party",
    ThirdParty => "third_party",
    NoAnswer => "no_answer",
    Busy => "busy",
    Voicemail => "voicemail",
    WrongNumber => "wrong_number",
    InvalidNumber => "invalid_number",
    Refused => "refused",
    Delivered => "delivered",
    Failed => "failed",
});

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

contract_enum!(Disposition {
    PromiseToPay => "promise_to_pay",
    RefusedToPay => "refused_to_pay",
    Dispute => "dispute",
    Complaint => "complaint",
    Hardship => "hardship",
    CallbackRequested => "callback_requested",
    DeceasedReported => "deceased_reported",
    ClaimsPaid => "claims_paid",
    Abusive => "abusive",
    None => "none",
});

contract_enum!(Status { Open => "open", Held => "held", Closed => "closed" });

contract_enum!(HoldReason {
    Deceased => "deceased",
    Dispute => "dispute",
    Complaint => "complaint",
    Bankruptcy => "bankruptcy",
    Fraud => "fraud",
    LegalHold => "legal_hold",
    BreathingSpace => "breathing_space",
    PromisePending => "promise_pending",
    CallbackScheduled => "callback_scheduled",
    ContactCap => "contact_cap",
    NoContactPoint => "no_contact_point",
    ProfileMissing => "profile_missing",
});

contract_enum!(Stage {
    Current => "current",
    PreDue => "pre_due",
    Early => "early",
    Mid => "mid",
    Late => "late",
    M2 => "m2",
    M3 => "m3",
    M4Plus => "m4_plus",
});

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

contract_enum!(Segment {
    WillingAble => "willing_able",
    WillingUnable => "willing_unable",
    UnwillingAble => "unwilling_able",
    UnwillingUnable => "unwilling_unable",
});

contract_enum!(Channel { Call => "call", Sms => "sms", Email => "email", Letter => "letter" });

contract_enum!(Party { Debtor => "debtor", ThirdParty => "third_party" });

contract_enum!(Disclosure { Full => "full", None => "none" });

contract_enum!(Strategy {
    Reminder => "reminder",
    Negotiate => "negotiate",
    PromiseFollowup => "promise_followup",
    HardshipPlan => "hardship_plan",
    FirmDemand => "firm_demand",
    Locate => "locate",
    ComplaintResolution => "complaint_resolution",
    LegalReview => "legal_review",
    Letter => "letter",
});

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
        MalformedJson => "malformed_json",
        TooLarge => "too_large",
        UnknownType => "unknown_type",
        MissingField => "missing_field",
        InvalidField => "invalid_field",
        KeyMismatch => "key_mismatch",
        UnknownReference => "unknown_reference",
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
