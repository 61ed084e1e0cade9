//! The command line's stderr: JSON mode makes every line a JSON log event, the line a failing
//! command ends with included; text mode writes no ANSI colour when stderr is not a terminal.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "integration tests drive the edges: files, processes and the environment"
)]

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_arrears");
const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn sample() -> std::path::PathBuf {
    let dir = std::path::Path::new(SAMPLE);
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("tests/fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    files.into_iter().next().expect("a .jsonl fixture")
}

fn stderr_lines(args: &[&str]) -> (Option<i32>, Vec<String>) {
    let out = Command::new(BIN)
        .args(args)
        .env("ARREARS_LOG", "info")
        .env_remove("NO_COLOR")
        .output()
        .expect("run arrears");
    let text = String::from_utf8(out.stderr).expect("stderr is UTF-8");
    (out.status.code(), text.lines().map(str::to_owned).collect())
}

#[test]
fn json_mode_writes_only_json_lines_and_the_fatal_one_as_an_error() {
    let (code, lines) = stderr_lines(&[
        "--log-format",
        "json",
        "replay",
        "--input",
        "/nonexistent/events.jsonl",
    ]);
    assert_eq!(code, Some(2), "{lines:?}");
    assert!(!lines.is_empty());
    for l in &lines {
        let v: serde_json::Value =
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
        assert!(v.get("level").is_some(), "{l}");
    }
    let last: serde_json::Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    assert_eq!(last["level"], "ERROR");
    let msg = last["fields"]["message"].as_str().unwrap();
    assert!(msg.contains("/nonexistent/events.jsonl"), "{msg}");
}

#[test]
fn json_mode_covers_a_successful_command_s_summary() {
    let input = sample();
    let (code, lines) = stderr_lines(&[
        "--log-format",
        "json",
        "replay",
        "--input",
        input.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("replay:")), "{lines:?}");
    for l in &lines {
        serde_json::from_str::<serde_json::Value>(l)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
    }
}

#[test]
fn text_mode_has_no_colour_when_stderr_is_not_a_terminal() {
    let (code, lines) = stderr_lines(&["replay", "--input", "/nonexistent/events.jsonl"]);
    assert_eq!(code, Some(2));
    assert!(
        lines
            .iter()
            .any(|l| l.contains("/nonexistent/events.jsonl")),
        "{lines:?}"
    );
    assert!(lines.iter().all(|l| !l.contains('\u{1b}')), "{lines:?}");
}
