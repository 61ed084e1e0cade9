//! The console's account page: the ledger (balances, statements, payments, promises, contact
//! history with outcomes, flags), the features, both scores with their top drivers, the decision
//! now with every contact-policy rule and its result, the lawful window in the debtor's local
//! time, and the decision history from the records that went to Kafka. Contacts appear by id and
//! role only: never a phone number.

use std::fmt::Write;

use jiff::Timestamp;
use serde_json::Value;

use crate::engine::account::Account;
use crate::engine::domain::Flag;
use crate::engine::workitem::WorkItem;

use super::html::{esc, money, name};

/// Contact attempts shown, newest first.
const ATTEMPTS_SHOWN: usize = 50;

/// Everything the page shows, gathered under the pipeline lock by the handler.
pub struct View {
    pub account: Account,
    /// The work item now.
    pub item: WorkItem,
    /// The last published item, if any.
    pub published: Option<WorkItem>,
    /// The decision now, as a decision record (`arrears.decision.v1`) parsed.
    pub record: Value,
    /// Top drivers per model (willingness, ability): (feature, value, log-odds contribution).
    pub drivers: [Vec<(&'static str, f64, f64)>; 2],
    /// The recent decision records of the account, oldest first.
    pub history: Vec<Value>,
    pub now: Timestamp,
}

fn local(t: Timestamp, acc: &Account) -> String {
    match acc.profile.timezone() {
        Some(tz) => crate::engine::decisions::local(t, tz),
        None => format!("{} (zone unknown)", t.strftime("%Y-%m-%d %H:%M UTC")),
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The page body.
pub fn render(v: &View) -> String {
    let a = &v.account;
    let it = &v.item;
    let cur = a.profile.currency();
    let mut s = String::new();

    // The decision first: what a person opening an account wants to know.
    let hold = it
        .hold_reason
        .map(|h| {
            format!(
                " for <strong id=\"hold-reason\">{}</strong>",
                esc(&name(&h))
            )
        })
        .unwrap_or_default();
    let _ = write!(
        s,
        "<section class=\"card\" id=\"decision\"><h2>Decision now</h2><p><span class=\"pill {st}\" id=\"status\">{st}</span>{hold} · priority <strong>{prio:.2}</strong> · expected recovery {rec} · item version {ver} · policy <span class=\"rule\">{pol}</span> · arm {arm} (p={ap:.2})</p>",
        st = esc(&name(&it.status)),
        prio = it.priority,
        rec = money(it.expected_recovery, cur),
        ver = v.published.as_ref().map(|p| p.version).unwrap_or(0),
        pol = esc(&it.policy),
        arm = esc(&it.arm),
        ap = it.arm_probability,
    );
    if let Some(act) = &it.action {
        let lw = &v.record["local"];
        let _ = write!(
            s,
            "<dl class=\"kv\"><dt>channel</dt><dd>{ch}</dd><dt>contact</dt><dd>{cid} ({party})</dd><dt>strategy</dt><dd>{strat}</dd><dt>disclosure</dt><dd>{disc}</dd><dt>lawful window</dt><dd id=\"window\">{nb} – {na} <span class=\"muted\">({tz}; UTC {unb} – {una})</span></dd></dl>",
            ch = esc(&name(&act.channel)),
            cid = esc(act.contact_id.as_deref().unwrap_or("—")),
            party = esc(&name(&act.party)),
            strat = esc(&name(&act.strategy)),
            disc = esc(&name(&act.disclosure)),
            nb = esc(str_of(lw, "not_before")),
            na = esc(str_of(lw, "not_after")),
            tz = esc(str_of(lw, "timezone")),
            unb = act.not_before,
            una = act.not_after,
        );
    } else {
        s.push_str("<p class=\"muted\">No contact planned.</p>");
    }
    s.push_str("<h2>Reasons</h2><table id=\"reasons\"><thead><tr><th>code</th><th>detail</th><th>rule</th></tr></thead><tbody>");
    for r in &it.reasons {
        let _ = write!(
            s,
            "<tr><td><code>{}</code></td><td>{}</td><td class=\"rule\">{}</td></tr>",
            esc(r.code),
            esc(&r.detail.to_string()),
            esc(&r.rule.as_ref().map(|r| r.to_string()).unwrap_or_default())
        );
    }
    s.push_str("</tbody></table><h2>Contact-policy rules</h2><table id=\"rules\"><thead><tr><th>rule</th><th>result</th><th>detail</th></tr></thead><tbody>");
    for r in v.record["rules"].as_array().into_iter().flatten() {
        let res = str_of(r, "result");
        let _ = write!(
            s,
            "<tr><td class=\"rule\">{}</td><td><span class=\"pill {res}\">{res}</span></td><td>{}</td></tr>",
            esc(str_of(r, "rule")),
            esc(str_of(r, "detail")),
            res = esc(res)
        );
    }
    s.push_str("</tbody></table></section>");

    // Scores and drivers.
    s.push_str("<div class=\"grid\">");
    for (m, (label, score)) in [
        ("willingness", it.scores.willingness),
        ("ability", it.scores.ability),
    ]
    .into_iter()
    .enumerate()
    {
        let _ = write!(
            s,
            "<section class=\"card\" id=\"{label}\"><h2>{label} {score:.4}</h2><p class=\"muted\">model {mv}; top drivers against the portfolio baseline</p><table><thead><tr><th>feature</th><th class=\"num\">value</th><th class=\"num\">log-odds</th></tr></thead><tbody>",
            mv = esc(&it.scores.model_version)
        );
        for (f, x, c) in &v.drivers[m] {
            let _ = write!(
                s,
                "<tr><td><code>{f}</code></td><td class=\"num\">{x:.3}</td><td class=\"num\">{c:+.3}</td></tr>"
            );
        }
        s.push_str("</tbody></table></section>");
    }
    s.push_str("</div>");

    ledger(&mut s, v);
    history(&mut s, v);

    // Features last: the long list.
    s.push_str("<section class=\"card\" id=\"features\"><h2>Features</h2><table><tbody>");
    if let Some(fs) = v.record["features"].as_object() {
        for (k, x) in fs {
            let _ = write!(
                s,
                "<tr><td><code>{}</code></td><td class=\"num\">{}</td></tr>",
                esc(k),
                esc(&x.to_string())
            );
        }
    }
    s.push_str("</tbody></table></section>");
    s
}

fn ledger(s: &mut String, v: &View) {
    let a = &v.account;
    let cur = a.profile.currency();
    let it = &v.item;
    let flags: Vec<&str> = Flag::ALL
        .iter()
        .filter(|f| **f != Flag::DoNotCall && a.has(**f))
        .map(|f| f.as_str())
        .collect();
    let f = &a.profile.fields;
    let _ = write!(
        s,
        "<div class=\"grid\"><section class=\"card\" id=\"state\"><h2>State</h2><dl class=\"kv\"><dt>days past due</dt><dd>{dpd}</dd><dt>stage</dt><dd>{stage}</dd><dt>overdue</dt><dd>{over}</dd><dt>segment</dt><dd>{seg}</dd><dt>time zone</dt><dd>{tz}</dd><dt>product</dt><dd>{prod}</dd><dt>portfolio</dt><dd>{port}</dd><dt>flags in force</dt><dd id=\"flags\">{flags}</dd><dt>do-not-call</dt><dd>{dnc}</dd><dt>closed</dt><dd>{closed}</dd><dt>local time now</dt><dd>{now}</dd></dl></section>",
        dpd = it.days_past_due,
        stage = esc(&name(&it.stage)),
        over = money(it.overdue_amount, cur),
        seg = esc(&name(&it.segment)),
        tz = esc(f.timezone.as_ref().map(|t| t.0.as_str()).unwrap_or("unknown")),
        prod = esc(f.product.as_deref().unwrap_or("—")),
        port = esc(&name(&a.profile.portfolio())),
        flags = if flags.is_empty() { "none".to_string() } else { esc(&flags.join(", ")) },
        dnc = if a.do_not_call.is_empty() { "none".to_string() } else { esc(&a.do_not_call.join(", ")) },
        closed = a.closed.map(|c| name(&c)).unwrap_or_else(|| "no".into()),
        now = esc(&local(v.now, a)),
    );
    s.push_str("<section class=\"card\" id=\"contacts\"><h2>Contacts</h2><table><thead><tr><th>contact</th><th>role</th><th>consent</th><th>informed</th></tr></thead><tbody>");
    for c in a.profile.contacts() {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.contact_id),
            esc(&name(&c.role)),
            c.consent_to_contact,
            c.informed
        );
    }
    s.push_str("</tbody></table></section></div>");

    s.push_str("<div class=\"grid\"><section class=\"card\" id=\"statements\"><h2>Statements</h2><table><thead><tr><th>statement</th><th>due</th><th class=\"num\">amount due</th><th class=\"num\">minimum</th></tr></thead><tbody>");
    for st in &a.statements {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&st.id),
            st.due_date,
            money(st.amount_due, cur),
            money(st.minimum_due, cur)
        );
    }
    s.push_str("</tbody></table></section><section class=\"card\" id=\"payments\"><h2>Payments</h2><table><thead><tr><th>payment</th><th>received</th><th class=\"num\">amount</th><th class=\"num\">reversed</th></tr></thead><tbody>");
    for p in &a.payments {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&p.id),
            esc(&local(p.at, a)),
            money(p.amount, cur),
            money(p.reversed, cur)
        );
    }
    s.push_str("</tbody></table></section><section class=\"card\" id=\"promises\"><h2>Promises</h2><table><thead><tr><th>promise</th><th>made</th><th>due</th><th class=\"num\">amount</th><th>in writing</th></tr></thead><tbody>");
    for p in &a.promises {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            esc(&p.id),
            esc(&local(p.made_at, a)),
            p.due_date,
            money(p.amount, cur),
            p.confirmed_in_writing
        );
    }
    s.push_str("</tbody></table></section></div>");

    let _ = write!(
        s,
        "<section class=\"card\" id=\"attempts\"><h2>Contact history</h2><p class=\"muted\">{} attempts; the latest {} shown, newest first, in the debtor's local time.</p><table><thead><tr><th>when</th><th>channel</th><th>contact</th><th>party</th><th>outcome</th><th>disposition</th></tr></thead><tbody>",
        a.attempts.len(),
        a.attempts.len().min(ATTEMPTS_SHOWN)
    );
    for at in a.attempts.iter().rev().take(ATTEMPTS_SHOWN) {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&local(at.at, a)),
            esc(&name(&at.channel)),
            esc(at.contact_id.as_deref().unwrap_or("—")),
            esc(&name(&at.party)),
            esc(&name(&at.outcome)),
            esc(&at.disposition.map(|d| name(&d)).unwrap_or_default()),
        );
    }
    s.push_str("</tbody></table></section>");
}

fn history(s: &mut String, v: &View) {
    let _ = write!(
        s,
        "<section class=\"card\" id=\"history\"><h2>Decision history</h2><p class=\"muted\">{} records kept on this instance, newest first (the full text: <a href=\"/v1/accounts/{}/decisions?format=text\">as text</a>).</p><table><thead><tr><th class=\"num\">version</th><th>evaluated at</th><th>caused by</th><th>status</th><th>action</th><th>rules applied</th></tr></thead><tbody>",
        v.history.len(),
        esc(&super::html::url_part(&v.account.id))
    );
    for r in v.history.iter().rev() {
        let item = &r["item"];
        let input = &r["input"];
        let cause = match str_of(input, "kind") {
            "record" => format!(
                "{} ({})",
                str_of(input, "event_id"),
                str_of(input, "source")
            ),
            "line" => format!("{} (line {})", str_of(input, "event_id"), input["line"]),
            k => k.to_string(),
        };
        let mut status = str_of(item, "status").to_string();
        if let Some(h) = item["hold_reason"].as_str() {
            let _ = write!(status, ": {h}");
        }
        let action = match item["action"].as_object() {
            Some(a) => format!(
                "{} {} via {}",
                a.get("strategy").and_then(Value::as_str).unwrap_or(""),
                a.get("contact_id").and_then(Value::as_str).unwrap_or(""),
                a.get("channel").and_then(Value::as_str).unwrap_or("")
            ),
            None => "—".into(),
        };
        let applied: Vec<&str> = r["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|x| str_of(x, "result") == "applied")
            .map(|x| str_of(x, "rule"))
            .collect();
        let _ = write!(
            s,
            "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"rule\">{}</td></tr>",
            r["version"],
            esc(str_of(r, "evaluated_at")),
            esc(&cause),
            esc(&status),
            esc(&action),
            esc(&applied.join(" "))
        );
    }
    s.push_str("</tbody></table></section>");
}
