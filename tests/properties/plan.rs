//! Plans: the abstract accounts and steps that proptest generates and shrinks.

use proptest::prelude::*;

use crate::vocab::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Statement,
    Payment,
    Reversal,
    Fee,
    Promise,
    FlagSet,
    FlagCleared,
    Attempt,
    Updated,
    Closed,
    Redeliver,
    /// A burst of 2–8 calls minutes to hours apart (stresses the caps).
    Burst,
}

#[derive(Debug, Clone)]
pub struct Step {
    /// Seconds since the account's previous event (0: the same instant).
    pub gap_s: u32,
    pub kind: Kind,
    pub r: [u32; 4],
}

#[derive(Debug, Clone)]
pub struct ThirdSpec {
    pub role: usize,
    pub consent: bool,
    pub informed: bool,
}

#[derive(Debug, Clone)]
pub struct AccountPlan {
    pub id_prefix: usize,
    pub tz: usize,
    pub currency: usize,
    /// 0: field absent, 1: consumer, 2: commercial.
    pub portfolio: u8,
    pub payday: Option<u8>,
    pub credit_limit: Option<i64>,
    pub debtors: u8,
    pub third: Vec<ThirdSpec>,
    /// `account_opened` comes after this many steps (0: first).
    pub open_after: u8,
    pub start_offset_min: u32,
    pub phone_seed: u64,
    /// (amount_due, minimum %, due date offset in days from the opening's local date)
    pub first_statement: Option<(u32, u8, i32)>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone)]
pub struct Case {
    pub start_day: u32,
    pub start_min: u32,
    pub accounts: Vec<AccountPlan>,
    pub split_mask: u8,
}

/// Gaps of seconds to days: mostly whole minutes, sometimes with odd seconds, rarely zero.
pub fn gap() -> impl Strategy<Value = u32> {
    let minutes = prop_oneof![
        9 => 1u32..=180,
        6 => 180u32..=36 * 60,
        5 => 1440u32..=10 * 1440,
    ];
    (
        minutes,
        prop_oneof![6 => Just(0u32), 1 => 1u32..60],
        0u8..40,
    )
        .prop_map(|(m, s, z)| if z == 0 { 0 } else { m * 60 + s })
}

pub fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        10 => Just(Kind::Statement),
        7 => Just(Kind::Payment),
        4 => Just(Kind::Reversal),
        3 => Just(Kind::Fee),
        4 => Just(Kind::Promise),
        3 => Just(Kind::FlagSet),
        3 => Just(Kind::FlagCleared),
        32 => Just(Kind::Attempt),
        3 => Just(Kind::Updated),
        1 => Just(Kind::Closed),
        1 => Just(Kind::Redeliver),
        4 => Just(Kind::Burst),
    ]
}

pub fn step() -> impl Strategy<Value = Step> {
    (gap(), kind(), any::<[u32; 4]>()).prop_map(|(gap_s, kind, r)| Step { gap_s, kind, r })
}

pub fn account_plan() -> impl Strategy<Value = AccountPlan> {
    (
        (
            0..ID_PREFIXES.len(),
            0..ZONES.len(),
            0..CURRENCIES.len(),
            0u8..3,
            proptest::option::of(1u8..=31),
            proptest::option::of(0i64..2_000_000),
        ),
        (
            prop_oneof![1 => Just(0u8), 5 => Just(1u8), 2 => Just(2u8)],
            prop::collection::vec(
                (0..THIRD_ROLES.len(), any::<bool>(), any::<bool>()).prop_map(
                    |(role, consent, informed)| ThirdSpec {
                        role,
                        consent,
                        informed,
                    },
                ),
                0..=3,
            ),
            prop_oneof![5 => Just(0u8), 1 => 1u8..=4],
            0u32..3 * 1440,
            any::<u64>(),
        ),
        proptest::option::weighted(0.85, (2_000u32..300_000, 0u8..=100, -60i32..=10)),
        prop::collection::vec(step(), 0..=MAX_STEPS),
    )
        .prop_map(
            |(
                (id_prefix, tz, currency, portfolio, payday, credit_limit),
                (debtors, third, open_after, start_offset_min, phone_seed),
                first_statement,
                steps,
            )| AccountPlan {
                id_prefix,
                tz,
                currency,
                portfolio,
                payday,
                credit_limit,
                debtors,
                third,
                open_after,
                start_offset_min,
                phone_seed,
                first_statement,
                steps,
            },
        )
}

pub fn case() -> impl Strategy<Value = Case> {
    (
        0u32..=240,
        0u32..1440,
        prop::collection::vec(account_plan(), 1..=4),
        any::<u8>(),
    )
        .prop_map(|(start_day, start_min, accounts, split_mask)| Case {
            start_day,
            start_min,
            accounts,
            split_mask,
        })
}
