//! The topic names of the wire contract, the daemon's changelog and its audit topic: the one
//! place they are spelled. `[kafka]` settings default to these; the embedded broker creates them;
//! the demo, the benchmarks and the tests address them through these constants.

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

/// Decision records (`arrears.decision.v1`), keyed by account: one per published work item,
/// released with it (the audit trail).
pub const DECISIONS: &str = "arrears.decisions";

/// The contract's four topics and the changelog, inputs first.
pub const ALL: [&str; 5] = [BILLING, CONTACTS, WORK_ITEMS, DEAD_LETTER, CHANGELOG];

/// Every topic the daemon reads or writes: [`ALL`] and the audit topic [`DECISIONS`].
pub const EVERY: [&str; 6] = [
    BILLING,
    CONTACTS,
    WORK_ITEMS,
    DEAD_LETTER,
    CHANGELOG,
    DECISIONS,
];

/// The input topic an event type is published on by default: contact attempts come from dialers
/// on [`CONTACTS`], every other event from billing systems on [`BILLING`].
pub fn input_topic(event_type: &str) -> &'static str {
    if event_type == "contact_attempt" {
        CONTACTS
    } else {
        BILLING
    }
}
