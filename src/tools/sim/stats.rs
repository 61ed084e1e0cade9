//! What a run produced: per-day ([`DayStats`]) and whole-run ([`SimStats`]) figures.

use std::collections::BTreeMap;

/// One day's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayStats {
    pub day: u32,
    pub events: u64,
    /// Payments less reversals, in US cents at the simulator's fixed rates.
    pub collected_usd_cents: i64,
    pub payments: u64,
    pub reversals: u64,
    pub calls: u64,
    pub right_party_contacts: u64,
    pub promises_made: u64,
    pub promises_kept: u64,
    pub accounts_cured: u64,
}

/// Whole-run figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimStats {
    pub events: u64,
    /// Payments less reversals, in US cents at the simulator's fixed rates.
    pub collected_usd_cents: i64,
    /// Payments less reversals per currency, minor units.
    pub collected_by_currency: BTreeMap<&'static str, i64>,
    pub payments: u64,
    pub reversals: u64,
    pub fees: u64,
    /// Delinquent accounts brought current by a payment.
    pub accounts_cured: u64,
    pub calls: u64,
    pub texts: u64,
    pub letters: u64,
    pub right_party_contacts: u64,
    pub third_party_contacts: u64,
    pub promises_made: u64,
    /// Promises whose payments reached the amount by the due date plus one day of grace.
    pub promises_kept: u64,
    pub promises_broken: u64,
    pub paid_off: u64,
    pub charged_off: u64,
    /// Planned contacts the world could not make (unknown account or contact, outside the day,
    /// account not yet opened).
    pub contacts_rejected: u64,
    /// Planned contacts the dialer withdrew at `confirm`.
    pub contacts_cancelled: u64,
    pub days: Vec<DayStats>,
}

impl SimStats {
    pub(crate) fn today(&mut self) -> &mut DayStats {
        if self.days.is_empty() {
            self.days.push(DayStats::default());
        }
        self.days.last_mut().expect("a day is open")
    }
}
