//! The checks that end a decision before routing: closed accounts, a missing profile (fail
//! closed), hold flags, nothing due, cease-contact, a promise pending and a callback not yet due.

use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::engine::domain::*;
use crate::engine::features::local_midnight;
use crate::engine::workitem::Reason;

use super::always;
use super::decision::{held, hold_code, Context, Decision, DAY};
use super::window::letter;

pub(crate) fn hold_for_flags(c: &Context) -> Option<Decision> {
    let acc = c.acc;
    let checks = [
        (Flag::DeceasedVerified, HoldReason::Deceased),
        (Flag::DeceasedReported, HoldReason::Deceased),
        (Flag::Bankruptcy, HoldReason::Bankruptcy),
        (Flag::Fraud, HoldReason::Fraud),
        (Flag::LegalHold, HoldReason::LegalHold),
        (Flag::BreathingSpace, HoldReason::BreathingSpace),
        (Flag::Dispute, HoldReason::Dispute),
        (Flag::Complaint, HoldReason::Complaint),
    ];
    for (flag, hold) in checks {
        if !acc.has(flag) {
            continue;
        }
        let mut wake = None;
        if flag == Flag::BreathingSpace {
            let max = c.settings.raw.policy.breathing_space_max_days;
            if let Some(set) = acc.breathing_space_since {
                let end = shift(set, max * DAY);
                if end <= c.now {
                    continue;
                }
                wake = Some(end);
            }
        }
        let reason = Reason::new(
            hold_code(hold),
            crate::detail!("{} in force: no contact of any kind", flag.as_str()),
            10.0,
        )
        .always(always::HOLD);
        return Some(held(hold, reason, wake));
    }
    None
}
/// Days after the requested time an unanswered callback stops counting.
pub const CALLBACK_EXPIRY_DAYS: i64 = 7;

/// What the holds leave for routing: the account may be contacted, with these facts.
pub struct Gate {
    /// The account's time zone, known once the holds pass (fail closed otherwise).
    pub tz: TimeZone,
    /// Reasons gathered so far (do-not-call), strongest last as pushed.
    pub reasons: Vec<Reason>,
    /// A promise fell due: the strategy is its follow-up.
    pub strategy_override: Option<Strategy>,
    /// A callback the debtor requested, due now.
    pub callback: Option<Timestamp>,
    /// When what the gate let through changes by the clock (the due callback expires).
    pub wake_at: Option<Timestamp>,
}

/// The checks that may end the decision before routing, in their order: closed, profile missing
/// (fail closed), hold flags, nothing due, cease-contact (letters only), a promise pending, a
/// callback not yet due. `Err` is the final decision; `Ok` hands routing what it needs.
pub fn gate(c: &Context) -> Result<Gate, Decision> {
    let acc = c.acc;
    if let Some(r) = acc.closed {
        return Err(Decision {
            status: Status::Closed,
            hold: None,
            action: None,
            reasons: vec![Reason::new(
                "ACCOUNT_CLOSED",
                crate::detail!("closed: {}", r.as_str()),
                10.0,
            )],
            wake_at: None,
        });
    }
    let tz = match (acc.profile.opened, acc.profile.timezone()) {
        (true, Some(tz)) => tz.clone(),
        _ => {
            let r = Reason::new(
                "PROFILE_MISSING",
                "no account_opened yet: time zone and contacts unknown, so no contact",
                10.0,
            )
            .always(always::FAIL_CLOSED);
            return Err(held(HoldReason::ProfileMissing, r, None));
        }
    };
    if let Some(d) = hold_for_flags(c) {
        return Err(d);
    }
    let f = c.f;
    if f.stage == Stage::Current {
        return Err(Decision {
            status: Status::Closed,
            hold: None,
            action: None,
            reasons: vec![Reason::new(
                "NOTHING_DUE",
                "nothing overdue and nothing due within 3 days",
                10.0,
            )],
            wake_at: None,
        });
    }
    let mut reasons = Vec::new();
    let contacts = acc.profile.contacts();
    if contacts.iter().any(|x| {
        acc.do_not_call.contains(&x.contact_id)
            || acc.dnc_numbers.contains(&normalise_phone(&x.phone))
    }) {
        reasons.push(
            Reason::new(
                "DO_NOT_CALL",
                "a number on do-not-call is never dialled",
                0.1,
            )
            .always(always::DO_NOT_CALL),
        );
    }

    if acc.has(Flag::CeaseContact) {
        reasons.push(
            Reason::new(
                "CEASE_CONTACT",
                "debtor asked to cease contact: letters only",
                5.0,
            )
            .always(always::CEASE_CONTACT),
        );
        return Err(letter(c, &tz, Strategy::Letter, reasons));
    }

    // A pending promise: no contact until its due date, then a follow-up.
    let mut strategy_override = None;
    if let Some(pr) = &f.promise {
        if f.today < pr.due_date {
            let wake = local_midnight(pr.due_date, &tz);
            let r = Reason::new(
                "PROMISE_PENDING",
                crate::detail!(
                    "promise of {} due {}; paid {} so far",
                    pr.amount,
                    pr.due_date,
                    pr.paid
                ),
                10.0,
            )
            .always(always::PROMISE);
            return Err(held(HoldReason::PromisePending, r, Some(wake)));
        }
        strategy_override = Some(Strategy::PromiseFollowup);
    }

    // A requested callback: held until its time, then a call at that time (calling hours apply).
    let mut callback = None;
    // An unused callback expires CALLBACK_EXPIRY_DAYS after the requested time.
    if let Some(cb) = acc
        .callback_at
        .filter(|cb| c.now < shift(*cb, CALLBACK_EXPIRY_DAYS * DAY))
    {
        if cb > c.now {
            let r = Reason::new(
                "CALLBACK_SCHEDULED",
                crate::detail!("debtor asked to be called at {}", cb),
                10.0,
            )
            .always(always::CALLBACK);
            return Err(held(HoldReason::CallbackScheduled, r, Some(cb)));
        }
        callback = Some(cb);
    }
    let wake_at = callback.map(|cb| shift(cb, CALLBACK_EXPIRY_DAYS * DAY));

    Ok(Gate {
        tz,
        reasons,
        strategy_override,
        callback,
        wake_at,
    })
}
