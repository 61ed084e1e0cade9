//! A daemon instance running on the test's runtime, and its graceful stop.

use std::collections::BTreeSet;
use std::sync::Arc;

use arrears::daemon::{DaemonSettings, Shared, WallClock};

use crate::common::{pipeline, start_daemon, stop_daemon};

pub struct Running {
    pub shared: Arc<Shared>,
    running: arrears::daemon::Running,
}

pub async fn start(settings: &DaemonSettings) -> Running {
    start_with(settings, Shared::new(pipeline(), Arc::new(WallClock))).await
}

pub async fn start_with(settings: &DaemonSettings, shared: Arc<Shared>) -> Running {
    let running = start_daemon(settings, shared.clone()).await;
    Running { shared, running }
}

impl Running {
    /// Graceful stop: drain, commit, leave the group; the daemon must return `Ok`.
    pub async fn stop(self) {
        stop_daemon(self.running).await;
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
