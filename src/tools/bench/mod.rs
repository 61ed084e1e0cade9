//! `arrears bench`: measures replay throughput (events per second on one core) on a generated
//! event file, side by side with its anchor (serde_json parsing the same lines) and with the
//! share of each stage, the final ranking, the day's rollover sweep and the memory per account,
//! and prints the numbers (`--json` for a summary). A program to run on purpose, never a test.

mod args;
pub mod kafka;
mod matrix;
mod replay;
pub mod stages;

use std::io::Write;

use anyhow::Context;

pub use self::args::BenchArgs;
use self::replay::write_text;
pub use self::replay::{generate, measure, measure_in_child, ReplayReport};

pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    if args.kafka {
        return kafka::run(args, &args.kafka_args);
    }
    if !args.matrix.is_empty() {
        return matrix::run(args);
    }
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let path = match (&args.input, &args.keep) {
        (Some(p), _) | (None, Some(p)) => p.clone(),
        (None, None) => dir.path().join("bench-events.jsonl"),
    };
    let report = match &args.input {
        Some(path) => measure(path, args.days, !args.no_stages)?,
        None => {
            generate(&path, args.accounts, args.events, args.days, args.seed)?;
            // Measured by a process of its own: the memory the replay adds is then not memory
            // the simulator freed.
            measure_in_child(&path, args.days, args.no_stages)?
        }
    };
    let mut out: Box<dyn Write> = if args.kafka_args.json {
        Box::new(std::io::stderr())
    } else {
        Box::new(std::io::stdout())
    };
    write_text(&mut out, &report)?;
    out.flush()?;
    if args.kafka_args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(())
}
