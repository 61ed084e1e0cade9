//! A daemon instance running on the test's runtime, and its graceful stop.

use std::collections::BTreeSet;
use std::sync::Arc;

use arrears::daemon::{app, DaemonError, DaemonSettings, Shared, WallClock};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::common::{pipeline, DEADLINE};

pub struct Running {
    pub shared: Arc<Shared>,
    pub stop: oneshot::Sender<()>,
    pub task: JoinHandle<Result<(), DaemonError>>,
}

pub fn start(settings: &DaemonSettings) -> Running {
    start_with(settings, Shared::new(pipeline(), Arc::new(WallClock)))
}

pub fn start_with(settings: &DaemonSettings, shared: Arc<Shared>) -> Running {
    let (stop, rx) = oneshot::channel::<()>();
    let s = settings.clone();
    let sh = shared.clone();
    let task = tokio::spawn(async move {
        app::run(&s, sh, async move {
            let _ = rx.await;
        })
        .await
    });
    Running { shared, stop, task }
}

impl Running {
    /// Graceful stop: drain, commit, leave the group; the daemon must return `Ok`.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let result = tokio::time::timeout(DEADLINE, self.task)
            .await
            .expect("timed out waiting for the daemon to stop")
            .expect("the daemon task did not panic");
        assert!(result.is_ok(), "graceful stop returned {result:?}");
    }

    /// The ids of the accounts this instance holds now.
    pub fn accounts(&self) -> BTreeSet<String> {
        self.shared
            .lock()
            .accounts()
            .map(|a| a.id.clone())
            .collect()
    }
}
