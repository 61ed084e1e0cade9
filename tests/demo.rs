//! `arrears demo` end to end, in-process: embedded broker, simulated stream, daemon and live
//! worklist; it stops by itself after `--duration` within a bounded time, shows a ranked worklist
//! with open items and ends with a summary of the events sent.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "integration tests drive the edges: files, timers and the environment"
)]

use std::sync::mpsc;
use std::time::Duration;

use arrears::tools::demo::{run_blocking, DemoArgs};

#[test]
fn the_demo_streams_ranks_and_stops_by_itself() {
    let args = DemoArgs {
        accounts: 200,
        days: 5,
        rate: 5000,
        duration: Some(15),
        top: 5,
        seed: 1,
        ..DemoArgs::default()
    };
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let r = run_blocking(&args, &mut out, false);
        let _ = tx.send((r, String::from_utf8_lossy(&out).into_owned()));
    });
    let (result, out) = rx
        .recv_timeout(Duration::from_secs(90))
        .expect("the demo did not stop within 90 s");
    // Shown with --nocapture.
    println!("{out}");
    let summary = result.unwrap_or_else(|e| panic!("demo failed: {e:#}\n{out}"));

    assert!(out.contains("/v1/worklist"), "{out}");
    assert!(out.contains("/healthz"), "{out}");
    assert!(out.contains("top 5 open work items:"), "{out}");
    assert!(
        !out.contains("\x1b[2J"),
        "no ANSI escapes when not a terminal"
    );
    // A ranked row: "  1  <account> <priority> ..." in some frame.
    assert!(
        out.lines().any(|l| l.trim_start().starts_with("1  ")),
        "no ranked open item shown:\n{out}"
    );
    assert!(summary.sent > 0, "{summary:?}");
    assert!(summary.items_seen > 0, "{summary:?}");
    assert!(!summary.top.is_empty(), "{summary:?}");
    assert!(
        summary
            .top
            .windows(2)
            .all(|w| w[0].priority >= w[1].priority),
        "{summary:?}"
    );
    let line = out
        .lines()
        .find(|l| l.starts_with("summary: events sent "))
        .unwrap_or_else(|| panic!("no summary:\n{out}"));
    let sent: u64 = line["summary: events sent ".len()..]
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(sent > 0, "{line}");
    assert!(out.contains("top 5 accounts:"), "{out}");
    // No phone number is ever printed: nothing like "+<8 or more digits>".
    let phone_like = out
        .split('+')
        .skip(1)
        .any(|rest| rest.chars().take_while(char::is_ascii_digit).count() >= 8);
    assert!(!phone_like, "a phone number was printed:\n{out}");
}
