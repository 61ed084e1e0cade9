//! The HTTP API's OpenAPI document: `docs/openapi.json` is exactly what the code generates
//! (`arrears::daemon::http::openapi`, derived from the handlers), so the committed document never
//! drifts; regenerate it with `ARREARS_WRITE_OPENAPI=1 cargo test --test openapi`. It documents
//! every route, the bearer scheme, problem+json errors and the work item's published schema.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "integration tests drive the edges: files and the environment"
)]

use std::collections::BTreeSet;

use arrears::daemon::http;
use serde_json::Value;

const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json");
const WORK_ITEM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/docs/schema/work-item.schema.json"
);

fn generated() -> String {
    let mut text = serde_json::to_string_pretty(&http::openapi()).unwrap();
    text.push('\n');
    text
}

#[test]
fn the_committed_document_is_what_the_code_generates() {
    let text = generated();
    if std::env::var_os("ARREARS_WRITE_OPENAPI").is_some_and(|v| v == "1") {
        std::fs::write(FILE, &text).unwrap();
    }
    let committed = std::fs::read_to_string(FILE).unwrap_or_default();
    assert!(
        committed == text,
        "docs/openapi.json differs from the generated document; regenerate it with \
         `ARREARS_WRITE_OPENAPI=1 cargo test --test openapi` and commit it"
    );
}

#[test]
fn every_route_is_documented_with_its_errors() {
    let doc = http::openapi();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let paths: BTreeSet<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let expected: BTreeSet<&str> = [
        "/healthz",
        "/readyz",
        "/metrics",
        "/version",
        "/openapi.json",
        "/v1/worklist",
        "/v1/accounts/{id}",
        "/v1/accounts/{id}/decisions",
    ]
    .into();
    assert_eq!(paths, expected);
    let scheme = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(
        (&scheme["type"], &scheme["scheme"]),
        (&"http".into(), &"bearer".into())
    );
    assert_eq!(doc["security"], serde_json::json!([{"bearer": []}]));
    let open: BTreeSet<&str> = ["/healthz", "/readyz", "/openapi.json"].into();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let op = &item["get"];
        assert!(op.is_object(), "{path}: a GET");
        let responses = op["responses"].as_object().unwrap();
        assert!(responses.contains_key("200"), "{path}");
        let is_open = op["security"] == serde_json::json!([{}]);
        assert_eq!(
            is_open,
            open.contains(path.as_str()),
            "{path}: security {}",
            op["security"]
        );
        assert_eq!(responses.contains_key("401"), !is_open, "{path}: 401");
        for (code, r) in responses {
            // Every error is a problem, except /readyz's 503 (its plain-text check list).
            if code.starts_with(['4', '5']) && !(path == "/readyz" && code == "503") {
                assert_eq!(
                    r["content"]["application/problem+json"]["schema"]["$ref"],
                    "#/components/schemas/Problem",
                    "{path} {code}"
                );
            }
        }
    }
    let names = |v: &Value| -> BTreeSet<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect()
    };
    let worklist = &doc["paths"]["/v1/worklist"]["get"];
    assert_eq!(
        names(&worklist["parameters"]),
        ["limit", "status"].map(String::from).into()
    );
    assert_eq!(
        worklist["responses"]["200"]["content"]["application/json"]["schema"]["items"]["$ref"],
        "#/components/schemas/WorkItem"
    );
    let decisions = &doc["paths"]["/v1/accounts/{id}/decisions"]["get"];
    assert_eq!(
        names(&decisions["parameters"]),
        ["id", "format"].map(String::from).into()
    );
    let problem = &doc["components"]["schemas"]["Problem"];
    let required: BTreeSet<&str> = problem["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(required, ["type", "title", "status", "detail"].into());
}

#[test]
fn the_work_item_schema_is_the_published_one() {
    let doc = http::openapi();
    let published: Value =
        serde_json::from_str(&std::fs::read_to_string(WORK_ITEM).unwrap()).unwrap();
    let component = &doc["components"]["schemas"]["WorkItem"];
    assert_eq!(component["required"], published["required"]);
    assert_eq!(
        component["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        published["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>()
    );
    // Its $defs are components, and every reference in the document resolves.
    for def in published["$defs"].as_object().unwrap().keys() {
        assert!(
            doc["components"]["schemas"][format!("WorkItem.{def}")].is_object(),
            "{def}"
        );
    }
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r);
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("a local reference: {r}"));
        assert!(doc.pointer(pointer).is_some(), "{r} resolves");
    }
}
