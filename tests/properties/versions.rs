//! Property 4: item versions only grow.

use std::cell::RefCell;
use std::collections::HashMap;

use serde_json::Value;

use crate::{driver::*, view::*};

fn content(item: &View) -> String {
    let mut v: Value = serde_json::from_str(&item.json).expect("json");
    let o = v.as_object_mut().expect("object");
    o.remove("version");
    o.remove("as_of");
    v.to_string()
}

/// 4. Versions: an account's item version never decreases and strictly increases whenever the
///    item's content (everything but version and as_of) changes, across events and evaluate_all
///    calls; re-evaluating at the same clock changes nothing.
#[test]
fn versions_only_grow() {
    let seen = Seen::default();
    run_property("versions", 256, |stream| {
        let last: RefCell<HashMap<String, (u64, String)>> = RefCell::default();
        let (mut p, clock) = drive(stream, &mut |o| {
            let c = content(o.item);
            let v = o.item.version;
            let mut last = last.borrow_mut();
            if let Some((pv, pc)) = last.get(o.id) {
                if v < *pv {
                    return Err(format!("version went down from {pv} to {v}"));
                }
                if *pc != c && v <= *pv {
                    return Err(format!(
                        "content changed but version stayed {v}:\n  before: {pc}\n  after:  {c}"
                    ));
                }
                if *pc != c {
                    seen.hit("content changes");
                }
            } else if v == 0 {
                return Err("first version is 0".into());
            }
            last.insert(o.id.to_owned(), (v, c));
            Ok(())
        })?;
        let again = p.evaluate_all(clock);
        if again != 0 {
            return Err(format!(
                "evaluate_all at the same clock {clock} again changed {again} item(s)\n{}",
                stream.jsonl(usize::MAX)
            ));
        }
        Ok(())
    });
    seen.print("versions");
}
