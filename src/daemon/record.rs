//! One input record under the pipeline lock: the key check, decode, `Pipeline::apply` and the
//! snapshot for the changelog, with a panic anywhere in them caught at the record boundary: the
//! record is rejected as `internal_error` (and dead-lettered by the loop), its account is put
//! back as it was before the record, and the partition goes on.
//!
//! The account is put back from a clone of its entry taken before the apply
//! ([`Pipeline::checkpoint`]), not from its last changelog snapshot: the snapshot is on the
//! broker (reading it back would stall the partition), a clone of one account is cheap next to
//! the JSON snapshot each applied record already costs, and the clone is exact even while the
//! account's latest changelog record is still in flight.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::engine::domain::{EventType, RejectReason};
use crate::engine::events::{self, Reject};
use crate::engine::pipeline::{Applied, Pipeline};
use crate::engine::workitem::WorkItem;

use super::changelog::{self, Positions};

/// What one input record comes to, decided under the pipeline lock.
pub enum Outcome {
    /// Owned partition, but at or below the account's restored position: already applied.
    AlreadyApplied,
    Duplicate,
    Rejected(Reject),
    Applied {
        account: String,
        items: Vec<WorkItem>,
        changelog: Vec<u8>,
    },
}

/// What the processing of one record saw of it, for metrics: its type and event time, if read.
pub type Seen = Option<(EventType, jiff::Timestamp)>;

pub fn process(
    pipeline: &mut Pipeline,
    accounts: &mut HashMap<String, Positions>,
    topic: &str,
    offset: i64,
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
    let outcome = match pipeline.apply(&ev) {
        Err(r) => Outcome::Rejected(r),
        Ok(Applied::Duplicate) => Outcome::Duplicate,
        Ok(Applied::Changed | Applied::Unchanged) => {
            let items = pipeline.take_published();
            let positions = accounts.entry(ev.account_id.clone()).or_default();
            positions.insert(topic.to_string(), offset);
            let snapshot = pipeline
                .snapshot(&ev.account_id)
                .expect("an applied event leaves its account");
            Outcome::Applied {
                changelog: changelog::encode(positions, &snapshot),
                account: ev.account_id,
                items,
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
    topic: &str,
    offset: i64,
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
        process(pipeline, accounts, topic, offset, key, payload)
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
