//! The independent, deliberately small model of an account that the properties check items against.

use std::collections::{HashMap, HashSet};

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use crate::vocab::*;

#[derive(Debug, Clone)]
pub struct MContact {
    pub id: String,
    pub debtor: bool,
    pub consent: bool,
    pub phone: String,
}

#[derive(Debug, Clone)]
pub struct MAttempt {
    pub at: Timestamp,
    pub channel: String,
    pub contact: Option<String>,
    pub outcome: String,
}

#[derive(Debug, Clone, Default)]
pub struct Model {
    pub opened: bool,
    pub tz: Option<TimeZone>,
    pub contacts: Vec<MContact>,
    /// Flags in force (not do_not_call) → when last set.
    pub flags: HashMap<String, Timestamp>,
    pub dnc: HashSet<String>,
    /// (contact id, phone) found wrong or invalid.
    pub bad: Vec<(String, String)>,
    pub attempts: Vec<MAttempt>,
    pub callback: Option<Timestamp>,
    pub hardship_disclosed: Option<Timestamp>,
    pub closed: bool,
}

pub fn parse_ts(s: &str) -> Result<Timestamp, String> {
    s.parse::<Timestamp>()
        .map_err(|e| format!("bad timestamp {s:?}: {e}"))
}

pub fn s<'v>(v: &'v Value, k: &str) -> Option<&'v str> {
    v.get(k).and_then(Value::as_str)
}

impl Model {
    pub fn contact(&self, id: &str) -> Option<&MContact> {
        self.contacts.iter().find(|c| c.id == id)
    }

    pub fn apply(&mut self, v: &Value, at: Timestamp) {
        let ty = s(v, "type").expect("type");
        match ty {
            "account_opened" | "account_updated" => {
                self.opened |= ty == "account_opened";
                if let Some(tz) = s(v, "timezone") {
                    self.tz = Some(TimeZone::get(tz).expect("zone"));
                }
                if let Some(cs) = v.get("contacts").and_then(Value::as_array) {
                    self.contacts = cs
                        .iter()
                        .map(|c| MContact {
                            id: s(c, "contact_id").unwrap().to_owned(),
                            debtor: s(c, "role") == Some("debtor"),
                            consent: c["consent_to_contact"].as_bool().unwrap_or(false),
                            phone: s(c, "phone").unwrap().to_owned(),
                        })
                        .collect();
                    let contacts = self.contacts.clone();
                    self.bad
                        .retain(|(id, ph)| contacts.iter().any(|c| &c.id == id && &c.phone == ph));
                }
            }
            "flag_set" => {
                let flag = s(v, "flag").unwrap();
                if flag == "do_not_call" {
                    self.dnc.insert(s(v, "contact_id").unwrap().to_owned());
                } else {
                    self.flags.insert(flag.to_owned(), at);
                }
            }
            "flag_cleared" => {
                let flag = s(v, "flag").unwrap();
                if flag == "do_not_call" {
                    self.dnc.remove(s(v, "contact_id").unwrap());
                } else {
                    self.flags.remove(flag);
                }
            }
            "account_closed" => self.closed = true,
            "contact_attempt" => {
                let channel = s(v, "channel").unwrap().to_owned();
                let contact = s(v, "contact_id").map(str::to_owned);
                let outcome = s(v, "outcome").unwrap().to_owned();
                let to_third = contact
                    .as_deref()
                    .and_then(|c| self.contact(c))
                    .is_some_and(|c| !c.debtor);
                if let Some(cb) = self.callback {
                    if channel == "call" && !to_third && at >= cb {
                        self.callback = None;
                    }
                }
                if matches!(outcome.as_str(), "wrong_number" | "invalid_number") {
                    if let Some(c) = contact.as_deref().and_then(|c| self.contact(c)) {
                        let entry = (c.id.clone(), c.phone.clone());
                        self.bad.retain(|(id, _)| id != &entry.0);
                        self.bad.push(entry);
                    }
                }
                match s(v, "disposition") {
                    Some(d @ ("dispute" | "complaint" | "deceased_reported")) => {
                        self.flags.insert(d.to_owned(), at);
                    }
                    Some("hardship") => self.hardship_disclosed = Some(at),
                    // Only the debtor's own request, for a time after it, is a callback
                    // (domain.md, "Always, in every profile").
                    Some("callback_requested") => {
                        let own = contact
                            .as_deref()
                            .and_then(|c| self.contact(c))
                            .is_some_and(|c| c.debtor);
                        let cb = parse_ts(s(v, "callback_at").unwrap()).unwrap();
                        if own && cb > at {
                            self.callback = Some(cb);
                        }
                    }
                    _ => {}
                }
                self.attempts.push(MAttempt {
                    at,
                    channel,
                    contact,
                    outcome,
                });
            }
            _ => {}
        }
    }

    /// The hold flag in force at `now`, if any (breathing space lasts 60 days from when it was set).
    pub fn hold_in_force(&self, now: Timestamp) -> Option<&'static str> {
        HOLD_FLAGS
            .iter()
            .copied()
            .find(|f| match self.flags.get(*f) {
                None => false,
                Some(set) if *f == "breathing_space" => {
                    now < *set + SignedDuration::from_secs(60 * DAY)
                }
                Some(_) => true,
            })
    }

    pub fn hardship(&self, now: Timestamp) -> bool {
        self.flags.contains_key("hardship")
            || self
                .hardship_disclosed
                .is_some_and(|h| h > now - SignedDuration::from_secs(90 * DAY))
    }

    pub fn usable(&self, c: &MContact) -> bool {
        !self.dnc.contains(&c.id) && !self.bad.iter().any(|(id, _)| id == &c.id)
    }

    /// The debtor counts as unreachable: no usable debtor number, or no right-party contact in
    /// 14 days and at least 5 failed calls since the last one.
    pub fn unreachable(&self, now: Timestamp) -> bool {
        if !self.contacts.iter().any(|c| c.debtor && self.usable(c)) {
            return true;
        }
        let last_rpc = self
            .attempts
            .iter()
            .rposition(|a| a.outcome == "right_party");
        let failed = self.attempts[last_rpc.map_or(0, |i| i + 1)..]
            .iter()
            .filter(|a| {
                a.channel == "call"
                    && matches!(
                        a.outcome.as_str(),
                        "no_answer" | "busy" | "voicemail" | "failed"
                    )
            })
            .count();
        let quiet = last_rpc.is_none_or(|i| {
            now.duration_since(self.attempts[i].at) >= SignedDuration::from_secs(14 * DAY)
        });
        quiet && failed >= 5
    }
}
