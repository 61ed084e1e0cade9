//! The paired oracle: it leaves the world exactly as it was; a contact that cannot change
//! anything is worth exactly nothing; in the calibrated model a text is worth far less than a
//! right-party conversation, and a conversation changes whether debtors pay, not only when.

use super::*;
use crate::tools::sim::paired::PairedOutcome;

#[test]
fn paired_value_leaves_the_world_unchanged() {
    for model in [ResponseModel::Legacy, ResponseModel::Calibrated] {
        let mut cfg = config(500, 20, 7, model);
        cfg.collections_book = true;
        let (mut a, mut b) = (World::new(&cfg), World::new(&cfg));
        let mut da = HouseDialer::new(cfg.calls_per_day(), cfg.seed);
        let mut db = HouseDialer::new(cfg.calls_per_day(), cfg.seed);
        assert!(step(&mut a, 0..10, &mut da) == step(&mut b, 0..10, &mut db));
        let mut plans: Vec<(usize, PlannedContact)> = Vec::new();
        let view = a.view_at(a.day_start(10));
        for acct in view.accounts() {
            for ch in [Channel::Call, Channel::Sms] {
                plans.extend(plan(&a, &acct, 10, ch).map(|p| (acct.index(), p)));
            }
        }
        drop(view);
        assert!(plans.len() > 900, "{} plans", plans.len());
        let mut moved = 0.0;
        for (i, p) in &plans {
            moved += a.paired_value(*i, p, 30, 2).gain().abs();
        }
        assert!(moved > 0.0, "{model:?}: no contact changed anything");
        assert_eq!(a.stats(), b.stats());
        assert_eq!(a.violations(), b.violations());
        let (sa, sb) = (a.shared(), b.shared());
        for (x, y) in sa.accounts.iter().zip(sb.accounts) {
            assert_eq!(
                (x.next_at, x.rng_steps, x.events, x.pay.map(|p| p.at)),
                (y.next_at, y.rng_steps, y.events, y.pay.map(|p| p.at))
            );
        }
        let (la, lb) = (step(&mut a, 10..20, &mut da), step(&mut b, 10..20, &mut db));
        assert!(la.len() > 10_000);
        assert!(la == lb, "{model:?}: the oracle changed what happens next");
        assert_eq!(a.stats(), b.stats());
        assert_eq!(a.violations(), b.violations());
    }
}

#[test]
fn a_contact_that_cannot_change_anything_is_worth_nothing() {
    // A full book worked hard for 60 days: some numbers found bad, some accounts closed, some
    // paid off (nothing owed when the contact is made).
    let mut cfg = config(2_500, 60, 3, ResponseModel::Calibrated);
    cfg.capacity = 0.25;
    let (_, world) = run_house(&cfg);
    let at = world.day_start(60);
    let week = jiff::SignedDuration::from_hours(8 * 24);
    let view = world.view_at(at);
    let (mut bad, mut closed, mut paid) = (0, 0, 0);
    for acct in view.accounts() {
        let Some(debtor) = acct.debtor_contact() else {
            continue;
        };
        // Nothing that could provoke the debtor: no hold, no recent calls, conversation or
        // promise, no do-not-call (the contact breaks no rule and is not over-contact).
        let quiet = !acct.on_hold()
            && !acct.cease_contact()
            && !debtor.do_not_call
            && acct.promise_due().is_none()
            && acct.calls_between(at - week, at) == 0
            && acct.last_right_party_at().is_none_or(|t| t < at - week);
        let kind = if acct.closed() {
            &mut closed
        } else if debtor.known_bad {
            &mut bad
        } else if plan(&world, &acct, 60, Channel::Call)
            .is_some_and(|p| paid_off(&world, acct.index(), p.at))
        {
            &mut paid
        } else {
            continue;
        };
        if !quiet {
            continue;
        }
        for channel in [Channel::Call, Channel::Sms] {
            let Some(p) = plan(&world, &acct, 60, channel) else {
                continue;
            };
            let v = world.paired_value(acct.index(), &p, 60, 4);
            assert_eq!(
                v.with_contact,
                v.without,
                "{} {channel:?}: a contact that cannot change anything",
                acct.account_id()
            );
        }
        *kind += 1;
    }
    assert!(
        bad >= 5 && closed >= 5 && paid >= 5,
        "too few cases: bad number {bad}, closed {closed}, paid off {paid}"
    );
}

/// Nothing owed at `at`: paid off, and nothing happens to the account before `at`.
fn paid_off(world: &World, i: usize, at: jiff::Timestamp) -> bool {
    let a = &world.shared().accounts[i];
    a.opened && a.closed.is_none() && a.ledger.owed() == 0 && a.next_at > at.as_second()
}

#[test]
fn a_plan_for_another_account_is_not_executed() {
    let cfg = config(50, 5, 2, ResponseModel::Calibrated);
    let world = World::new(&cfg);
    let view = world.view_at(world.day_start(0));
    let p = plan(&world, &view.account(1), 0, Channel::Call).expect("a debtor number");
    let v = world.paired_value(0, &p, 30, 4);
    assert_eq!(v.with_contact, v.without);
}

/// Per-account outcomes of a call and a text at 10:00 local on day 0 of a collections book.
fn day0_outcomes(
    model: ResponseModel,
    accounts: usize,
    horizon: u32,
) -> Vec<(PairedOutcome, PairedOutcome)> {
    let mut cfg = config(accounts, 1, 5, model);
    cfg.collections_book = true;
    let world = World::new(&cfg);
    let view = world.view_at(world.day_start(0));
    view.accounts()
        .filter_map(|acct| {
            let call = plan(&world, &acct, 0, Channel::Call)?;
            let text = plan(&world, &acct, 0, Channel::Sms)?;
            let i = acct.index();
            Some((
                world.paired_outcomes(i, &call, &[horizon], 8)[0],
                world.paired_outcomes(i, &text, &[horizon], 8)[0],
            ))
        })
        .collect()
}

#[test]
fn in_the_calibrated_model_texts_are_far_weaker_than_conversations() {
    let out = day0_outcomes(ResponseModel::Calibrated, 1_500, 30);
    let n = out.len() as f64;
    let rpc: u32 = out.iter().map(|(c, _)| c.right_party_replicates).sum();
    let per_rpc = out.iter().map(|(c, _)| c.right_party_gain).sum::<f64>() / f64::from(rpc);
    let per_call = out.iter().map(|(c, _)| c.value.gain()).sum::<f64>() / n;
    let per_text = out.iter().map(|(_, t)| t.value.gain()).sum::<f64>() / n;
    let paid = |o: &PairedOutcome| o.paid_with_contact - o.paid_without;
    let text_paid = out.iter().map(|(_, t)| paid(t)).sum::<f64>() / n;
    let rpc_paid = out
        .iter()
        .map(|(c, _)| c.right_party_paid_gain)
        .sum::<f64>()
        / f64::from(rpc);
    assert!(rpc > 1_000, "{rpc} right-party replicates");
    assert!(
        per_text < 0.25 * per_rpc && per_text < 0.5 * per_call,
        "text {per_text:.0} cents, call attempt {per_call:.0}, conversation {per_rpc:.0}"
    );
    assert!(
        text_paid < 0.25 * rpc_paid,
        "P(pay in 30 days): text {text_paid:.3}, conversation {rpc_paid:.3}"
    );
    assert!(per_text >= 0.0 && text_paid >= 0.0);
}

#[test]
fn a_calibrated_conversation_changes_whether_debtors_pay() {
    // Within 150 days, a legacy conversation mostly moves a payment earlier; a calibrated one
    // makes more debtors pay at all.
    let lift = |model| {
        let out = day0_outcomes(model, 1_200, 150);
        let rpc: u32 = out.iter().map(|(c, _)| c.right_party_replicates).sum();
        assert!(rpc > 800, "{model:?}: {rpc} right-party replicates");
        out.iter()
            .map(|(c, _)| c.right_party_paid_gain)
            .sum::<f64>()
            / f64::from(rpc)
    };
    let (legacy, calibrated) = (lift(ResponseModel::Legacy), lift(ResponseModel::Calibrated));
    assert!(
        calibrated > 0.07 && calibrated > legacy + 0.05,
        "P(pay in 150 days) per conversation: legacy {legacy:.3}, calibrated {calibrated:.3}"
    );
}
