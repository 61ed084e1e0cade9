//! Property 10: no third-party call or text while the debtor is reachable, in every profile.
//!
//! The debtor is reachable at the moment of the contact (max(not_before, now)) when there was a
//! right-party contact within `locate_after_days_without_contact` days (14), or, with a usable
//! debtor number, fewer than `locate_min_failed_attempts` (5) failed calls since the last one
//! (`[policy]` in `config/arrears.toml`). Every reported call counts, under unknown ids too. A
//! "third-party call" is one with party `third_party` or to a listing that is not the debtor's;
//! a profile with `third_parties = "never"` (cn_nifa) never makes one.

use arrears::engine::settings::{Settings, ThirdParties};
use jiff::{SignedDuration, Timestamp};

use crate::adv_model::*;
use crate::driver::Seen;

fn reachable(m: &AModel, t: Timestamp, days: i64, min_failed: usize) -> Option<String> {
    let last_rpc = m
        .attempts
        .iter()
        .filter(|x| x.channel == "call" && x.outcome == "right_party" && x.at <= t)
        .map(|x| x.at)
        .max();
    if let Some(r) = last_rpc {
        if t.duration_since(r) < SignedDuration::from_secs(days * DAY) {
            return Some(format!("right-party contact at {r}, within {days} days"));
        }
    }
    let usable = m.contacts.iter().any(|c| {
        c.debtor
            && !m.dnc_number(&c.phone)
            && !m.bad.iter().any(|(id, p)| *id == c.id && *p == c.phone)
    });
    if !usable {
        return None;
    }
    let failed = m
        .attempts
        .iter()
        .filter(|x| {
            x.channel == "call"
                && x.at <= t
                && last_rpc.is_none_or(|r| x.at > r)
                && !matches!(x.outcome.as_str(), "right_party" | "refused")
        })
        .count();
    (failed < min_failed).then(|| {
        format!("a usable debtor number and only {failed} failed calls since the last right-party contact")
    })
}

#[test]
fn no_third_party_contact_while_the_debtor_is_reachable() {
    let seen = Seen::default();
    let raw = Settings::defaults().raw;
    let days = raw.policy.locate_after_days_without_contact;
    let min_failed = raw.policy.locate_min_failed_attempts as usize;
    run_adv("third party while reachable", 256, false, |stream| {
        drive_adv(stream, false, &mut |o| {
            let Some(a) = dial(o.item) else {
                return Ok(());
            };
            let listing = a.contact_id.as_deref().and_then(|c| o.model.contact(c));
            let third = a.party == "third_party" || listing.is_some_and(|c| !c.debtor);
            if !third {
                seen.hit("debtor contacts");
                return Ok(());
            }
            seen.hit("third-party contacts checked");
            if o.profile.third_parties == ThirdParties::Never {
                return Err(format!(
                    "{}: third parties are never contacted, but {} {:?}",
                    o.profile.label, a.channel, a.contact_id
                ));
            }
            let nb: Timestamp = a
                .not_before
                .parse()
                .map_err(|e| format!("not_before: {e}"))?;
            let t = nb.max(o.now);
            if let Some(why) = reachable(o.model, t, days, min_failed) {
                return Err(format!(
                    "{}: third-party {} to {:?} at {t} while the debtor is reachable: {why}",
                    o.profile.label, a.channel, a.contact_id
                ));
            }
            Ok(())
        })
        .map(|_| ())
    });
    seen.print("third party while reachable");
}
