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

/// Runs the demo (not a terminal) on a thread of its own: its result and what it printed, or a
/// panic when it does not stop within 90 s.
fn run_for(args: DemoArgs) -> (anyhow::Result<arrears::tools::demo::Summary>, String) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let r = run_blocking(&args, &mut out, false);
        let _ = tx.send((r, String::from_utf8_lossy(&out).into_owned()));
    });
    rx.recv_timeout(Duration::from_secs(90))
        .expect("the demo did not stop within 90 s")
}

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
    let (result, out) = run_for(args);
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
    // A ranked row: "  1 <account> <priority> ..." in some frame.
    assert!(
        out.lines().any(|l| {
            let mut w = l.split_whitespace();
            w.next() == Some("1") && w.next().is_some_and(|a| a.starts_with("A-"))
        }),
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
    // Every line fits an 80-column terminal.
    let wide: Vec<&str> = out.lines().filter(|l| l.chars().count() > 80).collect();
    assert!(wide.is_empty(), "lines over 80 columns: {wide:#?}");
    assert!(out.contains("/console/"), "the console's URL: {out}");
}

/// The demo's stream for `seed`, run until it has all been sent (no `--duration` cut-off in the
/// middle of it): its summary.
fn complete_run(seed: u64) -> arrears::tools::demo::Summary {
    let args = DemoArgs {
        accounts: 60,
        days: 4,
        rate: 50_000,
        duration: Some(12),
        top: 5,
        seed,
        ..DemoArgs::default()
    };
    let (result, out) = run_for(args);
    assert!(out.contains(" done "), "the whole stream was sent:\n{out}");
    result.unwrap_or_else(|e| panic!("demo failed: {e:#}\n{out}"))
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let a = complete_run(7);
    let b = complete_run(7);
    assert!(a.sent > 0 && !a.top.is_empty(), "{a:?}");
    assert_eq!(
        (a.sent, a.produced, a.accounts, a.dead_letters),
        (b.sent, b.produced, b.accounts, b.dead_letters)
    );
    let top = |s: &arrears::tools::demo::Summary| -> Vec<String> {
        s.top
            .iter()
            .map(|r| format!("{} {:.4} {:?}", r.account_id, r.priority, r.action))
            .collect()
    };
    assert_eq!(
        top(&a),
        top(&b),
        "the same top accounts, priorities and actions"
    );
    let c = complete_run(8);
    assert_ne!(top(&a), top(&c), "another seed, another portfolio");
}
