//! A bad configuration file: every problem reported at once, each with the file, the line and
//! column of its key, "did you mean" for a misspelt key, the variable for a bad environment
//! override; and exit status 2 from every command that reads the configuration.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "integration tests drive the edges: files, processes and the environment"
)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_arrears");

/// Three problems, on lines 4 (wrong type), 7 (misspelt key) and 10 (out of range).
const BAD: &str = "\
# a configuration with three problems
[policy]
default_profile = \"strict\"
letters_enabled = \"yes\"

[profiles.strict]
calling_strat = \"09:00\"

[scoring]
willing_threshold = 1.5
";

fn arrears(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .stdin(Stdio::null())
        // Nowhere to connect: `run` must fail on its configuration before it tries.
        .env("ARREARS_KAFKA__BROKERS", "127.0.0.1:1")
        .env("ARREARS_LOG", "warn");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("run arrears")
}

fn write_bad(dir: &Path) -> String {
    let path = dir.join("bad.toml");
    std::fs::write(&path, BAD).expect("write the config");
    path.display().to_string()
}

fn assert_three_problems(what: &str, out: &Output, file: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{what}: exit status\n{err}");
    for want in [
        format!("{file}:4:1: policy.letters_enabled: invalid type: found string \"yes\", expected a boolean"),
        format!("{file}:7:1: profiles.strict.calling_strat: unknown key `calling_strat`; did you mean `calling_start`?"),
        format!("{file}:10:1: scoring.willing_threshold = 1.5 must be within [0, 1]"),
    ] {
        assert!(err.contains(&want), "{what}: {want:?} not in:\n{err}");
    }
    assert!(
        err.contains("3 problem(s)"),
        "{what}: exactly three:\n{err}"
    );
    let at = |line: &str| err.find(&format!("{file}:{line}:")).expect("listed");
    assert!(
        at("4") < at("7") && at("7") < at("10"),
        "{what}: in the file's order:\n{err}"
    );
}

#[test]
fn replay_reports_every_problem_with_file_line_and_suggestion() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write_bad(dir.path());
    let out = arrears(&["replay", "--config", &file], &[]);
    assert_three_problems("replay", &out, &file);
    assert!(out.stdout.is_empty(), "nothing replayed");
}

#[test]
fn run_reports_the_same_problems_before_connecting_to_kafka() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write_bad(dir.path());
    let out = arrears(&["run", "--config", &file], &[]);
    assert_three_problems("run", &out, &file);
}

#[test]
fn run_reports_the_daemon_tables_problems_together_with_the_engines() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("daemon.toml");
    std::fs::write(
        &path,
        "[kafka]\nbrokerz = \"k:9092\"\nmax_in_flight = 0\n\n[scoring]\nable_threshold = -1.0\n",
    )
    .unwrap();
    let file = path.display().to_string();
    let out = arrears(&["run", "--config", &file], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    for want in [
        format!("{file}:2:1: kafka.brokerz: unknown key `brokerz`; did you mean `brokers`?"),
        format!("{file}:3:1: kafka.max_in_flight must be at least 1"),
        format!("{file}:6:1: scoring.able_threshold = -1 must be within [0, 1]"),
    ] {
        assert!(err.contains(&want), "{want:?} not in:\n{err}");
    }
}

#[test]
fn a_bad_environment_override_names_its_variable() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write_bad(dir.path());
    let out = arrears(
        &["replay", "--config", &file],
        &[
            ("ARREARS_SCORING__ABLE_THRESHOLD", "high"),
            ("ARREARS_POLICY__LETTERS_ENABLD", "true"),
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    for want in [
        "environment variable ARREARS_SCORING__ABLE_THRESHOLD: scoring.able_threshold: invalid type",
        "environment variable ARREARS_POLICY__LETTERS_ENABLD: policy.letters_enabld: unknown key `letters_enabld`; did you mean `letters_enabled`?",
    ] {
        assert!(err.contains(want), "{want:?} not in:\n{err}");
    }
    assert!(
        err.contains("5 problem(s)"),
        "the file's three and these two:\n{err}"
    );
}

#[test]
fn a_toml_syntax_error_and_a_missing_file_exit_2_with_their_place() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("syntax.toml");
    std::fs::write(&path, "[policy]\nletters_enabled = = true\n").unwrap();
    let file = path.display().to_string();
    for cmd in ["replay", "run"] {
        let out = arrears(&[cmd, "--config", &file], &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {err}");
        assert!(err.contains(&format!("{file}:2:")), "{cmd}: {err}");
        let out = arrears(&[cmd, "--config", "/nonexistent/arrears.toml"], &[]);
        assert_eq!(out.status.code(), Some(2), "{cmd}: missing file");
    }
}

#[test]
fn a_good_file_still_loads() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("good.toml");
    std::fs::write(&path, "[profiles.strict]\ncalling_start = \"09:00\"\n").unwrap();
    let events = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/sample-events.jsonl"
    );
    let out = arrears(
        &[
            "replay",
            "--config",
            path.to_str().unwrap(),
            "--input",
            events,
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.stdout.is_empty(), "work items written");
}

#[cfg(feature = "tools")]
#[test]
fn backtest_exits_2_for_the_same_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write_bad(dir.path());
    let out = arrears(
        &[
            "backtest",
            "--config",
            &file,
            "--accounts",
            "10",
            "--days",
            "2",
            "--seeds",
            "1",
        ],
        &[],
    );
    assert_three_problems("backtest", &out, &file);
}

#[test]
fn quoted_keys_and_passthrough_properties_are_not_problems() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("props.toml");
    std::fs::write(
        &path,
        "[kafka]\nmax_in_flight = 8\n[kafka.properties]\n\"heartbeat.interval.ms\" = \"500\"\n\
         [http]\nenabled = false\n[ranking.fx_to_base]\nEUR = 1.1\n[scoring]\nwilling_threshold = 2.0\n",
    )
    .unwrap();
    let file = path.display().to_string();
    let out = arrears(&["run", "--config", &file], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("1 problem(s)"), "only the threshold:\n{err}");
    assert!(
        err.contains(&format!(
            "{file}:10:1: scoring.willing_threshold = 2 must be within [0, 1]"
        )),
        "{err}"
    );
}
