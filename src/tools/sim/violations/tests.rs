//! The audit flags a hand-made violation of each rule (per channel where the rule applies) and
//! nothing for a lawful schedule, under each shipped profile.

use super::{Contact, Rules, Violations};
use crate::tools::sim::account::{Account, ContactState, Flag, PromiseState};
use crate::tools::sim::calendar::{DAY, HOUR};
use crate::tools::sim::channel::Channel;
use crate::tools::sim::traits::Role;

const PROFILES: [&str; 5] = ["strict", "us_reg_f", "us_ma", "cn_nifa", "uk_conc"];
const D: i32 = 20_000;
const DEBTOR: usize = 0;
const SPOUSE: usize = 1;
const FRIEND: usize = 2;

fn rules(name: &str) -> Rules {
    Rules::shipped(name).expect("a shipped profile")
}

fn person(role: Role, consent: bool, number: u8) -> ContactState {
    ContactState {
        role,
        consent,
        informed: false,
        active: true,
        wrong: false,
        invalid: false,
        dnc: false,
        known_bad: false,
        number,
    }
}

/// An open account: the debtor (number 1), a consenting spouse (2), a friend without consent (3).
fn account() -> Account {
    let mut a = Account::new(0);
    a.opened = true;
    a.contacts = vec![
        person(Role::Debtor, true, 1),
        person(Role::Spouse, true, 2),
        person(Role::Relative, false, 3),
    ];
    a
}

/// A contact on local day `day` at `hour` (local time = UTC here), 30 days past due.
fn at(channel: Channel, contact: Option<usize>, day: i32, hour: f64) -> Contact {
    let sod = (hour * HOUR as f64) as u32;
    Contact {
        channel,
        contact,
        disclose_debt: false,
        at: i64::from(day) * DAY + i64::from(sod),
        local_day: day,
        local_sod: sod,
        dpd: 30,
    }
}

fn call(day: i32, hour: f64) -> Contact {
    at(Channel::Call, Some(DEBTOR), day, hour)
}

fn text(day: i32, hour: f64) -> Contact {
    at(Channel::Sms, Some(DEBTOR), day, hour)
}

fn letter(day: i32) -> Contact {
    at(Channel::Letter, None, day, 11.0)
}

/// Judges `k` under `profile` and returns the counts it added.
fn judge(profile: &str, a: &Account, k: Contact) -> Violations {
    let mut v = Violations::default();
    v.judge(&rules(profile), a, &k);
    v
}

/// Judges and executes (records) `k`.
fn run(r: &Rules, a: &mut Account, v: &mut Violations, k: Contact) {
    v.judge(r, a, &k);
    match k.channel {
        Channel::Call => a.record_call(k.at),
        Channel::Sms => a.record_text(k.at),
        Channel::Letter => {}
    }
    if let Some(c) = k.contact.filter(|&c| a.contacts[c].role != Role::Debtor) {
        a.record_third_party(c);
    }
}

/// Debtor unreachable: no conversation ever and five failed calls.
fn unreachable(a: &mut Account) {
    a.failed_since_rpc = 5;
}

#[test]
fn a_lawful_schedule_is_clean_under_every_profile() {
    for p in PROFILES {
        let r = rules(p);
        let mut a = account();
        let mut v = Violations::default();
        for week in 0..4 {
            let d = D + 7 * week;
            run(&r, &mut a, &mut v, call(d, 10.0));
            run(&r, &mut a, &mut v, text(d + 3, 14.0));
            run(&r, &mut a, &mut v, letter(d + 5));
        }
        // A conversation, then nothing until the cool-down is over.
        a.last_rpc_at = i64::from(D + 28) * DAY + 10 * HOUR;
        a.last_rpc_day = D + 28;
        run(&r, &mut a, &mut v, text(D + 30, 9.0));
        run(&r, &mut a, &mut v, call(D + 35, 20.5));
        // Unreachable again: one attempt to locate through a consenting third party.
        a.last_rpc_at = i64::from(D + 35) * DAY;
        a.last_rpc_day = D + 35;
        a.failed_since_rpc = 5;
        if r.third_parties != super::ThirdParties::Never {
            run(
                &r,
                &mut a,
                &mut v,
                at(Channel::Call, Some(SPOUSE), D + 50, 10.0),
            );
        }
        assert!(v.is_clean(), "{p}: {v}");
    }
}

#[test]
fn calling_hours_per_profile_on_calls_and_texts() {
    let a = account();
    for p in PROFILES {
        assert_eq!(judge(p, &a, call(D, 3.0)).outside_hours, 1, "{p}");
        assert_eq!(judge(p, &a, text(D, 22.5)).outside_hours, 1, "{p}");
        assert_eq!(judge(p, &a, letter(D)).outside_hours, 0, "{p}");
    }
    assert_eq!(judge("strict", &a, call(D, 21.5)).outside_hours, 1);
    assert!(judge("cn_nifa", &a, call(D, 21.5)).is_clean());
}

#[test]
fn rolling_seven_day_caps() {
    let mut a = account();
    for k in 0..7 {
        a.record_call(i64::from(D - 6 + k) * DAY + 10 * HOUR);
    }
    assert_eq!(judge("strict", &a, call(D, 15.0)).over_frequency, 1);
    assert_eq!(judge("cn_nifa", &a, call(D, 15.0)).over_frequency, 0);
    // us_ma: two calls or texts per 7 days.
    let mut a = account();
    a.record_call(i64::from(D - 3) * DAY);
    a.record_text(i64::from(D - 2) * DAY);
    let v = judge("us_ma", &a, text(D, 15.0));
    assert_eq!((v.over_contacts, v.over_sms), (1, 0), "{v}");
    let v = judge("us_ma", &a, call(D, 15.0));
    assert_eq!((v.over_contacts, v.over_frequency), (1, 0), "{v}");
    // SMS cap.
    let mut a = account();
    for k in 0..3 {
        a.record_text(i64::from(D - 3 + k) * DAY);
    }
    assert_eq!(judge("strict", &a, text(D, 15.0)).over_sms, 1);
    assert_eq!(judge("cn_nifa", &a, text(D, 15.0)).over_sms, 0);
}

#[test]
fn cool_down_after_a_conversation_and_the_debtors_callback() {
    let mut a = account();
    a.last_rpc_at = i64::from(D - 2) * DAY + 10 * HOUR;
    a.last_rpc_day = D - 2;
    assert_eq!(judge("strict", &a, call(D, 15.0)).after_conversation, 1);
    assert!(judge("strict", &a, text(D, 15.0)).is_clean());
    assert!(judge("cn_nifa", &a, call(D, 15.0)).is_clean());
    assert!(judge("strict", &a, call(D + 5, 10.0)).is_clean());
    // The debtor asked to be called back: that call is exempt...
    a.callback_at = i64::from(D) * DAY + 14 * HOUR;
    assert!(judge("strict", &a, call(D, 15.0)).is_clean());
    // ...not before the requested time, not to a third party, and not once expired.
    assert_eq!(judge("strict", &a, call(D, 13.0)).after_conversation, 1);
    unreachable(&mut a);
    let tp = at(Channel::Call, Some(SPOUSE), D, 15.0);
    assert_eq!(judge("strict", &a, tp).after_conversation, 1);
    a.callback_at = i64::from(D - 8) * DAY + 14 * HOUR;
    a.last_rpc_at = i64::from(D - 8) * DAY + 10 * HOUR;
    a.last_rpc_day = D - 8;
    for k in 0..7 {
        a.record_call(i64::from(D - 6 + k) * DAY);
    }
    assert_eq!(judge("strict", &a, call(D, 15.0)).over_frequency, 1);
}

#[test]
fn daily_connected_calls_and_hardship_caps_hold_even_for_a_callback() {
    let mut a = account();
    for _ in 0..3 {
        a.record_connected(D);
    }
    a.callback_at = i64::from(D) * DAY + 9 * HOUR;
    for p in ["strict", "cn_nifa"] {
        assert_eq!(judge(p, &a, call(D, 15.0)).over_connected_daily, 1, "{p}");
        assert!(judge(p, &a, call(D + 1, 15.0)).is_clean(), "{p}");
    }
    assert!(judge("us_reg_f", &a, call(D, 15.0)).is_clean());
    let mut a = account();
    a.flags |= Flag::Hardship.bit();
    a.record_call(i64::from(D - 3) * DAY);
    a.record_call(i64::from(D - 2) * DAY);
    a.callback_at = i64::from(D) * DAY + 9 * HOUR;
    assert_eq!(judge("strict", &a, call(D, 15.0)).over_hardship, 1);
    assert!(judge("us_reg_f", &a, call(D, 15.0)).is_clean());
    assert_eq!(judge("us_ma", &a, call(D, 15.0)).over_hardship, 1);
}

#[test]
fn holds_cease_contact_and_pending_promises() {
    let mut a = account();
    a.flags |= Flag::Dispute.bit();
    for k in [call(D, 10.0), text(D, 10.0), letter(D)] {
        assert_eq!(judge("uk_conc", &a, k).during_hold, 1, "{:?}", k.channel);
    }
    let mut a = account();
    a.flags |= Flag::CeaseContact.bit();
    assert_eq!(judge("strict", &a, call(D, 10.0)).cease_contact, 1);
    assert_eq!(judge("strict", &a, text(D, 10.0)).cease_contact, 1);
    assert!(judge("strict", &a, letter(D)).is_clean());
    let mut a = account();
    a.promise = Some(PromiseState {
        amount: 1_000,
        made_at: 0,
        deadline: i64::from(D + 4) * DAY,
        paid: 0,
    });
    a.promise_due = Some(D + 2);
    for p in PROFILES {
        assert_eq!(judge(p, &a, call(D, 10.0)).promise_pending, 1, "{p}");
        assert_eq!(judge(p, &a, text(D + 1, 10.0)).promise_pending, 1, "{p}");
        assert!(judge(p, &a, text(D + 2, 10.0)).is_clean(), "{p}");
    }
}

#[test]
fn do_not_call_follows_the_number() {
    for p in PROFILES {
        let mut a = account();
        a.contacts[DEBTOR].dnc = true;
        assert_eq!(judge(p, &a, call(D, 10.0)).do_not_call, 1, "{p}");
        assert_eq!(judge(p, &a, text(D, 10.0)).do_not_call, 1, "{p}");
        // Re-keyed: the same number listed again under a new id.
        let mut again = a.contacts[DEBTOR];
        again.dnc = false;
        a.contacts[DEBTOR].active = false;
        a.contacts.push(again);
        let k = at(Channel::Call, Some(3), D, 10.0);
        assert_eq!(judge(p, &a, k).do_not_call, 1, "{p}");
        // A spouse sharing the debtor's number.
        a.contacts[SPOUSE].number = 1;
        unreachable(&mut a);
        let k = at(Channel::Sms, Some(SPOUSE), D, 10.0);
        assert_eq!(judge(p, &a, k).do_not_call, 1, "{p}");
    }
}

#[test]
fn third_parties() {
    let mut a = account();
    unreachable(&mut a);
    let spouse = |ch| at(ch, Some(SPOUSE), D, 10.0);
    for ch in [Channel::Call, Channel::Sms] {
        assert_eq!(judge("cn_nifa", &a, spouse(ch)).third_party_not_allowed, 1);
        for p in ["strict", "us_reg_f", "us_ma", "uk_conc"] {
            assert!(judge(p, &a, spouse(ch)).is_clean(), "{p}");
            let friend = at(ch, Some(FRIEND), D, 10.0);
            let v = judge(p, &a, friend).third_party_without_consent;
            assert_eq!(v, u64::from(matches!(p, "strict" | "uk_conc")), "{p}");
            let mut k = spouse(ch);
            k.disclose_debt = true;
            assert_eq!(judge(p, &a, k).third_party_disclosure, 1, "{p}");
            k = spouse(ch);
            k.dpd = 3;
            assert_eq!(judge(p, &a, k).third_party_not_locating, 1, "{p}");
            let mut reached = a.clone();
            reached.last_rpc_at = i64::from(D - 3) * DAY;
            reached.last_rpc_day = D - 3;
            assert_eq!(judge(p, &reached, spouse(ch)).third_party_not_locating, 1);
            let mut few = a.clone();
            few.failed_since_rpc = 4;
            assert_eq!(judge(p, &few, spouse(ch)).third_party_not_locating, 1);
            // Once per person: by number, whatever the contact id.
            let mut twice = a.clone();
            twice.record_third_party(SPOUSE);
            assert_eq!(judge(p, &twice, spouse(ch)).third_party_repeated, 1, "{p}");
            let mut again = twice.contacts[SPOUSE];
            twice.contacts[SPOUSE].active = false;
            again.active = true;
            twice.contacts.push(again);
            let k = at(ch, Some(3), D, 10.0);
            assert_eq!(judge(p, &twice, k).third_party_repeated, 1, "{p}");
        }
    }
}
