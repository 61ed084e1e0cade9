//! The HTTP API's accept loop (hyper HTTP/1.1 under the axum router), with the limits the
//! router alone cannot set: at most `http.max_connections` connections (one beyond it gets a 503
//! and is closed at once), a header-read timeout (a client that has not sent its whole header
//! block by then is disconnected), a header size limit (431), and an idle timeout (a keep-alive
//! connection with no request in progress for that long is closed). Graceful shutdown: stop
//! accepting, let each connection finish its request, wait for every connection to close.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio::time::Instant;
use tower::ServiceExt;

use super::settings::HttpConfig;

/// What a connection refused for want of a slot is told before it is closed.
/// (A problem+json body, as every error of the API; see `http_problem`.)
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\ncontent-length: 121\r\nconnection: close\r\n\r\n{\"type\":\"urn:arrears:problem:busy\",\"title\":\"Too many connections\",\"status\":503,\"detail\":\"every connection slot is taken\"}";

/// Serves `app` on `listener` under `cfg`'s limits until `shutdown` completes, then waits for
/// the open connections to finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    cfg: &HttpConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(cfg.max_connections));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(cfg.header_read_timeout())
        .max_header_size(cfg.max_header_bytes)
        .max_buf_size(cfg.max_header_bytes.max(8_192) + 8_192)
        .keep_alive(true);
    let builder = Arc::new(builder);
    let idle = cfg.idle_timeout();
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors and the like: back off rather than spin.
                    tracing::warn!(error = %e, "http accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tokio::spawn(refuse(stream));
            continue;
        };
        let (app, builder, stop) = (app.clone(), builder.clone(), stop_rx.clone());
        tokio::spawn(async move {
            connection(stream, app, &builder, idle, stop).await;
            drop(slot);
        });
    }
    let _ = stop_tx.send(true);
    let all = u32::try_from(cfg.max_connections).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
    Ok(())
}

async fn refuse(mut stream: TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(BUSY)).await;
    let _ = stream.shutdown().await;
}

/// Requests in progress on one connection and when the last one ended.
struct Activity {
    in_progress: AtomicUsize,
    last: Mutex<Instant>,
}

impl Activity {
    fn touch(&self) {
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }

    fn last(&self) -> Instant {
        *self.last.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Ends a request's activity when its response is ready (or the request is dropped).
struct InProgress(Arc<Activity>);

impl Drop for InProgress {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_progress.fetch_sub(1, Ordering::AcqRel);
    }
}

async fn connection(
    stream: TcpStream,
    app: Router,
    builder: &http1::Builder,
    idle: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let activity = Arc::new(Activity {
        in_progress: AtomicUsize::new(0),
        last: Mutex::new(Instant::now()),
    });
    let tracked = activity.clone();
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        tracked.in_progress.fetch_add(1, Ordering::AcqRel);
        let in_progress = InProgress(tracked.clone());
        let app = app.clone();
        async move {
            let response = app.oneshot(req.map(Body::new)).await;
            drop(in_progress);
            response
        }
    });
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let mut closing = false;
    loop {
        let deadline = if activity.in_progress.load(Ordering::Acquire) > 0 {
            Instant::now() + idle
        } else {
            activity.last() + idle
        };
        tokio::select! {
            _ = conn.as_mut() => return,
            _ = stop.wait_for(|s| *s), if !closing => {
                conn.as_mut().graceful_shutdown();
                closing = true;
            }
            () = tokio::time::sleep_until(deadline), if !closing => {
                if activity.in_progress.load(Ordering::Acquire) == 0
                    && activity.last() + idle <= Instant::now()
                {
                    conn.as_mut().graceful_shutdown();
                    closing = true;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::BUSY;

    #[test]
    fn the_busy_answer_is_a_well_formed_problem() {
        let text = std::str::from_utf8(BUSY).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(length, body.len());
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["status"], 503);
        assert_eq!(v["type"], "urn:arrears:problem:busy");
        assert!(head.contains("content-type: application/problem+json"));
    }
}
