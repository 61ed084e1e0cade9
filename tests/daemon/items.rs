//! Work items to compare: the offline clock, content without version and as_of, `arrears replay`'s
//! output, the worklist order, and versions that never go back.

use std::collections::HashMap;

use jiff::Timestamp;
use serde_json::Value;

use crate::common::pipeline;
use crate::kafka_io::*;

/// The offline pipeline's clock after `lines`: the latest event time.
pub fn end_clock(lines: &[String]) -> Timestamp {
    let mut p = pipeline();
    for line in lines {
        let _ = p.process_record(line.as_bytes());
    }
    p.clock().expect("some event applied")
}

/// A work item without its identity in time (`version`, `as_of`): what its fingerprint covers.
pub fn content(item: &Value) -> Value {
    let mut v = item.clone();
    let o = v.as_object_mut().unwrap();
    o.remove("version");
    o.remove("as_of");
    v
}

/// `arrears replay --input FILE` run as the built binary: its ranked JSONL output, in order.
pub async fn replay(lines: &[String]) -> Vec<Value> {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    for l in lines {
        std::io::Write::write_all(&mut file, l.as_bytes()).unwrap();
        std::io::Write::write_all(&mut file, b"\n").unwrap();
    }
    let path = file.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_arrears"))
            .arg("replay")
            .arg("--input")
            .arg(&path)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    drop(file);
    assert!(
        out.status.success(),
        "arrears replay failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The worklist order of the contract: open by priority descending, then held, then closed, ties
/// by account id.
pub fn rank_key(item: &Value) -> (u8, f64, String) {
    let status = match item["status"].as_str().unwrap() {
        "open" => 0,
        "held" => 1,
        "closed" => 2,
        s => panic!("unknown status {s}"),
    };
    (
        status,
        -item["priority"].as_f64().unwrap(),
        item["account_id"].as_str().unwrap().to_string(),
    )
}

pub fn in_rank_order(items: &[Value]) -> bool {
    items.windows(2).all(|w| {
        let (a, b) = (rank_key(&w[0]), rank_key(&w[1]));
        a.0.cmp(&b.0)
            .then(a.1.total_cmp(&b.1))
            .then(a.2.cmp(&b.2))
            .is_lt()
    })
}

/// Asserts that every account's versions never decrease along the topic, and that one version of
/// an account never has two contents (a re-sent item is identical).
pub fn assert_versions_never_go_back(records: &[Record]) {
    let mut last: HashMap<&str, u64> = HashMap::new();
    let mut seen: HashMap<(&str, u64), &Value> = HashMap::new();
    for (k, v) in records {
        let version = v["version"].as_u64().unwrap();
        if let Some(first) = seen.insert((k.as_str(), version), v) {
            assert_eq!(first, v, "{k}: version {version} with two contents");
        }
        assert_eq!(v["account_id"].as_str(), Some(k.as_str()), "key = account");
        let version = v["version"].as_u64().unwrap();
        let prev = last.insert(k, version).unwrap_or(0);
        assert!(
            version >= prev,
            "{k}: version went back from {prev} to {version}"
        );
    }
}
