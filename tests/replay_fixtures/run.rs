//! Running the binary: `arrears replay` on a fixture, and the shared contract checker.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_arrears");
pub const CONTRACT_CHECK: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/tools/contract_check.py"
);

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

// ---------------------------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------------------------

/// One `arrears replay` run.
pub struct Replay {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// Raw bytes of the `--rejects` file.
    pub rejects_raw: String,
    /// Raw bytes of the `--output` file (from a second run that wrote to a file).
    pub output_file: Option<String>,
}

pub fn run_bin(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("ARREARS_LOG", "warn")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"))
}

pub fn replay(input: &Path, as_of: Option<&str>, to_file: bool) -> Replay {
    let dir = tempfile::tempdir().expect("temp dir");
    let rejects = dir.path().join("rejects.jsonl");
    let output = dir.path().join("items.jsonl");
    let input_s = input.to_str().expect("utf-8 path");
    let rejects_s = rejects.to_str().expect("utf-8 path");
    let output_s = output.to_str().expect("utf-8 path");
    let mut args = vec!["replay", "--input", input_s, "--rejects", rejects_s];
    if let Some(t) = as_of {
        args.extend(["--as-of", t]);
    }
    if to_file {
        args.extend(["--output", output_s]);
    }
    let out = run_bin(&args);
    Replay {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        rejects_raw: std::fs::read_to_string(&rejects).unwrap_or_default(),
        output_file: if to_file {
            Some(std::fs::read_to_string(&output).unwrap_or_default())
        } else {
            None
        },
    }
}

pub fn python3_available() -> bool {
    Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs the shared contract checker; returns its problems (empty when it reports 0 problems).
pub fn contract_check(input: &Path, as_of: Option<&str>) -> Vec<String> {
    assert!(
        python3_available(),
        "python3 is required to run {CONTRACT_CHECK} (the wire-contract checker); install python3 (3.9+, with zoneinfo) rather than skipping this check"
    );
    let mut cmd = Command::new("python3");
    cmd.arg(CONTRACT_CHECK).arg(input).arg("--bin").arg(BIN);
    if let Some(t) = as_of {
        cmd.arg("--as-of").arg(t);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 {CONTRACT_CHECK}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or("");
    if out.status.success() && last.ends_with(", 0 problems") {
        Vec::new()
    } else {
        vec![format!(
            "contract_check.py (exit {:?}) reported problems:\n{}{}",
            out.status.code(),
            stdout,
            String::from_utf8_lossy(&out.stderr)
        )]
    }
}
