//! Priority: expected recovery over the next 30 days from willingness, ability and the amount at
//! stake, adjusted for urgency (promise due today, payday soon, a stage about to roll, fresh
//! delinquency, a promise just broken) and divided by the expected effort to reach the party.
//! Also the score-driver explanations. Pure.

use jiff::Timestamp;

use crate::engine::domain::*;
use crate::engine::features::{Features, F, FEATURES};
use crate::engine::policy::Plan;
use crate::engine::scoring::{Scorer, Scores};
use crate::engine::settings::Settings;
use crate::engine::workitem::{Arg, Reason};

/// Priority and expected recovery of an open plan, with the reasons behind them.
pub struct Ranked {
    /// Priority (≥ 0, higher called first): urgency-adjusted expected recovery per unit of effort.
    pub priority: f64,
    /// Expected amount collected in the next 30 days if the contact is made, in minor units.
    pub expected_recovery: Money,
    /// The reasons behind the priority and the expected recovery.
    pub reasons: Vec<Reason>,
    /// When the ranking changes by the clock alone beyond what the features show (a broken
    /// promise stops being recent).
    pub wake_at: Option<Timestamp>,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The amount at stake: what is overdue, or the minimum about to fall due.
pub fn amount_at_stake(f: &Features) -> Money {
    if f.overdue > 0 {
        f.overdue
    } else {
        f.pre_due_amount
    }
}

/// Probability of a payment in the horizon, from the two scores.
pub fn pay_probability(s: &Scores, settings: &Settings) -> f64 {
    let floor = settings.raw.ranking.ability_floor;
    s.willingness.get() * (floor + (1.0 - floor) * s.ability.get())
}

/// Prices an open plan: expected recovery, urgency multipliers and effort, with their reasons.
pub fn rank(f: &Features, s: &Scores, plan: &Plan, currency: &str, settings: &Settings) -> Ranked {
    let r = &settings.raw.ranking;
    let mut reasons = Vec::new();
    let amount = amount_at_stake(f);
    let p_pay = pay_probability(s, settings);
    let recoverability = 0.5f64.powf(f.dpd as f64 / r.recovery_half_life_days);
    let expected = p_pay * amount as f64 * recoverability;
    let expected_recovery = expected.round() as Money;

    let mut urgency = 1.0;
    if plan.strategy == Strategy::PromiseFollowup {
        if let Some(pr) = f.promise.as_ref().filter(|pr| pr.due_date == f.today) {
            urgency *= r.promise_due_today;
            reasons.push(Reason::new(
                "PROMISE_DUE_TODAY",
                crate::detail!(
                    "promise of {} due today; {} paid so far",
                    pr.amount,
                    pr.paid
                ),
                3.0 * r.promise_due_today,
            ));
        } else {
            reasons.push(Reason::new(
                "PROMISE_FOLLOWUP",
                "promise due date reached, not yet kept",
                2.5,
            ));
        }
    }
    if let Some(d) = f.days_to_payday.filter(|d| *d <= r.payday_soon_days) {
        urgency *= r.payday_soon;
        reasons.push(Reason::new(
            "PAYDAY_SOON",
            crate::detail!("payday in {} days", d),
            2.0 * r.payday_soon,
        ));
    }
    if f.dpd > 0 {
        if let Some(next) = f.stage.next_boundary() {
            let left = next - f.dpd;
            if left <= r.stage_roll_days {
                urgency *= r.stage_roll;
                reasons.push(Reason::new(
                    "STAGE_ROLL_SOON",
                    crate::detail!(
                        "{} rolls to the next stage in {} days",
                        f.stage.as_str(),
                        left
                    ),
                    2.0 * r.stage_roll,
                ));
            }
        }
        if f.dpd <= r.fresh_delinquency_max_dpd {
            urgency *= r.fresh_delinquency;
            reasons.push(Reason::new(
                "FRESH_DELINQUENCY",
                crate::detail!("{} days past due: early contact cures best", f.dpd),
                2.0 * r.fresh_delinquency,
            ));
        }
    }
    let mut wake_at = None;
    if f.broken_90d > 0 {
        let window = r.broken_promise_recent_days * 86_400;
        let recent = f
            .last_broken_deadline
            .is_some_and(|d| (f.now.as_second() - d.as_second()) <= window);
        if let (true, Some(d)) = (recent, f.last_broken_deadline) {
            wake_at = Timestamp::from_second(d.as_second().saturating_add(window + 1)).ok();
        }
        if recent {
            urgency *= r.broken_promise;
        }
        reasons.push(Reason::new(
            "BROKEN_PROMISE",
            crate::detail!("{} broken in 90 days", f.broken_90d),
            if recent { 2.0 * r.broken_promise } else { 1.0 },
        ));
    }
    let rpc_rate = f.vector[F::RpcRate30d as usize];
    let mut reach = rpc_rate.max(r.min_reach_probability);
    if plan.party == Party::ThirdParty {
        reach /= r.third_party_effort;
    }
    if rpc_rate < 0.15 {
        reasons.push(Reason::new(
            "HARD_TO_REACH",
            crate::detail!("right-party rate {} over 30 days", Arg::Pct(rpc_rate)),
            1.0,
        ));
    }
    let mut priority = expected * settings.fx(currency) / 100.0 * urgency * reach;
    if plan.channel == Channel::Letter {
        priority *= r.letter_weight;
    }
    reasons.push(Reason::new(
        "EXPECTED_RECOVERY",
        crate::detail!(
            "{} of {} expected in 30 days (P(pay) {})",
            expected_recovery,
            amount,
            Arg::Num((p_pay * 100.0).round() / 100.0)
        ),
        1.5,
    ));
    Ranked {
        priority: round2(priority.max(0.0)),
        expected_recovery,
        reasons,
        wake_at,
    }
}

/// The features that moved each score most against the portfolio baseline, as reasons
/// (`<FEATURE_CODE>` with the direction and size in the detail).
pub fn score_drivers(scorer: &Scorer, f: &Features, per_model: usize) -> Vec<Reason> {
    let mut out = Vec::new();
    for (label, model) in [
        ("willingness", &scorer.willingness),
        ("ability", &scorer.ability),
    ] {
        // The strongest `per_model` contributions (by size, then feature order), kept by insertion.
        let stronger = |a: &(usize, f64), b: &(usize, f64)| {
            b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)).is_lt()
        };
        let mut top: smallvec::SmallVec<[(usize, f64); 4]> = smallvec::SmallVec::new();
        for c in model
            .contributions(&f.vector)
            .filter(|(_, c)| c.abs() >= 0.05)
        {
            let pos = top
                .iter()
                .position(|t| stronger(&c, t))
                .unwrap_or(top.len());
            if pos < per_model {
                top.insert(pos, c);
                top.truncate(per_model);
            }
        }
        for (i, contribution) in top {
            let def = &FEATURES[i];
            let (name, value, by) = (def.name, Arg::Num(f.vector[i]), Arg::Signed(contribution));
            let detail = match (label, contribution > 0.0) {
                ("willingness", true) => {
                    crate::detail!("{} = {} raises willingness ({} log-odds)", name, value, by)
                }
                ("willingness", false) => {
                    crate::detail!("{} = {} lowers willingness ({} log-odds)", name, value, by)
                }
                (_, true) => {
                    crate::detail!("{} = {} raises ability ({} log-odds)", name, value, by)
                }
                (_, false) => {
                    crate::detail!("{} = {} lowers ability ({} log-odds)", name, value, by)
                }
            };
            out.push(Reason::new(def.code, detail, contribution.abs().min(1.0)));
        }
    }
    out
}
