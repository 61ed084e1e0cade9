//! The console's HTML toolkit: escaping (every value that came from an event goes through
//! [`esc`]), the page frame with its navigation, the stylesheet, the security headers every page
//! carries (a strict Content-Security-Policy: no script at all, styles only from
//! `/console/style.css`), and small formatting helpers (money in minor units, enum names).

use std::fmt::Write;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The console's Content-Security-Policy: nothing runs, nothing loads from elsewhere.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Text made safe for HTML element content and double-quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and newline have no business on a page.
            c if c.is_control() && c != '\t' && c != '\n' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A path segment or query value percent-encoded (RFC 3986 unreserved characters kept), for
/// links that carry an account id.
pub fn url_part(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The link to an account's page.
pub fn account_href(id: &str) -> String {
    format!("/console/accounts/{}", url_part(id))
}

/// The wire name of a unit enum (its serde name: `right_party`, `m2` …).
pub fn name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Null) => String::new(),
        Ok(v) => v.to_string(),
        Err(_) => String::new(),
    }
}

/// An amount in minor units with two decimals and thousands separators, and its currency.
pub fn money(minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let m = minor.unsigned_abs();
    let whole = (m / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{:02} {}", m % 100, esc(currency))
}

/// Which page of the navigation is current.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Worklist,
    Account,
    Portfolio,
    Health,
}

/// A whole page: the frame, the navigation and `body` (already escaped HTML).
pub fn page(title: &str, nav: Nav, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    let _ = write!(out, "<title>{} · arrears</title>", esc(title));
    out.push_str("<link rel=\"icon\" href=\"/console/icon.svg\" type=\"image/svg+xml\">");
    out.push_str("<link rel=\"stylesheet\" href=\"/console/style.css\"></head><body>");
    out.push_str("<header><a class=\"brand\" href=\"/console/worklist\">arrears</a><nav>");
    for (n, href, label) in [
        (Nav::Worklist, "/console/worklist", "Worklist"),
        (Nav::Portfolio, "/console/portfolio", "Portfolio"),
        (Nav::Health, "/console/health", "Health"),
    ] {
        let current = if n == nav {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(out, "<a href=\"{href}\"{current}>{label}</a>");
    }
    out.push_str("</nav></header><main>");
    let _ = write!(out, "<h1>{}</h1>", esc(title));
    out.push_str(body);
    out.push_str("</main></body></html>\n");
    out
}

/// `html` as a response with the console's headers.
pub fn respond(status: StatusCode, html: String) -> Response {
    let mut r = (status, html).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    secure(h);
    r
}

/// The security headers of every console response.
pub fn secure(h: &mut axum::http::HeaderMap) {
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

/// An error page (bad filter, unknown account …) with `status`.
pub fn error_page(status: StatusCode, title: &str, detail: &str) -> Response {
    let body = format!(
        "<p class=\"problem\">{}</p><p><a href=\"/console/worklist\">Back to the worklist</a></p>",
        esc(detail)
    );
    respond(status, page(title, Nav::Account, &body))
}

/// The console's icon (served at `/console/icon.svg`).
pub const ICON: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\"><rect width=\"16\" height=\"16\" rx=\"3\" fill=\"#16202f\"/><path d=\"M3 12h2V8H3zm4 0h2V5H7zm4 0h2V3h-2z\" fill=\"#cfd8e6\"/></svg>";

/// The stylesheet (served at `/console/style.css`).
pub const STYLE: &str = r#":root{--ink:#1d2330;--muted:#5b6474;--line:#d9dde5;--bg:#f6f7f9;--card:#fff;
--accent:#1f5fbf;--ok:#1b7f4b;--warn:#a35a00;--bad:#b3261e}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header{display:flex;align-items:center;gap:24px;padding:10px 24px;background:#16202f;color:#fff}
header a{color:#cfd8e6;text-decoration:none;padding:4px 8px;border-radius:4px}
header a[aria-current=page]{background:#2c3b52;color:#fff}
header .brand{font-weight:700;color:#fff;font-size:16px}
header nav{display:flex;gap:6px}
main{padding:16px 24px;max-width:1400px}
h1{font-size:20px;margin:4px 0 12px}
h2{font-size:16px;margin:20px 0 8px}
section.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:12px 16px;margin-bottom:14px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:14px}
table{border-collapse:collapse;width:100%;background:var(--card)}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.03em}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
a{color:var(--accent)}
#worklist td{white-space:nowrap}
.pill{display:inline-block;padding:1px 7px;border-radius:9px;font-size:12px;background:#e8ecf3}
.pill.open{background:#dff3e8;color:var(--ok)}.pill.held{background:#fdf0dc;color:var(--warn)}.pill.closed{background:#eceef2;color:var(--muted)}
.pill.applied{background:#fdf0dc;color:var(--warn)}.pill.passed{background:#dff3e8;color:var(--ok)}.pill.not_reached{background:#eceef2;color:var(--muted)}
.pill.fail{background:#fbe3e1;color:var(--bad)}
code,.rule{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
form.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:end;margin-bottom:12px}
form.filters label{display:flex;flex-direction:column;font-size:12px;color:var(--muted)}
select,input,button{font:inherit;padding:3px 6px}
button{background:var(--accent);color:#fff;border:0;border-radius:4px;padding:4px 12px}
.muted{color:var(--muted)}
.problem{color:var(--bad);font-weight:600}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0}
dl.kv dt{color:var(--muted)}dl.kv dd{margin:0}
svg{display:block;max-width:100%;height:auto}
svg text{font:11px system-ui,sans-serif;fill:#3a4250}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(esc("a\u{0}b\u{1b}c"), "a\u{FFFD}b\u{FFFD}c");
        assert_eq!(esc("plain A-1003"), "plain A-1003");
    }

    #[test]
    fn url_parts_keep_only_unreserved_bytes() {
        assert_eq!(url_part("A-1003"), "A-1003");
        assert_eq!(url_part("a/b?c=<d>\"é"), "a%2Fb%3Fc%3D%3Cd%3E%22%C3%A9");
    }

    #[test]
    fn money_groups_thousands() {
        assert_eq!(money(88_000, "USD"), "880.00 USD");
        assert_eq!(money(123_456_789, "EUR"), "1,234,567.89 EUR");
        assert_eq!(money(-5, "GBP"), "-0.05 GBP");
    }
}
