//! Property 12: an item's content is constant from its evaluation until its `wake_at`.
//!
//! The daemon re-evaluates an account only when its `wake_at` has passed; `replay --as-of T`
//! re-evaluates every account at T. They agree at every clock exactly when `wake_at` is complete:
//! for every account history and every clock `now` (at or after the account's latest event),
//! `wake_at > now`, and `evaluate(account, t)` has the content of `evaluate(account, now)` (all but
//! `version` and `as_of`) for every `t` in `[now, wake_at)`. Checked after every event and at
//! random later clocks, and along a chain of wake-ups (each evaluation at the previous `wake_at`,
//! as a timer that fires exactly on time would), for the narrow and the adversarial generator.
//! Samples: just after `now`, just before `wake_at`, random instants in between, and the edges of
//! the account's local midnights and hours (zones at half and quarter hours, UTC+14, DST).
//! And the timer leaves no trace in the state: re-evaluating due accounts at clocks ahead of the
//! events while the stream is applied ends where applying the events alone does.

use arrears::engine::pipeline::{evaluate, Pipeline};
use arrears::engine::workitem::WorkItem;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestError};
use serde_json::Value;

use crate::adv_model::settings_for;
use crate::adv_plan::{adv_case, build_adv};
use crate::builder::build;
use crate::driver::{engine, feed, Seen};
use crate::plan::case;

/// Clocks beyond this are out of the engine's bounds (timestamps 1970..2200): not sampled.
fn horizon() -> Timestamp {
    "2199-12-31T00:00:00Z".parse().expect("valid")
}

fn content(item: &WorkItem) -> String {
    let mut v: Value = serde_json::to_value(item).expect("serializes");
    let o = v.as_object_mut().expect("object");
    o.remove("version");
    o.remove("as_of");
    v.to_string()
}

fn add(t: Timestamp, secs: i64, nanos: i32) -> Option<Timestamp> {
    t.checked_add(SignedDuration::new(secs, nanos)).ok()
}

/// A pseudo-random stream from the case's seed (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

/// The instants to compare with `now` inside `[now, end)`.
fn samples(now: Timestamp, end: Timestamp, tz: &TimeZone, rng: &mut Rng) -> Vec<Timestamp> {
    let mut out = Vec::new();
    let mut push = |t: Option<Timestamp>| {
        if let Some(t) = t.filter(|t| *t >= now && *t < end) {
            out.push(t);
        }
    };
    push(add(now, 0, 1));
    push(add(now, 1, 0));
    push(add(end, 0, -1));
    push(add(end, -1, 0));
    let span = end.duration_since(now);
    let secs = span.as_secs();
    for _ in 0..4 {
        let s = rng.below(secs.max(0) as u64) as i64;
        push(add(now, s, rng.below(1_000_000_000) as i32));
    }
    // The edges of the next local midnights and local hours in the account's zone.
    let today: Date = tz.to_datetime(now).date();
    for days in 1..=3 {
        if let Ok(d) = today.checked_add(days.days()) {
            if let Ok(z) = d.to_zoned(tz.clone()) {
                let m = z.timestamp();
                push(add(m, 0, -1));
                push(Some(m));
            }
        }
    }
    let here = tz.to_datetime(now);
    for hours in 1..=3i64 {
        let h = here.date().at(here.hour(), 0, 0, 0);
        if let Ok(t) = h.checked_add(hours.hours()) {
            if let Ok(z) = t.to_zoned(tz.clone()) {
                let m = z.timestamp();
                push(add(m, 0, -1));
                push(Some(m));
            }
        }
    }
    out
}

/// Checks one account at `now`; returns its `wake_at`.
fn check_at(
    p: &Pipeline,
    id: &str,
    now: Timestamp,
    rng: &mut Rng,
    seen: &Seen,
) -> Result<Option<Timestamp>, String> {
    let Some(entry) = p.entry(id) else {
        return Ok(None);
    };
    let acc = &entry.account;
    if now > horizon() || now < acc.last_event_at {
        return Ok(None);
    }
    let tz = acc.profile.timezone().cloned().unwrap_or(TimeZone::UTC);
    let (settings, scorer) = (p.settings(), p.scorer());
    let at_now = evaluate(acc, now, settings, scorer);
    let wake = at_now.decision.wake_at;
    if let Some(w) = wake {
        if w <= now {
            return Err(format!("{id} at {now}: wake_at {w} is not after now"));
        }
    }
    let base = content(&at_now.item);
    let end = wake.unwrap_or_else(|| {
        add(now, 3 * 366 * 86_400, 0)
            .unwrap_or(horizon())
            .min(horizon())
    });
    seen.hit(if wake.is_some() { "wake" } else { "no wake" });
    for t in samples(now, end, &tz, rng) {
        let later = evaluate(acc, t, settings, scorer);
        if content(&later.item) != base {
            return Err(format!(
                "{id}: content at {t} differs from its evaluation at {now} (wake_at {wake:?}):\n  \
                 at now: {base}\n  at {t}: {}",
                content(&later.item)
            ));
        }
        seen.hit("samples");
    }
    Ok(wake)
}

/// After the stream: random clocks after the account's latest event, and a chain of wake-ups.
fn check_later(p: &Pipeline, ids: &[String], rng: &mut Rng, seen: &Seen) -> Result<(), String> {
    for id in ids {
        let Some(last) = p.entry(id).map(|e| e.account.last_event_at) else {
            continue;
        };
        for _ in 0..3 {
            let secs = match rng.below(4) {
                0 => rng.below(86_400),
                1 => rng.below(14 * 86_400),
                _ => rng.below(400 * 86_400),
            } as i64;
            if let Some(now) = add(last, secs, rng.below(1_000_000_000) as i32) {
                check_at(p, id, now, rng, seen)?;
            }
        }
        let mut now = last;
        for _ in 0..40 {
            match check_at(p, id, now, rng, seen)? {
                Some(w) => now = w,
                None => break,
            }
            seen.hit("chained wake-ups");
        }
    }
    Ok(())
}

fn run<C: std::fmt::Debug>(
    name: &str,
    cases: u32,
    strategy: impl Strategy<Value = C>,
    test: impl Fn(&C, u64) -> Result<(), String>,
) {
    let (cases, mut runner) = crate::driver::runner(cases, 1024);
    let started = std::time::Instant::now();
    let result = runner.run(&(strategy, any::<u64>()), |(c, seed)| {
        test(&c, seed).map_err(TestCaseError::fail)
    });
    match result {
        Ok(()) => eprintln!("{name}: {cases} cases passed in {:.1?}", started.elapsed()),
        Err(TestError::Fail(why, _)) => panic!("{name} failed (minimal case):\n{why}"),
        Err(e) => panic!("{name}: {e}"),
    }
}

/// 12. `wake_at` is complete (narrow generator): content constant on `[now, wake_at)`.
#[test]
fn content_is_constant_until_wake_at() {
    let seen = Seen::default();
    run("wake_at", 96, case(), |c, seed| {
        let stream = build(c);
        let mut rng = Rng(seed);
        let (s, m) = engine();
        let mut p = Pipeline::new(s, m);
        for (i, ev) in stream.events.iter().enumerate() {
            feed(&mut p, ev)?;
            let id = &stream.ids[ev.acct];
            let now = p.entry(id).map(|e| e.evaluated_at);
            if let Some(now) = now {
                check_at(&p, id, now, &mut rng, &seen)
                    .map_err(|m| format!("after event {i}: {m}\n{}", stream.jsonl(i + 1)))?;
            }
        }
        check_later(&p, &stream.ids, &mut rng, &seen)
            .map_err(|m| format!("after the stream: {m}\n{}", stream.jsonl(usize::MAX)))
    });
    seen.print("wake_at");
}

/// 12. `wake_at` is complete (adversarial generator, every profile).
#[test]
fn content_is_constant_until_wake_at_adversarial() {
    let seen = Seen::default();
    run("wake_at adversarial", 96, adv_case(true), |c, seed| {
        let stream = build_adv(c);
        let mut rng = Rng(seed);
        let (_, m) = engine();
        let mut p = Pipeline::new(settings_for(stream.profile), m);
        for (i, ev) in stream.events.iter().enumerate() {
            let bytes = serde_json::to_vec(&ev.value).expect("serializes");
            if p.process_record(&bytes).is_err() {
                continue;
            }
            let id = &stream.ids[ev.acct];
            let now = p.entry(id).map(|e| e.evaluated_at);
            if let Some(now) = now {
                check_at(&p, id, now, &mut rng, &seen)
                    .map_err(|m| format!("after record {i}: {m}\n{}", stream.jsonl(i + 1)))?;
            }
        }
        check_later(&p, &stream.ids, &mut rng, &seen)
            .map_err(|m| format!("after the stream: {m}\n{}", stream.jsonl(usize::MAX)))
    });
    seen.print("wake_at adversarial");
}

/// 12b. The timer leaves no trace in the state: a pipeline whose due accounts are re-evaluated at
///      random clocks while the stream is applied (clocks ahead of the events, as a daemon's wall
///      clock may be) ends with the content of one that only applied the events, at every later
///      clock (`replay --as-of`).
#[test]
fn timer_evaluations_leave_the_state_as_replay_has_it() {
    run("timer and replay", 64, case(), |c, seed| {
        let stream = build(c);
        let mut rng = Rng(seed);
        let (s, m) = engine();
        let mut replay = Pipeline::new(s.clone(), m.clone());
        let mut daemon = Pipeline::new(s, m);
        for ev in &stream.events {
            feed(&mut replay, ev)?;
            feed(&mut daemon, ev)?;
            if rng.below(3) == 0 {
                let ahead = match rng.below(3) {
                    0 => rng.below(3600),
                    1 => rng.below(2 * 86_400),
                    _ => rng.below(9 * 86_400),
                } as i64;
                if let Some(t) = add(ev.at, ahead, 0).filter(|t| *t <= stream.end) {
                    daemon.evaluate_due(t);
                }
            }
        }
        for secs in [0, 3600, 5 * 86_400, 40 * 86_400] {
            let t = add(stream.end, secs, 0).expect("in range");
            replay.evaluate_all(t);
            daemon.evaluate_due(t);
            for id in &stream.ids {
                let (a, b) = (replay.item(id), daemon.item(id));
                if a.as_ref().map(content) != b.as_ref().map(content) {
                    return Err(format!(
                        "{id} at {t}:\n  replay: {:?}\n  timer:  {:?}\n{}",
                        a.as_ref().map(content),
                        b.as_ref().map(content),
                        stream.jsonl(usize::MAX)
                    ));
                }
            }
        }
        Ok(())
    });
}
