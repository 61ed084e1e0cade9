//! Property 3: third parties are never told and only located with consent.

use crate::driver::*;

/// 3. Third parties: disclosure follows the party (debtor: full; third party: none); a debtor-party
///    action targets a debtor number; a third party is only a consenting contact, only to locate
///    an unreachable debtor, never in pre_due or early, and at most once per person.
#[test]
fn third_parties_are_never_told_and_only_located_with_consent() {
    let seen = Seen::default();
    run_property("third parties", 256, |stream| {
        drive(stream, &mut |o| {
            let Some(a) = &o.item.action else {
                return Ok(());
            };
            let m = o.model;
            match a.party.as_str() {
                "debtor" => {
                    if a.disclosure != "full" {
                        return Err(format!("debtor action with disclosure {}", a.disclosure));
                    }
                    if let Some(c) = a.contact_id.as_deref().and_then(|c| m.contact(c)) {
                        if !c.debtor {
                            return Err(format!(
                                "party debtor (full disclosure) but contact {} is a third party",
                                c.id
                            ));
                        }
                    }
                }
                "third_party" => {
                    seen.hit("third-party actions");
                    if a.disclosure != "none" {
                        return Err(format!(
                            "third-party action with disclosure {}",
                            a.disclosure
                        ));
                    }
                    let id = a
                        .contact_id
                        .as_deref()
                        .ok_or("third-party action without a contact")?;
                    let c = m
                        .contact(id)
                        .ok_or_else(|| format!("{id} is not a listed contact"))?;
                    if c.debtor {
                        return Err(format!("party third_party but {id} is a debtor number"));
                    }
                    if !c.consent {
                        return Err(format!("third party {id} has consent_to_contact false"));
                    }
                    if matches!(o.item.stage.as_str(), "pre_due" | "early" | "current") {
                        return Err(format!("third party contacted in stage {}", o.item.stage));
                    }
                    if a.strategy != "locate" {
                        return Err(format!("third party given strategy {}", a.strategy));
                    }
                    if !m.unreachable(o.now) {
                        return Err("third party contacted while the debtor is reachable".into());
                    }
                    let before = m
                        .attempts
                        .iter()
                        .filter(|x| x.contact.as_deref() == Some(id))
                        .count();
                    if before >= 1 {
                        return Err(format!(
                            "third party {id} already attempted {before} time(s)"
                        ));
                    }
                }
                other => return Err(format!("party {other:?} is not in the contract")),
            }
            Ok(())
        })
        .map(|_| ())
    });
    seen.print("third parties");
}
