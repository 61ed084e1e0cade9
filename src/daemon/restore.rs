//! A partition restore's background read: the changelog's latest values of the assigned
//! partitions and the group's committed input offsets, read on a blocking thread while the
//! session loop goes on polling; `worker` applies the result.
//!
//! Leaf: reads, never applies.

use std::collections::HashMap;
use std::time::Instant;

use rdkafka::consumer::Consumer;

use super::changelog;
use super::settings::DaemonSettings;

/// A changelog read in flight: when it started, the partitions it reads, the blocking read.
pub struct RestoreTask {
    pub started: Instant,
    pub partitions: Vec<i32>,
    read: tokio::task::JoinHandle<Result<Restored, changelog::RestoreError>>,
}

/// What a restore read: the changelog's latest values, and the group's committed offset of each
/// input topic partition (`None`: none committed; absent: unknown), where the merge's "is the
/// other topic behind" starts.
pub type Restored = (changelog::Latest, HashMap<(String, i32), Option<i64>>);

/// The group's committed offsets of `partitions` of the input topics, best effort (an error
/// leaves them unknown: the merge then waits at most `max_task_idle_ms` for the other topic).
fn committed_inputs(
    settings: &DaemonSettings,
    partitions: &[i32],
) -> HashMap<(String, i32), Option<i64>> {
    use rdkafka::consumer::BaseConsumer;
    let mut out = HashMap::new();
    let Ok(probe) = settings.consumer_config().create::<BaseConsumer>() else {
        return out;
    };
    let mut tpl = rdkafka::TopicPartitionList::new();
    for topic in settings.input_topics() {
        for &p in partitions {
            tpl.add_partition(topic, p);
        }
    }
    let Ok(got) = probe.committed_offsets(tpl, settings.restore_timeout()) else {
        return out;
    };
    for e in got.elements() {
        let offset = match e.offset() {
            rdkafka::Offset::Offset(n) => Some(n),
            rdkafka::Offset::Invalid => None,
            _ => continue,
        };
        out.insert((e.topic().to_string(), e.partition()), offset);
    }
    out
}

impl RestoreTask {
    /// Starts reading `partitions` of the changelog, and the committed input offsets, on a
    /// blocking thread.
    pub fn start(settings: &DaemonSettings, partitions: Vec<i32>) -> RestoreTask {
        let settings = settings.clone();
        let parts = partitions.clone();
        let read = tokio::task::spawn_blocking(move || {
            let latest = changelog::read_partitions(&settings, &parts)?;
            Ok((latest, committed_inputs(&settings, &parts)))
        });
        RestoreTask {
            started: Instant::now(),
            partitions,
            read,
        }
    }

    /// Stops waiting for the read (superseded; its result is dropped).
    pub fn abort(self) {
        self.read.abort();
    }

    /// Completes with the read's result (cancel-safe: the read goes on if this is dropped).
    pub async fn done(
        task: &mut Option<RestoreTask>,
    ) -> Result<Result<Restored, changelog::RestoreError>, tokio::task::JoinError> {
        match task {
            Some(t) => (&mut t.read).await,
            None => std::future::pending().await,
        }
    }
}
