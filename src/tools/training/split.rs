//! Which rows a fit uses: the time or stratified random split into parts, the time keys it sorts
//! by, and minority-row duplication (rebalancing) with the intercept shift that undoes it.

use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::csv::Table;
use super::error::TrainError;
use super::fit_report::RebalanceInfo;

pub(super) fn rate(rows: &[usize], y: &[u8]) -> f64 {
    rows.iter().filter(|&&r| y[r] == 1).count() as f64 / rows.len().max(1) as f64
}

/// Sort key of the time column.
pub(super) enum TimeKeys<'a> {
    Num(Vec<f64>),
    Text(&'a [String]),
}

impl TimeKeys<'_> {
    pub(super) fn cmp(&self, a: usize, b: usize) -> std::cmp::Ordering {
        match self {
            TimeKeys::Num(v) => v[a].total_cmp(&v[b]),
            TimeKeys::Text(v) => v[a].cmp(&v[b]),
        }
    }
    pub(super) fn show(&self, i: usize) -> String {
        match self {
            TimeKeys::Num(v) => v[i].to_string(),
            TimeKeys::Text(v) => v[i].clone(),
        }
    }
}

pub(super) fn time_keys<'a>(table: &'a Table, col: &str) -> Result<TimeKeys<'a>, TrainError> {
    let missing = |row: usize| TrainError::BadTime {
        column: col.to_string(),
        row: row as u64 + 1,
    };
    if let Some(text) = table.text_column(col) {
        if let Some(i) = text.iter().position(|s| s.trim().is_empty()) {
            return Err(missing(i));
        }
        // Numbers compare as numbers; anything else (ISO dates, RFC 3339 times) as text.
        let nums: Option<Vec<f64>> = text
            .iter()
            .map(|s| s.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
            .collect();
        return Ok(match nums {
            Some(v) => TimeKeys::Num(v),
            None => TimeKeys::Text(text),
        });
    }
    match table.column_index(col) {
        Some(j) => {
            let v: Vec<f64> = table.column(j).to_vec();
            if let Some(i) = v.iter().position(|x| x.is_nan()) {
                return Err(missing(i));
            }
            Ok(TimeKeys::Num(v))
        }
        None => Err(TrainError::UnknownColumns {
            what: "--time-column".into(),
            missing: vec![col.to_string()],
            columns: table.all_columns(),
        }),
    }
}

/// Time split of `rows` (already in time order): the last `frac` go to the second part; a run of
/// equal times is not cut in two unless that would shrink the first part below half its size.
pub(super) fn time_cut(order: &[usize], keys: &TimeKeys, frac: f64) -> usize {
    let n = order.len();
    let want = ((1.0 - frac) * n as f64).round() as usize;
    let want = want.clamp(1, n - 1);
    let mut cut = want;
    while cut > want / 2 && keys.cmp(order[cut - 1], order[cut]).is_eq() {
        cut -= 1;
    }
    if keys.cmp(order[cut - 1], order[cut]).is_eq() {
        want
    } else {
        cut
    }
}

/// Stratified random split of `rows`: `frac` of each class goes to the second part (at least one
/// row of each class on each side). Both parts come back in ascending row order.
pub(super) fn stratified(
    rows: &[usize],
    y: &[u8],
    frac: f64,
    rng: &mut ChaCha8Rng,
) -> (Vec<usize>, Vec<usize>) {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for class in [0u8, 1] {
        let mut idx: Vec<usize> = rows.iter().copied().filter(|&r| y[r] == class).collect();
        idx.shuffle(rng);
        let k = ((frac * idx.len() as f64).round() as usize)
            .clamp(usize::from(idx.len() > 1), idx.len().saturating_sub(1));
        b.extend_from_slice(&idx[..k]);
        a.extend_from_slice(&idx[k..]);
    }
    a.sort_unstable();
    b.sort_unstable();
    (a, b)
}

/// Appends duplicated minority rows so minority ≥ ratio × majority.
pub(super) fn rebalance(
    rows: &[usize],
    y: &[u8],
    ratio: f64,
    rng: &mut ChaCha8Rng,
) -> (Vec<usize>, RebalanceInfo) {
    let pos: Vec<usize> = rows.iter().copied().filter(|&r| y[r] == 1).collect();
    let neg_n = rows.len() - pos.len();
    let (minority_class, minority, majority_n) = if pos.len() <= neg_n {
        (1u8, pos, neg_n)
    } else {
        (
            0u8,
            rows.iter().copied().filter(|&r| y[r] == 0).collect(),
            pos.len(),
        )
    };
    let mut out = rows.to_vec();
    let want = (ratio * majority_n as f64).round() as usize;
    let added = want.saturating_sub(minority.len());
    if added > 0 && !minority.is_empty() {
        for _ in 0..added / minority.len() {
            out.extend_from_slice(&minority);
        }
        let mut extra = minority.clone();
        extra.shuffle(rng);
        out.extend_from_slice(&extra[..added % minority.len()]);
    }
    let factor = (minority.len() + added) as f64 / minority.len().max(1) as f64;
    let correction = if added == 0 {
        0.0
    } else if minority_class == 1 {
        -factor.ln()
    } else {
        factor.ln()
    };
    let info = RebalanceInfo {
        method: "duplicate_minority_rows",
        target_ratio: ratio,
        minority_class,
        minority_rows: minority.len(),
        majority_rows: majority_n,
        rows_added: added,
        intercept_correction: correction,
    };
    (out, info)
}

/// The intercept shift that undoes the duplication in `fitted` relative to `original` rows.
pub(super) fn rebalance_correction(fitted: &[usize], original: &[usize], y: &[u8]) -> f64 {
    let count = |rows: &[usize], c: u8| rows.iter().filter(|&&r| y[r] == c).count() as f64;
    // log(odds in the original) − log(odds in the fitted rows).
    (count(original, 1) / count(original, 0)).ln() - (count(fitted, 1) / count(fitted, 0)).ln()
}

pub(super) fn labels_of(rows: &[usize], y: &[u8]) -> Vec<u8> {
    rows.iter().map(|&r| y[r]).collect()
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn rebalance_duplicates_to_the_ratio() {
        let y: Vec<u8> = (0..100).map(|i| u8::from(i < 10)).collect();
        let rows: Vec<usize> = (0..100).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (out, info) = rebalance(&rows, &y, 0.5, &mut rng);
        assert_eq!(info.rows_added, 35);
        assert_eq!(out.iter().filter(|&&r| y[r] == 1).count(), 45);
        assert!((info.intercept_correction + 4.5f64.ln()).abs() < 1e-12);
        assert!((rebalance_correction(&out, &rows, &y) - info.intercept_correction).abs() < 1e-12);
        let (same, none) = rebalance(&rows, &y, 0.0, &mut rng);
        assert_eq!((same.len(), none.rows_added), (100, 0));
    }

    #[test]
    fn stratified_keeps_rates() {
        let y: Vec<u8> = (0..1000).map(|i| u8::from(i % 4 == 0)).collect();
        let rows: Vec<usize> = (0..1000).collect();
        let (a, b) = stratified(&rows, &y, 0.2, &mut ChaCha8Rng::seed_from_u64(3));
        assert_eq!((a.len(), b.len()), (800, 200));
        assert_eq!(b.iter().filter(|&&r| y[r] == 1).count(), 50);
    }
}
