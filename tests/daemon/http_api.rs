//! The HTTP API: health, readiness, the worklist and account explanations, never a phone number;
//! each response conforms to its schema in the OpenAPI document.

use std::collections::BTreeSet;
use std::sync::Arc;

use arrears::daemon::topics::{BILLING, WORK_ITEMS};
use arrears::daemon::{http, Shared, WallClock};
use arrears::engine::features::FEATURE_NAMES;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{
    assert_conforms, broker, offline_items, pipeline, settings, simulated_events, DEADLINE,
};
use crate::{instances::*, items::*, kafka_io::*};

/// A minimal HTTP/1.1 GET: status and body.
pub async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let (status, _, body) = get_with_head(addr, path).await;
    (status, body)
}

/// A minimal HTTP/1.1 GET: status, header block and body.
pub async fn get_with_head(addr: std::net::SocketAddr, path: &str) -> (u16, String, String) {
    tokio::time::timeout(DEADLINE, get_now(addr, path))
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for GET {path}"))
}

async fn get_now(addr: std::net::SocketAddr, path: &str) -> (u16, String, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").expect("a header block");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a status line: {head}"));
    let chunked = head
        .lines()
        .any(|l| l.eq_ignore_ascii_case("transfer-encoding: chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, head.to_string(), body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, rest) = s.split_once("\r\n").expect("a chunk size");
        let n = usize::from_str_radix(size.trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
}

/// Every phone number the events carry (there are some).
pub fn phones_of(lines: &[String]) -> BTreeSet<String> {
    let phones: BTreeSet<String> = lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .flat_map(|v| match v["contacts"].as_array() {
            Some(cs) => cs
                .iter()
                .map(|c| c["phone"].as_str().unwrap().to_string())
                .collect(),
            None => Vec::new(),
        })
        .collect();
    assert!(!phones.is_empty(), "the events carry phone numbers");
    phones
}

/// Asserts that `body` carries none of `phones`, with or without the `+`.
pub fn assert_no_phone(body: &str, phones: &BTreeSet<String>) {
    for phone in phones {
        assert!(
            !body.contains(phone.as_str()) && !body.contains(&phone[1..]),
            "a response carries a phone number"
        );
    }
}

pub fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_api_answers_from_the_daemons_state() {
    let broker = broker();
    // 24 accounts: five of them open at the end (enough for `limit=3` to cut).
    let lines = simulated_events(24, 30, 13);
    let expected = offline_items(&lines);
    let phones = phones_of(&lines);
    produce(&broker, BILLING, &keyed(&lines)).await;

    let shared = Shared::new(pipeline(), Arc::new(WallClock));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = http::router(shared.clone());
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let mut bodies = Vec::new();

    let (status, body) = get(addr, "/healthz").await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = get(addr, "/readyz").await;
    assert_eq!(
        status, 503,
        "not ready before a daemon owns partitions: {body}"
    );

    let daemon = start_with(&settings(&broker, "g-http"), shared.clone()).await;
    let mut items = TopicReader::new(&broker, WORK_ITEMS);
    wait_for(&mut items, "every account's final item", |r| {
        r.latest() == expected
    })
    .await;
    wait_until("/readyz 200", || async {
        get(addr, "/readyz").await.0 == 200
    })
    .await;
    let (status, body) = get(addr, "/healthz").await;
    assert_eq!(status, 200, "{body}");

    // The whole worklist: every account's latest item, ranked.
    let mut ranked: Vec<Value> = expected.values().cloned().collect();
    ranked.sort_by(|a, b| {
        let (a, b) = (rank_key(a), rank_key(b));
        a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2))
    });
    let (status, body) = get(addr, "/v1/worklist").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body), Value::Array(ranked.clone()));
    for item in &ranked {
        assert_conforms("WorkItem", item);
    }
    bodies.push(body);

    let open: Vec<Value> = ranked
        .iter()
        .filter(|i| i["status"] == "open")
        .cloned()
        .collect();
    assert!(open.len() > 3, "{} open items", open.len());
    let (status, body) = get(addr, "/v1/worklist?limit=3&status=open").await;
    assert_eq!(status, 200, "{body}");
    let top = json(&body);
    let top = top.as_array().unwrap();
    assert!(top.len() <= 3);
    assert!(top.iter().all(|i| i["status"] == "open"), "{body}");
    assert!(in_rank_order(top), "priority descending: {body}");
    assert_eq!(top, &open[..3], "the three highest-priority open items");
    bodies.push(body);

    let (status, body) = get(addr, "/v1/worklist?status=held").await;
    assert_eq!(status, 200, "{body}");
    let held: Vec<&Value> = ranked.iter().filter(|i| i["status"] == "held").collect();
    assert_eq!(
        json(&body).as_array().unwrap().iter().collect::<Vec<_>>(),
        held
    );
    bodies.push(body);

    let (status, body) = get(addr, "/v1/worklist?status=bogus").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        json(&body)["type"],
        "urn:arrears:problem:bad-query",
        "{body}"
    );
    let (status, body) = get(addr, "/v1/worklist?statsu=open").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        json(&body)["detail"],
        "unknown query parameter `statsu`; expected one of limit, status"
    );

    let names: BTreeSet<&str> = FEATURE_NAMES.iter().copied().collect();
    for (id, item) in &expected {
        let (status, body) = get(addr, &format!("/v1/accounts/{id}")).await;
        assert_eq!(status, 200, "{id}: {body}");
        let v = json(&body);
        assert_conforms("AccountView", &v);
        assert_eq!(v["account_id"], id.as_str());
        let features = v["features"].as_object().expect("features");
        assert_eq!(
            features.keys().map(String::as_str).collect::<BTreeSet<_>>(),
            names,
            "{id}: every feature, by name"
        );
        assert!(
            features
                .values()
                .all(|x| x.as_f64().is_some_and(f64::is_finite)),
            "{id}: finite numbers: {features:?}"
        );
        for score in ["willingness", "ability"] {
            let x = v["scores"][score].as_f64().expect("a score");
            assert!((0.0..=1.0).contains(&x), "{id}: {score} {x}");
        }
        assert!(
            ["open", "held", "closed"].contains(&v["decision"]["status"].as_str().unwrap()),
            "{id}: {}",
            v["decision"]
        );
        assert_eq!(&v["last_published"], item, "{id}: the topic's last item");
        assert_eq!(v["last_published"]["version"], item["version"]);
        bodies.push(body);
    }
    let (status, head, body) = get_with_head(addr, "/v1/accounts/no-such-account").await;
    assert_eq!(status, 404, "{body}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{head}"
    );
    let problem = json(&body);
    assert_conforms("Problem", &problem);
    assert_eq!(problem["type"], "urn:arrears:problem:unknown-account");
    assert_eq!(problem["status"], 404);
    assert_eq!(
        problem["detail"],
        "no account `no-such-account` on this instance"
    );

    for body in &bodies {
        assert_no_phone(body, &phones);
    }

    daemon.stop().await;
    let (status, body) = get(addr, "/readyz").await;
    assert_eq!(status, 503, "not ready once stopped: {body}");
    server.abort();
}
