//! The portfolio simulator behind `arrears simulate`: a deterministic, agent-based synthetic
//! collections portfolio that writes a time-ordered JSONL event stream in the wire contract.
//!
//! Each debtor has hidden traits (willingness, ability, reachability, time zone, payday, product,
//! money) that drive billing, payments, promises, answers to calls and rare life events. A
//! [`Dialer`] decides whom to contact each day; the [`World`] executes those contacts, audits them
//! against the contact policy ([`Violations`]) and keeps [`SimStats`], so different dialers can be
//! compared in the same world. Same configuration and seed → byte-identical output.
//!
//! Two response models ([`ResponseModel`]): `legacy` (the original, byte for byte) and
//! `calibrated` (the default; each parameter sourced in `calibrated.rs` and docs/simulator.md).
//! [`World::paired_value`] is a paired counterfactual oracle: what one contact to one account is
//! worth, judged from the hidden truth on a fork of that account.
//!
//! Modules: `config` (the options and [`SimConfig`]), `traits` (who the debtors are), `account`
//! (their true state), `behaviour` (billing and payments), `flags` (rare events and follow-ups),
//! `contact` (what contacts do), `calibrated` (the calibrated model's parameters and choices),
//! `channel`, `dialer` and `view` (what a dialer asks for, the dialer interface and the house
//! baseline, what it sees), `violations` (the audit), `world` (the day loop), `paired` (the
//! oracle), `report` (`--calibration-report`), `stats` (run figures), `output` and `calendar`
//! (formatting and time zones), `rng` (seeded streams). This file is the facade: it declares and
//! re-exports them and holds `cmd_simulate`.

mod account;
mod behaviour;
mod calendar;
mod calibrated;
mod channel;
mod config;
mod contact;
mod dialer;
mod flags;
mod output;
mod paired;
mod report;
mod rng;
mod stats;
mod traits;
mod view;
mod violations;
mod world;

#[cfg(test)]
mod tests;

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};

pub use account::Flag;
pub use channel::{Channel, PlannedContact};
pub use config::{Book, ResponseModel, SimConfig, SimulateArgs};
pub use dialer::{Dialer, HouseDialer, IdleDialer};
pub use paired::{PairedOutcome, PairedValue};
pub use stats::{DayStats, SimStats};
pub use traits::{account_id, Product, Role, Traits};
pub use view::{AccountView, ContactView, WorldView};
pub use violations::{Rules, ThirdParties, Violations};
pub use world::World;

/// `arrears simulate`: builds the world, runs the house dialer over it and writes the stream (or,
/// with `--calibration-report`, prints the calibration report instead).
pub fn cmd_simulate(args: &SimulateArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.capacity.is_finite() && args.capacity >= 0.0,
        "--capacity must be a non-negative fraction, got {}",
        args.capacity
    );
    if args.calibration_report {
        return report::print(args, &mut std::io::stdout().lock());
    }
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
