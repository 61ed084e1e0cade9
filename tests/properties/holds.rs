//! Property 2: holds, cease_contact and do-not-call.

use crate::driver::*;

/// 2. Holds: a held (or closed) item has no action and an open one has one; no account with a hold
///    flag in force is ever open; cease_contact leaves letters only; a do-not-call contact is never
///    the target; an account whose profile has not arrived is held with `profile_missing`; a target
///    is always a listed contact.
#[test]
fn holds_cease_contact_and_do_not_call() {
    let seen = Seen::default();
    run_property("holds", 256, |stream| {
        drive(stream, &mut |o| {
            let item = o.item;
            let m = o.model;
            if item.status != "open" && item.action.is_some() {
                return Err(format!("status {} with an action", item.status));
            }
            if item.status == "open" && item.action.is_none() {
                return Err("open with no action".into());
            }
            if !m.opened && !m.closed {
                seen.hit("before account_opened");
                if item.status != "held" || item.hold_reason.as_deref() != Some("profile_missing") {
                    return Err(format!(
                        "no account_opened yet, but status {} hold {:?}",
                        item.status, item.hold_reason
                    ));
                }
            }
            if let Some(flag) = m.hold_in_force(o.now) {
                seen.hit("hold flag in force");
                if item.status == "open" {
                    return Err(format!("{flag} in force but the item is open"));
                }
            }
            let Some(a) = &item.action else { return Ok(()) };
            if m.flags.contains_key("cease_contact") {
                seen.hit("cease_contact, open");
                if a.channel != "letter" {
                    return Err(format!("cease_contact in force but channel {}", a.channel));
                }
            }
            if let Some(c) = &a.contact_id {
                if m.dnc.contains(c) {
                    return Err(format!(
                        "contact {c} is on do-not-call but is the action's target"
                    ));
                }
                if m.contact(c).is_none() {
                    return Err(format!(
                        "contact {c} is not a listed contact of the account"
                    ));
                }
            }
            if !m.dnc.is_empty() {
                seen.hit("open with a do_not_call number");
            }
            Ok(())
        })
        .map(|_| ())
    });
    seen.print("holds");
}
