//! Decision records (`arrears.decision.v1`): one per published work item, for audit. A record
//! holds what the decision read and what it did: the input position that caused it, the feature
//! vector, the scores and model versions, the experiment arm and the probability of that
//! assignment, every contact-policy rule with its result, the lawful window in the debtor's local
//! time, and the published item (status, action, priority, reasons). A compliance officer answers
//! "why was this person called then?" from the record alone; re-running the events up to its
//! input position reproduces its item.
//!
//! A rule's result: `applied` when the decision cites it (it bound the decision: a hold, a cap, a
//! window, letters only …, with the reason's detail), `passed` when it was evaluated and did not
//! bind, `not_reached` when the decision ended before it (a closed account, a hold).
//!
//! The types live here; `pipeline::records` builds a record from an evaluation.

use std::sync::Arc;

use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::Serialize;

use crate::engine::features::{FEATURE_NAMES, N_FEATURES};
use crate::engine::policy::always;
use crate::engine::settings::Profile;
use crate::engine::workitem::{Rule, WorkItem};

/// The format tag of decision records.
pub const DECISION_FORMAT: &str = "arrears.decision.v1";

/// What caused an evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Position {
    /// A Kafka record: `topic/partition/offset`, and the event it carried.
    Record {
        /// `topic/partition/offset`.
        source: String,
        /// The event's id.
        event_id: String,
    },
    /// A line of a replayed file (1-based) and its event.
    Line {
        /// Line number.
        line: u64,
        /// The event's id.
        event_id: String,
    },
    /// The clock moving with no event (a window opened, a hold ended, a day began).
    Clock,
}

/// One contact-policy rule as the decision met it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleCheck {
    /// The rule id (`always.*`, or `<profile>.<rule>@<version>`).
    pub rule: String,
    /// `applied`, `passed` or `not_reached`.
    pub result: &'static str,
    /// What it found.
    pub detail: String,
}

/// The experiment assignment behind a decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExperimentRecord {
    /// The arm whose strategy applied.
    pub arm: Arc<str>,
    /// In today's randomised holdout (no outbound call).
    pub holdout: bool,
    /// Probability of the assignment the item reports.
    pub probability: f64,
}

/// The debtor's local view of the decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocalTimes {
    /// The account's IANA time zone (`unknown` before its profile).
    pub timezone: String,
    /// The decision's clock, local, with the weekday.
    pub as_of: String,
    /// The window's start, local, with the weekday (open items).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
    /// The window's end, local.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_after: Option<String>,
    /// The suggested time, local.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_time: Option<String>,
}

/// A decision record.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionRecord {
    /// Always [`DECISION_FORMAT`].
    pub format: &'static str,
    /// The account.
    pub account_id: String,
    /// The item's version.
    pub version: u64,
    /// The clock of the evaluation.
    pub evaluated_at: Timestamp,
    /// What caused it.
    pub input: Position,
    /// The feature vector by name.
    pub features: FeatureValues,
    /// Scores and model versions (as on the item).
    pub scores: crate::engine::workitem::ItemScores,
    /// The arm and the propensity.
    pub experiment: ExperimentRecord,
    /// Every contact-policy rule with its result, in the order the policy applies them.
    pub rules: Vec<RuleCheck>,
    /// Local times of the decision and its window.
    pub local: LocalTimes,
    /// The published item: status, action, priority, expected values, reasons.
    pub item: WorkItem,
}

/// A feature vector written as a JSON object by feature name, the names in sorted order, each
/// value rounded to 6 decimals (`null` when not finite): the object `serde_json::Map` writes,
/// without building one.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureValues(pub [f64; N_FEATURES]);

/// The feature indices in the sorted order of their names.
fn sorted_features() -> &'static [usize; N_FEATURES] {
    static ORDER: std::sync::OnceLock<[usize; N_FEATURES]> = std::sync::OnceLock::new();
    ORDER.get_or_init(|| {
        let mut order: [usize; N_FEATURES] = std::array::from_fn(|i| i);
        order.sort_by_key(|i| FEATURE_NAMES[*i]);
        order
    })
}

impl Serialize for FeatureValues {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(N_FEATURES))?;
        for &i in sorted_features() {
            let v = (self.0[i] * 1e6).round() / 1e6;
            m.serialize_entry(FEATURE_NAMES[i], &v.is_finite().then_some(v))?;
        }
        m.end()
    }
}

/// An instant in the debtor's zone, with the weekday.
pub fn local(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned(tz.clone())
        .strftime("%a %Y-%m-%d %H:%M %Z")
        .to_string()
}

/// The rules every decision is checked against, in the policy's order: `(id, what passing means)`.
pub fn rule_list(p: &Profile) -> Vec<(Rule, String)> {
    let cap = |n: u32, what: &str| {
        if n == 0 {
            format!("no numeric cap on {what}")
        } else {
            format!("at most {n} {what} in any rolling 7 days")
        }
    };
    vec![
        (
            Rule::Always(always::FAIL_CLOSED),
            "profile and time zone known".into(),
        ),
        (Rule::Always(always::HOLD), "no hold in force".into()),
        (
            Rule::Always(always::CEASE_CONTACT),
            "no cease-contact request".into(),
        ),
        (
            Rule::Always(always::PROMISE),
            "no promise pending before its due date".into(),
        ),
        (
            Rule::Always(always::CALLBACK),
            "no callback requested for a later time".into(),
        ),
        (
            Rule::Always(always::DO_NOT_CALL),
            "no listed number is on do-not-call".into(),
        ),
        (
            p.rule("third_parties"),
            "the debtor is contacted directly".into(),
        ),
        (
            Rule::Always(always::NO_DISCLOSURE),
            "no third party is contacted".into(),
        ),
        (
            p.rule("max_call_attempts_7d"),
            cap(p.max_call_attempts_7d, "call attempts"),
        ),
        (p.rule("max_sms_7d"), cap(p.max_sms_7d, "texts")),
        (
            p.rule("max_contacts_7d"),
            cap(p.max_contacts_7d, "calls and texts"),
        ),
        (
            p.rule("cooldown_after_conversation"),
            format!(
                "{} days after a conversation before the next call",
                p.cooldown_after_conversation_days
            ),
        ),
        (
            p.rule("max_connected_calls_per_day"),
            if p.max_connected_calls_per_day == 0 {
                "no cap on connected calls a day".into()
            } else {
                format!(
                    "at most {} connected calls a day",
                    p.max_connected_calls_per_day
                )
            },
        ),
        (
            p.rule("calling_hours"),
            format!("contact only within {} local time", p.calling_hours),
        ),
    ]
}

impl DecisionRecord {
    /// The record as one JSON line.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("decision records always serialize")
    }
}
