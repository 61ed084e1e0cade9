//! The HTTP API (axum, loopback by default): `/healthz`, `/readyz`, `/metrics`, `/version`,
//! `/openapi.json`, `GET /v1/worklist`, `GET /v1/accounts/{id}` and
//! `GET /v1/accounts/{id}/decisions` (the account's recent decision records, JSON or
//! `?format=text`). Read-only views of this instance's partitions; never a phone number in a log
//! line or a response (responses carry contact ids, never phone numbers). Every error is
//! `application/problem+json` (`http_problem`): a bad or unknown query parameter is a 400 naming
//! it, a path nothing routes a 404 (the router's fallback, so routes merged into [`router`] keep
//! working). The OpenAPI document is derived from the handlers' `#[utoipa::path]` attributes
//! ([`openapi`], finished by `http_openapi`) and committed as `docs/openapi.json`.
//! The worklist comes from a snapshot (`shared::Shared::worklist`), serialised without the
//! pipeline lock; an account view takes the lock only to compute that one account; decision
//! records come from their own store (`decisions::History`), as the bytes that went to Kafka. [`app`] adds
//! the `http_guard` middleware (token, body limit, timeout); [`serve`] runs `http_serve`'s
//! accept loop (connection limit, header-read and idle timeouts, header size limit).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, OnceLock};

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use axum::Router;
use jiff::Timestamp;
use serde::Serialize;
use tokio::net::TcpListener;
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::engine::domain::{HoldReason, Money, Segment, Stage, Status};
use crate::engine::features::FEATURE_NAMES;
use crate::engine::workitem::WorkItem;
use crate::replay::explain;

use super::error::DaemonError;
use super::http_guard::{guard, Guard};
use super::http_openapi::{finish, DecisionsDoc, SecurityAddon, WorkItemDoc, WorkItemNowDoc};
use super::http_problem::{self as problem, parse_query, Problem};
use super::settings::HttpConfig;
use super::shared::Shared;
use super::version::VersionInfo;

/// The routes behind the guards of `cfg` (bearer token, body limit, per-request timeout).
pub fn app(shared: Arc<Shared>, cfg: &HttpConfig) -> Router {
    shared.set_worklist_max_staleness(cfg.worklist_max_staleness());
    router(shared).layer(axum::middleware::from_fn_with_state(Guard::new(cfg), guard))
}

/// The API's routes over `shared`, with no guards; a path none of them serves is a 404 problem,
/// a method a route does not serve a 405 problem.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/version", get(version))
        .route("/openapi.json", get(openapi_json))
        .route("/v1/worklist", get(worklist))
        .route("/v1/accounts/{id}", get(account))
        .route("/v1/accounts/{id}/decisions", get(decisions))
        .merge(super::console::routes())
        .fallback(problem::unknown_route)
        .layer(axum::middleware::from_fn(problem::method_not_allowed))
        .with_state(shared)
}

/// The HTTP API's OpenAPI 3.1 document, derived from the handlers below.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "arrears HTTP API",
        description = "Read-only views of one arrears instance: health, readiness, metrics, the \
                       ranked worklist of the partitions it owns, account explanations and \
                       decision records. Errors are application/problem+json (RFC 9457). With \
                       `http.auth_token_file` set every route but /healthz, /readyz and \
                       /openapi.json (and /metrics with `http.metrics_without_auth`) needs \
                       `Authorization: Bearer <token>`."
    ),
    servers((url = "http://127.0.0.1:8080", description = "the default `http.listen`")),
    paths(healthz, readyz, metrics, version, openapi_json, worklist, account, decisions),
    components(schemas(Problem, WorkItemDoc, WorkItemNowDoc, AccountView, DecisionsDoc, VersionInfo)),
    modifiers(&SecurityAddon),
    security(("bearer" = [])),
    tags(
        (name = "health", description = "Liveness, readiness, metrics and the build"),
        (name = "worklist", description = "This instance's work items and accounts")
    )
)]
struct ApiDoc;

/// The OpenAPI document as JSON (what `GET /openapi.json` serves and `docs/openapi.json` holds).
pub fn openapi() -> serde_json::Value {
    finish(&ApiDoc::openapi())
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

/// Alive: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "health", security(()),
    responses((status = 200, description = "Alive.", body = String, content_type = "text/plain",
               example = "ok\n")))]
async fn healthz() -> &'static str {
    "ok\n"
}

/// 200 when every readiness check passes, else 503; the body lists each check.
#[utoipa::path(get, path = "/readyz", tag = "health", security(()),
    responses(
        (status = 200, description = "Ready: partitions assigned and restored, models loaded, \
          producer healthy. One line per check.", body = String, content_type = "text/plain",
          example = "ok   partitions assigned\nok   partitions restored\n"),
        (status = 503, description = "Not ready: the failing checks say `FAIL` (plain text, \
          not a problem).", body = String, content_type = "text/plain",
          example = "FAIL partitions assigned\n")))]
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
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses((status = 200, description = "Prometheus text format (open without the token \
        when `http.metrics_without_auth`).", body = String,
        content_type = "text/plain; version=0.0.4; charset=utf-8")))]
async fn metrics(State(s): State<Arc<Shared>>) -> Response {
    let body = tokio::task::block_in_place(|| s.render_metrics());
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// The build (crate version, git commit) and what it loaded (model and profile versions).
#[utoipa::path(get, path = "/version", tag = "health",
    responses((status = 200, description = "The running build.", body = VersionInfo)))]
async fn version(State(s): State<Arc<Shared>>) -> Json<VersionInfo> {
    let pl = s.lock();
    Json(VersionInfo::new(pl.scorer(), pl.settings()))
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "health", security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document of this API.",
               body = Object, content_type = "application/json")))]
async fn openapi_json() -> Response {
    static DOC: OnceLock<Vec<u8>> = OnceLock::new();
    let body = DOC.get_or_init(|| serde_json::to_vec(&openapi()).expect("JSON"));
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.as_slice(),
    )
        .into_response()
}

/// A work item's status, as a filter.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum ItemStatus {
    Open,
    Held,
    Closed,
}

impl ItemStatus {
    fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Open => "open",
            ItemStatus::Held => "held",
            ItemStatus::Closed => "closed",
        }
    }
}

/// `GET /v1/worklist`'s query parameters (no others are accepted).
#[derive(Default, IntoParams)]
#[into_params(parameter_in = Query)]
struct WorklistQuery {
    /// At most this many items (default 100; more than 10000 is taken as 10000).
    #[param(minimum = 0, default = 100)]
    limit: Option<usize>,
    /// Only items of this status.
    #[param(inline)]
    status: Option<ItemStatus>,
}

impl WorklistQuery {
    fn parse(raw: Option<&str>) -> Result<WorklistQuery, Problem> {
        let mut q = WorklistQuery::default();
        for (name, value) in parse_query(raw, &["limit", "status"])? {
            match name {
                "limit" => {
                    let n = value.parse::<usize>().map_err(|_| {
                        Problem::bad_query("query parameter `limit` must be a whole number ≥ 0")
                    })?;
                    q.limit = Some(n);
                }
                _ => {
                    let st = [ItemStatus::Open, ItemStatus::Held, ItemStatus::Closed]
                        .into_iter()
                        .find(|s| s.as_str() == value)
                        .ok_or_else(|| {
                            Problem::bad_query(
                                "query parameter `status` must be open, held or closed",
                            )
                        })?;
                    q.status = Some(st);
                }
            }
        }
        Ok(q)
    }
}

/// This instance's ranked work items: `open` by priority descending, then `held`, then `closed`.
#[utoipa::path(get, path = "/v1/worklist", tag = "worklist", params(WorklistQuery),
    responses(
        (status = 200, description = "The ranked work items (a snapshot at most \
          `http.worklist_max_staleness_ms` old).", body = [WorkItemDoc]),
        (status = 400, description = "An unknown or repeated query parameter, or a bad value.",
          body = Problem, content_type = "application/problem+json")))]
async fn worklist(State(s): State<Arc<Shared>>, RawQuery(raw): RawQuery) -> Response {
    let q = match WorklistQuery::parse(raw.as_deref()) {
        Ok(q) => q,
        Err(p) => return p.into_response(),
    };
    let limit = q.limit.unwrap_or(100).min(10_000);
    let status = q.status.map(ItemStatus::as_str);
    let ranked = s.worklist().await;
    let items: Vec<_> = ranked
        .iter()
        .filter(|i| status.is_none_or(|st| i.status.as_str() == st))
        .take(limit)
        .collect();
    Json(items).into_response()
}

/// The path's account id, or a 400 problem for a segment that is not valid UTF-8.
fn account_id(path: Result<Path<String>, PathRejection>) -> Result<String, Problem> {
    path.map(|Path(id)| id).map_err(|_| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            problem::BAD_PATH,
            "Bad path",
            "the account id in the path is not valid percent-encoded UTF-8",
        )
    })
}

/// Scores in an account view.
#[derive(Serialize, ToSchema)]
struct ScoresView {
    /// Willingness to pay, 0 to 1.
    willingness: f64,
    /// Ability to pay, 0 to 1.
    ability: f64,
    /// What work items report as `scores.model_version`.
    model_version: String,
}

/// The contact policy's decision in an account view.
#[derive(Serialize, ToSchema)]
struct DecisionView {
    /// `open`, `held` or `closed`.
    #[schema(value_type = String)]
    status: Status,
    /// Why it is held, or null.
    #[schema(value_type = Option<String>)]
    hold_reason: Option<HoldReason>,
    /// The earliest instant evaluating again could give other content.
    #[schema(value_type = Option<String>, format = DateTime)]
    wake_at: Option<Timestamp>,
}

/// `GET /v1/accounts/{id}`: what the engine makes of the account now, and its last published item.
#[derive(Serialize, ToSchema)]
struct AccountView {
    account_id: String,
    /// The clock value the view was computed at.
    #[schema(value_type = String, format = DateTime)]
    as_of: Timestamp,
    /// Every feature of the vector the models score, by name (`FEATURE_NAMES`).
    features: BTreeMap<String, f64>,
    days_past_due: i64,
    #[schema(value_type = String)]
    stage: Stage,
    /// Minor units of the account's currency.
    #[schema(value_type = i64)]
    overdue_amount: Money,
    /// Minor units of the account's currency.
    #[schema(value_type = i64)]
    balance: Money,
    scores: ScoresView,
    #[schema(value_type = String)]
    segment: Segment,
    decision: DecisionView,
    /// The work item the account would get now (computed, not published: `version` 0).
    #[schema(value_type = WorkItemNowDoc)]
    item_now: WorkItem,
    /// The latest work item published for it (null before the first).
    #[schema(value_type = Option<WorkItemDoc>)]
    last_published: Option<WorkItem>,
}

/// The explanation a compliance officer asks for: state, features, scores, decision, items.
#[utoipa::path(get, path = "/v1/accounts/{id}", tag = "worklist",
    params(("id" = String, Path, description = "The account id.")),
    responses(
        (status = 200, description = "The account as this instance holds it.", body = AccountView),
        (status = 400, description = "A path segment that is not valid UTF-8.", body = Problem,
          content_type = "application/problem+json"),
        (status = 404, description = "This instance does not hold the account.", body = Problem,
          content_type = "application/problem+json")))]
async fn account(
    State(s): State<Arc<Shared>>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    let id = match account_id(path) {
        Ok(id) => id,
        Err(p) => return p.into_response(),
    };
    let now = s.clock.now();
    let (ev, published, model_version) = {
        let pl = s.lock();
        let ev = pl.explain(&id, now);
        (ev, pl.item(&id), pl.scorer().model_version.clone())
    };
    let Some(ev) = ev else {
        return Problem::unknown_account(&id).into_response();
    };
    let features = FEATURE_NAMES
        .iter()
        .zip(ev.features.vector.iter())
        .map(|(n, v)| ((*n).to_string(), *v))
        .collect();
    Json(AccountView {
        account_id: id,
        as_of: now,
        features,
        days_past_due: ev.features.dpd,
        stage: ev.features.stage,
        overdue_amount: ev.features.overdue,
        balance: ev.features.balance,
        scores: ScoresView {
            willingness: ev.scores.willingness.get(),
            ability: ev.scores.ability.get(),
            model_version: model_version.to_string(),
        },
        segment: ev.segment,
        decision: DecisionView {
            status: ev.decision.status,
            hold_reason: ev.decision.hold,
            wake_at: ev.decision.wake_at,
        },
        item_now: ev.item,
        last_published: published,
    })
    .into_response()
}

/// `GET /v1/accounts/{id}/decisions`' query parameter.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(
    dead_code,
    reason = "the parameters' documentation; parsed by `decisions`"
)]
struct DecisionsQuery {
    /// `json` (default) or `text` (each record rendered as `arrears explain` does).
    #[param(pattern = "^(json|text)$")]
    format: Option<String>,
}

/// The account's recent decision records (the latest `http.decisions_per_account`), oldest first:
/// `{"account_id": …, "decisions": [records]}`, or with `?format=text` each rendered as
/// `arrears explain` does. 404 when this instance does not hold the account.
#[utoipa::path(get, path = "/v1/accounts/{id}/decisions", tag = "worklist",
    params(("id" = String, Path, description = "The account id."), DecisionsQuery),
    responses(
        (status = 200, description = "The records, oldest first (an empty list when the \
          account is held but none is kept yet).",
          content((DecisionsDoc = "application/json"), (String = "text/plain"))),
        (status = 400, description = "An unknown query parameter or a bad `format`, or a bad \
          path segment.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "This instance does not hold the account.", body = Problem,
          content_type = "application/problem+json")))]
async fn decisions(
    State(s): State<Arc<Shared>>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Response {
    let id = match account_id(path) {
        Ok(id) => id,
        Err(p) => return p.into_response(),
    };
    let mut text = false;
    match parse_query(raw.as_deref(), &["format"]) {
        Ok(params) => {
            for (_, value) in params {
                text = match value.as_str() {
                    "json" => false,
                    "text" => true,
                    _ => {
                        return Problem::bad_query("query parameter `format` must be json or text")
                            .into_response()
                    }
                };
            }
        }
        Err(p) => return p.into_response(),
    }
    let records = match s.decisions.recent(&id) {
        Some(r) => r,
        // Held, but no record kept yet (restored from a changelog written without them).
        None if s.lock().entry(&id).is_some() => Vec::new(),
        None => return Problem::unknown_account(&id).into_response(),
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
        return ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response();
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
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}
