//! The tally of contacts that broke the contact policy, one counter per rule (a contact can break
//! several rules; each counts once per rule it breaks).

use std::fmt;

use serde::Serialize;

/// Counts of contacts that broke the contact policy, by rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Violations {
    /// Calls or texts outside the profile's calling hours in the debtor's time zone.
    pub outside_hours: u64,
    /// Calls beyond the profile's call attempts in any rolling 7 days.
    pub over_frequency: u64,
    /// Calls or texts beyond the profile's calls + texts in any rolling 7 days.
    pub over_contacts: u64,
    /// Texts beyond the profile's texts in any rolling 7 days.
    pub over_sms: u64,
    /// Calls inside the cool-down after a right-party conversation.
    pub after_conversation: u64,
    /// Calls made once the day's connected calls had reached the profile's cap.
    pub over_connected_daily: u64,
    /// Calls beyond the hardship cap while the hardship flag is in force.
    pub over_hardship: u64,
    /// Any contact while a hold was in force (deceased, dispute, complaint, bankruptcy, fraud,
    /// legal hold, Breathing Space).
    pub during_hold: u64,
    /// Calls or texts under cease-contact (letters stay allowed).
    pub cease_contact: u64,
    /// Calls or texts while a promise was pending (before its due date).
    pub promise_pending: u64,
    /// Calls or texts to a number with a do-not-call flag in force, under any contact id.
    pub do_not_call: u64,
    /// Calls or texts to a third party under a profile that never allows them.
    pub third_party_not_allowed: u64,
    /// Calls or texts to a third party while the debtor was reachable, or too early a stage.
    pub third_party_not_locating: u64,
    /// Calls or texts to a third party who did not consent, where consent is required.
    pub third_party_without_consent: u64,
    /// Calls or texts to a third-party number beyond the attempts allowed per person.
    pub third_party_repeated: u64,
    /// Calls or texts to a third party whose script discloses the debt.
    pub third_party_disclosure: u64,
}

impl Violations {
    /// Every counter with its rule name, in a fixed order.
    pub fn by_rule(&self) -> [(&'static str, u64); 16] {
        [
            ("outside_hours", self.outside_hours),
            ("over_frequency", self.over_frequency),
            ("over_contacts", self.over_contacts),
            ("over_sms", self.over_sms),
            ("after_conversation", self.after_conversation),
            ("over_connected_daily", self.over_connected_daily),
            ("over_hardship", self.over_hardship),
            ("during_hold", self.during_hold),
            ("cease_contact", self.cease_contact),
            ("promise_pending", self.promise_pending),
            ("do_not_call", self.do_not_call),
            ("third_party_not_allowed", self.third_party_not_allowed),
            ("third_party_not_locating", self.third_party_not_locating),
            (
                "third_party_without_consent",
                self.third_party_without_consent,
            ),
            ("third_party_repeated", self.third_party_repeated),
            ("third_party_disclosure", self.third_party_disclosure),
        ]
    }

    pub fn total(&self) -> u64 {
        self.by_rule().iter().map(|(_, n)| n).sum()
    }

    pub fn is_clean(&self) -> bool {
        self.total() == 0
    }
}

impl fmt::Display for Violations {
    /// The total, then every rule that was broken: `12 (outside_hours 3, do_not_call 9)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.total())?;
        let broken: Vec<String> = self
            .by_rule()
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        if !broken.is_empty() {
            write!(f, " ({})", broken.join(", "))?;
        }
        Ok(())
    }
}
