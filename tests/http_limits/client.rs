//! A minimal HTTP/1.1 client over raw sockets (so a test can also send half a request), and an
//! API served on a loopback port with chosen `[http]` settings.

use crate::common::dechunk;
use std::net::SocketAddr;
use std::sync::Arc;

use arrears::daemon::settings::HttpConfig;
use arrears::daemon::{http, Shared, WallClock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{pipeline, DEADLINE};

/// `[http]` for tests: loopback, an ephemeral port, short timeouts.
pub fn http_config() -> HttpConfig {
    HttpConfig {
        listen: "127.0.0.1:0".into(),
        header_read_timeout_ms: 1_000,
        idle_timeout_ms: 1_000,
        ..HttpConfig::default()
    }
}

/// The API alone (no daemon) over a fresh pipeline, served under `cfg`.
pub async fn serve(cfg: &HttpConfig) -> SocketAddr {
    let shared = Shared::new(pipeline(), Arc::new(WallClock));
    let listener = http::bind(&cfg.listen).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let cfg = cfg.clone();
    tokio::spawn(
        async move { http::serve_with(listener, shared, &cfg, std::future::pending()).await },
    );
    addr
}

/// Sends `raw` and reads the response to the end: status and body.
pub async fn send(addr: SocketAddr, raw: &[u8]) -> (u16, String) {
    let (status, _, body) = send_full(addr, raw).await;
    (status, body)
}

/// Sends `raw` and reads the response to the end: status, header block (lower-cased) and body.
pub async fn send_full(addr: SocketAddr, raw: &[u8]) -> (u16, String, String) {
    let out = tokio::time::timeout(DEADLINE, async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        // The server may answer (431, 413) and close before reading everything.
        let _ = stream.write_all(raw).await;
        let mut out = Vec::new();
        let _ = stream.read_to_end(&mut out).await;
        String::from_utf8_lossy(&out).into_owned()
    })
    .await
    .expect("timed out waiting for a response");
    let head = out
        .split_once("\r\n\r\n")
        .map_or("", |(h, _)| h)
        .to_ascii_lowercase();
    let (status, body) = parse(&out);
    (status, head, body)
}

/// GET `path`, with `Authorization: Bearer <token>` when given.
pub async fn get(addr: SocketAddr, path: &str, token: Option<&str>) -> (u16, String) {
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let raw = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n");
    send(addr, raw.as_bytes()).await
}

/// Status and (de-chunked) body of a raw response; status 0 when there is none.
pub fn parse(raw: &str) -> (u16, String) {
    let Some((head, body)) = raw.split_once("\r\n\r\n") else {
        return (0, raw.to_string());
    };
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let chunked = head
        .lines()
        .any(|l| l.eq_ignore_ascii_case("transfer-encoding: chunked"));
    (
        status,
        if chunked {
            dechunk(body)
        } else {
            body.to_string()
        },
    )
}

/// Polls `cond` until it holds, panicking after the deadline with `what`.
pub async fn wait_until<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !cond().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Whether the server has closed `stream` (EOF or reset), waiting at most the deadline.
pub async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    tokio::time::timeout(DEADLINE, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return true,
                Ok(_) => {}
            }
        }
    })
    .await
    .unwrap_or(false)
}
