//! How the calibrated model weighs a new payment plan (a promise's, a reminder's) against the one
//! in force: the debtor's own better plan is never erased.

use super::*;
use crate::tools::sim::account::{Account, PayMode, PayPlan};
use crate::tools::sim::behaviour::Ctx;
use crate::tools::sim::rng::stream;
use crate::tools::sim::stats::SimStats;
use crate::tools::sim::violations::Violations;

/// Runs `f` on a processing step of a copy of a delinquent account of a fresh collections book.
fn with_ctx(f: impl FnOnce(&mut Ctx<'_>)) {
    let mut cfg = config(20, 1, 1, ResponseModel::Calibrated);
    cfg.collections_book = true;
    let world = World::new(&cfg);
    let sh = world.shared();
    let i = (0..20)
        .find(|&i| sh.accounts[i].ledger.to_cover(i32::MAX) > 0)
        .expect("a delinquent account");
    let mut acct: Account = sh.accounts[i].clone();
    acct.pay = None;
    acct.pay_next = None;
    let (mut stats, mut violations, mut out) = (SimStats::default(), Violations::default(), vec![]);
    let mut ctx = Ctx {
        idx: i,
        tr: &sh.traits[i],
        a: &mut acct,
        zones: sh.zones,
        cfg: sh.cfg,
        stats: &mut stats,
        violations: &mut violations,
        rules: sh.rules,
        out: &mut out,
        rng: stream(1, 99, 0, 0),
        mute: true,
    };
    f(&mut ctx);
}

const DAY: i64 = 86_400;

#[test]
fn a_later_promise_does_not_replace_the_debtors_earlier_cure() {
    with_ctx(|ctx| {
        let own = PayPlan {
            at: 10 * DAY,
            mode: PayMode::Cure,
        };
        ctx.a.pay = Some(own);
        // A broken promise's late partial payment, and a smaller reminder plan, both later.
        ctx.offer_plan(PayPlan {
            at: 20 * DAY,
            mode: PayMode::Fixed(100),
        });
        assert_eq!(ctx.a.pay.map(|p| p.at), Some(10 * DAY));
        assert!(matches!(ctx.a.pay.map(|p| p.mode), Some(PayMode::Cure)));
        assert!(
            ctx.a.pay_next.is_none(),
            "a smaller later plan adds nothing"
        );
    });
}

#[test]
fn an_earlier_smaller_plan_goes_first_and_the_own_plan_follows() {
    with_ctx(|ctx| {
        ctx.a.pay = Some(PayPlan {
            at: 10 * DAY,
            mode: PayMode::Cure,
        });
        ctx.offer_plan(PayPlan {
            at: 3 * DAY,
            mode: PayMode::Fixed(100),
        });
        assert_eq!(ctx.a.pay.map(|p| p.at), Some(3 * DAY));
        assert_eq!(ctx.a.pay_next.map(|p| p.at), Some(10 * DAY));
        // When the small one is paid, the cure comes back.
        ctx.a.pay = None;
        let next = ctx.a.pay_next.take().expect("a plan to follow");
        ctx.follow_plan(3 * DAY, next);
        assert_eq!(ctx.a.pay.map(|p| p.at), Some(10 * DAY));
    });
}

#[test]
fn an_earlier_plan_that_pays_as_much_replaces_the_own_plan() {
    with_ctx(|ctx| {
        let cover = ctx.a.ledger.to_cover(i32::MAX);
        ctx.a.pay = Some(PayPlan {
            at: 10 * DAY,
            mode: PayMode::Cure,
        });
        ctx.offer_plan(PayPlan {
            at: 3 * DAY,
            mode: PayMode::Fixed(cover),
        });
        assert_eq!(ctx.a.pay.map(|p| p.at), Some(3 * DAY));
        assert!(ctx.a.pay_next.is_none());
        // A later, bigger promise follows the earlier plan instead of being lost.
        ctx.offer_plan(PayPlan {
            at: 6 * DAY,
            mode: PayMode::Fixed(cover * 2),
        });
        assert_eq!(ctx.a.pay.map(|p| p.at), Some(3 * DAY));
        assert_eq!(ctx.a.pay_next.map(|p| p.at), Some(6 * DAY));
    });
}
