//! The work item: what arrears publishes for each account (`../shared/contract.md`), and the
//! ranking order of a worklist.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use jiff::civil::Date;
use jiff::Timestamp;
use serde::Serialize;
use smallvec::SmallVec;

use crate::engine::domain::*;

/// One argument of a reason's detail, kept as a value so that evaluating an account formats no
/// text; the detail is written out only when the item is serialized.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// A whole number.
    Int(i64),
    /// Two decimals.
    Num(f64),
    /// Two decimals with a sign.
    Signed(f64),
    /// A share printed as a whole percentage.
    Pct(f64),
    /// An instant, printed RFC 3339 (UTC).
    Time(Timestamp),
    /// A calendar date, printed `YYYY-MM-DD`.
    Date(Date),
    /// Fixed text.
    Str(&'static str),
    /// Shared text (a profile label, a model version …).
    Shared(Arc<str>),
}

macro_rules! arg_from {
    ($($t:ty => $v:ident $(as $cast:ty)?),* $(,)?) => {
        $(impl From<$t> for Arg { fn from(x: $t) -> Arg { Arg::$v(x $(as $cast)?) } })*
    };
}
arg_from!(i64 => Int, u32 => Int as i64, usize => Int as i64, f64 => Num, Timestamp => Time, Date => Date, &'static str => Str, Arc<str> => Shared);

impl std::fmt::Display for Arg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Arg::Int(i) => write!(f, "{i}"),
            Arg::Num(x) if x.fract() == 0.0 && x.abs() < 1e15 => write!(f, "{}", *x as i64),
            Arg::Num(x) => write!(f, "{x:.2}"),
            Arg::Signed(x) => write!(f, "{x:+.2}"),
            Arg::Pct(x) => write!(f, "{:.0}%", x * 100.0),
            Arg::Time(t) => write!(f, "{t}"),
            Arg::Date(d) => write!(f, "{d}"),
            Arg::Str(s) => f.write_str(s),
            Arg::Shared(s) => f.write_str(s),
        }
    }
}

/// A reason's human-readable detail: a template whose `{}` are filled by the arguments in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    template: &'static str,
    args: SmallVec<[Arg; 3]>,
}

impl Detail {
    /// A detail from `template` and one argument per `{}` in it (at most 3).
    pub fn new(template: &'static str, args: SmallVec<[Arg; 3]>) -> Detail {
        debug_assert_eq!(template.matches("{}").count(), args.len(), "{template}");
        debug_assert!(
            args.len() <= 3,
            "details keep at most 3 arguments inline: {template}"
        );
        Detail { template, args }
    }
}

impl From<&'static str> for Detail {
    fn from(template: &'static str) -> Detail {
        Detail::new(template, SmallVec::new())
    }
}

impl std::fmt::Display for Detail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut args = self.args.iter();
        let mut parts = self.template.split("{}");
        if let Some(first) = parts.next() {
            f.write_str(first)?;
        }
        for part in parts {
            if let Some(a) = args.next() {
                write!(f, "{a}")?;
            }
            f.write_str(part)?;
        }
        Ok(())
    }
}

/// `detail!("{} of {}", a, b)`: a [`Detail`] with its arguments.
#[macro_export]
macro_rules! detail {
    ($t:literal $(, $a:expr)* $(,)?) => {
        $crate::engine::workitem::Detail::new($t, ::smallvec::smallvec![$($crate::engine::workitem::Arg::from($a)),*])
    };
}

/// The contact-policy rule a reason cites.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// A rule of every profile (`always.*`).
    Always(&'static str),
    /// A rule of one profile: printed `<profile>.<rule>@<version>`.
    Profile {
        /// The profile's name.
        profile: Arc<str>,
        /// The rule's id within the profile (`max_call_attempts_7d` …).
        rule: &'static str,
        /// The profile's version.
        version: Arc<str>,
    },
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rule::Always(r) => f.write_str(r),
            Rule::Profile {
                profile,
                rule,
                version,
            } => write!(f, "{profile}.{rule}@{version}"),
        }
    }
}

/// One code that explains a work item's priority or action, with its detail.
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    /// The reason code (`BROKEN_PROMISE` …).
    pub code: &'static str,
    /// What it means for this account, as text when published.
    pub detail: Detail,
    /// The contact-policy rule this reason cites, if any.
    pub rule: Option<Rule>,
    /// Strength used to order reasons (strongest first); not published.
    pub weight: f64,
}

impl Reason {
    /// A reason with `code`, `detail` and `weight`, citing no rule.
    pub fn new(code: &'static str, detail: impl Into<Detail>, weight: f64) -> Reason {
        Reason {
            code,
            detail: detail.into(),
            rule: None,
            weight,
        }
    }
    /// This reason citing `rule`.
    pub fn rule(mut self, rule: Rule) -> Reason {
        self.rule = Some(rule);
        self
    }
    /// This reason citing the rule `rule` of every profile (`always.*`).
    pub fn always(self, rule: &'static str) -> Reason {
        self.rule(Rule::Always(rule))
    }
}

impl Serialize for Reason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(if self.rule.is_some() { 3 } else { 2 }))?;
        m.serialize_entry("code", self.code)?;
        m.serialize_entry("detail", &self.detail.to_string())?;
        if let Some(r) = &self.rule {
            m.serialize_entry("rule", &r.to_string())?;
        }
        m.end()
    }
}

/// The scores behind a work item's segment, as published.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemScores {
    /// Willingness score in [0, 1].
    pub willingness: f64,
    /// Ability score in [0, 1].
    pub ability: f64,
    /// Version of the models that produced the scores.
    pub model_version: Arc<str>,
    /// Version of the uplift model behind an incremental priority.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uplift_model_version: Option<Arc<str>>,
}

/// The recommended contact of an open work item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Action {
    /// How to contact.
    pub channel: Channel,
    /// The contact to call or text; `None` for a letter.
    pub contact_id: Option<String>,
    /// Whom the contact addresses: the debtor, or a third party to locate the debtor.
    pub party: Party,
    /// What the contact sets out to do.
    pub strategy: Strategy,
    /// `full` with the debtor; `none` with a third party, who is never told of the debt.
    pub disclosure: Disclosure,
    /// Start of the next lawful window (UTC, RFC 3339).
    pub not_before: Timestamp,
    /// End of that window.
    pub not_after: Timestamp,
    /// Soft preference inside the window: the likeliest time to reach the party.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_time: Option<Timestamp>,
}

/// What arrears publishes for one account: status, priority, action and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkItem {
    /// The account (the Kafka key).
    pub account_id: String,
    /// Strictly increasing per account across restarts; consumers drop anything not newer.
    pub version: u64,
    /// Whether a dialer may act (`open`), must not (`held`) or need not (`closed`).
    pub status: Status,
    /// Why the item is held; `None` unless `held`.
    pub hold_reason: Option<HoldReason>,
    /// Priority (≥ 0, higher called first, comparable across accounts); 0 unless `open`.
    pub priority: f64,
    /// Expected amount collected over the next 30 days if the action is taken, in minor units.
    pub expected_recovery: Money,
    /// For a call ranked by incremental value: expected collections over the uplift model's
    /// horizon if the account is called now (minor units).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_if_called: Option<Money>,
    /// For a call ranked by incremental value: expected collections over that horizon if it is
    /// not; `priority` is the difference in the base currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_otherwise: Option<Money>,
    /// ISO 4217 code of the account's currency.
    pub currency: String,
    /// Days past due as of `as_of`.
    pub days_past_due: i64,
    /// The stage as of `as_of`.
    pub stage: Stage,
    /// Amount overdue in minor units.
    pub overdue_amount: Money,
    /// The willingness × ability segment.
    pub segment: Segment,
    /// The scores and the models' version.
    pub scores: ItemScores,
    /// The recommended contact; `None` unless `open`.
    pub action: Option<Action>,
    /// The codes that explain the priority and the action, strongest first.
    pub reasons: Vec<Reason>,
    /// The contact-policy profile applied, as `<name>@<version>`.
    pub policy: Arc<str>,
    /// The experiment arm whose strategy produced the item, or `holdout` (not called today).
    pub arm: Arc<str>,
    /// The probability of that assignment (the propensity), in [0, 1].
    pub arm_probability: f64,
    /// The clock value at which the item was computed (UTC).
    pub as_of: Timestamp,
}

impl WorkItem {
    /// A stable 64-bit fingerprint of the content (everything but `version` and `as_of`).
    pub fn fingerprint(&self) -> u64 {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        self.account_id.hash(&mut h);
        self.status.hash(&mut h);
        self.hold_reason.hash(&mut h);
        self.priority.to_bits().hash(&mut h);
        self.expected_recovery.hash(&mut h);
        (self.expected_if_called, self.expected_otherwise).hash(&mut h);
        self.currency.hash(&mut h);
        self.days_past_due.hash(&mut h);
        self.stage.hash(&mut h);
        self.overdue_amount.hash(&mut h);
        self.segment.hash(&mut h);
        self.scores.willingness.to_bits().hash(&mut h);
        self.scores.ability.to_bits().hash(&mut h);
        self.scores.model_version.hash(&mut h);
        self.scores.uplift_model_version.hash(&mut h);
        if let Some(a) = &self.action {
            (a.channel, &a.contact_id, a.party, a.strategy, a.disclosure).hash(&mut h);
            (a.not_before, a.not_after, a.best_time).hash(&mut h);
        }
        self.reasons.len().hash(&mut h);
        for r in &self.reasons {
            r.code.hash(&mut h);
            r.detail.template.hash(&mut h);
            for arg in &r.detail.args {
                match arg {
                    Arg::Int(i) => (0u8, *i).hash(&mut h),
                    Arg::Num(x) => (1u8, x.to_bits()).hash(&mut h),
                    Arg::Signed(x) => (2u8, x.to_bits()).hash(&mut h),
                    Arg::Pct(x) => (3u8, x.to_bits()).hash(&mut h),
                    Arg::Time(t) => (4u8, t).hash(&mut h),
                    Arg::Date(d) => (5u8, d).hash(&mut h),
                    Arg::Str(s) => (6u8, s).hash(&mut h),
                    Arg::Shared(s) => (7u8, &**s).hash(&mut h),
                }
            }
            match &r.rule {
                None => 0u8.hash(&mut h),
                Some(Rule::Always(x)) => (1u8, x).hash(&mut h),
                Some(Rule::Profile {
                    profile,
                    rule,
                    version,
                }) => (2u8, &**profile, rule, &**version).hash(&mut h),
            }
        }
        self.policy.hash(&mut h);
        self.arm.hash(&mut h);
        self.arm_probability.to_bits().hash(&mut h);
        h.finish()
    }

    /// The item as one line of contract JSON.
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
