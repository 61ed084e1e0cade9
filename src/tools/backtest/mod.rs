//! `arrears backtest`: a closed loop over the simulator. Each simulated day the engine's open work
//! items are worked by a dialer of fixed daily capacity, in an order given by the strategy, inside
//! each item's `not_before`/`not_after`; the simulated debtors answer, promise and pay according to
//! their hidden traits, and the resulting events feed back into the engine. Strategies are compared
//! on identical portfolios and seeds; the world counts contact-policy violations on its own.
//!
//! Every strategy works the same lawful items (the engine's actions and windows); only the order
//! differs: `uplift` (the learned incremental ranking: what a call adds), `expected_recovery`
//! (the order before uplift, kept for comparison), `arrears` (whatever the shipped configuration's
//! champion does), `oracle` (knows the hidden response: the true extra collections of each call,
//! from paired counterfactual runs of the world; an upper bound), `dpd_first` (oldest delinquency
//! first), `balance_first` (largest overdue first), `random`; `idle` makes no contact at all and
//! measures what the portfolio pays on its own. `explore` calls at random and writes its decisions
//! with their propensities and later payments as outcome rows (`--rows`), the training data of the
//! uplift model; train on seeds never used for testing.
//!
//! `--continue-to D` keeps each world running with no contact at all up to day D (150 by
//! default) and reports what was collected by then: whether a strategy's gain is real or only
//! pulled forward.
//!
//! `--profile P` puts every simulated account under contact-policy profile P: the engine's
//! settings map every portfolio (and the default) to P, and the world's audit judges by P.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;

use crate::engine::domain::{Channel, Status};
use crate::engine::experiments::PriorityMode;
use crate::engine::pipeline::Pipeline;
use crate::engine::scoring::Scorer;
use crate::engine::settings::Settings;
use crate::tools::sim::{self, SimConfig, World};

mod dialer;
mod report;

pub use dialer::{contact_time, planned, Counted, EngineDialer, Order};
pub use report::{table, Report, RunResult, Summary};

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
        default_value = "uplift,expected_recovery,oracle,dpd_first,balance_first,random,idle"
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
    /// The simulated debtors' response model.
    #[arg(long, value_enum, default_value = "calibrated")]
    pub response: sim::ResponseModel,
    /// Keep every world running with no contact up to this day and report what was collected by
    /// then (0: do not continue).
    #[arg(long, default_value_t = 150)]
    pub continue_to: u32,
    /// The oracle's horizon: the extra collections of a call over this many days (0: until the
    /// end of the run, what the run's collections count).
    #[arg(long, default_value_t = 0)]
    pub oracle_horizon_days: u32,
    /// The oracle's paired draws per call.
    #[arg(long, default_value_t = 8)]
    pub oracle_replicates: u32,
    /// `explore`: write the outcome rows (CSV) here (`<path>` gets `.seed<N>` before the
    /// extension when more than one seed runs).
    #[arg(long)]
    pub rows: Option<PathBuf>,
    /// `explore`: the outcome horizon in days (rows whose horizon ends after the run are dropped).
    #[arg(long, default_value_t = 90)]
    pub horizon_days: u32,
}

/// The settings a strategy runs the engine with: `expected_recovery` ranks every arm by expected
/// recovery; the others run the configuration as given.
fn strategy_settings(settings: &Arc<Settings>, order: Order) -> Arc<Settings> {
    if order != Order::ExpectedRecovery {
        return settings.clone();
    }
    let mut s = (**settings).clone();
    for arm in &mut s.experiments.arms {
        arm.priority = PriorityMode::ExpectedRecovery;
    }
    Arc::new(s)
}

/// The oracle's gain of each open call item planned today: the true extra collections.
fn oracle_gains(
    world: &World,
    dialer: &mut EngineDialer,
    day: u32,
    args: &BacktestArgs,
) -> ahash::AHashMap<String, f64> {
    let (ds, de) = (world.day_start(day), world.day_start(day + 1));
    let (items, _) = dialer.pipeline.evaluate_all_items(ds);
    let view = world.view_at(ds);
    let mut out = ahash::AHashMap::new();
    for item in items.iter().filter(|i| i.status == Status::Open) {
        let is_call = item
            .action
            .as_ref()
            .is_some_and(|a| a.channel == Channel::Call);
        let (true, Some(at)) = (is_call, contact_time(item, ds, de)) else {
            continue;
        };
        let (Some(pc), Some(index)) = (planned(item, at), view.index_of(&item.account_id)) else {
            continue;
        };
        let horizon = match args.oracle_horizon_days {
            0 => (world.config().days - day).max(1),
            h => h,
        };
        let v = world.paired_value(index, &pc, horizon, args.oracle_replicates);
        out.insert(item.account_id.clone(), v.gain());
    }
    out
}

/// Runs one strategy on one portfolio.
pub fn run_one(
    settings: &Arc<Settings>,
    scorer: &Arc<Scorer>,
    cfg: &SimConfig,
    order: Order,
    args: &BacktestArgs,
) -> anyhow::Result<RunResult> {
    let rules = sim::Rules::from_settings(settings, &cfg.profile)
        .with_context(|| format!("no contact-policy profile {:?}", cfg.profile))?;
    let mut world = World::with_rules(cfg, rules);
    let pipeline = Pipeline::new(strategy_settings(settings, order), scorer.clone());
    let calls_per_day = cfg.calls_per_day();
    let mut dialer = EngineDialer::new(pipeline, order, calls_per_day, cfg.seed);
    let mut lines = Vec::new();
    for day in 0..cfg.days {
        if order == Order::Oracle {
            dialer.oracle_gain = oracle_gains(&world, &mut dialer, day, args);
        }
        world.step_day(day, &mut dialer, &mut lines);
        lines.clear();
    }
    let run_end = world.stats().collected_usd_cents;
    let s = world.stats().clone();
    let mut continued = None;
    if args.continue_to > cfg.days {
        let mut idle = sim::IdleDialer;
        for day in cfg.days..args.continue_to {
            world.step_day(day, &mut idle, &mut lines);
            // Payments after the run still label the exploration rows.
            for l in lines.drain(..) {
                dialer.ledger.observe(&l);
            }
        }
        continued = Some(world.stats().collected_usd_cents);
    }
    let end = world.day_start(args.continue_to.max(cfg.days));
    let rows = if order == Order::Explore {
        dialer.labelled_rows(args.horizon_days, end)
    } else {
        Vec::new()
    };
    if let (Some(path), false) = (&args.rows, rows.is_empty()) {
        let path = rows_path(path, cfg.seed, args.seeds.len() > 1);
        #[allow(
            clippy::disallowed_types,
            reason = "a tool writes the rows it was asked for"
        )]
        let f =
            std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        crate::tools::uplift::rows::write_csv(&rows, std::io::BufWriter::new(f))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let v = world.violations();
    let mut total = 0;
    let cumulative = s
        .days
        .iter()
        .take(cfg.days as usize)
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
        collected_usd_cents: run_end,
        collected_at_continue_usd_cents: continued,
        accounts_cured: s.accounts_cured,
        calls: s.calls,
        accounts_called: dialer.calls_by_account.len() as u64,
        max_calls_per_account: dialer.calls_by_account.values().copied().max().unwrap_or(0),
        texts: s.texts,
        letters: s.letters,
        right_party_contacts: s.right_party_contacts,
        third_party_contacts: s.third_party_contacts,
        promises_made: s.promises_made,
        promises_kept: s.promises_kept,
        counted: dialer.counted.clone(),
        contacts_cancelled: s.contacts_cancelled,
        engine_rejects: dialer.rejected,
        violations: v.total(),
        violations_detail: v.to_string(),
        violations_by_rule: *v,
        cumulative_usd_cents: cumulative,
        rows: rows.len(),
    })
}

/// `rows.csv` → `rows.seed7.csv` when several seeds write rows.
fn rows_path(path: &std::path::Path, seed: u64, many: bool) -> PathBuf {
    if !many {
        return path.to_path_buf();
    }
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("rows");
    let ext = path.extension().and_then(|s| s.to_str()).unwrap_or("csv");
    path.with_file_name(format!("{stem}.seed{seed}.{ext}"))
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
                cfg.response = args.response;
                let r = run_one(&settings, &scorer, &cfg, order, args);
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
    let report = Report::new(
        &args.profile,
        &format!("{:?}", args.response).to_lowercase(),
        args.continue_to,
        runs,
    );
    #[allow(clippy::disallowed_methods, reason = "a tool writes its report")]
    std::fs::write(&args.json, serde_json::to_string_pretty(&report)?)
        .with_context(|| format!("writing {}", args.json.display()))?;
    report::draw(&report, &args.chart)?;
    Ok(report)
}
