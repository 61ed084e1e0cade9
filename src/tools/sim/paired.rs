//! The paired counterfactual oracle ([`World::paired_value`], [`World::paired_outcomes`]): what
//! one contact to one account is worth, judged from the hidden truth. It forks the account (a
//! copy of its true state, its traits, scratch statistics, audit and output), runs the account's
//! own agenda forward with the contact and without it (nothing else contacts it), and compares.
//!
//! Accounts are independent (their own random streams), so a fork is exact for its account. The
//! two arms share common random numbers: each agenda step draws from a stream keyed by the seed,
//! the account, the replicate and the step's instant (and its rank among steps at that instant),
//! so an item that happens in both arms draws the same numbers in both; the contact has a stream
//! of its own. A contact that changes nothing for the debtor gives exactly zero difference. The
//! world itself (state, statistics, audit, random streams) is never touched.

use rand_chacha::ChaCha8Rng;

use super::account::{Account, NEVER};
use super::behaviour::Ctx;
use super::calendar::DAY;
use super::channel::PlannedContact;
use super::rng::{mix, stream, STREAM_PAIRED, STREAM_PAIRED_CONTACT};
use super::stats::SimStats;
use super::traits::account_index;
use super::violations::Violations;
use super::world::{Shared, World};

/// Expected collections from one account with and without one contact (US cents, net of
/// reversals), averaged over paired replicates.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PairedValue {
    pub with_contact: f64,
    pub without: f64,
}

impl PairedValue {
    /// What the contact adds (may be negative: over-contact provokes complaints).
    pub fn gain(&self) -> f64 {
        self.with_contact - self.without
    }
}

/// [`PairedValue`] over one horizon, with the share of replicates that saw any payment and what
/// happened in the replicates where the contact was a right-party conversation.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PairedOutcome {
    pub horizon_days: u32,
    pub replicates: u32,
    pub value: PairedValue,
    /// Share of replicates with at least one payment received in the window, with the contact.
    pub paid_with_contact: f64,
    /// The same without the contact.
    pub paid_without: f64,
    /// Replicates in which the contact was a right-party conversation.
    pub right_party_replicates: u32,
    /// Sum over those replicates of (with − without) collections, US cents.
    pub right_party_gain: f64,
    /// Sum over those replicates of (paid with − paid without), each −1, 0 or 1.
    pub right_party_paid_gain: f64,
}

/// What one arm collected by the end of one window.
#[derive(Debug, Clone, Copy, Default)]
struct Mark {
    cents: i64,
    paid: bool,
}

/// One arm of one replicate: a copy of the account stepped on scratch state.
struct Fork<'w> {
    sh: Shared<'w>,
    idx: usize,
    replicate: u64,
    acct: Account,
    stats: SimStats,
    violations: Violations,
    out: Vec<String>,
    last_t: i64,
    same: u64,
}

impl<'w> Fork<'w> {
    fn new(sh: Shared<'w>, idx: usize, replicate: u32) -> Fork<'w> {
        Fork {
            sh,
            idx,
            replicate: u64::from(replicate),
            acct: sh.accounts[idx].clone(),
            stats: SimStats::default(),
            violations: Violations::default(),
            out: Vec::new(),
            last_t: NEVER,
            same: 0,
        }
    }

    fn ctx(&mut self, rng: ChaCha8Rng) -> Ctx<'_> {
        Ctx {
            idx: self.idx,
            tr: &self.sh.traits[self.idx],
            a: &mut self.acct,
            zones: self.sh.zones,
            cfg: self.sh.cfg,
            stats: &mut self.stats,
            violations: &mut self.violations,
            rules: self.sh.rules,
            out: &mut self.out,
            rng,
            mute: true,
        }
    }

    /// The stream of the agenda step at `t`: the same in both arms for the same replicate.
    fn agenda_rng(&mut self, t: i64) -> ChaCha8Rng {
        if t == self.last_t {
            self.same += 1;
        } else {
            self.last_t = t;
            self.same = 0;
        }
        let key = mix(&[self.replicate, t as u64, self.same]);
        stream(self.sh.cfg.seed, STREAM_PAIRED, self.idx as u64, key)
    }

    /// Runs the account's agenda (and `contact` at its instant, after agenda items due at the same
    /// instant, as the world does) until every window end in `ends` (ascending) is reached;
    /// fills `marks` with what was collected from `from` to each end. Returns whether the contact
    /// was a right-party conversation.
    fn run(
        &mut self,
        mut contact: Option<&PlannedContact>,
        from: i64,
        ends: &[i64],
        marks: &mut [Mark],
    ) -> bool {
        let mut base: Option<(i64, u64)> = None;
        let mut right_party = false;
        let mut k = 0;
        while k < ends.len() {
            let t = self.acct.next_at;
            let now = contact.filter(|_| from < t);
            let step_at = if now.is_some() { from } else { t };
            if step_at >= from && base.is_none() {
                base = Some((self.stats.collected_usd_cents, self.stats.payments));
            }
            while k < ends.len() && ends[k] <= step_at {
                let (cents, payments) = base.unwrap_or_default();
                marks[k] = Mark {
                    cents: self.stats.collected_usd_cents - cents,
                    paid: self.stats.payments > payments,
                };
                k += 1;
            }
            if k == ends.len() {
                break;
            }
            if let Some(plan) = now {
                contact = None;
                let rng = stream(
                    self.sh.cfg.seed,
                    STREAM_PAIRED_CONTACT,
                    self.idx as u64,
                    self.replicate,
                );
                let rpc = self.stats.right_party_contacts;
                self.ctx(rng).run_contact(from, plan);
                right_party = self.stats.right_party_contacts > rpc;
            } else {
                let rng = self.agenda_rng(t);
                self.ctx(rng).run_agenda(t);
            }
            self.out.clear();
        }
        right_party
    }
}

impl World {
    /// Expected collections (US cents, net of reversals) from account `index` over the next
    /// `horizon_days` days from `plan.at`, if `plan` is executed at `plan.at` and nothing else is
    /// contacted, and if it is not, averaged over `replicates` paired draws.
    ///
    /// The world is not changed (`&self`): state, statistics, audit and random streams are as
    /// before. A plan for another account than `index`, or one the world would reject (no such
    /// contact, account not yet opened), is not executed: both values are then equal. `plan.at`
    /// should not precede what the world has already simulated.
    ///
    /// # Panics
    /// If `index` is not an account of this world.
    pub fn paired_value(
        &self,
        index: usize,
        plan: &PlannedContact,
        horizon_days: u32,
        replicates: u32,
    ) -> PairedValue {
        self.paired_outcomes(index, plan, &[horizon_days], replicates)[0].value
    }

    /// [`World::paired_value`] for several horizons at once (the same forks), with payment shares
    /// and the right-party conversations' part. One outcome per horizon, in the order given.
    ///
    /// # Panics
    /// If `index` is not an account of this world.
    pub fn paired_outcomes(
        &self,
        index: usize,
        plan: &PlannedContact,
        horizons: &[u32],
        replicates: u32,
    ) -> Vec<PairedOutcome> {
        let sh = self.shared();
        assert!(
            index < sh.accounts.len(),
            "no account {index} in this world"
        );
        let from = plan.at.as_second();
        let mut order: Vec<usize> = (0..horizons.len()).collect();
        order.sort_by_key(|&h| horizons[h]);
        let ends: Vec<i64> = order
            .iter()
            .map(|&h| from.saturating_add(i64::from(horizons[h]) * DAY))
            .collect();
        let contact = (account_index(&plan.account_id) == Some(index)).then_some(plan);
        let mut out: Vec<PairedOutcome> = horizons
            .iter()
            .map(|&h| PairedOutcome {
                horizon_days: h,
                replicates,
                ..PairedOutcome::default()
            })
            .collect();
        let (mut with, mut without) = (
            vec![Mark::default(); ends.len()],
            vec![Mark::default(); ends.len()],
        );
        for r in 0..replicates {
            let rpc = Fork::new(sh, index, r).run(contact, from, &ends, &mut with);
            Fork::new(sh, index, r).run(None, from, &ends, &mut without);
            for (k, &h) in order.iter().enumerate() {
                let (w, wo) = (with[k], without[k]);
                let o = &mut out[h];
                o.value.with_contact += w.cents as f64;
                o.value.without += wo.cents as f64;
                o.paid_with_contact += f64::from(u8::from(w.paid));
                o.paid_without += f64::from(u8::from(wo.paid));
                if rpc {
                    o.right_party_replicates += 1;
                    o.right_party_gain += (w.cents - wo.cents) as f64;
                    o.right_party_paid_gain +=
                        f64::from(u8::from(w.paid)) - f64::from(u8::from(wo.paid));
                }
            }
        }
        let n = f64::from(replicates.max(1));
        for o in &mut out {
            o.value.with_contact /= n;
            o.value.without /= n;
            o.paid_with_contact /= n;
            o.paid_without /= n;
        }
        out
    }
}
