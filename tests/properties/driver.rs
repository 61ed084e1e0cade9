//! The driver: the engine, feeding a stream to a pipeline with observations after every event and
//! every later clock, running a property over generated cases, and coverage counters.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use arrears::engine::pipeline::{Applied, Pipeline};
use arrears::engine::scoring::Scorer;
use arrears::engine::settings::Settings;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};

use crate::{builder::*, model::*, plan::*, view::*, vocab::*};

pub fn engine() -> (Arc<Settings>, Arc<Scorer>) {
    static E: OnceLock<(Arc<Settings>, Arc<Scorer>)> = OnceLock::new();
    E.get_or_init(|| {
        (
            Arc::new(Settings::defaults()),
            Arc::new(Scorer::shipped().expect("shipped models load")),
        )
    })
    .clone()
}

pub fn pipeline() -> Pipeline {
    let (s, m) = engine();
    Pipeline::new(s, m)
}

/// One moment at which an account's current item is inspected.
pub struct Obs<'a> {
    pub id: &'a str,
    pub model: &'a Model,
    pub item: &'a View,
    /// The clock the item was evaluated at (the account's last event, or the `evaluate_all` clock).
    pub now: Timestamp,
    pub pipeline: &'a Pipeline,
}

pub fn feed(p: &mut Pipeline, ev: &Ev) -> Result<(), String> {
    let bytes = serde_json::to_vec(&ev.value).expect("serializes");
    match p.process_record(&bytes) {
        Ok(Applied::Duplicate) if ev.dup => Ok(()),
        Ok(Applied::Changed | Applied::Unchanged) if !ev.dup => Ok(()),
        other => Err(format!(
            "record {} (re-delivery: {}) gave {other:?}; expected {}",
            ev.value,
            ev.dup,
            if ev.dup { "Duplicate" } else { "acceptance" }
        )),
    }
}

/// Feeds the stream to a fresh pipeline, calling `check` on the account's item after every event
/// and on every item after each `evaluate_all` clock; returns the pipeline and the last clock.
pub fn drive(
    stream: &Stream,
    check: &mut dyn FnMut(&Obs) -> Result<(), String>,
) -> Result<(Pipeline, Timestamp), String> {
    let mut p = pipeline();
    let mut models = vec![Model::default(); stream.ids.len()];
    let fail = |upto: usize, msg: String, item: Option<&View>| {
        format!(
            "{msg}\n  item: {}\n  events (JSONL) up to here:\n{}",
            item.map_or("none", |i| i.json.as_str()),
            stream.jsonl(upto)
        )
    };
    for (i, ev) in stream.events.iter().enumerate() {
        feed(&mut p, ev).map_err(|m| fail(i + 1, m, None))?;
        let model = &mut models[ev.acct];
        if !ev.dup {
            model.apply(&ev.value, ev.at);
        }
        let id = &stream.ids[ev.acct];
        let item = p.item(id).ok_or_else(|| {
            fail(
                i + 1,
                format!("no item for {id} after an accepted event"),
                None,
            )
        })?;
        let item = view(item).map_err(|m| fail(i + 1, m, None))?;
        let obs = Obs {
            id,
            model,
            item: &item,
            now: ev.at,
            pipeline: &p,
        };
        check(&obs).map_err(|m| fail(i + 1, format!("{id} after event {i}: {m}"), Some(&item)))?;
    }
    let mut last = stream.end;
    for (secs, label) in LATER {
        let t = stream.end + SignedDuration::from_secs(*secs);
        p.evaluate_all(t);
        last = t;
        for (a, id) in stream.ids.iter().enumerate() {
            let Some(item) = p.item(id) else { continue };
            let item = view(item)?;
            let obs = Obs {
                id,
                model: &models[a],
                item: &item,
                now: t,
                pipeline: &p,
            };
            check(&obs).map_err(|m| {
                fail(
                    usize::MAX,
                    format!("{id} at evaluate_all {label} ({t}): {m}"),
                    Some(&item),
                )
            })?;
        }
    }
    Ok((p, last))
}

/// A test runner for `cases` cases (`PROPTEST_CASES` overrides, for deeper runs), no failure
/// persistence, shrinking bounded to `max_shrink_iters`; returns the case count it uses.
pub fn runner(cases: u32, max_shrink_iters: u32) -> (u32, TestRunner) {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    let runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters,
        ..Config::default()
    });
    (cases, runner)
}

/// Runs one property over `cases` generated streams (`PROPTEST_CASES` overrides, for deeper runs).
pub fn run_property(name: &str, cases: u32, test: impl Fn(&Stream) -> Result<(), String>) {
    let (cases, mut runner) = crate::driver::runner(cases, 4096);
    let started = std::time::Instant::now();
    let result = runner.run(&case(), |c| {
        let stream = build(&c);
        test(&stream).map_err(TestCaseError::fail)
    });
    match result {
        Ok(()) => eprintln!("{name}: {cases} cases passed in {:.1?}", started.elapsed()),
        Err(TestError::Fail(why, c)) => {
            let stream = build(&c);
            panic!(
                "{name} failed (minimal case after shrinking):\n{why}\n\nwhole minimal stream ({} events):\n{}",
                stream.events.len(),
                stream.jsonl(usize::MAX)
            )
        }
        Err(e) => panic!("{name}: {e}"),
    }
}

pub fn action_times(item: &View) -> Result<(Timestamp, Timestamp, Timestamp), String> {
    let a = item.action.as_ref().ok_or("no action")?;
    Ok((
        parse_ts(&a.not_before)?,
        parse_ts(&a.not_after)?,
        parse_ts(&item.as_of)?,
    ))
}

pub fn local_midnight(d: Date, tz: &TimeZone) -> Timestamp {
    d.to_zoned(tz.clone()).expect("in range").timestamp()
}

pub fn is_call_or_sms(item: &View) -> Option<&ActionView> {
    item.action
        .as_ref()
        .filter(|a| item.status == "open" && matches!(a.channel.as_str(), "call" | "sms"))
}

/// Coverage counters, printed with `--nocapture` so that a vacuous pass is visible.
#[derive(Default)]
pub struct Seen(pub RefCell<HashMap<&'static str, u64>>);

impl Seen {
    pub fn hit(&self, k: &'static str) {
        *self.0.borrow_mut().entry(k).or_default() += 1;
    }
    /// Fails unless every label in `labels` was hit at least once.
    pub fn require(&self, labels: &[&str]) {
        let hits = self.0.borrow();
        for l in labels {
            assert!(
                hits.get(l).copied().unwrap_or(0) > 0,
                "the generated cases never reached {l:?}: {hits:?}"
            );
        }
    }
    pub fn print(&self, name: &str) {
        let mut v: Vec<_> = self.0.borrow().iter().map(|(k, n)| (*k, *n)).collect();
        v.sort();
        eprintln!("{name} coverage: {v:?}");
    }
}
