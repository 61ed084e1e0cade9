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
    about = "Collections risk scoring: events in, ranked, policy-checked work items out"
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
    /// Everything in one process: embedded broker, simulated stream, daemon, live ranked worklist.
    Demo(arrears::demo::DemoArgs),
    /// Run the Kafka daemon: consume, score, publish work items; HTTP API.
    Run(arrears::daemon::RunArgs),
    /// Run an embedded Kafka-protocol broker (librdkafka mock cluster) with the contract's topics.
    Broker(arrears::broker::BrokerArgs),
    /// Apply a JSONL event file offline and print every account's latest work item, ranked.
    Replay(arrears::replay::ReplayArgs),
    /// Write a synthetic portfolio's event stream (reproducible per seed).
    Simulate(arrears::sim::SimulateArgs),
    /// Fit a willingness or ability model (logistic regression) on a CSV of labelled rows.
    Train(arrears::training::TrainArgs),
    /// Score a CSV of labelled rows with a model: metrics, calibration and an HTML report.
    Evaluate(arrears::training::EvaluateArgs),
    /// Compare dialer strategies in a closed loop over the simulator.
    Backtest(arrears::backtest::BacktestArgs),
    /// Measure replay throughput on a simulated event file and print the numbers.
    Bench(arrears::bench::BenchArgs),
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ARREARS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_format);
    match cli.command {
        Command::Replay(args) => match arrears::replay::run(&args) {
            Ok(summary) => {
                eprintln!("{summary}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("arrears replay: {e}");
                ExitCode::from(e.exit_code())
            }
        },
        Command::Demo(args) => report(arrears::demo::cmd_demo(&args)),
        Command::Run(args) => report(arrears::daemon::cmd_run(&args)),
        Command::Broker(args) => report(arrears::broker::cmd_broker(&args)),
        Command::Simulate(args) => report(arrears::sim::cmd_simulate(&args)),
        Command::Bench(args) => report(arrears::bench::run(&args)),
        Command::Train(args) => report(arrears::training::train(&args)),
        Command::Evaluate(args) => report(arrears::training::evaluate(&args)),
        Command::Backtest(args) => report(arrears::backtest::run(&args).map(|r| {
            print!("{}", arrears::backtest::table(&r));
            eprintln!("wrote {} and {}", args.json.display(), args.chart.display());
        })),
    }
}

fn report(r: anyhow::Result<()>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("arrears: {e:#}");
            ExitCode::FAILURE
        }
    }
}
