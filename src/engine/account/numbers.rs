//! An account's numbers: do-not-call by normalised number across every listing, wrong and
//! invalid numbers following their number, and whether a contact's number may be used.

use crate::engine::domain::normalise_phone;

use super::Account;

/// The digits of a number as written: what [`normalise_phone`] keeps after its `+`.
fn digits(phone: &str) -> impl Iterator<Item = u8> + '_ {
    phone.bytes().filter(u8::is_ascii_digit)
}

impl Account {
    /// Adds the numbers of every listed contact whose id is on do-not-call.
    pub(super) fn resolve_do_not_call(&mut self) {
        for c in self.profile.contacts() {
            self.listed_numbers
                .insert(c.contact_id.clone(), normalise_phone(&c.phone));
        }
        for id in &self.do_not_call {
            if let Some(n) = self.listed_numbers.get(id) {
                if !self.dnc_numbers.contains(n) {
                    self.dnc_numbers.push(n.clone());
                }
            }
        }
    }

    /// A wrong/invalid mark follows its number: it goes once no contact lists that number.
    pub(super) fn forget_changed_bad_numbers(&mut self) {
        let listed: Vec<String> = self
            .profile
            .contacts()
            .iter()
            .map(|c| normalise_phone(&c.phone))
            .collect();
        self.bad_numbers
            .retain(|b| listed.contains(&normalise_phone(&b.phone)));
    }

    /// Whether a contact's number may be dialled or texted at all: not on do-not-call under any
    /// listing (by contact id or by number), not known bad.
    pub fn number_usable(&self, contact_id: &str) -> bool {
        // Compared as normalised numbers (`+` and the digits), without building them.
        let phone = self.profile.contact(contact_id).map(|c| c.phone.as_str());
        let is = |normalised: &str| {
            phone.is_some_and(|p| {
                normalised
                    .strip_prefix('+')
                    .is_some_and(|d| digits(p).eq(d.bytes()))
            })
        };
        !self.do_not_call.iter().any(|d| d == contact_id)
            && !self.dnc_numbers.iter().any(|n| is(n))
            && !self.bad_numbers.iter().any(|b| {
                b.contact_id == contact_id || phone.is_some_and(|p| digits(p).eq(digits(&b.phone)))
            })
    }

    /// Attempts made to `number` (normalised), under any contact id it was listed under.
    pub fn attempts_to_number(&self, number: &str) -> usize {
        self.attempts
            .iter()
            .filter(|a| a.phone.as_deref() == Some(number))
            .count()
    }
}
