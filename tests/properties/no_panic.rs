//! Property 11: no panic on any adversarial stream, in any profile.
//!
//! Every record is accepted or rejected with a contract reason code (the driver checks that, and
//! that contract-valid records are accepted); every item is a contract work item; evaluating at
//! later clocks (up to year 9999) never panics; and the pipeline still answers for every account.

use arrears::engine::pipeline::Pipeline;

use crate::adv_model::*;

#[test]
fn no_panic_and_every_record_accounted_for_in_every_profile() {
    run_adv("no panic", 160, true, |stream| {
        let p: Pipeline = drive_adv(stream, true, &mut |o| {
            if !["open", "held", "closed"].contains(&o.item.status.as_str()) {
                return Err(format!("status {:?} is not in the contract", o.item.status));
            }
            if o.item.priority < 0.0 || !o.item.priority.is_finite() {
                return Err(format!(
                    "priority {} is not finite and >= 0",
                    o.item.priority
                ));
            }
            Ok(())
        })?;
        let far: jiff::Timestamp = "9999-12-30T00:00:00Z".parse().expect("in range");
        let mut p = p;
        p.evaluate_all(far);
        let ranked = p.ranked();
        if ranked.len() > stream.ids.len() {
            return Err(format!(
                "{} items for {} accounts",
                ranked.len(),
                stream.ids.len()
            ));
        }
        let accepted = p.stats().applied;
        let rejected: u64 = p.stats().rejected.iter().sum();
        if accepted + rejected != stream.events.len() as u64 {
            return Err(format!(
                "{} records, {accepted} applied and {rejected} rejected: some unaccounted for",
                stream.events.len()
            ));
        }
        Ok(())
    });
}
