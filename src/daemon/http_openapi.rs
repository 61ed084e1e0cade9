//! The pieces of the HTTP API's OpenAPI document that are not derived from a handler: the bearer
//! security scheme, the work item's schema (the published JSON Schema, `docs/schema/
//! work-item.schema.json`, compiled in, so the document says exactly what the contract says; and
//! a copy with `version` 0 for the unpublished item an account view computes),
//! the decision-records envelope, and [`finish`], which adds the responses every operation shares
//! (401 on guarded routes, 405, 413, 503 on a timeout, all problem+json) and serialises the document.
//! `http.rs` derives the document from its handlers' `#[utoipa::path]` attributes and serves it
//! at `GET /openapi.json`; `docs/openapi.json` is that document, checked by `tests/openapi.rs`.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::openapi::schema::{ObjectBuilder, Schema};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::RefOr;
use utoipa::{Modify, PartialSchema, ToSchema};

use super::http_problem::PROBLEM_JSON;

/// Name of the security scheme in `components.securitySchemes`.
pub const BEARER: &str = "bearer";

/// The work item's JSON Schema as published (draft 2020-12, which OpenAPI 3.1 schemas are).
const WORK_ITEM_SCHEMA: &str = include_str!("../../docs/schema/work-item.schema.json");

/// Name of the work item's schema component (its `$defs` become `WorkItem.<name>`).
const WORK_ITEM: &str = "WorkItem";

/// The work item (`docs/schema/work-item.schema.json`): a placeholder for utoipa, replaced by
/// the published schema in [`finish`].
pub struct WorkItemDoc;

impl PartialSchema for WorkItemDoc {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .description(Some("docs/schema/work-item.schema.json"))
            .into()
    }
}

impl ToSchema for WorkItemDoc {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed(WORK_ITEM)
    }
}

/// The work item an account view computes now (`item_now`): a work item as published but not
/// published, so its `version` is 0; replaced in [`finish`] by the published schema so relaxed.
pub struct WorkItemNowDoc;

/// Name of that schema component.
const WORK_ITEM_NOW: &str = "WorkItemNow";

impl PartialSchema for WorkItemNowDoc {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .description(Some("docs/schema/work-item.schema.json, version 0"))
            .into()
    }
}

impl ToSchema for WorkItemNowDoc {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed(WORK_ITEM_NOW)
    }
}

/// `GET /v1/accounts/{id}/decisions`: the account's recent decision records, oldest first.
#[derive(Serialize, ToSchema)]
#[allow(
    dead_code,
    reason = "a schema only: the handler splices the records' bytes in"
)]
pub struct DecisionsDoc {
    /// The account, as requested.
    pub account_id: String,
    /// Its latest `http.decisions_per_account` decision records (`arrears.decision.v1`, exactly
    /// as produced on the decisions topic: input position, features, scores and model versions,
    /// arm and propensity, every contact-policy rule with its result, the local window, the item).
    #[schema(value_type = Vec<Object>)]
    pub decisions: Vec<Value>,
}

/// Adds the bearer scheme (`http.auth_token_file`) to the components.
pub struct SecurityAddon;

impl Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The token in the file `http.auth_token_file` names. Required only when \
                         that is set; `/healthz`, `/readyz` and `/openapi.json` never need it, \
                         `/metrics` not with `http.metrics_without_auth`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// A problem+json response object referring to the `Problem` schema.
fn problem_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    })
}

/// Rewrites `#/$defs/<name>` references to the hoisted `#/components/schemas/<prefix>.<name>`.
fn rewrite_refs(v: &mut Value, prefix: &str) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get_mut("$ref") {
                if let Some(name) = r.strip_prefix("#/$defs/") {
                    *r = format!("#/components/schemas/{prefix}.{name}");
                }
            }
            m.values_mut().for_each(|x| rewrite_refs(x, prefix));
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rewrite_refs(x, prefix)),
        _ => {}
    }
}

/// The published schema `text` as components: itself under `name` (without `$schema` and `$id`,
/// which would rebase its references) and each of its `$defs` as `<name>.<def>`.
fn schema_components(text: &str, name: &str) -> Vec<(String, Value)> {
    let mut schema: Value = serde_json::from_str(text).expect("a compiled-in JSON Schema");
    rewrite_refs(&mut schema, name);
    let m = schema.as_object_mut().expect("a schema object");
    m.remove("$schema");
    m.remove("$id");
    let defs = match m.remove("$defs") {
        Some(Value::Object(d)) => d,
        _ => Map::new(),
    };
    let mut out = vec![(name.to_string(), schema)];
    out.extend(defs.into_iter().map(|(k, v)| (format!("{name}.{k}"), v)));
    out
}

/// The finished document as JSON: the work item's published schema in place of its placeholder,
/// and on every operation the shared problem responses (401 where the operation is guarded).
pub fn finish(doc: &utoipa::openapi::OpenApi) -> Value {
    let mut v = serde_json::to_value(doc).expect("an OpenAPI document serializes");
    let schemas = v
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .expect("components.schemas");
    for (name, schema) in schema_components(WORK_ITEM_SCHEMA, WORK_ITEM) {
        schemas.insert(name, schema);
    }
    let mut now = schemas[WORK_ITEM].clone();
    now["title"] = json!("arrears work item, as computed now (not published)");
    now["properties"]["version"] = json!({
        "description": "0: this item is computed for the view, not published (a published item's \
                        version starts at 1).",
        "type": "integer",
        "const": 0
    });
    schemas.insert(WORK_ITEM_NOW.to_string(), now);
    let paths = v
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .expect("paths");
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for op in item.values_mut() {
            let Some(op) = op.as_object_mut() else {
                continue;
            };
            // An open route says `security: [{}]`; the others inherit the bearer requirement.
            let open = op.get("security").is_some_and(|s| s == &json!([{}]));
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                continue;
            };
            if !open {
                let mut unauthorized = problem_response(
                    "No bearer token, or a wrong one (only when `http.auth_token_file` is set).",
                );
                unauthorized["headers"] = json!({"WWW-Authenticate": {
                    "description": "`Bearer`",
                    "schema": {"type": "string", "const": "Bearer"}
                }});
                responses.entry("401").or_insert(unauthorized);
            }
            responses.entry("405").or_insert_with(|| {
                problem_response(
                    "The path does not serve this method (`Allow` lists those it does).",
                )
            });
            responses.entry("413").or_insert_with(|| {
                problem_response("The request has a body larger than `http.max_body_bytes`.")
            });
            responses.entry("503").or_insert_with(|| {
                problem_response("The request took longer than `http.request_timeout_ms`.")
            });
        }
    }
    v
}
