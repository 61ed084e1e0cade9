//! The portfolio simulator: determinism, contract validity of every line, time order, the truth
//! file, hidden traits driving behaviour, and the world's own contact-policy audit.

use std::collections::{BTreeMap, HashMap, HashSet};

use arrears::tools::sim::*;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde_json::Value;

fn config(accounts: usize, days: u32, seed: u64) -> SimConfig {
    SimConfig::new(accounts, days, seed)
}

/// Runs a world with a dialer and returns the stream and the world.
fn run(cfg: &SimConfig, dialer: &mut dyn Dialer) -> (Vec<u8>, World) {
    let mut world = World::new(cfg);
    let mut out = Vec::new();
    world
        .run(dialer, &mut out, |_| {})
        .expect("in-memory write");
    (out, world)
}

fn run_house(cfg: &SimConfig) -> (Vec<u8>, World) {
    let mut dialer = HouseDialer::new(cfg.calls_per_day(), cfg.seed);
    run(cfg, &mut dialer)
}

fn parse(stream: &[u8]) -> Vec<Value> {
    std::str::from_utf8(stream)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON {e}: {l}")))
        .collect()
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str()
        .unwrap_or_else(|| panic!("`{k}` must be a string in {v}"))
}

fn money(v: &Value, k: &str) -> i64 {
    let m = v[k]
        .as_i64()
        .unwrap_or_else(|| panic!("`{k}` must be an integer in {v}"));
    assert!(m >= 0, "negative money in {v}");
    m
}

fn at(v: &Value) -> Timestamp {
    s(v, "occurred_at").parse().expect("RFC 3339")
}

/// The string field `k`, which must be one of the space-separated words of `allowed`.
fn one_of<'a>(v: &'a Value, k: &str, allowed: &str) -> &'a str {
    let x = s(v, k);
    assert!(
        allowed.split(' ').any(|a| a == x),
        "`{k}` = {x:?} is not in the contract: {v}"
    );
    x
}

const TYPES: &str = "account_opened account_updated statement_issued payment_received \
payment_reversed fee_charged promise_made flag_set flag_cleared account_closed contact_attempt";
/// What may still happen to a closed account.
const AFTER_CLOSE: &str = "contact_attempt flag_set flag_cleared payment_reversed";
const ROLES: &str = "debtor spouse relative employer guarantor colleague other";
const FLAGS: &str = "deceased_reported deceased_verified dispute complaint bankruptcy \
cease_contact hardship fraud legal_hold breathing_space do_not_call";
const OUTCOMES: &str = "right_party third_party no_answer busy voicemail wrong_number \
invalid_number refused delivered failed";
const DISPOSITIONS: &str = "promise_to_pay refused_to_pay dispute complaint hardship \
callback_requested deceased_reported claims_paid abusive none";

fn date(v: &Value, k: &str) -> Date {
    let text = s(v, k);
    assert_eq!(text.len(), 10, "{k} must be YYYY-MM-DD in {v}");
    text.parse().expect("a calendar date")
}

#[test]
fn same_seed_same_bytes_and_another_seed_differs() {
    let (a, _) = run_house(&config(1_500, 40, 11));
    let (b, _) = run_house(&config(1_500, 40, 11));
    let (c, _) = run_house(&config(1_500, 40, 12));
    assert!(a.len() > 100_000);
    assert!(a == b, "same seed must give identical bytes");
    assert!(a != c, "another seed must give another stream");
}

#[test]
fn one_account_choice_leaves_other_accounts_alone() {
    // An idle dialer and the house dialer differ only in contacts; an account the house dialer
    // never contacts must see exactly the same events in both worlds.
    let cfg = config(1_000, 30, 5);
    let (house, _) = run_house(&cfg);
    let (idle, _) = run(&cfg, &mut IdleDialer);
    let by_account = |stream: &[u8]| {
        let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for v in parse(stream) {
            m.entry(s(&v, "account_id").to_owned())
                .or_default()
                .push(v.to_string());
        }
        m
    };
    let (house, idle) = (by_account(&house), by_account(&idle));
    let mut same = 0;
    for (id, events) in &house {
        if events.iter().all(|e| !e.contains("\"contact_attempt\"")) {
            assert_eq!(
                Some(events),
                idle.get(id),
                "{id} was not contacted yet changed"
            );
            same += 1;
        }
    }
    assert!(same > 500, "most accounts are never contacted ({same})");
}

#[test]
fn every_line_follows_the_contract() {
    let mut cfg = config(2_000, 75, 3);
    cfg.rare_scale = 5.0;
    let (stream, world) = run_house(&cfg);
    let events = parse(&stream);
    assert_eq!(events.len() as u64, world.stats().events);

    let mut ids = HashSet::new();
    let mut seen_types = BTreeMap::new();
    let mut contacts: HashMap<String, HashSet<String>> = HashMap::new();
    let mut payments: HashMap<(String, String), i64> = HashMap::new();
    let mut opened = HashSet::new();
    let mut closed = HashSet::new();
    let mut pending_promise: HashMap<String, String> = HashMap::new();
    for v in &events {
        let kind = s(v, "type");
        *seen_types.entry(kind.to_owned()).or_insert(0u64) += 1;
        let event_id = s(v, "event_id");
        assert!((1..=128).contains(&event_id.len()));
        assert!(
            ids.insert(event_id.to_owned()),
            "duplicate event_id {event_id}"
        );
        let acct = s(v, "account_id").to_owned();
        assert!(
            (1..=64).contains(&acct.len())
                && acct
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".:_-".contains(&b)),
            "bad account_id {acct}"
        );
        let occurred = s(v, "occurred_at");
        assert!(
            occurred.ends_with('Z'),
            "occurred_at must be UTC: {occurred}"
        );
        at(v);
        assert!(
            kind == "account_opened" || opened.contains(&acct),
            "{kind} before account_opened: {v}"
        );
        if !AFTER_CLOSE.split(' ').any(|k| k == kind) {
            assert!(!closed.contains(&acct), "{kind} after close: {v}");
        }
        match kind {
            "account_opened" | "account_updated" => {
                if kind == "account_opened" {
                    assert!(opened.insert(acct.clone()), "opened twice: {acct}");
                    TimeZone::get(s(v, "timezone")).expect("an IANA zone");
                    let currency = s(v, "currency");
                    assert!(
                        currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase())
                    );
                    assert!(!s(v, "product").is_empty());
                    one_of(v, "portfolio", "consumer commercial");
                    assert!(v["contacts"].is_array(), "contacts required at opening");
                }
                if let Some(d) = v.get("payday_day_of_month") {
                    assert!((1..=31).contains(&d.as_i64().unwrap()));
                }
                if let Some(l) = v.get("credit_limit") {
                    assert!(l.as_i64().unwrap() > 0);
                }
                if let Some(list) = v.get("contacts") {
                    let set = contacts.entry(acct.clone()).or_default();
                    set.clear();
                    for c in list.as_array().unwrap() {
                        let phone = s(c, "phone");
                        let digits = &phone[1..];
                        assert!(
                            phone.starts_with('+')
                                && (8..=15).contains(&digits.len())
                                && digits.bytes().all(|b| b.is_ascii_digit()),
                            "bad phone {phone}"
                        );
                        one_of(c, "role", ROLES);
                        assert!(c["consent_to_contact"].is_boolean() && c["informed"].is_boolean());
                        set.insert(s(c, "contact_id").to_owned());
                    }
                    assert!(!set.is_empty());
                }
            }
            "statement_issued" => {
                s(v, "statement_id");
                let due = money(v, "amount_due");
                let min = money(v, "minimum_due");
                assert!(due > 0 && min <= due, "bad statement {v}");
                date(v, "due_date");
            }
            "payment_received" => {
                let amount = money(v, "amount");
                assert!(amount > 0);
                let key = (acct.clone(), s(v, "payment_id").to_owned());
                assert!(
                    payments.insert(key, amount).is_none(),
                    "payment id reused: {v}"
                );
            }
            "payment_reversed" => {
                let amount = money(v, "amount");
                let key = (acct.clone(), s(v, "payment_id").to_owned());
                let left = payments
                    .get_mut(&key)
                    .unwrap_or_else(|| panic!("reversal of unknown payment {v}"));
                assert!(
                    amount > 0 && amount <= *left,
                    "reversal larger than payment: {v}"
                );
                *left -= amount;
                one_of(v, "reason", "insufficient_funds chargeback other");
            }
            "fee_charged" => {
                s(v, "fee_id");
                assert!(money(v, "amount") > 0);
                one_of(v, "kind", "late_fee failed_debit interest other");
            }
            "promise_made" => {
                s(v, "promise_id");
                assert!(money(v, "amount") > 0);
                date(v, "due_date");
                assert!(v["confirmed_in_writing"].is_boolean());
                let c = s(v, "contact_id");
                assert!(
                    contacts[&acct].contains(c),
                    "promise names unknown contact: {v}"
                );
                assert_eq!(
                    pending_promise.remove(&acct).as_deref(),
                    Some(c),
                    "promise_made must follow a promise_to_pay call: {v}"
                );
            }
            "flag_set" | "flag_cleared" => {
                if one_of(v, "flag", FLAGS) == "do_not_call" {
                    assert!(
                        contacts[&acct].contains(s(v, "contact_id")),
                        "dnc on unknown contact {v}"
                    );
                }
            }
            "account_closed" => {
                one_of(v, "reason", "paid_off settled charged_off sold other");
                assert!(closed.insert(acct.clone()), "closed twice {acct}");
            }
            "contact_attempt" => {
                s(v, "attempt_id");
                if one_of(v, "channel", "call sms letter") != "letter" {
                    assert!(
                        contacts[&acct].contains(s(v, "contact_id")),
                        "unknown contact {v}"
                    );
                }
                one_of(v, "outcome", OUTCOMES);
                if v.get("disposition").is_some() {
                    let d = one_of(v, "disposition", DISPOSITIONS);
                    if d == "callback_requested" {
                        let cb: Timestamp = s(v, "callback_at").parse().expect("callback_at");
                        assert!(cb > at(v));
                    }
                    if d == "promise_to_pay" {
                        pending_promise.insert(acct.clone(), s(v, "contact_id").to_owned());
                    }
                }
                if let Some(d) = v.get("duration_s") {
                    assert!(d.as_i64().unwrap() >= 0);
                }
            }
            other => panic!("unknown type {other}"),
        }
    }
    assert_eq!(opened.len(), 2_000);
    for kind in TYPES.split(' ') {
        assert!(seen_types.contains_key(kind), "no {kind} in {seen_types:?}");
    }
    for trait_name in ["willingness", "ability", "reachability"] {
        assert!(!std::str::from_utf8(&stream).unwrap().contains(trait_name));
    }
}

#[test]
fn each_day_is_time_ordered_and_inside_its_day() {
    let cfg = config(1_500, 20, 9);
    let mut world = World::new(&cfg);
    let mut dialer = HouseDialer::new(cfg.calls_per_day(), cfg.seed);
    let mut last = Timestamp::MIN;
    for day in 0..cfg.days {
        let mut lines = Vec::new();
        world.step_day(day, &mut dialer, &mut lines);
        let start = world.day_start(day);
        let end = world.day_start(day + 1);
        assert!(!lines.is_empty());
        for l in &lines {
            assert!(!l.ends_with('\n'));
            let t = at(&serde_json::from_str(l).unwrap());
            assert!(t >= last, "out of order: {l} after {last}");
            assert!(t >= start && t < end, "outside day {day}: {l}");
            last = t;
        }
    }
}

/// Truth rows keyed by account id: column name → value.
fn truth_of(world: &World) -> HashMap<String, HashMap<String, String>> {
    let mut csv = Vec::new();
    world.write_truth(&mut csv).unwrap();
    let text = String::from_utf8(csv).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            let row: HashMap<String, String> = header
                .iter()
                .zip(l.split(','))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            (row["account_id"].clone(), row)
        })
        .collect()
}

#[test]
fn cli_writes_stream_and_truth_file() {
    let dir = tempfile::tempdir().unwrap();
    let (out, truth) = (
        dir.path().join("events.jsonl"),
        dir.path().join("truth.csv"),
    );
    let args = SimulateArgs {
        accounts: 800,
        days: 10,
        seed: 4,
        output: Some(out.clone()),
        truth: Some(truth.clone()),
        start: Date::constant(2026, 3, 2),
        capacity: 0.05,
        quiet: true,
        book: arrears::tools::sim::Book::Full,
    };
    cmd_simulate(&args).unwrap();
    let stream = std::fs::read(&out).unwrap();
    let events = parse(&stream);
    assert_eq!(at(&events[0]).to_string().get(..10), Some("2026-03-02"));
    let truth = std::fs::read_to_string(&truth).unwrap();
    let mut rows = truth.lines();
    let header = rows.next().unwrap();
    assert!(header.starts_with("account_id,willingness,ability,reachability"));
    let ids: Vec<&str> = rows.map(|r| r.split(',').next().unwrap()).collect();
    assert_eq!(ids.len(), 800);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 800);
    let opened: HashSet<&str> = events
        .iter()
        .filter(|v| s(v, "type") == "account_opened")
        .map(|v| s(v, "account_id"))
        .collect();
    assert_eq!(opened, ids.into_iter().collect::<HashSet<_>>());
}

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

#[test]
fn house_dialer_collects_more_than_nobody_calling() {
    let cfg = config(3_000, 45, 13);
    let (_, house) = run_house(&cfg);
    let (_, idle) = run(&cfg, &mut IdleDialer);
    assert_eq!(idle.stats().calls, 0);
    assert!(
        house.stats().collected_usd_cents > idle.stats().collected_usd_cents,
        "house {} vs idle {}",
        house.stats().collected_usd_cents,
        idle.stats().collected_usd_cents
    );
}

#[test]
fn house_dialer_keeps_the_contact_policy() {
    let mut cfg = config(3_000, 60, 17);
    cfg.rare_scale = 10.0;
    cfg.capacity = 0.1;
    let (stream, world) = run_house(&cfg);
    assert!(world.stats().calls > 5_000);
    assert!(world.stats().right_party_contacts > 500);
    assert!(
        world.violations().is_clean(),
        "violations: {}",
        world.violations()
    );
    let text = String::from_utf8(stream).unwrap();
    assert!(
        text.contains("\"flag\":\"deceased_reported\"")
            || text.contains("\"disposition\":\"deceased_reported\"")
    );
}

/// Calls every delinquent account twice a day at 03:00 and 03:30 local, and every account with a
/// deceased report, ignoring every rule.
struct Reckless;

impl Dialer for Reckless {
    fn plan_day(
        &mut self,
        start: Timestamp,
        end: Timestamp,
        world: &WorldView,
    ) -> Vec<PlannedContact> {
        let mut plan = Vec::new();
        for a in world.accounts() {
            let deceased = a.has_flag(Flag::DeceasedReported) || a.has_flag(Flag::DeceasedVerified);
            if !a.opened() || !(a.days_past_due() > 0 || deceased) {
                continue;
            }
            for minute in [0, 30] {
                if let Some(at) = a.instant_at_local(start, end, 3, minute) {
                    plan.push(PlannedContact {
                        account_id: a.account_id().to_owned(),
                        contact_id: None,
                        channel: Channel::Call,
                        at,
                        third_party: false,
                        disclose_debt: true,
                    });
                }
            }
        }
        plan
    }
}

#[test]
fn violation_counter_catches_a_reckless_dialer() {
    let mut cfg = config(1_500, 40, 23);
    cfg.rare_scale = 20.0;
    let (stream, world) = run(&cfg, &mut Reckless);
    let v = world.violations();
    assert!(v.outside_hours > 1_000, "{v}");
    assert!(v.over_frequency > 0, "{v}");
    assert!(v.after_conversation > 0, "{v}");
    assert!(v.during_hold > 0, "{v}");
    // Some of those hold violations are calls to accounts reported deceased.
    let text = String::from_utf8(stream).unwrap();
    let mut deceased = HashSet::new();
    let mut called_after = 0;
    for v in parse(text.as_bytes()) {
        let id = s(&v, "account_id").to_owned();
        let reported = s(&v, "type") == "flag_set" && s(&v, "flag") == "deceased_reported"
            || v.get("disposition").and_then(Value::as_str) == Some("deceased_reported");
        if s(&v, "type") == "contact_attempt" && deceased.contains(&id) {
            called_after += 1;
        }
        if reported {
            deceased.insert(id);
        }
    }
    assert!(
        called_after > 0,
        "the reckless dialer called no deceased account"
    );
    // Over-contact provokes complaints and requests to stop.
    assert!(text.contains("\"flag\":\"complaint\"") || text.contains("\"flag\":\"do_not_call\""));
}
