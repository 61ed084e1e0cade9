//! Property 6: ranking order and item value ranges.

use crate::{driver::*, view::*};

/// 6. Ranking: `ranked()` is open by priority descending, then held, then closed, ties by
///    account_id; priority is finite, ≥ 0, and 0 unless open; scores are in [0, 1]; money and
///    days past due are never negative.
#[test]
fn ranking_order_and_item_ranges() {
    let seen = Seen::default();
    run_property("ranking", 192, |stream| {
        drive(stream, &mut |o| {
            let ranked = o
                .pipeline
                .ranked()
                .into_iter()
                .map(view)
                .collect::<Result<Vec<View>, String>>()?;
            for w in ranked.windows(2) {
                let (x, y) = (&w[0], &w[1]);
                let ok = match status_rank(&x.status).cmp(&status_rank(&y.status)) {
                    std::cmp::Ordering::Less => true,
                    std::cmp::Ordering::Greater => false,
                    std::cmp::Ordering::Equal => {
                        x.priority > y.priority
                            || (x.priority == y.priority && x.account_id < y.account_id)
                    }
                };
                if !ok {
                    return Err(format!(
                        "ranked out of order: {} {} {} before {} {} {}",
                        x.account_id, x.status, x.priority, y.account_id, y.status, y.priority
                    ));
                }
                if x.status == "open" && y.status == "open" {
                    seen.hit("pairs of open items");
                }
            }
            for it in &ranked {
                if !matches!(it.status.as_str(), "open" | "held" | "closed") {
                    return Err(format!("{}: status {:?}", it.account_id, it.status));
                }
                if !(it.priority.is_finite() && it.priority >= 0.0) {
                    return Err(format!("{}: priority {}", it.account_id, it.priority));
                }
                if it.status != "open" && it.priority != 0.0 {
                    return Err(format!(
                        "{}: status {} with priority {}",
                        it.account_id, it.status, it.priority
                    ));
                }
                if it.status == "open" {
                    seen.hit("open items");
                }
                for (name, v) in [
                    ("willingness", it.scores.willingness),
                    ("ability", it.scores.ability),
                ] {
                    if !(0.0..=1.0).contains(&v) {
                        return Err(format!("{}: {name} {v} outside [0, 1]", it.account_id));
                    }
                }
                if it.expected_recovery < 0 || it.overdue_amount < 0 || it.days_past_due < 0 {
                    return Err(format!(
                        "{}: negative expected_recovery {} / overdue {} / dpd {}",
                        it.account_id, it.expected_recovery, it.overdue_amount, it.days_past_due
                    ));
                }
            }
            Ok(())
        })
        .map(|_| ())
    });
    seen.print("ranking");
}
