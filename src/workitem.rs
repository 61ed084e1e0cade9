//! The work item: what arrears publishes for each account (`../shared/contract.md`), and the
//! ranking order of a worklist.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::domain::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemScores {
    pub willingness: f64,
    pub ability: f64,
    pub model_version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    pub channel: Channel,
    pub contact_id: Option<String>,
    pub party: Party,
    pub strategy: Strategy,
    pub disclosure: Disclosure,
    /// Start of the next lawful window (UTC, RFC 3339).
    pub not_before: String,
    /// End of that window.
    pub not_after: String,
    /// Soft preference inside the window: the likeliest time to reach the party.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best_time: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    pub code: String,
    pub detail: String,
    /// The contact-policy rule this reason cites (`<profile>.<rule>@<version>`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Strength used to order reasons (strongest first); not published.
    #[serde(skip)]
    pub weight: f64,
}

impl Reason {
    pub fn new(code: &str, detail: impl Into<String>, weight: f64) -> Reason {
        Reason {
            code: code.to_owned(),
            detail: detail.into(),
            rule: None,
            weight,
        }
    }
    pub fn rule(mut self, rule: impl Into<String>) -> Reason {
        self.rule = Some(rule.into());
        self
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkItem {
    pub account_id: String,
    pub version: u64,
    pub status: Status,
    pub hold_reason: Option<HoldReason>,
    pub priority: f64,
    pub expected_recovery: Money,
    pub currency: String,
    pub days_past_due: i64,
    pub stage: Stage,
    pub overdue_amount: Money,
    pub segment: Segment,
    pub scores: ItemScores,
    pub action: Option<Action>,
    pub reasons: Vec<Reason>,
    /// The contact-policy profile applied, as `<name>@<version>`.
    pub policy: String,
    pub as_of: String,
}

impl WorkItem {
    /// Equal apart from `version` and `as_of`: an unchanged recommendation is not re-published.
    pub fn same_content(&self, other: &WorkItem) -> bool {
        self.status == other.status
            && self.hold_reason == other.hold_reason
            && self.priority == other.priority
            && self.expected_recovery == other.expected_recovery
            && self.currency == other.currency
            && self.days_past_due == other.days_past_due
            && self.stage == other.stage
            && self.overdue_amount == other.overdue_amount
            && self.segment == other.segment
            && self.scores == other.scores
            && self.action == other.action
            && self.reasons == other.reasons
            && self.policy == other.policy
            && self.account_id == other.account_id
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("work items always serialize")
    }
}

fn status_rank(s: Status) -> u8 {
    match s {
        Status::Open => 0,
        Status::Held => 1,
        Status::Closed => 2,
    }
}

/// Worklist order: open items by priority descending, then held, then closed; ties by account id.
pub fn rank_order(a: &WorkItem, b: &WorkItem) -> Ordering {
    status_rank(a.status)
        .cmp(&status_rank(b.status))
        .then_with(|| b.priority.total_cmp(&a.priority))
        .then_with(|| a.account_id.cmp(&b.account_id))
}

/// Sorts items into worklist order.
pub fn rank(items: &mut [&WorkItem]) {
    items.sort_by(|a, b| rank_order(a, b));
}
