//! Property 8: do_not_call follows the number, in every profile.
//!
//! No open item dials or texts a number (normalised E.164) on which any listing has `do_not_call`
//! in force, whoever it is listed under (debtor, or a spouse sharing the debtor's number), however
//! often the contact list is re-keyed (same person, same number, new id).

use crate::adv_model::*;
use crate::driver::Seen;

fn normalise(phone: &str) -> String {
    phone
        .chars()
        .filter(|c| *c == '+' || c.is_ascii_digit())
        .collect()
}

#[test]
fn do_not_call_follows_the_number_in_every_profile() {
    let seen = Seen::default();
    run_adv("do_not_call by number", 192, false, |stream| {
        drive_adv(stream, false, &mut |o| {
            let Some(a) = dial(o.item) else {
                return Ok(());
            };
            let id = a
                .contact_id
                .as_deref()
                .ok_or("an open call or SMS without a contact")?;
            let c = o
                .model
                .contact(id)
                .ok_or_else(|| format!("{} to {id}, which is not a listed contact", a.channel))?;
            let number = normalise(&c.phone);
            if !o.model.dnc.is_empty() {
                seen.hit("dial checked with a do_not_call listing in force");
            }
            if let Some((by, _, at)) = o
                .model
                .dnc
                .iter()
                .find(|(_, p, _)| normalise(p) == number)
            {
                return Err(format!(
                    "{} to {id} ({number}) but that number is do_not_call (listed under {by}, set at {at})",
                    a.channel
                ));
            }
            if o.model.contacts.iter().filter(|x| normalise(&x.phone) == number).count() > 1 {
                seen.hit("dial to a shared number checked");
            }
            Ok(())
        })
        .map(|_| ())
    });
    seen.print("do_not_call by number");
}
