//! Priority. For a call in an arm that ranks by incremental value: what the call adds, from the
//! uplift model (expected collections if called minus expected collections otherwise, in the base
//! currency, per call); ≤ 0 gives priority 0 and says why (`PAYS_ANYWAY`, `CALL_ADDS_NOTHING`).
//! Otherwise, and while the uplift model has too little holdout data (`UPLIFT_FALLBACK`): expected
//! recovery over the next 30 days from willingness, ability and the amount at stake, adjusted for
//! urgency (promise due today, payday soon, a stage about to roll, fresh delinquency, a promise
//! just broken) and divided by the expected effort to reach the party. Also the score-driver
//! explanations. Pure.

use jiff::Timestamp;

use crate::engine::domain::*;
use crate::engine::experiments::{Arm, PriorityMode};
use crate::engine::features::{Features, F, FEATURES};
use crate::engine::policy::Plan;
use crate::engine::scoring::{BoundUplift, Scorer, Scores};
use crate::engine::settings::{RankingConfig, Settings};
use crate::engine::workitem::{Arg, Reason};

/// Priority and expected recovery of an open plan, with the reasons behind them.
pub struct Ranked {
    /// Priority (≥ 0, higher called first): urgency-adjusted expected recovery per unit of effort.
    pub priority: f64,
    /// Expected amount collected in the next 30 days if the contact is made, in minor units.
    pub expected_recovery: Money,
    /// With the uplift model: expected collections over its horizon if called now (minor units).
    pub expected_if_called: Option<Money>,
    /// With the uplift model: expected collections over its horizon if not called.
    pub expected_otherwise: Option<Money>,
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
pub fn pay_probability(s: &Scores, r: &RankingConfig) -> f64 {
    let floor = r.ability_floor;
    s.willingness.get() * (floor + (1.0 - floor) * s.ability.get())
}

/// What ranking reads beyond the account: the arm and its uplift model.
pub struct RankBy<'a> {
    /// The arm whose strategy applies.
    pub arm: &'a Arm,
    /// Its uplift model, if any.
    pub uplift: Option<&'a BoundUplift>,
    /// Holdout rows the model needs before it is used.
    pub min_holdout_rows: u64,
}

/// Prices an open plan: by incremental value for calls of an incremental arm with a usable uplift
/// model, by expected recovery otherwise.
pub fn rank(
    f: &Features,
    s: &Scores,
    plan: &Plan,
    currency: &str,
    settings: &Settings,
    by: &RankBy,
) -> Ranked {
    let mut ranked = expected_recovery(f, s, plan, currency, settings, &by.arm.ranking);
    if plan.channel != Channel::Call || by.arm.priority != PriorityMode::Incremental {
        return ranked;
    }
    let Some(model) = by
        .uplift
        .filter(|m| m.holdout_rows() >= by.min_holdout_rows)
    else {
        ranked.reasons.push(match by.uplift {
            Some(m) => Reason::new(
                "UPLIFT_FALLBACK",
                crate::detail!(
                    "uplift model {} was fitted on {} holdout rows (fewer than {}): ranked by expected recovery",
                    m.version.clone(),
                    m.holdout_rows() as i64,
                    by.min_holdout_rows as i64
                ),
                1.2,
            ),
            None => Reason::new(
                "UPLIFT_FALLBACK",
                "no uplift model: ranked by expected recovery",
                1.2,
            ),
        });
        return ranked;
    };
    let u = model.predict(&f.vector, s.willingness.get(), s.ability.get());
    let stake = amount_at_stake(f) as f64 * model.model.paid_share;
    let (called, otherwise) = (u.p_called * stake, u.p_otherwise * stake);
    let mut gain = called - otherwise;
    if plan.party == Party::ThirdParty {
        // A locate call reaches the debtor only through the third party.
        gain /= by.arm.ranking.third_party_effort;
    }
    let horizon = model.model.horizon_days;
    // Urgency multipliers do not apply: the model's drivers carry promise state, payday and stage.
    ranked
        .reasons
        .retain(|r| !matches!(r.code, "EXPECTED_RECOVERY"));
    for r in &mut ranked.reasons {
        r.weight = r.weight.min(1.4);
    }
    let (p1, p0) = (Arg::Pct(u.p_called), Arg::Pct(u.p_otherwise));
    if gain > 0.0 {
        ranked.reasons.push(Reason::new(
            "INCREMENTAL_VALUE",
            crate::detail!(
                "a call adds {} expected over the model's horizon (P(pay) {} if called, {} otherwise)",
                gain.round() as i64,
                p1,
                p0
            ),
            2.5,
        ));
    } else if u.p_otherwise >= 0.5 {
        ranked.reasons.push(Reason::new(
            "PAYS_ANYWAY",
            crate::detail!(
                "likely to pay without a call (P(pay) {} in {} days): a call adds nothing; call only with spare capacity",
                p0,
                horizon
            ),
            2.5,
        ));
    } else {
        ranked.reasons.push(Reason::new(
            "CALL_ADDS_NOTHING",
            crate::detail!(
                "a call does not raise the chance of payment ({} if called, {} otherwise); call only with spare capacity",
                p1,
                p0
            ),
            2.5,
        ));
    }
    ranked.priority = round2((gain * settings.fx(currency) / 100.0).max(0.0));
    ranked.expected_if_called = Some(called.round() as Money);
    ranked.expected_otherwise = Some(otherwise.round() as Money);
    ranked
}

/// Prices an open plan by expected recovery, urgency multipliers and effort, with their reasons.
pub fn expected_recovery(
    f: &Features,
    s: &Scores,
    plan: &Plan,
    currency: &str,
    settings: &Settings,
    r: &RankingConfig,
) -> Ranked {
    let mut reasons = Vec::new();
    let amount = amount_at_stake(f);
    let p_pay = pay_probability(s, r);
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
        expected_if_called: None,
        expected_otherwise: None,
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
