//! The builder's steps: what each kind of plan step emits, contact attempts included.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, ToSpan};
use serde_json::json;

use crate::{builder::*, plan::*, vocab::*};

impl Builder<'_> {
    pub fn step(&mut self, st: &Step) {
        let r = st.r;
        let utc = r[3] & 1 == 1;
        match st.kind {
            Kind::Statement => {
                let amount = 2_000 + (r[0] % 300_000) as i64;
                let due = self.local_date() + ((r[2] % 31) as i64 - 5).days();
                let f = json!({"statement_id": format!("s{}", self.n), "amount_due": amount,
                               "minimum_due": amount * (r[1] % 101) as i64 / 100,
                               "due_date": due.to_string()});
                self.emit("statement_issued", f, utc);
            }
            Kind::Payment => {
                let id = format!("pay{}", self.n);
                let amount = 100 + (r[0] % 150_000) as i64;
                self.payments.push((id.clone(), amount));
                self.emit(
                    "payment_received",
                    json!({"payment_id": id, "amount": amount}),
                    utc,
                );
            }
            Kind::Reversal => {
                let open: Vec<usize> = (0..self.payments.len())
                    .filter(|i| self.payments[*i].1 > 0)
                    .collect();
                if open.is_empty() {
                    return;
                }
                let i = open[r[0] as usize % open.len()];
                let left = self.payments[i].1;
                let amount = if r[2].is_multiple_of(3) {
                    left
                } else {
                    1 + (r[1] as i64) % left
                };
                self.payments[i].1 -= amount;
                let f = json!({"payment_id": self.payments[i].0, "amount": amount,
                               "reason": REVERSAL_REASONS[(r[2] >> 4) as usize % REVERSAL_REASONS.len()]});
                self.emit("payment_reversed", f, utc);
            }
            Kind::Fee => {
                let f = json!({"fee_id": format!("f{}", self.n), "amount": 100 + (r[0] % 5_000) as i64,
                               "kind": FEE_KINDS[r[1] as usize % FEE_KINDS.len()]});
                self.emit("fee_charged", f, utc);
            }
            Kind::Promise => {
                let contact = if (r[2] >> 1).is_multiple_of(3) {
                    self.pick_contact(r[3] >> 1).map(|c| c.id.clone())
                } else {
                    None
                };
                self.promise(r, contact);
            }
            Kind::FlagSet => {
                let mut flag = SET_FLAGS[r[0] as usize % SET_FLAGS.len()];
                if flag.starts_with("deceased") && !(r[0] >> 16).is_multiple_of(3) {
                    flag = "hardship";
                }
                if flag == "do_not_call" {
                    let Some(c) = self.pick_contact(r[1]).map(|c| c.id.clone()) else {
                        return;
                    };
                    if !self.dnc.contains(&c) {
                        self.dnc.push(c.clone());
                    }
                    self.emit("flag_set", json!({"flag": flag, "contact_id": c}), utc);
                } else {
                    if !self.flags.contains(&flag) {
                        self.flags.push(flag);
                    }
                    self.emit("flag_set", json!({"flag": flag}), utc);
                }
            }
            Kind::FlagCleared => {
                let mut options: Vec<(&'static str, Option<String>)> =
                    self.flags.iter().map(|f| (*f, None)).collect();
                options.extend(self.dnc.iter().map(|c| ("do_not_call", Some(c.clone()))));
                let (flag, contact) = if !options.is_empty() && !r[0].is_multiple_of(5) {
                    options.swap_remove(r[1] as usize % options.len())
                } else {
                    let flag = FLAGS[r[1] as usize % FLAGS.len()];
                    if flag == "do_not_call" {
                        match self.pick_contact(r[2]) {
                            Some(c) => (flag, Some(c.id.clone())),
                            None => return,
                        }
                    } else {
                        (flag, None)
                    }
                };
                match &contact {
                    Some(c) => {
                        self.dnc.retain(|d| d != c);
                        self.emit("flag_cleared", json!({"flag": flag, "contact_id": c}), utc);
                    }
                    None => {
                        self.flags.retain(|f| *f != flag);
                        self.emit("flag_cleared", json!({"flag": flag}), utc);
                    }
                }
            }
            Kind::Attempt => self.attempt(r),
            Kind::Burst => {
                let Some(c) = self.pick_contact(r[1]).map(|c| c.id.clone()) else {
                    return;
                };
                let mut x = (r[0] as u64) << 32 | r[2] as u64 | 1;
                let answered = (r[3] >> 8).is_multiple_of(3);
                for k in 0..2 + r[3] % 7 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    if k > 0 {
                        self.t += mins(5 + (x % 240) as i64);
                    }
                    // Mostly unanswered; one burst in three mostly answered without a conversation
                    // (connected calls that do not start the cool-down: the daily connected cap).
                    let outcome = match (answered, x >> 40 & 15) {
                        (false, 0) => "right_party",
                        (false, 1) | (true, 0..=4) => "refused",
                        (true, 5..=10) => "third_party",
                        (_, 2..=7) => "no_answer",
                        (_, 8..=10) => "voicemail",
                        (_, 11 | 12) => "busy",
                        _ => "failed",
                    };
                    let f = json!({"attempt_id": format!("a{}", self.n), "channel": "call",
                                   "contact_id": c, "outcome": outcome});
                    self.emit("contact_attempt", f, x >> 50 & 1 == 1);
                }
            }
            Kind::Updated => {
                if !self.opened {
                    return;
                }
                let third: Vec<usize> = (0..self.contacts.len())
                    .filter(|i| self.contacts[*i].role != "debtor")
                    .collect();
                match r[0] % 5 {
                    0 if !third.is_empty() => {
                        let i = third[r[1] as usize % third.len()];
                        self.contacts[i].consent = !self.contacts[i].consent;
                        let f = json!({"contacts": self.contacts_json()});
                        self.emit("account_updated", f, utc);
                    }
                    1 if !self.contacts.is_empty() => {
                        let i = r[1] as usize % self.contacts.len();
                        self.contacts[i].phone = phone(r[2] as u64 * 1_000_003);
                        let f = json!({"contacts": self.contacts_json()});
                        self.emit("account_updated", f, utc);
                    }
                    3 if !self.contacts.is_empty() => {
                        let i = r[1] as usize % self.contacts.len();
                        self.contacts.remove(i);
                        let f = json!({"contacts": self.contacts_json()});
                        self.emit("account_updated", f, utc);
                    }
                    4 => {
                        let role = if r[1].is_multiple_of(3) {
                            "debtor"
                        } else {
                            THIRD_ROLES[r[1] as usize % THIRD_ROLES.len()]
                        };
                        self.contacts.push(ContactSpec {
                            id: format!("c-n{}", self.n),
                            role,
                            phone: phone(r[2] as u64 * 7_777_777),
                            consent: r[2] & 1 == 1,
                            informed: r[2] & 2 == 2,
                        });
                        let f = json!({"contacts": self.contacts_json()});
                        self.emit("account_updated", f, utc);
                    }
                    _ => {
                        self.tz_name = ZONES[r[1] as usize % ZONES.len()];
                        self.tz = TimeZone::get(self.tz_name).expect("listed zones exist");
                        let f = json!({"timezone": self.tz_name});
                        self.emit("account_updated", f, utc);
                    }
                }
            }
            Kind::Closed => {
                if self.opened && !self.closed && r[0].is_multiple_of(4) {
                    self.closed = true;
                    let f = json!({"reason": CLOSE_REASONS[r[1] as usize % CLOSE_REASONS.len()]});
                    self.emit("account_closed", f, utc);
                }
            }
            Kind::Redeliver => {
                if let Some(last) = self.out.last() {
                    let mut again = last.clone();
                    again.dup = true;
                    again.seq = self.n;
                    self.n += 1;
                    self.out.push(again);
                }
            }
        }
    }

    pub fn attempt(&mut self, r: [u32; 4]) {
        let mut channel = match r[0] % 20 {
            0..=9 => "call",
            10..=14 => "sms",
            15 | 16 => "email",
            17 | 18 => "letter",
            _ => "visit",
        };
        let contact = self.pick_contact(r[1]).map(|c| c.id.clone());
        if matches!(channel, "call" | "sms") && contact.is_none() {
            channel = "letter";
        }
        let outcome = if channel == "call" || (r[2] >> 8).is_multiple_of(4) {
            OUTCOMES[r[2] as usize % OUTCOMES.len()]
        } else if r[2].is_multiple_of(4) {
            "failed"
        } else {
            "delivered"
        };
        let d = r[3] >> 1;
        let mut disposition = d
            .is_multiple_of(4)
            .then(|| DISPOSITIONS[(d / 4) as usize % DISPOSITIONS.len()]);
        if disposition == Some("deceased_reported") && !(d >> 24).is_multiple_of(3) {
            disposition = Some("none");
        }
        let mut f =
            json!({"attempt_id": format!("a{}", self.n), "channel": channel, "outcome": outcome});
        if matches!(channel, "call" | "sms") {
            f["contact_id"] = json!(contact.clone().expect("checked above"));
        }
        if let Some(disp) = disposition {
            f["disposition"] = json!(disp);
            if disp == "callback_requested" {
                // Any time of day (calling hours must still apply), sometimes with fractional seconds.
                let mut cb = self.t + mins(15 + ((d >> 8) % (4 * 1440)) as i64);
                if (d >> 21) & 3 == 0 {
                    cb += SignedDuration::from_millis(((d >> 2) % 60_000) as i64);
                }
                f["callback_at"] = json!(self.stamp_at(cb, (d >> 20) & 1 == 1));
            }
            if matches!(disp, "dispute" | "complaint" | "deceased_reported")
                && !self.flags.contains(&disp)
            {
                let flag = FLAGS.iter().find(|x| **x == disp).expect("a flag");
                self.flags.push(flag);
            }
        }
        if matches!(outcome, "right_party" | "third_party" | "refused") {
            f["duration_s"] = json!(((r[1] >> 16) % 900) as f64 + 0.5);
        }
        self.emit("contact_attempt", f, r[3] & 1 == 1);
        if disposition == Some("promise_to_pay") {
            self.t += mins(1);
            let debtor = contact.filter(|c| {
                self.contacts
                    .iter()
                    .any(|x| &x.id == c && x.role == "debtor")
            });
            self.promise([r[1], r[2] >> 3, r[0] >> 5, r[3] >> 9], debtor);
        }
    }
}
