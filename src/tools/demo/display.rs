//! What the demo prints: the live frame ([`render`]) and the closing summary ([`summary_text`]),
//! window starts in the debtor's own time zone.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::Duration;

use jiff::Timestamp;

use super::args::DemoArgs;
use super::state::{lock, Progress, Summary, View};
use crate::daemon::Shared;

/// The window start in the debtor's zone (UTC when the zone is unknown).
pub(super) fn local_time(t: Timestamp, zone: Option<&String>) -> String {
    let zoned = zone
        .and_then(|z| t.in_tz(z).ok())
        .unwrap_or_else(|| t.to_zoned(jiff::tz::TimeZone::UTC));
    zoned.strftime("%m-%d %H:%M %Z").to_string()
}

/// The frame's width: it fits an 80-column terminal.
pub const WIDTH: usize = 80;

/// `s` cut to `n` characters (the last one `~` when cut).
fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
    out.push('~');
    out
}

pub(super) fn render(
    args: &DemoArgs,
    progress: &Progress,
    view: &Mutex<View>,
    tz: &Mutex<HashMap<String, String>>,
    shared: &Shared,
    api: &str,
    elapsed: Duration,
) -> String {
    use std::fmt::Write as _;
    let top = args.top as usize;
    let (rows, items_seen, dead, accounts, open, held, closed, unreadable) = {
        let v = lock(view);
        (
            v.top_open(top),
            v.items_seen,
            v.dead_letters,
            v.items.len(),
            v.count("open"),
            v.count("held"),
            v.count("closed"),
            v.unreadable,
        )
    };
    let stream_time = shared.clock.now();
    let mut lines: Vec<String> = Vec::new();
    lines.push(format!(
        "arrears demo {:>4}s  day {}/{}{}  {}  {}",
        elapsed.as_secs(),
        progress.days_streamed.load(Ordering::Relaxed),
        args.days,
        if progress.stream_done.load(Ordering::Acquire) {
            " done"
        } else {
            ""
        },
        if stream_time.as_second() > 0 {
            stream_time.strftime("%Y-%m-%d %H:%M UTC").to_string()
        } else {
            "-".to_string()
        },
        if shared.is_ready() {
            "ready"
        } else if progress.daemon_stopped.load(Ordering::Acquire) {
            "stopped"
        } else {
            "starting (first rebalance ~3 s)"
        },
    ));
    lines.push(format!(
        "events {} acked {} failed {}  items {}  dead letters {dead}{}",
        progress.produced.load(Ordering::Relaxed),
        progress.sent.load(Ordering::Relaxed),
        progress.failed.load(Ordering::Relaxed),
        items_seen,
        if unreadable > 0 {
            format!("  unreadable {unreadable}")
        } else {
            String::new()
        },
    ));
    lines.push(format!(
        "accounts {accounts}: open {open}, held {held}, closed {closed}"
    ));
    lines.push(format!("console http://{api}/console/"));
    if let Some(e) = lock(&progress.last_error).as_ref() {
        lines.push(format!("last error: {e}"));
    }
    lines.push(format!("top {top} open work items:"));
    lines.push(format!(
        "{:>3} {:<12} {:>8} {:<16} {:<13} {:<6} {:<15}",
        "#", "account", "priority", "segment", "strategy", "chan", "window (local)"
    ));
    let zones = lock(tz);
    for (i, r) in rows.iter().enumerate() {
        let (channel, strategy, window) = match &r.action {
            Some(a) => (
                a.channel.as_str(),
                a.strategy.as_str(),
                local_time(a.not_before, zones.get(&r.account_id)),
            ),
            None => ("-", "-", "-".to_string()),
        };
        lines.push(format!(
            "{:>3} {:<12} {:>8.2} {:<16} {:<13} {:<6} {:<15}",
            i + 1,
            cut(&r.account_id, 12),
            r.priority,
            cut(&r.segment, 16),
            cut(strategy, 13),
            cut(channel, 6),
            cut(&window, 15),
        ));
    }
    if rows.is_empty() {
        lines.push("    (no open work items yet)".to_string());
    }
    let mut s = String::new();
    for l in lines {
        let _ = writeln!(s, "{}", cut(l.trim_end(), WIDTH));
    }
    s
}

pub(super) fn summary_text(s: &Summary, tz: &Mutex<HashMap<String, String>>) -> String {
    use std::fmt::Write as _;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "\nsummary: events sent {} (produced {}, failed {})\n  work items seen {}, accounts {}, dead letters {}",
        s.sent, s.produced, s.failed, s.items_seen, s.accounts, s.dead_letters
    );
    let _ = writeln!(t, "top 5 accounts:");
    let zones = lock(tz);
    for (i, r) in s.top.iter().enumerate() {
        let action = r.action.as_ref().map_or(String::new(), |a| {
            format!(
                ", {} by {} from {}",
                a.strategy,
                a.channel,
                local_time(a.not_before, zones.get(&r.account_id))
            )
        });
        let line = format!(
            "  {}. {} priority {:.2} ({}, {}{action})",
            i + 1,
            r.account_id,
            r.priority,
            r.stage,
            r.segment
        );
        let _ = writeln!(t, "{}", cut(&line, WIDTH));
    }
    if s.top.is_empty() {
        let _ = writeln!(t, "  (no open work items)");
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::demo::state::Row;

    #[test]
    fn cut_keeps_short_text_and_marks_long_text() {
        assert_eq!(cut("A-1", 12), "A-1");
        assert_eq!(cut("unwilling_unable_x", 16), "unwilling_unabl~");
        assert_eq!(cut("unwilling_unable_x", 16).chars().count(), 16);
    }

    #[test]
    fn a_work_item_line_decodes_without_contact_details() {
        let line = r#"{"account_id":"A-1","version":3,"status":"open","hold_reason":null,"priority":4.5,"segment":"willing_able","stage":"late","action":{"channel":"sms","contact_id":"c1","party":"debtor","strategy":"reminder","disclosure":"full","not_before":"2026-04-15T12:00:00Z","not_after":"2026-04-16T01:00:00Z","best_time":null},"reasons":[{"code":"EXPECTED_RECOVERY","detail":"x"}],"as_of":"2026-04-15T12:00:00Z"}"#;
        let r: Row = serde_json::from_str(line).unwrap();
        assert_eq!(r.reasons[0].code, "EXPECTED_RECOVERY");
        let ny = "America/New_York".to_string();
        assert_eq!(
            local_time(r.action.unwrap().not_before, Some(&ny)),
            "04-15 08:00 EDT"
        );
    }
}
