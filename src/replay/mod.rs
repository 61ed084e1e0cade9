//! `arrears replay`: the offline edge around the pipeline. Reads JSONL events from a file or
//! stdin in file order, writes every account's latest work item as ranked JSONL, sends rejected
//! lines (original text, line number, reason) to `--rejects`, and prints a summary on stderr.

pub mod explain;
pub mod training_rows;
pub mod validate;

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use jiff::Timestamp;

use crate::engine::domain::RejectReason;
use crate::engine::pipeline::Pipeline;
use crate::engine::scoring::Scorer;
use crate::engine::settings::Settings;
use crate::engine::workitem::WorkItem;
use crate::replay::training_rows::Collector;

#[derive(clap::Args, Debug, Clone)]
pub struct ReplayArgs {
    /// JSONL events to apply, in file order (standard input when absent).
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Move the clock forward to this RFC 3339 time at the end (promises fall due, DPD grows).
    #[arg(long, value_parser = parse_as_of)]
    pub as_of: Option<Timestamp>,
    /// Where to write the ranked work items (standard output when absent).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Where to write rejected lines: JSONL of {line, reason, detail, record}.
    #[arg(long)]
    pub rejects: Option<PathBuf>,
    /// Configuration file (defaults: the shipped config/arrears.toml).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Also write labelled training rows (CSV: a feature snapshot of every delinquent account at
    /// each cadence boundary, with willingness and ability labels from the next 30 days).
    #[arg(long)]
    pub training_rows: Option<PathBuf>,
    /// Days between training snapshots (UTC midnights).
    #[arg(long, default_value_t = 1, requires = "training_rows")]
    pub cadence_days: i64,
    /// Also write a decision record (`arrears.decision.v1`, JSONL) for every work item version
    /// the replay produces: its input line, features, scores, arm, every contact-policy rule
    /// with its result, the action and its reasons. Read them with `arrears explain`.
    #[arg(long)]
    pub decisions: Option<PathBuf>,
}

/// Writes the pipeline's pending decision records as JSONL.
fn write_decisions(pipeline: &mut Pipeline, w: &mut dyn Write) -> Result<(), ReplayError> {
    for d in pipeline.take_decisions() {
        w.write_all(d.to_json().as_bytes())
            .and_then(|()| w.write_all(b"\n"))
            .map_err(|e| ReplayError::Output(format!("cannot write decision records: {e}")))?;
    }
    Ok(())
}

fn parse_as_of(s: &str) -> Result<Timestamp, String> {
    crate::engine::events::parse_timestamp(s).ok_or_else(|| {
        format!("{s:?} is not an RFC 3339 timestamp with offset, e.g. 2026-04-15T12:00:00Z")
    })
}

/// Why replay failed, and the exit status that goes with it.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// Unreadable input or bad settings: exit status 2.
    #[error("{0}")]
    Usage(String),
    /// Output could not be written: exit status 1.
    #[error("{0}")]
    Output(String),
}

impl ReplayError {
    pub fn exit_code(&self) -> u8 {
        match self {
            ReplayError::Usage(_) => 2,
            ReplayError::Output(_) => 1,
        }
    }
}

/// What a replay did.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub lines: u64,
    pub applied: u64,
    pub duplicates: u64,
    pub rejected: [u64; RejectReason::ALL.len()],
    pub accounts: usize,
    /// Contact attempts under contact ids the profile does not list (applied to the caps).
    pub unknown_contacts: u64,
}

impl Summary {
    pub fn rejected_total(&self) -> u64 {
        self.rejected.iter().sum()
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "replay: {} lines, {} applied, {} duplicates ignored, {} rejected, {} accounts",
            self.lines,
            self.applied,
            self.duplicates,
            self.rejected_total(),
            self.accounts
        )?;
        for (i, n) in self.rejected.iter().enumerate() {
            if *n > 0 {
                write!(f, "\n  rejected {}: {n}", RejectReason::ALL[i])?;
            }
        }
        if self.unknown_contacts > 0 {
            write!(
                f,
                "\n  contact attempts under unknown contact ids (applied to the caps): {}",
                self.unknown_contacts
            )?;
        }
        Ok(())
    }
}

/// Applies every line of `input` to `pipeline`, writing rejects to `rejects`.
pub fn apply_lines(
    pipeline: &mut Pipeline,
    input: impl Read,
    rejects: Option<&mut dyn Write>,
    rows: Option<&mut Collector>,
) -> Result<Summary, ReplayError> {
    apply_lines_recording(pipeline, input, rejects, rows, None)
}

/// [`apply_lines`], also writing the decision record of every item version to `decisions` (the
/// pipeline must be collecting them: [`Pipeline::collect_decisions`]).
pub fn apply_lines_recording(
    pipeline: &mut Pipeline,
    input: impl Read,
    mut rejects: Option<&mut dyn Write>,
    mut rows: Option<&mut Collector>,
    mut decisions: Option<&mut dyn Write>,
) -> Result<Summary, ReplayError> {
    let mut reader = BufReader::with_capacity(1 << 20, input);
    let mut buf = Vec::with_capacity(4096);
    let mut s = Summary::default();
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| ReplayError::Usage(format!("cannot read input: {e}")))?;
        if n == 0 {
            break;
        }
        s.lines += 1;
        let line = trim_eol(&buf);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let result = match (rows.as_deref_mut(), decisions.is_some()) {
            (None, false) => pipeline.process_record(line),
            (collector, _) => match crate::engine::events::decode(line) {
                Ok(ev) => {
                    if let Some(c) = collector {
                        c.before_event(pipeline, ev.occurred_at);
                    }
                    if decisions.is_some() {
                        pipeline.set_position(crate::engine::decisions::Position::Line {
                            line: s.lines,
                            event_id: ev.event_id.clone(),
                        });
                    }
                    pipeline.apply(&ev)
                }
                Err(r) => {
                    pipeline.count_reject(r.reason);
                    Err(r)
                }
            },
        };
        if let Some(w) = decisions.as_deref_mut() {
            write_decisions(pipeline, w)?;
        }
        match result {
            Ok(crate::engine::pipeline::Applied::Duplicate) => s.duplicates += 1,
            Ok(_) => s.applied += 1,
            Err(r) => {
                s.rejected[r.reason as usize] += 1;
                if let Some(w) = rejects.as_deref_mut() {
                    let rec = serde_json::json!({
                        "line": s.lines,
                        "reason": r.reason.as_str(),
                        "detail": r.detail,
                        "record": String::from_utf8_lossy(line),
                    });
                    writeln!(w, "{rec}")
                        .map_err(|e| ReplayError::Output(format!("cannot write rejects: {e}")))?;
                }
            }
        }
    }
    s.accounts = pipeline.len();
    s.unknown_contacts = pipeline.stats().unknown_contacts;
    Ok(s)
}

fn trim_eol(b: &[u8]) -> &[u8] {
    let mut end = b.len();
    while end > 0 && (b[end - 1] == b'\n' || b[end - 1] == b'\r') {
        end -= 1;
    }
    &b[..end]
}

/// Writes ranked work items as JSONL.
pub fn write_items(items: &[WorkItem], out: impl Write) -> io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 20, out);
    for item in items {
        serde_json::to_writer(&mut w, item)?;
        w.write_all(b"\n")?;
    }
    w.flush()
}

/// Runs `arrears replay` with the given arguments.
pub fn run(args: &ReplayArgs) -> Result<Summary, ReplayError> {
    let settings = Settings::load(args.config.as_deref(), true)
        .map_err(|e| ReplayError::Usage(e.to_string()))?;
    let scorer = Scorer::load_settings(&settings).map_err(|e| ReplayError::Usage(e.to_string()))?;
    let mut pipeline = Pipeline::new(Arc::new(settings), Arc::new(scorer));
    // Replaying "as of" a time: events far after it are refused (events.max_clock_skew_hours).
    if let Some(t) = args.as_of {
        pipeline.set_clock_floor(t);
    }
    let input: Box<dyn Read> = match &args.input {
        Some(path) => Box::new(File::open(path).map_err(|e| {
            ReplayError::Usage(format!("cannot open input {}: {e}", path.display()))
        })?),
        None => Box::new(io::stdin().lock()),
    };
    let mut rejects_file = match &args.rejects {
        Some(path) => Some(BufWriter::new(File::create(path).map_err(|e| {
            ReplayError::Output(format!(
                "cannot create rejects file {}: {e}",
                path.display()
            ))
        })?)),
        None => None,
    };
    let mut collector = args
        .training_rows
        .as_ref()
        .map(|_| Collector::new(args.cadence_days));
    let mut decisions_file = match &args.decisions {
        Some(path) => {
            pipeline.collect_decisions();
            Some(BufWriter::with_capacity(
                1 << 20,
                File::create(path).map_err(|e| {
                    ReplayError::Output(format!(
                        "cannot create decision records {}: {e}",
                        path.display()
                    ))
                })?,
            ))
        }
        None => None,
    };
    let summary = apply_lines_recording(
        &mut pipeline,
        input,
        rejects_file.as_mut().map(|w| w as &mut dyn Write),
        collector.as_mut(),
        decisions_file.as_mut().map(|w| w as &mut dyn Write),
    )?;
    if let Some(mut w) = rejects_file {
        w.flush()
            .map_err(|e| ReplayError::Output(format!("cannot write rejects: {e}")))?;
    }
    if let (Some(path), Some(c)) = (&args.training_rows, &collector) {
        let end = end_clock(&pipeline, args.as_of);
        let file = File::create(path).map_err(|e| {
            ReplayError::Output(format!(
                "cannot create training rows {}: {e}",
                path.display()
            ))
        })?;
        let n = end
            .map(|end| c.write(&pipeline, end, BufWriter::new(file)))
            .transpose()
            .map_err(|e| ReplayError::Output(format!("cannot write training rows: {e}")))?;
        eprintln!(
            "training rows: {} written to {}",
            n.unwrap_or(0),
            path.display()
        );
    }
    let items = finish(&mut pipeline, args.as_of);
    if let Some(mut w) = decisions_file {
        write_decisions(&mut pipeline, &mut w)?;
        w.flush()
            .map_err(|e| ReplayError::Output(format!("cannot write decision records: {e}")))?;
    }
    let written = match &args.output {
        Some(path) => File::create(path).and_then(|f| write_items(&items, f)),
        None => write_items(&items, io::stdout().lock()),
    };
    written.map_err(|e| ReplayError::Output(format!("cannot write work items: {e}")))?;
    // The process ends right after: skip freeing every account one by one.
    std::mem::forget(pipeline);
    Ok(summary)
}

/// Moves the clock to the end of the replay (`as_of` if later than every event), re-evaluates
/// every account there (promises fall due and days past due grow with no event needed) and returns
/// every account's latest item, ranked.
pub fn finish(pipeline: &mut Pipeline, as_of: Option<Timestamp>) -> Vec<WorkItem> {
    match end_clock(pipeline, as_of) {
        Some(end) => pipeline.evaluate_all_items(end).0,
        None => Vec::new(),
    }
}

/// The clock at the end of a replay: `as_of` if later than every event.
pub fn end_clock(pipeline: &Pipeline, as_of: Option<Timestamp>) -> Option<Timestamp> {
    match (pipeline.clock(), as_of) {
        (Some(c), Some(a)) => Some(c.max(a)),
        (c, a) => c.or(a),
    }
}
