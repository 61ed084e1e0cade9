//! What the pipeline keeps per account: its ledger and what identifies its latest work item.

use jiff::Timestamp;

use crate::engine::account::Account;

/// An account and what identifies its latest published work item. The item itself is not kept:
/// it is a pure function of the account and the clock, re-computed on demand from
/// `evaluated_at`, so only its fingerprint, version and `as_of` are stored.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    /// The account's ledger.
    pub account: Account,
    /// Version of the latest item (0: none yet).
    pub version: u64,
    /// Content fingerprint of the latest item (everything but `version` and `as_of`).
    pub fingerprint: u64,
    /// When the latest item's content was first computed (its `as_of`).
    pub as_of: Timestamp,
    /// The clock of the latest evaluation; the state has not changed since.
    pub evaluated_at: Timestamp,
    /// Tone-ladder step of the latest item's debtor action, if any.
    pub tone: Option<u8>,
    /// The earliest instant after `evaluated_at` at which the item's content may change with no
    /// event (for a timer); None when only events change it. Complete: the content is constant
    /// until then.
    pub wake_at: Option<Timestamp>,
}
