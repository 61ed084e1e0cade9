//! The backtest's report: per run, and per strategy over the seeds (means with 95% confidence
//! intervals): collections over the run and at the continuation day, the share of the oracle's
//! gain over `idle` captured, calls and their concentration, complaints, disputes, hardship
//! entries and violations; compared with the strongest baseline. Also the chart (colour by
//! strategy, line style by seed) and the table.

use serde::Serialize;

use super::dialer::Counted;
use crate::tools::sim;

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
    /// Collected by `continue_to` (the run, then no contact at all), when continued.
    pub collected_at_continue_usd_cents: Option<i64>,
    pub accounts_cured: u64,
    pub calls: u64,
    /// Accounts called at least once.
    pub accounts_called: u64,
    /// Most calls made to one account.
    pub max_calls_per_account: u32,
    pub texts: u64,
    pub letters: u64,
    pub right_party_contacts: u64,
    pub third_party_contacts: u64,
    pub promises_made: u64,
    pub promises_kept: u64,
    #[serde(flatten)]
    pub counted: Counted,
    pub contacts_cancelled: u64,
    pub engine_rejects: u64,
    pub violations: u64,
    pub violations_detail: String,
    pub violations_by_rule: sim::Violations,
    /// Cumulative collections at the end of each day of the run (US cents).
    pub cumulative_usd_cents: Vec<i64>,
    /// Exploration rows written.
    pub rows: usize,
}

/// A strategy over the seeds.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The strategy.
    pub strategy: &'static str,
    /// Seeds it ran on.
    pub seeds: usize,
    /// Mean collections over the run (USD) and the 95% half-width.
    pub collected_usd: (f64, f64),
    /// The same at the continuation day, when continued.
    pub collected_at_continue_usd: Option<(f64, f64)>,
    /// Share of the oracle's gain over idle captured, per seed (when both ran).
    pub oracle_share: Vec<(u64, f64)>,
    /// Mean calls.
    pub calls: f64,
    /// Mean calls per called account.
    pub calls_per_called_account: f64,
    /// Complaints, disputes and hardship entries per 1,000 accounts (means).
    pub complaints_per_1000: f64,
    /// Disputes per 1,000 accounts.
    pub disputes_per_1000: f64,
    /// Hardship entries per 1,000 accounts.
    pub hardship_per_1000: f64,
    /// Violations, summed over the seeds.
    pub violations: u64,
}

/// The whole comparison, as written to JSON.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The contact-policy profile of every account in every run.
    pub profile: String,
    /// The simulated debtors' response model.
    pub response: String,
    /// The day runs were continued to with no contact (0: not continued).
    pub continue_to: u32,
    /// Every run.
    pub runs: Vec<RunResult>,
    /// Per strategy over the seeds.
    pub summaries: Vec<Summary>,
    /// The strongest baseline (`dpd_first`, `balance_first`, `random`) by mean collections.
    pub strongest_baseline: Option<&'static str>,
}

/// Two-sided 95% Student t quantiles for 1..=10 degrees of freedom.
const T95: [f64; 10] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
];

fn mean_ci(xs: &[f64]) -> (f64, f64) {
    let n = xs.len();
    if n == 0 {
        return (0.0, 0.0);
    }
    let m = xs.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (m, 0.0);
    }
    let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
    let t = T95[(n - 2).min(T95.len() - 1)];
    (m, t * (var / n as f64).sqrt())
}

impl Report {
    /// Summarises `runs` (all under contact-policy profile `profile` and response model
    /// `response`, continued to day `continue_to`).
    pub fn new(profile: &str, response: &str, continue_to: u32, runs: Vec<RunResult>) -> Report {
        let mut names: Vec<&'static str> = Vec::new();
        for r in &runs {
            if !names.contains(&r.strategy) {
                names.push(r.strategy);
            }
        }
        let find = |name: &str, seed: u64| {
            runs.iter()
                .find(|r| r.strategy == name && r.seed == seed)
                .map(|r| r.collected_usd_cents as f64)
        };
        let summaries: Vec<Summary> = names
            .iter()
            .map(|&name| {
                let mine: Vec<&RunResult> = runs.iter().filter(|r| r.strategy == name).collect();
                let collected: Vec<f64> = mine
                    .iter()
                    .map(|r| r.collected_usd_cents as f64 / 100.0)
                    .collect();
                let cont: Vec<f64> = mine
                    .iter()
                    .filter_map(|r| r.collected_at_continue_usd_cents)
                    .map(|c| c as f64 / 100.0)
                    .collect();
                let oracle_share = mine
                    .iter()
                    .filter_map(|r| {
                        let (o, i) = (find("oracle", r.seed)?, find("idle", r.seed)?);
                        Some((
                            r.seed,
                            (r.collected_usd_cents as f64 - i) / (o - i).max(1.0),
                        ))
                    })
                    .collect();
                let n = mine.len().max(1) as f64;
                let per_1000 = |f: &dyn Fn(&RunResult) -> u64| {
                    mine.iter()
                        .map(|r| f(r) as f64 * 1000.0 / r.accounts.max(1) as f64)
                        .sum::<f64>()
                        / n
                };
                Summary {
                    strategy: name,
                    seeds: mine.len(),
                    collected_usd: mean_ci(&collected),
                    collected_at_continue_usd: (!cont.is_empty()).then(|| mean_ci(&cont)),
                    oracle_share,
                    calls: mine.iter().map(|r| r.calls as f64).sum::<f64>() / n,
                    calls_per_called_account: mine
                        .iter()
                        .map(|r| r.calls as f64 / r.accounts_called.max(1) as f64)
                        .sum::<f64>()
                        / n,
                    complaints_per_1000: per_1000(&|r| r.counted.complaints),
                    disputes_per_1000: per_1000(&|r| r.counted.disputes),
                    hardship_per_1000: per_1000(&|r| r.counted.hardship_entries),
                    violations: mine.iter().map(|r| r.violations).sum(),
                }
            })
            .collect();
        let strongest_baseline = summaries
            .iter()
            .filter(|s| matches!(s.strategy, "dpd_first" | "balance_first" | "random"))
            .max_by(|a, b| a.collected_usd.0.total_cmp(&b.collected_usd.0))
            .map(|s| s.strategy);
        Report {
            profile: profile.to_owned(),
            response: response.to_owned(),
            continue_to,
            runs,
            summaries,
            strongest_baseline,
        }
    }
}

/// Cumulative collections per run: colour by strategy, line style by seed.
pub fn draw(report: &Report, path: &std::path::Path) -> anyhow::Result<()> {
    let strategies: Vec<&str> = report.summaries.iter().map(|s| s.strategy).collect();
    let mut seeds: Vec<u64> = report.runs.iter().map(|r| r.seed).collect();
    seeds.sort_unstable();
    seeds.dedup();
    let mut series = Vec::new();
    let mut styles = Vec::new();
    for r in &report.runs {
        series.push(crate::tools::chart::Series {
            name: format!("{} (seed {})", r.strategy, r.seed),
            points: r
                .cumulative_usd_cents
                .iter()
                .enumerate()
                .map(|(d, c)| ((d + 1) as f64, *c as f64 / 100.0))
                .collect(),
        });
        styles.push((
            strategies
                .iter()
                .position(|s| *s == r.strategy)
                .unwrap_or(0),
            seeds.iter().position(|s| *s == r.seed).unwrap_or(0),
        ));
    }
    crate::tools::chart::line_chart_styled(
        path,
        "Cumulative collections by strategy (line style: seed)",
        "day",
        "collected (USD equivalent)",
        &series,
        &styles,
    )
}

/// The comparison as tables: per run, then per strategy.
pub fn table(report: &Report) -> String {
    let mut out = format!(
        "contact-policy profile: {}; response model: {}\n",
        report.profile, report.response
    );
    out.push_str(&format!(
        "{:<18} {:>5} {:>15} {:>15} {:>7} {:>7} {:>6} {:>6} {:>6} {:>6} {:>5}\n",
        "strategy",
        "seed",
        "collected",
        format!("at day {}", report.continue_to),
        "calls",
        "RPCs",
        "max/ac",
        "compl",
        "disp",
        "hards",
        "viol"
    ));
    for r in &report.runs {
        out.push_str(&format!(
            "{:<18} {:>5} {:>15.2} {:>15} {:>7} {:>7} {:>6} {:>6} {:>6} {:>6} {:>5}\n",
            r.strategy,
            r.seed,
            r.collected_usd_cents as f64 / 100.0,
            r.collected_at_continue_usd_cents
                .map_or("-".into(), |c| format!("{:.2}", c as f64 / 100.0)),
            r.calls,
            r.right_party_contacts,
            r.max_calls_per_account,
            r.counted.complaints,
            r.counted.disputes,
            r.counted.hardship_entries,
            r.violations
        ));
    }
    for r in report.runs.iter().filter(|r| r.violations > 0) {
        out.push_str(&format!(
            "{} seed {} violations: {}\n",
            r.strategy, r.seed, r.violations_detail
        ));
    }
    out.push_str(&format!(
        "\n{:<18} {:>24} {:>24} {:>22} {:>9} {:>8} {:>6} {:>6} {:>6}\n",
        "strategy (mean)",
        "collected ±95%",
        format!("at day {} ±95%", report.continue_to),
        "oracle gain captured",
        "calls",
        "per acct",
        "compl‰",
        "disp‰",
        "hard‰"
    ));
    for s in &report.summaries {
        let shares = s
            .oracle_share
            .iter()
            .map(|(_, x)| format!("{:.0}%", x * 100.0))
            .collect::<Vec<_>>()
            .join("/");
        out.push_str(&format!(
            "{:<18} {:>24} {:>24} {:>22} {:>9.0} {:>8.2} {:>6.2} {:>6.2} {:>6.2}\n",
            s.strategy,
            format!("{:.0} ±{:.0}", s.collected_usd.0, s.collected_usd.1),
            s.collected_at_continue_usd
                .map_or("-".into(), |(m, h)| format!("{m:.0} ±{h:.0}")),
            if shares.is_empty() {
                "-".into()
            } else {
                shares
            },
            s.calls,
            s.calls_per_called_account,
            s.complaints_per_1000,
            s.disputes_per_1000,
            s.hardship_per_1000
        ));
    }
    if let Some(b) = report.strongest_baseline {
        out.push_str(&format!("strongest baseline: {b}\n"));
        for name in ["uplift", "arrears", "expected_recovery"] {
            for r in report.runs.iter().filter(|r| r.strategy == name) {
                let base = report
                    .runs
                    .iter()
                    .find(|x| x.strategy == b && x.seed == r.seed);
                if let Some(base) = base {
                    out.push_str(&format!(
                        "seed {}: {} collects {:+.1}% vs {} with {:+.1}% calls\n",
                        r.seed,
                        name,
                        (r.collected_usd_cents as f64 / base.collected_usd_cents.max(1) as f64
                            - 1.0)
                            * 100.0,
                        b,
                        (r.calls as f64 / base.calls.max(1) as f64 - 1.0) * 100.0
                    ));
                }
            }
        }
    }
    out
}
