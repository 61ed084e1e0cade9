//! Hidden traits drive behaviour: willingness, ability, reachability and payday.

use std::collections::HashMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use crate::support::*;

#[test]
fn willing_debtors_keep_more_promises() {
    let mut cfg = config(4_000, 80, 21);
    cfg.capacity = 0.08;
    let (stream, world) = run_house(&cfg);
    let truth = truth_of(&world);
    let end = world.day_start(cfg.days);
    let events = parse(&stream);
    // Promises and payments per account, judged by the contract's rule.
    let mut zone: HashMap<&str, TimeZone> = HashMap::new();
    let mut promises: HashMap<&str, Vec<(Timestamp, i64, Date)>> = HashMap::new();
    let mut paid: HashMap<&str, Vec<(Timestamp, i64)>> = HashMap::new();
    for v in &events {
        let id = s(v, "account_id");
        match s(v, "type") {
            "account_opened" => {
                zone.insert(id, TimeZone::get(s(v, "timezone")).unwrap());
            }
            "promise_made" => promises.entry(id).or_default().push((
                at(v),
                money(v, "amount"),
                date(v, "due_date"),
            )),
            "payment_received" => paid
                .entry(id)
                .or_default()
                .push((at(v), money(v, "amount"))),
            _ => {}
        }
    }
    let mut ranked: Vec<(f64, &str)> = truth
        .iter()
        .map(|(id, row)| (row["willingness"].parse().unwrap(), id.as_str()))
        .collect();
    ranked.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let decile = ranked.len() / 10;
    let kept_share = |group: &[(f64, &str)]| {
        let (mut kept, mut judged) = (0, 0);
        for (_, id) in group {
            for &(made, amount, due) in promises.get(id).map(Vec::as_slice).unwrap_or(&[]) {
                let deadline = (due + 2.days())
                    .to_zoned(zone[id].clone())
                    .unwrap()
                    .timestamp();
                if deadline > end {
                    continue;
                }
                let sum: i64 = paid
                    .get(id)
                    .map(Vec::as_slice)
                    .unwrap_or(&[])
                    .iter()
                    .filter(|(t, _)| *t >= made && *t < deadline)
                    .map(|(_, a)| a)
                    .sum();
                judged += 1;
                kept += usize::from(sum >= amount);
            }
        }
        (kept as f64 / judged.max(1) as f64, judged)
    };
    let (low, n_low) = kept_share(&ranked[..decile]);
    let (high, n_high) = kept_share(&ranked[ranked.len() - decile..]);
    assert!(
        n_low >= 20 && n_high >= 20,
        "too few promises: {n_low} / {n_high}"
    );
    assert!(
        high > low + 0.2,
        "top decile keeps {high:.2} of {n_high}, bottom decile {low:.2} of {n_low}"
    );
    assert!(
        world.stats().promises_kept > 0
            && world.stats().promises_made > world.stats().promises_kept
    );
}

#[test]
fn low_ability_bounces_more_payments() {
    let cfg = config(4_000, 60, 8);
    let (stream, world) = run_house(&cfg);
    let truth = truth_of(&world);
    let (mut pays, mut bounces) = ([0u32; 2], [0u32; 2]);
    for v in parse(&stream) {
        let able = truth[s(&v, "account_id")]["ability"]
            .parse::<f64>()
            .unwrap()
            >= 0.5;
        match s(&v, "type") {
            "payment_received" => pays[usize::from(able)] += 1,
            "payment_reversed" if s(&v, "reason") == "insufficient_funds" => {
                bounces[usize::from(able)] += 1
            }
            _ => {}
        }
    }
    let rate = |i: usize| f64::from(bounces[i]) / f64::from(pays[i].max(1));
    assert!(
        rate(0) > 1.5 * rate(1),
        "bounce rates: unable {:.3}, able {:.3}",
        rate(0),
        rate(1)
    );
}

#[test]
fn reachability_drives_answers_and_payday_drives_payment_dates() {
    let mut cfg = config(4_000, 60, 31);
    cfg.capacity = 0.08;
    let (stream, world) = run_house(&cfg);
    let truth = truth_of(&world);
    let mut zone: HashMap<String, TimeZone> = HashMap::new();
    let (mut calls, mut answered) = ([0u32; 2], [0u32; 2]);
    let (mut near_payday, mut with_payday) = (0u32, 0u32);
    for v in parse(&stream) {
        let id = s(&v, "account_id").to_owned();
        let row = &truth[&id];
        match s(&v, "type") {
            "account_opened" => {
                zone.insert(id, TimeZone::get(s(&v, "timezone")).unwrap());
            }
            "contact_attempt" if s(&v, "channel") == "call" && v["contact_id"] == "c-1" => {
                let reachable = usize::from(row["reachability"].parse::<f64>().unwrap() >= 0.5);
                calls[reachable] += 1;
                answered[reachable] += u32::from(s(&v, "outcome") == "right_party");
            }
            "payment_received" if !row["payday_day_of_month"].is_empty() => {
                let payday: i8 = row["payday_day_of_month"].parse().unwrap();
                let local = at(&v).to_zoned(zone[&id].clone()).date();
                let this_month =
                    local.first_of_month() + (payday.min(local.days_in_month()) - 1).days();
                let after = (local - this_month).get_days();
                with_payday += 1;
                near_payday += u32::from((0..=2).contains(&after));
            }
            _ => {}
        }
    }
    let rate = |i: usize| f64::from(answered[i]) / f64::from(calls[i].max(1));
    assert!(
        rate(1) > 1.5 * rate(0),
        "right-party rates: low {:.3}, high {:.3}",
        rate(0),
        rate(1)
    );
    let share = f64::from(near_payday) / f64::from(with_payday.max(1));
    assert!(
        share > 0.25,
        "only {share:.2} of salaried debtors' payments fall 0-2 days after payday"
    );
}
