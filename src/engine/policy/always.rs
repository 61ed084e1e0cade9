//! Rule ids that hold in every profile: cited by reasons, never configurable.

pub const FAIL_CLOSED: &str = "always.fail_closed";
pub const HOLD: &str = "always.hold_in_force";
pub const CEASE_CONTACT: &str = "always.cease_contact_letters_only";
pub const DO_NOT_CALL: &str = "always.do_not_call";
pub const NO_DISCLOSURE: &str = "always.no_third_party_disclosure";
pub const PROMISE: &str = "always.promise_pending_no_contact";
pub const CALLBACK: &str = "always.callback_at_requested_time";
