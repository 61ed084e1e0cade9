//! A scenario: replaying a fixture at every clock of its expectation with every generic check,
//! rejects and duplicates included.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::{checks::*, expect::*, run::*};

/// What one scenario produced at one clock.
pub struct RunResult {
    pub as_of: Option<String>,
    pub items: BTreeMap<String, Value>,
}

pub struct Scenario {
    pub name: String,
    pub story: String,
    pub runs: Vec<RunResult>,
    pub failures: Vec<String>,
}

impl Scenario {
    pub fn run(&self, as_of: &str) -> &RunResult {
        self.runs
            .iter()
            .find(|r| r.as_of.as_deref() == Some(as_of))
            .unwrap_or_else(|| panic!("{}: no run at {as_of}", self.name))
    }

    pub fn item(&self, as_of: &str, account: &str) -> &Value {
        self.run(as_of)
            .items
            .get(account)
            .unwrap_or_else(|| panic!("{}: no item for {account} at {as_of}", self.name))
    }

    pub fn check(&mut self, ok: bool, msg: impl Into<String>) {
        if !ok {
            self.failures.push(msg.into());
        }
    }

    /// Fails the test with every problem found, the scenario's story first.
    pub fn finish(self) {
        assert!(
            self.failures.is_empty(),
            "scenario {} failed ({} problems)\nstory: {}\n- {}",
            self.name,
            self.failures.len(),
            self.story,
            self.failures.join("\n- ")
        );
    }
}

/// Replays `tests/fixtures/NAME.jsonl` at every clock of its expectation and checks everything
/// generic; scenario-specific assertions are added by the caller before `finish`.
pub fn scenario(name: &str) -> Scenario {
    let input = fixture(&format!("{name}.jsonl"));
    let source = std::fs::read_to_string(&input)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", input.display()));
    let source_lines: Vec<&str> = source.lines().collect();
    let expect = load_expect(name);
    let mut fail = Vec::new();
    let mut runs = Vec::new();
    for run in &expect.runs {
        let as_of = run.as_of.as_deref();
        let at = as_of.unwrap_or("(end of events)");
        let mut f = Vec::new();
        let r = replay(&input, as_of, false);
        if r.code != Some(0) {
            f.push(format!(
                "exit status {:?}, expected 0; stderr: {}",
                r.code, r.stderr
            ));
        }

        // Rejected lines: exactly the expected ones, or none at all.
        let rejects: Vec<Value> = r
            .rejects_raw
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        match &expect.rejects {
            None => {
                if !rejects.is_empty() {
                    f.push(format!(
                        "the fixture should be valid contract events, but lines were rejected:\n{}",
                        r.rejects_raw
                    ));
                }
            }
            Some(want) => check_rejects(want, &rejects, &source_lines, &r.stderr, &mut f),
        }
        if let Some(d) = expect.duplicates {
            let needle = format!("{d} duplicates ignored");
            if !r.stderr.contains(&needle) {
                f.push(format!(
                    "stderr summary should say `{needle}`: {}",
                    r.stderr
                ));
            }
        }

        let items = parse_items(&r.stdout, &mut f);
        check_ranked(&items, &mut f);
        let mut by_id = BTreeMap::new();
        for item in &items {
            check_item_invariants(item, &mut f);
            let id = item["account_id"].as_str().unwrap_or("").to_owned();
            if by_id.insert(id.clone(), item.clone()).is_some() {
                f.push(format!("more than one item for {id}"));
            }
        }
        let got: BTreeSet<&String> = by_id.keys().collect();
        let want: BTreeSet<&String> = run.items.keys().collect();
        if got != want {
            f.push(format!(
                "accounts in the output {got:?} differ from those expected {want:?}"
            ));
        }
        for (id, exp) in &run.items {
            let mut m = Vec::new();
            partial_match("", exp, by_id.get(id), &mut m);
            let why = exp
                .get("$why")
                .and_then(Value::as_str)
                .map(|w| format!("\n    DISCREPANCY with the docs, required by: {w}"))
                .unwrap_or_default();
            for problem in m {
                f.push(format!("{id}: {problem}{why}"));
            }
        }

        // Determinism, and --output writes what stdout shows.
        let again = replay(&input, as_of, true);
        if again.stdout.is_empty() && again.output_file.as_deref() == Some(r.stdout.as_str()) {
            // written to the file, nothing on stdout: as it should be
        } else {
            f.push(
                "--output FILE should hold exactly the items printed on stdout without it".into(),
            );
        }
        let third = replay(&input, as_of, false);
        if third.stdout != r.stdout {
            f.push("a second replay of the same file did not give byte-identical output".into());
        }
        if third.rejects_raw != r.rejects_raw {
            f.push("a second replay did not give byte-identical rejects".into());
        }

        f.extend(contract_check(&input, as_of));
        fail.extend(f.into_iter().map(|p| format!("[as of {at}] {p}")));
        runs.push(RunResult {
            as_of: run.as_of.clone(),
            items: by_id,
        });
    }
    Scenario {
        name: name.to_owned(),
        story: expect.story,
        runs,
        failures: fail,
    }
}

pub fn check_rejects(
    want: &[Value],
    got: &[Value],
    source: &[&str],
    stderr: &str,
    f: &mut Vec<String>,
) {
    let pairs = |v: &[Value]| -> Vec<(u64, String)> {
        v.iter()
            .map(|r| {
                (
                    r["line"].as_u64().unwrap_or(0),
                    r["reason"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    };
    let (w, g) = (pairs(want), pairs(got));
    if w != g {
        f.push(format!("rejects (line, reason): expected {w:?}, got {g:?}"));
    }
    for r in got {
        let line = r["line"].as_u64().unwrap_or(0) as usize;
        let original = line.checked_sub(1).and_then(|i| source.get(i)).copied();
        if r["record"].as_str() != original {
            f.push(format!(
                "reject of line {line}: `record` should be the original line text, byte for byte"
            ));
        }
        if r["detail"].as_str().is_none_or(str::is_empty) {
            f.push(format!(
                "reject of line {line}: `detail` should say what is wrong"
            ));
        }
    }
    for (_, reason) in &w {
        if !stderr.contains(reason.as_str()) {
            f.push(format!("stderr summary should mention {reason}: {stderr}"));
        }
    }
    let total = format!("{} rejected", w.len());
    if !stderr.contains(&total) {
        f.push(format!("stderr summary should say `{total}`: {stderr}"));
    }
}
