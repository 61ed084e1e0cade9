//! Determinism: the same seed gives the same bytes, and one account's choices leave the others alone.

use std::collections::BTreeMap;

use arrears::tools::sim::*;

use crate::support::*;

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
