//! The contact policy and routing: holds and special accounts, segment → strategy (one tone step
//! at a time), whom to contact through which channel, and the next lawful window under the
//! account's jurisdiction profile (calling hours in the debtor's zone with DST, attempt caps over
//! rolling windows, cool-down after a conversation, daily connected-call caps, third parties only
//! to locate, with consent and no disclosure).
//!
//! Pure: account state, features, scores and the clock in; a [`Decision`] out. Every reason it
//! gives cites the rule id it applied. What this module refuses is not configurable: disclosure
//! to third parties, contact while a hold is in force, dialling do-not-call numbers, any channel
//! but letters under cease-contact, contact when the time zone is unknown.

//!
//! `decision` (what it decides and reads), `holds` (the checks before routing), `route` (whom,
//! how, which strategy), `window` (the next lawful window and caps), `always` (rule ids of every
//! profile).

pub mod always;
pub mod decision;
pub mod holds;
pub mod route;
pub mod window;

pub use decision::{Context, Decision, Plan};
pub use window::calling_window;

/// Decides status, hold, action and window for an account at `c.now`: the holds first, then
/// routing.
pub fn decide(c: &Context) -> Decision {
    match holds::gate(c) {
        Ok(gate) => route::route(c, gate),
        Err(decision) => decision,
    }
}

#[cfg(test)]
mod adversarial_tests;
#[cfg(test)]
mod tests;
