//! The console's health page: each readiness check, consumer lag per partition (from the
//! metrics registry, as `/metrics` exports it), and model drift — the population stability index
//! of each model with the live population it was computed on, bin by bin against the model's
//! reference distribution.

use std::fmt::Write;

use prometheus::proto::MetricFamily;

use super::html::esc;

/// One model's drift, gathered by the handler.
pub struct Drift {
    pub model: &'static str,
    pub version: String,
    /// Reference shares per bin, when the model carries a reference distribution.
    pub reference: Option<Vec<f64>>,
    /// Live counts per bin of the owned, past-due, scored accounts.
    pub counts: Vec<u64>,
    pub psi: Option<f64>,
}

/// Everything the page shows.
pub struct View<'a> {
    pub checks: &'a [(&'static str, bool)],
    pub families: &'a [MetricFamily],
    pub drift: [Drift; 2],
    /// The PSI above which drift alerts (`deploy/prometheus/alerts.yml`).
    pub psi_alert: f64,
    /// The fewest scored accounts the alert needs (below it PSI is noise).
    pub min_population: u64,
}

fn family<'a>(fams: &'a [MetricFamily], name: &str) -> Option<&'a MetricFamily> {
    fams.iter().find(|f| f.name() == name)
}

/// The sum of every series of a counter or gauge family.
fn total(fams: &[MetricFamily], name: &str) -> f64 {
    family(fams, name)
        .map(|f| {
            f.get_metric()
                .iter()
                .map(|m| m.get_counter().get_value() + m.get_gauge().get_value())
                .sum()
        })
        .unwrap_or(0.0)
}

/// The page body.
pub fn render(v: &View) -> String {
    let mut s = String::new();
    let ready = v.checks.iter().all(|c| c.1);
    let _ = write!(
        s,
        "<section class=\"card\" id=\"readiness\"><h2>Readiness: <span class=\"pill {c}\">{t}</span></h2><table><tbody>",
        c = if ready { "passed" } else { "fail" },
        t = if ready { "ready" } else { "not ready" }
    );
    for (what, ok) in v.checks {
        let _ = write!(
            s,
            "<tr><td>{}</td><td><span class=\"pill {}\">{}</span></td></tr>",
            esc(what),
            if *ok { "passed" } else { "fail" },
            if *ok { "ok" } else { "failing" }
        );
    }
    s.push_str("</tbody></table></section>");

    let fams = v.families;
    let _ = write!(
        s,
        "<section class=\"card\" id=\"throughput\"><h2>Processing</h2><dl class=\"kv\"><dt>accounts held</dt><dd>{}</dd><dt>events consumed</dt><dd>{}</dd><dt>events rejected</dt><dd>{}</dd><dt>work items published</dt><dd>{}</dd><dt>decision records</dt><dd>{}</dd><dt>partitions assigned</dt><dd>{}</dd></dl></section>",
        total(fams, "arrears_accounts"),
        total(fams, "arrears_events_consumed_total"),
        total(fams, "arrears_events_rejected_total"),
        total(fams, "arrears_work_items_published_total"),
        total(fams, "arrears_decision_records_total"),
        total(fams, "arrears_partitions_assigned"),
    );

    s.push_str("<section class=\"card\" id=\"lag\"><h2>Consumer lag per partition</h2><table><thead><tr><th>topic</th><th class=\"num\">partition</th><th class=\"num\">records behind</th></tr></thead><tbody>");
    let mut rows: Vec<(String, i64, f64)> = Vec::new();
    if let Some(f) = family(fams, "arrears_consumer_lag_messages") {
        for m in f.get_metric() {
            let label = |n: &str| {
                m.get_label()
                    .iter()
                    .find(|l| l.name() == n)
                    .map(|l| l.value().to_string())
                    .unwrap_or_default()
            };
            rows.push((
                label("topic"),
                label("partition").parse().unwrap_or(-1),
                m.get_gauge().get_value(),
            ));
        }
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    for (t, p, lag) in &rows {
        let _ = write!(
            s,
            "<tr><td>{}</td><td class=\"num\">{p}</td><td class=\"num\">{lag}</td></tr>",
            esc(t)
        );
    }
    if rows.is_empty() {
        s.push_str("<tr><td colspan=\"3\" class=\"muted\">no lag reported yet (librdkafka statistics arrive every statistics interval)</td></tr>");
    }
    s.push_str("</tbody></table></section>");

    s.push_str("<div class=\"grid\">");
    for d in &v.drift {
        let population: u64 = d.counts.iter().sum();
        let psi = match d.psi {
            Some(p) if population < v.min_population => {
                format!("<span class=\"pill\">PSI {p:.4}, too few accounts to alert</span>")
            }
            Some(p) => {
                let cls = if p >= v.psi_alert { "fail" } else { "passed" };
                format!("<span class=\"pill {cls}\">PSI {p:.4}</span>")
            }
            None => "<span class=\"pill\">PSI not computed</span>".to_string(),
        };
        let _ = write!(
            s,
            "<section class=\"card\" id=\"drift-{m}\"><h2>{m} drift {psi}</h2><p class=\"muted\">model {ver}; computed on {population} owned, past-due, scored accounts; the alert fires at PSI ≥ {alert} over at least {min} of them</p><table><thead><tr><th>score bin</th><th class=\"num\">reference</th><th class=\"num\">live</th><th class=\"num\">accounts</th></tr></thead><tbody>",
            m = d.model,
            ver = esc(&d.version),
            alert = v.psi_alert,
            min = v.min_population,
        );
        let bins = d.counts.len();
        for (i, c) in d.counts.iter().enumerate() {
            let reference = d
                .reference
                .as_ref()
                .and_then(|r| r.get(i))
                .map(|x| format!("{:.1}%", x * 100.0))
                .unwrap_or_else(|| "—".into());
            let live = if population > 0 {
                format!("{:.1}%", *c as f64 * 100.0 / population as f64)
            } else {
                "—".into()
            };
            let _ = write!(
                s,
                "<tr><td>{:.1}–{:.1}</td><td class=\"num\">{reference}</td><td class=\"num\">{live}</td><td class=\"num\">{c}</td></tr>",
                i as f64 / bins as f64,
                (i + 1) as f64 / bins as f64
            );
        }
        s.push_str("</tbody></table></section>");
    }
    s.push_str("</div>");
    s
}
