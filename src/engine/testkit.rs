//! Builders for unit tests: contract-valid events from a few words.

use jiff::Timestamp;
use serde_json::{json, Value};

use crate::engine::account::Account;
use crate::engine::events::{decode, Event};

/// Makes events for one account with increasing ids.
#[derive(Clone)]
pub struct Story {
    /// The account every event is for.
    pub account_id: String,
    n: u32,
    /// The decoded events, in the order added.
    pub events: Vec<Event>,
}

/// The instant an RFC 3339 string names (panics on a bad one).
pub fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

impl Story {
    /// An empty story for `account_id`.
    pub fn new(account_id: &str) -> Story {
        Story {
            account_id: account_id.into(),
            n: 0,
            events: Vec::new(),
        }
    }

    /// Adds an event of `kind` at `at` with extra fields.
    pub fn ev(&mut self, at: &str, kind: &str, fields: Value) -> &mut Story {
        self.n += 1;
        let mut v = json!({
            "event_id": format!("{}-e{}", self.account_id, self.n),
            "type": kind,
            "account_id": self.account_id,
            "occurred_at": at,
        });
        for (k, x) in fields.as_object().unwrap() {
            v[k] = x.clone();
        }
        let bytes = serde_json::to_vec(&v).unwrap();
        self.events
            .push(decode(&bytes).unwrap_or_else(|e| panic!("{v}: {e}")));
        self
    }

    /// account_opened in `tz` with a debtor number c1 and optional third parties.
    pub fn open(&mut self, at: &str, tz: &str) -> &mut Story {
        self.open_with(at, tz, json!([
            {"contact_id": "c1", "role": "debtor", "phone": "+15551230001", "consent_to_contact": true}
        ]))
    }

    /// account_opened in `tz` (currency USD, limit 500000) with these contacts.
    pub fn open_with(&mut self, at: &str, tz: &str, contacts: Value) -> &mut Story {
        self.ev(
            at,
            "account_opened",
            json!({"timezone": tz, "currency": "USD", "product": "card", "credit_limit": 500000, "contacts": contacts}),
        )
    }

    /// statement_issued `id`: `amount` due, `min` minimum, due on local date `due`.
    pub fn statement(
        &mut self,
        at: &str,
        id: &str,
        amount: i64,
        min: i64,
        due: &str,
    ) -> &mut Story {
        self.ev(
            at,
            "statement_issued",
            json!({"statement_id": id, "amount_due": amount, "minimum_due": min, "due_date": due}),
        )
    }

    /// payment_received `id` of `amount` minor units.
    pub fn pay(&mut self, at: &str, id: &str, amount: i64) -> &mut Story {
        self.ev(
            at,
            "payment_received",
            json!({"payment_id": id, "amount": amount}),
        )
    }

    /// payment_reversed of `amount` of payment `id`, for insufficient funds.
    pub fn reverse(&mut self, at: &str, id: &str, amount: i64) -> &mut Story {
        self.ev(
            at,
            "payment_reversed",
            json!({"payment_id": id, "amount": amount, "reason": "insufficient_funds"}),
        )
    }

    /// promise_made `id` of `amount`, due on local date `due`, not in writing.
    pub fn promise(&mut self, at: &str, id: &str, amount: i64, due: &str) -> &mut Story {
        self.ev(
            at,
            "promise_made",
            json!({"promise_id": id, "amount": amount, "due_date": due, "confirmed_in_writing": false}),
        )
    }

    /// A call to `contact` ending with `outcome`.
    pub fn call(&mut self, at: &str, contact: &str, outcome: &str) -> &mut Story {
        let id = format!("a{}", self.n + 1);
        self.ev(
            at,
            "contact_attempt",
            json!({"attempt_id": id, "channel": "call", "contact_id": contact, "outcome": outcome}),
        )
    }

    /// flag_set `flag` (no contact id).
    pub fn flag(&mut self, at: &str, flag: &str) -> &mut Story {
        self.ev(at, "flag_set", json!({"flag": flag}))
    }

    /// flag_cleared `flag` (no contact id).
    pub fn clear(&mut self, at: &str, flag: &str) -> &mut Story {
        self.ev(at, "flag_cleared", json!({"flag": flag}))
    }

    /// The account after applying every event (each must be accepted).
    pub fn account(&self) -> Account {
        let mut a = Account::new(&self.account_id, self.events[0].occurred_at);
        for e in &self.events {
            a.apply(e).unwrap_or_else(|r| panic!("{e:?}: {r}"));
        }
        a
    }
}
