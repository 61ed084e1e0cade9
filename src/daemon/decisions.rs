//! Decision records at the daemon's edge: each published work item paired with its record
//! (`arrears.decision.v1`, from the engine), and the latest `http.decisions_per_account` records of
//! every owned account kept in memory as their compact JSON bytes, for
//! `/v1/accounts/{id}/decisions` and for the changelog.
//!
//! The changelog record of an account carries its latest decision record ([`History::to_carry`]),
//! so that the restore that re-sends the account's latest item re-sends its record with it: a
//! record is re-sent exactly when its item is. (An earlier version is never re-sent: its item would
//! follow a newer one on the topic.)
//!
//! Leaf: knows nothing of Kafka, the pipeline lock or HTTP. An account's records go when the
//! account goes (revoked, expired, its state rebuilt); a record with a version below the
//! account's latest starts its history over (a new account after retention).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::engine::decisions::DecisionRecord;
use crate::engine::workitem::WorkItem;

/// A decision record as it is produced and kept: its compact JSON.
pub type RecordBytes = Arc<[u8]>;

/// Pairs every published item with its decision record: the engine yields one record per changed
/// item, in the same order. A record whose item is not among `items` is dropped (no record for an
/// item that was not published); an item without one gets `None` (and a warning).
pub fn pair(
    items: Vec<WorkItem>,
    records: Vec<DecisionRecord>,
) -> Vec<(WorkItem, Option<DecisionRecord>)> {
    let same =
        |i: &WorkItem, r: &DecisionRecord| i.account_id == r.account_id && i.version == r.version;
    if items.len() == records.len() && items.iter().zip(&records).all(|(i, r)| same(i, r)) {
        return items
            .into_iter()
            .zip(records.into_iter().map(Some))
            .collect();
    }
    let mut records: Vec<Option<DecisionRecord>> = records.into_iter().map(Some).collect();
    let paired: Vec<(WorkItem, Option<DecisionRecord>)> = items
        .into_iter()
        .map(|item| {
            let found = records
                .iter_mut()
                .find(|r| r.as_ref().is_some_and(|r| same(&item, r)))
                .and_then(Option::take);
            (item, found)
        })
        .collect();
    let missing = paired.iter().filter(|(_, r)| r.is_none()).count();
    let unmatched = records.iter().filter(|r| r.is_some()).count();
    tracing::warn!(
        missing,
        unmatched,
        "work items and decision records out of step; unmatched records dropped"
    );
    paired
}

/// The latest decision records of every owned account, oldest first, at most `per_account` each.
pub struct History {
    inner: Mutex<Inner>,
}

struct Inner {
    per_account: usize,
    /// Per account: (item version, record), oldest first.
    accounts: HashMap<String, VecDeque<(u64, RecordBytes)>>,
    /// Bytes of every record held.
    bytes: usize,
}

impl Default for History {
    fn default() -> Self {
        History::new(20)
    }
}

impl History {
    /// An empty history keeping `per_account` records per account (at least one).
    pub fn new(per_account: usize) -> History {
        History {
            inner: Mutex::new(Inner {
                per_account: per_account.max(1),
                accounts: HashMap::new(),
                bytes: 0,
            }),
        }
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps `per_account` records per account from now on (at least one; longer histories are cut
    /// at their next record).
    pub fn set_per_account(&self, per_account: usize) {
        self.inner().per_account = per_account.max(1);
    }

    /// Adds an account's record of `version`: the same version again replaces the latest (a
    /// re-send); a lower one (a new account under an old id) starts the history over; the oldest
    /// beyond the bound go.
    pub fn record(&self, account: &str, version: u64, json: RecordBytes) {
        let mut g = self.inner();
        let inner = &mut *g;
        let list = match inner.accounts.get_mut(account) {
            Some(list) => list,
            None => inner.accounts.entry(account.to_owned()).or_default(),
        };
        if let Some(&(latest, _)) = list.back() {
            if version == latest {
                let (_, old) = list.pop_back().expect("not empty");
                inner.bytes -= old.len();
            } else if version < latest {
                inner.bytes -= list.iter().map(|(_, r)| r.len()).sum::<usize>();
                list.clear();
            }
        }
        inner.bytes += json.len();
        list.push_back((version, json));
        while list.len() > inner.per_account {
            let (_, old) = list.pop_front().expect("over the bound");
            inner.bytes -= old.len();
        }
    }

    /// What the account's changelog record carries: its latest record, with its item's version.
    pub fn to_carry(&self, account: &str) -> Option<(u64, RecordBytes)> {
        let g = self.inner();
        g.accounts.get(account)?.back().cloned()
    }

    /// The account's records, oldest first (`None`: none kept).
    pub fn recent(&self, account: &str) -> Option<Vec<RecordBytes>> {
        let g = self.inner();
        let list = g.accounts.get(account)?;
        Some(list.iter().map(|(_, r)| r.clone()).collect())
    }

    /// Forgets an account's records.
    pub fn forget(&self, account: &str) {
        let mut g = self.inner();
        if let Some(list) = g.accounts.remove(account) {
            g.bytes -= list.iter().map(|(_, r)| r.len()).sum::<usize>();
        }
    }

    /// Forgets every account's records.
    pub fn clear(&self) {
        let mut g = self.inner();
        g.accounts.clear();
        g.bytes = 0;
    }

    /// Bytes of the records held, and the accounts they belong to.
    pub fn size(&self) -> (usize, usize) {
        let g = self.inner();
        (g.bytes, g.accounts.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(s: &str) -> RecordBytes {
        Arc::from(s.as_bytes())
    }

    fn texts(h: &History, account: &str) -> Vec<String> {
        h.recent(account)
            .unwrap_or_default()
            .iter()
            .map(|r| String::from_utf8(r.to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn the_latest_records_are_kept_oldest_first_and_bounded() {
        let h = History::new(3);
        for v in 1..=5 {
            h.record("A-1", v, rec(&format!("v{v}")));
        }
        h.record("B-1", 1, rec("b1"));
        assert_eq!(texts(&h, "A-1"), ["v3", "v4", "v5"]);
        assert_eq!(h.to_carry("A-1"), Some((5, rec("v5"))));
        assert_eq!(h.size(), (8, 2));
        // The same version again replaces the latest; a lower one starts over.
        h.record("A-1", 5, rec("v5'"));
        assert_eq!(texts(&h, "A-1"), ["v3", "v4", "v5'"]);
        h.record("A-1", 1, rec("new"));
        assert_eq!(texts(&h, "A-1"), ["new"]);
        assert_eq!(h.size(), (5, 2));
        h.forget("A-1");
        assert!(h.recent("A-1").is_none() && h.to_carry("A-1").is_none());
        assert_eq!(h.size(), (2, 1));
        h.set_per_account(0);
        h.record("B-1", 2, rec("b2"));
        assert_eq!(texts(&h, "B-1"), ["b2"], "at least one is kept");
        h.clear();
        assert_eq!(h.size(), (0, 0));
    }
}
