//! The contact policy and routing: holds and special accounts, segment → strategy (one tone step
//! at a time), whom to contact through which channel, and the next lawful window under the
//! account's jurisdiction profile (calling hours in the debtor's zone with DST, attempt caps over
//! rolling windows, cool-down after a conversation, daily connected-call caps, third parties only
//! to locate, with consent and no disclosure).
//!
//! Pure: account state, features, scores and the clock in; a [`Decision`] out. Every reason it
//! gives cites the rule id it applied. What this module refuses is not configurable: disclosure
//! to third parties, contact while a hold is in force, dialling do-not-call numbers, any channel
//! but letters under cease-contact, contact when the time zone is unknown.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp, ToSpan};

use crate::engine::account::{Account, AttemptRec};
use crate::engine::domain::*;
use crate::engine::events::Contact;
use crate::engine::features::{local_midnight, Features};
use crate::engine::settings::{Profile, Settings, ThirdParties};
use crate::engine::workitem::Reason;

/// Rule ids that hold in every profile.
pub mod always {
    pub const FAIL_CLOSED: &str = "always.fail_closed";
    pub const HOLD: &str = "always.hold_in_force";
    pub const CEASE_CONTACT: &str = "always.cease_contact_letters_only";
    pub const DO_NOT_CALL: &str = "always.do_not_call";
    pub const NO_DISCLOSURE: &str = "always.no_third_party_disclosure";
    pub const PROMISE: &str = "always.promise_pending_no_contact";
    pub const CALLBACK: &str = "always.callback_at_requested_time";
}

/// What to do with an account now.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub status: Status,
    pub hold: Option<HoldReason>,
    pub action: Option<Plan>,
    pub reasons: Vec<Reason>,
    /// When the decision may change with no event (hold ends, window opens, promise falls due).
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

const DAY: i64 = 86_400;

fn hold_code(h: HoldReason) -> &'static str {
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

fn held(hold: HoldReason, reason: Reason, wake_at: Option<Timestamp>) -> Decision {
    Decision {
        status: Status::Held,
        hold: Some(hold),
        action: None,
        reasons: vec![reason],
        wake_at,
    }
}

fn local_at(date: Date, minutes: i32, tz: &TimeZone) -> Timestamp {
    if minutes >= 1440 {
        return local_midnight(date.checked_add(1.day()).unwrap_or(date), tz);
    }
    date.at((minutes / 60) as i8, (minutes % 60) as i8, 0, 0)
        .to_zoned(tz.clone())
        .map(|z| z.timestamp())
        .unwrap_or_else(|_| local_midnight(date, tz))
}

/// The next window of local calling hours at or after `max(now, earliest)`:
/// `[max(day start, earliest), day end)`. Stable while `now` moves inside one window.
pub fn calling_window(
    profile: &Profile,
    tz: &TimeZone,
    now: Timestamp,
    earliest: Timestamp,
) -> (Timestamp, Timestamp) {
    let t = now.max(earliest);
    let mut date = tz.to_datetime(t).date();
    loop {
        let start = local_at(date, profile.calling_start_min, tz);
        let end = local_at(date, profile.calling_end_min, tz);
        if end > t {
            return (start.max(earliest), end);
        }
        date = date.checked_add(1.day()).expect("dates stay in range");
    }
}

/// The instant at which a rolling-window cap of `cap` events in 7 days lets one more through.
/// `attempts` must be sorted by time; `counts` picks the attempts the cap applies to.
fn rolling_cap(
    attempts: &[AttemptRec],
    counts: impl Fn(AttemptChannel) -> bool,
    cap: u32,
    now: Timestamp,
) -> Option<Timestamp> {
    if cap == 0 {
        return None;
    }
    let from = now.as_second() - 7 * DAY;
    let mut n = 0;
    for a in attempts.iter().rev() {
        let t = a.at.as_second();
        if t > now.as_second() || !counts(a.channel) {
            continue;
        }
        if t <= from {
            break;
        }
        n += 1;
        if n == cap {
            // The cap-th newest attempt leaves the window 7 days after it was made.
            return Some(a.at + Span::new().seconds(7 * DAY));
        }
    }
    None
}

struct Blocks {
    earliest: Timestamp,
    reasons: Vec<Reason>,
}

impl Blocks {
    fn push(&mut self, until: Option<Timestamp>, reason: impl FnOnce(Timestamp) -> Reason) {
        if let Some(u) = until {
            self.reasons.push(reason(u));
            self.earliest = self.earliest.max(u);
        }
    }
}

/// Frequency rules for one channel; returns the earliest lawful instant and the rules that bind.
fn frequency_blocks(c: &Context, tz: &TimeZone, channel: Channel, exempt: bool) -> Blocks {
    let p = c.profile;
    let mut b = Blocks {
        earliest: Timestamp::MIN,
        reasons: Vec::new(),
    };
    if exempt || matches!(channel, Channel::Letter | Channel::Email) {
        return b;
    }
    let now = c.now;
    let attempts = &c.acc.attempts;
    let calls = |ch| ch == AttemptChannel::Call;
    let sms = |ch| ch == AttemptChannel::Sms;
    let calls_sms = |ch| matches!(ch, AttemptChannel::Call | AttemptChannel::Sms);
    if p.max_contacts_7d > 0 {
        b.push(
            rolling_cap(attempts, calls_sms, p.max_contacts_7d, now),
            |u| {
                Reason::new(
                    "CONTACT_CAP",
                    crate::detail!(
                        "{} calls and texts in 7 days; next lawful at {}",
                        p.max_contacts_7d,
                        u
                    ),
                    0.4,
                )
                .rule(p.rule("max_contacts_7d"))
            },
        );
    }
    if channel == Channel::Sms {
        b.push(rolling_cap(attempts, sms, p.max_sms_7d, now), |u| {
            Reason::new(
                "SMS_CAP",
                crate::detail!("{} texts in 7 days; next lawful at {}", p.max_sms_7d, u),
                0.4,
            )
            .rule(p.rule("max_sms_7d"))
        });
        return b;
    }
    let mut cap = p.max_call_attempts_7d;
    if c.f.hardship && p.hardship_max_call_attempts_7d > 0 {
        cap = if cap == 0 {
            p.hardship_max_call_attempts_7d
        } else {
            cap.min(p.hardship_max_call_attempts_7d)
        };
    }
    b.push(rolling_cap(attempts, calls, cap, now), |u| {
        Reason::new(
            "ATTEMPT_CAP",
            crate::detail!("{} call attempts in 7 days; next lawful at {}", cap, u),
            0.4,
        )
        .rule(p.rule("max_call_attempts_7d"))
    });
    if p.cooldown_after_conversation_days > 0 {
        let last_conversation = c
            .acc
            .attempts
            .iter()
            .rev()
            .find(|a| a.channel == AttemptChannel::Call && a.outcome == Outcome::RightParty)
            .map(|a| a.at);
        if let Some(at) = last_conversation {
            let day1 = tz.to_datetime(at).date();
            let free = local_midnight(
                day1.checked_add(p.cooldown_after_conversation_days.days())
                    .unwrap_or(day1),
                tz,
            );
            b.push((free > now).then_some(free), |u| {
                Reason::new(
                    "COOL_DOWN",
                    crate::detail!(
                        "no call for {} days after the conversation of {}; calls lawful again from {}",
                        p.cooldown_after_conversation_days,
                        day1,
                        u
                    ),
                    0.45,
                )
                .rule(p.rule("cooldown_after_conversation"))
            });
        }
    }
    if p.max_connected_calls_per_day > 0 {
        let today = c.f.today;
        let connected = c
            .acc
            .attempts
            .iter()
            .filter(|a| {
                a.channel == AttemptChannel::Call && a.outcome.connected() && a.local_date == today
            })
            .count() as u32;
        if connected >= p.max_connected_calls_per_day {
            let tomorrow = local_midnight(today.checked_add(1.day()).unwrap_or(today), tz);
            b.push(Some(tomorrow), |u| {
                Reason::new(
                    "CONNECTED_CAP",
                    crate::detail!("{} connected calls today; next lawful at {}", connected, u),
                    0.4,
                )
                .rule(p.rule("max_connected_calls_per_day"))
            });
        }
    }
    b
}

fn usable<'a>(c: &Context, contacts: &'a [Contact], debtor: bool) -> Vec<&'a Contact> {
    contacts
        .iter()
        .filter(|x| (x.role == Role::Debtor) == debtor && c.acc.number_usable(&x.contact_id))
        .collect()
}

/// A third party who may be called to locate the debtor, if the profile and stage allow one.
fn locate_target<'a>(c: &Context, contacts: &'a [Contact]) -> Option<&'a Contact> {
    let p = c.profile;
    if p.third_parties == ThirdParties::Never || c.f.stage < p.third_party_from_stage {
        return None;
    }
    usable(c, contacts, false).into_iter().find(|x| {
        let consent_ok = p.third_parties == ThirdParties::Locate || x.consent_to_contact;
        let tried = c
            .acc
            .attempts
            .iter()
            .filter(|a| a.contact_id.as_deref() == Some(x.contact_id.as_str()))
            .count() as u32;
        consent_ok && tried < p.third_party_attempts_per_person
    })
}

fn hold_for_flags(c: &Context) -> Option<Decision> {
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
                let end = set + Span::new().seconds(max * DAY);
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

/// The debtor strategy for a segment and stage, before the tone ladder is applied.
fn segment_strategy(c: &Context, unreachable: bool) -> Strategy {
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
fn tone_ladder(acc: &Account, s: Strategy) -> (Strategy, Option<Reason>) {
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

/// Decides status, hold, action and window for an account at `c.now`.
pub fn decide(c: &Context) -> Decision {
    let acc = c.acc;
    if let Some(r) = acc.closed {
        return Decision {
            status: Status::Closed,
            hold: None,
            action: None,
            reasons: vec![Reason::new(
                "ACCOUNT_CLOSED",
                crate::detail!("closed: {}", r.as_str()),
                10.0,
            )],
            wake_at: None,
        };
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
            return held(HoldReason::ProfileMissing, r, None);
        }
    };
    if let Some(d) = hold_for_flags(c) {
        return d;
    }
    let f = c.f;
    if f.stage == Stage::Current {
        return Decision {
            status: Status::Closed,
            hold: None,
            action: None,
            reasons: vec![Reason::new(
                "NOTHING_DUE",
                "nothing overdue and nothing due within 3 days",
                10.0,
            )],
            wake_at: None,
        };
    }
    let p = c.profile;
    let mut reasons = Vec::new();
    let contacts = acc.profile.contacts();
    let dnc = contacts
        .iter()
        .filter(|x| !acc.number_usable(&x.contact_id))
        .count();
    if acc
        .do_not_call
        .iter()
        .any(|d| contacts.iter().any(|x| &x.contact_id == d))
    {
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
        return letter(c, &tz, Strategy::Letter, reasons);
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
            return held(HoldReason::PromisePending, r, Some(wake));
        }
        strategy_override = Some(Strategy::PromiseFollowup);
    }

    // A requested callback: held until its time, then a call at that time (calling hours apply).
    let mut callback = None;
    if let Some(cb) = acc.callback_at {
        if cb > c.now {
            let r = Reason::new(
                "CALLBACK_SCHEDULED",
                crate::detail!("debtor asked to be called at {}", cb),
                10.0,
            )
            .always(always::CALLBACK);
            return held(HoldReason::CallbackScheduled, r, Some(cb));
        }
        callback = Some(cb);
    }

    let debtor_numbers = usable(c, contacts, true);
    let no_rpc_days = f
        .last_rpc
        .map_or(i64::MAX, |t| (c.now.as_second() - t.as_second()) / DAY);
    let pol = &c.settings.raw.policy;
    let unreachable = debtor_numbers.is_empty()
        || (no_rpc_days >= pol.locate_after_days_without_contact
            && f.failed_since_rpc >= pol.locate_min_failed_attempts);

    if unreachable && strategy_override.is_none() && callback.is_none() {
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

fn letter(c: &Context, tz: &TimeZone, strategy: Strategy, reasons: Vec<Reason>) -> Decision {
    if !c.settings.raw.policy.letters_enabled {
        let mut reasons = reasons;
        reasons.push(Reason::new(
            "NO_CONTACT_POINT",
            "no lawful channel: letters are disabled",
            10.0,
        ));
        return Decision {
            status: Status::Held,
            hold: Some(HoldReason::NoContactPoint),
            action: None,
            reasons,
            wake_at: None,
        };
    }
    let (nb, na) = calling_window(c.profile, tz, c.now, Timestamp::MIN);
    Decision {
        status: Status::Open,
        hold: None,
        action: Some(Plan {
            channel: Channel::Letter,
            contact_id: None,
            party: Party::Debtor,
            strategy,
            not_before: nb,
            not_after: na,
        }),
        reasons,
        wake_at: Some(na),
    }
}

#[allow(clippy::too_many_arguments)]
fn call_or_hold(
    c: &Context,
    tz: &TimeZone,
    channel: Channel,
    target: &Contact,
    party: Party,
    strategy: Strategy,
    exempt: bool,
    reasons: Vec<Reason>,
) -> Decision {
    call_or_hold_from(
        c,
        tz,
        channel,
        target,
        party,
        strategy,
        exempt,
        reasons,
        Timestamp::MIN,
    )
}

/// Builds an open item in the next lawful window, or a `contact_cap` hold when that window is
/// further away than `policy.hold_when_blocked_hours`.
#[allow(clippy::too_many_arguments)]
fn call_or_hold_from(
    c: &Context,
    tz: &TimeZone,
    channel: Channel,
    target: &Contact,
    party: Party,
    strategy: Strategy,
    exempt: bool,
    mut reasons: Vec<Reason>,
    not_before_floor: Timestamp,
) -> Decision {
    let p = c.profile;
    let blocks = frequency_blocks(c, tz, channel, exempt);
    let earliest = blocks.earliest.max(not_before_floor);
    reasons.extend(blocks.reasons);
    let (nb, na) = calling_window(p, tz, c.now, earliest);
    let limit = c.now + Span::new().seconds(c.settings.raw.policy.hold_when_blocked_hours * 3600);
    if nb > limit {
        reasons.push(Reason::new(
            "CONTACT_CAP",
            crate::detail!(
                "contact-frequency rules allow the next {} at {}",
                channel.as_str(),
                nb
            ),
            9.0,
        ));
        return Decision {
            status: Status::Held,
            hold: Some(HoldReason::ContactCap),
            action: None,
            reasons,
            wake_at: Some(
                nb - Span::new().seconds(c.settings.raw.policy.hold_when_blocked_hours * 3600),
            ),
        };
    }
    reasons.push(
        Reason::new(
            "CALLING_HOURS",
            crate::detail!("window inside {} local time", p.calling_hours.clone()),
            0.01,
        )
        .rule(p.rule("calling_hours")),
    );
    Decision {
        status: Status::Open,
        hold: None,
        action: Some(Plan {
            channel,
            contact_id: Some(target.contact_id.clone()),
            party,
            strategy,
            not_before: nb,
            not_after: na,
        }),
        reasons,
        wake_at: Some(if nb > c.now { nb } else { na }),
    }
}

#[cfg(test)]
mod tests;
