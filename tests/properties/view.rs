//! Work items as published: the contract's field names and spellings, read back from the item's JSON.

use std::borrow::Borrow;

use arrears::engine::workitem::WorkItem;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct ScoresView {
    pub willingness: f64,
    pub ability: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ActionView {
    pub channel: String,
    pub contact_id: Option<String>,
    pub party: String,
    pub strategy: String,
    pub disclosure: String,
    pub not_before: String,
    pub not_after: String,
}

/// The contract's required work-item fields, read back from the item's JSON.
#[derive(Debug, Clone, Deserialize)]
pub struct View {
    pub account_id: String,
    pub version: u64,
    pub status: String,
    pub hold_reason: Option<String>,
    pub priority: f64,
    pub expected_recovery: i64,
    pub days_past_due: i64,
    pub stage: String,
    pub overdue_amount: i64,
    pub scores: ScoresView,
    pub action: Option<ActionView>,
    pub as_of: String,
    /// The whole item, for messages and content comparison.
    #[serde(skip)]
    pub json: String,
}

/// The item's JSON (works whether the pipeline hands out items by reference or by value).
pub fn json_of<T: Borrow<WorkItem>>(item: T) -> String {
    serde_json::to_string(item.borrow()).expect("work items serialize")
}

pub fn view<T: Borrow<WorkItem>>(item: T) -> Result<View, String> {
    let json = json_of(item);
    let mut v: View = serde_json::from_str(&json)
        .map_err(|e| format!("item lacks a contract field: {e}\n  {json}"))?;
    v.json = json;
    Ok(v)
}

pub fn status_rank(s: &str) -> u8 {
    match s {
        "open" => 0,
        "held" => 1,
        _ => 2,
    }
}
