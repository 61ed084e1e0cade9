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
    /// `open`, `held` or `closed`.
    pub status: Status,
    /// Why the account is held; `None` unless `held`.
    pub hold: Option<HoldReason>,
    /// The recommended contact; `None` unless `open`.
    pub action: Option<Plan>,
    /// The policy's reasons, each citing the rule it applied.
    pub reasons: Vec<Reason>,
    /// The earliest instant after the clock at which the decision may change with no event (a hold
    /// ends, a window opens or closes, a cap frees up, a callback expires); `evaluate` brings it
    /// forward to every clock edge of the item (`engine::wake`).
    pub wake_at: Option<Timestamp>,
}

/// The recommended contact, before ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// How to contact.
    pub channel: Channel,
    /// The contact to call or text; `None` for a letter.
    pub contact_id: Option<String>,
    /// The debtor, or a third party to locate the debtor.
    pub party: Party,
    /// What the contact sets out to do.
    pub strategy: Strategy,
    /// Start of the next window in which every rule allows the contact (UTC).
    pub not_before: Timestamp,
    /// End of that window (UTC).
    pub not_after: Timestamp,
}

impl Plan {
    /// What the action may reveal: `full` to the debtor, `none` to a third party.
    pub fn disclosure(&self) -> Disclosure {
        match self.party {
            Party::Debtor => Disclosure::Full,
            Party::ThirdParty => Disclosure::None,
        }
    }
}

/// Everything `decide` reads.
pub struct Context<'a> {
    /// The account's ledger.
    pub acc: &'a Account,
    /// Its features at `now`.
    pub f: &'a Features,
    /// Its willingness × ability segment.
    pub segment: Segment,
    /// The validated settings.
    pub settings: &'a Settings,
    /// The contact-policy profile of the account's portfolio.
    pub profile: &'a Profile,
    /// The clock the decision is made at (UTC).
    pub now: Timestamp,
    /// In the experiment's randomised holdout today: no outbound call (texts, letters, callbacks,
    /// hardship and complaint follow-ups still go).
    pub holdout: bool,
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
