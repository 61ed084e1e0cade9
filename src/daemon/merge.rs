//! Event-time order across the two input topics: each partition number's billing and contacts
//! records are merged by `occurred_at` before they reach the pipeline, the way replay sees a file
//! of both in time order.
//!
//! A record waits while the other topic's same-numbered partition has nothing buffered but may
//! still hold earlier records (its consumed position is behind its high watermark), at most
//! `kafka.max_task_idle_ms` (Kafka Streams' `max.task.idle.ms`); then it goes anyway. When both
//! have records buffered, the earlier event goes first (billing first on a tie, a record whose
//! time cannot be read at once: it is rejected by the pipeline anyway). Within one topic
//! partition the order never changes, so offsets are still stored in order. Past
//! `MAX_BUFFERED` records in total, the oldest head goes without waiting.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use rdkafka::message::OwnedMessage;

/// Records held at most across every partition before the oldest head goes without waiting.
pub const MAX_BUFFERED: usize = 10_000;

/// Which input topic a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Input {
    Billing = 0,
    Contacts = 1,
}

impl Input {
    fn other(self) -> Input {
        match self {
            Input::Billing => Input::Contacts,
            Input::Contacts => Input::Billing,
        }
    }
}

struct Held<M> {
    message: M,
    at: Option<Timestamp>,
    arrived: Instant,
}

/// The buffered records of one partition number: one queue per input topic.
struct Pair<M> {
    queues: [VecDeque<Held<M>>; 2],
}

impl<M> Default for Pair<M> {
    fn default() -> Self {
        Pair {
            queues: [VecDeque::new(), VecDeque::new()],
        }
    }
}

/// The merge of every owned partition number (generic over the message for tests).
pub struct Merge<M = OwnedMessage> {
    pairs: BTreeMap<i32, Pair<M>>,
    idle: Duration,
    buffered: usize,
}

impl<M> Merge<M> {
    pub fn new(idle: Duration) -> Merge<M> {
        Merge {
            pairs: BTreeMap::new(),
            idle,
            buffered: 0,
        }
    }

    /// Holds a received record.
    pub fn push(
        &mut self,
        input: Input,
        partition: i32,
        message: M,
        at: Option<Timestamp>,
        now: Instant,
    ) {
        self.pairs.entry(partition).or_default().queues[input as usize].push_back(Held {
            message,
            at,
            arrived: now,
        });
        self.buffered += 1;
    }

    /// The partition numbers that hold records or held some.
    pub fn partitions(&self) -> impl Iterator<Item = i32> + '_ {
        self.pairs.keys().copied()
    }

    /// Records held.
    pub fn len(&self) -> usize {
        self.buffered
    }

    pub fn is_empty(&self) -> bool {
        self.buffered == 0
    }

    /// Drops what is held for a revoked partition: unprocessed, its offsets never stored, the
    /// next owner reads it again.
    pub fn drop_partition(&mut self, partition: i32) {
        if let Some(p) = self.pairs.remove(&partition) {
            self.buffered -= p.queues.iter().map(VecDeque::len).sum::<usize>();
        }
    }

    /// The next record to process at `now`, if one may go: only from a partition `ready` says
    /// may go (not being restored). `behind(input, partition)` says whether that topic partition
    /// may hold records not received yet.
    pub fn pop(
        &mut self,
        now: Instant,
        ready: impl Fn(i32) -> bool,
        mut behind: impl FnMut(Input, i32) -> bool,
    ) -> Option<(Input, M)> {
        let forced = self.buffered > MAX_BUFFERED;
        let mut oldest: Option<(Instant, i32, Input)> = None;
        for (&p, pair) in self.pairs.iter().filter(|(p, _)| ready(**p)) {
            let [b, c] = &pair.queues;
            let pick = match (b.front(), c.front()) {
                (None, None) => continue,
                (Some(x), Some(y)) => match (x.at, y.at) {
                    (Some(tx), Some(ty)) if ty < tx => Some(Input::Contacts),
                    (Some(_), None) => Some(Input::Contacts),
                    _ => Some(Input::Billing),
                },
                (Some(x), None) => self.alone(Input::Billing, p, x, now, &mut behind),
                (None, Some(y)) => self.alone(Input::Contacts, p, y, now, &mut behind),
            };
            if let Some(input) = pick {
                return self.take(p, input);
            }
            if forced {
                let head = b.front().or(c.front()).map(|h| h.arrived);
                let input = if b.is_empty() {
                    Input::Contacts
                } else {
                    Input::Billing
                };
                if let Some(t) = head {
                    if oldest.is_none_or(|(o, _, _)| t < o) {
                        oldest = Some((t, p, input));
                    }
                }
            }
        }
        let (_, p, input) = oldest?;
        self.take(p, input)
    }

    /// Whether a head may go while the other topic's queue is empty.
    fn alone(
        &self,
        input: Input,
        partition: i32,
        head: &Held<M>,
        now: Instant,
        behind: &mut impl FnMut(Input, i32) -> bool,
    ) -> Option<Input> {
        let waited = now.saturating_duration_since(head.arrived) >= self.idle;
        (head.at.is_none() || waited || !behind(input.other(), partition)).then_some(input)
    }

    fn take(&mut self, partition: i32, input: Input) -> Option<(Input, M)> {
        let pair = self.pairs.get_mut(&partition)?;
        let held = pair.queues[input as usize].pop_front()?;
        self.buffered -= 1;
        Some((input, held.message))
    }

    /// When the longest-waiting lone head of a partition `ready` says may go can go, if any.
    pub fn next_deadline(&self, ready: impl Fn(i32) -> bool) -> Option<Instant> {
        self.pairs
            .iter()
            .filter(|(p, _)| ready(**p))
            .flat_map(|(_, p)| p.queues.iter().filter_map(VecDeque::front))
            .map(|h| h.arrived + self.idle)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Option<Timestamp> {
        Some(s.parse().unwrap())
    }

    fn drain(m: &mut Merge<&'static str>, now: Instant, behind: bool) -> Vec<&'static str> {
        std::iter::from_fn(|| m.pop(now, |_| true, |_, _| behind).map(|(_, x)| x)).collect()
    }

    #[test]
    fn both_queues_go_in_event_time_order() {
        let now = Instant::now();
        let mut m = Merge::new(Duration::from_secs(1));
        m.push(Input::Billing, 0, "b1", t("2026-01-01T10:00:00Z"), now);
        m.push(Input::Billing, 0, "b2", t("2026-01-01T12:00:00Z"), now);
        m.push(Input::Contacts, 0, "c1", t("2026-01-01T11:00:00Z"), now);
        m.push(Input::Contacts, 0, "c2", t("2026-01-01T13:00:00Z"), now);
        // The other topic is behind: the last lone head waits.
        assert_eq!(drain(&mut m, now, true), ["b1", "c1", "b2"]);
        assert_eq!(m.len(), 1);
        // Nothing more to read there: it goes.
        assert_eq!(drain(&mut m, now, false), ["c2"]);
        assert!(m.is_empty());
    }

    #[test]
    fn a_lone_head_waits_at_most_the_idle_time() {
        let now = Instant::now();
        let idle = Duration::from_millis(500);
        let mut m = Merge::new(idle);
        m.push(Input::Contacts, 3, "c1", t("2026-01-01T11:00:00Z"), now);
        assert_eq!(drain(&mut m, now, true), Vec::<&str>::new());
        assert_eq!(m.next_deadline(|_| true), Some(now + idle));
        assert_eq!(m.next_deadline(|_| false), None);
        assert_eq!(drain(&mut m, now + idle, true), ["c1"]);
    }

    #[test]
    fn a_partition_being_restored_holds_its_records() {
        let now = Instant::now();
        let mut m = Merge::new(Duration::ZERO);
        m.push(Input::Billing, 0, "b0", t("2026-01-01T10:00:00Z"), now);
        m.push(Input::Billing, 1, "b1", t("2026-01-01T11:00:00Z"), now);
        let got: Vec<_> =
            std::iter::from_fn(|| m.pop(now, |p| p != 0, |_, _| false).map(|(_, x)| x)).collect();
        assert_eq!(got, ["b1"]);
        assert_eq!(
            m.pop(now, |_| true, |_, _| false).map(|(_, x)| x),
            Some("b0")
        );
    }

    #[test]
    fn partitions_are_independent_and_revocation_drops_their_records() {
        let now = Instant::now();
        let mut m = Merge::new(Duration::from_secs(1));
        m.push(Input::Billing, 0, "b0", t("2026-01-01T10:00:00Z"), now);
        m.push(Input::Billing, 1, "b1", t("2026-01-01T09:00:00Z"), now);
        m.drop_partition(0);
        assert_eq!(m.len(), 1);
        assert_eq!(drain(&mut m, now, false), ["b1"]);
    }

    #[test]
    fn an_unreadable_time_goes_at_once_and_ties_go_billing_first() {
        let now = Instant::now();
        let mut m = Merge::new(Duration::from_secs(1));
        m.push(Input::Contacts, 0, "bad", None, now);
        assert_eq!(drain(&mut m, now, true), ["bad"]);
        m.push(Input::Contacts, 0, "c", t("2026-01-01T10:00:00Z"), now);
        m.push(Input::Billing, 0, "b", t("2026-01-01T10:00:00Z"), now);
        assert_eq!(drain(&mut m, now, false), ["b", "c"]);
    }

    #[test]
    fn past_the_bound_the_oldest_head_goes_without_waiting() {
        let now = Instant::now();
        let mut m = Merge::new(Duration::from_secs(60));
        for i in 0..=MAX_BUFFERED {
            m.push(Input::Billing, 0, "b", t("2026-01-01T10:00:00Z"), now);
            let _ = i;
        }
        assert!(m.pop(now, |_| true, |_, _| true).is_some());
        assert_eq!(m.len(), MAX_BUFFERED);
        assert!(m.pop(now, |_| true, |_, _| true).is_none());
    }
}
