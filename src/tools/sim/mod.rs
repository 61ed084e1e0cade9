//! The portfolio simulator behind `arrears simulate`: a deterministic, agent-based synthetic
//! collections portfolio that writes a time-ordered JSONL event stream in the wire contract.
//!
//! Each debtor has hidden traits (willingness, ability, reachability, time zone, payday, product,
//! money) that drive billing, payments, promises, answers to calls and rare life events. A
//! [`Dialer`] decides whom to contact each day; the [`World`] executes those contacts, audits them
//! against the contact policy ([`Violations`]) and keeps [`SimStats`], so different dialers can be
//! compared in the same world. Same configuration and seed → byte-identical output.
//!
//! Modules: `traits` (who the debtors are), `account` (their true state), `behaviour` (billing and
//! payments), `flags` (rare events and follow-ups), `contact` (what contacts do), `dialer` and
//! `view` (the dialer interface and the house baseline), `violations` (the audit), `world` (the day
//! loop), `output` and `calendar` (formatting and time zones), `rng` (seeded streams).

mod account;
mod behaviour;
mod calendar;
mod contact;
mod dialer;
mod flags;
mod output;
mod rng;
mod traits;
mod view;
mod violations;
mod world;

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use jiff::civil::Date;

pub use account::Flag;
pub use dialer::{Channel, Dialer, HouseDialer, IdleDialer, PlannedContact};
pub use traits::{account_id, Product, Role, Traits};
pub use view::{AccountView, ContactView, WorldView};
pub use violations::Violations;
pub use world::{DayStats, SimStats, World};

/// Options of `arrears simulate`.
#[derive(clap::Args, Debug, Clone)]
pub struct SimulateArgs {
    /// Number of accounts in the portfolio.
    #[arg(long, default_value_t = 10_000)]
    pub accounts: usize,
    /// Number of days to simulate.
    #[arg(long, default_value_t = 90)]
    pub days: u32,
    /// Random seed; the same arguments always give the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Event stream (JSONL); stdout when absent.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Also write the hidden debtor traits here (CSV, one row per account).
    #[arg(long)]
    pub truth: Option<PathBuf>,
    /// First simulated day (UTC), YYYY-MM-DD.
    #[arg(long, default_value = "2026-01-05")]
    pub start: Date,
    /// Daily call capacity of the house dialer, as a fraction of the number of accounts.
    #[arg(long, default_value_t = 0.05)]
    pub capacity: f64,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// `full`: a whole lending book (about one account in ten starts behind); `collections`: every
    /// account starts delinquent.
    #[arg(long, value_enum, default_value = "full")]
    pub book: Book,
}

/// Which accounts the simulated portfolio holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Book {
    Full,
    Collections,
}

/// What to simulate.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    pub accounts: usize,
    pub days: u32,
    pub seed: u64,
    /// First simulated day; day 0 starts at its UTC midnight.
    pub start: Date,
    /// House dialer calls per day as a fraction of the accounts.
    pub capacity: f64,
    /// Multiplier on the rates of rare events (death, disputes, bankruptcy, …); 1 is realistic.
    pub rare_scale: f64,
    /// Every account starts delinquent (a collections book) instead of a whole lending book.
    pub collections_book: bool,
}

impl SimConfig {
    pub fn new(accounts: usize, days: u32, seed: u64) -> SimConfig {
        SimConfig {
            accounts,
            days,
            seed,
            start: Date::constant(2026, 1, 5),
            capacity: 0.05,
            rare_scale: 1.0,
            collections_book: false,
        }
    }

    /// Calls per day for the house dialer.
    pub fn calls_per_day(&self) -> usize {
        (self.accounts as f64 * self.capacity.max(0.0)).round() as usize
    }
}

impl From<&SimulateArgs> for SimConfig {
    fn from(a: &SimulateArgs) -> SimConfig {
        SimConfig {
            start: a.start,
            capacity: a.capacity,
            collections_book: a.book == Book::Collections,
            ..SimConfig::new(a.accounts, a.days, a.seed)
        }
    }
}

/// `arrears simulate`: builds the world, runs the house dialer over it and writes the stream.
pub fn cmd_simulate(args: &SimulateArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.capacity.is_finite() && args.capacity >= 0.0,
        "--capacity must be a non-negative fraction, got {}",
        args.capacity
    );
    let cfg = SimConfig::from(args);
    let mut world = World::new(&cfg);
    if let Some(path) = &args.truth {
        let file = File::create(path)
            .with_context(|| format!("cannot create truth file {}", path.display()))?;
        world
            .write_truth(&mut BufWriter::new(file))
            .with_context(|| format!("cannot write truth file {}", path.display()))?;
    }
    let mut sink: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(BufWriter::with_capacity(
            1 << 20,
            File::create(path)
                .with_context(|| format!("cannot create output file {}", path.display()))?,
        )),
        None => Box::new(BufWriter::with_capacity(1 << 20, std::io::stdout().lock())),
    };
    let bar = if args.quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::new(u64::from(cfg.days));
        bar.set_style(
            ProgressStyle::with_template(
                "simulating {bar:40} day {pos}/{len} {elapsed} (eta {eta})",
            )
            .expect("valid progress template"),
        );
        bar
    };
    let mut dialer = HouseDialer::new(cfg.calls_per_day(), cfg.seed);
    world
        .run(&mut dialer, &mut sink, |_| bar.inc(1))
        .context("cannot write the event stream")?;
    bar.finish_and_clear();
    let s = world.stats();
    tracing::info!(
        accounts = cfg.accounts,
        days = cfg.days,
        events = s.events,
        collected_usd_cents = s.collected_usd_cents,
        calls = s.calls,
        right_party_contacts = s.right_party_contacts,
        promises_made = s.promises_made,
        promises_kept = s.promises_kept,
        violations = world.violations().total(),
        "simulation finished"
    );
    Ok(())
}
