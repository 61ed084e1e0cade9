//! Property 9: every profile's caps hold in any rolling window, counting every reported attempt.
//!
//! A dialer that executes each open call or SMS at max(not_before, now) never exceeds the case's
//! profile caps (`config/arrears.toml` `[profiles.*]`): call attempts and calls + texts in a rolling
//! 7 days (the hardship cap while in hardship), SMS in 7 days, connected calls per local day, and
//! the cool-down after a right-party conversation. Every reported attempt counts, including ones
//! under contact ids arrears does not know. Only the debtor's own, valid, unexpired callback
//! exempts a call from the 7-day caps and the cool-down, never from the daily connected cap or the
//! hardship cap. An account whose zone is unknown (`Factory`, `localtime` …) is never dialled.

use jiff::{SignedDuration, Timestamp, ToSpan};

use crate::adv_model::*;
use crate::driver::{local_midnight, Seen};

#[test]
fn every_profile_caps_hold_counting_every_attempt() {
    let seen = Seen::default();
    run_adv("profile caps", 256, false, |stream| {
        drive_adv(stream, false, &mut |o| {
            let Some(a) = dial(o.item) else {
                return Ok(());
            };
            let m = o.model;
            let pr = o.profile;
            let Some(tz) = m.tz.as_ref() else {
                return Err(format!(
                    "{} while the account's time zone is unknown (must fail closed)",
                    a.channel
                ));
            };
            let nb: Timestamp = a.not_before.parse().map_err(|e| format!("not_before: {e}"))?;
            let t = nb.max(o.now);
            let week = t - SignedDuration::from_secs(7 * DAY);
            let count = |f: &dyn Fn(&AAttempt) -> bool| {
                m.attempts.iter().filter(|x| x.at > week && x.at <= t && f(x)).count() as u32
            };
            let calls = count(&|x| x.channel == "call");
            let sms = count(&|x| x.channel == "sms");
            let unknown = count(&|x| x.listed.is_none() && matches!(x.channel.as_str(), "call" | "sms"));
            if unknown > 0 {
                seen.hit("checked with attempts under unknown ids in the window");
            }
            let to_debtor = a
                .contact_id
                .as_deref()
                .and_then(|c| m.contact(c))
                .is_some_and(|c| c.debtor);
            let exempt =
                pr.callback_exempt_from_caps && a.channel == "call" && to_debtor && m.callback_due(t);
            let hardship = m.hardship(t);
            let label = &pr.label;
            if a.channel == "sms" {
                seen.hit("sms checked");
                if pr.max_sms_7d > 0 && sms >= pr.max_sms_7d {
                    return Err(format!(
                        "{label}: an SMS at {t} would be SMS {} in 7 days (cap {})",
                        sms + 1,
                        pr.max_sms_7d
                    ));
                }
            } else {
                seen.hit("calls checked");
                let cap = if hardship && pr.hardship_max_call_attempts_7d > 0 {
                    pr.hardship_max_call_attempts_7d
                } else {
                    pr.max_call_attempts_7d
                };
                if cap > 0 && calls >= cap && (hardship || !exempt) {
                    return Err(format!(
                        "{label}: a call at {t} would be call attempt {} in the rolling 7 days \
                         (cap {cap}{}; {unknown} of them under unknown ids)",
                        calls + 1,
                        if hardship { ", hardship" } else { "" }
                    ));
                }
                if pr.cooldown_after_conversation_days > 0 && !exempt {
                    let last = m
                        .attempts
                        .iter()
                        .filter(|x| x.channel == "call" && x.outcome == "right_party" && x.at <= t)
                        .max_by_key(|x| x.at);
                    if let Some(c) = last {
                        let day1 = tz.to_datetime(c.at).date();
                        let free = day1
                            .checked_add(pr.cooldown_after_conversation_days.days())
                            .map(|d| local_midnight(d, tz));
                        if free.is_ok_and(|f| t < f) {
                            return Err(format!(
                                "{label}: a call at {t} is inside the cool-down after the \
                                 conversation at {} (local day 1 {day1})",
                                c.at
                            ));
                        }
                    }
                }
                if pr.max_connected_calls_per_day > 0 {
                    let today = tz.to_datetime(t).date();
                    let connected = count(&|x| {
                        x.channel == "call"
                            && matches!(x.outcome.as_str(), "right_party" | "third_party" | "refused")
                            && tz.to_datetime(x.at).date() == today
                    });
                    if connected >= pr.max_connected_calls_per_day {
                        return Err(format!(
                            "{label}: a call at {t} would be connected call {} of local day {today}",
                            connected + 1
                        ));
                    }
                }
            }
            if pr.max_contacts_7d > 0 && calls + sms >= pr.max_contacts_7d && (a.channel == "sms" || !exempt) {
                return Err(format!(
                    "{label}: a {} at {t} would be contact {} (calls + texts) in 7 days (cap {})",
                    a.channel,
                    calls + sms + 1,
                    pr.max_contacts_7d
                ));
            }
            Ok(())
        })
        .map(|_| ())
    });
    seen.print("profile caps");
}
