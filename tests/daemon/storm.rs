//! A rebalance storm: three instances join and leave one after another while the stream keeps
//! arriving; the final items equal the offline pipeline's and no account's version goes back.

use arrears::daemon::topics::{BILLING, WORK_ITEMS};

use crate::common::{broker, offline_items, settings, simulated_events};
use crate::{instances::*, items::*, kafka_io::*};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_joining_and_leaving_under_load_give_the_offline_items() {
    let broker = broker();
    let lines = simulated_events(24, 30, 23);
    let expected = offline_items(&lines);
    let chunk = lines.len().div_ceil(5);
    let parts: Vec<&[String]> = lines.chunks(chunk).collect();
    assert_eq!(parts.len(), 5);
    let s = settings(&broker, "g-storm");
    let mut items = TopicReader::new(&broker, WORK_ITEMS);

    // Membership changes while records are still arriving: no wait for them to be processed.
    let a = start(&s).await;
    produce(&broker, BILLING, &keyed(parts[0])).await;
    let b = start(&s).await;
    produce(&broker, BILLING, &keyed(parts[1])).await;
    let c = start(&s).await;
    produce(&broker, BILLING, &keyed(parts[2])).await;
    a.stop().await;
    produce(&broker, BILLING, &keyed(parts[3])).await;
    b.stop().await;
    produce(&broker, BILLING, &keyed(parts[4])).await;

    wait_for(
        &mut items,
        "every account's final item after the storm",
        |r| r.latest() == expected,
    )
    .await;
    c.stop().await;
    items.read_to_end().await;
    assert_eq!(
        items.latest(),
        expected,
        "nothing changed after the last stop"
    );
    assert_versions_never_go_back(&items.records);
}
