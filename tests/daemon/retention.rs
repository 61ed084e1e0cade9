//! Retention: once the clock is `events.closed_retention_days` past an account's closure, the
//! daemon forgets it (a changelog tombstone, its state dropped) and a restarted instance does not
//! restore it; open accounts stay; the closed account's final item stays on the work-item topic.

use std::str::FromStr;
use std::sync::{Arc, Mutex};

use arrears::daemon::topics::{BILLING, CHANGELOG, WORK_ITEMS};
use arrears::daemon::{Clock, Shared};
use arrears::engine::domain::shift;
use jiff::Timestamp;

use crate::common::{broker, pipeline, raw, settings};
use crate::{instances::*, kafka_io::*};

struct TestClock(Mutex<Timestamp>);

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}

fn fixture(name: &str) -> Vec<String> {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .lines()
    .map(str::to_string)
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_accounts_past_their_retention_are_tombstoned_and_not_restored() {
    let broker = broker();
    // Z-1 and Z-2 close (2026-02-20 and 2026-03-02); P-1 stays open.
    let mut lines = fixture("pays_and_closes.jsonl");
    lines.extend(fixture("promise_breaker.jsonl"));
    produce(&broker, BILLING, &keyed(&lines)).await;
    let clock = Arc::new(TestClock(Mutex::new(
        Timestamp::from_str("2026-03-30T12:00:00Z").unwrap(),
    )));
    let mut s = settings(&broker, "g-retention");
    s.kafka.evaluate_interval_ms = 50;
    s.kafka.catch_up_lag_ms = 0;
    let a = start_with(&s, Shared::new(pipeline(), clock.clone())).await;
    let has = |r: &Running, id: &str| r.accounts().contains(id);
    wait_until("every account applied", || async {
        has(&a, "Z-1") && has(&a, "Z-2") && has(&a, "P-1")
    })
    .await;
    let days = a.shared.lock().settings().raw.events.closed_retention_days;
    let z2_closed = Timestamp::from_str("2026-02-20T02:00:00Z").unwrap();

    // Past Z-2's retention, not Z-1's.
    *clock.0.lock().unwrap() = shift(z2_closed, days * 86_400 + 3_600);
    wait_until("Z-2 forgotten", || async { !has(&a, "Z-2") }).await;
    assert!(has(&a, "Z-1") && has(&a, "P-1"), "{:?}", a.accounts());
    let kept = |id: &str| a.shared.decisions.recent(id).is_some();
    assert!(!kept("Z-2"), "its decision records go with it");
    assert!(kept("Z-1") && kept("P-1"));
    let mut changelog = raw::TopicReader::new(&broker, CHANGELOG);
    changelog
        .wait_for("a tombstone for Z-2", |r| {
            r.records
                .iter()
                .any(|(k, v, _)| k.as_deref() == Some(&b"Z-2"[..]) && v.is_none())
        })
        .await;
    a.stop().await;

    // A new instance restores what the changelog still holds: not Z-2.
    let b = start(&s).await;
    wait_until("restored", || async { b.shared.is_ready() }).await;
    assert!(
        !has(&b, "Z-2") && has(&b, "Z-1") && has(&b, "P-1"),
        "{:?}",
        b.accounts()
    );
    b.stop().await;
    let mut items = TopicReader::new(&broker, WORK_ITEMS);
    items.read_to_end().await;
    assert_eq!(
        items.latest()["Z-2"]["status"],
        "closed",
        "its final item stays"
    );
}
