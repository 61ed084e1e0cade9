//! `arrears explain ACCOUNT --decisions FILE`: one account's decision history, readably, from
//! decision records (`replay --decisions`, or the daemon's `arrears.decisions` topic dumped as
//! JSONL). `--at TIME` shows only the decision in force at that instant: the answer to "why was
//! this person called then?". The same text backs the daemon's `/v1/accounts/{id}/decisions`.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;

use jiff::Timestamp;
use serde_json::Value;

/// Options of `arrears explain`.
#[derive(clap::Args, Debug, Clone)]
pub struct ExplainArgs {
    /// The account id.
    pub account: String,
    /// Decision records (JSONL) to read.
    #[arg(long)]
    pub decisions: PathBuf,
    /// Show only the decision in force at this RFC 3339 instant.
    #[arg(long)]
    pub at: Option<Timestamp>,
    /// Print the records as JSON lines instead of text.
    #[arg(long)]
    pub json: bool,
}

fn s<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    let mut v = v;
    for p in path {
        v = &v[*p];
    }
    v.as_str().unwrap_or("-")
}

fn num(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// One record as readable text.
pub fn render(r: &Value) -> String {
    let mut out = String::new();
    let item = &r["item"];
    let input = match s(r, &["input", "kind"]) {
        "record" => format!(
            "record {} (event {})",
            s(r, &["input", "source"]),
            s(r, &["input", "event_id"])
        ),
        "line" => format!(
            "line {} (event {})",
            num(&r["input"]["line"]),
            s(r, &["input", "event_id"])
        ),
        _ => "the clock (no event)".into(),
    };
    let _ = writeln!(
        out,
        "{} version {} at {} ({}), caused by {}",
        s(r, &["account_id"]),
        num(&r["version"]),
        s(r, &["evaluated_at"]),
        s(r, &["local", "as_of"]),
        input
    );
    let status = s(item, &["status"]);
    match status {
        "open" => {
            let a = &item["action"];
            let _ = writeln!(
                out,
                "  OPEN: {} {} to {} ({}, disclosure {}), strategy {}",
                s(a, &["channel"]),
                a["contact_id"].as_str().unwrap_or("(no contact point)"),
                s(a, &["party"]),
                s(item, &["segment"]),
                s(a, &["disclosure"]),
                s(a, &["strategy"])
            );
            let _ = writeln!(
                out,
                "  lawful window: {} .. {} local ({} .. {} UTC){}",
                s(r, &["local", "not_before"]),
                s(r, &["local", "not_after"]),
                s(a, &["not_before"]),
                s(a, &["not_after"]),
                r["local"]["best_time"]
                    .as_str()
                    .map(|b| format!("; best time {b}"))
                    .unwrap_or_default()
            );
        }
        "held" => {
            let _ = writeln!(
                out,
                "  HELD ({}): nobody may contact this account now",
                s(item, &["hold_reason"])
            );
        }
        _ => {
            let _ = writeln!(out, "  CLOSED: nothing to contact for");
        }
    }
    let _ = writeln!(
        out,
        "  priority {} | expected recovery {} {} | if called {} | otherwise {} | {} days past due, stage {}, overdue {}",
        num(&item["priority"]),
        num(&item["expected_recovery"]),
        s(item, &["currency"]),
        num(&item["expected_if_called"]),
        num(&item["expected_otherwise"]),
        num(&item["days_past_due"]),
        s(item, &["stage"]),
        num(&item["overdue_amount"])
    );
    let _ = writeln!(
        out,
        "  arm {}{} (assignment probability {}); scores willingness {} ability {} (models {}{})",
        s(r, &["experiment", "arm"]),
        if r["experiment"]["holdout"].as_bool() == Some(true) {
            ": in today's holdout, no call"
        } else {
            ""
        },
        num(&r["experiment"]["probability"]),
        num(&r["scores"]["willingness"]),
        num(&r["scores"]["ability"]),
        s(r, &["scores", "model_version"]),
        r["scores"]["uplift_model_version"]
            .as_str()
            .map(|u| format!(", uplift {u}"))
            .unwrap_or_default()
    );
    let _ = writeln!(out, "  contact policy {}:", s(item, &["policy"]));
    for rule in r["rules"].as_array().into_iter().flatten() {
        let mark = match rule["result"].as_str() {
            Some("applied") => "APPLIED",
            Some("passed") => "passed ",
            _ => "-      ",
        };
        let _ = writeln!(
            out,
            "    {mark} {}: {}",
            s(rule, &["rule"]),
            s(rule, &["detail"])
        );
    }
    let _ = writeln!(out, "  reasons:");
    for reason in item["reasons"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "    {} {}{}",
            s(reason, &["code"]),
            s(reason, &["detail"]),
            reason["rule"]
                .as_str()
                .map(|x| format!(" [{x}]"))
                .unwrap_or_default()
        );
    }
    out
}

/// The records of `account` in `lines` (JSONL), in file order; with `at`, only the one in force
/// then (the latest evaluated at or before it).
pub fn records_of(
    lines: impl BufRead,
    account: &str,
    at: Option<Timestamp>,
) -> anyhow::Result<Vec<Value>> {
    let mut out = Vec::new();
    for (n, line) in lines.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() || !line.contains(account) {
            continue;
        }
        let v: Value = serde_json::from_str(&line)
            .map_err(|e| anyhow::anyhow!("decision records line {}: {e}", n + 1))?;
        if v["account_id"].as_str() != Some(account) {
            continue;
        }
        if let Some(at) = at {
            let when: Option<Timestamp> = v["evaluated_at"].as_str().and_then(|t| t.parse().ok());
            if when.is_none_or(|w| w > at) {
                continue;
            }
            out.clear();
        }
        out.push(v);
    }
    Ok(out)
}

/// Runs `arrears explain`.
pub fn run(args: &ExplainArgs) -> anyhow::Result<String> {
    #[allow(
        clippy::disallowed_types,
        reason = "the offline edge reads the file it was given"
    )]
    let file = std::fs::File::open(&args.decisions).map_err(|e| {
        anyhow::anyhow!(
            "cannot open decision records {}: {e}",
            args.decisions.display()
        )
    })?;
    let records = records_of(BufReader::new(file), &args.account, args.at)?;
    if records.is_empty() {
        anyhow::bail!(
            "no decision record of account {} in {}{}",
            args.account,
            args.decisions.display(),
            args.at
                .map(|t| format!(" at or before {t}"))
                .unwrap_or_default()
        );
    }
    let mut out = String::new();
    for r in &records {
        if args.json {
            out.push_str(&r.to_string());
            out.push('\n');
        } else {
            out.push_str(&render(r));
            out.push('\n');
        }
    }
    Ok(out)
}
