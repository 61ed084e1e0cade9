//! Labelled training rows from an event history (`arrears replay --training-rows FILE`).
//!
//! At every cadence boundary (UTC midnight every `cadence_days`) the clock passes during replay,
//! each delinquent account is snapshotted with the very feature code the daemon scores with (no
//! training/serving skew), and labelled from what happened in the following 30 days:
//! - `willingness`: the debtor made a payment (not reversed in full) in (t, t + 30 days];
//! - `ability`: payments in that window, net of reversals, reached the overdue amount at t.
//!
//! Snapshots whose 30-day window runs past the end of the history are left out.

use std::io::Write;

use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

use crate::engine::account::Account;
use crate::engine::features::{self, FEATURE_NAMES, N_FEATURES};
use crate::engine::pipeline::Pipeline;

/// Days after a snapshot in which labels are observed.
pub const LABEL_WINDOW_DAYS: i64 = 30;

struct Snapshot {
    account_id: String,
    at: Timestamp,
    overdue: i64,
    vector: [f64; N_FEATURES],
}

/// Collects snapshots while a replay advances.
pub struct Collector {
    cadence: i64,
    next: Option<Timestamp>,
    snapshots: Vec<Snapshot>,
}

impl Collector {
    pub fn new(cadence_days: i64) -> Collector {
        Collector {
            cadence: cadence_days.max(1) * 86_400,
            next: None,
            snapshots: Vec::new(),
        }
    }

    /// Called before an event at `t` is applied: snapshots every boundary the clock passes.
    pub fn before_event(&mut self, pipeline: &Pipeline, t: Timestamp) {
        let next = *self.next.get_or_insert_with(|| {
            let day = t.as_second().div_euclid(self.cadence) + 1;
            Timestamp::from_second(day * self.cadence).expect("in range")
        });
        let mut boundary = next;
        while boundary <= t {
            self.snapshot(pipeline, boundary);
            boundary += Span::new().seconds(self.cadence);
        }
        self.next = Some(boundary);
    }

    fn snapshot(&mut self, pipeline: &Pipeline, at: Timestamp) {
        let params = features::Params::of(pipeline.settings());
        let mut batch: Vec<Snapshot> = pipeline
            .accounts()
            .filter(|a| a.profile.opened && a.closed.is_none() && a.first_event_at <= at)
            .filter_map(|a| {
                let tz = a.profile.timezone().cloned().unwrap_or(TimeZone::UTC);
                let f = features::compute(a, at, &tz, &params);
                (f.dpd > 0).then(|| Snapshot {
                    account_id: a.id.clone(),
                    at,
                    overdue: f.overdue,
                    vector: f.vector,
                })
            })
            .collect();
        batch.sort_by(|x, y| x.account_id.cmp(&y.account_id));
        self.snapshots.extend(batch);
    }

    /// Labels every snapshot whose window ends by `end` and writes the rows as CSV; returns the
    /// number of rows written.
    pub fn write(
        &self,
        pipeline: &Pipeline,
        end: Timestamp,
        out: impl Write,
    ) -> std::io::Result<u64> {
        let mut w = csv::Writer::from_writer(out);
        let mut header = vec!["account_id", "snapshot_at", "snapshot_day"];
        header.extend(FEATURE_NAMES.iter().copied());
        header.extend(["willingness", "ability"]);
        w.write_record(&header)?;
        let accounts: ahash::AHashMap<&str, &Account> =
            pipeline.accounts().map(|a| (a.id.as_str(), a)).collect();
        let window = LABEL_WINDOW_DAYS * 86_400;
        let mut rows = 0;
        let mut record: Vec<String> = Vec::with_capacity(N_FEATURES + 5);
        for s in &self.snapshots {
            if s.at.as_second() + window > end.as_second() {
                continue;
            }
            let Some(acc) = accounts.get(s.account_id.as_str()) else {
                continue;
            };
            let (from, to) = (s.at.as_second(), s.at.as_second() + window);
            let (mut paid, mut any) = (0i64, false);
            for p in acc.payments.iter().filter(|p| {
                let t = p.at.as_second();
                t > from && t <= to
            }) {
                let net = p.amount - p.reversed;
                paid += net;
                any |= net > 0;
            }
            record.clear();
            record.push(s.account_id.clone());
            record.push(s.at.to_string());
            record.push((s.at.as_second() / 86_400).to_string());
            record.extend(s.vector.iter().map(|v| format!("{v}")));
            record.push((any as u8).to_string());
            record.push(((paid >= s.overdue) as u8).to_string());
            w.write_record(&record)?;
            rows += 1;
        }
        w.flush()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::engine::scoring::Scorer;
    use crate::engine::settings::Settings;
    use crate::engine::testkit::{t, Story};

    #[test]
    fn snapshots_delinquent_accounts_daily_and_labels_the_next_30_days() {
        let mut s = Story::new("A-1");
        s.open("2026-01-01T00:00:00Z", "UTC")
            .statement("2026-03-01T00:00:00Z", "s1", 100_000, 10_000, "2026-03-15")
            .pay("2026-03-20T12:00:00Z", "p1", 4_000)
            .pay("2026-04-10T12:00:00Z", "p2", 6_000)
            .flag("2026-05-30T00:00:00Z", "hardship");
        let mut p = Pipeline::new(
            Arc::new(Settings::defaults()),
            Arc::new(Scorer::shipped().unwrap()),
        );
        let mut c = Collector::new(1);
        for e in &s.events {
            c.before_event(&p, e.occurred_at);
            p.apply(e).unwrap();
        }
        let mut out = Vec::new();
        let rows = c.write(&p, t("2026-05-30T00:00:00Z"), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len() as u64, rows + 1, "a header and the rows");
        let header: Vec<&str> = lines[0].split(',').collect();
        assert_eq!(header.len(), 3 + N_FEATURES + 2);
        let row = |day: &str| -> Vec<String> {
            let l = lines
                .iter()
                .find(|l| l.contains(&format!("2026-{day}T00:00:00Z")))
                .unwrap();
            l.split(',').map(str::to_owned).collect()
        };
        // First delinquent midnight is 03-16; the last with a full window ends by 05-30 is 04-30.
        assert!(lines[1].contains("2026-03-16T00:00:00Z"));
        assert!(
            lines.last().unwrap().contains("2026-04-10T00:00:00Z"),
            "cured by the p2 payment"
        );
        assert_eq!(rows, 26, "03-16 .. 04-10 inclusive");
        let labels = |r: &Vec<String>| (r[r.len() - 2].clone(), r[r.len() - 1].clone());
        // On 03-17: 10,000 overdue; 4,000 then 6,000 within 30 days → willing and able.
        assert_eq!(labels(&row("03-17")), ("1".into(), "1".into()));
        // On 03-21: 6,000 overdue; 6,000 paid on 04-10 → both.
        assert_eq!(labels(&row("03-21")), ("1".into(), "1".into()));
        // On 03-16 the features see 1 day past due.
        let dpd = header.iter().position(|h| *h == "days_past_due").unwrap();
        assert_eq!(row("03-16")[dpd], "1");
    }
}
