//! The web console against a daemon on the embedded broker: a simulated portfolio plus one
//! account whose product, contact, statement, payment and promise ids are markup. `pages` reads
//! the HTML over HTTP (escaping, no phone number, filters, the token and its cookie, security
//! headers); `browser` drives Debian's headless chromium through chromedriver over every page
//! (ignored by a plain `cargo test`, which needs nothing outside cargo; `.ci/run` installs
//! chromium and runs it with `--ignored`).

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "integration tests drive the edges: files, timers and the environment"
)]

#[path = "../common/mod.rs"]
mod common;

mod browser;
mod pages;
mod webdriver;

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;

use arrears::daemon::settings::HttpConfig;
use arrears::daemon::topics::{BILLING, WORK_ITEMS};
use arrears::daemon::{http, Clock, Running, Shared};
use arrears::tools::broker::EmbeddedBroker;
use jiff::Timestamp;
use serde_json::{json, Value};

use common::raw::{keyed, produce, TopicReader};
use common::{broker, offline_items, pipeline, settings, simulated_events};

/// The hostile account and the markup its events carry.
pub const HOSTILE: &str = "A-HOSTILE";
pub const HOSTILE_PRODUCT: &str = "<script>alert(\"product\")</script>";
pub const HOSTILE_CONTACT: &str = "c\"><img src=x onerror=alert(1)>";
pub const HOSTILE_STATEMENT: &str = "</td></tr><script>alert(2)</script>";
pub const HOSTILE_PAYMENT: &str = "p'><svg onload=alert(3)>";
pub const HOSTILE_PROMISE: &str = "<iframe src=javascript:alert(4)>";
/// The API token the console is served behind.
pub const TOKEN: &str = "console-test-token-7f3a";

/// A clock fixed at one instant (the portfolio's last event), so pages do not move.
struct Fixed(Timestamp);

impl Clock for Fixed {
    fn now(&self) -> Timestamp {
        self.0
    }
}

/// A daemon that has applied every event, with the console served behind [`TOKEN`].
pub struct Console {
    _broker: EmbeddedBroker,
    daemon: Option<Running>,
    server: tokio::task::JoinHandle<()>,
    pub addr: SocketAddr,
    pub lines: Vec<String>,
    /// Every account's item, ranked as the worklist ranks them.
    pub ranked: Vec<Value>,
    pub phones: BTreeSet<String>,
}

impl Console {
    pub async fn stop(mut self) {
        if let Some(d) = self.daemon.take() {
            common::stop_daemon(d).await;
        }
        self.server.abort();
    }

    /// The rank (1-based) of an account in the whole worklist.
    pub fn rank_of(&self, id: &str) -> usize {
        1 + self
            .ranked
            .iter()
            .position(|i| i["account_id"] == id)
            .unwrap_or_else(|| panic!("{id} has an item"))
    }
}

fn hostile_events(start: Timestamp) -> Vec<String> {
    let at = |h: i64| (start + jiff::SignedDuration::from_hours(h)).to_string();
    let due = (start + jiff::SignedDuration::from_hours(24 * 3))
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let promise_due = due.checked_add(jiff::Span::new().days(40)).unwrap();
    [
        json!({"event_id": "h-1", "type": "account_opened", "account_id": HOSTILE, "occurred_at": at(0),
               "timezone": "America/New_York", "currency": "USD", "product": HOSTILE_PRODUCT,
               "contacts": [{"contact_id": HOSTILE_CONTACT, "role": "debtor", "phone": "+15550001234",
                             "consent_to_contact": true, "informed": true}]}),
        json!({"event_id": "h-2", "type": "statement_issued", "account_id": HOSTILE, "occurred_at": at(1),
               "statement_id": HOSTILE_STATEMENT, "amount_due": 125_000, "minimum_due": 25_000,
               "due_date": due.to_string()}),
        json!({"event_id": "h-3", "type": "payment_received", "account_id": HOSTILE, "occurred_at": at(24 * 10),
               "payment_id": HOSTILE_PAYMENT, "amount": 1_000}),
        json!({"event_id": "h-4", "type": "contact_attempt", "account_id": HOSTILE, "occurred_at": at(24 * 11),
               "attempt_id": "<b>a1</b>", "channel": "call", "contact_id": HOSTILE_CONTACT,
               "outcome": "right_party", "disposition": "promise_to_pay"}),
        json!({"event_id": "h-5", "type": "promise_made", "account_id": HOSTILE, "occurred_at": at(24 * 11),
               "promise_id": HOSTILE_PROMISE, "amount": 20_000, "due_date": promise_due.to_string(),
               "confirmed_in_writing": false, "contact_id": HOSTILE_CONTACT}),
    ]
    .iter()
    .map(Value::to_string)
    .collect()
}

/// Every phone number the events carry.
fn phones_of(lines: &[String]) -> BTreeSet<String> {
    lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .flat_map(|v| {
            v["contacts"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c["phone"].as_str().map(str::to_string))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn rank_key(v: &Value) -> (u8, f64, String) {
    let status = match v["status"].as_str() {
        Some("open") => 0,
        Some("held") => 1,
        _ => 2,
    };
    (
        status,
        -v["priority"].as_f64().unwrap_or(0.0),
        v["account_id"].as_str().unwrap_or("").to_string(),
    )
}

/// Starts the broker, produces the portfolio's events and waits until the daemon published
/// every account's final item.
pub async fn console(group: &str) -> Console {
    let broker = broker();
    let mut lines = simulated_events(40, 30, 21);
    let times: Vec<Timestamp> = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["occurred_at"].as_str()?.parse().ok())
        .collect();
    let (first, last) = (*times.iter().min().unwrap(), *times.iter().max().unwrap());
    lines.extend(hostile_events(first));
    let expected: HashMap<String, Value> = offline_items(&lines);
    assert!(
        expected.contains_key(HOSTILE),
        "the hostile account is applied"
    );
    let mut ranked: Vec<Value> = expected.values().cloned().collect();
    ranked.sort_by(|a, b| {
        let (a, b) = (rank_key(a), rank_key(b));
        a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2))
    });
    let phones = phones_of(&lines);
    assert!(phones.len() > 10, "the events carry phone numbers");
    // In file order on one topic, as the offline pipeline applies them.
    produce(&broker, BILLING, &keyed(&lines)).await;

    let shared = Shared::new(pipeline(), Arc::new(Fixed(last)));
    let cfg = HttpConfig {
        auth_token: Some(TOKEN.to_string().into()),
        ..HttpConfig::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = http::app(shared.clone(), &cfg);
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let daemon = common::start_daemon(&settings(&broker, group), shared).await;
    let mut items = TopicReader::new(&broker, WORK_ITEMS);
    items
        .wait_for("every account's final item", |r| r.latest() == expected)
        .await;
    Console {
        _broker: broker,
        daemon: Some(daemon),
        server,
        addr,
        lines,
        ranked,
        phones,
    }
}
