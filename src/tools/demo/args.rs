//! The options of `arrears demo` ([`DemoArgs`]).

#[derive(clap::Args, Debug, Clone)]
pub struct DemoArgs {
    /// Simulated accounts.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub accounts: u64,
    /// Simulated days, streamed day by day.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub days: u32,
    /// Events produced per second.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub rate: u32,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    pub duration: Option<u64>,
    /// Open work items shown.
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub top: u32,
    /// Simulation seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// HTTP API port on 127.0.0.1 (default: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Partitions of every topic.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(i32).range(1..=64))]
    pub partitions: i32,
    /// Where the daemon's logs go while the worklist is redrawn in a terminal (default:
    /// `arrears-demo.log` in the temporary directory); without a terminal they stay on stderr.
    #[arg(long)]
    pub log_file: Option<std::path::PathBuf>,
}

impl Default for DemoArgs {
    fn default() -> Self {
        DemoArgs {
            accounts: 2000,
            days: 30,
            rate: 2000,
            duration: None,
            top: 15,
            seed: 1,
            port: 0,
            partitions: 4,
            log_file: None,
        }
    }
}
