//! `arrears backtest`: a closed loop over the simulator. Each simulated day the engine's open work
//! items are worked by a dialer of fixed daily capacity, in an order given by the strategy, inside
//! each item's `not_before`/`not_after`; the simulated debtors answer, promise and pay according to
//! their hidden traits, and the resulting events feed back into the engine. Strategies are compared
//! on identical portfolios and seeds; the world counts contact-policy violations on its own.
//!
//! Every strategy works the same lawful items (the engine's actions and windows); only the order
//! differs: `arrears` (priority), `dpd_first` (oldest delinquency first), `balance_first` (largest
//! overdue first), `random`; `idle` makes no contact at all and measures what the portfolio pays
//! on its own, so that each strategy's incremental collections can be compared.
//!
//! `--profile P` puts every simulated account under contact-policy profile P: the engine's
//! settings map every portfolio (and the default) to P, and the world's audit judges by P.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use jiff::{Span, Timestamp};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::engine::domain::{Channel, Party, Status};
use crate::engine::pipeline::Pipeline;
use crate::engine::scoring::Scorer;
use crate::engine::settings::Settings;
use crate::engine::workitem::WorkItem;
use crate::tools::sim::{self, Dialer, PlannedContact, SimConfig, World, WorldView};

/// How a dialer orders the engine's open items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// The engine's priority (expected recovery × urgency ÷ effort).
    Arrears,
    /// Oldest delinquency first.
    #[value(name = "dpd_first")]
    DpdFirst,
    /// Largest overdue amount first.
    #[value(name = "balance_first")]
    BalanceFirst,
    /// Random order (seeded).
    Random,
    /// No contacts at all: what the portfolio pays on its own (the reference for incremental
    /// collections).
    Idle,
}

impl Order {
    pub fn name(self) -> &'static str {
        match self {
            Order::Arrears => "arrears",
            Order::DpdFirst => "dpd_first",
            Order::BalanceFirst => "balance_first",
            Order::Random => "random",
            Order::Idle => "idle",
        }
    }
}

#[derive(clap::Args, Debug, Clone)]
pub struct BacktestArgs {
    /// Accounts in each simulated portfolio.
    #[arg(long, default_value_t = 20_000)]
    pub accounts: usize,
    /// Days to simulate.
    #[arg(long, default_value_t = 60)]
    pub days: u32,
    /// Seeds (one portfolio each), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,2,3")]
    pub seeds: Vec<u64>,
    /// Dialer capacity: calls per day as a fraction of the accounts.
    #[arg(long, default_value_t = 0.05)]
    pub capacity: f64,
    /// Strategies to compare, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "arrears,dpd_first,balance_first,random,idle"
    )]
    pub strategies: Vec<Order>,
    /// Write the results as JSON here.
    #[arg(long, default_value = "backtest.json")]
    pub json: PathBuf,
    /// Draw cumulative collections per strategy (PNG) here.
    #[arg(long, default_value = "backtest.png")]
    pub chart: PathBuf,
    /// Engine configuration (defaults: the shipped config/arrears.toml).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The simulated portfolio: `collections` (every account starts delinquent: the queue a
    /// collections team works) or `full` (a whole lending book).
    #[arg(long, value_enum, default_value = "collections")]
    pub book: crate::tools::sim::Book,
    /// The contact-policy profile every simulated account is under: the engine applies it to
    /// every portfolio and the world's audit judges by it.
    #[arg(long, default_value = "strict")]
    pub profile: String,
    /// Run at most this many simulations at once (default: the number of cores).
    #[arg(long)]
    pub jobs: Option<usize>,
}

/// The engine behind a simulated dialer.
pub struct EngineDialer {
    pipeline: Pipeline,
    order: Order,
    calls_per_day: usize,
    rng: ChaCha8Rng,
    /// Lines the engine rejected (a valid simulation has none).
    pub rejected: u64,
    letters: ahash::AHashMap<String, Timestamp>,
}

impl EngineDialer {
    pub fn new(pipeline: Pipeline, order: Order, calls_per_day: usize, seed: u64) -> EngineDialer {
        EngineDialer {
            pipeline,
            order,
            calls_per_day,
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_d1a1),
            rejected: 0,
            letters: ahash::AHashMap::new(),
        }
    }

    fn sort(&mut self, items: &mut [WorkItem]) {
        match self.order {
            Order::Arrears => {} // already in worklist order
            Order::DpdFirst => items.sort_by(|a, b| {
                b.days_past_due
                    .cmp(&a.days_past_due)
                    .then_with(|| a.account_id.cmp(&b.account_id))
            }),
            Order::BalanceFirst => items.sort_by(|a, b| {
                b.overdue_amount
                    .cmp(&a.overdue_amount)
                    .then_with(|| a.account_id.cmp(&b.account_id))
            }),
            Order::Random => items.shuffle(&mut self.rng),
            Order::Idle => {}
        }
    }
}

/// When to make a contact inside both the item's window and the day, preferring `best_time`.
fn contact_time(item: &WorkItem, day_start: Timestamp, day_end: Timestamp) -> Option<Timestamp> {
    let a = item.action.as_ref()?;
    let from = a.not_before.max(day_start);
    let to = a.not_after.min(day_end);
    if from >= to {
        return None;
    }
    let last = to - Span::new().seconds(60);
    let at = a.best_time.unwrap_or(from).clamp(from, last.max(from));
    Some(at)
}

impl Dialer for EngineDialer {
    fn plan_day(
        &mut self,
        day_start: Timestamp,
        day_end: Timestamp,
        _: &WorldView,
    ) -> Vec<PlannedContact> {
        if self.order == Order::Idle {
            return Vec::new();
        }
        let (items, _) = self.pipeline.evaluate_all_items(day_start);
        let mut open: Vec<WorkItem> = items
            .into_iter()
            .filter(|i| i.status == Status::Open)
            .collect();
        self.sort(&mut open);
        let mut plan = Vec::new();
        let mut calls = 0;
        for item in &open {
            let Some(action) = &item.action else { continue };
            let Some(at) = contact_time(item, day_start, day_end) else {
                continue;
            };
            let channel = match action.channel {
                Channel::Call => {
                    if calls >= self.calls_per_day {
                        continue;
                    }
                    calls += 1;
                    sim::Channel::Call
                }
                Channel::Sms => sim::Channel::Sms,
                Channel::Letter => {
                    // A letter a month at most: letters take no dialer capacity but are not free.
                    let recent = self
                        .letters
                        .get(&item.account_id)
                        .is_some_and(|t| at.as_second() - t.as_second() < 30 * 86_400);
                    if recent {
                        continue;
                    }
                    self.letters.insert(item.account_id.clone(), at);
                    sim::Channel::Letter
                }
                Channel::Email => continue,
            };
            plan.push(PlannedContact {
                account_id: item.account_id.clone(),
                contact_id: action.contact_id.clone(),
                channel,
                at,
                third_party: action.party == Party::ThirdParty,
                disclose_debt: action.disclosure == crate::engine::domain::Disclosure::Full,
            });
        }
        plan
    }

    fn observe(&mut self, line: &str) {
        if self.pipeline.process_record(line.as_bytes()).is_err() {
            self.rejected += 1;
        }
    }

    /// The dialer's last-moment check: the engine, evaluated at the contact's instant, must still
    /// recommend this contact, on this channel, and the instant must be inside its window.
    fn confirm(&mut self, c: &PlannedContact, _: &WorldView) -> bool {
        let Some(ev) = self.pipeline.explain(&c.account_id, c.at) else {
            return false;
        };
        let item = ev.item;
        let Some(a) = item.action.as_ref().filter(|_| item.status == Status::Open) else {
            return false;
        };
        let channel = match a.channel {
            Channel::Call => sim::Channel::Call,
            Channel::Sms => sim::Channel::Sms,
            Channel::Letter => sim::Channel::Letter,
            Channel::Email => return false,
        };
        channel == c.channel
            && a.contact_id == c.contact_id
            && a.not_before <= c.at
            && c.at < a.not_after
    }
}

/// Results of one strategy on one portfolio.
#[derive(Debug, Clone, Serialize)]
pub struct RunResult {
    pub strategy: &'static str,
    pub profile: String,
    pub seed: u64,
    pub accounts: usize,
    pub days: u32,
    pub calls_per_day: usize,
    /// Net of reversals, converted to US cents at the simulator's fixed rates.
    pub collected_usd_cents: i64,
    pub accounts_cured: u64,
    pub calls: u64,
    pub texts: u64,
    pub letters: u64,
    pub right_party_contacts: u64,
    pub third_party_contacts: u64,
    pub promises_made: u64,
    pub promises_kept: u64,
    pub contacts_cancelled: u64,
    pub engine_rejects: u64,
    pub violations: u64,
    pub violations_detail: String,
    pub violations_by_rule: sim::Violations,
    /// Cumulative collections at the end of each day (US cents).
    pub cumulative_usd_cents: Vec<i64>,
}

/// Runs one strategy on one portfolio.
pub fn run_one(
    settings: &Arc<Settings>,
    scorer: &Arc<Scorer>,
    cfg: &SimConfig,
    order: Order,
) -> anyhow::Result<RunResult> {
    let rules = sim::Rules::from_settings(settings, &cfg.profile)
        .with_context(|| format!("no contact-policy profile {:?}", cfg.profile))?;
    let mut world = World::with_rules(cfg, rules);
    let pipeline = Pipeline::new(settings.clone(), scorer.clone());
    let calls_per_day = cfg.calls_per_day();
    let mut dialer = EngineDialer::new(pipeline, order, calls_per_day, cfg.seed);
    world
        .run(&mut dialer, &mut std::io::sink(), |_| {})
        .context("running the simulation")?;
    let s = world.stats();
    let v = world.violations();
    let mut total = 0;
    let cumulative = s
        .days
        .iter()
        .map(|d| {
            total += d.collected_usd_cents;
            total
        })
        .collect();
    Ok(RunResult {
        strategy: order.name(),
        profile: cfg.profile.clone(),
        seed: cfg.seed,
        accounts: cfg.accounts,
        days: cfg.days,
        calls_per_day,
        collected_usd_cents: s.collected_usd_cents,
        accounts_cured: s.accounts_cured,
        calls: s.calls,
        texts: s.texts,
        letters: s.letters,
        right_party_contacts: s.right_party_contacts,
        third_party_contacts: s.third_party_contacts,
        promises_made: s.promises_made,
        promises_kept: s.promises_kept,
        contacts_cancelled: s.contacts_cancelled,
        engine_rejects: dialer.rejected,
        violations: v.total(),
        violations_detail: v.to_string(),
        violations_by_rule: *v,
        cumulative_usd_cents: cumulative,
    })
}

/// The whole comparison, as written to JSON.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The contact-policy profile of every account in every run.
    pub profile: String,
    pub runs: Vec<RunResult>,
    /// Per seed: collections of `arrears` over `dpd_first`, minus 1 (0.2 = 20% more).
    pub uplift_over_dpd_first: Vec<(u64, f64)>,
    /// Per seed, when `idle` ran too: collections above `idle` (what the calls brought in) of
    /// `arrears` over those of `dpd_first`, minus 1.
    pub incremental_uplift_over_dpd_first: Vec<(u64, f64)>,
}

pub fn run(args: &BacktestArgs) -> anyhow::Result<Report> {
    anyhow::ensure!(
        args.accounts > 0 && args.days > 0,
        "--accounts and --days must be positive"
    );
    anyhow::ensure!(
        args.capacity > 0.0 && args.capacity <= 1.0,
        "--capacity must be within (0, 1]"
    );
    anyhow::ensure!(
        !args.seeds.is_empty() && !args.strategies.is_empty(),
        "nothing to run"
    );
    let mut settings = Settings::load(args.config.as_deref(), true)?;
    anyhow::ensure!(
        settings.profiles.contains_key(&args.profile),
        "--profile {}: no such contact-policy profile (have: {})",
        args.profile,
        settings
            .profiles
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    );
    // Every portfolio under the chosen profile, in the engine as in the world's audit.
    settings.default_profile = args.profile.clone();
    settings.raw.policy.default_profile = args.profile.clone();
    for p in settings.portfolio_profiles.values_mut() {
        p.clone_from(&args.profile);
    }
    for p in settings.raw.policy.portfolio_profiles.values_mut() {
        p.clone_from(&args.profile);
    }
    let settings = Arc::new(settings);
    let scorer = Arc::new(Scorer::load_settings(&settings)?);
    let mut jobs: Vec<(u64, Order)> = Vec::new();
    for &seed in &args.seeds {
        for &s in &args.strategies {
            jobs.push((seed, s));
        }
    }
    let workers = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, jobs.len());
    let progress = indicatif::ProgressBar::new(jobs.len() as u64);
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        progress.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    progress.set_style(
        indicatif::ProgressStyle::with_template("backtest {bar:30} {pos}/{len} runs, {elapsed}")
            .expect("a valid template"),
    );
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(&(seed, order)) = jobs.get(i) else {
                    break;
                };
                let mut cfg = SimConfig::new(args.accounts, args.days, seed);
                cfg.capacity = args.capacity;
                cfg.collections_book = args.book == crate::tools::sim::Book::Collections;
                cfg.profile.clone_from(&args.profile);
                let r = run_one(&settings, &scorer, &cfg, order);
                results.lock().expect("no worker panicked").push((i, r));
                progress.inc(1);
            });
        }
    });
    progress.finish_and_clear();
    let mut results = results.into_inner().expect("no worker panicked");
    results.sort_by_key(|(i, _)| *i);
    let runs = results
        .into_iter()
        .map(|(_, r)| r)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let uplift = args
        .seeds
        .iter()
        .filter_map(|&seed| {
            let get = |name: &str| runs.iter().find(|r| r.seed == seed && r.strategy == name);
            let (a, d) = (get("arrears")?, get("dpd_first")?);
            Some((
                seed,
                a.collected_usd_cents as f64 / d.collected_usd_cents.max(1) as f64 - 1.0,
            ))
        })
        .collect();
    let incremental = args
        .seeds
        .iter()
        .filter_map(|&seed| {
            let get = |name: &str| {
                runs.iter()
                    .find(|r| r.seed == seed && r.strategy == name)
                    .map(|r| r.collected_usd_cents as f64)
            };
            let (a, d, i) = (get("arrears")?, get("dpd_first")?, get("idle")?);
            Some((seed, (a - i) / (d - i).max(1.0) - 1.0))
        })
        .collect();
    let report = Report {
        profile: args.profile.clone(),
        runs,
        uplift_over_dpd_first: uplift,
        incremental_uplift_over_dpd_first: incremental,
    };
    std::fs::write(&args.json, serde_json::to_string_pretty(&report)?)
        .with_context(|| format!("writing {}", args.json.display()))?;
    draw(&report, &args.chart)?;
    Ok(report)
}

fn draw(report: &Report, path: &std::path::Path) -> anyhow::Result<()> {
    let series: Vec<crate::tools::chart::Series> = report
        .runs
        .iter()
        .map(|r| crate::tools::chart::Series {
            name: format!("{} (seed {})", r.strategy, r.seed),
            points: r
                .cumulative_usd_cents
                .iter()
                .enumerate()
                .map(|(d, c)| ((d + 1) as f64, *c as f64 / 100.0))
                .collect(),
        })
        .collect();
    crate::tools::chart::line_chart(
        path,
        "Cumulative collections by strategy",
        "day",
        "collected (USD equivalent)",
        &series,
    )
}

/// The comparison as a table.
pub fn table(report: &Report) -> String {
    let mut out = format!("contact-policy profile: {}\n", report.profile);
    out.push_str(&format!(
        "{:<14} {:>5} {:>16} {:>8} {:>8} {:>7} {:>9} {:>9} {:>8} {:>10}\n",
        "strategy",
        "seed",
        "collected (USD)",
        "cured",
        "calls",
        "RPCs",
        "promises",
        "kept",
        "texts",
        "violations"
    ));
    for r in &report.runs {
        out.push_str(&format!(
            "{:<14} {:>5} {:>16.2} {:>8} {:>8} {:>7} {:>9} {:>9} {:>8} {:>10}\n",
            r.strategy,
            r.seed,
            r.collected_usd_cents as f64 / 100.0,
            r.accounts_cured,
            r.calls,
            r.right_party_contacts,
            r.promises_made,
            r.promises_kept,
            r.texts,
            r.violations
        ));
    }
    for r in report.runs.iter().filter(|r| r.violations > 0) {
        out.push_str(&format!(
            "{} seed {} violations: {}\n",
            r.strategy, r.seed, r.violations_detail
        ));
    }
    for (seed, u) in &report.uplift_over_dpd_first {
        out.push_str(&format!(
            "seed {seed}: arrears collects {:+.1}% vs dpd_first\n",
            u * 100.0
        ));
    }
    for (seed, u) in &report.incremental_uplift_over_dpd_first {
        out.push_str(&format!(
            "seed {seed}: above what idle collects, arrears brings in {:+.1}% vs dpd_first\n",
            u * 100.0
        ));
    }
    out
}
