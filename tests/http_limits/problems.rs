//! Every error of the API and its guard is an RFC 9457 problem (`application/problem+json` with
//! `type`, `title`, `status` and `detail`): 400 for an unknown, repeated or malformed query
//! parameter (named, its value never repeated), 401 (with `WWW-Authenticate: Bearer`), 404 for
//! an unknown account or path, 405, 413, 503 on a timeout; `/openapi.json` is open and is the
//! generated document; `/version` names the build and the loaded models.

use arrears::daemon::http;
use serde_json::Value;

use crate::client::{http_config, send_full, serve};
use crate::common::assert_conforms;

const TOKEN: &str = "problem-token-0b7d";

/// GET `path` (with the token when given): status, lower-cased header block, body.
async fn get(addr: std::net::SocketAddr, path: &str, token: Option<&str>) -> (u16, String, String) {
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let raw = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n");
    send_full(addr, raw.as_bytes()).await
}

/// Asserts `(status, head, body)` is a problem of `status` and `kind`; its `detail`.
fn problem(r: &(u16, String, String), status: u16, kind: &str) -> String {
    let (got, head, body) = r;
    assert_eq!(*got, status, "{head}\n{body}");
    assert!(
        head.lines()
            .any(|l| l == "content-type: application/problem+json"),
        "{head}"
    );
    let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_conforms("Problem", &v);
    assert_eq!(v["status"], status, "{body}");
    assert_eq!(v["type"], kind, "{body}");
    assert!(v["title"].as_str().is_some_and(|t| !t.is_empty()), "{body}");
    v["detail"].as_str().expect("a detail").to_string()
}

fn with_token() -> (arrears::daemon::settings::HttpConfig, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = http_config();
    let file = dir.path().join("token");
    std::fs::write(&file, TOKEN).unwrap();
    cfg.auth_token_file = Some(file.display().to_string());
    assert_eq!(cfg.load_token(), None);
    (cfg, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_and_unknown_query_parameters_are_400_problems_naming_them() {
    let addr = serve(&http_config()).await;
    let bad = "urn:arrears:problem:bad-query";
    let d = problem(&get(addr, "/v1/worklist?statsu=open", None).await, 400, bad);
    assert_eq!(
        d,
        "unknown query parameter `statsu`; expected one of limit, status"
    );
    let d = problem(&get(addr, "/v1/worklist?limit=abc", None).await, 400, bad);
    assert!(d.contains("`limit`") && !d.contains("abc"), "{d}");
    let d = problem(&get(addr, "/v1/worklist?limit=-1", None).await, 400, bad);
    assert!(d.contains("`limit`"), "{d}");
    let d = problem(
        &get(addr, "/v1/worklist?status=bogus", None).await,
        400,
        bad,
    );
    assert!(
        d.contains("open, held or closed") && !d.contains("bogus"),
        "{d}"
    );
    let d = problem(
        &get(addr, "/v1/worklist?limit=1&limit=2", None).await,
        400,
        bad,
    );
    assert!(d.contains("more than once"), "{d}");
    // A name that could be a phone number is not repeated back.
    let d = problem(
        &get(addr, "/v1/worklist?%2B447700900123=1", None).await,
        400,
        bad,
    );
    assert!(!d.contains("447700900123"), "{d}");
    let d = problem(
        &get(addr, "/v1/accounts/a1/decisions?fmt=text", None).await,
        400,
        bad,
    );
    assert_eq!(d, "unknown query parameter `fmt`; expected one of format");
    let d = problem(
        &get(addr, "/v1/accounts/a1/decisions?format=xml", None).await,
        400,
        bad,
    );
    assert!(d.contains("json or text"), "{d}");
    // Good parameters still work.
    let (status, _, body) = get(addr, "/v1/worklist?limit=5&status=open", None).await;
    assert_eq!((status, body.as_str()), (200, "[]"));
    assert_eq!(get(addr, "/v1/worklist?", None).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_accounts_paths_and_methods_are_problems() {
    let addr = serve(&http_config()).await;
    let d = problem(
        &get(addr, "/v1/accounts/A-1042", None).await,
        404,
        "urn:arrears:problem:unknown-account",
    );
    assert_eq!(d, "no account `A-1042` on this instance");
    let d = problem(
        &get(addr, "/v1/accounts/a%22b/decisions", None).await,
        404,
        "urn:arrears:problem:unknown-account",
    );
    assert!(!d.contains('"'), "{d}");
    let d = problem(
        &get(addr, "/v1/no-such-route", None).await,
        404,
        "urn:arrears:problem:unknown-route",
    );
    assert!(!d.contains("no-such-route"), "{d}");
    let raw = format!(
        "POST /v1/worklist HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let r = send_full(addr, raw.as_bytes()).await;
    problem(&r, 405, "urn:arrears:problem:method-not-allowed");
    assert!(
        r.1.lines()
            .any(|l| l.starts_with("allow:") && l.contains("get")),
        "{}",
        r.1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guard_refusals_are_problems() {
    let (mut cfg, _dir) = with_token();
    cfg.max_body_bytes = 64;
    cfg.request_timeout_ms = 300;
    let addr = serve(&cfg).await;
    let r = get(addr, "/v1/worklist", None).await;
    let d = problem(&r, 401, "urn:arrears:problem:unauthorized");
    assert!(!d.contains(TOKEN));
    assert!(
        r.1.lines().any(|l| l == "www-authenticate: bearer"),
        "{}",
        r.1
    );
    problem(
        &get(addr, "/version", None).await,
        401,
        "urn:arrears:problem:unauthorized",
    );
    let raw = format!(
        "GET /v1/worklist HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Length: 100000\r\nConnection: close\r\n\r\n"
    );
    problem(
        &send_full(addr, raw.as_bytes()).await,
        413,
        "urn:arrears:problem:body-too-large",
    );
    // A body announced and never sent: the request cannot finish within the timeout.
    let raw = format!(
        "GET /v1/worklist HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Length: 10\r\nConnection: close\r\n\r\n12345"
    );
    problem(
        &send_full(addr, raw.as_bytes()).await,
        503,
        "urn:arrears:problem:timeout",
    );
    // Unknown paths need the token too (nothing about the API leaks), then are 404 problems.
    problem(
        &get(addr, "/nowhere", None).await,
        401,
        "urn:arrears:problem:unauthorized",
    );
    problem(
        &get(addr, "/nowhere", Some(TOKEN)).await,
        404,
        "urn:arrears:problem:unknown-route",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_is_open_and_version_names_the_build() {
    let (cfg, _dir) = with_token();
    let addr = serve(&cfg).await;
    let (status, head, body) = get(addr, "/openapi.json", None).await;
    assert_eq!(status, 200, "open without the token: {body}");
    assert!(head.contains("content-type: application/json"), "{head}");
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        doc,
        http::openapi(),
        "the served document is the generated one"
    );
    assert_eq!(doc["openapi"], "3.1.0");

    let (status, _, body) = get(addr, "/version", Some(TOKEN)).await;
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_conforms("VersionInfo", &v);
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    let commit = v["git_commit"].as_str().unwrap();
    assert!(
        commit == "unknown" || (commit.len() >= 7 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{commit}"
    );
    let shipped = arrears::engine::scoring::Scorer::shipped().unwrap();
    assert_eq!(
        v["models"]["willingness"],
        shipped.willingness.model.version
    );
    assert_eq!(v["models"]["ability"], shipped.ability.model.version);
    assert_eq!(v["models"]["model_version"], &*shipped.model_version);
    assert!(v["profiles"]["strict"].is_string(), "{body}");
}
