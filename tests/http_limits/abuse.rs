//! Slow and greedy clients: half-sent headers are cut off after the header-read timeout, idle
//! keep-alive connections are closed, a connection beyond the limit is refused, oversize headers
//! and bodies are answered 431 and 413; `/healthz` keeps answering throughout.

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::client::{closed_by_server, get, http_config, send, serve, wait_until};

/// Connections that send half a request header and stall.
async fn stalled(addr: std::net::SocketAddr, n: usize) -> Vec<TcpStream> {
    let mut out = Vec::new();
    for _ in 0..n {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /v1/worklist HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .unwrap();
        out.push(s);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off_by_the_header_read_timeout() {
    let mut cfg = http_config();
    cfg.max_connections = 1_024;
    let addr = serve(&cfg).await;
    let mut slow = stalled(addr, 600).await;
    // Health answers while 600 half-sent requests are held open.
    let (status, body) = get(addr, "/healthz", None).await;
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    let mut closed = 0;
    for s in &mut slow {
        closed += usize::from(closed_by_server(s).await);
    }
    assert_eq!(closed, 600, "every stalled connection closed by the server");
    assert_eq!(get(addr, "/healthz", None).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_keep_alive_connections_are_closed() {
    let addr = serve(&http_config()).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    // The response arrives, then (no further request) the server closes the connection.
    assert!(closed_by_server(&mut s).await, "idle connection closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_beyond_the_limit_is_refused_until_a_slot_frees() {
    let mut cfg = http_config();
    cfg.max_connections = 8;
    let addr = serve(&cfg).await;
    let mut slow = stalled(addr, 8).await;
    // Every slot held: a ninth connection is told 503 and closed.
    wait_until("a refused ninth connection", || async {
        get(addr, "/healthz", None).await.0 == 503
    })
    .await;
    for s in &mut slow {
        assert!(closed_by_server(s).await);
    }
    wait_until("/healthz once the slots free", || async {
        get(addr, "/healthz", None).await.0 == 200
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_headers_and_bodies_are_refused() {
    let mut cfg = http_config();
    cfg.max_header_bytes = 4_096;
    cfg.max_body_bytes = 1_024;
    let addr = serve(&cfg).await;
    let big = "x".repeat(8_000);
    let raw =
        format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\nConnection: close\r\n\r\n");
    assert_eq!(send(addr, raw.as_bytes()).await.0, 431, "oversize header");

    let raw = "GET /v1/worklist HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n";
    assert_eq!(
        send(addr, raw.as_bytes()).await.0,
        413,
        "declared oversize body"
    );

    let chunk = "y".repeat(4_000);
    let raw = format!(
        "GET /v1/worklist HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        chunk.len()
    );
    assert_eq!(
        send(addr, raw.as_bytes()).await.0,
        413,
        "chunked oversize body"
    );

    // Within the limits: served.
    let raw =
        "GET /v1/worklist HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
    let (status, body) = send(addr, raw.as_bytes()).await;
    assert_eq!((status, body.as_str()), (200, "[]"));
}
