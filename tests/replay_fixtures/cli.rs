//! Command-line failures: a missing input file or a bad `--as-of` exits 2.

use crate::run::*;

#[test]
fn missing_input_file_exits_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("no-such-events.jsonl");
    let out = run_bin(&["replay", "--input", missing.to_str().expect("utf-8 path")]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "contract.md: `arrears replay` exits 2 for an unreadable file; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout.is_empty(),
        "no work items for an unreadable file"
    );
    assert!(
        !out.stderr.is_empty(),
        "an unreadable file should be explained on stderr"
    );
}

#[test]
fn bad_as_of_exits_2() {
    let input = fixture("forgetful_payer.jsonl");
    let input = input.to_str().expect("utf-8 path");
    for bad in [
        "yesterday",
        "2026-04-15",
        "2026-04-15T12:00:00",
        "2026-13-01T00:00:00Z",
    ] {
        let out = run_bin(&["replay", "--input", input, "--as-of", bad]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "contract.md: `arrears replay` exits 2 for bad arguments (--as-of {bad:?}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stdout.is_empty(),
            "no work items with a bad --as-of {bad:?}"
        );
    }
}
