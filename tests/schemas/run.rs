//! Running `arrears replay` and the inputs it is run on: the shared sample, the fixtures at their
//! clocks and a small simulated portfolio.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::validate::*;

pub struct Replay {
    /// Work items, one JSON text each, in output order.
    pub items: Vec<String>,
    /// Lines of the `--rejects` file.
    pub rejects: Vec<String>,
}

impl Replay {
    /// Rejected input line number → (reason, detail).
    pub fn rejected(&self) -> BTreeMap<u64, (String, String)> {
        self.rejects
            .iter()
            .map(|l| {
                let v: Value = serde_json::from_str(l).expect("reject lines are JSON");
                let line = v["line"].as_u64().expect("reject line number");
                let reason = v["reason"].as_str().unwrap_or_default().to_owned();
                let detail = v["detail"].as_str().unwrap_or_default().to_owned();
                (line, (reason, detail))
            })
            .collect()
    }
}

pub fn replay(input: &Path, as_of: Option<&str>) -> Replay {
    let dir = tempfile::tempdir().expect("temp dir");
    let rejects = dir.path().join("rejects.jsonl");
    let mut cmd = Command::new(BIN);
    cmd.arg("replay")
        .arg("--input")
        .arg(input)
        .arg("--rejects")
        .arg(&rejects)
        .env("ARREARS_LOG", "warn");
    if let Some(t) = as_of {
        cmd.args(["--as-of", t]);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "arrears replay --input {} exited {:?}: {}",
        input.display(),
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("work items are UTF-8");
    let rejects = std::fs::read_to_string(&rejects).unwrap_or_default();
    Replay {
        items: stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect(),
        rejects: rejects
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect(),
    }
}

/// An event file, where it comes from (for messages) and the clocks to replay it at.
pub struct Input {
    pub name: String,
    pub path: PathBuf,
    pub clocks: Vec<Option<String>>,
}

/// The shared sample, every `tests/fixtures/*.jsonl` with the clocks of its `.expect.json`, and
/// (when `dir` is given) a small simulated portfolio written there.
pub fn inputs(dir: Option<&Path>) -> Vec<Input> {
    let sample = Path::new(ROOT).join("../shared/fixtures/sample-events.jsonl");
    assert!(
        sample.is_file(),
        "{} is missing: the shared fixtures must sit beside the crate",
        sample.display()
    );
    let mut out = vec![Input {
        name: "shared/fixtures/sample-events.jsonl".into(),
        path: sample,
        clocks: vec![None, Some("2026-04-15T12:00:00Z".into())],
    }];
    let fixtures = Path::new(ROOT).join("tests/fixtures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .expect("tests/fixtures")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no tests/fixtures/*.jsonl");
    for path in files {
        let mut clocks = vec![None];
        let expect = path.with_extension("expect.json");
        if let Ok(text) = std::fs::read_to_string(&expect) {
            let v: Value = serde_json::from_str(&text).expect("expect.json is JSON");
            let runs = v["runs"].as_array().cloned().unwrap_or_default();
            for t in std::iter::once(&v["as_of"]).chain(runs.iter().map(|r| &r["as_of"])) {
                if let Some(t) = t.as_str() {
                    clocks.push(Some(t.to_owned()));
                }
            }
        }
        out.push(Input {
            name: format!(
                "tests/fixtures/{}",
                path.file_name().unwrap().to_string_lossy()
            ),
            path,
            clocks,
        });
    }
    if let Some(dir) = dir {
        let path = dir.join("simulated.jsonl");
        let status = Command::new(BIN)
            .args([
                "simulate",
                "--accounts",
                "150",
                "--days",
                "75",
                "--seed",
                "11",
                "--quiet",
                "--output",
            ])
            .arg(&path)
            .env("ARREARS_LOG", "warn")
            .status()
            .unwrap_or_else(|e| panic!("cannot run {BIN} simulate: {e}"));
        assert!(status.success(), "arrears simulate failed: {status}");
        out.push(Input {
            name: "simulated portfolio (150 accounts, 75 days, seed 11)".into(),
            path,
            clocks: vec![None, Some("2026-05-15T12:00:00Z".into())],
        });
    }
    out
}
