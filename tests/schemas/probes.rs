//! The probe corpus, assembled in order, and the test that replay and the event schema agree on it.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::{
    probe_kit::*, probes_common::*, probes_contact_attempt::*, probes_events::*, probes_profile::*,
    run::*, validate::*,
};

/// The probe corpus: one or a few lines per rule of the contract, each way.
fn probes() -> Vec<Probe> {
    let mut p: Vec<(String, Verdict, Value)> = Vec::new();
    let mut add = |what: &str, verdict: Verdict, v: Value| p.push((what.to_owned(), verdict, v));
    common_fields(&mut add);
    money(&mut add);
    statement_issued(&mut add);
    reversals_and_fees(&mut add);
    promise_made(&mut add);
    flags(&mut add);
    account_closed(&mut add);
    contact_attempt(&mut add);
    account_profile(&mut add);
    not_objects(&mut add);

    p.into_iter()
        .enumerate()
        .map(|(i, (what, verdict, mut v))| {
            if let Value::Object(m) = &mut v {
                for (k, x) in m.iter_mut() {
                    if x == "auto" {
                        *x = json!(format!("{k}-{i}"));
                    }
                }
            }
            Probe {
                what,
                verdict,
                line: v.to_string(),
            }
        })
        .collect()
}

#[test]
fn replay_and_the_event_schema_agree_on_every_probe() {
    let probes = probes();
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("probes.jsonl");
    let pre = preamble();
    let mut text: String = pre.iter().map(|v| format!("{v}\n")).collect();
    for p in &probes {
        text.push_str(&p.line);
        text.push('\n');
    }
    std::fs::write(&input, text).expect("write probes");
    let rejected = replay(&input, None).rejected();
    let offset = pre.len() as u64;
    for n in 1..=offset {
        assert!(
            !rejected.contains_key(&n),
            "preamble line {n} was rejected: {:?}",
            rejected[&n]
        );
    }
    let texts: Vec<String> = probes.iter().map(|p| p.line.clone()).collect();
    let verdicts = validate("event.schema.json", &texts);
    let mut problems = Vec::new();
    for (i, (p, errors)) in probes.iter().zip(&verdicts).enumerate() {
        let n = offset + i as u64 + 1;
        let got = rejected.get(&n);
        let want_reason = match p.verdict {
            Accepted => None,
            Rejected(r) | StateOrCrossField(r) => Some(r),
        };
        if got.map(|(r, _)| r.as_str()) != want_reason {
            problems.push(format!(
                "probe `{}`: arrears replay said {:?}, the test expects {:?}\n    {}",
                p.what,
                got,
                want_reason.unwrap_or("accepted"),
                short(&p.line)
            ));
        }
        match p.verdict {
            Accepted if !errors.is_empty() => problems.push(format!(
                "probe `{}`: valid event, but event.schema.json rejects it: {errors:?}\n    {}",
                p.what,
                short(&p.line)
            )),
            Rejected(_) if errors.is_empty() => problems.push(format!(
                "probe `{}`: invalid event, but event.schema.json accepts it\n    {}",
                p.what,
                short(&p.line)
            )),
            _ => {}
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {} probes disagree:\n{}",
        problems.len(),
        probes.len(),
        problems.join("\n")
    );

    // Every reject line of the probes matches the reject schema too.
    let r = replay(&input, None);
    let reasons: BTreeSet<String> = r.rejected().into_values().map(|(r, _)| r).collect();
    for want in [
        "malformed_json",
        "unknown_type",
        "missing_field",
        "invalid_field",
        "unknown_reference",
    ] {
        assert!(reasons.contains(want), "no probe rejected as {want}");
    }
    check_rejects("probes", &r.rejects);
}
