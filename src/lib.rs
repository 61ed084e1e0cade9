//! arrears: a streaming collections risk-scoring engine.
//!
//! The domain core (`events`, `account`, `features`, `scoring`, `policy`, `ranking`, `workitem`,
//! `pipeline`) is synchronous and deterministic: no async runtime, no Kafka, no metrics registry,
//! no wall clock. The edges (`replay`, `bench`, `sim`, `backtest`, `chart`) read and write files around it.

pub mod account;
pub mod backtest;
pub mod bench;
pub mod chart;

pub mod broker;
pub mod config;
pub mod daemon;
pub mod demo;
pub mod domain;
pub mod events;
pub mod features;
pub mod kafka_bench;
pub mod pipeline;
pub mod policy;
pub mod ranking;
pub mod replay;
pub mod scoring;
pub mod sim;
#[cfg(test)]
pub mod testkit;
pub mod training;
pub mod training_rows;
pub mod workitem;
