//! What the policy decides ([`Decision`], with its [`Plan`]) and everything it reads ([`Context`]).

use jiff::Timestamp;

use crate::engine::account::Account;
use crate::engine::domain::*;
use crate::engine::features::Features;
use crate::engine::settings::{Profile, Settings};
use crate::engine::workitem::Reason;

/// What to do with an account now.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub status: Status,
    pub hold: Option<HoldReason>,
    pub action: Option<Plan>,
    pub reasons: Vec<Reason>,
    /// The earliest instant after the clock at which the decision may change with no event (a hold
    /// ends, a window opens or closes, a cap frees up, a callback expires); `evaluate` brings it
    /// forward to every clock edge of the item (`engine::wake`).
    pub wake_at: Option<Timestamp>,
}

/// The recommended contact, before ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub channel: Channel,
    pub contact_id: Option<String>,
    pub party: Party,
    pub strategy: Strategy,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
}

impl Plan {
    pub fn disclosure(&self) -> Disclosure {
        match self.party {
            Party::Debtor => Disclosure::Full,
            Party::ThirdParty => Disclosure::None,
        }
    }
}

/// Everything `decide` reads.
pub struct Context<'a> {
    pub acc: &'a Account,
    pub f: &'a Features,
    pub segment: Segment,
    pub settings: &'a Settings,
    pub profile: &'a Profile,
    pub now: Timestamp,
}

pub(crate) const DAY: i64 = 86_400;

pub(crate) fn hold_code(h: HoldReason) -> &'static str {
    match h {
        HoldReason::Deceased => "HOLD_DECEASED",
        HoldReason::Dispute => "HOLD_DISPUTE",
        HoldReason::Complaint => "HOLD_COMPLAINT",
        HoldReason::Bankruptcy => "HOLD_BANKRUPTCY",
        HoldReason::Fraud => "HOLD_FRAUD",
        HoldReason::LegalHold => "HOLD_LEGAL_HOLD",
        HoldReason::BreathingSpace => "HOLD_BREATHING_SPACE",
        HoldReason::PromisePending => "HOLD_PROMISE_PENDING",
        HoldReason::CallbackScheduled => "HOLD_CALLBACK_SCHEDULED",
        HoldReason::ContactCap => "HOLD_CONTACT_CAP",
        HoldReason::NoContactPoint => "HOLD_NO_CONTACT_POINT",
        HoldReason::ProfileMissing => "HOLD_PROFILE_MISSING",
    }
}

pub(crate) fn held(hold: HoldReason, reason: Reason, wake_at: Option<Timestamp>) -> Decision {
    Decision {
        status: Status::Held,
        hold: Some(hold),
        action: None,
        reasons: vec![reason],
        wake_at,
    }
}
