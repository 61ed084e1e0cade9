//! Property 1: calls and texts only in local calling hours.

use crate::driver::*;

/// 1. Calling hours: an open call/SMS item's window starts within 08:00–21:00 local (the account's
///    current zone, DST included), ends after it starts, no later than 21:00 local the same local
///    day, and has not already ended when the item is read (`as_of`, or the later clock at which
///    the pipeline re-evaluated it without a change).
#[test]
fn calls_and_texts_only_in_local_calling_hours() {
    let seen = Seen::default();
    run_property("calling hours", 256, |stream| {
        drive(stream, &mut |o| {
            let Some(a) = is_call_or_sms(o.item) else {
                return Ok(());
            };
            seen.hit(if a.channel == "call" {
                "call windows"
            } else {
                "sms windows"
            });
            let tz = o
                .model
                .tz
                .as_ref()
                .ok_or("open call/sms item but the account has no time zone")?;
            let (nb, na, as_of) = action_times(o.item)?;
            let now = as_of.max(o.now);
            let lnb = nb.to_zoned(tz.clone());
            let minute = lnb.hour() as i32 * 60 + lnb.minute() as i32;
            if !(8 * 60..21 * 60).contains(&minute) {
                return Err(format!(
                    "not_before {nb} is {lnb} local: outside 08:00-21:00"
                ));
            }
            if na <= nb {
                return Err(format!("not_after {na} is not after not_before {nb}"));
            }
            let close = lnb
                .date()
                .at(21, 0, 0, 0)
                .to_zoned(tz.clone())
                .unwrap()
                .timestamp();
            if na > close {
                return Err(format!(
                    "not_after {na} ({} local) is after 21:00 local of the window's day ({close})",
                    na.to_zoned(tz.clone())
                ));
            }
            if na <= now {
                return Err(format!(
                    "window ends at {na}, before the clock {now} (as_of {as_of}): not the next window"
                ));
            }
            if lnb.date() != tz.to_datetime(now).date() {
                seen.hit("windows on a later local day");
            }
            Ok(())
        })
        .map(|_| ())
    });
    seen.print("calling hours");
}
