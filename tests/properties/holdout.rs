//! Property 13: the randomised holdout. An item of an account in today's holdout never asks for an
//! outbound call (it gets a text or a letter instead); the exempt calls (the debtor's callback, a
//! hardship or complaint follow-up) are not randomised and so are not labelled `holdout`; every
//! item names its arm and a probability in (0, 1].

use crate::driver::*;

#[test]
fn the_holdout_never_gets_an_outbound_call() {
    let seen = Seen::default();
    run_property("holdout", 256, |stream| {
        drive(stream, &mut |o| {
            let v: serde_json::Value =
                serde_json::from_str(&o.item.json).map_err(|e| e.to_string())?;
            let arm = v["arm"].as_str().ok_or("item without an arm")?;
            let p = v["arm_probability"]
                .as_f64()
                .ok_or("item without arm_probability")?;
            if !(p > 0.0 && p <= 1.0) {
                return Err(format!("arm_probability {p}"));
            }
            if arm != "holdout" {
                if o.item.status == "open" {
                    seen.hit("open items outside the holdout");
                }
                return Ok(());
            }
            seen.hit("holdout items");
            if o.item.status != "open" {
                return Err(format!("a {} item labelled holdout", o.item.status));
            }
            let a = o.item.action.as_ref().ok_or("open without an action")?;
            if a.channel == "call" {
                return Err(format!(
                    "holdout account asked to be called ({})",
                    o.item.json
                ));
            }
            seen.hit(if a.channel == "sms" {
                "holdout texted instead"
            } else {
                "holdout written to instead"
            });
            Ok(())
        })
        .map(|_| ())
    });
    seen.require(&[
        "holdout items",
        "holdout texted instead",
        "open items outside the holdout",
    ]);
}
