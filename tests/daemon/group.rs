//! Two instances share the partitions; the survivor of a graceful stop gives the offline items.

use std::collections::{BTreeSet, HashMap};

use arrears::daemon::topics::{BILLING, WORK_ITEMS};
use serde_json::Value;

use crate::common::{account_of, broker, offline_items, settings, simulated_events};
use crate::{instances::*, items::*, kafka_io::*};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_then_one_stops_the_survivor_gives_the_same_items() {
    let broker = broker();
    let lines = simulated_events(16, 30, 11);
    let (head, tail) = lines.split_at(lines.len() / 2);
    let all_accounts: BTreeSet<String> = lines.iter().map(|l| account_of(l)).collect();
    let head_expected = offline_items(head);
    let expected = offline_items(&lines);
    assert!(expected.len() >= 12, "{} accounts", expected.len());
    produce(&broker, BILLING, &keyed(head)).await;

    let s = settings(&broker, "g-pair");
    let a = start(&s).await;
    let b = start(&s).await;
    let mut items = TopicReader::new(&broker, WORK_ITEMS);
    wait_for(
        &mut items,
        "every account's item after the first half",
        |r| r.latest() == head_expected,
    )
    .await;
    // Both instances own partitions: each holds some of the accounts, none holds one twice.
    let head_accounts: BTreeSet<String> = head.iter().map(|l| account_of(l)).collect();
    wait_until("both instances ready, splitting the accounts", || {
        let (aa, ab) = (a.accounts(), b.accounts());
        let ok = a.shared.is_ready()
            && b.shared.is_ready()
            && !aa.is_empty()
            && !ab.is_empty()
            && aa.is_disjoint(&ab)
            && aa.union(&ab).cloned().collect::<BTreeSet<_>>() == head_accounts;
        async move { ok }
    })
    .await;

    b.stop().await;
    produce(&broker, BILLING, &keyed(tail)).await;
    wait_for(
        &mut items,
        "every account's final item on the survivor",
        |r| r.latest() == expected,
    )
    .await;
    // The survivor took over every partition, restoring the stopped instance's accounts.
    assert!(a.shared.is_ready());
    assert_eq!(a.accounts(), all_accounts);
    // `arrears replay` ends by re-evaluating every account at the replay's clock (the latest
    // event time), where scores drift and days past due grow; the daemon re-evaluates on its
    // timer only the accounts whose decision may change (`wake_at`), and not at all here. So
    // replay's item is the topic's item, or the next version of it: the survivor's state
    // evaluated at that clock.
    let replayed = replay(&lines).await;
    assert!(in_rank_order(&replayed), "replay output is ranked");
    let replayed: HashMap<String, Value> = replayed
        .into_iter()
        .map(|v| (v["account_id"].as_str().unwrap().to_string(), v))
        .collect();
    assert_eq!(replayed.len(), expected.len());
    let end = end_clock(&lines);
    let topic = items.latest();
    for (id, r) in &replayed {
        let t = &topic[id];
        if content(r) == content(t) {
            assert_eq!(r, t, "{id}: same content, same version and as_of");
            continue;
        }
        assert_eq!(
            r["version"].as_u64(),
            t["version"].as_u64().map(|v| v + 1),
            "{id}: replay's item is the next version"
        );
        assert_eq!(r["as_of"], serde_json::to_value(end).unwrap(), "{id}");
        let now = a
            .shared
            .lock()
            .explain(id, end)
            .expect("the survivor holds it")
            .item;
        assert_eq!(
            content(r),
            content(&serde_json::to_value(now).unwrap()),
            "{id}: replay's item = the survivor's state evaluated at the replay's clock"
        );
    }
    a.stop().await;
    items.read_to_end().await;
    assert_eq!(items.latest(), expected, "nothing changed after the stop");
    assert_versions_never_go_back(&items.records);
}
