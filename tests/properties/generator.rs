//! The generator itself: every record is accepted and the streams reach the interesting states.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use crate::{driver::*, model::*};

/// The generator itself: every record is accepted and the streams reach the states the properties
/// are about (a guard against vacuous passes; the tallies print with `--nocapture`).
#[test]
fn generator_covers_the_interesting_states() {
    let stats: RefCell<HashMap<String, u64>> = RefCell::default();
    let cases = Cell::new(0u32);
    run_property("generator", 64, |stream| {
        cases.set(cases.get() + 1);
        let mut st = stats.borrow_mut();
        for ev in &stream.events {
            let key = match s(&ev.value, "disposition") {
                Some(x) => format!("event disposition {x}"),
                None => format!("event {}", s(&ev.value, "type").unwrap()),
            };
            *st.entry(key).or_default() += 1;
        }
        drop(st);
        drive(stream, &mut |o| {
            let mut st = stats.borrow_mut();
            let key = match (&o.item.action, &o.item.hold_reason) {
                (Some(a), _) => format!(
                    "item {} {} {} {}",
                    o.item.status, a.channel, a.party, a.strategy
                ),
                (None, Some(h)) => format!("item held {h}"),
                (None, None) => format!("item {}", o.item.status),
            };
            *st.entry(key).or_default() += 1;
            *st.entry(format!("stage {}", o.item.stage)).or_default() += 1;
            Ok(())
        })
        .map(|_| ())
    });
    let mut v: Vec<_> = stats.into_inner().into_iter().collect();
    v.sort();
    eprintln!("generator: {} cases", cases.get());
    for (k, n) in v {
        eprintln!("  {k}: {n}");
    }
}
