//! The next lawful window for a channel: calling hours in the debtor's zone (DST included),
//! rolling attempt caps, the cool-down after a conversation and the daily connected-call cap;
//! an open item in that window, a letter, or a `contact_cap` hold when it is too far away.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use crate::engine::account::AttemptRec;
use crate::engine::domain::*;
use crate::engine::events::Contact;
use crate::engine::features::local_midnight;
use crate::engine::settings::Profile;
use crate::engine::wake::sooner;
use crate::engine::workitem::Reason;

use super::decision::{Context, Decision, Plan, DAY};

pub(crate) fn local_at(date: Date, minutes: i32, tz: &TimeZone) -> Timestamp {
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
        match date.checked_add(1.day()) {
            Ok(next) => date = next,
            // The last representable day (unreachable with bounded inputs): no later window.
            Err(_) => return (Timestamp::MAX, Timestamp::MAX),
        }
    }
}

/// The instant at which a rolling-window cap of `cap` events in 7 days lets one more through.
/// `attempts` must be sorted by time; `counts` picks the attempts the cap applies to.
pub(crate) fn rolling_cap(
    attempts: &[AttemptRec],
    counts: impl Fn(AttemptChannel) -> bool,
    cap: u32,
    now: Timestamp,
) -> Option<Timestamp> {
    if cap == 0 {
        return None;
    }
    // Instants, not whole seconds: an attempt leaves the window exactly 7 days after it was made.
    let from = shift(now, -(7 * DAY));
    let mut n = 0;
    for a in attempts.iter().rev() {
        if a.at > now || !counts(a.channel) {
            continue;
        }
        if a.at <= from {
            break;
        }
        n += 1;
        if n == cap {
            // The cap-th newest attempt leaves the window 7 days after it was made.
            return Some(shift(a.at, 7 * DAY));
        }
    }
    None
}

pub(crate) struct Blocks {
    pub(crate) earliest: Timestamp,
    pub(crate) reasons: Vec<Reason>,
    /// The first instant a binding rule stops binding (its reason and maybe `earliest` change).
    pub(crate) changes_at: Option<Timestamp>,
}

impl Blocks {
    fn push(&mut self, until: Option<Timestamp>, reason: impl FnOnce(Timestamp) -> Reason) {
        if let Some(u) = until {
            self.reasons.push(reason(u));
            self.earliest = self.earliest.max(u);
            self.changes_at = sooner(self.changes_at, Some(u));
        }
    }
}

/// Frequency rules for one channel; returns the earliest lawful instant and the rules that bind.
pub(crate) fn frequency_blocks(
    c: &Context,
    tz: &TimeZone,
    channel: Channel,
    exempt: bool,
) -> Blocks {
    let p = c.profile;
    let mut b = Blocks {
        earliest: Timestamp::MIN,
        reasons: Vec::new(),
        changes_at: None,
    };
    if matches!(channel, Channel::Letter | Channel::Email) {
        return b;
    }
    // `exempt` (the debtor's own callback, where the profile allows it) lifts the 7-day caps and
    // the post-conversation lock for that one call; never the hardship or the daily
    // connected-call cap.
    let now = c.now;
    let attempts = &c.acc.attempts;
    let calls = |ch| ch == AttemptChannel::Call;
    let sms = |ch| ch == AttemptChannel::Sms;
    let calls_sms = |ch| matches!(ch, AttemptChannel::Call | AttemptChannel::Sms);
    if p.max_contacts_7d > 0 && !exempt {
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
    let mut cap = if exempt { 0 } else { p.max_call_attempts_7d };
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
    if p.cooldown_after_conversation_days > 0 && !exempt {
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

pub(crate) fn letter(
    c: &Context,
    tz: &TimeZone,
    strategy: Strategy,
    reasons: Vec<Reason>,
) -> Decision {
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
pub(crate) fn call_or_hold(
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
pub(crate) fn call_or_hold_from(
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
    let mut blocks = frequency_blocks(c, tz, channel, exempt);
    let earliest = blocks.earliest.max(not_before_floor);
    reasons.append(&mut blocks.reasons);
    let (nb, na) = calling_window(p, tz, c.now, earliest);
    let limit = shift(c.now, c.settings.raw.policy.hold_when_blocked_hours * 3600);
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
            wake_at: sooner(
                Some(shift(
                    nb,
                    -(c.settings.raw.policy.hold_when_blocked_hours * 3600),
                )),
                blocks.changes_at,
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
        wake_at: sooner(Some(if nb > c.now { nb } else { na }), blocks.changes_at),
    }
}
