//! Building a decision record ([`DecisionRecord`]) from an evaluation: the rules with their
//! results, the feature vector by name, the local times.

use jiff::tz::TimeZone;

use crate::engine::account::Account;
use crate::engine::decisions::{
    local, rule_list, DecisionRecord, ExperimentRecord, FeatureValues, LocalTimes, Position,
    RuleCheck, DECISION_FORMAT,
};
use crate::engine::domain::{Channel, HoldReason, Status};
use crate::engine::policy::always;
use crate::engine::settings::Settings;
use crate::engine::workitem::{Rule, WorkItem};

use super::evaluate::{arm_profile, Evaluation};

/// The record of evaluation `ev` of account `acc`, published as `item` (version and `as_of`
/// filled), caused by `input`.
pub fn record_of(
    ev: &Evaluation,
    acc: &Account,
    item: &WorkItem,
    input: Position,
    settings: &Settings,
) -> DecisionRecord {
    let profile = arm_profile(acc, settings, &ev.assignment);
    let d = &ev.decision;
    // Routing ran (and its rules were evaluated) unless the gate ended the decision first.
    let routed = d.status == Status::Open
        || matches!(
            d.hold,
            Some(HoldReason::ContactCap | HoldReason::NoContactPoint)
        );
    let ended_early = d.status == Status::Closed;
    let letter_only = item
        .action
        .as_ref()
        .is_some_and(|a| a.channel == Channel::Letter);
    let mut rules = Vec::new();
    for (rule, passing) in rule_list(profile) {
        let id = rule.to_string();
        let cited: Vec<String> = d
            .reasons
            .iter()
            .filter(|r| r.rule.as_ref() == Some(&rule))
            .map(|r| format!("{}: {}", r.code, r.detail))
            .collect();
        let gate_rule = matches!(rule, Rule::Always(a) if a != always::NO_DISCLOSURE);
        let (result, detail) = if !cited.is_empty() {
            ("applied", cited.join("; "))
        } else if ended_early || (!routed && !gate_rule) || (letter_only && !gate_rule) {
            (
                "not_reached",
                "the decision ended before this rule (or no call or text was planned)".into(),
            )
        } else {
            ("passed", passing)
        };
        rules.push(RuleCheck {
            rule: id,
            result,
            detail,
        });
    }
    let features = FeatureValues(ev.features.vector);
    let tz = acc.profile.timezone().cloned();
    let action = item.action.as_ref();
    DecisionRecord {
        format: DECISION_FORMAT,
        account_id: item.account_id.clone(),
        version: item.version,
        evaluated_at: ev.features.now,
        input,
        features,
        scores: item.scores.clone(),
        experiment: ExperimentRecord {
            arm: item.arm.clone(),
            holdout: item.arm.as_ref() == crate::engine::experiments::HOLDOUT,
            probability: item.arm_probability,
        },
        rules,
        local: LocalTimes {
            timezone: tz
                .as_ref()
                .and_then(|t| t.iana_name())
                .unwrap_or("unknown")
                .to_owned(),
            as_of: local(ev.features.now, tz.as_ref().unwrap_or(&TimeZone::UTC)),
            not_before: action.and_then(|a| tz.as_ref().map(|z| local(a.not_before, z))),
            not_after: action.and_then(|a| tz.as_ref().map(|z| local(a.not_after, z))),
            best_time: action
                .and_then(|a| a.best_time)
                .and_then(|t| tz.as_ref().map(|z| local(t, z))),
        },
        item: item.clone(),
    }
}
