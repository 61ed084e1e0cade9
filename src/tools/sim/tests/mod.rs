//! The simulator's own tests: both response models' determinism (the legacy model's bytes pinned
//! to the stream it wrote before the calibrated model existed), days beyond the configured run,
//! the paired oracle (the world untouched, zero effect where nothing can change, texts weaker
//! than conversations, conversations changing whether debtors pay) and how payment plans are
//! weighed.

mod determinism;
mod paired;
mod plans;

use super::channel::{Channel, PlannedContact};
use super::config::{ResponseModel, SimConfig};
use super::dialer::{Dialer, HouseDialer};
use super::view::AccountView;
use super::world::World;

/// A configuration under one response model.
fn config(accounts: usize, days: u32, seed: u64, model: ResponseModel) -> SimConfig {
    let mut cfg = SimConfig::new(accounts, days, seed);
    cfg.response = model;
    cfg
}

/// Runs a whole world with a dialer; the stream's bytes and the world.
fn run(cfg: &SimConfig, dialer: &mut dyn Dialer) -> (Vec<u8>, World) {
    let mut world = World::new(cfg);
    let mut out = Vec::new();
    world
        .run(dialer, &mut out, |_| {})
        .expect("in-memory write");
    (out, world)
}

fn run_house(cfg: &SimConfig) -> (Vec<u8>, World) {
    let mut dialer = HouseDialer::new(cfg.calls_per_day(), cfg.seed);
    run(cfg, &mut dialer)
}

/// Steps `world` through days `days` with `dialer`; the lines, newline-terminated.
fn step(world: &mut World, days: std::ops::Range<u32>, dialer: &mut dyn Dialer) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut lines = Vec::new();
    for day in days {
        world.step_day(day, dialer, &mut lines);
        for l in lines.drain(..) {
            bytes.extend_from_slice(l.as_bytes());
            bytes.push(b'\n');
        }
    }
    bytes
}

/// A call or text to the debtor's current number at 10:00 local on simulated day `day`.
fn plan(world: &World, acct: &AccountView, day: u32, channel: Channel) -> Option<PlannedContact> {
    let debtor = acct.debtor_contact()?;
    let at = acct.instant_at_local(world.day_start(day), world.day_start(day + 1), 10, 0)?;
    Some(PlannedContact {
        account_id: acct.account_id().to_owned(),
        contact_id: Some(debtor.contact_id()),
        channel,
        at,
        third_party: false,
        disclose_debt: true,
    })
}
