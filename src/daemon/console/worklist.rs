//! The console's worklist page: this instance's ranked items (rank is the position in the whole
//! ranked worklist), filtered by status, segment, strategy, stage, arm, channel and profile, each
//! row linking to its account. Unknown filter parameters are refused, not ignored.

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::engine::workitem::WorkItem;

use super::html::{account_href, esc, money, name};

/// The filter parameters the page takes, in the form's order.
pub const FILTERS: [&str; 7] = [
    "status", "segment", "strategy", "stage", "arm", "channel", "profile",
];

/// Rows shown unless `limit` says otherwise.
const DEFAULT_LIMIT: usize = 200;

/// A parsed filter: the value wanted per filter (empty: any) and the row limit.
#[derive(Debug, Default)]
pub struct Filter {
    wanted: [String; FILTERS.len()],
    limit: Option<usize>,
}

impl Filter {
    /// The filter from query pairs; an unknown parameter or a bad limit is an error naming it.
    pub fn parse(pairs: &[(String, String)]) -> Result<Filter, String> {
        let mut f = Filter::default();
        for (k, v) in pairs {
            if k == "limit" {
                if v.is_empty() {
                    continue;
                }
                let n: usize = v
                    .parse()
                    .map_err(|_| format!("limit must be a whole number, not {v:?}"))?;
                f.limit = Some(n.clamp(1, 10_000));
            } else if let Some(i) = FILTERS.iter().position(|n| n == k) {
                f.wanted[i] = v.clone();
            } else {
                return Err(format!(
                    "unknown query parameter {k:?}; expected one of {}, limit",
                    FILTERS.join(", ")
                ));
            }
        }
        Ok(f)
    }

    fn matches(&self, values: &[String; FILTERS.len()]) -> bool {
        self.wanted
            .iter()
            .zip(values)
            .all(|(w, v)| w.is_empty() || w == v)
    }
}

/// An item's value for each filter (empty where it has none, e.g. no action).
fn values_of(i: &WorkItem) -> [String; FILTERS.len()] {
    let action = i.action.as_ref();
    [
        name(&i.status),
        name(&i.segment),
        action.map(|a| name(&a.strategy)).unwrap_or_default(),
        name(&i.stage),
        i.arm.to_string(),
        action.map(|a| name(&a.channel)).unwrap_or_default(),
        profile_of(&i.policy).to_string(),
    ]
}

/// The profile of a policy label (`strict@2026.1` → `strict`).
pub fn profile_of(policy: &str) -> &str {
    policy.split('@').next().unwrap_or(policy)
}

/// The page body for the ranked `items` under `filter`.
pub fn render(items: &[WorkItem], filter: &Filter) -> String {
    let values: Vec<[String; FILTERS.len()]> = items.iter().map(values_of).collect();
    let mut s = String::new();
    s.push_str("<form class=\"filters\" method=\"get\" action=\"/console/worklist\">");
    for (fi, fname) in FILTERS.iter().enumerate() {
        let options: BTreeSet<&str> = values
            .iter()
            .map(|v| v[fi].as_str())
            .filter(|v| !v.is_empty())
            .collect();
        let _ = write!(
            s,
            "<label>{fname}<select name=\"{fname}\"><option value=\"\">any</option>"
        );
        let wanted = &filter.wanted[fi];
        for o in &options {
            let sel = if wanted == o { " selected" } else { "" };
            let _ = write!(s, "<option value=\"{v}\"{sel}>{v}</option>", v = esc(o));
        }
        if !wanted.is_empty() && !options.contains(wanted.as_str()) {
            let _ = write!(
                s,
                "<option value=\"{v}\" selected>{v}</option>",
                v = esc(wanted)
            );
        }
        s.push_str("</select></label>");
    }
    s.push_str("<button type=\"submit\">Filter</button></form>");

    let limit = filter.limit.unwrap_or(DEFAULT_LIMIT);
    let matching: Vec<usize> = (0..items.len())
        .filter(|&i| filter.matches(&values[i]))
        .collect();
    let _ = write!(
        s,
        "<p class=\"muted\" id=\"summary\">{} of {} items match; showing {}. Rank is the position in this instance's whole ranked worklist.</p>",
        matching.len(),
        items.len(),
        matching.len().min(limit)
    );
    s.push_str("<table id=\"worklist\"><thead><tr><th class=\"num\">rank</th><th>account</th><th>status</th><th class=\"num\">priority</th><th class=\"num\">expected recovery</th><th class=\"num\">dpd</th><th>stage</th><th class=\"num\">overdue</th><th>segment</th><th>strategy</th><th>channel</th><th>contact</th><th>lawful window (UTC)</th><th>arm</th><th>profile</th></tr></thead><tbody>");
    for &i in matching.iter().take(limit) {
        let it = &items[i];
        let v = &values[i];
        let status = match it.hold_reason {
            Some(h) => format!(
                "<span class=\"pill {st}\">{st}</span> <span class=\"muted\">{}</span>",
                esc(&name(&h)),
                st = esc(&v[0])
            ),
            None => format!("<span class=\"pill {st}\">{st}</span>", st = esc(&v[0])),
        };
        let (contact, window) = match &it.action {
            Some(a) => (
                esc(a.contact_id.as_deref().unwrap_or("")),
                format!(
                    "{} – {}",
                    a.not_before.strftime("%m-%d %H:%M"),
                    a.not_after.strftime("%m-%d %H:%M")
                ),
            ),
            None => (String::new(), String::new()),
        };
        let _ = write!(
            s,
            "<tr data-account=\"{id}\"><td class=\"num rank\">{rank}</td><td><a href=\"{href}\">{id}</a></td><td>{status}</td><td class=\"num\">{prio:.2}</td><td class=\"num\">{rec}</td><td class=\"num\">{dpd}</td><td>{stage}</td><td class=\"num\">{over}</td><td>{seg}</td><td>{strat}</td><td>{chan}</td><td>{contact}</td><td>{window}</td><td>{arm}</td><td>{prof}</td></tr>",
            id = esc(&it.account_id),
            rank = i + 1,
            href = esc(&account_href(&it.account_id)),
            prio = it.priority,
            rec = money(it.expected_recovery, &it.currency),
            dpd = it.days_past_due,
            stage = esc(&v[3]),
            over = money(it.overdue_amount, &it.currency),
            seg = esc(&v[1]),
            strat = esc(&v[2]),
            chan = esc(&v[5]),
            arm = esc(&v[4]),
            prof = esc(&v[6]),
        );
    }
    s.push_str("</tbody></table>");
    if matching.is_empty() {
        s.push_str("<p class=\"muted\">No item matches these filters.</p>");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn unknown_parameters_are_refused_by_name() {
        let e = Filter::parse(&pairs(&[("statsu", "open")])).unwrap_err();
        assert!(e.contains("\"statsu\""), "{e}");
        assert!(Filter::parse(&pairs(&[("limit", "ten")])).is_err());
        let f = Filter::parse(&pairs(&[("status", "held"), ("limit", "5"), ("arm", "")])).unwrap();
        assert_eq!(f.limit, Some(5));
        assert_eq!(f.wanted[0], "held");
    }

    #[test]
    fn profiles_come_from_policy_labels() {
        assert_eq!(profile_of("strict@2026.1"), "strict");
        assert_eq!(profile_of("lenient"), "lenient");
    }
}
