//! The world's own contact-policy audit, written independently of the engine's policy code
//! (`crate::engine::policy` is neither called nor imported). It judges every executed contact
//! against the account's true ledger as the world recorded it (not against anything a dialer or
//! the engine claims), under the contact-policy profile the simulated account is under.
//!
//! The profile's numbers come from the engine's configuration, read as plain data
//! (`Settings::profiles[name]` and the `[policy]` locate keys, see [`Rules::from_settings`]); the
//! rules themselves (what counts, when, by number or by id) are this module's own reading of
//! `domain.md`. Modules: `rules` (the numbers of one profile), `counts` (the tally),
//! `judge` (one contact against the rules).

mod counts;
mod judge;
mod rules;

pub use counts::Violations;
pub(crate) use judge::Contact;
pub use rules::{Rules, ThirdParties};

#[cfg(test)]
mod tests;
