//! The console's portfolio page: accounts by stage, segment and status (from the ranked items),
//! and, over the last [`DAYS`] days (UTC), money collected net of reversals, right-party
//! contacts and promises made, with the same by experiment arm (the arm of each account's item
//! now). Amounts are summed in the portfolio's most common currency; accounts in others are
//! counted and named, never added in.

use std::collections::BTreeMap;
use std::fmt::Write;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::engine::account::Account;
use crate::engine::domain::{Outcome, Party};
use crate::engine::workitem::WorkItem;

use super::chart::{bars, columns};
use super::html::{esc, money, name};

/// Days of the time series.
pub const DAYS: usize = 30;

/// Per arm: accounts, open items, collected, right-party contacts, promises (last DAYS days).
#[derive(Default, Clone)]
struct ArmRow {
    accounts: u64,
    open: u64,
    collected: i64,
    rpc: u64,
    promises: u64,
}

/// The portfolio's figures, computed once per page view.
pub struct Portfolio {
    now: Timestamp,
    days: Vec<Date>,
    by_stage: BTreeMap<String, u64>,
    by_segment: BTreeMap<String, u64>,
    by_status: BTreeMap<String, u64>,
    currency: String,
    other_currencies: BTreeMap<String, u64>,
    collected: Vec<i64>,
    rpc: Vec<u64>,
    promises: Vec<u64>,
    arms: BTreeMap<String, ArmRow>,
}

impl Portfolio {
    /// The figures of `accounts` (with their current `items`) as of `now`.
    pub fn compute<'a>(
        accounts: impl Iterator<Item = &'a Account>,
        items: &[WorkItem],
        now: Timestamp,
    ) -> Portfolio {
        let today = now.to_zoned(TimeZone::UTC).date();
        let days: Vec<Date> = (0..DAYS as i64)
            .rev()
            .filter_map(|k| today.checked_sub(jiff::Span::new().days(k)).ok())
            .collect();
        let first = days.first().copied().unwrap_or(today);
        let slot = |t: Timestamp| -> Option<usize> {
            let d = t.to_zoned(TimeZone::UTC).date();
            if d < first || d > today {
                return None;
            }
            days.iter().position(|x| *x == d)
        };
        let mut p = Portfolio {
            now,
            days: days.clone(),
            by_stage: BTreeMap::new(),
            by_segment: BTreeMap::new(),
            by_status: BTreeMap::new(),
            currency: String::new(),
            other_currencies: BTreeMap::new(),
            collected: vec![0; days.len()],
            rpc: vec![0; days.len()],
            promises: vec![0; days.len()],
            arms: BTreeMap::new(),
        };
        let mut currencies: BTreeMap<&str, u64> = BTreeMap::new();
        let mut arm_of: BTreeMap<&str, &str> = BTreeMap::new();
        for it in items {
            *p.by_stage.entry(name(&it.stage)).or_default() += 1;
            *p.by_segment.entry(name(&it.segment)).or_default() += 1;
            let st = match it.hold_reason {
                Some(h) => format!("held: {}", name(&h)),
                None => name(&it.status),
            };
            *p.by_status.entry(st).or_default() += 1;
            *currencies.entry(it.currency.as_str()).or_default() += 1;
            arm_of.insert(it.account_id.as_str(), &it.arm);
            let row = p.arms.entry(it.arm.to_string()).or_default();
            row.accounts += 1;
            row.open += u64::from(it.status == crate::engine::domain::Status::Open);
        }
        // The most common currency; ties to the first in code order.
        if let Some((c, _)) = currencies
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        {
            p.currency = (*c).to_string();
        }
        for a in accounts {
            let arm = arm_of.get(a.id.as_str()).copied().unwrap_or("");
            let same_currency = a.profile.currency() == p.currency;
            if !same_currency {
                *p.other_currencies
                    .entry(a.profile.currency().to_string())
                    .or_default() += 1;
            }
            let mut row = ArmRow::default();
            if same_currency {
                for pay in &a.payments {
                    if let Some(i) = slot(pay.at) {
                        p.collected[i] += pay.amount;
                        row.collected += pay.amount;
                    }
                }
                for r in &a.reversals {
                    if let Some(i) = slot(r.at) {
                        p.collected[i] -= r.amount;
                        row.collected -= r.amount;
                    }
                }
            }
            for at in &a.attempts {
                if at.outcome == Outcome::RightParty && at.party == Party::Debtor {
                    if let Some(i) = slot(at.at) {
                        p.rpc[i] += 1;
                        row.rpc += 1;
                    }
                }
            }
            for pr in &a.promises {
                if let Some(i) = slot(pr.made_at) {
                    p.promises[i] += 1;
                    row.promises += 1;
                }
            }
            if let Some(r) = p.arms.get_mut(arm) {
                r.collected += row.collected;
                r.rpc += row.rpc;
                r.promises += row.promises;
            }
        }
        p
    }

    /// The page body.
    pub fn render(&self) -> String {
        let rows = |m: &BTreeMap<String, u64>| -> Vec<(String, f64)> {
            m.iter().map(|(k, v)| (k.clone(), *v as f64)).collect()
        };
        let total: u64 = self.by_status.values().sum();
        let labels: Vec<String> = self.days.iter().map(|d| d.to_string()).collect();
        let mut s = String::new();
        let _ = write!(
            s,
            "<p class=\"muted\">{total} accounts on this instance as of {}. Time series: the last {DAYS} days (UTC), amounts in {}.</p>",
            self.now,
            esc(if self.currency.is_empty() { "—" } else { &self.currency })
        );
        if !self.other_currencies.is_empty() {
            let others: Vec<String> = self
                .other_currencies
                .iter()
                .map(|(c, n)| format!("{n} in {c}"))
                .collect();
            let _ = write!(
                s,
                "<p class=\"muted\">Not in the amounts: accounts {}.</p>",
                esc(&others.join(", "))
            );
        }
        s.push_str("<div class=\"grid\">");
        for (id, title, m) in [
            ("by-stage", "Accounts by stage", &self.by_stage),
            ("by-segment", "Accounts by segment", &self.by_segment),
            ("by-status", "Accounts by status", &self.by_status),
        ] {
            let _ = write!(
                s,
                "<section class=\"card\" id=\"{id}\">{}</section>",
                bars(title, &rows(m))
            );
        }
        s.push_str("</div><div class=\"grid\">");
        let collected: Vec<f64> = self.collected.iter().map(|c| *c as f64 / 100.0).collect();
        let rpc: Vec<f64> = self.rpc.iter().map(|c| *c as f64).collect();
        let promises: Vec<f64> = self.promises.iter().map(|c| *c as f64).collect();
        let _ = write!(
            s,
            "<section class=\"card\" id=\"collected\">{}<p class=\"muted\">{} in all</p></section>",
            columns(
                &format!("Collected per day ({})", self.currency),
                &labels,
                &collected,
                1
            ),
            money(self.collected.iter().sum(), &self.currency)
        );
        let _ = write!(
            s,
            "<section class=\"card\" id=\"rpc\">{}<p class=\"muted\">{} in all</p></section>",
            columns("Right-party contacts per day", &labels, &rpc, 0),
            self.rpc.iter().sum::<u64>()
        );
        let _ = write!(
            s,
            "<section class=\"card\" id=\"promises\">{}<p class=\"muted\">{} in all</p></section>",
            columns("Promises made per day", &labels, &promises, 2),
            self.promises.iter().sum::<u64>()
        );
        s.push_str("</div>");
        let _ = write!(
            s,
            "<section class=\"card\" id=\"arms\"><h2>By experiment arm</h2><p class=\"muted\">Each account counts under the arm of its item now; collected, contacts and promises over the last {DAYS} days.</p><table><thead><tr><th>arm</th><th class=\"num\">accounts</th><th class=\"num\">open</th><th class=\"num\">collected</th><th class=\"num\">collected per account</th><th class=\"num\">right-party contacts</th><th class=\"num\">promises</th></tr></thead><tbody>"
        );
        for (arm, r) in &self.arms {
            let per = if r.accounts > 0 {
                r.collected / r.accounts as i64
            } else {
                0
            };
            let _ = write!(
                s,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                esc(arm),
                r.accounts,
                r.open,
                money(r.collected, &self.currency),
                money(per, &self.currency),
                r.rpc,
                r.promises
            );
        }
        s.push_str("</tbody></table>");
        let arm_rows: Vec<(String, f64)> = self
            .arms
            .iter()
            .map(|(k, r)| (k.clone(), r.collected as f64 / 100.0))
            .collect();
        if arm_rows.len() > 1 {
            s.push_str(&bars("Collected by arm", &arm_rows));
        }
        s.push_str("</section>");
        s
    }
}
