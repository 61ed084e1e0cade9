//! `arrears validate FILE|-`: checks a JSONL file of input events against the contract without
//! applying anything, and reports every problem of every record (line, reason code, JSON pointer,
//! detail), then a summary. Lines are read as bytes, so framing, invalid UTF-8 and binary junk
//! are reported, never fatal. Blank lines are skipped (as `replay` skips them) and counted.
//!
//! `check` (one record), `repair` (stand-ins that let the engine's decode go on), `problem`
//! (findings, problems and the tally).

mod check;
pub mod problem;
mod repair;

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::PathBuf;

use problem::{Finding, Problem, Severity, Tally, DUPLICATE_EVENT_ID};

pub use check::{check_record, schema_options, EVENT_SCHEMA};

/// Lines longer than this are not kept whole: only their length is reported (`too_large`).
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

#[derive(clap::Args, Debug, Clone)]
#[command(after_help = "\
Checks each line against the wire contract (docs/contract.md) and the event JSON Schema \
(docs/schema/event.schema.json, built in) without applying anything, and reports every problem \
of every record: `line N: reason: /pointer: detail`, then a summary.

Reasons are the contract's reject reasons (malformed_json, too_large, unknown_type, \
missing_field, invalid_field) plus schema_registry_framed (a Confluent-framed record: magic byte \
0 and a 4-byte schema id). The warning duplicate_event_id marks an event_id repeated for the \
same account by valid records of the file (the engine would ignore the later one, not reject it). Blank lines are skipped. \
Checks that need account state (unknown_reference, key_mismatch, clock skew) are not made.

Exit status: 0 every record is valid (warnings allowed), 1 some record is invalid, 2 the input \
cannot be read or the arguments are wrong.")]
pub struct ValidateArgs {
    /// JSONL file of input events; `-` for standard input.
    pub input: PathBuf,
    /// `text` (default): one line per problem and a summary; `json`: one JSON object per problem
    /// (`{line, severity, reason, pointer, detail}`) and a final `{"summary": …}`.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// Why validation could not finish: exit status 2.
#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    #[error("cannot read {0}: {1}")]
    Input(String, io::Error),
    #[error("cannot write the report: {0}")]
    Output(io::Error),
}

/// Reads one line (up to and without `\n`, a trailing `\r` dropped) into `buf`, keeping at most
/// [`MAX_LINE_BYTES`]; returns its full length, or `None` at the end of the input.
fn read_line(r: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<Option<usize>> {
    buf.clear();
    let mut total = 0usize;
    let mut any = false;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        any = true;
        let (take, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        let room = MAX_LINE_BYTES.saturating_sub(buf.len()).min(take);
        buf.extend_from_slice(&chunk[..room]);
        total += take;
        r.consume(take + usize::from(done));
        if done {
            break;
        }
    }
    if !any {
        return Ok(None);
    }
    if buf.last() == Some(&b'\r') && total == buf.len() {
        buf.pop();
        total -= 1;
    }
    Ok(Some(total))
}

/// Checks every line of `input`, writing problems to `out` as they are found; the tally.
pub fn validate(
    input: impl Read,
    out: &mut dyn Write,
    format: Format,
) -> Result<Tally, ValidateError> {
    let mut reader = BufReader::with_capacity(1 << 20, input);
    let mut buf = Vec::with_capacity(4096);
    let mut tally = Tally::default();
    let mut seen: HashMap<(String, String), u64> = HashMap::new();
    let mut line = 0u64;
    while let Some(len) =
        read_line(&mut reader, &mut buf).map_err(|e| ValidateError::Input("input".into(), e))?
    {
        line += 1;
        if len == buf.len() && buf.iter().all(u8::is_ascii_whitespace) {
            tally.blank_lines += 1;
            continue;
        }
        tally.records += 1;
        let mut findings = if len > buf.len() {
            vec![Finding::error(
                "too_large",
                "",
                format!("line is {len} bytes, over the {MAX_LINE_BYTES} bytes read of a line"),
            )]
        } else {
            let checked = check_record(&buf);
            let mut f = checked.findings;
            // Only between records the engine would apply: a rejected one is not "seen".
            if let Some(ids) = checked.ids.filter(|_| f.is_empty()) {
                if let Some(first) = seen.get(&ids) {
                    f.push(Finding {
                        severity: Severity::Warning,
                        reason: DUPLICATE_EVENT_ID,
                        pointer: "/event_id".into(),
                        detail: format!(
                            "repeats the event_id of line {first} for the same account: the \
                             engine would ignore this record (counted, not rejected)"
                        ),
                    });
                } else {
                    seen.insert(ids, line);
                }
            }
            f
        };
        findings.sort_by_key(|f| f.severity == Severity::Warning);
        if findings.iter().any(|f| f.severity == Severity::Error) {
            tally.invalid += 1;
        } else {
            tally.valid += 1;
        }
        for finding in findings {
            *tally.by_reason.entry(finding.reason).or_default() += 1;
            if finding.severity == Severity::Warning {
                tally.warnings += 1;
            }
            let p = Problem { line, finding };
            match format {
                Format::Text => writeln!(out, "{}", p.text()),
                Format::Json => writeln!(out, "{}", p.json()),
            }
            .map_err(ValidateError::Output)?;
        }
    }
    match format {
        Format::Text => writeln!(out, "{}", tally.text()),
        Format::Json => writeln!(out, "{}", tally.json()),
    }
    .map_err(ValidateError::Output)?;
    Ok(tally)
}

/// Runs `arrears validate`: the report on standard output; the exit status (0 valid, 1 some
/// record invalid) or the error (exit status 2).
pub fn run(args: &ValidateArgs) -> Result<u8, ValidateError> {
    let name = args.input.display().to_string();
    let input: Box<dyn Read> = if name == "-" {
        Box::new(io::stdin().lock())
    } else {
        let file = File::open(&args.input).map_err(|e| ValidateError::Input(name.clone(), e))?;
        if file.metadata().is_ok_and(|m| m.is_dir()) {
            return Err(ValidateError::Input(
                name,
                io::Error::other("is a directory"),
            ));
        }
        Box::new(file)
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let tally = validate(input, &mut out, args.format).map_err(|e| match e {
        ValidateError::Input(_, e) => ValidateError::Input(name.clone(), e),
        e => e,
    })?;
    out.flush().map_err(ValidateError::Output)?;
    Ok(u8::from(tally.invalid > 0))
}
