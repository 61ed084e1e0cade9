//! Decision records: every published work item has exactly one decision record (same account,
//! version and item), and re-running the events up to the record's input position reproduces the
//! record's item; the record's feature vector reproduces its scores.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "integration tests drive the edges"
)]

use std::sync::Arc;

use arrears::engine::decisions::Position;
use arrears::engine::features::{FEATURE_NAMES, N_FEATURES};
use arrears::engine::pipeline::Pipeline;
use arrears::engine::scoring::Scorer;
use arrears::engine::settings::Settings;
use arrears::tools::sim::{HouseDialer, SimConfig, World};

fn stream() -> Vec<String> {
    let cfg = SimConfig::new(300, 45, 11);
    let mut world = World::new(&cfg);
    let mut out = Vec::new();
    world
        .run(
            &mut HouseDialer::new(cfg.calls_per_day(), cfg.seed),
            &mut out,
            |_| {},
        )
        .unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn pipeline() -> Pipeline {
    let settings = Arc::new(Settings::defaults());
    let scorer = Arc::new(Scorer::load_settings(&settings).unwrap());
    Pipeline::new(settings, scorer)
}

fn feed(p: &mut Pipeline, n: u64, line: &str) {
    let ev = arrears::engine::events::decode(line.as_bytes()).expect("valid simulated event");
    p.set_position(Position::Line {
        line: n,
        event_id: ev.event_id.clone(),
    });
    p.apply(&ev).expect("accepted");
}

#[test]
fn every_published_item_has_exactly_one_record_and_the_record_reproduces_it() {
    let lines = stream();
    assert!(lines.len() > 2_000, "{} lines", lines.len());
    let mut p = pipeline();
    p.collect_published();
    p.collect_decisions();
    let mut records = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        feed(&mut p, i as u64 + 1, line);
        let items = p.take_published();
        let decisions = p.take_decisions();
        assert_eq!(items.len(), decisions.len(), "line {}", i + 1);
        for (item, d) in items.iter().zip(&decisions) {
            assert_eq!((&d.account_id, d.version), (&item.account_id, item.version));
            assert_eq!(d.item.to_json(), item.to_json());
            assert_eq!(
                d.input,
                Position::Line {
                    line: i as u64 + 1,
                    event_id: serde_json::from_str::<serde_json::Value>(line).unwrap()["event_id"]
                        .as_str()
                        .unwrap()
                        .to_owned()
                }
            );
        }
        records.extend(decisions);
    }
    // The clock moving: records say so.
    let end = p.clock().unwrap() + jiff::SignedDuration::from_hours(24 * 20);
    let (_, changed) = p.evaluate_all_items(end);
    let clock = p.take_decisions();
    assert_eq!(clock.len(), changed);
    assert!(changed > 0 && clock.iter().all(|d| d.input == Position::Clock));
    // Exactly one record per (account, version).
    let mut keys: Vec<(String, u64)> = records
        .iter()
        .map(|d| (d.account_id.clone(), d.version))
        .collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n, "a version with two records");

    // Re-running the events up to a record's input reproduces its item; its features its scores.
    let scorer = Scorer::load_settings(&Settings::defaults()).unwrap();
    let mut checked = 0;
    let step = (records.len() / 40).max(1);
    for d in records.iter().step_by(step).take(40) {
        let Position::Line { line, .. } = d.input else {
            unreachable!()
        };
        let mut fresh = pipeline();
        for (i, l) in lines.iter().enumerate().take(line as usize) {
            feed(&mut fresh, i as u64 + 1, l);
        }
        let item = fresh.item(&d.account_id).expect("the account exists");
        assert_eq!(
            item.to_json(),
            d.item.to_json(),
            "record {} v{}",
            d.account_id,
            d.version
        );
        // The features as the record writes them, by name.
        let written: serde_json::Value = serde_json::from_str(&d.to_json()).unwrap();
        let mut v = [0.0; N_FEATURES];
        for (k, name) in FEATURE_NAMES.iter().enumerate() {
            v[k] = written["features"][*name].as_f64().unwrap();
        }
        let s = scorer.score(&v);
        assert!((s.willingness.get() - d.scores.willingness).abs() < 1e-3);
        assert!((s.ability.get() - d.scores.ability).abs() < 1e-3);
        // Every rule of the profile is listed with a result.
        assert!(d.rules.len() >= 14);
        assert!(d
            .rules
            .iter()
            .all(|r| matches!(r.result, "applied" | "passed" | "not_reached")));
        checked += 1;
    }
    assert_eq!(checked, 40);
}
