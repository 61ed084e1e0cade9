//! The topic names of the wire contract and the daemon's changelog: the one place they are
//! spelled. `[kafka]` settings default to these; the embedded broker creates them; the demo,
//! the benchmarks and the tests address them through these constants.

/// Billing systems' events (every type but `contact_attempt`).
pub const BILLING: &str = "arrears.billing";
/// Dialers' `contact_attempt` events.
pub const CONTACTS: &str = "arrears.contacts";
/// Work items, keyed by account (compacted).
pub const WORK_ITEMS: &str = "arrears.work-items";
/// Rejected records with their `arrears-error`, `arrears-detail` and `arrears-source` headers.
pub const DEAD_LETTER: &str = "arrears.dead-letter";
/// Account state and input positions (compacted), co-partitioned with the inputs.
pub const CHANGELOG: &str = "arrears.changelog";

/// Every topic above, inputs first.
pub const ALL: [&str; 5] = [BILLING, CONTACTS, WORK_ITEMS, DEAD_LETTER, CHANGELOG];

/// The input topic an event type is published on by default: contact attempts come from dialers
/// on [`CONTACTS`], every other event from billing systems on [`BILLING`].
pub fn input_topic(event_type: &str) -> &'static str {
    if event_type == "contact_attempt" {
        CONTACTS
    } else {
        BILLING
    }
}
