//! The HTTP API's per-request guards, as axum middleware: the optional bearer token (every route
//! but `/healthz`, `/readyz`, `/openapi.json`, the console's sign-in form, stylesheet and icon,
//! and `/metrics` unless `http.metrics_without_auth`; unknown paths too, so nothing is learnt
//! without it), presented as `Authorization: Bearer` or, from a browser, in the cookie the
//! console's sign-in sets, compared in constant time and never logged; the request body size
//! limit (413); the per-request timeout (503). Each refusal of the API is an
//! `application/problem+json` body (`http_problem`); a browser without the token on a console
//! page is sent to the sign-in form.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::http_problem::Problem;

use super::sensitive::Sensitive;
use super::settings::HttpConfig;

/// What the guards need from `[http]`.
#[derive(Clone)]
pub struct Guard {
    token: Option<Sensitive<String>>,
    metrics_open: bool,
    max_body: usize,
    timeout: Duration,
}

impl Guard {
    pub fn new(cfg: &HttpConfig) -> Arc<Guard> {
        Arc::new(Guard {
            token: cfg.auth_token.clone(),
            metrics_open: cfg.metrics_without_auth,
            max_body: cfg.max_body_bytes,
            timeout: cfg.request_timeout(),
        })
    }

    /// Whether `path` may be served without the token (`/openapi.json` describes no data).
    fn open(&self, path: &str) -> bool {
        matches!(
            path,
            "/healthz"
                | "/readyz"
                | "/openapi.json"
                | "/console/login"
                | "/console/style.css"
                | "/console/icon.svg"
        ) || (self.metrics_open && path == "/metrics")
    }
}

/// Equal lengths and bytes, in time that depends on the lengths only.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        diff |= usize::from(x ^ y);
    }
    std::hint::black_box(diff) == 0
}

/// The token a console sign-in left in its cookie (percent-decoded), if any.
fn console_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    let prefix = format!("{}=", super::console::TOKEN_COOKIE);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(prefix.as_str()).map(percent_decode))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The bearer token (or the console's cookie), the body limit and the timeout, in that order.
pub async fn guard(State(g): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    if let Some(token) = &g.token {
        if !g.open(req.uri().path()) {
            let presented = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split_once(' '))
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, t)| t.trim());
            let cookie = console_cookie(req.headers());
            let ok = presented
                .is_some_and(|t| constant_time_eq(t.as_bytes(), token.expose().as_bytes()))
                || cookie
                    .is_some_and(|t| constant_time_eq(t.as_bytes(), token.expose().as_bytes()));
            if !ok && req.uri().path().starts_with("/console") {
                // A browser without (or with a wrong) token: to the sign-in form.
                return axum::response::Redirect::to("/console/login").into_response();
            }
            if !ok {
                return Problem::unauthorized();
            }
        }
    }
    let too_large = || Problem::body_too_large().into_response();
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > g.max_body as u64) {
        return too_large();
    }
    let (parts, body) = req.into_parts();
    let work = async {
        // Read (at most the limit of) the body before the handler, so an undeclared length is
        // bounded too; the API's routes take no body, so this is normally empty.
        let Ok(bytes) = axum::body::to_bytes(body, g.max_body).await else {
            return too_large();
        };
        next.run(Request::from_parts(parts, Body::from(bytes)))
            .await
    };
    match tokio::time::timeout(g.timeout, work).await {
        Ok(r) => r,
        Err(_) => Problem::timeout().into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn constant_time_eq_compares_whole_values() {
        assert!(constant_time_eq(b"s3cret", b"s3cret"));
        assert!(!constant_time_eq(b"s3cret", b"s3creT"));
        assert!(!constant_time_eq(b"s3cret", b"s3cre"));
        assert!(!constant_time_eq(b"", b"x"));
        assert!(constant_time_eq(b"", b""));
    }
}
