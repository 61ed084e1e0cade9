//! Everything that is not the product's runtime, behind the default-on `tools` feature: the
//! embedded broker (`broker`), `arrears demo` (`demo`), the replay and Kafka benchmarks (`bench`),
//! the portfolio simulator (`sim`), the closed-loop `backtest`, model `training` and evaluation,
//! and PNG charts (`chart`). They drive the engine and the daemon; nothing in the runtime depends
//! on them.

pub mod backtest;
pub mod bench;
pub mod broker;
pub mod chart;
pub mod demo;
pub mod sim;
pub mod training;
pub mod uplift;
