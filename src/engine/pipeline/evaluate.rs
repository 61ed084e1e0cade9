//! Evaluating one account at a clock: features, scores, segment, policy decision, priority and
//! the work item, with the best time to call and the clock wake-ups an item depends on.

use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::engine::account::Account;
use crate::engine::domain::*;
use crate::engine::features::{self, Features};
use crate::engine::policy::{self, Decision};
use crate::engine::ranking;
use crate::engine::scoring::{Scorer, Scores};
use crate::engine::settings::Settings;
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

/// Evaluates one account at `now` (version and as_of are filled by the caller).
pub fn evaluate(acc: &Account, now: Timestamp, settings: &Settings, scorer: &Scorer) -> Evaluation {
    // A closed account's item is final: everything is computed at its closure.
    let now = acc.closed_at.map_or(now, |c| c.min(now));
    let tz = acc.profile.timezone().cloned().unwrap_or(TimeZone::UTC);
    let f = features::compute(acc, now, &tz, &features::Params::of(settings));
    let scores = scorer.score(&f.vector);
    let segment = segment_of(&scores, settings);
    let profile = settings.profile_for(acc.profile.portfolio());
    let decision = policy::decide(&policy::Context {
        acc,
        f: &f,
        segment,
        settings,
        profile,
        now,
    });
    let currency = acc.profile.currency().to_owned();
    let mut reasons = Vec::with_capacity(decision.reasons.len() + 12);
    reasons.extend_from_slice(&decision.reasons);
    let (mut priority, mut expected, mut action) = (0.0, 0, None);
    if let (Status::Open, Some(plan)) = (decision.status, &decision.action) {
        let r = ranking::rank(&f, &scores, plan, &currency, settings);
        priority = r.priority;
        expected = r.expected_recovery;
        reasons.extend(r.reasons);
        reasons.extend(ranking::score_drivers(scorer, &f, 2));
        let best_time = if matches!(plan.channel, Channel::Call | Channel::Sms) {
            best_time(acc, &f, plan, &tz, settings)
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
    decision.wake_at = clock_wake(acc, &f, &tz, decision.wake_at);
    let item = WorkItem {
        account_id: acc.id.clone(),
        version: 0,
        status: decision.status,
        hold_reason: decision.hold,
        priority,
        expected_recovery: expected,
        currency,
        days_past_due: f.dpd,
        stage: f.stage,
        overdue_amount: f.overdue,
        segment,
        scores: ItemScores {
            willingness: round4(scores.willingness.get()),
            ability: round4(scores.ability.get()),
            model_version: scorer.model_version.clone(),
        },
        action,
        reasons,
        policy: profile.label.clone(),
        as_of: now,
    };
    Evaluation {
        features: f,
        scores,
        segment,
        decision,
        item,
    }
}

/// When the clock alone may change the item: the decision's own wake-up, and, for an account that
/// owes or will owe, the next local midnight (days past due grow) and the day a coming statement
/// turns `pre_due`.
fn clock_wake(
    acc: &Account,
    f: &Features,
    tz: &TimeZone,
    decided: Option<Timestamp>,
) -> Option<Timestamp> {
    if acc.closed.is_some() {
        return decided;
    }
    let mut wake = decided;
    let mut consider = |t: Timestamp| {
        if t > f.now {
            wake = Some(wake.map_or(t, |w: Timestamp| w.min(t)));
        }
    };
    if f.dpd > 0 || f.stage == Stage::PreDue {
        if let Ok(d) = f.today.tomorrow() {
            consider(features::local_midnight(d, tz));
        }
    }
    if let Some(due) = f.next_due {
        for days in [-3i64, 1] {
            if let Ok(d) = due.checked_add(jiff::Span::new().days(days)) {
                consider(features::local_midnight(d, tz));
            }
        }
    }
    wake
}

/// The likeliest hour to reach the debtor inside the window: the account's own answer rates by
/// local hour, smoothed toward the portfolio prior; on a promise's due date, before 16:00.
fn best_time(
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
