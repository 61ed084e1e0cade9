//! Error responses of the HTTP API as `application/problem+json` (RFC 9457): [`Problem`] (`type`,
//! `title`, `status`, `detail`), the router-level fallbacks (404 for a path nothing routes, 405
//! for a method a route does not serve) and the strict query-string parser every route with
//! parameters uses ([`parse_query`]: an unknown or repeated parameter is a 400 naming it).
//!
//! A problem's `detail` never carries a phone number: it names only parameter names that look
//! like names and account ids of the contract's shape, always JSON-escaped by serde, and never a
//! parameter's value.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// `type` of a query string the route cannot take (unknown, repeated or malformed parameter).
pub const BAD_QUERY: &str = "urn:arrears:problem:bad-query";
/// `type` of a bad path segment (not valid percent-encoded UTF-8).
pub const BAD_PATH: &str = "urn:arrears:problem:bad-path";
/// `type` of a request without the bearer token (or with a wrong one).
pub const UNAUTHORIZED: &str = "urn:arrears:problem:unauthorized";
/// `type` of an account this instance does not hold.
pub const UNKNOWN_ACCOUNT: &str = "urn:arrears:problem:unknown-account";
/// `type` of a path no route serves.
pub const UNKNOWN_ROUTE: &str = "urn:arrears:problem:unknown-route";
/// `type` of a method the route does not serve.
pub const METHOD_NOT_ALLOWED: &str = "urn:arrears:problem:method-not-allowed";
/// `type` of a request body over `http.max_body_bytes`.
pub const BODY_TOO_LARGE: &str = "urn:arrears:problem:body-too-large";
/// `type` of a request that took longer than `http.request_timeout_ms`.
pub const TIMEOUT: &str = "urn:arrears:problem:timeout";

/// An RFC 9457 problem detail: what every error response of the API carries.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:arrears:problem:bad-query",
    "title": "Bad query string",
    "status": 400,
    "detail": "unknown query parameter `statsu`; expected one of limit, status"
}))]
pub struct Problem {
    /// A URI naming the kind of problem (`urn:arrears:problem:…`), stable across releases.
    #[serde(rename = "type")]
    #[schema(format = "uri")]
    pub kind: &'static str,
    /// A short summary of the kind of problem; the same for every occurrence of `type`.
    pub title: &'static str,
    /// The HTTP status code of the response.
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    /// What went wrong with this request, for people.
    pub detail: String,
}

impl Problem {
    pub fn new(
        status: StatusCode,
        kind: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Problem {
        Problem {
            kind,
            title,
            status: status.as_u16(),
            detail: detail.into(),
        }
    }

    /// 400: the query string cannot be taken.
    pub fn bad_query(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::BAD_REQUEST,
            BAD_QUERY,
            "Bad query string",
            detail,
        )
    }

    /// 404: this instance does not hold `id` (named only when it has an account id's shape).
    pub fn unknown_account(id: &str) -> Problem {
        let detail = if looks_like_account_id(id) {
            format!("no account `{id}` on this instance")
        } else {
            "no such account on this instance".to_string()
        };
        Problem::new(
            StatusCode::NOT_FOUND,
            UNKNOWN_ACCOUNT,
            "Unknown account",
            detail,
        )
    }

    /// 401 (with `WWW-Authenticate: Bearer`).
    pub fn unauthorized() -> Response {
        let mut r = Problem::new(
            StatusCode::UNAUTHORIZED,
            UNAUTHORIZED,
            "Unauthorized",
            "a bearer token is required (Authorization: Bearer <token>)",
        )
        .into_response();
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        r
    }

    /// 413.
    pub fn body_too_large() -> Problem {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            BODY_TOO_LARGE,
            "Request body too large",
            "the request body is larger than http.max_body_bytes allows",
        )
    }

    /// 503: the request took longer than the per-request timeout.
    pub fn timeout() -> Problem {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            TIMEOUT,
            "Request timed out",
            "the request took longer than http.request_timeout_ms",
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).expect("a problem serializes");
        (status, [(header::CONTENT_TYPE, PROBLEM_JSON)], body).into_response()
    }
}

/// Whether `s` has the contract's account id shape (`^[A-Za-z0-9._:-]{1,64}$`).
fn looks_like_account_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
}

/// Whether `s` may be repeated back as a parameter name: letters, digits and `_ . -`, with at least
/// one letter (so never a phone number), at most 64 bytes.
fn shown_name(s: &str) -> Option<&str> {
    ((1..=64).contains(&s.len())
        && s.bytes().any(|b| b.is_ascii_alphabetic())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)))
    .then_some(s)
}

/// The query string's `name=value` pairs, each name one of `expected` and given at most once; an
/// unknown, repeated or undecodable parameter is a [`Problem::bad_query`] naming it.
pub fn parse_query<'a>(
    raw: Option<&str>,
    expected: &[&'a str],
) -> Result<Vec<(&'a str, String)>, Problem> {
    let list = expected.join(", ");
    let pairs: Vec<(String, String)> = match raw {
        None | Some("") => Vec::new(),
        Some(q) => serde_urlencoded_pairs(q)
            .ok_or_else(|| Problem::bad_query("the query string is not valid URL encoding"))?,
    };
    let mut out: Vec<(&'a str, String)> = Vec::with_capacity(pairs.len());
    for (name, value) in pairs {
        let Some(known) = expected.iter().find(|e| **e == name) else {
            return Err(Problem::bad_query(match shown_name(&name) {
                Some(n) => format!("unknown query parameter `{n}`; expected one of {list}"),
                None => format!("an unknown query parameter; expected one of {list}"),
            }));
        };
        if out.iter().any(|(n, _)| n == known) {
            return Err(Problem::bad_query(format!(
                "query parameter `{known}` is given more than once"
            )));
        }
        out.push((known, value));
    }
    Ok(out)
}

/// `application/x-www-form-urlencoded` pairs, as axum's `Query` reads them.
fn serde_urlencoded_pairs(q: &str) -> Option<Vec<(String, String)>> {
    let uri: axum::http::Uri = format!("/?{q}").parse().ok()?;
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&uri)
        .ok()
        .map(|axum::extract::Query(v)| v)
}

/// The router's fallback: 404 for a path no route serves (the path is not repeated back).
pub async fn unknown_route() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        UNKNOWN_ROUTE,
        "Not found",
        "no route serves this path; GET /openapi.json lists them",
    )
}

/// Middleware: a 405 that a route's method router answered (an empty body) becomes a problem,
/// its `Allow` header kept.
pub async fn method_not_allowed(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let r = next.run(req).await;
    if r.status() != StatusCode::METHOD_NOT_ALLOWED
        || r.headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes() == PROBLEM_JSON.as_bytes())
    {
        return r;
    }
    let allow = r.headers().get(header::ALLOW).cloned();
    let mut p = Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        METHOD_NOT_ALLOWED,
        "Method not allowed",
        format!("this path does not serve {method}"),
    )
    .into_response();
    if let Some(allow) = allow {
        p.headers_mut().insert(header::ALLOW, allow);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_repeated_parameters_are_named_and_values_never_shown() {
        let ok = parse_query(Some("limit=3&status=open"), &["limit", "status"]).unwrap();
        assert_eq!(ok, vec![("limit", "3".into()), ("status", "open".into())]);
        assert_eq!(parse_query(None, &["limit"]).unwrap(), vec![]);
        let e = parse_query(Some("statsu=open"), &["limit", "status"]).unwrap_err();
        assert_eq!(
            e.detail,
            "unknown query parameter `statsu`; expected one of limit, status"
        );
        assert_eq!((e.status, e.kind), (400, BAD_QUERY));
        let e = parse_query(Some("limit=1&limit=2"), &["limit"]).unwrap_err();
        assert!(e.detail.contains("more than once"), "{}", e.detail);
        // A name that could be a phone number is not repeated back.
        let e = parse_query(Some("%2B447700900123=1"), &["limit"]).unwrap_err();
        assert!(!e.detail.contains("447700900123"), "{}", e.detail);
        let e = Problem::unknown_account("+447700900123");
        assert!(!e.detail.contains("447700900123"), "{}", e.detail);
        assert!(Problem::unknown_account("A-1042")
            .detail
            .contains("`A-1042`"));
    }
}
