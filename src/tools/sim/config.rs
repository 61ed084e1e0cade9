//! What a simulation is asked to do: the `arrears simulate` options ([`SimulateArgs`], [`Book`],
//! [`ResponseModel`]) and the [`SimConfig`] the world is built from.

use std::path::PathBuf;

use jiff::civil::Date;

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
    /// How debtors respond to contacts and pay on their own: `calibrated` (to published field
    /// evidence, see docs/simulator.md) or `legacy` (the original model, byte for byte).
    #[arg(long, value_enum, default_value = "calibrated")]
    pub response: ResponseModel,
    /// Print the calibration report (both response models on a collections book of `--accounts`
    /// accounts and `--seed`: self-cure by stage, paired effects of one call and one text)
    /// instead of writing a stream.
    #[arg(long)]
    pub calibration_report: bool,
}

/// Which accounts the simulated portfolio holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Book {
    Full,
    Collections,
}

/// How simulated debtors respond to contacts and pay on their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ResponseModel {
    /// The original model: a contact mostly changes *when* a debtor pays (self-cure is high),
    /// texts are about as strong as calls, a promise's plan replaces the debtor's own.
    Legacy,
    /// Calibrated to field evidence (docs/simulator.md): a right-party conversation changes
    /// *whether* a persuadable debtor pays, texts are weak reminders, late stages rarely self-cure.
    #[default]
    Calibrated,
}

impl ResponseModel {
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseModel::Legacy => "legacy",
            ResponseModel::Calibrated => "calibrated",
        }
    }
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
    /// The contact-policy profile every simulated account is under (the audit judges by it).
    pub profile: String,
    /// How debtors respond to contacts and pay on their own.
    pub response: ResponseModel,
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
            profile: "strict".to_owned(),
            response: ResponseModel::Calibrated,
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
            response: a.response,
            ..SimConfig::new(a.accounts, a.days, a.seed)
        }
    }
}
