//! The demo's producer side: simulated days streamed into the input topics at a steady rate
//! ([`stream_events`]), each event routed to its topic and keyed by account ([`route`]), with the
//! broker's acknowledgements counted ([`Acks`]).

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, DeliveryResult, ProducerContext, ThreadedProducer};
use rdkafka::ClientContext;
use serde::Deserialize;
use tokio::sync::mpsc;

use super::state::{lock, Progress};
use crate::daemon::topics::BILLING;

/// Counts the broker's acknowledgements.
pub(super) struct Acks(pub(super) Arc<Progress>);

impl ClientContext for Acks {}

impl ProducerContext for Acks {
    type DeliveryOpaque = ();
    fn delivery(&self, r: &DeliveryResult<'_>, _: ()) {
        match r {
            Ok(_) => {
                self.0.sent.fetch_add(1, Ordering::Relaxed);
            }
            Err((e, _)) => {
                self.0.failed.fetch_add(1, Ordering::Relaxed);
                self.0.error(format!("delivery failed: {e}"));
            }
        }
    }
}

/// The fields of an event the demo routes by.
#[derive(Deserialize)]
pub(super) struct Peek {
    #[serde(rename = "type")]
    pub(super) kind: String,
    pub(super) account_id: String,
    #[serde(default)]
    pub(super) timezone: Option<String>,
}

/// Streams the simulator's days into the input topics at `rate` events per second (a token
/// bucket refilled every 10 ms, bursts bounded to 100 ms worth) until the stream ends or `stop`.
pub(super) async fn stream_events(
    producer: Arc<ThreadedProducer<Acks>>,
    mut days: mpsc::Receiver<Vec<String>>,
    rate: u32,
    progress: Arc<Progress>,
    tz: Arc<Mutex<HashMap<String, String>>>,
    stop: impl Future<Output = ()>,
) {
    let rate = f64::from(rate);
    let burst = (rate / 10.0).max(1.0);
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stop);
    let mut tokens = 0.0f64;
    let mut last = Instant::now();
    let mut day: std::vec::IntoIter<String> = Vec::new().into_iter();
    let mut pending: Option<(&'static str, String, String)> = None;
    loop {
        tokio::select! {
            biased;
            () = &mut stop => return,
            _ = tick.tick() => {}
        }
        let now = Instant::now();
        tokens = (tokens + rate * now.duration_since(last).as_secs_f64()).min(burst);
        last = now;
        while tokens >= 1.0 {
            let (topic, key, line) = match pending.take() {
                Some(p) => p,
                None => {
                    let line = match day.next() {
                        Some(l) => l,
                        None => match days.try_recv() {
                            Ok(lines) => {
                                if !lines.is_empty() {
                                    progress.days_streamed.fetch_add(1, Ordering::Relaxed);
                                }
                                day = lines.into_iter();
                                continue;
                            }
                            // The simulator is behind: wait for the next tick.
                            Err(mpsc::error::TryRecvError::Empty) => break,
                            Err(mpsc::error::TryRecvError::Disconnected) => {
                                progress.stream_done.store(true, Ordering::Release);
                                return;
                            }
                        },
                    };
                    route(line, &tz)
                }
            };
            let record = BaseRecord::to(topic).key(&key).payload(&line);
            match producer.send(record) {
                Ok(()) => {
                    tokens -= 1.0;
                    progress.produced.fetch_add(1, Ordering::Relaxed);
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    // Backpressure: the broker is slower than the rate; retry next tick.
                    pending = Some((topic, key, line));
                    break;
                }
                Err((e, _)) => {
                    tokens -= 1.0;
                    progress.failed.fetch_add(1, Ordering::Relaxed);
                    progress.error(format!("cannot produce to {topic}: {e}"));
                }
            }
        }
    }
}

/// The topic and key of an event line (contact attempts to contacts, the rest to billing); notes
/// the account's time zone.
pub(super) fn route(
    line: String,
    tz: &Mutex<HashMap<String, String>>,
) -> (&'static str, String, String) {
    match serde_json::from_str::<Peek>(&line) {
        Ok(p) => {
            if let Some(zone) = p.timezone {
                lock(tz).insert(p.account_id.clone(), zone);
            }
            (
                crate::tools::broker::input_topic(&p.kind),
                p.account_id,
                line,
            )
        }
        // Not expected from the simulator; the daemon will dead-letter it with a reason.
        Err(_) => {
            let key = crate::engine::events::peek_account_id(line.as_bytes()).unwrap_or_default();
            (BILLING, key, line)
        }
    }
}
