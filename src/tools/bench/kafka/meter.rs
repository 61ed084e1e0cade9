//! Progress of a benchmark phase on stderr: a bar on a terminal, otherwise a line every few seconds.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// A progress bar on a terminal, otherwise a line every few seconds; nothing when off.
pub(super) struct Meter {
    pub(super) bar: Option<ProgressBar>,
    pub(super) label: String,
    pub(super) total: u64,
    pub(super) pos: u64,
    pub(super) started: Instant,
    pub(super) last_line: Instant,
    pub(super) on: bool,
}

impl Meter {
    pub(super) fn new(label: &str, total: u64, on: bool) -> Meter {
        let bar = (on && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg:>20} {bar:40} {pos}/{len} {per_sec} {elapsed} (eta {eta})",
                )
                .expect("a valid progress template"),
            );
            bar.set_message(label.to_string());
            bar
        });
        Meter {
            bar,
            label: label.to_string(),
            total,
            pos: 0,
            started: Instant::now(),
            last_line: Instant::now(),
            on,
        }
    }

    pub(super) fn set(&mut self, pos: u64) {
        self.pos = pos;
        if let Some(bar) = &self.bar {
            bar.set_position(pos);
        } else if self.on && self.last_line.elapsed() >= Duration::from_secs(5) {
            self.last_line = Instant::now();
            self.line();
        }
    }

    pub(super) fn line(&self) {
        let secs = self.started.elapsed().as_secs_f64();
        eprintln!(
            "{}: {}/{} ({:.0}/s, {:.1} s)",
            self.label,
            self.pos,
            self.total,
            self.pos as f64 / secs.max(1e-9),
            secs
        );
    }

    pub(super) fn finish(self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if self.on {
            eprintln!(
                "{}: {} in {:.1} s",
                self.label,
                self.pos,
                self.started.elapsed().as_secs_f64()
            );
        }
    }
}
