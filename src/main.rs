//! The `arrears` command line: parse arguments, set up logging, run a subcommand, map the result
//! to an exit status.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "arrears",
    version,
    about = "Collections risk scoring: events in, ranked, policy-checked work items out",
    after_help = "Exit status, for every command: 0 success; 1 the command failed at its work \
                  (validate: some record is invalid); 2 bad arguments, unreadable input or a bad \
                  configuration (every problem listed with its file, line and column, or variable)."
)]
struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value = "text")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    #[cfg(feature = "tools")]
    /// Everything in one process: embedded broker, simulated stream, daemon, live ranked worklist.
    Demo(arrears::tools::demo::DemoArgs),
    /// Run the Kafka daemon: consume, score, publish work items; HTTP API.
    Run(arrears::daemon::RunArgs),
    #[cfg(feature = "tools")]
    /// Run an embedded Kafka-protocol broker (librdkafka mock cluster) with the contract's topics.
    Broker(arrears::tools::broker::BrokerArgs),
    /// Apply a JSONL event file offline and print every account's latest work item, ranked.
    Replay(arrears::replay::ReplayArgs),
    /// Print one account's decision history (or the decision in force at --at) from decision records.
    Explain(arrears::replay::explain::ExplainArgs),
    /// Check a JSONL event file against the contract without applying it: every problem per record.
    Validate(arrears::replay::validate::ValidateArgs),
    #[cfg(feature = "tools")]
    /// Write a synthetic portfolio's event stream (reproducible per seed).
    Simulate(arrears::tools::sim::SimulateArgs),
    #[cfg(feature = "tools")]
    /// Fit a willingness or ability model (a WoE scorecard by default) on a CSV of labelled rows.
    Train(arrears::tools::training::TrainArgs),
    #[cfg(feature = "tools")]
    /// Score a CSV of labelled rows with a model: metrics, calibration and an HTML report.
    Evaluate(arrears::tools::training::EvaluateArgs),
    #[cfg(feature = "tools")]
    /// Fit or judge the uplift model (the incremental effect of a call) on outcome rows.
    #[command(subcommand)]
    Uplift(arrears::tools::uplift::UpliftCommand),
    #[cfg(feature = "tools")]
    /// Compare dialer strategies in a closed loop over the simulator.
    Backtest(arrears::tools::backtest::BacktestArgs),
    #[cfg(feature = "tools")]
    /// Measure replay throughput on a simulated event file and print the numbers.
    Bench(arrears::tools::bench::BenchArgs),
}

fn init_tracing(format: LogFormat, file: Option<&std::path::Path>) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ARREARS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colour only for a person at a terminal (and never with NO_COLOR set): a log file or a
    // collector gets plain text.
    #[allow(
        clippy::disallowed_methods,
        reason = "the command line is the edge: NO_COLOR is read here, before any settings"
    )]
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    // The demo redrawing a terminal sends its logs to a file instead, out of the view.
    #[allow(
        clippy::disallowed_types,
        reason = "the command line is the edge: the demo's log file is opened here"
    )]
    let to_file = file.and_then(|p| match std::fs::File::create(p) {
        Ok(f) => Some(std::sync::Mutex::new(f)),
        Err(e) => {
            eprintln!(
                "arrears: cannot write logs to {}: {e}; logging to stderr",
                p.display()
            );
            None
        }
    });
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match (format, to_file) {
        (LogFormat::Text, Some(f)) => builder.with_ansi(false).with_writer(f).init(),
        (LogFormat::Json, Some(f)) => builder.with_ansi(false).with_writer(f).json().init(),
        (LogFormat::Text, None) => builder.with_ansi(ansi).with_writer(std::io::stderr).init(),
        (LogFormat::Json, None) => builder.with_writer(std::io::stderr).json().init(),
    }
}

/// Writes a line a command ends with to stderr: as it is in text mode, as a log event in JSON
/// mode (so that every line on stderr is JSON there), at `error` level when it is the failure.
fn say(format: LogFormat, failed: bool, text: &str) {
    match (format, failed) {
        (LogFormat::Text, _) => eprintln!("{text}"),
        (LogFormat::Json, true) => tracing::error!(target: "arrears", "{text}"),
        (LogFormat::Json, false) => tracing::info!(target: "arrears", "{text}"),
    }
}

fn main() -> ExitCode {
    #[allow(unused_mut, reason = "only the demo, a tool, adjusts its arguments")]
    let mut cli = Cli::parse();
    #[allow(unused_mut, reason = "only the demo, a tool, logs to a file")]
    let mut log_file: Option<std::path::PathBuf> = None;
    #[cfg(feature = "tools")]
    if let Command::Demo(args) = &mut cli.command {
        if args.log_file.is_none() && std::io::IsTerminal::is_terminal(&std::io::stdout()) {
            args.log_file = Some(std::env::temp_dir().join("arrears-demo.log"));
        }
        log_file = args.log_file.clone();
    }
    init_tracing(cli.log_format, log_file.as_deref());
    let fmt = cli.log_format;
    let report = |r: anyhow::Result<()>| report(fmt, r);
    match cli.command {
        Command::Replay(args) => match arrears::replay::run(&args) {
            Ok(summary) => {
                say(fmt, false, &summary.to_string());
                ExitCode::SUCCESS
            }
            Err(e) => {
                say(fmt, true, &format!("arrears replay: {e}"));
                ExitCode::from(e.exit_code())
            }
        },
        Command::Explain(args) => match arrears::replay::explain::run(&args) {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                say(fmt, true, &format!("arrears explain: {e:#}"));
                ExitCode::from(2)
            }
        },
        Command::Validate(args) => match arrears::replay::validate::run(&args) {
            Ok(status) => ExitCode::from(status),
            Err(e) => {
                say(fmt, true, &format!("arrears validate: {e}"));
                ExitCode::from(2)
            }
        },
        #[cfg(feature = "tools")]
        Command::Demo(args) => report(arrears::tools::demo::cmd_demo(&args)),
        Command::Run(args) => report(arrears::daemon::cmd_run(&args)),
        #[cfg(feature = "tools")]
        Command::Broker(args) => report(arrears::tools::broker::cmd_broker(&args)),
        #[cfg(feature = "tools")]
        Command::Simulate(args) => report(arrears::tools::sim::cmd_simulate(&args)),
        #[cfg(feature = "tools")]
        Command::Bench(args) => report(arrears::tools::bench::run(&args)),
        #[cfg(feature = "tools")]
        Command::Train(args) => report(arrears::tools::training::train(&args)),
        #[cfg(feature = "tools")]
        Command::Evaluate(args) => report(arrears::tools::training::evaluate(&args)),
        #[cfg(feature = "tools")]
        Command::Uplift(cmd) => report(arrears::tools::uplift::run(&cmd)),
        #[cfg(feature = "tools")]
        Command::Backtest(args) => report(arrears::tools::backtest::run(&args).map(|r| {
            print!("{}", arrears::tools::backtest::table(&r));
            say(
                fmt,
                false,
                &format!("wrote {} and {}", args.json.display(), args.chart.display()),
            );
        })),
    }
}

/// Exit status 2 for a configuration error (whichever command met it), 1 for any other failure.
fn report(format: LogFormat, r: anyhow::Result<()>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            say(format, true, &format!("arrears: {e:#}"));
            let config = e
                .chain()
                .any(|c| c.is::<arrears::engine::settings::ConfigError>());
            ExitCode::from(if config { 2 } else { 1 })
        }
    }
}
