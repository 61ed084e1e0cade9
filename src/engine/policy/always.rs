//! Rule ids that hold in every profile: cited by reasons, never configurable.

/// No contact while the account has no profile or no known time zone (fail closed).
pub const FAIL_CLOSED: &str = "always.fail_closed";
/// No contact at all while a hold (deceased, dispute, complaint, bankruptcy …) is in force.
pub const HOLD: &str = "always.hold_in_force";
/// Under `cease_contact`, letters only.
pub const CEASE_CONTACT: &str = "always.cease_contact_letters_only";
/// A number on do-not-call is never dialled or texted, under whatever contact id it is listed.
pub const DO_NOT_CALL: &str = "always.do_not_call";
/// A third party is contacted only to locate the debtor and is never told of the debt.
pub const NO_DISCLOSURE: &str = "always.no_third_party_disclosure";
/// No contact while a promise is pending, until its due date.
pub const PROMISE: &str = "always.promise_pending_no_contact";
/// Only the debtor's own callback request moves a call to the requested time (held until then).
pub const CALLBACK: &str = "always.callback_at_requested_time";
