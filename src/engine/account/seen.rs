//! The event ids an account has applied, as a sorted vector of their 64-bit keys
//! ([`super::event_key`]): 8 bytes an event, a binary search to check, and the same bytes in every
//! snapshot of the same state (a hash set's order is not stable). Every duplicate id is refused,
//! however old.

use serde::{Deserialize, Deserializer, Serialize};

/// The keys of the applied event ids, sorted and distinct.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Seen(Vec<u64>);

impl Seen {
    /// Whether `key` was applied.
    pub fn contains(&self, key: u64) -> bool {
        self.0.binary_search(&key).is_ok()
    }

    /// Records `key`; false when it was already there.
    pub fn insert(&mut self, key: u64) -> bool {
        match self.0.binary_search(&key) {
            Ok(_) => false,
            Err(at) => {
                self.0.insert(at, key);
                true
            }
        }
    }

    /// How many distinct keys.
    pub fn count(&self) -> usize {
        self.0.len()
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.0.capacity() * std::mem::size_of::<u64>()
    }
}

impl<'de> Deserialize<'de> for Seen {
    /// Any sequence of keys, in any order (earlier snapshots held a hash set): sorted and
    /// deduplicated as it is read.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Seen, D::Error> {
        let mut keys = Vec::<u64>::deserialize(d)?;
        keys.sort_unstable();
        keys.dedup();
        keys.shrink_to_fit();
        Ok(Seen(keys))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn it_is_a_set(keys in proptest::collection::vec(0u64..64, 0..200)) {
            let mut seen = Seen::default();
            let mut model = std::collections::BTreeSet::new();
            for k in &keys {
                prop_assert_eq!(seen.insert(*k), model.insert(*k));
                prop_assert!(seen.contains(*k));
            }
            prop_assert_eq!(seen.count(), model.len());
            for k in 0..64 {
                prop_assert_eq!(seen.contains(k), model.contains(&k));
            }
            // Unordered input (a hash set's JSON) reads back as the same set.
            let mut shuffled: Vec<u64> = model.iter().rev().copied().collect();
            shuffled.extend(model.iter().copied());
            let back: Seen = serde_json::from_str(&serde_json::to_string(&shuffled).unwrap()).unwrap();
            prop_assert_eq!(back, seen);
        }
    }
}
