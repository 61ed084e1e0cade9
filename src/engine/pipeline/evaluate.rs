//! Evaluating one account at a clock: features, scores, segment, policy decision, priority and
//! the work item, with the best time to call and the item's `wake_at`: the first instant after
//! the clock at which evaluating again could give other content (`engine::wake`).

use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::engine::account::Account;
use crate::engine::domain::*;
use crate::engine::experiments::Assignment;
use crate::engine::features::{self, Features};
use crate::engine::policy::{self, Decision};
use crate::engine::ranking;
use crate::engine::scoring::{Scorer, Scores};
use crate::engine::settings::Settings;
use crate::engine::wake::{feature_changes, Wake};
use crate::engine::workitem::{Action, ItemScores, WorkItem};

/// Everything an evaluation produced, for explanations (`/v1/accounts/{id}`, tests).
pub struct Evaluation {
    /// The account's features at the evaluation's clock.
    pub features: Features,
    /// Its willingness and ability scores.
    pub scores: Scores,
    /// Its segment from the scores and the configured thresholds.
    pub segment: Segment,
    /// The contact policy's decision.
    pub decision: Decision,
    /// The account's experiment assignment on its local date.
    pub assignment: Assignment,
    /// The resulting work item.
    pub item: WorkItem,
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// The segment of `s` under the configured willing and able thresholds.
pub fn segment_of(s: &Scores, settings: &Settings) -> Segment {
    let willing = s.willingness.get() >= settings.raw.scoring.willing_threshold;
    let able = s.ability.get() >= settings.raw.scoring.able_threshold;
    match (willing, able) {
        (true, true) => Segment::WillingAble,
        (true, false) => Segment::WillingUnable,
        (false, true) => Segment::UnwillingAble,
        (false, false) => Segment::UnwillingUnable,
    }
}

/// The tone-ladder step of the debtor action `evaluate(acc, now)` would give, without ranking it
/// or building the item.
pub fn debtor_tone(
    acc: &Account,
    now: Timestamp,
    settings: &Settings,
    scorer: &Scorer,
) -> Option<u8> {
    let now = acc.closed_at.map_or(now, |c| c.min(now));
    let tz = acc.profile.timezone().cloned().unwrap_or(TimeZone::UTC);
    let f = features::compute(acc, now, &tz, &features::Params::of(settings));
    let scores = scorer.score(&f.vector);
    let assignment = settings.experiments.assign(&acc.id, f.today);
    let decision = policy::decide(&policy::Context {
        acc,
        f: &f,
        segment: segment_of(&scores, settings),
        settings,
        profile: arm_profile(acc, settings, &assignment),
        now,
        holdout: assignment.holdout,
    });
    match (decision.status, decision.action) {
        (Status::Open, Some(plan)) if plan.party == Party::Debtor => plan.strategy.tone(),
        _ => None,
    }
}

/// The account's contact-policy profile under its arm's tighter caps.
pub fn arm_profile<'a>(
    acc: &Account,
    settings: &'a Settings,
    a: &Assignment,
) -> &'a crate::engine::settings::Profile {
    let base = settings.profile_for(acc.profile.portfolio());
    settings.experiments.arms[a.arm]
        .profiles
        .get(&*base.name)
        .unwrap_or(base)
}

/// Evaluates one account at `now` (version and as_of are filled by the caller).
pub fn evaluate(acc: &Account, now: Timestamp, settings: &Settings, scorer: &Scorer) -> Evaluation {
    // A closed account's item is final: everything is computed at its closure.
    let now = acc.closed_at.map_or(now, |c| c.min(now));
    let tz = acc.profile.timezone().cloned().unwrap_or(TimeZone::UTC);
    let f = features::compute(acc, now, &tz, &features::Params::of(settings));
    let scores = scorer.score(&f.vector);
    let segment = segment_of(&scores, settings);
    let assignment = settings.experiments.assign(&acc.id, f.today);
    let arm = &settings.experiments.arms[assignment.arm];
    let profile = arm_profile(acc, settings, &assignment);
    let decision = policy::decide(&policy::Context {
        acc,
        f: &f,
        segment,
        settings,
        profile,
        now,
        holdout: assignment.holdout,
    });
    let currency = acc.profile.currency().to_owned();
    let mut reasons = Vec::with_capacity(decision.reasons.len() + 12);
    reasons.extend_from_slice(&decision.reasons);
    let (mut priority, mut expected, mut action) = (0.0, 0, None);
    let (mut if_called, mut otherwise, mut uplift_version) = (None, None, None);
    // Every clock edge of this evaluation (the module docs of `engine::wake`).
    let mut wake = Wake::new(now);
    wake.maybe(decision.wake_at);
    wake.maybe(feature_changes(
        acc,
        &f,
        &tz,
        &features::Params::of(settings),
    ));
    if let (Status::Open, Some(plan)) = (decision.status, &decision.action) {
        let uplift = scorer.uplift_for(&arm.name);
        let by = ranking::RankBy {
            arm,
            uplift,
            min_holdout_rows: settings.experiments.min_holdout_rows,
        };
        let r = ranking::rank(&f, &scores, plan, &currency, settings, &by);
        priority = r.priority;
        expected = r.expected_recovery;
        (if_called, otherwise) = (r.expected_if_called, r.expected_otherwise);
        if if_called.is_some() {
            uplift_version = uplift.map(|m| m.version.clone());
        }
        if settings.experiments.holdout_share > 0.0 {
            // The holdout is redrawn at the debtor's local midnight.
            if let Ok(next) = f.today.tomorrow() {
                wake.maybe(Some(features::local_midnight(next, &tz)));
            }
        }
        wake.maybe(r.wake_at);
        reasons.extend(r.reasons);
        reasons.extend(ranking::score_drivers(scorer, &f, 2));
        let best_time = if matches!(plan.channel, Channel::Call | Channel::Sms) {
            best_time(acc, &f, plan, &tz, settings, &mut wake)
        } else {
            None
        };
        action = Some(Action {
            channel: plan.channel,
            contact_id: plan.contact_id.clone(),
            party: plan.party,
            strategy: plan.strategy,
            disclosure: plan.disclosure(),
            not_before: plan.not_before,
            not_after: plan.not_after,
            best_time,
        });
    }
    reasons.sort_by(|a, b| {
        b.weight
            .total_cmp(&a.weight)
            .then_with(|| a.code.cmp(b.code))
    });
    let mut seen: Vec<&'static str> = Vec::with_capacity(reasons.len());
    reasons.retain(|r| {
        let fresh = !seen.contains(&r.code);
        seen.push(r.code);
        fresh
    });
    reasons.truncate(10);
    reasons.shrink_to_fit();
    let mut decision = decision;
    // A closed account's item is final.
    decision.wake_at = wake.get().filter(|_| acc.closed.is_none());
    // The holdout only matters to an open item; held and closed items name their arm.
    // An exempt call (a callback, a hardship or complaint follow-up) was not randomised.
    let randomised = decision.status == Status::Open
        && !(assignment.holdout
            && decision
                .action
                .as_ref()
                .is_some_and(|a| a.channel == Channel::Call));
    let (arm_label, arm_probability) = if randomised {
        (
            settings.experiments.label(&assignment),
            assignment.probability,
        )
    } else {
        (arm.name.clone(), arm.share)
    };
    let item = WorkItem {
        account_id: acc.id.clone(),
        version: 0,
        status: decision.status,
        hold_reason: decision.hold,
        priority,
        expected_recovery: expected,
        expected_if_called: if_called,
        expected_otherwise: otherwise,
        currency,
        days_past_due: f.dpd,
        stage: f.stage,
        overdue_amount: f.overdue,
        segment,
        scores: ItemScores {
            willingness: round4(scores.willingness.get()),
            ability: round4(scores.ability.get()),
            model_version: scorer.model_version.clone(),
            uplift_model_version: uplift_version,
        },
        action,
        reasons,
        policy: profile.label.clone(),
        arm: arm_label,
        arm_probability: round4(arm_probability),
        as_of: now,
    };
    Evaluation {
        features: f,
        scores,
        segment,
        decision,
        assignment,
        item,
    }
}

/// The likeliest hour to reach the debtor inside the window: the account's own answer rates by
/// local hour, smoothed toward the portfolio prior; on a promise's due date, before 16:00. While
/// the window is open it is chosen from the current local hour on, so it may change when that
/// hour ends (or, when a later hour is chosen, when that one ends): `wake` is told.
fn best_time(
    acc: &Account,
    f: &Features,
    plan: &policy::Plan,
    tz: &TimeZone,
    settings: &Settings,
    wake: &mut Wake,
) -> Option<Timestamp> {
    let t = best_time_in(acc, f, plan, tz, settings);
    if plan.not_before <= f.now {
        wake.next_local_hour(t.map_or(f.now, |t| t.max(f.now)), tz);
    }
    t
}

fn best_time_in(
    acc: &Account,
    f: &Features,
    plan: &policy::Plan,
    tz: &TimeZone,
    settings: &Settings,
) -> Option<Timestamp> {
    let rates = features::answer_rates_by_hour(acc, &settings.hourly_prior);
    // Suggest nothing already past: start from the current hour when the window is open now.
    let from = if plan.not_before < f.now {
        let h = tz.to_datetime(f.now);
        h.date()
            .at(h.hour(), 0, 0, 0)
            .to_zoned(tz.clone())
            .ok()?
            .timestamp()
            .max(plan.not_before)
    } else {
        plan.not_before
    };
    let start = tz.to_datetime(from);
    let end = tz.to_datetime(plan.not_after);
    let promise_day = plan.strategy == Strategy::PromiseFollowup
        && f.promise
            .as_ref()
            .is_some_and(|p| p.due_date == start.date());
    // Choose the hour by its rate first (the earliest of equals), then convert only that hour.
    let first = start.hour() as i32;
    let last = if end.date() == start.date() {
        end.hour() as i32
    } else {
        24
    };
    let mut best: Option<(f64, i32)> = None;
    for h in first..last {
        if !(promise_day && h >= 16) && best.is_none_or(|(r, _)| rates[h as usize] > r) {
            best = Some((rates[h as usize], h));
        }
    }
    let h = match best {
        Some((_, h)) => h,
        // A window that starts in its last hour (or a promise day after 16:00): its start.
        None => return Some(from).filter(|t| *t < plan.not_after),
    };
    let at = if h == first {
        from
    } else {
        start
            .date()
            .at(h as i8, 0, 0, 0)
            .to_zoned(tz.clone())
            .ok()?
            .timestamp()
    };
    Some(if at < plan.not_after { at } else { from })
}
