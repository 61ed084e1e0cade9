//! The console's pages over plain HTTP: the token (header or sign-in cookie), the security
//! headers, every account at its worklist rank, the filters and their refusal of unknown
//! parameters, escaped markup from events and from the URL, and never a phone number.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{console, Console, HOSTILE, HOSTILE_CONTACT, HOSTILE_PAYMENT, HOSTILE_PRODUCT};
use crate::{HOSTILE_PROMISE, HOSTILE_STATEMENT, TOKEN};

/// Status, lower-cased header block and body of one request.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(crate::common::DEADLINE, stream.read_to_end(&mut raw))
        .await
        .expect("a response in time")
        .unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").expect("a header block");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let head = head.to_ascii_lowercase();
    let body = if head.contains("transfer-encoding: chunked") {
        crate::common::dechunk(body)
    } else {
        body.to_string()
    };
    (status, head, body)
}

const BEARER: (&str, &str) = ("Authorization", "Bearer console-test-token-7f3a");

async fn page(c: &Console, path: &str) -> String {
    let (status, head, body) = request(c.addr, "GET", path, &[BEARER], "").await;
    assert_eq!(status, 200, "{path}: {body}");
    assert!(head.contains("content-type: text/html"), "{path}: {head}");
    assert!(
        head.contains("content-security-policy: default-src 'none'"),
        "{path}: {head}"
    );
    assert!(head.contains("x-content-type-options: nosniff"), "{head}");
    assert_no_markup_from_events(path, &body);
    for phone in &c.phones {
        assert!(
            !body.contains(phone.as_str()) && !body.contains(&phone[1..]),
            "{path} carries a phone number"
        );
    }
    body
}

/// No element a page's own markup never uses, so none can have come from an event.
fn assert_no_markup_from_events(path: &str, body: &str) {
    // (An attribute like `onerror=` inside escaped text is harmless: its `<` is `&lt;`.)
    for tag in ["<script", "<img", "<iframe", "<svg onload", "\" onerror"] {
        assert!(!body.contains(tag), "{path}: unescaped {tag}");
    }
}

/// The rank cell of every worklist row: (account id, rank).
fn rows(body: &str) -> Vec<(String, usize)> {
    body.split("<tr data-account=\"")
        .skip(1)
        .map(|r| {
            let (id, rest) = r.split_once('"').unwrap();
            let rank = rest
                .split_once("<td class=\"num rank\">")
                .unwrap()
                .1
                .split_once('<')
                .unwrap()
                .0;
            (id.to_string(), rank.parse().unwrap())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_pages_are_guarded_escaped_and_ranked() {
    let c = console("g-console-pages").await;

    // The token: a browser without it is sent to sign in; the API answers 401.
    let (status, head, _) = request(c.addr, "GET", "/console/worklist", &[], "").await;
    assert_eq!(status, 303, "{head}");
    assert!(head.contains("location: /console/login"), "{head}");
    let (status, _, _) = request(c.addr, "GET", "/v1/worklist", &[], "").await;
    assert_eq!(status, 401);
    let (status, head, css) = request(c.addr, "GET", "/console/style.css", &[], "").await;
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/css") && css.contains("body{"));
    let (status, _, form) = request(c.addr, "GET", "/console/login", &[], "").await;
    assert_eq!(status, 200);
    assert!(form.contains("name=\"token\"") && !form.contains(TOKEN));
    let (status, head, _) = request(
        c.addr,
        "POST",
        "/console/login",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &format!("token={TOKEN}"),
    )
    .await;
    assert_eq!(status, 303, "{head}");
    let cookie = head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .expect("a cookie");
    assert!(
        cookie.contains("httponly") && cookie.contains("samesite=strict"),
        "{cookie}"
    );
    let good = format!("arrears_token={TOKEN}");
    let (status, _, _) =
        request(c.addr, "GET", "/console/worklist", &[("Cookie", &good)], "").await;
    assert_eq!(status, 200, "the sign-in cookie is accepted");
    let (status, _, _) = request(
        c.addr,
        "GET",
        "/console/worklist",
        &[("Cookie", "arrears_token=wrong")],
        "",
    )
    .await;
    assert_eq!(status, 303, "a wrong cookie is not");

    // Every account at its rank in the whole ranked worklist.
    let body = page(&c, "/console/worklist?limit=10000").await;
    let shown = rows(&body);
    assert_eq!(shown.len(), c.ranked.len(), "every item is a row");
    for (id, rank) in &shown {
        assert_eq!(*rank, c.rank_of(id), "{id}'s rank");
        assert!(
            body.contains(&format!("href=\"/console/accounts/{id}\"")),
            "{id} links"
        );
    }

    // Filters keep the whole list's ranks and only matching rows; unknown ones are refused.
    let held: Vec<&str> = c
        .ranked
        .iter()
        .filter(|i| i["status"] == "held")
        .map(|i| i["account_id"].as_str().unwrap())
        .collect();
    assert!(!held.is_empty(), "the portfolio has held accounts");
    let body = page(&c, "/console/worklist?status=held&limit=10000").await;
    let shown: Vec<String> = rows(&body).into_iter().map(|r| r.0).collect();
    assert_eq!(shown, held, "exactly the held items, in rank order");
    let seg = c.ranked[0]["segment"].as_str().unwrap();
    let body = page(&c, &format!("/console/worklist?segment={seg}&limit=10000")).await;
    let expected: Vec<&str> = c
        .ranked
        .iter()
        .filter(|i| i["segment"] == seg)
        .map(|i| i["account_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        rows(&body).into_iter().map(|r| r.0).collect::<Vec<_>>(),
        expected
    );
    let (status, _, body) = request(
        c.addr,
        "GET",
        "/console/worklist?statsu=open",
        &[BEARER],
        "",
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("statsu"), "{body}");

    // The held account's reason and its rules.
    let h = c.ranked.iter().find(|i| i["status"] == "held").unwrap();
    let id = h["account_id"].as_str().unwrap();
    let body = page(&c, &format!("/console/accounts/{id}")).await;
    let reason = h["hold_reason"].as_str().unwrap();
    assert!(
        body.contains(&format!("<strong id=\"hold-reason\">{reason}</strong>")),
        "{id}: held for {reason}"
    );
    assert!(
        body.contains("always.hold_in_force"),
        "every rule is listed"
    );

    // Markup from events is shown as text.
    let body = page(&c, &format!("/console/accounts/{HOSTILE}")).await;
    for s in [
        HOSTILE_PRODUCT,
        HOSTILE_CONTACT,
        HOSTILE_STATEMENT,
        HOSTILE_PAYMENT,
        HOSTILE_PROMISE,
    ] {
        let escaped = arrears::daemon::console::html::esc(s);
        assert!(body.contains(&escaped), "{s} shown escaped");
        assert!(!body.contains(s), "{s} never raw");
    }
    // And from the URL.
    let (status, _, body) = request(
        c.addr,
        "GET",
        "/console/accounts/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        &[BEARER],
        "",
    )
    .await;
    assert_eq!(status, 404);
    assert!(
        body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{body}"
    );
    assert_no_markup_from_events("404", &body);

    // Every account page, the portfolio and the health page.
    for i in &c.ranked {
        page(
            &c,
            &format!("/console/accounts/{}", i["account_id"].as_str().unwrap()),
        )
        .await;
    }
    let body = page(&c, "/console/portfolio").await;
    assert!(
        body.contains(&format!("{} accounts on this instance", c.ranked.len())),
        "the portfolio counts every account"
    );
    assert!(body.matches("<svg").count() >= 6, "charts");
    let body = page(&c, "/console/health").await;
    assert!(body.contains("partitions assigned and restored"));
    assert!(body.contains("willingness drift") && body.contains("ability drift"));
    assert!(c.lines.len() > 100);
    c.stop().await;
}
