//! Hidden debtor traits: who each simulated debtor is (willingness, ability, reachability, zone,
//! payday, product and money), drawn once per account from its own seeded stream, plus the
//! truth-file (CSV) rendering of them and the deterministic phone numbers of their contacts.
//!
//! Traits never appear in the event stream; only what a lender would know (zone, currency, product,
//! limit, a disclosed payday, contact list) is published, by `account_opened`.

use std::fmt::Write as _;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution, LogNormal};

use super::calendar::{PhonePlan, ZONES};
use super::rng::{chance, mix, pick_weighted};

/// What the account is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    /// Revolving card: statement = the cycle's new spend, minimum a share of it.
    CreditCard,
    /// Instalment loan: statement = one instalment, due in full.
    PersonalLoan,
    /// Buy-now-pay-later plan: a few small instalments.
    Bnpl,
    /// Post-paid phone service: a monthly bill, due in full.
    TelecomPostpaid,
    /// Small-business credit line (the commercial portfolio): monthly invoice, due in full.
    SmeCreditLine,
}

impl Product {
    pub fn as_str(self) -> &'static str {
        match self {
            Product::CreditCard => "credit_card",
            Product::PersonalLoan => "personal_loan",
            Product::Bnpl => "bnpl",
            Product::TelecomPostpaid => "telecom_postpaid",
            Product::SmeCreditLine => "sme_credit_line",
        }
    }

    pub fn portfolio(self) -> &'static str {
        match self {
            Product::SmeCreditLine => "commercial",
            _ => "consumer",
        }
    }

    /// Whether each statement's minimum is its whole amount.
    pub fn due_in_full(self) -> bool {
        !matches!(self, Product::CreditCard)
    }

    /// Whether the product has a finite number of instalments (and closes when they are paid).
    pub fn instalments(self) -> bool {
        matches!(self, Product::PersonalLoan | Product::Bnpl)
    }
}

/// Who a contact is, in the contract's `role` vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Debtor,
    Spouse,
    Relative,
    Employer,
    Guarantor,
    Colleague,
    Other,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Debtor => "debtor",
            Role::Spouse => "spouse",
            Role::Relative => "relative",
            Role::Employer => "employer",
            Role::Guarantor => "guarantor",
            Role::Colleague => "colleague",
            Role::Other => "other",
        }
    }
}

/// A contact as first listed on the account.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ContactTrait {
    pub role: Role,
    pub consent_to_contact: bool,
    pub informed: bool,
}

/// The hidden truth about one simulated account, fixed when the world is built.
#[derive(Debug, Clone)]
pub struct Traits {
    pub account_id: String,
    /// Will the debtor act to pay (0–1)?
    pub willingness: f32,
    /// Can the debtor pay (0–1)?
    pub ability: f32,
    /// How readily the debtor answers the phone (0–1).
    pub reachability: f32,
    /// Local hour at which this debtor is easiest to reach.
    pub best_hour: u8,
    pub(crate) zone: u8,
    pub product: Product,
    /// True day of month the debtor is paid, if salaried.
    pub payday: Option<u8>,
    /// Whether the payday is known to the lender (published in `account_opened`).
    pub payday_disclosed: bool,
    /// Day of month statements fall due (1–28).
    pub due_day: u8,
    /// Credit limit in minor units (revolving products; 0 otherwise).
    pub credit_limit: i64,
    /// Typical amount billed per cycle (spend, bill or instalment), minor units.
    pub cycle_amount: i64,
    /// Statements still to be billed (instalment products; 0 = open-ended).
    pub instalments_left: u16,
    /// Minimum share of a card statement (per mille).
    pub min_permille: u16,
    /// Cycles already missed when the simulation starts (0 = current).
    pub opening_missed: u8,
    /// Amount owed (billed, unpaid) when the simulation starts, minor units.
    pub opening_balance: i64,
    /// Contacts listed at opening (the debtor's number included).
    pub contacts: u8,
    /// Third parties among them who consent to be contacted.
    pub consenting_third_parties: u8,
    /// Whether the debtor's listed number is already out of date at the start (hidden).
    pub number_stale: bool,
}

impl Traits {
    pub fn timezone(&self) -> &'static str {
        ZONES[self.zone as usize].name
    }
    pub fn currency(&self) -> &'static str {
        ZONES[self.zone as usize].currency
    }
    pub fn portfolio(&self) -> &'static str {
        self.product.portfolio()
    }
    /// Converts US cents to this account's minor units, rounded to whole major units.
    pub(crate) fn money(&self, usd_cents: f64) -> i64 {
        let minor = usd_cents * ZONES[self.zone as usize].scale;
        ((minor / 100.0).round() as i64 * 100).max(100)
    }
    /// US-cent equivalent of an amount in this account's currency.
    pub fn to_usd_cents(&self, minor: i64) -> i64 {
        (minor as f64 / ZONES[self.zone as usize].scale).round() as i64
    }

    /// Header of the truth file.
    pub const CSV_HEADER: &'static str = "account_id,willingness,ability,reachability,best_hour,\
timezone,currency,product,portfolio,payday_day_of_month,payday_disclosed,due_day,credit_limit,\
cycle_amount,instalments_left,opening_missed,opening_balance,contacts,consenting_third_parties,\
number_stale";

    /// One truth-file row (no trailing newline).
    pub fn csv_row(&self) -> String {
        let mut s = String::with_capacity(160);
        let _ = write!(
            s,
            "{},{:.4},{:.4},{:.4},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            self.account_id,
            self.willingness,
            self.ability,
            self.reachability,
            self.best_hour,
            self.timezone(),
            self.currency(),
            self.product.as_str(),
            self.portfolio(),
            self.payday.map(|d| d.to_string()).unwrap_or_default(),
            self.payday_disclosed,
            self.due_day,
            self.credit_limit,
            self.cycle_amount,
            self.instalments_left,
            self.opening_missed,
            self.opening_balance,
            self.contacts,
            self.consenting_third_parties,
            self.number_stale,
        );
        s
    }
}

/// Formats account ids: `A-` and at least seven digits (index + 1).
pub fn account_id(index: usize) -> String {
    format!("A-{:07}", index + 1)
}

/// Inverse of [`account_id`] (only for ids it produces).
pub(crate) fn account_index(id: &str) -> Option<usize> {
    let digits = id.strip_prefix("A-")?;
    if digits.len() < 7 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: usize = digits.parse().ok()?;
    (n >= 1 && account_id(n - 1) == id).then(|| n - 1)
}

/// Distributions shared by every account's draw.
pub(crate) struct TraitDists {
    will: Beta<f64>,
    able: Beta<f64>,
    reach: Beta<f64>,
    card_limit: LogNormal<f64>,
    loan: LogNormal<f64>,
    sme_limit: LogNormal<f64>,
}

impl TraitDists {
    pub fn new() -> TraitDists {
        TraitDists {
            will: Beta::new(2.6, 1.5).expect("valid beta"),
            able: Beta::new(2.2, 2.0).expect("valid beta"),
            reach: Beta::new(2.4, 1.8).expect("valid beta"),
            card_limit: LogNormal::new(3_000f64.ln(), 0.7).expect("valid lognormal"),
            loan: LogNormal::new(8_000f64.ln(), 0.6).expect("valid lognormal"),
            sme_limit: LogNormal::new(40_000f64.ln(), 0.8).expect("valid lognormal"),
        }
    }

    /// Draws one account's traits and its contacts at opening.
    pub fn draw(&self, index: usize, rng: &mut ChaCha8Rng) -> (Traits, Vec<ContactTrait>) {
        let weights: Vec<u32> = ZONES.iter().map(|z| z.weight).collect();
        let zone = pick_weighted(rng, &weights) as u8;
        let w0: f64 = self.will.sample(rng);
        let a0: f64 = self.able.sample(rng);
        let r0: f64 = self.reach.sample(rng);
        // Plausible correlations: the able tend to be willing; the unwilling avoid calls.
        let willingness = (0.8 * w0 + 0.2 * a0).clamp(0.01, 0.99);
        let ability = (0.7 * a0 + 0.3 * w0).clamp(0.01, 0.99);
        let reachability = (r0 * (0.55 + 0.45 * willingness)).clamp(0.02, 0.98);
        let best_hour = *[8u8, 8, 8, 9, 9, 10, 11, 14, 17, 18, 19]
            .get(rng.random_range(0..11))
            .unwrap_or(&9);

        let product = match rng.random_range(0..100) {
            0..=47 => Product::CreditCard,
            48..=71 => Product::PersonalLoan,
            72..=81 => Product::Bnpl,
            82..=93 => Product::TelecomPostpaid,
            _ => Product::SmeCreditLine,
        };
        let payday = if chance(rng, 0.75) {
            let days: &[u8] = match ZONES[zone as usize].currency {
                "CNY" | "HKD" => &[10, 10, 15, 15, 5, 20, 25],
                "GBP" | "EUR" => &[25, 28, 28, 31, 31, 1],
                "INR" => &[1, 1, 7, 7, 10],
                "AUD" => &[15, 28, 1, 14],
                _ => &[1, 15, 15, 30, 31, 5, 20],
            };
            Some(days[rng.random_range(0..days.len())])
        } else {
            None
        };
        let payday_disclosed = payday.is_some() && chance(rng, 0.65);
        let due_day = rng.random_range(1..=28u8);

        let mut t = Traits {
            account_id: account_id(index),
            willingness: willingness as f32,
            ability: ability as f32,
            reachability: reachability as f32,
            best_hour,
            zone,
            product,
            payday,
            payday_disclosed,
            due_day,
            credit_limit: 0,
            cycle_amount: 0,
            instalments_left: 0,
            min_permille: 0,
            opening_missed: 0,
            opening_balance: 0,
            contacts: 0,
            consenting_third_parties: 0,
            number_stale: false,
        };
        self.draw_money(&mut t, rng);
        let contacts = draw_contacts(&mut t, rng);
        (t, contacts)
    }

    fn draw_money(&self, t: &mut Traits, rng: &mut ChaCha8Rng) {
        let (w, a) = (f64::from(t.willingness), f64::from(t.ability));
        match t.product {
            Product::CreditCard => {
                let limit = self.card_limit.sample(rng).clamp(300.0, 25_000.0);
                t.credit_limit = t.money(limit * 100.0);
                t.cycle_amount = t.money(limit * 100.0 * rng.random_range(0.06..0.3));
                t.min_permille = [50u16, 80, 100, 150][rng.random_range(0..4)];
            }
            Product::PersonalLoan => {
                let principal = self.loan.sample(rng).clamp(1_000.0, 50_000.0);
                let term = [12u16, 24, 36, 48, 60][rng.random_range(0..5)];
                let total = principal * (1.0 + 0.11 * f64::from(term) / 12.0);
                t.cycle_amount = t.money(total * 100.0 / f64::from(term));
                t.instalments_left = rng.random_range(1..=term);
            }
            Product::Bnpl => {
                let price = rng.random_range(80.0..1_500.0);
                t.cycle_amount = t.money(price * 100.0 / 4.0);
                t.instalments_left = rng.random_range(1..=4);
            }
            Product::TelecomPostpaid => {
                t.cycle_amount = t.money(rng.random_range(25.0..140.0) * 100.0);
            }
            Product::SmeCreditLine => {
                let limit = self.sme_limit.sample(rng).clamp(5_000.0, 400_000.0);
                t.credit_limit = t.money(limit * 100.0);
                t.cycle_amount = t.money(limit * 100.0 * rng.random_range(0.1..0.4));
            }
        }
        // Arrears at the start: the less willing and able, the likelier and deeper.
        let risk = 0.6 * (1.0 - w) + 0.4 * (1.0 - a);
        if chance(rng, 0.03 + 0.4 * risk.powf(2.2)) {
            let mut missed = 1u8;
            while missed < 5 && chance(rng, 0.25 + 0.45 * risk) {
                missed += 1;
            }
            t.start_in_arrears(missed);
        }
    }
}

impl Traits {
    /// Opens the account `missed` cycles behind.
    pub(crate) fn start_in_arrears(&mut self, missed: u8) {
        let mut missed = missed.max(1);
        if self.product.instalments() {
            missed = missed.min(self.instalments_left.min(255) as u8).max(1);
            self.instalments_left -= u16::from(missed).min(self.instalments_left);
            if self.instalments_left == 0 {
                // The last instalments are all in arrears: keep one still to bill.
                self.instalments_left = 1;
            }
        }
        self.opening_missed = missed;
    }
}

fn draw_contacts(t: &mut Traits, rng: &mut ChaCha8Rng) -> Vec<ContactTrait> {
    let mut contacts = vec![ContactTrait {
        role: Role::Debtor,
        consent_to_contact: true,
        informed: true,
    }];
    let n = match rng.random_range(0..100) {
        0..=44 => 0,
        45..=79 => 1,
        80..=94 => 2,
        _ => 3,
    };
    for _ in 0..n {
        let role = if t.product == Product::SmeCreditLine {
            [
                Role::Employer,
                Role::Colleague,
                Role::Guarantor,
                Role::Other,
            ][rng.random_range(0..4)]
        } else {
            match rng.random_range(0..100) {
                0..=29 => Role::Spouse,
                30..=64 => Role::Relative,
                65..=79 => Role::Employer,
                80..=87 => Role::Colleague,
                88..=92 => Role::Guarantor,
                _ => Role::Other,
            }
        };
        let informed = match role {
            Role::Guarantor => true,
            Role::Spouse => chance(rng, 0.6),
            _ => chance(rng, 0.25),
        };
        let consent_to_contact = role == Role::Guarantor || chance(rng, 0.55);
        contacts.push(ContactTrait {
            role,
            consent_to_contact,
            informed,
        });
    }
    t.contacts = contacts.len() as u8;
    t.consenting_third_parties = contacts
        .iter()
        .filter(|c| c.role != Role::Debtor && c.consent_to_contact)
        .count() as u8;
    t.number_stale = chance(rng, 0.02 + 0.08 * (1.0 - f64::from(t.reachability)));
    contacts
}

/// The E.164 phone number of contact `contact_no` (1-based) of account `index` (a new number is a
/// new contact). Pure function of its inputs.
pub(crate) fn phone(seed: u64, index: usize, zone: u8, contact_no: u8) -> String {
    let plan: PhonePlan = ZONES[zone as usize].phone;
    let mut h = mix(&[seed, index as u64, u64::from(contact_no), 0xf0e]);
    let prefix = plan.prefixes[(h % plan.prefixes.len() as u64) as usize];
    let mut s = String::with_capacity(1 + plan.country.len() + plan.national_len);
    s.push('+');
    s.push_str(plan.country);
    s.push_str(prefix);
    for i in prefix.len()..plan.national_len {
        h = mix(&[h, i as u64]);
        // US-style subscriber numbers do not start with 0 or 1.
        let digit = if i == prefix.len() && plan.country == "1" {
            2 + h % 8
        } else {
            h % 10
        };
        s.push(char::from(b'0' + digit as u8));
    }
    s
}
