//! Property 7: calls stay within the strict profile's contact caps.

use jiff::{SignedDuration, ToSpan};

use crate::{driver::*, vocab::*};

/// 7. Contact caps (strict profile): a dialer that acts as early as the item allows
///    (max(not_before, now), now being the clock at which the item is read) never makes the 7th call attempt in a rolling 7 days (the 3rd while
///    in hardship), never calls in the 7 local days after a right-party conversation (its date
///    being day 1), never makes a 4th connected call in a local day, and never sends a 4th SMS in
///    7 days. A due callback the debtor requested (unused for at most 7 days) is exempt from the
///    7-day attempt cap and the cool-down (`callback_exempt_from_caps`), never from the hardship
///    cap or the daily connected-call cap.
#[test]
fn calls_stay_within_strict_caps() {
    let seen = Seen::default();
    run_property("caps", 256, |stream| {
        drive(stream, &mut |o| {
            let Some(a) = is_call_or_sms(o.item) else {
                return Ok(());
            };
            let m = o.model;
            let callback_due = m
                .callback
                .is_some_and(|cb| cb <= o.now && o.now < cb + SignedDuration::from_secs(7 * DAY));
            let tz = m.tz.as_ref().ok_or("no time zone")?;
            let (nb, _, as_of) = action_times(o.item)?;
            let t = nb.max(as_of).max(o.now);
            let week = t - SignedDuration::from_secs(7 * DAY);
            let in_week = |ch: &str| {
                m.attempts
                    .iter()
                    .filter(|x| x.channel == ch && x.at > week && x.at <= t)
                    .count()
            };
            if a.channel == "sms" {
                seen.hit("sms checked");
                let n = in_week("sms");
                if n >= 3 {
                    return Err(format!(
                        "an SMS at {t} would be SMS {} in 7 days (cap 3)",
                        n + 1
                    ));
                }
                return Ok(());
            }
            seen.hit("calls checked");
            let n = in_week("call");
            let hardship = m.hardship(o.now);
            if callback_due {
                seen.hit("callback due: only the hardship and connected-call caps apply");
            }
            let cap = match (hardship, callback_due) {
                (true, _) => 2,
                (false, true) => usize::MAX,
                (false, false) => 7,
            };
            if hardship {
                seen.hit("calls checked in hardship");
            }
            if n + 1 == cap {
                seen.hit("calls checked at the last allowed attempt");
            }
            if n >= cap {
                return Err(format!(
                    "a call at {t} would be attempt {} in the rolling 7 days (cap {cap}{})",
                    n + 1,
                    if hardship { ", hardship" } else { "" }
                ));
            }
            let conversation = m
                .attempts
                .iter()
                .rev()
                .find(|x| x.channel == "call" && x.outcome == "right_party");
            if let Some(c) = conversation.filter(|_| !callback_due) {
                let day1 = tz.to_datetime(c.at).date();
                let free = local_midnight(day1 + 7.days(), tz);
                if t < free {
                    return Err(format!(
                        "a call at {t} is inside the cool-down after the conversation at {} \
                         (local day 1 {day1}); lawful from {free}",
                        c.at
                    ));
                }
            }
            let today = tz.to_datetime(t).date();
            let connected = m
                .attempts
                .iter()
                .filter(|x| {
                    x.channel == "call"
                        && matches!(
                            x.outcome.as_str(),
                            "right_party" | "third_party" | "refused"
                        )
                        && tz.to_datetime(x.at).date() == today
                })
                .count();
            if connected >= 3 {
                return Err(format!(
                    "a call at {t} would be connected call {} of local day {today}",
                    connected + 1
                ));
            }
            Ok(())
        })
        .map(|_| ())
    });
    seen.print("caps");
}
