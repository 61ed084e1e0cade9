//! The daemon's sense of time: the wall clock in production, a value in tests. The one place
//! the daemon reads the wall clock for event time; the engine is handed what it returns.

use jiff::Timestamp;

/// Where the daemon's time comes from: the wall clock in production, a value in tests.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;

    /// The clock event times are bounded by (`events.max_clock_skew_hours`): `now()` for a clock
    /// that runs on its own; `None` for one that follows the stream itself (the demo's), which
    /// could never be ahead of it.
    fn event_time_bound(&self) -> Option<Timestamp> {
        Some(self.now())
    }
}

/// The wall clock.
pub struct WallClock;

impl Clock for WallClock {
    fn now(&self) -> Timestamp {
        #[allow(clippy::disallowed_methods)] // the edge's one wall-clock read for event time
        Timestamp::now()
    }
}
