//! The web console, served by the daemon's HTTP server (and so by `arrears demo`) under
//! `/console/`: the worklist with filters, an account's whole story, the portfolio in charts and
//! the instance's health. Server-rendered HTML with inline SVG, no script, one stylesheet, a
//! strict Content-Security-Policy; every value from an event is escaped; contacts appear by id,
//! never by number. Behind the same optional bearer token as `/v1/*`: a browser presents it
//! through `/console/login`, which keeps it in an HttpOnly, SameSite=Strict cookie.
//!
//! The handlers here gather data from [`Shared`] (the pipeline lock held only to copy what a page
//! needs; the portfolio's pass over every account runs off the async workers) and hand it to the
//! pure renderers in the child modules.

pub mod account;
pub mod chart;
pub mod health;
pub mod html;
pub mod portfolio;
pub mod worklist;

use std::sync::Arc;

use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use crate::engine::decisions::Position;
use crate::engine::features::FEATURE_NAMES;
use crate::engine::pipeline::records::record_of;

use super::shared::Shared;
use html::{error_page, page, respond, Nav};

/// The cookie that carries the console's bearer token.
pub const TOKEN_COOKIE: &str = "arrears_token";

/// Drivers shown per model.
const DRIVERS: usize = 6;

/// The console's routes (state: the daemon's [`Shared`]).
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/console",
            get(|| async { Redirect::to("/console/worklist") }),
        )
        .route(
            "/console/",
            get(|| async { Redirect::to("/console/worklist") }),
        )
        .route("/console/style.css", get(style))
        .route("/console/icon.svg", get(icon))
        .route("/console/login", get(login_form).post(login))
        .route("/console/logout", get(logout))
        .route("/console/worklist", get(worklist_page))
        .route("/console/accounts/{id}", get(account_page))
        .route("/console/portfolio", get(portfolio_page))
        .route("/console/health", get(health_page))
}

/// A static asset with its content type and the console's headers.
fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    html::secure(h);
    r
}

async fn style() -> Response {
    asset(html::STYLE, "text/css; charset=utf-8")
}

async fn icon() -> Response {
    asset(html::ICON, "image/svg+xml")
}

async fn worklist_page(
    State(s): State<Arc<Shared>>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let filter = match worklist::Filter::parse(&pairs) {
        Ok(f) => f,
        Err(e) => return error_page(StatusCode::BAD_REQUEST, "Bad filter", &e),
    };
    let items = s.worklist().await;
    respond(
        StatusCode::OK,
        page(
            "Worklist",
            Nav::Worklist,
            &worklist::render(&items, &filter),
        ),
    )
}

async fn account_page(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let now = s.clock.now();
    let gathered = {
        let pl = s.lock();
        pl.entry(&id).zip(pl.explain(&id, now)).map(|(e, ev)| {
            let record = record_of(&ev, &e.account, &ev.item, Position::Clock, pl.settings());
            let scorer = pl.scorer();
            let drivers = [&scorer.willingness, &scorer.ability].map(|m| {
                let mut d: Vec<(&'static str, f64, f64)> = m
                    .contributions(&ev.features.vector)
                    .map(|(i, c)| (FEATURE_NAMES[i], ev.features.vector[i], c))
                    .collect();
                d.sort_by(|a, b| b.2.abs().total_cmp(&a.2.abs()).then(a.0.cmp(b.0)));
                d.truncate(DRIVERS);
                d
            });
            (
                e.account.clone(),
                ev.item,
                pl.item(&id),
                serde_json::to_value(&record).unwrap_or_default(),
                drivers,
            )
        })
    };
    let Some((account, item, published, record, drivers)) = gathered else {
        return error_page(
            StatusCode::NOT_FOUND,
            "No such account",
            &format!("this instance holds no account {id:?}"),
        );
    };
    let history = s
        .decisions
        .recent(&id)
        .unwrap_or_default()
        .iter()
        .filter_map(|r| serde_json::from_slice(r).ok())
        .collect();
    let view = account::View {
        account,
        item,
        published,
        record,
        drivers,
        history,
        now,
    };
    respond(
        StatusCode::OK,
        page(
            &format!("Account {id}"),
            Nav::Account,
            &account::render(&view),
        ),
    )
}

async fn portfolio_page(State(s): State<Arc<Shared>>) -> Response {
    let items = s.worklist().await;
    let me = s.clone();
    let body = tokio::task::spawn_blocking(move || {
        let now = me.clock.now();
        let pl = me.lock();
        portfolio::Portfolio::compute(pl.accounts(), &items, now).render()
    })
    .await;
    match body {
        Ok(b) => respond(StatusCode::OK, page("Portfolio", Nav::Portfolio, &b)),
        Err(_) => error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Portfolio unavailable",
            "the portfolio could not be computed",
        ),
    }
}

async fn health_page(State(s): State<Arc<Shared>>) -> Response {
    s.refresh_gauges();
    let checks = s.readiness();
    let families = s.metrics.gather();
    let counts = s.metrics.population_counts();
    let psi_of = |model: &str| {
        families
            .iter()
            .find(|f| f.name() == "arrears_model_psi")
            .and_then(|f| {
                f.get_metric()
                    .iter()
                    .find(|m| m.get_label().iter().any(|l| l.value() == model))
            })
            .map(|m| m.get_gauge().get_value())
    };
    let drift = {
        let pl = s.lock();
        let sc = pl.scorer();
        let mut i = 0;
        [("willingness", &sc.willingness), ("ability", &sc.ability)].map(|(model, m)| {
            let d = health::Drift {
                model,
                version: m.model.version.clone(),
                reference: m.reference().map(|r| r.shares.clone()),
                counts: counts[i].to_vec(),
                psi: psi_of(model),
            };
            i += 1;
            d
        })
    };
    let view = health::View {
        checks: &checks,
        families: &families,
        drift,
        psi_alert: 0.25,
        min_population: 200,
    };
    respond(
        StatusCode::OK,
        page("Health", Nav::Health, &health::render(&view)),
    )
}

async fn login_form() -> Response {
    let body = "<section class=\"card\"><p>This instance asks for its API token (<code>http.auth_token</code>). It is kept in an HttpOnly cookie for this browser session.</p><form method=\"post\" action=\"/console/login\"><label>token <input type=\"password\" name=\"token\" autocomplete=\"current-password\" required></label> <button type=\"submit\">Sign in</button></form></section>";
    respond(StatusCode::OK, page("Sign in", Nav::Worklist, body))
}

#[derive(Deserialize)]
struct Login {
    token: String,
}

/// Keeps the presented token in a cookie; the guard checks it on every later request (a wrong
/// one is sent back here).
async fn login(Form(l): Form<Login>) -> Response {
    let cookie = format!(
        "{TOKEN_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict",
        html::url_part(l.token.trim())
    );
    let mut r = Redirect::to("/console/worklist").into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    html::secure(r.headers_mut());
    r
}

async fn logout() -> Response {
    let mut r = Redirect::to("/console/login").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("arrears_token=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    r
}
