//! The model and driver for the adversarial streams: what the contract and the domain's "always"
//! rules say an account's state is (do-not-call by number, flags in event time, every reported
//! attempt, the debtor's own callbacks), and a driver that feeds a stream to a pipeline configured
//! with the case's profile, observing the account's item after every record and every item at
//! later clocks.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use arrears::engine::pipeline::{Applied, Pipeline};
use arrears::engine::settings::{Profile, Settings};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use proptest::test_runner::{TestCaseError, TestError};
use serde_json::Value;

use crate::adv_plan::*;
use crate::model::{parse_ts, s};
use crate::view::{view, View};

pub const DAY: i64 = 86_400;

#[derive(Debug, Clone)]
pub struct AContact {
    pub id: String,
    pub debtor: bool,
    pub phone: String,
}

#[derive(Debug, Clone)]
pub struct AAttempt {
    pub at: Timestamp,
    pub channel: String,
    /// The listing the id named when the attempt was reported (None: unknown id).
    pub listed: Option<AContact>,
    pub outcome: String,
}

#[derive(Debug, Clone, Default)]
pub struct AModel {
    pub tz: Option<TimeZone>,
    pub contacts: Vec<AContact>,
    /// do_not_call listings: (contact id, number, set at), in force until cleared by a clear not
    /// older than the set, under that id or (once the id is re-keyed away) under the same number.
    pub dnc: Vec<(String, String, Timestamp)>,
    /// Flag → (occurred_at, arrival index, set?) of every set and clear.
    pub flags: HashMap<String, Vec<(Timestamp, usize, bool)>>,
    pub attempts: Vec<AAttempt>,
    /// The debtor's own valid callback: (callback_at, requested at).
    pub callback: Option<(Timestamp, Timestamp)>,
    pub hardship_disclosed: Option<Timestamp>,
    /// (contact id, number) found wrong or invalid.
    pub bad: Vec<(String, String)>,
}

impl AModel {
    pub fn contact(&self, id: &str) -> Option<&AContact> {
        self.contacts.iter().find(|c| c.id == id)
    }

    pub fn apply(&mut self, v: &Value, at: Timestamp, idx: usize) {
        match s(v, "type").expect("type") {
            "account_opened" | "account_updated" => {
                if let Some(z) = s(v, "timezone") {
                    let real = ADV_ZONES[..REAL_ZONES].contains(&z);
                    self.tz = real.then(|| TimeZone::get(z).expect("real zone"));
                }
                if let Some(cs) = v.get("contacts").and_then(Value::as_array) {
                    self.contacts = cs
                        .iter()
                        .map(|c| AContact {
                            id: s(c, "contact_id").expect("id").to_owned(),
                            debtor: s(c, "role") == Some("debtor"),
                            phone: s(c, "phone").expect("phone").to_owned(),
                        })
                        .collect();
                }
            }
            ty @ ("flag_set" | "flag_cleared") => {
                let flag = s(v, "flag").expect("flag");
                let set = ty == "flag_set";
                if flag == "do_not_call" {
                    let id = s(v, "contact_id").expect("contact");
                    let Some(phone) = self.contact(id).map(|c| c.phone.clone()) else {
                        return;
                    };
                    if set {
                        self.dnc.push((id.to_owned(), phone, at));
                    } else {
                        let listed: Vec<String> =
                            self.contacts.iter().map(|c| c.id.clone()).collect();
                        self.dnc.retain(|(c, p, t)| {
                            !(*p == phone && at >= *t && (c == id || !listed.contains(c)))
                        });
                    }
                } else {
                    self.flags
                        .entry(flag.to_owned())
                        .or_default()
                        .push((at, idx, set));
                }
            }
            "contact_attempt" => {
                let contact = s(v, "contact_id").unwrap_or("").to_owned();
                let listed = self.contact(&contact).cloned();
                let outcome = s(v, "outcome").expect("outcome").to_owned();
                let channel = s(v, "channel").expect("channel").to_owned();
                let debtor = listed.as_ref().is_some_and(|c| c.debtor);
                if let Some((cb, _)) = self.callback {
                    if channel == "call" && debtor && at >= cb {
                        self.callback = None;
                    }
                }
                if matches!(outcome.as_str(), "wrong_number" | "invalid_number") {
                    if let Some(c) = &listed {
                        self.bad.push((c.id.clone(), c.phone.clone()));
                    }
                }
                match s(v, "disposition") {
                    Some("hardship") if debtor => self.hardship_disclosed = Some(at),
                    Some("callback_requested") if debtor => {
                        let cb =
                            parse_ts(s(v, "callback_at").expect("callback_at")).expect("generated");
                        // A callback time that is not after the request is ignored.
                        if cb > at {
                            self.callback = Some((cb, at));
                        }
                    }
                    _ => {}
                }
                self.attempts.push(AAttempt {
                    at,
                    channel,
                    listed,
                    outcome,
                });
            }
            _ => {}
        }
    }

    /// A flag in force in event time: its latest set or clear (by occurred_at, then arrival) is a set.
    pub fn flag(&self, flag: &str) -> Option<Timestamp> {
        let v = self.flags.get(flag)?;
        let last = v.iter().max_by_key(|(t, i, _)| (*t, *i))?;
        last.2.then_some(last.0)
    }

    pub fn hardship(&self, now: Timestamp) -> bool {
        self.flag("hardship").is_some()
            || self
                .hardship_disclosed
                .is_some_and(|h| h > now - SignedDuration::from_secs(90 * DAY))
    }

    pub fn dnc_number(&self, phone: &str) -> bool {
        self.dnc.iter().any(|(_, p, _)| p == phone)
    }

    /// The debtor's own callback that may exempt a call at `t` (due, and unused for 7 days).
    pub fn callback_due(&self, t: Timestamp) -> bool {
        self.callback
            .is_some_and(|(cb, _)| t >= cb && t < cb + SignedDuration::from_secs(7 * DAY))
    }
}

/// The engine's settings with every portfolio on `profile`.
pub fn settings_for(profile: &str) -> Arc<Settings> {
    static S: OnceLock<Vec<Arc<Settings>>> = OnceLock::new();
    let all = S.get_or_init(|| {
        PROFILES
            .iter()
            .map(|p| {
                let mut raw = Settings::defaults().raw;
                raw.policy.default_profile = (*p).into();
                for v in raw.policy.portfolio_profiles.values_mut() {
                    *v = (*p).into();
                }
                Arc::new(Settings::validate(raw).expect("a shipped profile"))
            })
            .collect()
    });
    let i = PROFILES.iter().position(|p| *p == profile).expect("listed");
    all[i].clone()
}

pub struct AObs<'a> {
    pub model: &'a AModel,
    pub item: &'a View,
    /// The clock the pipeline evaluated the item at.
    pub now: Timestamp,
    pub profile: &'a Profile,
}

/// Feeds the stream; every record must be accepted or rejected with a contract reason code. With
/// `strict`, a record the contract makes valid must be accepted; without, such a record is still
/// a fact for the model (an attempt that happened counts even if the engine drops it). Calls
/// `check` after every record and at later clocks; returns the pipeline.
pub fn drive_adv(
    stream: &AStream,
    strict: bool,
    check: &mut dyn FnMut(&AObs) -> Result<(), String>,
) -> Result<Pipeline, String> {
    let settings = settings_for(stream.profile);
    let profile = settings
        .profile_for(arrears::engine::domain::Portfolio::Consumer)
        .clone();
    let (_, scorer) = crate::driver::engine();
    let mut p = Pipeline::new(settings, scorer);
    let mut models = vec![AModel::default(); stream.ids.len()];
    let fail = |upto: usize, msg: String, item: Option<&View>| {
        format!(
            "{msg}\n  item: {}\n  events (JSONL) up to here:\n{}",
            item.map_or("none", |i| i.json.as_str()),
            stream.jsonl(upto)
        )
    };
    let mut clock: Option<Timestamp> = None;
    for (i, ev) in stream.events.iter().enumerate() {
        let bytes = serde_json::to_vec(&ev.value).expect("serializes");
        match p.process_record(&bytes) {
            Ok(Applied::Changed | Applied::Unchanged) => {
                models[ev.acct].apply(&ev.value, ev.at, i);
                clock = Some(clock.map_or(ev.at, |c| c.max(ev.at)));
            }
            Ok(Applied::Duplicate) => {
                return Err(fail(
                    i + 1,
                    format!("fresh event id taken for a duplicate: {}", ev.value),
                    None,
                ))
            }
            Err(r) => {
                let code = r.reason.as_str();
                if !CONTRACT_CODES.contains(&code) {
                    return Err(fail(
                        i + 1,
                        format!("reject code {code:?} is not in the contract"),
                        None,
                    ));
                }
                if ev.must_accept && !strict {
                    models[ev.acct].apply(&ev.value, ev.at, i);
                    clock = Some(clock.map_or(ev.at, |c| c.max(ev.at)));
                } else if ev.must_accept {
                    return Err(fail(
                        i + 1,
                        format!(
                            "a contract-valid record was rejected ({code}: {})",
                            r.detail
                        ),
                        None,
                    ));
                }
            }
        }
        let id = &stream.ids[ev.acct];
        let (Some(item), Some(entry)) = (p.item(id), p.entry(id)) else {
            continue;
        };
        let now = entry.evaluated_at;
        let item = view(item).map_err(|m| fail(i + 1, m, None))?;
        let obs = AObs {
            model: &models[ev.acct],
            item: &item,
            now,
            profile: &profile,
        };
        check(&obs).map_err(|m| fail(i + 1, format!("{id} after record {i}: {m}"), Some(&item)))?;
    }
    let Some(end) = clock else { return Ok(p) };
    for secs in [3600i64, 13 * 3600, 3 * DAY, 9 * DAY, 61 * DAY] {
        let Ok(t) = end.checked_add(SignedDuration::from_secs(secs)) else {
            break;
        };
        p.evaluate_all(t);
        for (a, id) in stream.ids.iter().enumerate() {
            let (Some(item), Some(entry)) = (p.item(id), p.entry(id)) else {
                continue;
            };
            let now = entry.evaluated_at;
            let item = view(item)?;
            let obs = AObs {
                model: &models[a],
                item: &item,
                now,
                profile: &profile,
            };
            check(&obs).map_err(|m| {
                fail(
                    usize::MAX,
                    format!("{id} at evaluate_all {t}: {m}"),
                    Some(&item),
                )
            })?;
        }
    }
    Ok(p)
}

pub const CONTRACT_CODES: &[&str] = &[
    "malformed_json",
    "too_large",
    "unknown_type",
    "missing_field",
    "invalid_field",
    "key_mismatch",
    "unknown_reference",
];

/// Runs a property over `cases` adversarial streams (`PROPTEST_CASES` overrides).
pub fn run_adv(name: &str, cases: u32, edges: bool, test: impl Fn(&AStream) -> Result<(), String>) {
    let (cases, mut runner) = crate::driver::runner(cases, 2048);
    let started = std::time::Instant::now();
    let result = runner.run(&adv_case(edges), |c| {
        test(&build_adv(&c)).map_err(TestCaseError::fail)
    });
    match result {
        Ok(()) => eprintln!("{name}: {cases} cases passed in {:.1?}", started.elapsed()),
        Err(TestError::Fail(why, c)) => {
            let stream = build_adv(&c);
            panic!(
                "{name} failed (minimal case after shrinking):\n{why}\n\nwhole minimal stream ({} events):\n{}",
                stream.events.len(),
                stream.jsonl(usize::MAX)
            )
        }
        Err(e) => panic!("{name}: {e}"),
    }
}

/// The open call or SMS of an item and its target, if any.
pub fn dial(item: &View) -> Option<&crate::view::ActionView> {
    item.action
        .as_ref()
        .filter(|a| item.status == "open" && matches!(a.channel.as_str(), "call" | "sms"))
}
