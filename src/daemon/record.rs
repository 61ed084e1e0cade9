//! One input record under the pipeline lock: the key check, decode, the record's position for
//! its decision records, `Pipeline::apply`, the published items with their decision records and
//! the snapshot for the changelog, with a panic anywhere in them caught at the record boundary:
//! the record is rejected as `internal_error` (and dead-lettered by the loop), its account is put
//! back as it was before the record (no item, no decision record), and the partition goes on.
//!
//! The account is put back from a clone of its entry taken before the apply
//! ([`Pipeline::checkpoint`]), not from its last changelog snapshot: the snapshot is on the
//! broker (reading it back would stall the partition), a clone of one account is cheap next to
//! the JSON snapshot each applied record already costs, and the clone is exact even while the
//! account's latest changelog record is still in flight.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::engine::decisions::{DecisionRecord, Position};
use crate::engine::domain::{EventType, RejectReason};
use crate::engine::events::{self, Reject};
use crate::engine::pipeline::{Applied, Pipeline};
use crate::engine::workitem::WorkItem;

use super::changelog::Positions;

/// What one input record comes to, decided under the pipeline lock.
pub enum Outcome {
    /// Owned partition, but at or below the account's restored position: already applied.
    AlreadyApplied,
    Duplicate,
    Rejected(Reject),
    Applied {
        account: String,
        items: Vec<WorkItem>,
        /// The decision records of `items`, in the same order.
        decisions: Vec<DecisionRecord>,
        /// The input positions the account's state now reflects, and the state (for the
        /// changelog record, encoded by the caller with the account's latest decision record).
        positions: Positions,
        state: Vec<u8>,
    },
}

/// What the processing of one record saw of it, for metrics: its type and event time, if read.
pub type Seen = Option<(EventType, jiff::Timestamp)>;

pub fn process(
    pipeline: &mut Pipeline,
    accounts: &mut HashMap<String, Positions>,
    (topic, partition, offset): (&str, i32, i64),
    key: Option<&[u8]>,
    payload: &[u8],
) -> (Seen, Outcome) {
    if let Some(id) = events::peek_account_id(payload) {
        if key != Some(id.as_bytes()) {
            pipeline.count_reject(RejectReason::KeyMismatch);
            return (
                None,
                Outcome::Rejected(Reject::new(
                    RejectReason::KeyMismatch,
                    "the record's account_id differs from the message key",
                )),
            );
        }
    }
    let ev = match events::decode(payload) {
        Ok(ev) => ev,
        Err(r) => {
            pipeline.count_reject(r.reason);
            return (None, Outcome::Rejected(r));
        }
    };
    let seen = Some((ev.event_type(), ev.occurred_at));
    if accounts
        .get(&ev.account_id)
        .and_then(|p| p.get(topic))
        .is_some_and(|&at| offset <= at)
    {
        return (seen, Outcome::AlreadyApplied);
    }
    pipeline.set_position(Position::Record {
        source: format!("{topic}/{partition}/{offset}"),
        event_id: ev.event_id.clone(),
    });
    let outcome = match pipeline.apply(&ev) {
        Err(r) => Outcome::Rejected(r),
        Ok(Applied::Duplicate) => Outcome::Duplicate,
        Ok(Applied::Changed | Applied::Unchanged) => {
            let items = pipeline.take_published();
            let decisions = pipeline.take_decisions();
            let positions = accounts.entry(ev.account_id.clone()).or_default();
            positions.insert(topic.to_string(), offset);
            let state = pipeline
                .snapshot(&ev.account_id)
                .expect("an applied event leaves its account");
            Outcome::Applied {
                positions: positions.clone(),
                state,
                account: ev.account_id,
                items,
                decisions,
            }
        }
    };
    (seen, outcome)
}

/// [`process`], with a panic caught: the account's entry and positions are put back as they
/// were and the record is rejected as [`RejectReason::InternalError`].
pub fn process_isolated(
    pipeline: &mut Pipeline,
    accounts: &mut HashMap<String, Positions>,
    (topic, partition, offset): (&str, i32, i64),
    key: Option<&[u8]>,
    payload: &[u8],
) -> (Seen, Outcome) {
    let id = events::peek_account_id(payload);
    let saved = id.as_deref().map(|id| {
        (
            pipeline.checkpoint(id),
            accounts.get(id).cloned(),
            id.to_string(),
        )
    });
    let run = catch_unwind(AssertUnwindSafe(|| {
        process(pipeline, accounts, (topic, partition, offset), key, payload)
    }));
    match run {
        Ok(done) => done,
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("a panic");
            tracing::error!(
                topic,
                partition,
                offset,
                panic = what,
                "record failed inside the engine; dead-lettered as internal_error"
            );
            if let Some((checkpoint, positions, id)) = saved {
                pipeline.rollback(checkpoint);
                match positions {
                    Some(p) => accounts.insert(id, p),
                    None => accounts.remove(&id),
                };
            } else {
                pipeline.take_published();
            }
            // Nothing of the record is published: no item, so no decision record either.
            pipeline.take_decisions();
            pipeline.count_reject(RejectReason::InternalError);
            (
                None,
                Outcome::Rejected(Reject::new(
                    RejectReason::InternalError,
                    "the daemon failed while applying this record; the account keeps its previous state",
                )),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::engine::scoring::Scorer;
    use crate::engine::settings::Settings;

    const OPENED: &str = r#"{"event_id":"e-1","type":"account_opened","account_id":"A-1","occurred_at":"2026-01-05T00:00:00Z","timezone":"Europe/London","currency":"GBP","product":"card","contacts":[{"contact_id":"c-1","role":"debtor","phone":"+447700900001","consent_to_contact":true,"informed":true}]}"#;
    const STATEMENT: &str = r#"{"event_id":"e-2","type":"statement_issued","account_id":"A-1","occurred_at":"2026-01-06T00:00:00Z","statement_id":"s-1","amount_due":5000,"minimum_due":500,"due_date":"2026-01-20"}"#;

    fn pipeline() -> Pipeline {
        let mut p = Pipeline::new(
            Arc::new(Settings::defaults()),
            Arc::new(Scorer::shipped().unwrap()),
        );
        p.collect_published();
        p.collect_decisions();
        p
    }

    #[test]
    fn an_applied_record_yields_its_items_with_their_decision_records() {
        let mut p = pipeline();
        let mut accounts = HashMap::new();
        let at = ("arrears.billing", 2, 41);
        let (_, outcome) =
            process_isolated(&mut p, &mut accounts, at, Some(b"A-1"), OPENED.as_bytes());
        let Outcome::Applied {
            items,
            decisions,
            positions,
            ..
        } = outcome
        else {
            panic!("applied");
        };
        assert_eq!(items.len(), 1);
        assert_eq!(decisions.len(), 1);
        assert_eq!(
            (&*decisions[0].account_id, decisions[0].version),
            ("A-1", items[0].version)
        );
        assert_eq!(
            decisions[0].input,
            Position::Record {
                source: "arrears.billing/2/41".into(),
                event_id: "e-1".into()
            }
        );
        assert_eq!(positions["arrears.billing"], 41);
        assert!(p.take_decisions().is_empty(), "taken with the items");
    }

    #[test]
    fn a_record_that_panics_leaves_no_decision_record_behind() {
        let mut p = pipeline();
        let mut accounts = HashMap::new();
        let at = ("arrears.billing", 0, 1);
        process_isolated(&mut p, &mut accounts, at, Some(b"A-1"), OPENED.as_bytes());
        p.inject_panic_on(Some("e-2".into()));
        let at = ("arrears.billing", 0, 2);
        let (_, outcome) = process_isolated(
            &mut p,
            &mut accounts,
            at,
            Some(b"A-1"),
            STATEMENT.as_bytes(),
        );
        assert!(matches!(outcome, Outcome::Rejected(r) if r.reason == RejectReason::InternalError));
        assert!(p.take_published().is_empty());
        assert!(p.take_decisions().is_empty());
    }
}
