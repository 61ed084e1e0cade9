//! Property 5: determinism across runs and partitions.

use arrears::engine::pipeline::Pipeline;
use jiff::SignedDuration;

use crate::{driver::*, view::*, vocab::*};

fn item_json(p: &Pipeline, id: &str) -> Option<String> {
    p.item(id).map(json_of)
}

fn ranked_jsonl(p: &Pipeline) -> String {
    p.ranked().into_iter().map(|i| json_of(i) + "\n").collect()
}

/// 5. Determinism: two fresh pipelines fed the same bytes give byte-identical ranked JSONL (after
///    the stream and after each evaluate_all); splitting the accounts over two pipelines (two
///    partitions), or feeding accounts one after another, gives the same per-account items.
#[test]
fn deterministic_across_runs_and_partitions() {
    run_property("determinism", 128, |stream| {
        let mut a = pipeline();
        let mut b = pipeline();
        let mut parts = [pipeline(), pipeline()];
        let mut serial = pipeline();
        for (i, ev) in stream.events.iter().enumerate() {
            let bytes = serde_json::to_vec(&ev.value).unwrap();
            let ra = a.process_record(&bytes);
            let rb = b.process_record(&bytes);
            if ra != rb {
                return Err(format!(
                    "event {i}: {ra:?} vs {rb:?}\n{}",
                    stream.jsonl(i + 1)
                ));
            }
            let id = &stream.ids[ev.acct];
            if item_json(&a, id) != item_json(&b, id) {
                return Err(format!(
                    "event {i}: items differ between runs\n{}",
                    stream.jsonl(i + 1)
                ));
            }
        }
        for ev in &stream.events {
            let bytes = serde_json::to_vec(&ev.value).unwrap();
            parts[stream.part[ev.acct]]
                .process_record(&bytes)
                .map_err(|e| format!("partition rejected: {e}"))?;
        }
        for acct in 0..stream.ids.len() {
            for ev in stream.events.iter().filter(|e| e.acct == acct) {
                let bytes = serde_json::to_vec(&ev.value).unwrap();
                serial
                    .process_record(&bytes)
                    .map_err(|e| format!("serial rejected: {e}"))?;
            }
        }
        let compare =
            |when: &str, a: &Pipeline, b: &Pipeline, parts: &[Pipeline; 2], serial: &Pipeline| {
                let (ja, jb) = (ranked_jsonl(a), ranked_jsonl(b));
                if ja != jb {
                    return Err(format!(
                        "{when}: ranked JSONL differs between two runs:\n{ja}\nvs\n{jb}"
                    ));
                }
                for (acct, id) in stream.ids.iter().enumerate() {
                    let one = item_json(a, id);
                    let split = item_json(&parts[stream.part[acct]], id);
                    let ser = item_json(serial, id);
                    if one != split {
                        return Err(format!(
                            "{when}: {id} differs when partitioned:\n{one:?}\nvs\n{split:?}"
                        ));
                    }
                    if one != ser {
                        return Err(format!(
                        "{when}: {id} differs when fed account by account:\n{one:?}\nvs\n{ser:?}"
                    ));
                    }
                }
                Ok(())
            };
        compare("after the stream", &a, &b, &parts, &serial)
            .map_err(|m| format!("{m}\nevents:\n{}", stream.jsonl(usize::MAX)))?;
        for (secs, label) in LATER {
            let t = stream.end + SignedDuration::from_secs(*secs);
            let na = a.evaluate_all(t);
            let nb = b.evaluate_all(t);
            let np = parts[0].evaluate_all(t) + parts[1].evaluate_all(t);
            let ns = serial.evaluate_all(t);
            if na != nb || na != np || na != ns {
                return Err(format!(
                    "evaluate_all {label}: changed {na} / {nb} / {np} (partitioned) / {ns} (serial)"
                ));
            }
            compare(&format!("evaluate_all {label}"), &a, &b, &parts, &serial)
                .map_err(|m| format!("{m}\nevents:\n{}", stream.jsonl(usize::MAX)))?;
        }
        Ok(())
    });
}
