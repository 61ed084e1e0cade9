//! The HTTP API (axum, loopback by default): `/healthz`, `/readyz`, `/metrics`, `GET /v1/worklist`,
//! `GET /v1/accounts/{id}` and `GET /v1/accounts/{id}/decisions` (the account's recent decision
//! records, JSON or `?format=text`). Read-only views of this instance's partitions; never a phone
//! number in a log line or a response (responses carry contact ids, never phone numbers).
//! The worklist comes from a snapshot (`shared::Shared::worklist`), serialised without the
//! pipeline lock; an account view takes the lock only to compute that one account; decision
//! records come from their own store (`decisions::History`), as the bytes that went to Kafka. [`app`] adds
//! the `http_guard` middleware (token, body limit, timeout); [`serve`] runs `http_serve`'s
//! accept loop (connection limit, header-read and idle timeouts, header size limit).

use std::future::Future;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::json;
use tokio::net::TcpListener;

use crate::engine::features::FEATURE_NAMES;
use crate::replay::explain;

use super::error::DaemonError;
use super::http_guard::{guard, Guard};
use super::settings::HttpConfig;
use super::shared::Shared;

/// The routes behind the guards of `cfg` (bearer token, body limit, per-request timeout).
pub fn app(shared: Arc<Shared>, cfg: &HttpConfig) -> Router {
    shared.set_worklist_max_staleness(cfg.worklist_max_staleness());
    router(shared).layer(axum::middleware::from_fn_with_state(Guard::new(cfg), guard))
}

/// The API's routes over `shared`, with no guards.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/v1/worklist", get(worklist))
        .route("/v1/accounts/{id}", get(account))
        .route("/v1/accounts/{id}/decisions", get(decisions))
        .merge(super::console::routes())
        .with_state(shared)
}

/// Binds the API's listener.
pub async fn bind(addr: &str) -> Result<TcpListener, DaemonError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| DaemonError::Http {
            addr: addr.to_string(),
            source,
        })
}

/// Serves the API on `listener` with the default `[http]` limits (no token) until `shutdown`.
pub async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), DaemonError> {
    serve_with(listener, shared, &HttpConfig::default(), shutdown).await
}

/// Serves the API on `listener` under `cfg`'s limits and token until `shutdown` completes.
pub async fn serve_with(
    listener: TcpListener,
    shared: Arc<Shared>,
    cfg: &HttpConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), DaemonError> {
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    super::http_serve::serve(listener, app(shared, cfg), cfg, shutdown)
        .await
        .map_err(|source| DaemonError::Http { addr, source })
}

/// 200 when every readiness check passes, else 503; the body lists each check.
async fn readyz(State(s): State<Arc<Shared>>) -> Response {
    let checks = s.readiness();
    let body: String = checks
        .iter()
        .map(|(what, ok)| format!("{} {what}\n", if *ok { "ok  " } else { "FAIL" }))
        .collect();
    let status = if checks.iter().all(|c| c.1) {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, body).into_response()
}

/// The Prometheus text exposition format.
async fn metrics(State(s): State<Arc<Shared>>) -> Response {
    let body = tokio::task::block_in_place(|| s.render_metrics());
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

#[derive(Deserialize)]
struct WorklistQuery {
    limit: Option<usize>,
    status: Option<String>,
}

async fn worklist(State(s): State<Arc<Shared>>, Query(q): Query<WorklistQuery>) -> Response {
    if let Some(st) = q.status.as_deref() {
        if !["open", "held", "closed"].contains(&st) {
            return (
                StatusCode::BAD_REQUEST,
                "status must be open, held or closed\n",
            )
                .into_response();
        }
    }
    let limit = q.limit.unwrap_or(100).min(10_000);
    let ranked = s.worklist().await;
    let items: Vec<_> = ranked
        .iter()
        .filter(|i| q.status.as_deref().is_none_or(|st| i.status.as_str() == st))
        .take(limit)
        .collect();
    Json(items).into_response()
}

async fn account(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let now = s.clock.now();
    let (ev, published, model_version) = {
        let pl = s.lock();
        let ev = pl.explain(&id, now);
        (ev, pl.item(&id), pl.scorer().model_version.clone())
    };
    let Some(ev) = ev else {
        return (StatusCode::NOT_FOUND, "no such account on this instance\n").into_response();
    };
    let features: serde_json::Map<String, serde_json::Value> = FEATURE_NAMES
        .iter()
        .zip(ev.features.vector.iter())
        .map(|(n, v)| ((*n).to_string(), json!(v)))
        .collect();
    Json(json!({
        "account_id": id,
        "as_of": now,
        "features": features,
        "days_past_due": ev.features.dpd,
        "stage": ev.features.stage,
        "overdue_amount": ev.features.overdue,
        "balance": ev.features.balance,
        "scores": {
            "willingness": ev.scores.willingness.get(),
            "ability": ev.scores.ability.get(),
            "model_version": &*model_version,
        },
        "segment": ev.segment,
        "decision": {
            "status": ev.decision.status,
            "hold_reason": ev.decision.hold,
            "wake_at": ev.decision.wake_at,
        },
        "item_now": ev.item,
        "last_published": published,
    }))
    .into_response()
}

#[derive(Deserialize)]
struct DecisionsQuery {
    format: Option<String>,
}

/// The account's recent decision records (the latest `http.decisions_per_account`), oldest first:
/// `{"account_id": …, "decisions": [records]}`, or with `?format=text` each rendered as
/// `arrears explain` does. 404 when this instance does not hold the account.
async fn decisions(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(q): Query<DecisionsQuery>,
) -> Response {
    let text = match q.format.as_deref() {
        None | Some("json") => false,
        Some("text") => true,
        Some(_) => {
            return (StatusCode::BAD_REQUEST, "format must be json or text\n").into_response();
        }
    };
    let records = match s.decisions.recent(&id) {
        Some(r) => r,
        // Held, but no record kept yet (restored from a changelog written without them).
        None if s.lock().entry(&id).is_some() => Vec::new(),
        None => {
            return (StatusCode::NOT_FOUND, "no such account on this instance\n").into_response();
        }
    };
    if text {
        let mut body = String::new();
        for r in &records {
            if !body.is_empty() {
                body.push('\n');
            }
            match serde_json::from_slice::<serde_json::Value>(r) {
                Ok(v) => body.push_str(&explain::render(&v)),
                Err(_) => body.push_str("(an unreadable record)\n"),
            }
        }
        if records.is_empty() {
            body.push_str("no decision record kept for this account yet\n");
        }
        return (
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; charset=utf-8",
            )],
            body,
        )
            .into_response();
    }
    // The records as they went to Kafka, spliced in unparsed.
    let size: usize = records.iter().map(|r| r.len() + 1).sum();
    let mut body = Vec::with_capacity(size + id.len() + 48);
    body.extend_from_slice(b"{\"account_id\":");
    serde_json::to_writer(&mut body, &id).expect("a string serializes");
    body.extend_from_slice(b",\"decisions\":[");
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(r);
    }
    body.extend_from_slice(b"]}");
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}
