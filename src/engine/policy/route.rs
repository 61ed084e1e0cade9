//! Routing: whom to contact through which channel with which strategy. The unreachable test and
//! third parties (locate only, with consent, never disclosed), segment → strategy, the tone
//! ladder, callbacks and promise follow-ups.

use crate::engine::account::Account;
use crate::engine::domain::*;
use crate::engine::events::Contact;
use crate::engine::settings::ThirdParties;
use crate::engine::wake::Wake;
use crate::engine::workitem::Reason;

use super::always;
use super::decision::{Context, Decision, DAY};
use super::holds::Gate;
use super::window::{call_or_hold, call_or_hold_from, frequency_blocks, letter};

pub(crate) fn usable<'a>(c: &Context, contacts: &'a [Contact], debtor: bool) -> Vec<&'a Contact> {
    contacts
        .iter()
        .filter(|x| (x.role == Role::Debtor) == debtor && c.acc.number_usable(&x.contact_id))
        .collect()
}

/// A third party who may be called to locate the debtor, if the profile and stage allow one.
pub(crate) fn locate_target<'a>(c: &Context, contacts: &'a [Contact]) -> Option<&'a Contact> {
    let p = c.profile;
    if p.third_parties == ThirdParties::Never || c.f.stage < p.third_party_from_stage {
        return None;
    }
    usable(c, contacts, false).into_iter().find(|x| {
        let consent_ok = p.third_parties == ThirdParties::Locate || x.consent_to_contact;
        // Once per person: attempts follow the number (and the id), whatever the list's keys.
        let number = normalise_phone(&x.phone);
        let tried = c
            .acc
            .attempts
            .iter()
            .filter(|a| {
                a.phone.as_deref() == Some(number.as_str())
                    || a.contact_id.as_deref() == Some(x.contact_id.as_str())
                    // An attempt under an id no listing had may have reached this person: it
                    // counts for every third party (fail closed).
                    || (a.phone.is_none()
                        && a.contact_id.is_some()
                        && matches!(a.channel, AttemptChannel::Call | AttemptChannel::Sms))
            })
            .count() as u32;
        consent_ok && tried < p.third_party_attempts_per_person
    })
}

/// The debtor strategy for a segment and stage, before the tone ladder is applied.
pub(crate) fn segment_strategy(c: &Context, unreachable: bool) -> Strategy {
    let f = c.f;
    let stage = f.stage;
    if c.acc.complaint_resolution_due {
        return Strategy::ComplaintResolution;
    }
    if f.hardship {
        return Strategy::HardshipPlan;
    }
    if stage == Stage::PreDue {
        return Strategy::Reminder;
    }
    let legal_stage = stage >= c.settings.legal_review_from_stage;
    match c.segment {
        Segment::WillingAble if stage == Stage::Early => Strategy::Reminder,
        Segment::WillingAble => Strategy::Negotiate,
        Segment::WillingUnable => Strategy::HardshipPlan,
        Segment::UnwillingAble if legal_stage => Strategy::LegalReview,
        Segment::UnwillingAble => Strategy::FirmDemand,
        Segment::UnwillingUnable => {
            let big = (f.overdue as f64 * c.settings.fx(c.acc.profile.currency()))
                >= c.settings.raw.policy.legal_review_min_overdue as f64;
            if !unreachable && legal_stage && big {
                Strategy::LegalReview
            } else {
                Strategy::Letter
            }
        }
    }
}

/// Keeps tone to one step above the highest tone already used with the debtor.
pub(crate) fn tone_ladder(acc: &Account, s: Strategy) -> (Strategy, Option<Reason>) {
    let Some(t) = s.tone() else { return (s, None) };
    let max = acc.tone_used.map_or(0, |u| u + 1);
    if t <= max {
        return (s, None);
    }
    let step = Strategy::at_tone(max);
    let why = Reason::new(
        "TONE_STEP",
        crate::detail!(
            "{} deferred: tone rises one step at a time, next is {}",
            s.as_str(),
            step.as_str()
        ),
        0.2,
    );
    (step, Some(why))
}
/// Routing once the holds have passed: the unreachable test and third parties (locate only),
/// the debtor's number, strategy and channel, callbacks and promise follow-ups; then the next
/// lawful window for that contact. The decision wakes at the first clock edge of any of them.
pub fn route(c: &Context, gate: Gate) -> Decision {
    let mut wake = Wake::new(c.now);
    wake.maybe(gate.wake_at);
    let mut d = route_gated(c, gate, &mut wake);
    wake.maybe(d.wake_at);
    d.wake_at = wake.get();
    d
}

/// The smallest distance from the last conversation, in whole seconds, at which the
/// truncated day count `(now − last) / 1 day` reaches `days`.
fn unreachable_after(days: i64) -> i64 {
    if days >= 1 {
        days.saturating_mul(DAY)
    } else {
        days.saturating_sub(1).saturating_mul(DAY).saturating_add(1)
    }
}

fn route_gated(c: &Context, gate: Gate, wake: &mut Wake) -> Decision {
    let Gate {
        tz,
        mut reasons,
        strategy_override,
        callback,
        wake_at: _,
    } = gate;
    let acc = c.acc;
    let f = c.f;
    let p = c.profile;
    let contacts = acc.profile.contacts();
    let dnc = contacts
        .iter()
        .filter(|x| !acc.number_usable(&x.contact_id))
        .count();
    let debtor_numbers = usable(c, contacts, true);
    let no_rpc_days = f
        .last_rpc
        .map_or(i64::MAX, |t| (c.now.as_second() - t.as_second()) / DAY);
    let pol = &c.settings.raw.policy;
    // The unreachable test holds on every path: having no usable debtor number is not enough.
    let unreachable = no_rpc_days >= pol.locate_after_days_without_contact
        && f.failed_since_rpc >= pol.locate_min_failed_attempts;
    if let (false, true, Some(t)) = (
        unreachable,
        f.failed_since_rpc >= pol.locate_min_failed_attempts,
        f.last_rpc,
    ) {
        // The debtor becomes unreachable by the clock alone.
        let d = unreachable_after(pol.locate_after_days_without_contact);
        wake.second(t.as_second().saturating_add(d));
    }

    if unreachable && strategy_override.is_none() && callback.is_none() && !c.holdout {
        if let Some(tp) = locate_target(c, contacts) {
            reasons.push(
                Reason::new(
                    "THIRD_PARTY_LOCATE",
                    crate::detail!(
                        "debtor unreachable ({} failed calls since the last conversation); locate only, the debt is never disclosed",
                        f.failed_since_rpc
                    ),
                    0.6,
                )
                .rule(p.rule("third_parties")),
            );
            reasons.push(
                Reason::new(
                    "NO_DISCLOSURE",
                    "third party: locate only, never asked to pay",
                    0.05,
                )
                .always(always::NO_DISCLOSURE),
            );
            return call_or_hold(
                c,
                &tz,
                Channel::Call,
                tp,
                Party::ThirdParty,
                Strategy::Locate,
                false,
                reasons,
            );
        }
    }
    if debtor_numbers.is_empty() {
        let detail = if dnc > 0 {
            "no debtor number may be dialled (do-not-call or found bad)"
        } else {
            "no usable debtor number"
        };
        reasons.push(Reason::new("NO_USABLE_NUMBER", detail, 0.5));
        return letter(c, &tz, Strategy::Letter, reasons);
    }
    let target = debtor_numbers[0];

    let (strategy, channel) = if let Some(s) = strategy_override {
        (s, Channel::Call)
    } else {
        let mut s = segment_strategy(c, unreachable);
        if s == Strategy::Letter && callback.is_some() {
            // The debtor asked for a call: it is made, in the tone the ladder allows.
            s = Strategy::Negotiate;
        }
        let (s, why) = tone_ladder(acc, s);
        reasons.extend(why);
        if s == Strategy::Letter {
            return letter(c, &tz, Strategy::Letter, reasons);
        }
        let ch = if f.stage == Stage::PreDue && callback.is_none() {
            Channel::Sms
        } else {
            Channel::Call
        };
        (s, ch)
    };

    let exempt = matches!(
        strategy,
        Strategy::HardshipPlan | Strategy::ComplaintResolution
    );
    if c.holdout && callback.is_none() && !exempt && channel == Channel::Call {
        // Only the decision to call is randomised: the account gets the cheaper contact instead.
        reasons.push(Reason::new(
            "HOLDOUT",
            "in today's randomised holdout: no call; a text instead",
            3.0,
        ));
        return call_or_hold(
            c,
            &tz,
            Channel::Sms,
            target,
            Party::Debtor,
            strategy,
            false,
            reasons,
        );
    }
    if let Some(cb) = callback {
        reasons.push(
            Reason::new(
                "CALLBACK_DUE",
                crate::detail!("debtor asked to be called at {}", cb),
                2.0,
            )
            .always(always::CALLBACK),
        );
        let exempt = p.callback_exempt_from_caps;
        return call_or_hold_from(
            c,
            &tz,
            channel,
            target,
            Party::Debtor,
            strategy,
            exempt,
            reasons,
            cb,
        );
    }
    if strategy == Strategy::PromiseFollowup {
        // A follow-up inside the cool-down goes by SMS instead of a call.
        let b = frequency_blocks(c, &tz, Channel::Call, false);
        wake.maybe(b.changes_at);
        if b.earliest > c.now {
            reasons.push(Reason::new(
                "FOLLOWUP_BY_SMS",
                "calls are not lawful yet; the promise follow-up goes by SMS",
                0.3,
            ));
            return call_or_hold(
                c,
                &tz,
                Channel::Sms,
                target,
                Party::Debtor,
                strategy,
                false,
                reasons,
            );
        }
    }
    call_or_hold(
        c,
        &tz,
        channel,
        target,
        Party::Debtor,
        strategy,
        false,
        reasons,
    )
}
