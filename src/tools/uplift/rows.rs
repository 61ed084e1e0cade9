//! Outcome rows for uplift learning: one row per decision to call or not (an account with an open
//! call item at the start of a day), with the inputs the engine saw (features and scores), the
//! arm and the logged probability of the treatment, whether the account was called that day, and
//! what it paid over the horizon afterwards (payments net of reversals), as CSV.
//!
//! [`Ledger`] collects the payments and reversals of an event stream by account, so that rows
//! can be labelled once the horizon has passed.

use std::io::{BufRead, Write};

use crate::engine::features::{FEATURE_NAMES, N_FEATURES};
use crate::engine::scoring::uplift::SCORE_INPUTS;

/// Share of the amount at stake that a row must pay over the horizon to count as paying.
pub const PAID_THRESHOLD: f64 = 0.05;

/// One decision and its outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The account.
    pub account_id: String,
    /// Seconds since the epoch of the decision (start of the day).
    pub at: i64,
    /// The arm (or `holdout`) or the exploration policy's name.
    pub arm: String,
    /// Probability that this account was called at this decision under the logging policy.
    pub propensity: f64,
    /// Called that day.
    pub treated: bool,
    /// The amount at stake (minor units of the account's currency).
    pub stake: f64,
    /// Net payments over the horizon after the decision (same units).
    pub paid: f64,
    /// The feature vector.
    pub features: [f64; N_FEATURES],
    /// Willingness and ability.
    pub scores: [f64; 2],
}

impl Row {
    /// The label: paid at least [`PAID_THRESHOLD`] of the stake.
    pub fn y(&self) -> bool {
        self.stake > 0.0 && self.paid >= PAID_THRESHOLD * self.stake
    }

    /// The share of the stake paid, in [0, 1].
    pub fn paid_share(&self) -> f64 {
        if self.stake > 0.0 {
            (self.paid / self.stake).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    /// Model input `j` of [`Row::inputs`].
    pub fn input(&self, j: usize) -> f64 {
        if j < N_FEATURES {
            self.features[j]
        } else {
            self.scores[j - N_FEATURES]
        }
    }

    /// Model inputs: the features, then the scores.
    pub fn inputs(&self) -> impl Iterator<Item = f64> + '_ {
        self.features.iter().chain(self.scores.iter()).copied()
    }
}

/// The names of [`Row::inputs`].
pub fn input_names() -> Vec<&'static str> {
    FEATURE_NAMES
        .iter()
        .chain(SCORE_INPUTS.iter())
        .copied()
        .collect()
}

const FIXED: [&str; 7] = [
    "account_id",
    "at",
    "arm",
    "propensity",
    "treated",
    "stake",
    "paid",
];

/// Writes rows as CSV with a header.
pub fn write_csv(rows: &[Row], mut w: impl Write) -> std::io::Result<()> {
    let names = input_names();
    writeln!(w, "{},{}", FIXED.join(","), names.join(","))?;
    for r in rows {
        write!(
            w,
            "{},{},{},{},{},{},{}",
            r.account_id,
            r.at,
            r.arm,
            r.propensity,
            u8::from(r.treated),
            r.stake,
            r.paid
        )?;
        for v in r.inputs() {
            write!(w, ",{v}")?;
        }
        writeln!(w)?;
    }
    w.flush()
}

/// Reads rows written by [`write_csv`]; every problem names its line.
pub fn read_csv(r: impl BufRead) -> anyhow::Result<Vec<Row>> {
    let names = input_names();
    let mut lines = r.lines();
    let header = lines
        .next()
        .ok_or_else(|| anyhow::anyhow!("empty rows file"))??;
    let want = format!("{},{}", FIXED.join(","), names.join(","));
    anyhow::ensure!(
        header.trim_end() == want,
        "rows header does not match this engine's inputs (expected {} columns: {}…)",
        FIXED.len() + names.len(),
        &want[..want.len().min(80)]
    );
    let mut out = Vec::new();
    for (i, line) in lines.enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let n = i + 2;
        let cols: Vec<&str> = line.split(',').collect();
        anyhow::ensure!(
            cols.len() == FIXED.len() + names.len(),
            "rows line {n}: {} columns, expected {}",
            cols.len(),
            FIXED.len() + names.len()
        );
        let num = |k: usize| -> anyhow::Result<f64> {
            cols[k]
                .parse::<f64>()
                .map_err(|e| anyhow::anyhow!("rows line {n} column {}: {e}", k + 1))
        };
        let mut features = [0.0; N_FEATURES];
        for (k, f) in features.iter_mut().enumerate() {
            *f = num(FIXED.len() + k)?;
        }
        out.push(Row {
            account_id: cols[0].to_owned(),
            at: num(1)? as i64,
            arm: cols[2].to_owned(),
            propensity: num(3)?,
            treated: num(4)? != 0.0,
            stake: num(5)?,
            paid: num(6)?,
            features,
            scores: [
                num(FIXED.len() + N_FEATURES)?,
                num(FIXED.len() + N_FEATURES + 1)?,
            ],
        });
    }
    Ok(out)
}

/// Payments and reversals of an event stream, by account: `(seconds, signed minor units)`.
#[derive(Debug, Default)]
pub struct Ledger {
    by_account: ahash::AHashMap<String, Vec<(i64, f64)>>,
}

impl Ledger {
    /// Takes note of one event line if it is a payment or a reversal.
    pub fn observe(&mut self, line: &str) {
        let sign = if line.contains("\"payment_received\"") {
            1.0
        } else if line.contains("\"payment_reversed\"") {
            -1.0
        } else {
            return;
        };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            return;
        };
        let (Some(id), Some(amount), Some(at)) = (
            v["account_id"].as_str(),
            v["amount"].as_f64(),
            v["occurred_at"]
                .as_str()
                .and_then(|t| t.parse::<jiff::Timestamp>().ok()),
        ) else {
            return;
        };
        self.by_account
            .entry(id.to_owned())
            .or_default()
            .push((at.as_second(), sign * amount));
    }

    /// Net paid by `account` in [from, from + horizon seconds).
    pub fn net(&self, account: &str, from: i64, horizon: i64) -> f64 {
        self.by_account.get(account).map_or(0.0, |v| {
            v.iter()
                .filter(|(t, _)| *t >= from && *t < from + horizon)
                .map(|(_, a)| a)
                .sum()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_through_csv_and_the_ledger_nets_reversals() {
        let mut f = [0.0; N_FEATURES];
        f[3] = 1.5;
        let rows = vec![Row {
            account_id: "A-1".into(),
            at: 86_400,
            arm: "explore".into(),
            propensity: 0.07,
            treated: true,
            stake: 5000.0,
            paid: 2500.0,
            features: f,
            scores: [0.4, 0.6],
        }];
        let mut buf = Vec::new();
        write_csv(&rows, &mut buf).unwrap();
        assert_eq!(read_csv(buf.as_slice()).unwrap(), rows);
        assert!(rows[0].y());
        let mut l = Ledger::default();
        l.observe(r#"{"type":"payment_received","account_id":"A-1","amount":3000,"occurred_at":"1970-01-02T01:00:00Z"}"#);
        l.observe(r#"{"type":"payment_reversed","account_id":"A-1","amount":1000,"occurred_at":"1970-01-02T02:00:00Z"}"#);
        l.observe(r#"{"type":"payment_received","account_id":"A-1","amount":7000,"occurred_at":"1970-03-01T00:00:00Z"}"#);
        assert_eq!(l.net("A-1", 86_400, 30 * 86_400), 2000.0);
        assert_eq!(l.net("A-2", 0, 1), 0.0);
    }
}
