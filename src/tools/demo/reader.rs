//! The demo's reader of `arrears.work-items` and the dead-letter topic, feeding the [`View`] and
//! the stream clock.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use rdkafka::consumer::BaseConsumer;
use rdkafka::message::Message;

use super::state::{lock, Progress, Row, StreamClock, View};
use crate::daemon::topics::DEAD_LETTER;

/// Reads work items and dead letters into `view` until `stop`.
pub(super) fn read_items(
    consumer: &BaseConsumer,
    view: &Mutex<View>,
    stop: &AtomicBool,
    clock: &StreamClock,
    progress: &Progress,
) {
    let mut last_error: Option<String> = None;
    while !stop.load(Ordering::Acquire) {
        let Some(m) = consumer.poll(Duration::from_millis(100)) else {
            continue;
        };
        let m = match m {
            Ok(m) => m,
            Err(e) => {
                // A broker hiccup: note it and go on polling.
                let e = format!("work-item reader: {e}");
                if last_error.as_ref() != Some(&e) {
                    progress.error(e.clone());
                    last_error = Some(e);
                }
                continue;
            }
        };
        if m.topic() == DEAD_LETTER {
            lock(view).dead_letters += 1;
            continue;
        }
        let Some(payload) = m.payload() else {
            continue;
        };
        match serde_json::from_slice::<Row>(payload) {
            Ok(row) => {
                if let Some(t) = row.as_of {
                    clock.advance(t);
                }
                lock(view).apply(row);
            }
            Err(_) => lock(view).unreadable += 1,
        }
    }
}
