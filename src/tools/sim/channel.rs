//! What a dialer asks the world for: the contact [`Channel`]s and a [`PlannedContact`].

use jiff::Timestamp;

/// Contact channels a dialer may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Call,
    Sms,
    Letter,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Call => "call",
            Channel::Sms => "sms",
            Channel::Letter => "letter",
        }
    }
}

/// One contact a dialer wants made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedContact {
    pub account_id: String,
    /// The number to use (`c-n`); required for calls and texts to third parties. `None` means the
    /// debtor's current number (calls, texts) or the debtor's postal address (letters).
    pub contact_id: Option<String>,
    pub channel: Channel,
    /// When to make it; must fall inside the planned day.
    pub at: Timestamp,
    /// The dialer means to reach a third party (to locate the debtor). A contact whose role is not
    /// `debtor` is a third-party contact either way.
    pub third_party: bool,
    /// The script tells the person about the debt (`disclosure: full`); never lawful with a third
    /// party, and counted as a violation when the contact is not the debtor.
    pub disclose_debt: bool,
}
